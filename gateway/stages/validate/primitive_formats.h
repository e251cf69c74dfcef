#pragma once
// The lexical forms of FHIR R4 primitives, checked by hand: the same languages as the regexes in
// the primitive types' definitions (tests compare them on sample values), without a regex engine
// (libstdc++'s recurses per character and allocates; these are linear and allocation-free).

#include <optional>
#include <string_view>

namespace onedoor::stages::validate {

// Whether `value` is in the lexical space of primitive `type`; nullopt for a type this does not
// know (the caller then uses the definition's regex).
std::optional<bool> primitiveFormatOk(std::string_view type, std::string_view value);

}  // namespace onedoor::stages::validate
