// Value-level checks of one element: fixed and pattern values, primitive formats and limits,
// and terminology bindings.
#include <algorithm>
#include <regex>

#include "fhirpath/operators.h"
#include "stages/validate/primitive_formats.h"
#include "stages/validate/walker.h"

namespace onedoor::stages::validate {
namespace {

using core::Severity;

// Longest value given to the definitions' regexes: libstdc++'s matcher recurses per character.
constexpr std::size_t kRegexLimit = 1024;

std::size_t codePoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string describe(const fhir::Node& v) {
  if (v.isPrimitive()) return v.type->name + " '" + v.value + "'";
  return v.type != nullptr ? "the " + v.type->name + " given by the profile" : "the value given by the profile";
}

enum class Member { kYes, kNo, kUnknown };

Member member(const fhir::Terminology& tx, const std::string& vs, std::string_view system, std::string_view code) {
  auto r = tx.contains(vs, system, code);
  if (!r) return Member::kUnknown;
  return *r ? Member::kYes : Member::kNo;
}

}  // namespace

bool sameValue(const fhir::Node& value, const fhir::Node& fixed) {
  if (value.type != fixed.type || value.has_value != fixed.has_value || value.value != fixed.value) return false;
  if (value.children.size() != fixed.children.size()) return false;
  for (std::size_t i = 0; i < value.children.size(); ++i) {
    if (value.children[i].name != fixed.children[i].name) return false;
    if (!sameValue(value.children[i], fixed.children[i])) return false;
  }
  return true;
}

bool matchesPattern(const fhir::Node& value, const fhir::Node& pattern) {
  if (pattern.type != nullptr && value.type != nullptr && pattern.type != value.type) return false;
  if (pattern.has_value && (!value.has_value || value.value != pattern.value)) return false;
  for (const auto& p : pattern.children) {
    bool found = std::any_of(value.children.begin(), value.children.end(), [&](const fhir::Node& v) {
      return v.name == p.name && matchesPattern(v, p);
    });
    if (!found) return false;
  }
  return true;
}

void Walker::values(const fhir::Node& node, const ElementSpec& e, const Location& at) {
  if (e.fixed && !sameValue(node, *e.fixed)) {
    report(Severity::kError, "value", at, node, e.id + ": the value must be exactly " + describe(*e.fixed));
  }
  if (e.pattern && !matchesPattern(node, *e.pattern)) {
    report(Severity::kError, "value", at, node, e.id + ": the value must match " + describe(*e.pattern));
  }
  if (node.isPrimitive()) primitive(node, e, at);
  if (node.type != nullptr && node.type->name == "Quantity") limits(node, e, at);
  if (!e.binding_valueset.empty() && e.binding_strength != "example") binding(node, e, at);
  if (node.type != nullptr && node.type->kind == fhir::TypeKind::kComplex) datatypeRules(node, at);
}

void Walker::primitive(const fhir::Node& node, const ElementSpec& e, const Location& at) {
  if (!node.has_value) return;
  const std::string& type = node.type->name;
  if (node.value.empty()) {
    report(Severity::kError, "value", at, node, "the value cannot be empty");
    return;
  }
  // The definitions' formats: built in for the R4 primitives, the regex for any other type.
  auto ok = primitiveFormatOk(type, node.value);
  if (!ok && node.value.size() <= kRegexLimit) {
    if (const std::regex* re = ps_.primitiveRegex(type); re != nullptr) ok = std::regex_match(node.value, *re);
  }
  if (ok && !*ok) {
    report(Severity::kError, "value", at, node, "the value is not a valid " + type);
    return;
  }
  if (e.max_length && codePoints(node.value) > *e.max_length) {
    report(Severity::kError, "value", at, node,
           e.id + ": the value is longer than the maximum length of " + std::to_string(*e.max_length));
  }
  limits(node, e, at);
}

void Walker::limits(const fhir::Node& node, const ElementSpec& e, const Location& at) {
  auto bound = [&](const std::shared_ptr<const fhir::Node>& limit, bool lower) {
    if (!limit) return;
    // Quantities compare after UCUM conversion; incomparable units are left alone.
    auto c = fhirpath::compareItems(fhirpath::Value(&node), fhirpath::Value(limit.get()));
    if (!c.isOk() || !c->has_value()) return;
    if (lower ? **c < 0 : **c > 0) {
      report(Severity::kError, "value", at, node,
             e.id + ": the value is " + (lower ? "below the minimum" : "above the maximum") + " the profile allows");
    }
  };
  bound(e.min_value, true);
  bound(e.max_value, false);
}

void Walker::binding(const fhir::Node& node, const ElementSpec& e, const Location& at) {
  const auto& tx = ps_.terminology();
  const std::string& type = node.type != nullptr ? node.type->name : std::string();
  const std::string& vs = e.binding_valueset;
  Member result = Member::kUnknown;
  bool checked = true;
  if (node.isPrimitive()) {
    if (!node.has_value) {
      if (e.binding_strength == "required") {
        report(Severity::kError, "code-invalid", at, node,
               e.id + ": no code given, and a code from the required value set " + vs + " is needed");
      }
      return;
    }
    result = member(tx, vs, "", node.value);
  } else if (type == "Coding" || type == "Quantity") {
    std::string_view code = node.childValue("code");
    if (code.empty()) return;
    result = member(tx, vs, node.childValue("system"), code);
  } else if (type == "CodeableConcept") {
    auto codings = node.childrenNamed("coding");
    bool any_unknown = false;
    result = Member::kNo;
    for (const fhir::Node* c : codings) {
      Member m = member(tx, vs, c->childValue("system"), c->childValue("code"));
      if (m == Member::kYes) {
        result = Member::kYes;
        break;
      }
      any_unknown = any_unknown || m == Member::kUnknown;
    }
    if (result != Member::kYes && any_unknown) result = Member::kUnknown;
    if (codings.empty()) {
      if (e.binding_strength == "required") {
        report(Severity::kError, "code-invalid", at, node,
               e.id + ": no code given, and a code from the required value set " + vs + " is needed");
      }
      return;
    }
  } else {
    checked = false;
  }
  if (!checked || result == Member::kYes) return;
  if (result == Member::kUnknown) {
    if (e.binding_strength == "required") {
      report(Severity::kInformation, "not-supported", at, node,
             e.id + ": the code could not be checked against value set " + vs + " (not available offline)");
    }
    return;
  }
  Severity sev = e.binding_strength == "required"     ? Severity::kError
                 : e.binding_strength == "extensible" ? Severity::kWarning
                                                      : Severity::kInformation;
  // One binding on a choice of many types (vitalsigns' component.value[x] bound to UCUM
  // units) cannot mean the same for each type: outside it is worth a warning, not a rejection.
  if (e.choice && e.types.size() > 1 && sev == Severity::kError) sev = Severity::kWarning;
  report(sev, "code-invalid", at, node,
         e.id + ": the code is not in the value set " + vs + " (" + e.binding_strength + " binding)");
}

}  // namespace onedoor::stages::validate
