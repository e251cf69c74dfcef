// POST [base]/$process-message (R4, in the BaRS pattern): a message Bundle is checked, kept with
// its deliveries in one transaction, and only then answered with a response message pointing
// back to it. A message a sender sends again (same sender, same Bundle.id) is answered as it was
// the first time and neither kept nor delivered again.
#include <Poco/UUIDGenerator.h>

#include <algorithm>

#include "fhir/codec.h"
#include "fhir/compare.h"
#include "stages/deliver/outbox.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {

namespace {

// The response message: a MessageHeader with response.identifier the original message id.
fhir::Node responseMessage(const fhir::Model& model, const fhir::Node& request, const std::string& message_id,
                           const std::string& id, const std::string& now, const std::string& base_url) {
  fhir::Node b = fhir::makeResource(*model.resourceType("Bundle"));
  b.set("id", id);
  b.set("type", "message");
  b.set("timestamp", now);
  const fhir::Node* req_header = request.child("entry")->child("resource");
  fhir::Node h = fhir::makeResource(*model.resourceType("MessageHeader"));
  h.set("id", id + "-header");
  if (const fhir::Node* ev = req_header->child("event")) {
    fhir::Node* coding = h.add("eventCoding");
    for (const char* k : {"system", "code", "display"}) {
      if (!ev->childValue(k).empty()) coding->set(k, std::string(ev->childValue(k)));
    }
  }
  if (const fhir::Node* src = req_header->child("source"); src != nullptr && !src->childValue("endpoint").empty()) {
    h.add("destination")->set("endpoint", std::string(src->childValue("endpoint")));
  }
  fhir::Node* source = h.add("source");
  source->set("name", "OneDoor");
  source->set("endpoint", base_url);
  fhir::Node* response = h.add("response");
  response->set("identifier", message_id);
  response->set("code", "ok");
  fhir::Node* entry = b.add("entry");
  entry->set("fullUrl", "urn:uuid:" + id + "-header");
  entry->addResource("resource", std::move(h));
  return b;
}

// Whether `incoming` (no id, no meta) says the same as the Patient kept now.
bool sameDemographics(const fhir::Node& kept, const fhir::Node& incoming) {
  if (kept.type == nullptr) return false;
  fhir::Node bare = kept;
  bare.removeChildren("id");
  bare.removeChildren("meta");
  bare.name = incoming.name;  // a resource read on its own vs one inside a Bundle entry
  return fhir::canonicalEqual(bare, incoming);
}

}  // namespace

namespace {
// The X-Request-Id the client gave, when the gateway uses it as the exchange's ("" otherwise).
std::string clientRequestId(const core::Exchange& ex) {
  auto given = ex.request.headers.get("X-Request-Id");
  return given && *given == ex.request_id ? *given : std::string();
}
}  // namespace

void RestEngine::processMessage(core::Exchange& ex) const {
  if (ex.request.method != "POST" || !ex.fhir.type.empty()) {
    ex.fail(core::invalid("$process-message is POST [base]/$process-message with a message Bundle"));
    return;
  }
  if (messaging_ == nullptr) {
    ex.fail(core::Status(core::Code::kNotImplemented, "this gateway has no messaging configured (routes)"));
    return;
  }
  if (!ex.fhir.resource || ex.fhir.resource->type == nullptr || ex.fhir.resource->type->name != "Bundle") {
    ex.fail(core::invalid("$process-message needs a Bundle of type message", "Bundle"));
    return;
  }
  const fhir::Node& bundle = *ex.fhir.resource;
  if (bundle.childValue("type") != "message") {
    ex.fail(core::invalid("Bundle.type must be 'message' for $process-message", "Bundle.type"));
    return;
  }
  const fhir::Node* first = bundle.child("entry");
  const fhir::Node* header = first != nullptr ? first->child("resource") : nullptr;
  if (header == nullptr || header->type == nullptr || header->type->name != "MessageHeader") {
    ex.fail(core::invalid("the first entry of a message must be its MessageHeader", "Bundle.entry[0].resource"));
    return;
  }
  std::string message_id(bundle.childValue("id"));
  if (message_id.empty()) {
    ex.fail(core::invalid("a message needs Bundle.id: it identifies the message to its sender and receivers", "Bundle.id"));
    return;
  }
  std::string sender = ex.principal.partner.empty() ? "anonymous" : ex.principal.partner;
  auto accepted = acceptMessage(
      bundle, sender, message_id,
      [&](const std::string& now) {
        return fhir::writeJson(responseMessage(*model_, bundle, message_id, env_->uuid(), now, config_.base_url));
      },
      AcceptOptions{ex.keep_with, ex.entry_persons ? &*ex.entry_persons : nullptr, clientRequestId(ex),
                    ex.correlation_id.empty() ? ex.request_id : ex.correlation_id});
  if (!accepted.isOk()) {
    ex.fail(accepted.status());
    return;
  }
  if (!accepted->stored_id.empty()) ex.audit.entities.push_back({"Bundle/" + accepted->stored_id, {}});
  ex.audit.patients = accepted->patients;
  std::string response_json = accepted->response;
  ex.response.status = 200;
  ex.response.raw_json = response_json;
}

