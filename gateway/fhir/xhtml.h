#pragma once
// Narrative XHTML (Narrative.div) helpers over libxml2 with the same hardening as the XML reader
// (no network, no DTD, no entity expansion).

#include <string>
#include <string_view>

#include "core/status.h"

namespace onedoor::fhir {

// OK if `div` is a well-formed XHTML <div> element in the XHTML namespace.
core::Status checkXhtmlDiv(std::string_view div);

// A whitespace- and escaping-insensitive form of an XHTML fragment, for comparing narratives that
// went through different serialisers. Returns the input unchanged if it does not parse.
std::string canonicalXhtml(std::string_view div);

}  // namespace onedoor::fhir
