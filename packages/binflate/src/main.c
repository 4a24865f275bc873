#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "restore.h"

#ifndef BINFLATE_VERSION
#define BINFLATE_VERSION "0.0.0-dev"
#endif

static void usage(FILE *to) {
  fputs("Usage: binflate <compressed-binary> -o <output>\n"
        "       binflate <input.zst> -o <output> [--size <bytes>] [--sha256 <hex>] [--mode <octal>]\n"
        "       binflate --version\n"
        "\n"
        "Restores the byte-identical original of a BTM compressed binary (made by `btm binpress`),\n"
        "checking the payload's and the result's SHA-256 against its trailer; or restores a file\n"
        "from a plain zstd frame, where --size and --sha256 give what it must match.\n"
        "The output appears only when every check passes.\n"
        "\n"
        "Exit codes: 0 ok, 1 usage, 2 read/write error, 3 corrupt or truncated input, 4 size or hash mismatch\n",
        to);
}

static int usage_error(const char *message, const char *arg) {
  fprintf(stderr, "binflate: %s%s\n", message, arg);
  usage(stderr);
  return RESTORE_USAGE;
}

int main(int argc, char **argv) {
  const char *input = NULL, *output = NULL;
  restore_options options = {-1, NULL, 0644};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--version") == 0) {
      printf("binflate %s\n", BINFLATE_VERSION);
      return 0;
    }
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(stdout);
      return 0;
    }
    int takes_value = strcmp(arg, "-o") == 0 || strcmp(arg, "--size") == 0 || strcmp(arg, "--sha256") == 0 ||
                      strcmp(arg, "--mode") == 0;
    if (takes_value && i + 1 >= argc) return usage_error("missing value after ", arg);
    if (strcmp(arg, "-o") == 0) {
      output = argv[++i];
    } else if (strcmp(arg, "--size") == 0) {
      char *end;
      errno = 0;
      long long size = strtoll(argv[++i], &end, 10);
      if (errno != 0 || *end != '\0' || size < 0) return usage_error("--size wants a byte count, got ", argv[i]);
      options.expected_size = size;
    } else if (strcmp(arg, "--sha256") == 0) {
      const char *hex = argv[++i];
      if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
        return usage_error("--sha256 wants 64 lowercase hex digits, got ", hex);
      options.expected_sha256 = hex;
    } else if (strcmp(arg, "--mode") == 0) {
      char *end;
      unsigned long mode = strtoul(argv[++i], &end, 8);
      if (*end != '\0' || mode > 07777) return usage_error("--mode wants octal permission bits, got ", argv[i]);
      options.mode = (unsigned)mode;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return usage_error("unknown option ", arg);
    } else if (input == NULL) {
      input = arg;
    } else {
      return usage_error("more than one input: ", arg);
    }
  }
  if (input == NULL) return usage_error("no input file", "");
  if (output == NULL) return usage_error("no output: pass -o <file>", "");

  restore_result result;
  restore_status status = restore_pressed(input, output, &result);
  if (status == RESTORE_USAGE) status = restore_file(input, output, &options, &result);
  if (status != RESTORE_OK) {
    fprintf(stderr, "binflate: %s\n", result.message);
    return status;
  }
  printf("restored %s (%llu bytes, sha256 %s)\n", output, (unsigned long long)result.size, result.sha256);
  return 0;
}
