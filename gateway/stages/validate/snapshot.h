#pragma once
// Snapshot generation: applies a profile's differential to its base structure (itself a snapshot,
// generated first if need be). Differential elements are found by id; a new slice starts as a
// copy of the element it slices; a path into a datatype the base does not expand (Patient.
// identifier.system) expands that element from its type's (or type profile's) structure; R4
// choice renames (Observation.valueQuantity) constrain value[x] to the named type. Pure function
// of its inputs; runs once per profile.

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "stages/validate/structure.h"

namespace onedoor::stages::validate {

// The compiled structure of a type ("Identifier") or a profile URL.
using StructureSource = std::function<core::Result<StructurePtr>(std::string_view type_or_url)>;

// `differential` as read by readElements(..., true). Problems (elements the base lacks) are
// reported with the element id; the snapshot is still produced from what could be applied.
Structure generateSnapshot(const Structure& base, const std::vector<ElementSpec>& differential,
                           const StructureSource& source, std::vector<Problem>& problems);

}  // namespace onedoor::stages::validate
