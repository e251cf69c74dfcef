#include "config/diagnostics.h"

namespace onedoor::config {

std::string Diagnostic::toString() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) +
         (warning ? ": warning: " : ": error: ") + message;
}

void Diagnostics::error(std::string file, std::uint32_t line, std::uint32_t column,
                        std::string message) {
  items_.push_back({std::move(file), line, column, std::move(message), false});
}

void Diagnostics::warning(std::string file, std::uint32_t line, std::uint32_t column,
                          std::string message) {
  items_.push_back({std::move(file), line, column, std::move(message), true});
}

bool Diagnostics::hasErrors() const {
  for (const auto& d : items_) {
    if (!d.warning) return true;
  }
  return false;
}

std::string Diagnostics::toString() const {
  std::string out;
  for (const auto& d : items_) {
    out += d.toString();
    out += '\n';
  }
  return out;
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

}  // namespace onedoor::config
