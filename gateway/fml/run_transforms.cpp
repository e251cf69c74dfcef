// The transforms of the mapping language (create, copy, evaluate, truncate, append, escape, uuid,
// cast, reference, c, cc, id, cp, qty, translate): each gives a value or a type to create.
#include "fml/run.h"

namespace onedoor::fml {

Produced Run::transformValue(const Group& g, const Rule& r, const Target& t, const Scope& scope) {
  Produced p;
  const std::string& f = t.transform;
  auto value = [&](fhirpath::Value v) {
    p.kind = Produced::Kind::kValue;
    p.value = std::move(v);
    return p;
  };
  if (f == "create") {
    p.kind = Produced::Kind::kTarget;
    if (!t.parameters.empty()) p.type = text(g, r, t, 0, scope);
    return p;
  }
  if (f == "copy") {
    if (t.parameters.empty()) fail(g, &r, "copy needs a value");
    return value(param(g, r, t.parameters[0], scope));
  }
  if (f == "evaluate") {
    // evaluate(expr) or evaluate(v, expr)
    fhirpath::Value focus = fhirpath::Value(source_root_);
    const std::string* expr = nullptr;
    if (t.parameters.size() == 1) {
      expr = &t.parameters[0].value;
    } else if (t.parameters.size() >= 2) {
      focus = param(g, r, t.parameters[0], scope);
      expr = &t.parameters[1].value;
    } else {
      fail(g, &r, "evaluate needs an expression");
    }
    auto result = evaluate(g, &r, *expr, focus, scope);
    if (result.empty()) {
      p.kind = Produced::Kind::kNone;
      return p;
    }
    return value(result.front());
  }
  if (f == "truncate") {
    std::string s = text(g, r, t, 0, scope);
    std::size_t n = static_cast<std::size_t>(std::stoul(text(g, r, t, 1, scope)));
    return value(fhirpath::Value::string(s.substr(0, n)));
  }
  if (f == "append") {
    std::string s;
    for (std::size_t i = 0; i < t.parameters.size(); ++i) s += text(g, r, t, i, scope);
    return value(fhirpath::Value::string(s));
  }
  if (f == "escape") return value(fhirpath::Value::string(text(g, r, t, 0, scope)));
  if (f == "uuid") return value(fhirpath::Value::string(newUuid()));
  if (f == "cast") {
    std::string s = text(g, r, t, 0, scope);
    std::string to = t.parameters.size() > 1 ? text(g, r, t, 1, scope) : "string";
    if (to == "integer") return value(fhirpath::Value::integer(std::stoll(s)));
    if (to == "boolean") return value(fhirpath::Value::boolean(s == "true"));
    return value(fhirpath::Value::string(s));
  }
  if (f == "reference") {
    if (t.parameters.empty()) fail(g, &r, "reference needs a resource");
    const Parameter& prm = t.parameters[0];
    auto it = scope.find(prm.value);
    if (prm.kind == Parameter::Kind::kId && it != scope.end()) {
      if (it->second.target) return value(fhirpath::Value::string(referenceOf(*it->second.node)));
      const fhirpath::Value& v = it->second.source;
      if (v.isNode() && v.node()->isResource()) {
        return value(fhirpath::Value::string(v.node()->type->name + "/" +
                                             std::string(v.node()->childValue("id"))));
      }
    }
    fail(g, &r, "reference needs a resource variable");
  }
  if (f == "c" || f == "cc") return coding(g, r, t, scope, p);
  if (f == "id") return identifier(g, r, t, scope, p);
  if (f == "cp") return contactPoint(g, r, t, scope, p);
  if (f == "qty") return quantity(g, r, t, scope, p);
  if (f == "translate") return translate(g, r, t, scope, p);
  fail(g, &r, "the transform " + f + " is not supported by this engine");
}

Produced Run::complex(const std::string& type,
                      const std::vector<std::pair<std::string, std::string>>& fields) {
  const fhir::TypeInfo* ti = model_.type(type);
  fhir::Node n(type, ti, nullptr);
  for (const auto& [k, v] : fields) {
    if (!v.empty()) n.set(k, v);
  }
  arena_.push_back(std::move(n));
  Produced p;
  p.kind = Produced::Kind::kValue;
  p.value = fhirpath::Value(&arena_.back());
  return p;
}

Produced Run::coding(const Group& g, const Rule& r, const Target& t, const Scope& scope, Produced) {
  std::string system = text(g, r, t, 0, scope);
  if (t.transform == "cc" && t.parameters.size() == 1) {
    return complex("CodeableConcept", {{"text", system}});
  }
  std::string code = text(g, r, t, 1, scope);
  std::string display = t.parameters.size() > 2 ? text(g, r, t, 2, scope) : "";
  if (t.transform == "c")
    return complex("Coding", {{"system", system}, {"code", code}, {"display", display}});
  const fhir::TypeInfo* ti = model_.type("CodeableConcept");
  fhir::Node cc("CodeableConcept", ti, nullptr);
  if (fhir::Node* c = cc.add("coding")) {
    c->set("system", system);
    c->set("code", code);
    if (!display.empty()) c->set("display", display);
  }
  arena_.push_back(std::move(cc));
  Produced p;
  p.kind = Produced::Kind::kValue;
  p.value = fhirpath::Value(&arena_.back());
  return p;
}

Produced Run::identifier(const Group& g, const Rule& r, const Target& t, const Scope& scope,
                         Produced) {
  return complex("Identifier",
                 {{"system", text(g, r, t, 0, scope)}, {"value", text(g, r, t, 1, scope)}});
}

Produced Run::contactPoint(const Group& g, const Rule& r, const Target& t, const Scope& scope,
                           Produced) {
  std::string v = text(g, r, t, t.parameters.size() > 1 ? 1 : 0, scope);
  std::string system = t.parameters.size() > 1            ? text(g, r, t, 0, scope)
                       : v.find('@') != std::string::npos ? "email"
                                                          : "phone";
  return complex("ContactPoint", {{"system", system}, {"value", v}});
}

Produced Run::quantity(const Group& g, const Rule& r, const Target& t, const Scope& scope,
                       Produced) {
  if (t.parameters.size() == 1) {
    std::string s = text(g, r, t, 0, scope);
    auto sp = s.find(' ');
    return complex("Quantity", {{"value", s.substr(0, sp)},
                                {"unit", sp == std::string::npos ? "" : s.substr(sp + 1)}});
  }
  return complex("Quantity", {{"value", text(g, r, t, 0, scope)},
                              {"unit", text(g, r, t, 1, scope)},
                              {"system", t.parameters.size() > 2 ? text(g, r, t, 2, scope) : ""},
                              {"code", t.parameters.size() > 3 ? text(g, r, t, 3, scope) : ""}});
}

Produced Run::translate(const Group& g, const Rule& r, const Target& t, const Scope& scope,
                        Produced p) {
  if (t.parameters.size() < 3) fail(g, &r, "translate needs (source, map, output)");
  fhirpath::Value src = param(g, r, t.parameters[0], scope);
  std::string map_url = text(g, r, t, 1, scope);
  std::string output = text(g, r, t, 2, scope);
  std::string system, code;
  if (src.isNode() && src.node()->type != nullptr &&
      (src.node()->type->name == "Coding" || src.node()->type->name == "CodeableConcept")) {
    const fhir::Node* c =
        src.node()->type->name == "Coding" ? src.node() : src.node()->child("coding");
    if (c != nullptr) {
      system = std::string(c->childValue("system"));
      code = std::string(c->childValue("code"));
    }
  } else {
    code = primitiveText(src);
  }
  auto lookup = [this](const std::string& url) -> const fhir::Node* {
    if (auto it = cm_.concept_maps_.find(url); it != cm_.concept_maps_.end()) return &it->second;
    return options_.concept_map ? options_.concept_map(url) : nullptr;
  };
  if (map_url.empty() || (map_url.front() != '#' && lookup(map_url) == nullptr)) {
    fail(g, &r, "translate: no ConceptMap " + map_url);
  }
  auto hit = translateCode(map_, lookup, map_url, system, code);
  if (!hit)
    fail(g, &r,
         "translate: " + map_url + " has no mapping for " + (system.empty() ? "" : system + "|") +
             code);
  // A code the ConceptMap maps to nothing on purpose: no value, and the target is left out.
  if (hit->unmatched) return p;
  std::string to_system = hit->system, to_code = hit->code;
  if (output == "code") {
    p.kind = Produced::Kind::kValue;
    p.value = fhirpath::Value::string(to_code);
    return p;
  }
  if (output == "system") {
    p.kind = Produced::Kind::kValue;
    p.value = fhirpath::Value::string(to_system);
    return p;
  }
  if (output == "display") {
    p.kind = Produced::Kind::kValue;
    p.value = fhirpath::Value::string(hit->display);
    return p;
  }
  if (output == "coding")
    return complex("Coding", {{"system", to_system}, {"code", to_code}, {"display", hit->display}});
  if (output == "CodeableConcept") {
    Target tt;
    tt.transform = "cc";
    tt.parameters = {{Parameter::Kind::kString, to_system}, {Parameter::Kind::kString, to_code}};
    if (!hit->display.empty()) tt.parameters.push_back({Parameter::Kind::kString, hit->display});
    return coding(g, r, tt, scope, p);
  }
  fail(g, &r, "translate: output must be code, system, display, coding or CodeableConcept");
}

}  // namespace onedoor::fml
