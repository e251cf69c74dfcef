#include "fhirpath/expression.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "fhir/codec.h"
#include "fhirpath/nodes.h"
#include "fhirpath/parser.h"
#include "fhirpath/type_check.h"

namespace onedoor::fhirpath {

core::Result<Expression> Expression::compile(std::string_view text, const CompileOptions& options) {
  GW_ASSIGN_OR_RETURN(ExprPtr root, parse(text));
  if (options.model != nullptr && !options.input_type.empty()) {
    GW_RETURN_IF_ERROR(checkTypes(*root, options));
  }
  Expression e;
  e.text_ = std::string(text);
  e.root_ = std::shared_ptr<const Expr>(std::move(root));
  return e;
}

core::Result<Collection> Expression::evaluate(const Collection& input, Environment& env) const {
  Context ctx{env};
  ctx.root = &input;
  try {
    return root_->eval(ctx, input);
  } catch (const std::exception& e) {
    // Every operand is type-checked before use; this is the last line of defence so that an
    // expression can never take the process down.
    return core::internal(std::string("FHIRPath evaluation failed: ") + e.what());
  }
}

core::Result<Collection> Expression::evaluate(const fhir::Node& input, Environment& env) const {
  Collection in{Value(&input)};
  const fhir::Node* saved = env.resource;
  if (env.resource == nullptr) env.resource = &input;
  auto r = evaluate(in, env);
  env.resource = saved;
  return r;
}

core::Result<std::optional<bool>> Expression::test(const fhir::Node& input, Environment& env) const {
  GW_ASSIGN_OR_RETURN(Collection c, evaluate(input, env));
  return singletonBoolean(*root_, c);
}

namespace {

void writeValue(rapidjson::Writer<rapidjson::StringBuffer>& w, const Value& v) {
  if (v.isNode()) {
    const fhir::Node* n = v.node();
    if (n->type != nullptr && !n->isPrimitive()) {
      std::string json = fhir::writeJsonElement(*n);
      w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
      return;
    }
  }
  auto s = v.system();
  if (!s) {
    w.Null();
    return;
  }
  switch (s->kind()) {
    case Value::Kind::kBoolean: w.Bool(s->asBoolean()); return;
    case Value::Kind::kInteger: w.Int64(s->asInteger()); return;
    case Value::Kind::kDecimal: {
      std::string d = s->asDecimal().toString();
      w.RawValue(d.data(), d.size(), rapidjson::kNumberType);
      return;
    }
    default: {
      std::string text = s->toDisplayString().value_or("");
      w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
  }
}

}  // namespace

std::string toJson(const Collection& values) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const auto& v : values) writeValue(w, v);
  w.EndArray();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace onedoor::fhirpath
