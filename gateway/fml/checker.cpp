#include "fml/checker.h"

#include <map>
#include <string>

namespace onedoor::fml {

namespace {

using Types = std::map<std::string, const fhir::TypeInfo*>;  // variable -> its FHIR type (null: unknown)

class Checker {
 public:
  Checker(const Map& map, const fhir::Model& model) : map_(map), model_(model) {}

  core::Status run() {
    for (const auto& g : map_.groups) {
      Types vars;
      for (const auto& in : g.inputs) vars[in.name] = inputType(in);
      for (const auto& r : g.rules) GW_RETURN_IF_ERROR(rule(g, r, vars));
    }
    return core::Status::ok();
  }

 private:
  // The declared type of an input: a FHIR type by name, or through a `uses` alias whose URL is a
  // core StructureDefinition. Anything else (a logical model, no type) is not checked.
  const fhir::TypeInfo* inputType(const Input& in) const {
    if (in.type.empty()) return nullptr;
    for (const auto& s : map_.structures) {
      if (s.alias == in.type || s.url == in.type) {
        static const std::string kCore = "http://hl7.org/fhir/StructureDefinition/";
        if (s.url.rfind(kCore, 0) != 0) return nullptr;
        return model_.type(s.url.substr(kCore.size()));
      }
    }
    return model_.type(in.type);
  }

  core::Status error(const Group& g, const Rule& r, const Location& at, const std::string& what) const {
    return core::invalid(at.toString() + ": " + what + " (map " + map_.name + ", group " + g.name + ", rule " + r.name + ")");
  }

  // The element `name` of `type` (valueString or the stem value), or null.
  static const fhir::ElementDef* element(const fhir::TypeInfo& type, const std::string& name, const fhir::TypeInfo** chosen) {
    *chosen = nullptr;
    if (const fhir::ElementDef* d = type.resolve(name, chosen)) return d;
    return type.element(name);
  }

  // The type a variable bound to `d` has, when there is only one.
  static const fhir::TypeInfo* single(const fhir::ElementDef& d, const fhir::TypeInfo* chosen) {
    if (chosen != nullptr && d.choice) return chosen;
    if (d.types.size() == 1 && !d.types.front()->abstract) return d.types.front();
    return nullptr;
  }

  core::Status rule(const Group& g, const Rule& r, Types vars) {
    for (const auto& s : r.sources) {
      const fhir::TypeInfo* bound = nullptr;
      auto it = vars.find(s.context);
      const fhir::TypeInfo* ctx = it == vars.end() ? nullptr : it->second;
      if (ctx != nullptr && !s.element.empty()) {
        const fhir::TypeInfo* chosen = nullptr;
        const fhir::ElementDef* d = element(*ctx, s.element, &chosen);
        // A primitive's value is read as `.value`, which is not an element of the model.
        if (d == nullptr && !(ctx->isPrimitive() && s.element == "value")) {
          return error(g, r, s.at, "'" + s.element + "' is not an element of " + ctx->name);
        }
        if (d != nullptr) bound = single(*d, chosen);
        if (d != nullptr && !s.type.empty()) {
          const fhir::TypeInfo* want = model_.type(s.type);
          bool fits = want == nullptr;  // a type the model does not know (a profile name) is not judged
          for (const fhir::TypeInfo* t : d->types) fits = fits || want->isa(t->name) || t->isa(want->name);
          if (!fits) return error(g, r, s.at, ctx->name + "." + s.element + " cannot be a " + s.type);
          if (want != nullptr) bound = want;
        }
      } else if (ctx != nullptr && s.element.empty() && !s.type.empty()) {
        bound = model_.type(s.type);
      }
      if (!s.variable.empty()) vars[s.variable] = bound;
    }
    for (const auto& t : r.targets) GW_RETURN_IF_ERROR(target(g, r, t, vars));
    for (const auto& child : r.rules) GW_RETURN_IF_ERROR(rule(g, child, vars));
    return core::Status::ok();
  }

  core::Status target(const Group& g, const Rule& r, const Target& t, Types& vars) {
    const fhir::TypeInfo* created = nullptr;
    if (t.transform == "create" && !t.parameters.empty() && t.parameters.front().kind == Parameter::Kind::kString) {
      created = model_.type(t.parameters.front().value);
    }
    const fhir::TypeInfo* bound = created;
    auto it = vars.find(t.context);
    const fhir::TypeInfo* ctx = t.context.empty() || it == vars.end() ? nullptr : it->second;
    if (ctx != nullptr && !t.element.empty()) {
      const fhir::TypeInfo* chosen = nullptr;
      const fhir::ElementDef* d = element(*ctx, t.element, &chosen);
      if (d == nullptr && ctx->isPrimitive() && t.element == "value") return core::Status::ok();
      if (d == nullptr) return error(g, r, t.at, "'" + t.element + "' is not an element of " + ctx->name);
      if (created != nullptr) {
        bool fits = false;
        for (const fhir::TypeInfo* et : d->types) fits = fits || created->isa(et->name);
        if (!fits) {
          std::string can;
          for (const fhir::TypeInfo* et : d->types) can += (can.empty() ? "" : " or ") + et->name;
          return error(g, r, t.at, "type mismatch: " + ctx->name + "." + t.element + " holds " + can + ", not " + created->name);
        }
      } else {
        bound = single(*d, chosen);
      }
    }
    if (!t.variable.empty()) vars[t.variable] = bound;
    return core::Status::ok();
  }

  const Map& map_;
  const fhir::Model& model_;
};

}  // namespace

core::Status checkTypes(const Map& map, const fhir::Model& model) { return Checker(map, model).run(); }

core::Status checkConceptMaps(const Map& map, const std::function<bool(const std::string& url)>& known) {
  std::function<core::Status(const Group&, const Rule&)> rule = [&](const Group& g, const Rule& r) -> core::Status {
    for (const auto& t : r.targets) {
      if (t.transform != "translate" || t.parameters.size() < 2 || t.parameters[1].kind != Parameter::Kind::kString) continue;
      const std::string& url = t.parameters[1].value;
      bool found = false;
      if (!url.empty() && url.front() == '#') {
        for (const auto& cm : map.concept_maps) found = found || "#" + cm.id == url || cm.id == url;
      } else {
        found = known(url);
      }
      if (!found) {
        return core::invalid(t.at.toString() + ": unknown ConceptMap '" + url + "'" +
                             (url.empty() || url.front() == '#' ? " (no conceptmap block with that id in the map)"
                                                                : " (no ConceptMap resource with that url beside the map)") +
                             " (map " + map.name + ", group " + g.name + ", rule " + r.name + ")");
      }
    }
    for (const auto& child : r.rules) GW_RETURN_IF_ERROR(rule(g, child));
    return core::Status::ok();
  };
  for (const auto& g : map.groups) {
    for (const auto& r : g.rules) GW_RETURN_IF_ERROR(rule(g, r));
  }
  return core::Status::ok();
}

}  // namespace onedoor::fml
