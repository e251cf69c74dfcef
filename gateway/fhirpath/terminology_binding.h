#pragma once
// memberOf() backed by the gateway's Terminology: a code (with its element's system, if any), a
// Coding, or a CodeableConcept (any of its codings) is a member when the value set holds it.

#include "fhir/terminology.h"
#include "fhirpath/environment.h"

namespace onedoor::fhirpath {

MembershipCheck membership(std::shared_ptr<const fhir::Terminology> terminology);

}  // namespace onedoor::fhirpath
