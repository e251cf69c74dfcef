#pragma once
// _summary and _elements on a resource (https://hl7.org/fhir/R4/search.html#summary). Filtering
// tags the resource SUBSETTED (v3-ObservationValue) as the specification requires.

#include <string>
#include <string_view>
#include <vector>

#include "fhir/node.h"

namespace onedoor::fhir {

// mode is true | text | data | false (count is a search concern). Returns false for others.
bool applySummary(Node& resource, std::string_view mode);
// Keeps the named top-level elements plus id, meta and mandatory elements.
void applyElements(Node& resource, const std::vector<std::string>& elements);
void markSubsetted(Node& resource);

}  // namespace onedoor::fhir