core::Result<AcceptedMessage> RestEngine::acceptMessage(const fhir::Node& bundle, const std::string& sender,
                                                       const std::string& message_id,
                                                       const std::function<std::string(const std::string& now)>& response,
                                                       const AcceptOptions& options) const {
  if (messaging_ == nullptr) return core::Status(core::Code::kNotImplemented, "this gateway has no messaging configured");
  auto now_tp = env_->now();
  std::string now = core::formatInstant(now_tp);
  std::int64_t now_ms = core::epochMillis(now_tp);
  AcceptedMessage out;
  // Recipients and what each may see are decided before the transaction (they read Consents).
  // A message seen before is found inside the write (no read of its own before it: one per
  // message costs more than planning the rare copy); one that can no longer be planned (the
  // routes changed since) is still answered as it was.
  auto plan = messaging_->plan(bundle, sender, message_id, now, now_ms, options.entry_persons);
  if (!plan.isOk()) {
    GW_ASSIGN_OR_RETURN(auto seen, deliver::processedResponse(*store_, sender, message_id));
    if (!seen) return plan.status();
    out.response = *seen;
    out.duplicate = true;
    return out;
  }
  // The Bundle as it will be stored, the answer and the audit records of each recipient's
  // decision, made before the write unit: the single writer only stores them.
  PreparedCreate stored = prepareCreate(bundle, "");
  const std::string stored_id = stored.write.record.id;
  const std::string answer = response(now);
  std::vector<storage::AuditEntry> disclosures;
  if (audit_) disclosures = messaging_->disclosureAudits(*env_, plan->disclosures, message_id);
  // The decisions are audited before the answer, and only for a message not seen before: handed
  // to the audit log once the write has found no copy, so its commit runs beside the store's.
  std::function<core::Status()> audited;
  // Room with this gateway's senders: the messages first in their queues go to them straight
  // after the commit, without waiting for a claim.
  deliver::DirectDelivery* direct = plan->entries.empty() ? nullptr : messaging_->direct();
  std::optional<deliver::Lease> lease = direct != nullptr ? direct->reserve(plan->entries.size(), now_ms) : std::nullopt;
  std::vector<deliver::OutboxEntry> leased;
  core::Status written = store_->write([&](storage::WriteTx& tx) -> core::Status {
    if (options.keep_with) GW_RETURN_IF_ERROR(options.keep_with(tx));
    GW_ASSIGN_OR_RETURN(auto prior, deliver::processedResponse(tx, sender, message_id));
    if (prior) {
      out.response = *prior;
      out.duplicate = true;
      return core::Status::ok();
    }
    if (!options.request_id.empty()) {
      GW_ASSIGN_OR_RETURN(auto used, deliver::messageWithRequestId(tx, sender, options.request_id));
      if (used) {
        return core::Status(core::Code::kConflict, "REC_CONFLICT: X-Request-Id " + options.request_id +
                                                       " was already used for message " + *used +
                                                       "; each new message needs a new request id");
      }
    }
    if (audit_ && !audited) audited = audit_->appendLater(std::move(disclosures));
    GW_RETURN_IF_ERROR(putPrepared(tx, stored));
    GW_RETURN_IF_ERROR(keepMessagePatients(tx, bundle, sender, out.patients));
    leased.clear();
    for (auto& entry : plan->entries) {
      entry.correlation_id = options.correlation_id;
      GW_ASSIGN_OR_RETURN(auto taken, deliver::enqueue(tx, entry, lease ? &*lease : nullptr));
      if (taken) leased.push_back(std::move(*taken));
    }
    out.response = answer;
    return deliver::recordProcessed(tx, sender, message_id, out.response, now_ms, options.request_id);
  }, carriesPatients(bundle) ? storage::WriteMode::kAnyTime : storage::WriteMode::kChecksFirst);
  if (!written.isOk() || out.duplicate) leased.clear();  // nothing of it was kept
  // Nothing is sent before its recipient's decision is in the audit log. If the log failed, the
  // senders are not handed the messages: they wait, kept, for their leases to run out, and the
  // sender is told of the failure (sent again, the message is answered as the first time).
  const core::Status decisions_audited = audited ? audited() : core::Status::ok();
  if (!decisions_audited.isOk()) leased.clear();
  // The dispatcher is woken only for what the senders were not handed (its claims find it).
  const bool all_handed = leased.size() == plan->entries.size();
  if (lease) direct->handOff(std::move(leased), plan->entries.size(), now_ms);
  if (written.isOk() && !out.duplicate && decisions_audited.isOk() && !all_handed) messaging_->notify();
  GW_RETURN_IF_ERROR(written);
  GW_RETURN_IF_ERROR(decisions_audited);
  if (out.duplicate) return out;
  out.stored_id = stored_id;
  out.deliveries = plan->entries.size();
  for (const auto& d : plan->disclosures) {
    for (const auto& p : d.patients) {
      if (std::find(out.patients.begin(), out.patients.end(), p) == out.patients.end()) out.patients.push_back(p);
    }
  }
  return out;
}

