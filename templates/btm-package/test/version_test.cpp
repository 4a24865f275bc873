// Runs the tool and checks it prints "<name> <version>" for --version.
#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: version_test <tool> <expected version>\n";
    return 2;
  }
  const std::string command = std::string("\"") + argv[1] + "\" --version";
  FILE *out = popen(command.c_str(), "r");
  if (out == nullptr) return 1;
  char line[256] = "";
  if (std::fgets(line, sizeof line, out) == nullptr) line[0] = '\0';
  const int status = pclose(out);
  const std::string expected = std::string(TOOL_NAME) + " " + argv[2] + "\n";
  if (status != 0 || expected != line) {
    std::cerr << "expected '" << expected << "', got '" << line << "' (status " << status << ")\n";
    return 1;
  }
  return 0;
}
