// The `onedoor` binary: `onedoor <command> [options]`.
#include <iostream>

#include "app/command.h"

namespace {

void usage() {
  std::cout << "OneDoor: FHIR R4 interoperability gateway for integrated care\n\n"
               "usage: onedoor <command> [options]   (onedoor <command> --help for details)\n\n"
               "commands:\n";
  for (const auto& c : onedoor::app::commands()) {
    std::cout << "  " << c.name << std::string(c.name.size() < 12 ? 12 - c.name.size() : 1, ' ')
              << c.summary << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage();
    return 0;
  }
  if (name == "--version" || name == "version") {
    std::cout << "onedoor " << ONEDOOR_VERSION << "\n";
    return 0;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : onedoor::app::commands()) {
    if (c.name == name) return c.run(args);
  }
  std::cerr << "onedoor: unknown command '" << name << "' (see onedoor --help)\n";
  return 2;
}
