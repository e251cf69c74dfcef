#pragma once
// Compile-time checks of an expression against the FHIR model when the input type is known:
// navigation to elements a type does not have, choice elements named by type in strict mode,
// and type filters that can never match. Errors carry line:col.

#include "core/status.h"
#include "fhirpath/expr.h"
#include "fhirpath/expression.h"

namespace onedoor::fhirpath {

core::Status checkTypes(const Expr& root, const CompileOptions& options);

}  // namespace onedoor::fhirpath
