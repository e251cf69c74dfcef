// The outbox for operators through the API (the HTTP twin of `onedoor outbox`):
//   GET  [base]/$outbox?state=&destination=&_count=   messages, newest first (JSON)
//   GET  [base]/$outbox?id=N                          one message with its body
//   POST [base]/$outbox-replay?id=N                   a dead or discarded message sent again
//   POST [base]/$outbox-discard?id=N                  a pending or dead message stopped
// Open to partners whose sector is "operator" only; every call is audited by the pipeline like
// any exchange, naming the message (urn:onedoor:outbox:N) and its patient.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>

#include "stages/deliver/outbox.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void field(Writer& w, const char* name, const std::string& value) {
  w.Key(name);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void field(Writer& w, const char* name, std::int64_t value) {
  w.Key(name);
  w.Int64(value);
}

void writeEntry(Writer& w, const deliver::OutboxEntry& m, bool with_body) {
  w.StartObject();
  field(w, "id", m.id);
  field(w, "state", m.state);
  field(w, "destination", m.destination);
  field(w, "messageId", m.message_id);
  field(w, "correlationId", m.correlation_id);
  field(w, "event", m.event);
  field(w, "source", m.source);
  field(w, "orderingKey", m.ordering_key);
  field(w, "attempts", m.attempts);
  field(w, "createdMs", m.created_ms);
  field(w, "nextAttemptMs", m.next_attempt_ms);
  w.Key("heldBehind");  // waits for the message ahead of it (same destination and patient)
  w.Bool(m.state == "pending" && m.next_attempt_ms >= deliver::kHeldBehind);
  field(w, "deliveredMs", m.delivered_ms);
  field(w, "lastError", m.last_error);
  field(w, "contentType", m.content_type);
  if (with_body) field(w, "body", m.body);
  w.EndObject();
}

// A positive integer query parameter; nullopt when absent.
core::Result<std::optional<std::int64_t>> number(const core::Exchange& ex, const std::string& name) {
  auto v = ex.request.param(name);
  if (!v) return std::optional<std::int64_t>();
  char* end = nullptr;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || n <= 0) {
    return core::invalid("parameter '" + name + "' must be a positive whole number, not '" + *v + "'");
  }
  return std::optional<std::int64_t>(n);
}

void noteMessage(core::Exchange& ex, const deliver::OutboxEntry& m) {
  if (m.ordering_key.rfind("Patient/", 0) == 0) ex.audit.patients.push_back(m.ordering_key);
  ex.audit.entities.push_back({"urn:onedoor:outbox:" + std::to_string(m.id), {}});
}

}  // namespace

void RestEngine::outboxAdmin(core::Exchange& ex) const {
  const std::string& op = ex.fhir.operation;
  if (ex.principal.sector != "operator") {
    ex.fail(core::Status(core::Code::kForbidden, "$" + op + " is open to operators only"));
    return;
  }
  bool listing = op == "outbox";
  if (ex.request.method != (listing ? "GET" : "POST")) {
    ex.fail(core::Status(core::Code::kNotAllowed, "$" + op + " takes " + (listing ? "GET" : "POST")));
    return;
  }
  for (const auto& [k, v] : ex.request.query) {
    bool known = k == "id" || (listing && (k == "state" || k == "destination" || k == "_count"));
    if (!known) {
      ex.fail(core::invalid("$" + op + " has no parameter '" + k + "'"));
      return;
    }
  }
  auto id = number(ex, "id");
  if (!id.isOk()) return ex.fail(id.status());
  deliver::Outbox outbox(store_);
  rapidjson::StringBuffer out;
  Writer w(out);
  if (listing && !*id) {
    std::string state = ex.request.param("state").value_or("");
    if (!state.empty() && state != "pending" && state != "delivered" && state != "dead" && state != "discarded") {
      return ex.fail(core::invalid("state must be pending, delivered, dead or discarded, not '" + state + "'"));
    }
    auto count = number(ex, "_count");
    if (!count.isOk()) return ex.fail(count.status());
    auto rows = outbox.list(state, ex.request.param("destination").value_or(""),
                            static_cast<std::size_t>(std::min<std::int64_t>(count->value_or(50), 1000)));
    if (!rows.isOk()) return ex.fail(rows.status());
    w.StartObject();
    w.Key("messages");
    w.StartArray();
    for (const auto& m : *rows) {
      writeEntry(w, m, false);
      noteMessage(ex, m);
    }
    w.EndArray();
    w.EndObject();
  } else {
    if (!*id) return ex.fail(core::invalid("$" + op + " needs the message's id (?id=N)"));
    auto found = outbox.get(**id);
    if (!found.isOk()) return ex.fail(found.status());
    if (!*found) return ex.fail(core::notFound("no outbox message " + std::to_string(**id)));
    noteMessage(ex, **found);
    if (!listing) {
      bool replay = op == "outbox-replay";
      std::int64_t now = core::epochMillis(std::chrono::system_clock::now());
      core::Status st = replay ? outbox.replay(**id, now) : outbox.discard(**id, now);
      if (!st.isOk()) {
        return ex.fail(core::Status(core::Code::kConflict,
                                    "message " + std::to_string(**id) + " is " + (*found)->state + "; only " +
                                        (replay ? "dead or discarded" : "pending or dead") + " messages can be " +
                                        (replay ? "replayed" : "discarded")));
      }
      found = outbox.get(**id);
      if (!found.isOk() || !*found) return ex.fail(core::internal("the message changed but cannot be read back"));
      if (replay && messaging_ != nullptr) messaging_->notify();
    }
    writeEntry(w, **found, listing);
  }
  ex.response.status = 200;
  ex.response.body.assign(out.GetString(), out.GetSize());
  ex.response.content_type = "application/json";
}

}  // namespace onedoor::stages::route
