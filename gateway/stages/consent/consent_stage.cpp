#include "stages/consent/consent_stage.h"

#include <algorithm>
#include <map>

#include "fhir/codec.h"
#include "search/query.h"
#include "stages/authenticate/scopes.h"
#include "stages/deliver/gp_connect.h"
#include "stages/identity/demographics.h"

namespace onedoor::stages::consent {
namespace {

using core::Interaction;

// The generic refusal: the same words whatever the reason, so a denial does not tell whether
// the data exists or why the patient is hidden. The audit keeps the reason.
constexpr const char* kDenied = "access denied by the ICS sharing policy";

char letterFor(const std::string& method, const std::string& url) {
  if (method == "GET" || method == "HEAD") return url.find('?') != std::string::npos ? 's' : 'r';
  if (method == "POST") return 'c';
  if (method == "DELETE") return 'd';
  return 'u';
}

// Patient/<id> named by the request itself (a read of a Patient, a compartment, a search by
// patient or subject), for break-glass.
std::string targetPatient(const core::Exchange& ex) {
  const auto& fr = ex.fhir;
  if (fr.type == "Patient" && !fr.id.empty()) return "Patient/" + fr.id;
  for (const auto& [k, v] : ex.request.query) {
    if (k == "patient" || k == "subject" || k == "subject:Patient" || k == "patient:Patient") {
      if (v.rfind("Patient/", 0) == 0) return v.substr(0, v.find(','));
      if (k.rfind("patient", 0) == 0 && v.find('/') == std::string::npos) return "Patient/" + v.substr(0, v.find(','));
    }
  }
  return {};
}

}  // namespace

Requester ConsentStage::requester(const core::Exchange& ex) const {
  const auto& p = ex.principal;
  return Requester{p.partner, p.sector, p.ods, p.purpose, false};
}

std::string ConsentStage::now() const { return core::formatInstant(env_->now()); }

void ConsentStage::deny(core::Exchange& ex, const Decision& d) const {
  ex.audit.decision = "deny";
  ex.audit.rule = d.rule;
  ex.audit.policy_version = evaluator_.policy().version;
  if (!d.consent.empty()) ex.audit.consents.push_back(d.consent);
  ex.fail(core::Status(core::Code::kForbidden, kDenied));
}

bool ConsentStage::scopesAllow(core::Exchange& ex) const {
  const auto& fr = ex.fhir;
  const auto& scopes = ex.principal.scopes;
  auto need = [&](const std::string& type, char letter) {
    if (authenticate::allows(scopes, type, letter)) return true;
    ex.fail(core::Status(core::Code::kForbidden, "the access token's scopes do not allow '" + std::string(1, letter) +
                                                     "' on " + (type == "*" ? std::string("all types") : type)));
    return false;
  };
  switch (fr.interaction) {
    case Interaction::kCapabilities: return true;
    case Interaction::kRead:
    case Interaction::kVread:
    case Interaction::kHistoryInstance: return need(fr.type, 'r');
    case Interaction::kSearchType:
    case Interaction::kHistoryType: return need(fr.type, 's');
    case Interaction::kSearchCompartment:
      return need(fr.compartment_type.empty() || fr.compartment_type == "*" ? "*" : fr.compartment_type, 's');
    case Interaction::kSearchSystem:
    case Interaction::kHistorySystem: {
      auto types = ex.request.param("_type");
      if (!types) return need("*", 's');
      std::size_t start = 0;
      while (start <= types->size()) {
        auto comma = types->find(',', start);
        std::string t = types->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!t.empty() && !need(t, 's')) return false;
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return true;
    }
    case Interaction::kCreate: return need(fr.type, 'c');
    case Interaction::kUpdate:
    case Interaction::kPatch: return need(fr.type, 'u');
    case Interaction::kDelete: return need(fr.type, 'd');
    case Interaction::kBatch: {
      if (!fr.resource) return true;
      for (const fhir::Node* entry : fr.resource->childrenNamed("entry")) {
        const fhir::Node* req = entry->child("request");
        if (req == nullptr) continue;
        std::string url(req->childValue("url"));
        std::string type = url.substr(0, url.find_first_of("/?"));
        if (!need(type.empty() ? "*" : type, letterFor(std::string(req->childValue("method")), url))) return false;
      }
      return true;
    }
    case Interaction::kOperation:
      if (fr.operation == "consent-check") return true;
      if (fr.operation == "process-message") {
        // A message writes what it carries: create on every type in it.
        if (!fr.resource) return need("Bundle", 'c');
        for (const fhir::Node* entry : fr.resource->childrenNamed("entry")) {
          const fhir::Node* r = entry->child("resource");
          if (r != nullptr && r->type != nullptr && !need(r->type->name, 'c')) return false;
        }
        return true;
      }
      if (fr.operation == "match") return need("Patient", 's');  // a search by demographics
      if (fr.operation == "gpc.getstructuredrecord") {
        // A GP record: read on every kind it may hold.
        for (const char* type : {"Patient", "Organization", "Practitioner", "List", "AllergyIntolerance", "Condition",
                                 "MedicationStatement", "MedicationRequest", "Medication"}) {
          if (!need(type, 'r')) return false;
        }
        return true;
      }
      if (fr.operation == "validate") {
        return authenticate::allows(scopes, fr.type, 'c') || authenticate::allows(scopes, fr.type, 'u') ||
               need(fr.type, 'r');
      }
      return need(fr.type.empty() ? "*" : fr.type, fr.operation == "export" || fr.operation == "stratified-count" ? 's' : 'r');
    case Interaction::kNone: return true;
  }
  return true;
}

void ConsentStage::label(fhir::Node& resource, const std::string& sector) const {
  const std::string type = resource.type != nullptr ? resource.type->name : "";
  for (const auto& rule : evaluator_.policy().labelling) {
    if (!rule.written_by_sectors.count(sector) || (!rule.types.empty() && !rule.types.count(type))) continue;
    if (rule.when) {
      fhirpath::Environment env;
      env.model = model_.get();
      auto applies = rule.when->test(resource, env);
      // Empty or false: not labelled. A condition that cannot be evaluated on this resource
      // labels it: a label too many withholds data from some partners, one too few discloses it.
      if (applies.isOk() && (!*applies || !**applies)) continue;
    }
    auto labels = ConsentEvaluator::labels(resource);
    if (std::find(labels.begin(), labels.end(), rule.label) != labels.end()) continue;
    fhir::Node* meta = resource.child("meta");
    if (meta == nullptr) meta = resource.add("meta");
    if (meta == nullptr) continue;
    if (fhir::Node* s = meta->add("security")) {
      auto bar = rule.label.find('|');
      s->set("system", rule.label.substr(0, bar));
      s->set("code", rule.label.substr(bar + 1));
    }
  }
}

core::Flow ConsentStage::authorisation(core::Exchange& ex, const PolicyRule& rule) const {
  // Who authorised the exchange (a safeguarding lead, say) and why: both recorded in its audit
  // record. Free text, one line each, never empty.
  auto line = [&](const char* header, std::size_t max, std::string& into) {
    auto v = ex.request.headers.get(header);
    if (!v || v->empty()) {
      ex.fail(core::invalid(std::string("rule ") + rule.id + " needs " + header +
                            " on every request: X-Authorised-By names who authorised it, X-Justification says why"));
      return false;
    }
    if (v->size() > max || std::any_of(v->begin(), v->end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
      ex.fail(core::invalid(std::string(header) + " must be one line of at most " + std::to_string(max) + " characters"));
      return false;
    }
    into = *v;
    return true;
  };
  if (!line("X-Authorised-By", 200, ex.audit.authorised_by) || !line("X-Justification", 1000, ex.audit.justification)) {
    return core::Flow::kRespond;
  }
  return core::Flow::kContinue;
}

core::Flow ConsentStage::breakGlass(core::Exchange& ex, Requester& who) const {
  const Policy& policy = evaluator_.policy();
  auto reason = ex.request.headers.get("X-Break-Glass-Reason");
  std::string patient = targetPatient(ex);
  if (reason) {
    if (!policy.break_glass_partners.count(who.partner) || !policy.break_glass_purposes.count(who.purpose)) {
      deny(ex, Decision{Decision::Effect::kDeny, "break-glass-not-allowed", "", "", ""});
      return core::Flow::kRespond;
    }
    if (reason->empty()) {
      ex.fail(core::invalid("X-Break-Glass-Reason must say why emergency access is needed"));
      return core::Flow::kRespond;
    }
    if (patient.empty()) {
      ex.fail(core::invalid("break-glass is granted for one patient: read a Patient or search by patient"));
      return core::Flow::kRespond;
    }
    auto until = core::epochMillis(env_->now()) + static_cast<std::int64_t>(policy.break_glass_minutes) * 60000;
    auto st = store_->grantBreakGlass(who.partner, patient, until, *reason);
    if (!st.isOk()) {
      ex.fail(core::Status(core::Code::kUnavailable, "the break-glass grant cannot be recorded, so it is not given"));
      return core::Flow::kRespond;
    }
    ex.audit.break_glass = true;
    ex.audit.break_glass_reason = *reason;
  }
  return core::Flow::kContinue;
}

core::Flow ConsentStage::decideWrites(core::Exchange& ex, const Requester& who) const {
  auto& fr = ex.fhir;
  // Writes, and $validate (decided like the write it checks, so that it cannot probe a patient's
  // data a write would be refused for).
  bool validating = fr.interaction == Interaction::kOperation && fr.operation == "validate";
  bool message = fr.interaction == Interaction::kOperation && fr.operation == "process-message";
  PatientContext pc(*model_, *store_, *indexer_, &consent_cache_);
  if (fr.interaction == Interaction::kPatch || fr.interaction == Interaction::kDelete) return decideStored(ex, who, pc);
  if (!fr.resource || (fr.interaction != Interaction::kCreate && fr.interaction != Interaction::kUpdate &&
                       fr.interaction != Interaction::kBatch && !validating && !message)) {
    return core::Flow::kContinue;
  }
  // In a Bundle, the entries that point at a Patient entry (urn:uuid:...) are about the person
  // that Patient entry will be matched to, looked up once per entry: a message's Patients all
  // (their ids are the sender's own, and they are kept by their identifiers), a batch's those
  // without an id. A message's are handed on to the plan of its deliveries.
  const auto lookupFailed = [&]() {
    deny(ex, Decision{Decision::Effect::kDeny, "error", "", "", ""});
    return core::Flow::kRespond;
  };
  // The write is decided as the write links: with the person linked (none for a tie).
  std::vector<core::IncomingPerson> entry_persons;
  std::map<std::string, std::string> persons;  // fullUrl -> Patient/<id>
  if (fr.interaction == Interaction::kBatch || message) {
    for (const fhir::Node* entry : fr.resource->childrenNamed("entry")) {
      entry_persons.emplace_back();
      const fhir::Node* r = entry->child("resource");
      if (r == nullptr || r->type == nullptr || r->type->name != "Patient") continue;
      if (!message && (!identity_ || !r->childValue("id").empty())) continue;
      auto person = personOf(*r, message ? identity::PersonLookup::kMessage : identity::PersonLookup::kLinked);
      if (!person.isOk()) return lookupFailed();
      if (!person->linked.empty() && !entry->childValue("fullUrl").empty()) {
        persons[std::string(entry->childValue("fullUrl"))] = person->linked;
      }
      entry_persons.back() = std::move(*person);
    }
    if (message) ex.entry_persons = entry_persons;
  }
  // `entry_person`: the person looked up for a Bundle entry's Patient (null outside a Bundle).
  auto decideOne = [&](fhir::Node& resource, const core::IncomingPerson* entry_person) -> bool {
    if (!validating) label(resource, who.sector);
    auto patients = pc.patientsOf(resource);
    if ((patients.empty() || message) && resource.type->name == "Patient") {
      // A Patient arriving without an id (or in a message, whose ids are its own) is decided as
      // the person it will be matched to, with that person's Consents.
      std::string person;
      if (entry_person != nullptr) {
        person = entry_person->linked;
      } else {
        auto found = personOf(resource, identity::PersonLookup::kLinked);
        if (!found.isOk()) {
          lookupFailed();
          return false;
        }
        person = found->linked;
      }
      if (!person.empty()) patients = {person};
    }
    if (patients.empty() && !persons.empty()) addPersons(resource, persons, patients);
    auto consents = pc.consentsOf(patients);
    if (!consents.isOk()) {
      deny(ex, Decision{Decision::Effect::kDeny, "error", "", "", ""});
      return false;
    }
    Decision d = evaluator_.decideForType(who, resource.type->name, *consents, "correct", now(),
                                          [&](const std::string& r) { return pc.odsOf(r); });
    for (const auto& p : patients) {
      if (std::find(ex.audit.patients.begin(), ex.audit.patients.end(), p) == ex.audit.patients.end()) {
        ex.audit.patients.push_back(p);
      }
    }
    if (d.effect == Decision::Effect::kDeny) {
      deny(ex, d);
      return false;
    }
    ex.audit.decision = "permit";
    ex.audit.rule = d.rule;
    ex.audit.policy_version = evaluator_.policy().version;
    return true;
  };
  if (fr.interaction == Interaction::kBatch || message) {
    std::size_t index = 0;
    for (auto& entry : fr.resource->children) {
      if (entry.name != "entry") continue;
      const core::IncomingPerson* entry_person = &entry_persons[index++];
      fhir::Node* r = entry.child("resource");
      if (r != nullptr && r->type != nullptr && !decideOne(*r, entry_person)) return core::Flow::kRespond;
    }
    return core::Flow::kContinue;
  }
  return decideOne(*fr.resource, nullptr) ? core::Flow::kContinue : core::Flow::kRespond;
}

void ConsentStage::addPersons(const fhir::Node& n, const std::map<std::string, std::string>& persons,
                              std::vector<std::string>& patients) {
  fhir::forEachReference(n, [&](const fhir::Node& ref) {
    auto it = persons.find(ref.value);
    if (it != persons.end() && std::find(patients.begin(), patients.end(), it->second) == patients.end()) {
      patients.push_back(it->second);
    }
  });
}

namespace {

using identity::kNhsNumberSystem;

// The NHS number's verification status as NHS login proved it: 01 (present and verified) at P9,
// else 03 (trace required).
void stampVerification(fhir::Node& identifier, const std::string& proofing) {
  auto& c = identifier.children;
  c.erase(std::remove_if(c.begin(), c.end(), [](const fhir::Node& n) {
            return n.name == "extension" && n.childValue("url") == identity::kNhsNumberVerificationStatus;
          }),
          c.end());
  fhir::Node* ext = identifier.add("extension");
  if (ext == nullptr) return;
  ext->set("url", identity::kNhsNumberVerificationStatus);
  fhir::Node* coding = ext->add("valueCodeableConcept")->add("coding");
  coding->set("system", "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland");
  coding->set("code", proofing == "P9" ? "01" : "03");
  coding->set("display", proofing == "P9" ? "Number present and verified" : "Trace required");
}

}  // namespace

core::Status ConsentStage::forThePerson(core::Exchange& ex) const {
  const core::Principal& who = ex.principal;
  fhir::Node& body = *ex.fhir.resource;
  std::vector<fhir::Node*> resources;
  if (body.type != nullptr && body.type->name == "Bundle") {
    for (auto& entry : body.children) {
      if (fhir::Node* r = entry.name == "entry" ? entry.child("resource") : nullptr; r != nullptr && r->type != nullptr) {
        resources.push_back(r);
      }
    }
  } else {
    resources.push_back(&body);
  }
  for (fhir::Node* r : resources) {
    if (r->type->name != "Patient") {
      // About the person of this request only: a kept record is not theirs to write to.
      bool kept = false;
      fhir::forEachReference(*r, [&](const fhir::Node& ref) { kept = kept || ref.value.rfind("Patient/", 0) == 0; });
      if (kept) {
        return core::Status(core::Code::kForbidden, "acting for a person signed in with NHS login, refer to them by the "
                                                    "Patient entry of this transaction, not to a kept record (" +
                                                        r->type->name + ")");
      }
      continue;
    }
    bool theirs = false;
    for (auto& id : r->children) {
      if (id.name != "identifier" || id.childValue("system") != kNhsNumberSystem) continue;
      if (id.childValue("value") != who.patient_nhs_number) {
        return core::Status(core::Code::kForbidden, "a person signed in with NHS login refers themselves only: the Patient's "
                                                    "NHS number " + std::string(id.childValue("value")) + " is not theirs");
      }
      stampVerification(id, who.patient_proofing);
      theirs = true;
    }
    if (!theirs) {
      fhir::Node* id = r->add("identifier");
      id->set("system", kNhsNumberSystem);
      id->set("value", who.patient_nhs_number);
      stampVerification(*id, who.patient_proofing);
    }
  }
  return core::Status::ok();
}

core::Result<core::IncomingPerson> ConsentStage::personOf(const fhir::Node& patient, identity::PersonLookup how) const {
  return identity::personOf(how, identity_.get(), patient, identity::storeFinder(*store_, indexer_->registry(), *model_),
                            *model_, [&](const std::string& id) { return store_->read("Patient", id); });
}

core::Flow ConsentStage::decideGpRecord(core::Exchange& ex, const Requester& who) const {
  // The person's GP record is asked of their practice only if the partner may see them at all: a
  // person who refused the partner is not asked about (each resource is decided again on the way
  // back). No NHS number, or none the gateway knows: the route stage says so.
  if (!ex.fhir.resource) return core::Flow::kContinue;
  auto nhs = deliver::patientNhsNumber(*ex.fhir.resource);
  if (!nhs.isOk()) return core::Flow::kContinue;
  auto q = search::parseQuery(indexer_->registry(), *model_, {"Patient"},
                              {{"identifier", std::string(kNhsNumberSystem) + "|" + *nhs}}, false, {});
  if (!q.isOk()) return core::Flow::kContinue;
  auto page = store_->search(*q);
  PatientContext pc(*model_, *store_, *indexer_, &consent_cache_);
  std::vector<std::string> patients;
  if (page.isOk()) {
    for (const auto& rec : page->matches) patients.push_back("Patient/" + rec.id);
  }
  auto consents = pc.consentsOf(patients);
  if (!page.isOk() || !consents.isOk()) {
    deny(ex, Decision{Decision::Effect::kDeny, "error", "", "", ""});
    return core::Flow::kRespond;
  }
  Decision d = evaluator_.decideForType(who, "Patient", *consents, "access", now(),
                                        [&](const std::string& r) { return pc.odsOf(r); });
  if (d.effect == Decision::Effect::kDeny) {
    for (const auto& p : patients) ex.audit.patients.push_back(p);
    deny(ex, d);
    return core::Flow::kRespond;
  }
  return core::Flow::kContinue;
}

core::Flow ConsentStage::decideStored(core::Exchange& ex, const Requester& who, PatientContext& pc) const {
  // A patch or a delete is decided on what it changes: the stored resource (by id, or what its
  // condition finds), with the Consents of its patients, as a write of it would be. Nothing found:
  // the route stage answers (404 or 412 for a patch), nothing is written.
  const auto& fr = ex.fhir;
  std::vector<std::string> jsons;
  if (fr.conditional) {
    auto q = search::parseQuery(indexer_->registry(), *model_, {fr.type}, ex.request.conditionParams(), false, {});
    if (!q.isOk()) return core::Flow::kContinue;  // the route stage reports the bad condition
    q->count = 2;
    q->total = "none";
    auto page = store_->search(*q);
    if (!page.isOk()) {
      deny(ex, Decision{Decision::Effect::kDeny, "error", "", "", ""});
      return core::Flow::kRespond;
    }
    for (const auto& rec : page->matches) jsons.push_back(rec.json);
  } else {
    auto rec = store_->read(fr.type, fr.id);
    if (!rec.isOk()) {
      deny(ex, Decision{Decision::Effect::kDeny, "error", "", "", ""});
      return core::Flow::kRespond;
    }
    if (*rec && !(*rec)->deleted) jsons.push_back((*rec)->json);
  }
  for (const auto& json : jsons) {
    auto node = fhir::readJson(*model_, json);
    if (!node.ok()) continue;
    auto patients = pc.patientsOf(node.resource);
    auto consents = pc.consentsOf(patients);
    if (!consents.isOk()) {
      deny(ex, Decision{Decision::Effect::kDeny, "error", "", "", ""});
      return core::Flow::kRespond;
    }
    for (const auto& p : patients) {
      if (std::find(ex.audit.patients.begin(), ex.audit.patients.end(), p) == ex.audit.patients.end()) ex.audit.patients.push_back(p);
    }
    Decision d = evaluator_.decideForType(who, fr.type, *consents, "correct", now(),
                                          [&](const std::string& r) { return pc.odsOf(r); });
    if (d.effect == Decision::Effect::kDeny) {
      deny(ex, d);
      return core::Flow::kRespond;
    }
    ex.audit.decision = "permit";
    ex.audit.rule = d.rule;
    ex.audit.policy_version = evaluator_.policy().version;
  }
  return core::Flow::kContinue;
}

core::Result<core::Flow> ConsentStage::run(core::Exchange& ex) {
  if (ex.request.endpoint != "fhir" || !ex.principal.authenticated) return core::Flow::kContinue;
  const auto& fr = ex.fhir;
  if (fr.interaction == Interaction::kOperation && fr.operation == "consent-check") return consentCheck(ex);
  // The operators' outbox operations carry no patient data request: gated by role in the route
  // stage, audited like any exchange.
  if (fr.isOperatorOperation()) return core::Flow::kContinue;
  if (!scopesAllow(ex)) return core::Flow::kRespond;
  if (fr.interaction == Interaction::kCapabilities) return core::Flow::kContinue;
  // The audit log has its own gate (auditors only) in the route stage; its reads are audited.
  if (fr.type == "AuditEvent") return core::Flow::kContinue;
  if (ex.principal.actsForPatient()) {
    const bool transaction = fr.interaction == Interaction::kBatch && fr.resource && fr.resource->childValue("type") == "transaction";
    if ((fr.interaction != Interaction::kCreate && !transaction) || !fr.resource) {
      ex.fail(core::Status(core::Code::kForbidden, "acting for a person signed in with NHS login, a service may send their own "
                                                   "referral (a create or a transaction) and nothing else: no reads, changes "
                                                   "or deletions of records"));
      return core::Flow::kRespond;
    }
    core::Status own = forThePerson(ex);
    if (!own.isOk()) {
      ex.fail(own);
      return core::Flow::kRespond;
    }
  }
  Requester who = requester(ex);
  const PolicyRule* rule = evaluator_.policy().rule(who.sector, who.purpose, who.partner);
  if (rule == nullptr || rule->access == "none") {
    deny(ex, Decision{Decision::Effect::kDeny, "no-rule", "", "", ""});
    return core::Flow::kRespond;
  }
  bool searching = fr.interaction == Interaction::kSearchType || fr.interaction == Interaction::kSearchSystem ||
                   fr.interaction == Interaction::kSearchCompartment;
  if (searching && !rule->reverse_chaining) {
    for (const auto& [k, v] : ex.request.query) {
      bool chained = k.find('.') != std::string::npos && k[0] != '_';
      if (k.rfind("_has", 0) == 0 || chained) {
        ex.fail(core::Status(core::Code::kForbidden, "'" + k + "': reverse chaining and chained parameters could reveal "
                                                            "resources this partner may not see, so rule " + rule->id +
                                                            " does not allow them"));
        return core::Flow::kRespond;
      }
    }
  }
  if (rule->requires_authoriser && authorisation(ex, *rule) == core::Flow::kRespond) return core::Flow::kRespond;
  if (breakGlass(ex, who) == core::Flow::kRespond) return core::Flow::kRespond;
  if (fr.interaction == Interaction::kOperation && fr.operation == "gpc.getstructuredrecord") return decideGpRecord(ex, who);
  return decideWrites(ex, who);
}

}  // namespace onedoor::stages::consent
