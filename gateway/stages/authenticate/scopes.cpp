#include "stages/authenticate/scopes.h"

#include <algorithm>
#include <cctype>

namespace onedoor::stages::authenticate {

std::optional<Scope> parseScope(std::string_view t) {
  constexpr std::string_view kPrefix = "system/";
  if (t.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  t.remove_prefix(kPrefix.size());
  auto dot = t.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  Scope s;
  s.type = std::string(t.substr(0, dot));
  if (s.type != "*" && !std::all_of(s.type.begin(), s.type.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); })) {
    return std::nullopt;
  }
  std::string_view perm = t.substr(dot + 1);
  if (perm == "read") {
    s.letters = "rs";
  } else if (perm == "write") {
    s.letters = "cud";
  } else if (perm == "*") {
    s.letters = "cruds";
  } else {
    // v2: letters in the order c r u d s, each at most once.
    std::size_t at = 0;
    for (char c : perm) {
      auto pos = std::string_view("cruds").find(c, at);
      if (pos == std::string_view::npos) return std::nullopt;
      s.letters += c;
      at = pos + 1;
    }
    if (s.letters.empty()) return std::nullopt;
  }
  return s;
}

bool Scope::covers(const Scope& other) const {
  if (type != "*" && type != other.type) return false;
  return std::all_of(other.letters.begin(), other.letters.end(), [&](char c) { return letters.find(c) != std::string::npos; });
}

std::string Scope::toString() const { return "system/" + type + "." + letters; }

bool allows(const std::vector<std::string>& granted, std::string_view type, char letter) {
  Scope want{std::string(type), std::string(1, letter)};
  return std::any_of(granted.begin(), granted.end(), [&](const std::string& g) {
    auto s = parseScope(g);
    return s && s->covers(want);
  });
}

}  // namespace onedoor::stages::authenticate
