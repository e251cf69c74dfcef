#pragma once
// SMART system scopes: system/<Type|*>.<permissions>, in v1 form (read, write, *) or v2 letters
// (c r u d s). Parsed into a resource type and a set of letters so that v1 and v2 compare.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onedoor::stages::authenticate {

struct Scope {
  std::string type;     // resource type, or "*"
  std::string letters;  // subset of "cruds", in that order
  // Whether this scope allows everything `other` asks for.
  bool covers(const Scope& other) const;
  std::string toString() const;  // v2 form
};

std::optional<Scope> parseScope(std::string_view text);
// The scopes of `granted` (texts) that allow `letter` (c r u d s) on `type`.
bool allows(const std::vector<std::string>& granted, std::string_view type, char letter);

}  // namespace onedoor::stages::authenticate
