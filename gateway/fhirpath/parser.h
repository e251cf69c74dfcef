#pragma once
// The FHIRPath parser: text → compiled Expr tree. Syntax errors carry line:column.

#include <string_view>

#include "core/status.h"
#include "fhirpath/expr.h"

namespace onedoor::fhirpath {

core::Result<ExprPtr> parse(std::string_view text);

}  // namespace onedoor::fhirpath
