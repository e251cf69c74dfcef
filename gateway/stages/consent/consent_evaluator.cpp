#include "stages/consent/consent_evaluator.h"

#include <algorithm>

namespace onedoor::stages::consent {
namespace {

constexpr std::string_view kOds = "https://fhir.nhs.uk/Id/ods-organization-code";
constexpr std::string_view kPartnerId = "https://onedoor.dev/fhir/Id/partner";
constexpr std::string_view kSector = "https://onedoor.dev/fhir/CodeSystem/ics-sector";
constexpr std::string_view kNormal = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality|N";

enum class Says { kNothing, kPermit, kDeny };

struct Context {
  const Requester& who;
  const fhir::Node* resource;
  const std::string& type;
  const std::string& action;
  const std::string& now;
  const OdsLookup& ods;
  const std::vector<std::string>& labels;
  bool label_permit = false;  // an applying permit names one of the resource's labels
};

std::string codingKey(const fhir::Node& c) {
  return std::string(c.childValue("system")) + "|" + std::string(c.childValue("code"));
}

bool within(const fhir::Node* period, const std::string& when) {
  if (period == nullptr || when.empty()) return true;
  std::string_view start = period->childValue("start"), end = period->childValue("end");
  if (!start.empty() && when < start) return false;
  if (!end.empty() && when.substr(0, end.size()) > end) return false;
  return true;
}

// The clinical date of a resource, for dataPeriod: the first of the usual date elements.
std::string resourceDate(const fhir::Node& r) {
  for (const char* name : {"effective", "authoredOn", "recordedDate", "issued", "date", "onset", "occurrence", "period"}) {
    const fhir::Node* n = r.child(name);
    if (n == nullptr) continue;
    if (n->has_value) return n->value;
    if (!n->childValue("start").empty()) return std::string(n->childValue("start"));
  }
  if (const fhir::Node* meta = r.child("meta")) return std::string(meta->childValue("lastUpdated"));
  return {};
}

bool actorMatches(const fhir::Node& prov, const Context& c) {
  auto actors = prov.childrenNamed("actor");
  if (actors.empty()) return true;
  for (const fhir::Node* a : actors) {
    const fhir::Node* ref = a->child("reference");
    if (ref == nullptr) continue;
    if (const fhir::Node* id = ref->child("identifier")) {
      std::string_view system = id->childValue("system"), value = id->childValue("value");
      if (system == kOds && !c.who.ods.empty() && value == c.who.ods) return true;
      if (system == kPartnerId && value == c.who.partner) return true;
      if (system == kSector && value == c.who.sector) return true;
    }
    std::string_view reference = ref->childValue("reference");
    if (!reference.empty() && c.ods && !c.who.ods.empty()) {
      auto ods = c.ods(std::string(reference));
      if (ods && *ods == c.who.ods) return true;
    }
  }
  return false;
}

bool actionMatches(const fhir::Node& prov, const Context& c) {
  auto actions = prov.childrenNamed("action");
  if (actions.empty()) return true;
  static const std::vector<std::string> kRead = {"access", "use", "disclose"};
  static const std::vector<std::string> kWrite = {"correct", "collect"};
  const auto& wanted = c.action == "correct" ? kWrite : kRead;
  for (const fhir::Node* a : actions) {
    for (const fhir::Node* coding : a->childrenNamed("coding")) {
      if (std::find(wanted.begin(), wanted.end(), coding->childValue("code")) != wanted.end()) return true;
    }
  }
  return false;
}

bool purposeMatches(const fhir::Node& prov, const Context& c) {
  auto purposes = prov.childrenNamed("purpose");
  if (purposes.empty()) return true;
  return std::any_of(purposes.begin(), purposes.end(), [&](const fhir::Node* p) { return p->childValue("code") == c.who.purpose; });
}

bool classMatches(const fhir::Node& prov, const Context& c) {
  auto classes = prov.childrenNamed("class");
  if (classes.empty()) return true;
  return std::any_of(classes.begin(), classes.end(), [&](const fhir::Node* k) { return k->childValue("code") == c.type; });
}

bool codeMatches(const fhir::Node& prov, const Context& c) {
  auto codes = prov.childrenNamed("code");
  if (codes.empty()) return true;
  if (c.resource == nullptr) return false;
  const fhir::Node* rc = c.resource->child("code");
  if (rc == nullptr) return false;
  for (const fhir::Node* want : codes) {
    for (const fhir::Node* wc : want->childrenNamed("coding")) {
      for (const fhir::Node* have : rc->childrenNamed("coding")) {
        if (codingKey(*wc) == codingKey(*have)) return true;
      }
    }
  }
  return false;
}

bool labelMatches(const fhir::Node& prov, const Context& c) {
  auto wanted = prov.childrenNamed("securityLabel");
  if (wanted.empty()) return true;
  for (const fhir::Node* w : wanted) {
    std::string key = codingKey(*w);
    if (std::find(c.labels.begin(), c.labels.end(), key) != c.labels.end()) return true;
    // A resource without a confidentiality label is normal (N).
    bool has_confidentiality = std::any_of(c.labels.begin(), c.labels.end(), [](const std::string& l) {
      return l.rfind("http://terminology.hl7.org/CodeSystem/v3-Confidentiality|", 0) == 0;
    });
    if (key == kNormal && !has_confidentiality) return true;
  }
  return false;
}

bool applies(const fhir::Node& prov, const Context& c) {
  if (!within(prov.child("period"), c.now)) return false;
  if (const fhir::Node* dp = prov.child("dataPeriod")) {
    if (c.resource == nullptr || !within(dp, resourceDate(*c.resource))) return false;
  }
  return actorMatches(prov, c) && actionMatches(prov, c) && purposeMatches(prov, c) && classMatches(prov, c) &&
         codeMatches(prov, c) && labelMatches(prov, c);
}

// The deepest applying provision under `prov` decides; `path` names it.
Says walk(const fhir::Node& prov, const std::string& here, Context& c, std::string& path, Says inherited) {
  if (!applies(prov, c)) return Says::kNothing;
  std::string_view type = prov.childValue("type");
  Says says = type == "deny" ? Says::kDeny : type == "permit" ? Says::kPermit : inherited;
  path = here;
  // A permit clears sensitive labels only when it names one the resource carries.
  if (says == Says::kPermit) {
    for (const fhir::Node* l : prov.childrenNamed("securityLabel")) {
      if (std::find(c.labels.begin(), c.labels.end(), codingKey(*l)) != c.labels.end()) c.label_permit = true;
    }
  }
  std::size_t i = 0;
  for (const fhir::Node* child : prov.childrenNamed("provision")) {
    std::string child_path;
    Says r = walk(*child, here + ".provision[" + std::to_string(i++) + "]", c, child_path, says);
    if (r != Says::kNothing) {
      says = r;
      path = child_path;
    }
  }
  return says;
}

bool isPrivacyConsent(const fhir::Node& consent) {
  if (consent.childValue("status") != "active") return false;
  const fhir::Node* scope = consent.child("scope");
  if (scope == nullptr) return false;
  for (const fhir::Node* c : scope->childrenNamed("coding")) {
    if (c->childValue("code") == "patient-privacy") return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> ConsentEvaluator::labels(const fhir::Node& resource) {
  std::vector<std::string> out;
  if (const fhir::Node* meta = resource.child("meta")) {
    for (const fhir::Node* s : meta->childrenNamed("security")) out.push_back(codingKey(*s));
  }
  return out;
}

bool ConsentEvaluator::isOptOut(const fhir::Node& consent) const {
  if (policy_->opt_out_policy.empty() || consent.childValue("status") != "active") return false;
  const fhir::Node* rule = consent.child("policyRule");
  if (rule == nullptr) return false;
  for (const fhir::Node* c : rule->childrenNamed("coding")) {
    if (codingKey(*c) == policy_->opt_out_policy) return true;
  }
  return false;
}

Decision ConsentEvaluator::consentsSay(const Requester& who, const fhir::Node* resource, const std::string& type,
                                       const std::vector<const fhir::Node*>& consents, const std::string& action,
                                       const std::string& now, const OdsLookup& ods, bool& any_permit_label,
                                       const std::vector<std::string>& labels) const {
  Decision permit, deny;
  bool permitted = false, denied = false;
  for (const fhir::Node* consent : consents) {
    if (!isPrivacyConsent(*consent) || isOptOut(*consent)) continue;
    const fhir::Node* root = consent->child("provision");
    if (root == nullptr) continue;
    Context c{who, resource, type, action, now, ods, labels};
    std::string path;
    Says says = walk(*root, "provision", c, path, Says::kNothing);
    std::string id = "Consent/" + std::string(consent->childValue("id"));
    if (says == Says::kDeny && !denied) {
      denied = true;
      deny.consent = id;
      deny.provision = path;
    } else if (says == Says::kPermit && !permitted) {
      permitted = true;
      permit.consent = id;
      permit.provision = path;
      any_permit_label = any_permit_label || c.label_permit;
    }
  }
  if (denied) {
    deny.effect = Decision::Effect::kDeny;
    deny.rule = "consent-deny";
    deny.reason = "the patient's consent (" + deny.consent + ", " + deny.provision + ") denies this";
    return deny;
  }
  if (permitted) {
    permit.effect = Decision::Effect::kPermit;
    permit.rule = "consent-permit";
    return permit;
  }
  Decision none;
  none.rule = "";
  return none;
}

Decision ConsentEvaluator::decideForType(const Requester& who, const std::string& type,
                                         const std::vector<const fhir::Node*>& consents, const std::string& action,
                                         const std::string& now, const OdsLookup& ods) const {
  return decideWith(who, type, nullptr, consents, action, now, ods);
}

Decision ConsentEvaluator::decide(const Requester& who, const fhir::Node& resource,
                                  const std::vector<const fhir::Node*>& consents, const std::string& action,
                                  const std::string& now, const OdsLookup& ods) const {
  return decideWith(who, resource.type != nullptr ? resource.type->name : "", &resource, consents, action, now, ods);
}

Decision ConsentEvaluator::decideWith(const Requester& who, const std::string& type, const fhir::Node* resource,
                                      const std::vector<const fhir::Node*>& consents, const std::string& action,
                                      const std::string& now, const OdsLookup& ods) const {
  Decision d;
  // 1. The policy rule for the sector and purpose.
  const PolicyRule* rule = policy_->rule(who.sector, who.purpose, who.partner);
  if (rule == nullptr || rule->access == "none") {
    d.rule = "no-rule";
    d.reason = "no rule of policy " + policy_->version + " lets a " + who.sector + " partner have data for purpose " + who.purpose;
    return d;
  }
  // 2. The national data opt-out, for secondary use only.
  if (rule->national_opt_out) {
    for (const fhir::Node* c : consents) {
      if (isOptOut(*c)) {
        d.rule = "national-data-opt-out";
        d.consent = "Consent/" + std::string(c->childValue("id"));
        d.reason = "the patient has registered a national data opt-out, which applies to purpose " + who.purpose;
        return d;
      }
    }
  }
  // Types a rule never discloses (a third party's data under a safeguarding rule).
  if (rule->withhold_types.count(type)) {
    d.rule = rule->id;
    d.reason = "rule " + rule->id + " never discloses " + type + " (another person's data)";
    return d;
  }
  // 3. The patient's Consents, judged on the resource itself when there is one (its labels,
  // code and date); for a type alone, as an unlabelled resource of that type. Not consulted under
  // a rule whose legal basis is not consent.
  std::vector<std::string> labels = resource != nullptr ? ConsentEvaluator::labels(*resource) : std::vector<std::string>{};
  bool label_permit = false;
  const bool consent_applies = rule->consent != "not-required";
  Decision c = consent_applies ? consentsSay(who, resource, type, consents, action, now, ods, label_permit, labels) : Decision{};
  bool consent_denies = c.effect == Decision::Effect::kDeny && !c.rule.empty();
  if (consent_denies && !who.break_glass) return c;
  if (rule->consent == "explicit" && c.rule != "consent-permit" && !who.break_glass) {
    d.rule = "explicit-consent-required";
    d.reason = "rule " + rule->id + " needs the patient's explicit consent, and no Consent permits this";
    return d;
  }
  // 4. Sensitive labels.
  bool sensitive = false, cleared = true;
  for (const auto& l : labels) {
    auto it = policy_->sensitive.find(l);
    if (it == policy_->sensitive.end()) continue;
    sensitive = true;
    cleared = cleared && (it->second.count(who.sector) > 0 || rule->sees_labels.count(l) > 0);
  }
  if (sensitive && !cleared && !label_permit && !who.break_glass) {
    d.rule = "sensitive";
    d.reason = "the resource carries a sensitive label that " + who.sector +
               " partners see only with a consent naming it, or under break-glass";
    return d;
  }
  // 5. The minimal dataset.
  if (rule->access == "minimal" && !policy_->minimal_types.count(type)) {
    d.rule = rule->id;
    d.reason = type + " is not part of the minimal dataset rule " + rule->id + " allows";
    return d;
  }
  d.effect = rule->access == "minimal" ? Decision::Effect::kMask : Decision::Effect::kPermit;
  d.rule = who.break_glass && (consent_denies || (sensitive && !cleared) ||
                               (rule->consent == "explicit" && c.rule != "consent-permit"))
               ? "break-glass"
               : rule->id;
  if (c.rule == "consent-permit") {
    d.consent = c.consent;
    d.provision = c.provision;
  } else if (consent_denies) {
    d.consent = c.consent;
    d.provision = c.provision;
  }
  d.reason = d.effect == Decision::Effect::kMask ? "minimal dataset under rule " + rule->id
             : d.rule == "break-glass"           ? "break-glass access (emergency) set aside what would deny this"
             : !consent_applies ? "permitted by rule " + rule->id + ", whose legal basis is not consent (the patient's Consents are not consulted)"
                                                 : "permitted by rule " + rule->id;
  return d;
}

void ConsentEvaluator::mask(fhir::Node& resource) const {
  const std::string type = resource.type != nullptr ? resource.type->name : "";
  auto it = policy_->minimal_elements.find(type);
  static const std::set<std::string> kAlways = {"id", "meta", "implicitRules", "language"};
  std::erase_if(resource.children, [&](const fhir::Node& c) {
    return !kAlways.count(c.name) && (it == policy_->minimal_elements.end() || !it->second.count(c.name));
  });
  fhir::Node* meta = resource.child("meta");
  if (meta == nullptr) meta = resource.add("meta");
  if (meta == nullptr) return;
  if (fhir::Node* s = meta->add("security")) {
    s->set("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationValue");
    s->set("code", "REDACTED");
  }
}

}  // namespace onedoor::stages::consent
