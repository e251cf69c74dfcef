#include "app/inbound_hl7.h"

#include <cctype>
#include <optional>

#include "core/calendar.h"
#include "core/exchange.h"
#include "fhir/codec.h"
#include "hl7v2/message.h"
#include "stages/audit/audit_event.h"

namespace onedoor::app {

namespace {

std::string timestamp(const std::shared_ptr<core::Env>& env) {
  // HL7 v2 TS: YYYYMMDDHHMMSS (UTC, from the ISO instant).
  std::string iso = core::formatInstant(env->now());
  std::string out;
  for (char c : iso.substr(0, 19)) {
    if (std::isdigit(static_cast<unsigned char>(c))) out += c;
  }
  return out;
}

// An ACK for a message that could not be read: what can be found of its control id is echoed.
std::string rejectUnreadable(const std::string& text, const std::string& why, const std::string& ts,
                             const std::string& ack_id) {
  std::string control;
  if (text.rfind("MSH", 0) == 0 && text.size() > 3) {
    char sep = text[3];
    std::size_t pos = 0;
    for (int i = 0; i < 9 && pos != std::string::npos; ++i) pos = text.find(sep, pos + 1);
    if (pos != std::string::npos) control = text.substr(pos + 1, text.find_first_of(std::string(1, sep) + "\r\n", pos + 1) - pos - 1);
  }
  hl7v2::Message ack;
  hl7v2::Segment msh;
  msh.name = "MSH";
  msh.fields = {ack.keep("|"), ack.keep("^~\\&")};
  ack.segments.push_back(std::move(msh));
  (void)ack.set("MSH-3", "ONEDOOR");
  (void)ack.set("MSH-7", ts);
  (void)ack.set("MSH-9.1", "ACK");
  (void)ack.set("MSH-10", ack_id);
  (void)ack.set("MSH-11", "P");
  (void)ack.set("MSH-12", "2.5");
  (void)ack.set("MSA-1", "AR");
  (void)ack.set("MSA-2", control);
  (void)ack.set("MSA-3", why.substr(0, 200));
  return hl7v2::write(ack);
}

// How the audit log names a message kept as received.
std::string inboundEntity(std::int64_t seq) { return "urn:onedoor:inbound:" + std::to_string(seq); }

}  // namespace

bool InboundHl7::audit(int status, const std::string& entity, const std::string& why) const {
  return auditLater(status, entity, why)().isOk();
}

std::function<core::Status()> InboundHl7::auditLater(int status, const std::string& entity, const std::string& why) const {
  core::Exchange ex(model_);
  ex.request.transport = "mllp";
  ex.request.endpoint = "mllp";
  ex.request.method = "POST";
  ex.request.path = "/mllp/" + partner_.id;
  ex.request_id = env_->uuid();
  ex.principal.authenticated = true;  // the listener is this partner's alone (config)
  ex.principal.partner = partner_.id;
  ex.principal.sector = partner_.sector;
  ex.principal.ods = partner_.ods;
  ex.principal.purpose = "TREAT";
  ex.response.status = status;
  if (!why.empty()) ex.fail(core::Status(status >= 500 ? core::Code::kUnavailable : core::Code::kInvalid, why));
  ex.response.status = status;
  if (!entity.empty()) ex.audit.entities.push_back({entity, {}});
  auto now = env_->now();
  auto event = stages::audit::auditEvent(ex, env_->uuid(), core::formatInstant(now), core::epochMillis(now),
                                         "OneDoor gateway");
  std::vector<storage::AuditEntry> entries;
  entries.push_back({std::move(event.json), std::move(event.facts)});
  return audit_->appendLater(std::move(entries));
}

std::string InboundHl7::handle(const std::string& text) const {
  std::string ts = timestamp(env_);
  std::string ack_id = env_->uuid();
  auto message = hl7v2::parse(text);
  if (!message.isOk()) {
    (void)audit(400, "", message.status().message());
    return rejectUnreadable(text, message.status().message(), ts, ack_id);
  }
  auto ack = [&](const char* code, const std::string& why) {
    return hl7v2::write(hl7v2::acknowledgement(*message, code, why, ack_id, ts));
  };
  std::string control = message->controlId();
  if (control.empty()) {
    (void)audit(400, "", "MSH-10 (message control id) is empty");
    return ack("AR", "MSH-10 (message control id) is empty");
  }
  // Checked with the partner's map first, so that the kept message says whether it mapped.
  std::string status = "received", detail;
  std::optional<fhir::Node> fhir_message;
  if (map_) {
    auto mapped = map_->transform(hl7v2::toTree(*message));
    status = mapped.isOk() ? "mapped" : "error";
    if (!mapped.isOk()) detail = mapped.status().message();
    if (mapped.isOk() && mapped->type != nullptr && mapped->type->name == "Bundle" && mapped->childValue("type") == "message") {
      fhir_message = std::move(mapped).value();
    }
  }
  storage::InboundMessage inbound{partner_.id, control, "hl7v2", text, status, detail, core::epochMillis(env_->now())};
  // A message mapped to a FHIR message goes through the FHIR pipeline as the partner's own
  // $process-message: validated, decided by the consent stage as the partner's write, kept with
  // its deliveries, audited. The control id is the message id. The message as received is kept in
  // the same transaction, and the exchange's audit record names it: one commit and one audit
  // record (a message refused or not routed is kept and audited on its own as well).
  struct Routed {
    int code = 0;
    std::string why;
    std::optional<storage::Store::InboundReceipt> kept_with;
  };
  std::optional<Routed> routed;
  if (status != "error" && fhir_message && pipeline_) {
    routed.emplace();
    std::string id;
    for (char c : control) id += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '-';
    fhir_message->set("id", id.substr(0, 64));
    core::Exchange ex(model_);
    ex.request.transport = "mllp";
    ex.request.endpoint = "fhir";
    ex.request.method = "POST";
    ex.request.path = "/$process-message";
    ex.request.headers.set("Content-Type", "application/fhir+json");
    ex.request.body = fhir::writeJson(*fhir_message);
    ex.request_id = env_->uuid();
    ex.principal.authenticated = true;  // the listener is this partner's alone (config)
    ex.principal.partner = partner_.id;
    ex.principal.sector = partner_.sector;
    ex.principal.ods = partner_.ods;
    ex.principal.scopes = partner_.scopes;
    ex.principal.purpose = "TREAT";
    ex.keep_with = [&](storage::WriteTx& tx) -> core::Status {
      GW_ASSIGN_OR_RETURN(auto receipt, storage::keepInbound(tx, inbound));
      routed->kept_with = receipt;
      ex.audit.entities.push_back({inboundEntity(receipt.seq), {}});
      return core::Status::ok();
    };
    pipeline_->run(ex);
    routed->code = ex.response.status;
    if (routed->code >= 200 && routed->code < 300 && routed->kept_with) {
      return ack("AA", routed->kept_with->duplicate ? "duplicate of a message already received" : "");
    }
    // The reason, as the OperationOutcome an HTTP sender would have had.
    if (ex.response.resource && ex.response.resource->type != nullptr && ex.response.resource->type->name == "OperationOutcome") {
      if (const fhir::Node* issue = ex.response.resource->child("issue")) {
        routed->why = std::string(issue->childValue("diagnostics"));
        if (const fhir::Node* expr = issue->child("expression"); expr != nullptr && !expr->value.empty()) routed->why += " at " + expr->value;
      }
    }
    if (routed->why.empty() && !ex.issues().empty()) routed->why = ex.issues().front().message;
    if (routed->why.empty()) routed->why = "refused (HTTP " + std::to_string(routed->code) + ")";
  }
  // Otherwise (not routed, refused, or answered without a write) the message is kept and audited
  // on its own (again when it was kept with a write that failed: nothing of that was committed).
  auto receipt = store_->recordInbound(inbound.partner, inbound.control_id, inbound.format, inbound.body, inbound.status,
                                       inbound.detail, inbound.received_ms);
  if (!receipt.isOk()) {
    (void)audit(503, "", "the message could not be kept: " + receipt.status().message());
    return ack("AR", "the message could not be kept; send it again");
  }
  std::string entity = inboundEntity(receipt->seq);
  // The receipt's audit record is committed while the message goes on; no acknowledgement is sent
  // before it is durable. If it cannot be, the sender is told to send again (AR): a copy routed
  // meanwhile is then answered as a duplicate, not routed twice.
  auto audited = auditLater(status == "error" ? 422 : 201, entity, detail);
  auto respond = [&](const char* code, const std::string& why) {
    if (!audited().isOk()) return ack("AR", "the audit log cannot record the message; send it again");
    return ack(code, why);
  };
  if (status == "error") return respond("AE", detail);
  if (routed) {
    if (routed->code >= 200 && routed->code < 300) {
      return respond("AA", receipt->duplicate ? "duplicate of a message already received" : "");
    }
    // Refused by consent or policy (403), or by the gateway's state (5xx): AR, the sender must not
    // assume it went; a problem in the message (4xx): AE, with the reason.
    if (routed->code == 403 || routed->code >= 500) return respond("AR", routed->why);
    return respond("AE", routed->why);
  }
  // Kept with its deliveries before the AA (again on a re-send: a message kept before a crash but
  // not yet routed is routed now; one already routed is not routed twice).
  if (fhir_message && engine_) {
    auto accepted = engine_->acceptMessage(*fhir_message, partner_.id, control, [](const std::string&) { return "AA"; });
    if (!accepted.isOk()) {
      (void)audited();
      (void)audit(503, entity, "the mapped message could not be kept: " + accepted.status().message());
      return ack("AR", "the message could not be kept; send it again");
    }
  }
  if (receipt->duplicate) return respond("AA", "duplicate of a message already received");
  return respond("AA", "");
}

}  // namespace onedoor::app
