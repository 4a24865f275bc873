#include <stdio.h>
#include <string.h>

static void usage(FILE *to) {
  fprintf(to, "Usage: %s [--version] [--help] [args...]\n", TOOL_NAME);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--version") == 0) {
      printf("%s %s\n", TOOL_NAME, TOOL_VERSION);
      return 0;
    }
    if (strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (argv[i][0] == '-') {
      fprintf(stderr, "%s: unknown option %s\n", TOOL_NAME, argv[i]);
      usage(stderr);
      return 2;
    }
  }
  printf("%s: %d argument(s)\n", TOOL_NAME, argc - 1);
  return 0;
}
