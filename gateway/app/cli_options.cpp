#include "app/cli_options.h"

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

namespace onedoor::app {

CliOptions::CliOptions(std::string command, std::string usage, std::string description)
    : command_(std::move(command)), usage_(std::move(usage)), description_(std::move(description)) {
  flag("help", "print this help and exit");
}

CliOptions& CliOptions::value(const std::string& name, const std::string& help,
                              const std::string& argument, bool required, bool repeatable) {
  options_.addOption(Poco::Util::Option(name, "", help)
                         .required(required)
                         .repeatable(repeatable)
                         .argument(argument, true));
  takes_value_.push_back(name);
  return *this;
}

CliOptions& CliOptions::flag(const std::string& name, const std::string& help) {
  options_.addOption(Poco::Util::Option(name, "", help).required(false).repeatable(false));
  return *this;
}

void CliOptions::printHelp() const {
  Poco::Util::HelpFormatter hf(options_);
  hf.setUnixStyle(true);
  hf.setCommand("onedoor " + command_);
  hf.setUsage(usage_);
  hf.setHeader(description_);
  hf.setWidth(100);
  hf.format(std::cout);
}

bool CliOptions::parse(const std::vector<std::string>& args) {
  Poco::Util::OptionProcessor proc(options_);
  proc.setUnixStyle(true);
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      std::string a = args[i];
      // Poco only takes `--name=value`; accept `--name value` too.
      if (a.rfind("--", 0) == 0 && a.find('=') == std::string::npos && i + 1 < args.size() &&
          std::find(takes_value_.begin(), takes_value_.end(), a.substr(2)) != takes_value_.end()) {
        a += "=" + args[++i];
      }
      if (a == "-" || a.rfind("-", 0) != 0) {
        positional_.push_back(a);
        continue;
      }
      std::string name, val;
      if (!proc.process(a, name, val)) {
        std::cerr << "onedoor " << command_ << ": unknown option " << a << " (see --help)\n";
        exit_code_ = 2;
        return false;
      }
      if (!name.empty()) values_.emplace(name, val);
    }
    if (has("help")) {
      printHelp();
      exit_code_ = 0;
      return false;
    }
    proc.checkRequired();
  } catch (const Poco::Util::OptionException& e) {
    std::cerr << "onedoor " << command_ << ": " << e.displayText() << " (see --help)\n";
    exit_code_ = 2;
    return false;
  }
  return true;
}

std::string CliOptions::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::vector<std::string> CliOptions::all(const std::string& name) const {
  std::vector<std::string> out;
  auto [b, e] = values_.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

bool readInput(const std::string& file, std::string& out) {
  std::ostringstream ss;
  if (file == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return false;
    ss << in.rdbuf();
  }
  out = ss.str();
  return true;
}

}  // namespace onedoor::app
