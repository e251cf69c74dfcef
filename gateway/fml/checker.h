#pragma once
// Checks a map against the FHIR model before it runs, so that an integrator's typo is found when
// the map loads and not on the first message: every element a rule reads from or writes to a
// variable of a known FHIR type must be an element of that type, and what create('T') puts into
// an element must be a type the element can hold. Variables of other formats (HL7 v2, CSV, a
// system's own JSON or XML) and of types that cannot be known before running are not checked.
// Errors say file:line:col, the group and the rule.

#include <functional>
#include <string>

#include "core/status.h"
#include "fhir/model.h"
#include "fml/ast.h"

namespace onedoor::fml {

core::Status checkTypes(const Map& map, const fhir::Model& model);

// Every translate() names a ConceptMap that exists: '#id' one written in the map, a URL one that
// `known` says will be there.
core::Status checkConceptMaps(const Map& map, const std::function<bool(const std::string& url)>& known);

}  // namespace onedoor::fml
