#pragma once
// Diagnostics for configuration, policy, profile and mapping files: every problem as
// `file:line:col: error: what (got X)`, all collected before the caller gives up (STYLE.md §4).

#include <cstdint>
#include <string>
#include <vector>

namespace onedoor::config {

struct Diagnostic {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string message;
  bool warning = false;
  std::string toString() const;
};

class Diagnostics {
 public:
  void error(std::string file, std::uint32_t line, std::uint32_t column, std::string message);
  void warning(std::string file, std::uint32_t line, std::uint32_t column, std::string message);
  bool hasErrors() const;
  const std::vector<Diagnostic>& all() const { return items_; }
  std::string toString() const;  // one line per diagnostic
  void append(const Diagnostics& other);

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace onedoor::config
