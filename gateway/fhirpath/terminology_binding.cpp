#include "fhirpath/terminology_binding.h"

namespace onedoor::fhirpath {

MembershipCheck membership(std::shared_ptr<const fhir::Terminology> terminology) {
  return [terminology](const Value& v, std::string_view valueset) -> std::optional<bool> {
    auto check = [&](std::string_view system, std::string_view code) {
      return terminology->contains(valueset, system, code);
    };
    if (!v.isNode()) {
      auto s = v.system();
      if (s && s->kind() == Value::Kind::kString) return check("", s->asString());
      return std::nullopt;
    }
    const fhir::Node& n = *v.node();
    if (n.type == nullptr) return std::nullopt;
    if (n.type->isPrimitive()) return n.has_value ? check("", n.value) : std::nullopt;
    if (n.type->name == "Coding") return check(n.childValue("system"), n.childValue("code"));
    if (n.type->name == "CodeableConcept") {
      bool unknown = false;
      for (const fhir::Node* c : n.childrenNamed("coding")) {
        auto r = check(c->childValue("system"), c->childValue("code"));
        if (r && *r) return true;
        if (!r) unknown = true;
      }
      if (unknown) return std::nullopt;
      return false;
    }
    if (n.type->isa("Quantity")) return check(n.childValue("system"), n.childValue("code"));
    return std::nullopt;
  };
}

}  // namespace onedoor::fhirpath
