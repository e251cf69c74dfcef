#pragma once
// Helpers shared by the functions_*.cpp files.

#include <functional>
#include <string>
#include <vector>

#include "fhirpath/nodes.h"

namespace onedoor::fhirpath {

// Evaluates argument `arg` once per input item with $this and $index set, focus = [item].
// `each` returns false to stop early.
core::Status iterate(Context& ctx, const Collection& input, const CallExpr& call, std::size_t arg,
                     const std::function<core::Result<bool>(std::size_t, const Collection&)>& each);

// The same for any expression (sort() unwraps its -key arguments).
core::Status iterateExpr(Context& ctx, const Collection& input, const Expr& expr,
                         const std::function<core::Result<bool>(std::size_t, const Collection&)>& each);

// The single input item as a System value; nullopt when the input is empty; an error when it
// has several items.
core::Result<std::optional<Value>> singleInput(const CallExpr& call, const Collection& input);
// Argument i evaluated against the input, as a single String/Integer/Decimal/any value.
core::Result<std::optional<std::string>> stringArg(Context& ctx, const CallExpr& call, std::size_t i,
                                                   const Collection& input);
core::Result<std::optional<std::int64_t>> integerArg(Context& ctx, const CallExpr& call, std::size_t i,
                                                     const Collection& input);
core::Result<std::optional<Value>> valueArg(Context& ctx, const CallExpr& call, std::size_t i,
                                            const Collection& input);

inline Collection one(Value v) { return Collection{std::move(v)}; }
inline Collection boolean(bool b) { return Collection{Value::boolean(b)}; }

std::vector<FunctionDef> existenceFunctions();
std::vector<FunctionDef> filteringFunctions();
std::vector<FunctionDef> subsettingFunctions();
std::vector<FunctionDef> conversionFunctions();
std::vector<FunctionDef> stringFunctions();
std::vector<FunctionDef> mathFunctions();
std::vector<FunctionDef> fhirFunctions();
std::vector<FunctionDef> temporalFunctions();

}  // namespace onedoor::fhirpath
