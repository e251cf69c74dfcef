#pragma once
// Generic (non-FHIR) JSON in, for partners whose systems export their own JSON (Liquidlogic-like
// social care case records): read into the element tree maps navigate. An object's members are
// children named by their keys (a name that cannot be an FML identifier has its other characters
// made _, and a leading digit gets a _ before it); an array's items are repeated children of the
// array's name; strings, numbers and booleans are leaf values (as written); null is absent. The
// root is `JSON`. Errors give line and column; nesting is limited.

#include <string>
#include <string_view>

#include "core/status.h"
#include "fhir/node.h"

namespace onedoor::formats {

core::Result<fhir::Node> readGenericJson(std::string_view text, std::size_t max_depth = 100);

// A header or key as an FML identifier ("referral id" -> referral_id, "2nd" -> _2nd).
std::string fieldName(std::string_view raw);

}  // namespace onedoor::formats
