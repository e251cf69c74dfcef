#pragma once
// The compiled form of a FHIRPath expression: an immutable tree of Expr nodes built once by the
// parser and evaluated many times, from any number of threads (each with its own Context).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "fhirpath/environment.h"
#include "fhirpath/value.h"

namespace onedoor::fhirpath {

// Per-evaluation state: the environment plus the iteration variables of the enclosing function.
struct Context {
  Environment& env;
  const Collection* root = nullptr;  // %context, and $this at the top level
  const Value* this_item = nullptr;  // $this inside where/select/...
  std::int64_t index = 0;            // $index
  const Collection* total = nullptr; // $total inside aggregate
  int depth = 0;                     // recursion guard
};

class Expr {
 public:
  Expr(std::uint32_t line, std::uint32_t column) : line_(line), column_(column) {}
  virtual ~Expr() = default;
  // Evaluates with `focus` as the input collection.
  virtual core::Result<Collection> eval(Context& ctx, const Collection& focus) const = 0;
  // The dotted name this expression spells when it is a type specifier (FHIR.Patient), if any.
  virtual std::optional<std::string> qualifiedName() const { return std::nullopt; }
  std::uint32_t line() const { return line_; }
  std::uint32_t column() const { return column_; }
  // "line:col" for messages.
  std::string where() const { return std::to_string(line_) + ":" + std::to_string(column_); }

 private:
  std::uint32_t line_;
  std::uint32_t column_;
};

using ExprPtr = std::unique_ptr<const Expr>;

// An execution error at an expression's position.
core::Status evalError(const Expr& at, const std::string& message);

}  // namespace onedoor::fhirpath
