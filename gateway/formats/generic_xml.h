#pragma once
// Generic (non-FHIR) XML in, for partners whose systems export their own XML (RiO-like mental
// health referrals and care plans): read, with the same hardening as FHIR XML (no DTDs, no
// entities, no network), into the element tree maps navigate. The root is the document element;
// an element's attributes and child elements are its children, named by their local names (made
// FML identifiers); an element with text only is a leaf with that text (trimmed), and text beside
// attributes or child elements is a child `text`. Errors give line and column.
//
// Writing, for maps whose target is a system's own XML: the root becomes the document element
// and every element with children an element holding them, in order; an element without children
// is an element with its value as text (escaped). Everything is written as elements, none as
// attributes.

#include <string>
#include <string_view>

#include "core/status.h"
#include "fhir/node.h"

namespace onedoor::formats {

core::Result<fhir::Node> readGenericXml(std::string_view text, std::size_t max_depth = 100);
std::string writeGenericXml(const fhir::Node& tree);

}  // namespace onedoor::formats