bool RestEngine::carriesPatients(const fhir::Node& bundle) const {
  if (!identity_) return false;
  for (const fhir::Node* entry : bundle.childrenNamed("entry")) {
    const fhir::Node* r = entry->child("resource");
    if (r != nullptr && r->type != nullptr && r->type->name == "Patient") return true;
  }
  return false;
}

core::Status RestEngine::keepMessagePatients(storage::WriteTx& tx, const fhir::Node& bundle, const std::string& sender,
                                             std::vector<std::string>& patients) const {
  if (!identity_) return core::Status::ok();
  for (const fhir::Node* entry : bundle.childrenNamed("entry")) {
    const fhir::Node* r = entry->child("resource");
    if (r == nullptr || r->type == nullptr || r->type->name != "Patient") continue;
    fhir::Node patient = *r;
    // A link 'replaces' naming another record by identifier is a merge the sender asks for
    // (ADT A40: PID is the survivor, MRG the record it replaces).
    std::vector<std::pair<std::string, std::string>> replaces;
    for (const fhir::Node* link : patient.childrenNamed("link")) {
      const fhir::Node* other = link->child("other");
      const fhir::Node* id = other != nullptr ? other->child("identifier") : nullptr;
      if (link->childValue("type") == "replaces" && id != nullptr && !id->childValue("value").empty()) {
        replaces.emplace_back(std::string(id->childValue("system")), std::string(id->childValue("value")));
      }
    }
    patient.removeChildren("link");
    patient.removeChildren("id");
    patient.removeChildren("meta");
    if (patient.childrenNamed("identifier").empty()) continue;  // nothing to know the person by
    // Upserted by the first identifier that finds a kept Patient; else matched as a new one.
    std::string target;
    for (const fhir::Node* id : patient.childrenNamed("identifier")) {
      if (id->childValue("system").empty() || id->childValue("value").empty()) continue;
      GW_ASSIGN_OR_RETURN(auto found, matches(tx, "Patient", {{"identifier", std::string(id->childValue("system")) + "|" +
                                                                                  std::string(id->childValue("value"))}}));
      if (found.size() == 1) {
        target = found.front().id;
        break;
      }
    }
    if (target.empty()) {
      GW_ASSIGN_OR_RETURN(auto w, create(tx, std::move(patient), ""));
      target = w.record.id;
    } else {
      fhir::Node kept;
      GW_RETURN_IF_ERROR(keepServerOwned(tx, patient, target, &kept));
      // A feed re-sends the same demographics with every event (an A08 for a ward move): the
      // same Patient is not written again, so its version and history say when it changed.
      if (!sameDemographics(kept, patient)) GW_RETURN_IF_ERROR(update(tx, std::move(patient), target, std::nullopt).status());
    }
    if (std::find(patients.begin(), patients.end(), "Patient/" + target) == patients.end()) patients.push_back("Patient/" + target);
    for (const auto& [system, value] : replaces) {
      GW_ASSIGN_OR_RETURN(auto found, matches(tx, "Patient", {{"identifier", system + "|" + value}}));
      for (const auto& rec : found) {
        if (rec.id == target) continue;
        GW_RETURN_IF_ERROR(mergePatients(tx, rec.id, target, sender).status());
        patients.push_back("Patient/" + rec.id);
      }
    }
  }
  return core::Status::ok();
}

}  // namespace onedoor::stages::route
