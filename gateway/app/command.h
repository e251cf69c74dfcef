#pragma once
// Subcommands of the `onedoor` binary. Each parses its own options (Poco::Util::OptionSet),
// prints `--help`, and returns the process exit code: 0 success, 1 problems in the input or
// configuration, 2 wrong usage.

#include <functional>
#include <string>
#include <vector>

namespace onedoor::app {

struct Command {
  std::string name;
  std::string summary;
  std::function<int(const std::vector<std::string>& args)> run;
};

const std::vector<Command>& commands();

int serveCommand(const std::vector<std::string>& args);
int checkCommand(const std::vector<std::string>& args);
int convertCommand(const std::vector<std::string>& args);
int fhirpathCommand(const std::vector<std::string>& args);
int validateCommand(const std::vector<std::string>& args);
int auditCommand(const std::vector<std::string>& args);
int keygenCommand(const std::vector<std::string>& args);
int tokenCommand(const std::vector<std::string>& args);
int consentCommand(const std::vector<std::string>& args);
int mapCommand(const std::vector<std::string>& args);
int outboxCommand(const std::vector<std::string>& args);
int identityCommand(const std::vector<std::string>& args);

}  // namespace onedoor::app
