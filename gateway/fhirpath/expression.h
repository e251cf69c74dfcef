#pragma once
// Expression: a compiled FHIRPath expression — the public face of the engine. Compile once
// (parse + checks against the model when the input type is known), then evaluate any number of
// times from any number of threads; evaluation never re-parses.
//
//   auto e = Expression::compile("Patient.name.where(use = 'official').given", {&model, "Patient"});
//   Environment env;
//   auto names = e->evaluate(patient_node, env);

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "fhirpath/environment.h"
#include "fhirpath/value.h"

namespace onedoor::fhirpath {

class Expr;

struct CompileOptions {
  const fhir::Model* model = nullptr;
  std::string input_type;  // the FHIR type of the input, when known ("Patient")
  // Strict mode: choice elements must be named by their stem (value, not valueQuantity) and
  // type filters that cannot match are errors.
  bool strict = false;
};

class Expression {
 public:
  // Syntax errors and type errors carry "line:col" in the status expression.
  static core::Result<Expression> compile(std::string_view text, const CompileOptions& options = {});

  core::Result<Collection> evaluate(const Collection& input, Environment& env) const;
  // Evaluates on a resource (or element); %resource defaults to it.
  core::Result<Collection> evaluate(const fhir::Node& input, Environment& env) const;
  // Evaluates as a predicate: empty → nullopt, otherwise the singleton-Boolean reading.
  core::Result<std::optional<bool>> test(const fhir::Node& input, Environment& env) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::shared_ptr<const Expr> root_;
};

// The result as a JSON array (the CLI's output): complex elements as FHIR JSON objects, Booleans
// and numbers as JSON values, strings/codes/dates as strings in FHIR form, quantities as
// "<value> '<unit>'".
std::string toJson(const Collection& values);

}  // namespace onedoor::fhirpath
