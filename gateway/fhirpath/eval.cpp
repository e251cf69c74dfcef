// Evaluation of the Expr node kinds: navigation, operators, type operators and variables.
#include <algorithm>
#include <cctype>

#include "fhirpath/nodes.h"

namespace onedoor::fhirpath {
namespace {

constexpr int kMaxDepth = 200;

bool startsUpper(const std::string& s) { return !s.empty() && std::isupper(static_cast<unsigned char>(s[0])); }

// The children of `n` an identifier selects: by element name, choice stem, or (leniently) the
// typed choice name (valueQuantity).
void navigate(const fhir::Node& n, const std::string& name, Collection& out) {
  bool found = false;
  for (const auto& c : n.children) {
    if (c.name == name) {
      out.emplace_back(&c);
      found = true;
    }
  }
  if (found || n.type == nullptr) return;
  for (const auto& c : n.children) {
    if (c.def != nullptr && c.def->choice && c.jsonName() == name) out.emplace_back(&c);
  }
}

std::string_view systemKindName(Value::Kind k) {
  switch (k) {
    case Value::Kind::kBoolean: return "Boolean";
    case Value::Kind::kInteger: return "Integer";
    case Value::Kind::kDecimal: return "Decimal";
    case Value::Kind::kString: return "String";
    case Value::Kind::kDate: return "Date";
    case Value::Kind::kDateTime: return "DateTime";
    case Value::Kind::kTime: return "Time";
    case Value::Kind::kQuantity: return "Quantity";
    default: return "";
  }
}

constexpr std::string_view kSystemTypes[] = {"Boolean", "Integer", "Decimal", "String", "Date",
                                             "DateTime", "Time", "Quantity", "Any"};

bool isSystemTypeName(std::string_view n) {
  return std::find(std::begin(kSystemTypes), std::end(kSystemTypes), n) != std::end(kSystemTypes);
}

}  // namespace

core::Status evalError(const Expr& at, const std::string& message) {
  return core::invalid(at.where() + ": " + message, at.where());
}

core::Result<std::optional<bool>> singletonBoolean(const Expr& at, const Collection& c) {
  if (c.empty()) return std::optional<bool>();
  if (c.size() > 1) return evalError(at, "expected a single value but got " + std::to_string(c.size()));
  auto s = c.front().system();
  if (s && s->kind() == Value::Kind::kBoolean) return std::optional<bool>(s->asBoolean());
  return std::optional<bool>(true);
}

bool knownType(const std::string& type, const fhir::Model* model) {
  std::string ns, name = type;
  if (auto dot = type.find('.'); dot != std::string::npos) {
    ns = type.substr(0, dot);
    name = type.substr(dot + 1);
  }
  if (ns == "System") return true;  // System.Patient is a valid name that nothing is
  bool fhir_ok = model == nullptr ? !name.empty() : model->type(name) != nullptr;
  if (ns == "FHIR") return fhir_ok;
  if (!ns.empty()) return false;
  return isSystemTypeName(name) || fhir_ok;
}

bool isOfType(const Value& v, const std::string& type, bool exact, bool primitives_as_system) {
  std::string ns, name = type;
  if (auto dot = type.find('.'); dot != std::string::npos) {
    ns = type.substr(0, dot);
    name = type.substr(dot + 1);
  }
  if (v.isNode()) {
    const fhir::Node* n = v.node();
    if (n->type == nullptr) return false;
    if (primitives_as_system && ns.empty() && n->type->isPrimitive() && n->type->system_type == name) return true;
    if (ns == "System") return false;
    const fhir::TypeInfo* t = n->type;
    if (t->kind == fhir::TypeKind::kBackbone) t = t->base;
    if (t == nullptr) return false;
    if (exact) return t->name == name;
    return t->isa(name);
  }
  if (ns == "FHIR") return false;
  return systemKindName(v.kind()) == name;
}

core::Result<Collection> MemberExpr::eval(Context& ctx, const Collection& focus) const {
  Collection input_store;
  const Collection* input = &focus;
  if (target_) {
    GW_ASSIGN_OR_RETURN(input_store, target_->eval(ctx, focus));
    input = &input_store;
  }
  Collection out;
  bool type_name = startsUpper(name_);
  for (const auto& item : *input) {
    if (item.kind() == Value::Kind::kTypeName) {  // type().name, type().namespace
      if (name_ == "name") out.push_back(Value::string(item.asTypeName().name));
      if (name_ == "namespace") out.push_back(Value::string(item.asTypeName().ns));
      continue;
    }
    if (!item.isNode()) continue;
    const fhir::Node* n = item.node();
    if (ctx.env.primitive_value_member && name_ == "value" && n->isPrimitive()) {
      out.push_back(item);
      continue;
    }
    // A type name selects the items of that type (Patient.name on a Patient).
    if (type_name && n->type != nullptr && (n->isResource() || !target_) && n->type->isa(name_)) {
      out.push_back(item);
      continue;
    }
    navigate(*n, name_, out);
  }
  return out;
}

std::optional<std::string> MemberExpr::qualifiedName() const {
  if (!target_) return name_;
  auto prefix = target_->qualifiedName();
  if (!prefix) return std::nullopt;
  return *prefix + "." + name_;
}

core::Result<Collection> CallExpr::eval(Context& ctx, const Collection& focus) const {
  if (++ctx.depth > kMaxDepth) {
    --ctx.depth;
    return evalError(*this, "expression nests too deeply");
  }
  Collection input_store;
  const Collection* input = &focus;
  if (target_) {
    auto r = target_->eval(ctx, focus);
    if (!r.isOk()) {
      --ctx.depth;
      return r;
    }
    input_store = std::move(r).value();
    input = &input_store;
  }
  auto result = fn_->impl(ctx, *input, *this);
  --ctx.depth;
  return result;
}

core::Result<Collection> IndexerExpr::eval(Context& ctx, const Collection& focus) const {
  GW_ASSIGN_OR_RETURN(Collection items, target_->eval(ctx, focus));
  GW_ASSIGN_OR_RETURN(Collection index, index_->eval(ctx, focus));
  if (index.empty()) return Collection{};
  auto i = index.front().system();
  if (index.size() != 1 || !i || i->kind() != Value::Kind::kInteger) {
    return evalError(*this, "an index must be a single Integer");
  }
  std::int64_t k = i->asInteger();
  if (k < 0 || k >= static_cast<std::int64_t>(items.size())) return Collection{};
  return Collection{items[static_cast<std::size_t>(k)]};
}

core::Result<Collection> UnaryExpr::eval(Context& ctx, const Collection& focus) const {
  GW_ASSIGN_OR_RETURN(Collection c, operand_->eval(ctx, focus));
  if (c.empty()) return c;
  if (c.size() > 1) return evalError(*this, "unary " + std::string(1, op_) + " needs a single value");
  auto v = c.front().system();
  if (!v) return evalError(*this, "unary " + std::string(1, op_) + " needs a number or quantity");
  if (op_ == '+') {
    if (v->kind() == Value::Kind::kInteger || v->kind() == Value::Kind::kDecimal ||
        v->kind() == Value::Kind::kQuantity) {
      return Collection{*v};
    }
    return evalError(*this, "unary + needs a number or quantity");
  }
  switch (v->kind()) {
    case Value::Kind::kInteger: return Collection{Value::integer(-v->asInteger())};
    case Value::Kind::kDecimal: return Collection{Value::decimal(v->asDecimal().negated())};
    case Value::Kind::kQuantity: {
      Quantity q = v->asQuantity();
      q.value = q.value.negated();
      return Collection{Value::quantity(q)};
    }
    default: return evalError(*this, "unary - needs a number or quantity");
  }
}

core::Result<Collection> TypeExpr::eval(Context& ctx, const Collection& focus) const {
  GW_ASSIGN_OR_RETURN(Collection c, operand_->eval(ctx, focus));
  if (!knownType(type_, ctx.env.model)) return evalError(*this, "unknown type '" + type_ + "'");
  if (c.empty()) return c;
  if (c.size() > 1) {
    return evalError(*this, std::string(is_ ? "is" : "as") + " needs a single value (got " +
                                std::to_string(c.size()) + ")");
  }
  bool lenient = ctx.env.primitives_as_system_types;
  if (is_) return Collection{Value::boolean(isOfType(c.front(), type_, false, lenient))};
  if (isOfType(c.front(), type_, true, lenient)) return c;
  return Collection{};
}

core::Result<Collection> VariableExpr::eval(Context& ctx, const Collection& focus) const {
  (void)focus;
  switch (which_) {
    case Which::kThis:
      if (ctx.this_item != nullptr) return Collection{*ctx.this_item};
      return ctx.root != nullptr ? *ctx.root : Collection{};
    case Which::kIndex: return Collection{Value::integer(ctx.index)};
    case Which::kTotal: return ctx.total != nullptr ? *ctx.total : Collection{};
    case Which::kExternal: break;
  }
  const Environment& env = ctx.env;
  if (auto it = env.variables.find(name_); it != env.variables.end()) return it->second;
  if (name_ == "resource") {
    if (env.resource != nullptr) return Collection{Value(env.resource)};
    return ctx.root != nullptr ? *ctx.root : Collection{};
  }
  if (name_ == "rootResource") {
    if (env.root_resource != nullptr) return Collection{Value(env.root_resource)};
    if (env.resource != nullptr) return Collection{Value(env.resource)};
    return ctx.root != nullptr ? *ctx.root : Collection{};
  }
  if (name_ == "context") return ctx.root != nullptr ? *ctx.root : Collection{};
  if (name_ == "ucum") return Collection{Value::string("http://unitsofmeasure.org")};
  if (name_ == "sct") return Collection{Value::string("http://snomed.info/sct")};
  if (name_ == "loinc") return Collection{Value::string("http://loinc.org")};
  if (name_.rfind("vs-", 0) == 0) return Collection{Value::string("http://hl7.org/fhir/ValueSet/" + name_.substr(3))};
  if (name_.rfind("ext-", 0) == 0) {
    return Collection{Value::string("http://hl7.org/fhir/StructureDefinition/" + name_.substr(4))};
  }
  return evalError(*this, "unknown variable %" + name_);
}

}  // namespace onedoor::fhirpath
