#include "stages/deliver/messaging.h"

#include <algorithm>

#include "fhir/codec.h"
#include "fml/parser.h"
#include "formats/any_format.h"
#include "stages/consent/patient_context.h"

namespace onedoor::stages::deliver {

namespace {

std::string contentTypeOf(const std::string& format) {
  if (format == "hl7v2") return "x-application/hl7-v2+er7";
  if (format == "csv") return "text/csv";
  if (format == "xml") return "application/xml";
  return "application/json";
}

// A transaction of the message's resources (not its MessageHeader), for a FHIR REST receiver.
fhir::Node asTransaction(const fhir::Model& model, const fhir::Node& bundle) {
  fhir::Node tx = fhir::makeResource(*model.resourceType("Bundle"));
  tx.set("type", "transaction");
  bool header = true;
  for (const fhir::Node* e : bundle.childrenNamed("entry")) {
    if (header) {
      header = false;
      continue;
    }
    const fhir::Node* r = e->child("resource");
    if (r == nullptr || r->type == nullptr) continue;
    fhir::Node* entry = tx.add("entry");
    if (!e->childValue("fullUrl").empty()) entry->set("fullUrl", std::string(e->childValue("fullUrl")));
    entry->addResource("resource", *r);
    fhir::Node* req = entry->add("request");
    req->set("method", "POST");
    req->set("url", r->type->name);
  }
  return tx;
}

}  // namespace

core::Result<Plan> Messaging::plan(const fhir::Node& bundle, const std::string& sender, const std::string& message_id,
                                   const std::string& now, std::int64_t now_ms,
                                   const std::vector<core::IncomingPerson>* entry_persons) const {
  Plan plan;
  // Deliveries to one partner about one patient keep their order.
  std::string ordering_key = messageOrderingKey(message_id);
  // One context for every recipient: the patients' Consents are read once per message.
  consent::PatientContext pc(*model_, *store_, *indexer_, &consents_);
  // A message's Patient entries are the sender's own (an HL7 v2 feed's are made by its map): each
  // recipient is decided with the Consents of the person the store knows.
  GW_ASSIGN_OR_RETURN(const Persons persons, personsOf(bundle, entry_persons));
  std::vector<std::string> patients, tied;
  for (const fhir::Node* e : bundle.childrenNamed("entry")) {
    const fhir::Node* r = e->child("resource");
    if (r == nullptr || r->type == nullptr || r->type->name == "MessageHeader") continue;
    for (auto& p : patientsIn(*r, pc, persons, &tied)) {
      if (std::find(patients.begin(), patients.end(), p) == patients.end()) patients.push_back(std::move(p));
    }
  }
  // The queue key is the person the message is about; not a record merely tied for them.
  for (const auto& p : patients) {
    if (std::find(tied.begin(), tied.end(), p) != tied.end()) continue;
    ordering_key = p;
    break;
  }
  RouteSearch search = [this](const search::SearchQuery& q) -> core::Result<std::vector<fhir::Node>> {
    GW_ASSIGN_OR_RETURN(auto page, store_->search(q));
    std::vector<fhir::Node> found;
    for (const auto& rec : page.matches) {
      auto r = fhir::readJson(*model_, rec.json);
      if (!r.ok()) return core::internal("a stored " + rec.type + " does not parse");
      found.push_back(std::move(r.resource));
    }
    return found;
  };
  GW_ASSIGN_OR_RETURN(auto recipients, router_->recipients(bundle, sender, patients, search));
  for (const auto& recipient : recipients) {
    Disclosure d;
    d.partner = recipient.partner->id;
    d.route = recipient.route;
    auto seen = redact(bundle, *recipient.partner, pc, persons, d, now);
    plan.disclosures.push_back(d);
    if (!seen) continue;
    GW_ASSIGN_OR_RETURN(auto rendered, render(*seen, *recipient.partner));
    OutboxEntry entry;
    entry.destination = recipient.partner->id;
    entry.ordering_key = ordering_key;
    entry.message_id = message_id + "/" + recipient.partner->id;
    entry.event = messageEvent(bundle);
    entry.source = sender + "|" + message_id;
    entry.body = std::move(rendered.first);
    entry.content_type = std::move(rendered.second);
    entry.next_attempt_ms = now_ms;
    entry.created_ms = now_ms;
    plan.entries.push_back(std::move(entry));
  }
  return plan;
}

core::Result<std::string> Messaging::withheldNow(const OutboxEntry& m, const std::string& now) const {
  if (m.ordering_key.rfind("Patient/", 0) != 0) return std::string();
  const config::PartnerConfig* partner = config_->partner(m.destination);
  if (partner == nullptr) return std::string("the partner is not registered");
  consent::PatientContext pc(*model_, *store_, *indexer_, &consents_);
  GW_ASSIGN_OR_RETURN(auto consents, pc.consentsOf(std::vector<std::string>{m.ordering_key}));
  consent::Requester who{partner->id, partner->sector, partner->ods, "TREAT", false};
  consent::Decision d = evaluator_.decideForType(who, "Patient", consents, "access", now,
                                                 [&](const std::string& ref) { return pc.odsOf(ref); });
  if (d.effect != consent::Decision::Effect::kDeny) return std::string();
  return d.rule + (d.consent.empty() ? std::string() : " (" + d.consent + ")");
}

core::Result<Messaging::Persons> Messaging::personsOf(const fhir::Node& bundle,
                                                     const std::vector<core::IncomingPerson>* entry_persons) const {
  Persons persons;
  std::size_t index = 0;
  for (const fhir::Node* e : bundle.childrenNamed("entry")) {
    const std::size_t at = index++;
    const fhir::Node* r = e->child("resource");
    if (r == nullptr || r->type == nullptr || r->type->name != "Patient") continue;
    core::IncomingPerson person;
    if (entry_persons != nullptr && at < entry_persons->size()) {
      person = (*entry_persons)[at];
    } else {  // no consent stage looked (it is not in the pipeline)
      GW_ASSIGN_OR_RETURN(person, identity::personOf(identity::PersonLookup::kMessage, identity_.get(), *r,
                                                     identity::storeFinder(*store_, indexer_->registry(), *model_), *model_,
                                                     [&](const std::string& id) { return store_->read("Patient", id); }));
    }
    if (person.linked.empty() && person.tied.empty()) continue;
    if (!e->childValue("fullUrl").empty()) persons[std::string(e->childValue("fullUrl"))] = person;
    if (!r->childValue("id").empty()) persons["Patient/" + std::string(r->childValue("id"))] = person;
  }
  return persons;
}

std::vector<std::string> Messaging::patientsIn(const fhir::Node& r, consent::PatientContext& pc, const Persons& persons,
                                                std::vector<std::string>* tied) {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  auto addPerson = [&](const core::IncomingPerson& person) {
    if (!person.linked.empty()) return add(person.linked);
    for (const auto& p : person.tied) {
      add(p);
      if (tied != nullptr && std::find(tied->begin(), tied->end(), p) == tied->end()) tied->push_back(p);
    }
  };
  for (const auto& p : pc.patientsOf(r)) {
    auto it = persons.find(p);
    if (it == persons.end()) {
      add(p);
    } else {
      addPerson(it->second);
    }
  }
  if (!persons.empty()) {
    fhir::forEachReference(r, [&](const fhir::Node& ref) {
      if (auto it = persons.find(ref.value); it != persons.end()) addPerson(it->second);
    });
  }
  return out;
}

std::optional<fhir::Node> Messaging::redact(const fhir::Node& bundle, const config::PartnerConfig& recipient,
                                            consent::PatientContext& pc, const Persons& persons, Disclosure& d,
                                            const std::string& now) const {
  consent::Requester who{recipient.id, recipient.sector, recipient.ods, "TREAT", false};
  fhir::Node out = bundle;
  bool masked = false, removed = false, header = true;
  std::size_t data = 0;
  std::vector<fhir::Node> kept;
  for (auto& c : out.children) {
    if (c.name != "entry") {
      kept.push_back(std::move(c));
      continue;
    }
    fhir::Node* r = c.child("resource");
    if (header || r == nullptr || r->type == nullptr) {
      header = false;
      kept.push_back(std::move(c));
      continue;
    }
    auto patients = patientsIn(*r, pc, persons);
    auto consents = pc.consentsOf(patients);
    if (!consents.isOk()) {  // fail closed
      d.decision = "deny";
      d.rule = "error";
      return std::nullopt;
    }
    consent::Decision decision = evaluator_.decide(who, *r, *consents, "access", now,
                                                   [&](const std::string& ref) { return pc.odsOf(ref); });
    for (const auto& p : patients) {
      if (std::find(d.patients.begin(), d.patients.end(), p) == d.patients.end()) d.patients.push_back(p);
    }
    if (!decision.consent.empty()) d.consents.push_back(decision.consent);
    if (d.rule.empty() || decision.effect != consent::Decision::Effect::kPermit) d.rule = decision.rule;
    if (decision.effect == consent::Decision::Effect::kDeny) {
      removed = true;
      continue;
    }
    if (decision.effect == consent::Decision::Effect::kMask) {
      evaluator_.mask(*r);
      masked = true;
    }
    ++data;
    kept.push_back(std::move(c));
  }
  if (data == 0) {
    d.decision = "deny";
    return std::nullopt;
  }
  out.children = std::move(kept);
  d.decision = masked || removed ? "redact" : "permit";
  return out;
}

core::Result<std::pair<std::string, std::string>> Messaging::render(const fhir::Node& bundle,
                                                                    const config::PartnerConfig& recipient) const {
  const config::DeliveryConfig& dc = recipient.delivery;
  auto it = outbound_.find(recipient.id);
  if (it == outbound_.end()) {
    if (dc.transport == "fhir-rest") return std::pair{fhir::writeJson(asTransaction(*model_, bundle)), std::string("application/fhir+json")};
    return std::pair{fhir::writeJson(bundle), std::string("application/fhir+json")};
  }
  const fml::CompiledMap& map = *it->second;
  auto out = map.transform(bundle);
  if (!out.isOk()) return core::invalid("the outbound map of partner " + recipient.id + ": " + out.status().message());
  if (out->type != nullptr) {
    return std::pair{fhir::writeJson(*out), dc.content_type.empty() ? std::string("application/fhir+json") : dc.content_type};
  }
  std::string format = dc.transport == "mllp" ? "hl7v2" : fml::targetFormat(map.map());
  if (format.empty()) return core::invalid("the outbound map of partner " + recipient.id + " does not say its format");
  auto text = formats::writeAny(*out, format, formats::writeOptionsOf(map.map().metadata));
  if (!text.isOk()) return core::invalid("the outbound map of partner " + recipient.id + ": " + text.status().message());
  return std::pair{std::move(text).value(), dc.content_type.empty() ? contentTypeOf(format) : dc.content_type};
}

std::vector<storage::AuditEntry> Messaging::disclosureAudits(core::Env& env, const std::vector<Disclosure>& disclosures,
                                                             const std::string& message_id) const {
  std::vector<storage::AuditEntry> out;
  for (const auto& d : disclosures) {
    out.push_back(partnerAuditEntry(*model_, env, config_->partner(d.partner), d.partner, [&](core::Exchange& ex) {
      ex.request.transport = "routing";
      ex.request_id = message_id;
      ex.fhir.operation = "route";
      ex.audit.patients = d.patients;
      ex.audit.decision = d.decision;
      ex.audit.rule = d.rule;
      ex.audit.policy_version = evaluator_.policy().version;
      ex.audit.consents = d.consents;
      if (d.decision == "deny") {
        ex.fail(core::Status(core::Code::kForbidden, "not routed to " + d.partner + ": the sharing policy or the patient's consent"));
      } else {
        ex.response.status = 200;
      }
    }));
  }
  return out;
}

}  // namespace onedoor::stages::deliver
