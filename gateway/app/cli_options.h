#pragma once
// A thin layer over Poco::Util::OptionSet/OptionProcessor/HelpFormatter for subcommands:
// `--name value`, `--name=value`, repeated options, positional arguments and --help.

#include <Poco/Util/OptionSet.h>

#include <map>
#include <string>
#include <vector>

namespace onedoor::app {

class CliOptions {
 public:
  CliOptions(std::string command, std::string usage, std::string description);
  // An option taking a value (`argument` names it in the help text, e.g. "FILE").
  CliOptions& value(const std::string& name, const std::string& help, const std::string& argument,
                    bool required = false, bool repeatable = false);
  CliOptions& flag(const std::string& name, const std::string& help);

  // Parses `args`; prints help or a usage error. Returns false when the command should exit
  // with exitCode().
  bool parse(const std::vector<std::string>& args);
  int exitCode() const { return exit_code_; }

  bool has(const std::string& name) const { return values_.count(name) != 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> all(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  void printHelp() const;

 private:
  std::string command_;
  std::string usage_;
  std::string description_;
  Poco::Util::OptionSet options_;
  std::vector<std::string> takes_value_;
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
  int exit_code_ = 0;
};

// Reads a whole file ("-": standard input); false when it cannot be read.
bool readInput(const std::string& file, std::string& out);

}  // namespace onedoor::app
