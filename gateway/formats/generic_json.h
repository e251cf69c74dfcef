#pragma once
// Generic (non-FHIR) JSON in, for partners whose systems export their own JSON (Liquidlogic-like
// social care case records): read into the element tree maps navigate. An object's members are
// children named by their keys (a name that cannot be an FML identifier has its other characters
// made _, and a leading digit gets a _ before it); an array's items are repeated children of the
// array's name; strings, numbers and booleans are leaf values (as written); null is absent. The
// root is `JSON`. Errors give line and column; nesting is limited.
//
// Writing is the other way round, for maps whose target is a system's own JSON: the root's
// children are the top-level members; an element that occurs once is a single member, one that
// occurs several times an array; an element with children is an object and one without a string
// (so `0123` stays `"0123"`). Two lists of element paths (names from the root down, joined by
// dots) say more: `arrays`, written as arrays even with one item, and `literals`, whose values are
// written bare when they are JSON numbers or booleans (7, true).

#include <set>
#include <string>
#include <string_view>

#include "core/status.h"
#include "fhir/node.h"

namespace onedoor::formats {

core::Result<fhir::Node> readGenericJson(std::string_view text, std::size_t max_depth = 100);

struct JsonLayout {
  std::set<std::string> arrays;
  std::set<std::string> literals;
};
std::string writeGenericJson(const fhir::Node& tree, const JsonLayout& layout = {});

// A header or key as an FML identifier ("referral id" -> referral_id, "2nd" -> _2nd).
std::string fieldName(std::string_view raw);

}  // namespace onedoor::formats
