#pragma once
// Tokens of FHIRPath (https://hl7.org/fhirpath/N1/grammar.html), with their positions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace onedoor::fhirpath {

struct Token {
  enum class Kind : std::uint8_t {
    kEnd, kIdentifier, kDelimited, kString, kNumber, kDateTime, kTime, kSymbol, kDollar, kPercent
  };
  Kind kind = Kind::kEnd;
  std::string text;  // decoded for strings and delimited identifiers
  std::uint32_t line = 1;
  std::uint32_t column = 1;
  bool is(Kind k, std::string_view t) const { return kind == k && text == t; }
  bool symbol(std::string_view t) const { return kind == Kind::kSymbol && text == t; }
  bool keyword(std::string_view t) const { return kind == Kind::kIdentifier && text == t; }
};

core::Result<std::vector<Token>> tokenize(std::string_view text);

}  // namespace onedoor::fhirpath
