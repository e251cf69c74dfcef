#pragma once
// Canonical equality of two typed trees: same elements, types and lexical values in the same
// order; narratives compared as XHTML with whitespace and escaping normalised. Used by the
// round-trip conformance harness and by golden-file tests.

#include <string>

#include "fhir/node.h"

namespace onedoor::fhir {

// True if equal; otherwise false with the path of the first difference in `diff`.
bool canonicalEqual(const Node& a, const Node& b, std::string* diff = nullptr);

}  // namespace onedoor::fhir
