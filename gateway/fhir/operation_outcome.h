#pragma once
// OperationOutcome construction from Issues: one issue per problem, with severity, issue type,
// FHIRPath expression, "Line n, Col m" location where known, and the human message.

#include "core/issue.h"
#include "fhir/model.h"
#include "fhir/node.h"

namespace onedoor::fhir {

// An OperationOutcome for `issues`; an empty list gives a single "All OK" information issue.
Node operationOutcome(const Model& model, const core::Issues& issues);

}  // namespace onedoor::fhir
