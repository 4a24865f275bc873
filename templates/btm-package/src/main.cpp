#include <cstdio>
#include <iostream>
#include <string_view>

static void usage(std::ostream &to) {
  to << "Usage: " << TOOL_NAME << " [--version] [--help] [args...]\n";
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const std::string_view arg = argv[i];
    if (arg == "--version") {
      std::cout << TOOL_NAME << ' ' << TOOL_VERSION << '\n';
      return 0;
    }
    if (arg == "--help") {
      usage(std::cout);
      return 0;
    }
    if (!arg.empty() && arg.front() == '-') {
      std::cerr << TOOL_NAME << ": unknown option " << arg << '\n';
      usage(std::cerr);
      return 2;
    }
  }
  std::cout << TOOL_NAME << ": " << argc - 1 << " argument(s)\n";
  return 0;
}
