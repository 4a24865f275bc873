/* Runs the tool and checks it prints "<name> <version>" for --version. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: version_test <tool> <expected version>\n");
    return 2;
  }
  char command[4096];
  snprintf(command, sizeof command, "\"%s\" --version", argv[1]);
  FILE *out = popen(command, "r");
  if (out == NULL) return perror("popen"), 1;
  char line[256] = "";
  if (fgets(line, sizeof line, out) == NULL) line[0] = '\0';
  int status = pclose(out);
  char expected[256];
  snprintf(expected, sizeof expected, "%s %s\n", TOOL_NAME, argv[2]);
  if (status != 0 || strcmp(line, expected) != 0) {
    fprintf(stderr, "expected '%s', got '%s' (status %d)\n", expected, line, status);
    return 1;
  }
  return 0;
}
