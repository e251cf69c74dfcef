#include "fhirpath/value.h"

namespace onedoor::fhirpath {

Value::Kind Value::kind() const {
  switch (v_.index()) {
    case 0: return Kind::kNode;
    case 1: return Kind::kBoolean;
    case 2: return Kind::kInteger;
    case 3: return Kind::kDecimal;
    case 4: return Kind::kString;
    case 5: {
      switch (std::get<Temporal>(v_).kind) {
        case Temporal::Kind::kDate: return Kind::kDate;
        case Temporal::Kind::kDateTime: return Kind::kDateTime;
        case Temporal::Kind::kTime: return Kind::kTime;
      }
      return Kind::kDate;
    }
    case 6: return Kind::kQuantity;
    default: return Kind::kTypeName;
  }
}

std::optional<Value> Value::system() const {
  if (!isNode()) return *this;
  const fhir::Node* n = node();
  if (n->type == nullptr) {
    // Untyped trees (HL7 v2, CSV ...): leaves are strings.
    if (n->has_value && n->children.empty()) return Value::string(n->value);
    return std::nullopt;
  }
  const fhir::TypeInfo* t = n->type;
  if (t->isPrimitive()) {
    if (!n->has_value) return std::nullopt;
    const std::string& st = t->system_type;
    if (st == "Boolean") {
      if (n->value == "true") return Value::boolean(true);
      if (n->value == "false") return Value::boolean(false);
      return std::nullopt;
    }
    if (st == "Integer") {
      char* end = nullptr;
      long long v = std::strtoll(n->value.c_str(), &end, 10);
      if (end == n->value.c_str() || *end != '\0') return std::nullopt;
      return Value::integer(v);
    }
    if (st == "Decimal") {
      auto d = Decimal::parse(n->value);
      return d ? std::optional<Value>(Value::decimal(*d)) : std::nullopt;
    }
    if (st == "Date" || st == "DateTime" || st == "Time") {
      auto tm = Temporal::parseFhir(t->name, n->value);
      return tm ? std::optional<Value>(Value::temporal(*tm)) : std::nullopt;
    }
    return Value::string(n->value);
  }
  if (t->isa("Quantity")) {
    const fhir::Node* v = n->child("value");
    if (v == nullptr || !v->has_value) return std::nullopt;
    auto d = Decimal::parse(v->value);
    if (!d) return std::nullopt;
    Quantity q;
    q.value = *d;
    std::string_view code = n->childValue("code");
    std::string_view system = n->childValue("system");
    if (!code.empty() && (system.empty() || system == "http://unitsofmeasure.org")) {
      q.unit = std::string(code);
    } else if (auto cal = calendarUnit(n->childValue("unit")); cal && code.empty()) {
      q.unit = *cal;
      q.calendar = true;
    } else if (!n->childValue("unit").empty()) {
      q.unit = std::string(n->childValue("unit"));
    }
    return Value::quantity(std::move(q));
  }
  return std::nullopt;
}

TypeName Value::type() const {
  switch (kind()) {
    case Kind::kNode: {
      const fhir::Node* n = node();
      if (n->type == nullptr) return {"System", "Any"};
      std::string name = n->type->name;
      // Backbone elements report the FHIR type they are (BackboneElement/Element).
      if (n->type->kind == fhir::TypeKind::kBackbone && n->type->base != nullptr) name = n->type->base->name;
      return {"FHIR", name};
    }
    case Kind::kBoolean: return {"System", "Boolean"};
    case Kind::kInteger: return {"System", "Integer"};
    case Kind::kDecimal: return {"System", "Decimal"};
    case Kind::kString: return {"System", "String"};
    case Kind::kDate: return {"System", "Date"};
    case Kind::kDateTime: return {"System", "DateTime"};
    case Kind::kTime: return {"System", "Time"};
    case Kind::kQuantity: return {"System", "Quantity"};
    case Kind::kTypeName: return {"System", "TypeInfo"};
  }
  return {"System", "Any"};
}

std::optional<std::string> Value::toDisplayString() const {
  // FHIR primitives print in their own lexical form (1.50, 2016-03-28).
  if (isNode() && node()->isPrimitive() && node()->has_value && node()->type->name != "boolean") {
    return node()->value;
  }
  auto s = system();
  if (!s) return std::nullopt;
  switch (s->kind()) {
    case Kind::kBoolean: return std::string(s->asBoolean() ? "true" : "false");
    case Kind::kInteger: return std::to_string(s->asInteger());
    case Kind::kDecimal: return s->asDecimal().toString();
    case Kind::kString: return s->asString();
    case Kind::kDate:
    case Kind::kDateTime:
    case Kind::kTime: return s->asTemporal().toString();
    case Kind::kQuantity: return s->asQuantity().toString();
    case Kind::kTypeName: return s->asTypeName().ns + "." + s->asTypeName().name;
    case Kind::kNode: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace onedoor::fhirpath
