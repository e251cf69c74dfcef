// $consent-check: the decision the gateway would take, with its rule, policy version and the
// Consent that decided — for integrators checking a policy and partners checking before they ask.
#include <algorithm>

#include "fhir/operation_outcome.h"
#include "stages/consent/consent_stage.h"

namespace onedoor::stages::consent {

Decision explainDecision(const ConsentEvaluator& evaluator, PatientContext& pc, storage::Store& store,
                         const config::PartnerConfig& partner, const std::string& purpose, const fhir::Node* resource,
                         const std::string& patient, const std::string& type, const std::string& now,
                         std::int64_t now_ms, core::Status& error) {
  Requester who{partner.id, partner.sector, partner.ods, purpose, false};
  std::vector<std::string> patients = resource != nullptr ? pc.patientsOf(*resource) : std::vector<std::string>{};
  if (!patient.empty()) patients.push_back(patient);
  auto consents = pc.consentsOf(patients);
  if (!consents.isOk()) {
    error = consents.status();
    return Decision{Decision::Effect::kDeny, "error", "", "", "the patient's consents could not be read"};
  }
  if (evaluator.policy().break_glass_purposes.count(purpose)) {
    for (const auto& p : patients) {
      auto g = store.hasBreakGlass(partner.id, p, now_ms);
      who.break_glass = who.break_glass || (g.isOk() && *g);
    }
  }
  auto ods = [&](const std::string& r) { return pc.odsOf(r); };
  if (resource != nullptr) return evaluator.decide(who, *resource, *consents, "access", now, ods);
  return evaluator.decideForType(who, type, *consents, "access", now, ods);
}

core::Flow ConsentStage::consentCheck(core::Exchange& ex) const {
  const auto& fr = ex.fhir;
  if (!fr.resource || fr.resource->type->name != "Parameters") {
    ex.fail(core::invalid("$consent-check takes a Parameters: partner, purpose, and resource or patient + type"));
    return core::Flow::kRespond;
  }
  std::string partner_id = ex.principal.partner, purpose = ex.principal.purpose, patient, type;
  const fhir::Node* resource = nullptr;
  fhir::Node root;
  for (const fhir::Node* p : fr.resource->childrenNamed("parameter")) {
    std::string_view n = p->childValue("name");
    const fhir::Node* v = p->child("value");
    std::string value = v == nullptr ? "" : v->has_value ? v->value : std::string(v->childValue("reference"));
    if (n == "partner") partner_id = value;
    if (n == "purpose") purpose = value;
    if (n == "patient") patient = value.find('/') == std::string::npos ? "Patient/" + value : value;
    if (n == "type") type = value;
    if (n == "resource" && p->child("resource") != nullptr) {
      root = *p->child("resource");
      root.name = root.type->name;
      root.def = nullptr;
      resource = &root;
    }
  }
  // A partner may ask about itself; auditors about anyone.
  if (partner_id != ex.principal.partner && ex.principal.sector != "auditor") {
    ex.fail(core::Status(core::Code::kForbidden, "only auditors may check decisions for another partner"));
    return core::Flow::kRespond;
  }
  const config::PartnerConfig* partner = config_->partner(partner_id);
  if (partner == nullptr) {
    ex.fail(core::invalid("no registered partner '" + partner_id + "'"));
    return core::Flow::kRespond;
  }
  if (resource == nullptr && (patient.empty() || type.empty())) {
    ex.fail(core::invalid("give a 'resource', or a 'patient' and a 'type'"));
    return core::Flow::kRespond;
  }
  PatientContext pc(*model_, *store_, *indexer_, &consent_cache_);
  core::Status error = core::Status::ok();
  Decision d = explainDecision(evaluator_, pc, *store_, *partner, purpose, resource, patient, type, now(),
                               core::epochMillis(env_->now()), error);
  ex.audit.decision = d.outcome();
  ex.audit.rule = d.rule;
  ex.audit.policy_version = evaluator_.policy().version;
  if (!patient.empty()) ex.audit.patients.push_back(patient);
  fhir::Node out = fhir::makeResource(*model_->resourceType("Parameters"));
  auto param = [&](const std::string& name, const std::string& json_name, const std::string& value) {
    if (value.empty()) return;
    fhir::Node* p = out.add("parameter");
    p->set("name", name);
    if (json_name == "valueReference") {
      if (fhir::Node* ref = p->add("valueReference")) ref->set("reference", value);
    } else {
      p->set(json_name, value);
    }
  };
  param("decision", "valueCode", d.outcome());
  param("rule", "valueString", d.rule);
  param("policyVersion", "valueString", evaluator_.policy().version);
  param("consent", "valueReference", d.consent);
  param("provision", "valueString", d.provision);
  param("reason", "valueString", d.reason.empty() ? (error.isOk() ? "" : error.message()) : d.reason);
  ex.response = core::Response{};
  ex.response.status = 200;
  ex.response.resource = std::move(out);
  return core::Flow::kRespond;
}

}  // namespace onedoor::stages::consent
