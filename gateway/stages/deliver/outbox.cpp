#include "stages/deliver/outbox.h"

#include <map>

#include "stages/audit/audit_event.h"

namespace onedoor::stages::deliver {

namespace {

using storage::asInt;
using storage::asString;

constexpr const char* kColumns =
    "id, destination, ordering_key, message_id, event, source, content_type, body, state, attempts, "
    "next_attempt_ms, last_error, created_ms, delivered_ms, correlation_id";

OutboxEntry toEntry(const storage::SqlRow& r) {
  OutboxEntry e;
  e.id = asInt(r[0]);
  e.destination = asString(r[1]);
  e.ordering_key = asString(r[2]);
  e.message_id = asString(r[3]);
  e.event = asString(r[4]);
  e.source = asString(r[5]);
  e.content_type = asString(r[6]);
  e.body = asString(r[7]);
  e.state = asString(r[8]);
  e.attempts = asInt(r[9]);
  e.next_attempt_ms = asInt(r[10]);
  e.last_error = asString(r[11]);
  e.created_ms = asInt(r[12]);
  e.delivered_ms = asInt(r[13]);
  e.correlation_id = storage::isNull(r[14]) ? std::string() : asString(r[14]);
  return e;
}

// The messages behind message `id` (same destination and patient, pending, not yet tried) that
// are due before `at_ms` are moved to it: not due before the one ahead, so that claims do not walk
// them meanwhile. (Messages enqueued held behind another are never due before it anyway.)
core::Status holdFollowers(storage::WriteTx& tx, std::int64_t id, std::int64_t at_ms) {
  return tx.sql().exec("UPDATE outbox SET next_attempt_ms = ? WHERE state = 'pending' AND next_attempt_ms < ? AND id > ? AND "
                       "attempts = 0 AND (destination, ordering_key) = (SELECT destination, ordering_key FROM outbox "
                       "WHERE id = ?)",
                       {at_ms, at_ms, id, id});
}

// Message `id` has gone (delivered, dead or discarded): the first message still pending for the
// same destination and patient is due at `at_ms`, if it was waiting for it (held, moved later with
// it, or a replayed dead letter waiting for the one in flight). The ones after that wait for that
// one in turn. (The first pending is usually the next by id; a replayed dead letter comes before.)
core::Status releaseNext(storage::WriteTx& tx, std::int64_t id, std::int64_t at_ms) {
  return tx.sql().exec("UPDATE outbox SET next_attempt_ms = ? WHERE id = (SELECT n.id FROM outbox n, outbox o WHERE "
                       "o.id = ? AND n.destination = o.destination AND n.ordering_key = o.ordering_key AND "
                       "n.state = 'pending' ORDER BY n.id LIMIT 1) AND next_attempt_ms > ? AND attempts = 0",
                       {at_ms, id, at_ms});
}

// Gateway `owner` is gone (silent, or stopped): the pending messages it had leased are anyone's
// again, and its heartbeat record is dropped; how many messages.
core::Result<std::size_t> forgetGateway(storage::WriteTx& tx, const std::string& owner) {
  GW_ASSIGN_OR_RETURN(auto released, tx.sql().update("UPDATE outbox SET lease_owner = '', lease_until_ms = 0 WHERE "
                                                     "state = 'pending' AND lease_owner = ? AND lease_until_ms > 0",
                                                     {Outbox::leaseOwner(owner)}));
  GW_RETURN_IF_ERROR(tx.sql().exec("DELETE FROM gateway_instance WHERE owner = ?", {owner}));
  return released;
}

}  // namespace

storage::AuditEntry partnerAuditEntry(const fhir::Model& model, core::Env& env, const config::PartnerConfig* partner,
                                      const std::string& partner_id, const std::function<void(core::Exchange&)>& fill) {
  core::Exchange ex(model);
  ex.request.endpoint = "delivery";
  ex.request.method = "POST";
  ex.fhir.interaction = core::Interaction::kOperation;
  ex.principal.authenticated = true;
  ex.principal.partner = partner_id;
  if (partner != nullptr) {
    ex.principal.sector = partner->sector;
    ex.principal.ods = partner->ods;
  }
  ex.principal.purpose = "TREAT";
  fill(ex);
  auto now = env.now();
  auto event = audit::auditEvent(ex, env.uuid(), core::formatInstant(now), core::epochMillis(now), "OneDoor gateway");
  return {std::move(event.json), std::move(event.facts)};
}

core::Result<std::optional<OutboxEntry>> enqueue(storage::WriteTx& tx, const OutboxEntry& e, const Lease* lease) {
  // Held behind a message still pending ahead of it for the same destination and patient.
  GW_ASSIGN_OR_RETURN(auto ahead, tx.sql().query("SELECT 1 FROM outbox WHERE destination = ? AND ordering_key = ? AND "
                                                 "state = 'pending' LIMIT 1",
                                                 {e.destination, e.ordering_key}));
  const bool first = ahead.empty();
  OutboxEntry out = e;
  if (!first) out.next_attempt_ms = kHeldBehind;
  const bool take = lease != nullptr && first;
  GW_ASSIGN_OR_RETURN(
      auto rows,
      tx.sql().query("INSERT INTO outbox (destination, ordering_key, message_id, event, source, content_type, body, state, "
                     "attempts, next_attempt_ms, created_ms, lease_owner, lease_until_ms, correlation_id) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?) RETURNING id",
                     {e.destination, e.ordering_key, e.message_id, e.event, e.source, e.content_type, e.body,
                      out.next_attempt_ms, e.created_ms, take ? lease->owner : std::string(),
                      take ? lease->until_ms : std::int64_t{0}, e.correlation_id}));
  if (!take) return std::optional<OutboxEntry>();
  if (rows.empty()) return core::internal("the outbox gave no id for a new message");
  out.id = asInt(rows.front()[0]);
  return std::optional<OutboxEntry>(std::move(out));
}

namespace {
constexpr const char* kProcessedResponse = "SELECT response FROM processed_message WHERE sender = ? AND message_id = ?";

// The first column of the first row, if there is a row.
std::optional<std::string> firstValue(const std::vector<storage::SqlRow>& rows) {
  if (rows.empty()) return std::nullopt;
  return asString(rows.front()[0]);
}
}  // namespace

core::Result<std::optional<std::string>> processedResponse(storage::WriteTx& tx, const std::string& sender,
                                                           const std::string& message_id) {
  GW_ASSIGN_OR_RETURN(auto rows, tx.sql().query(kProcessedResponse, {sender, message_id}));
  return firstValue(rows);
}

core::Result<std::optional<std::string>> processedResponse(storage::Store& store, const std::string& sender,
                                                           const std::string& message_id) {
  GW_ASSIGN_OR_RETURN(auto rows, store.query(kProcessedResponse, {sender, message_id}));
  return firstValue(rows);
}

core::Status recordProcessed(storage::WriteTx& tx, const std::string& sender, const std::string& message_id,
                             const std::string& response, std::int64_t now_ms, const std::string& request_id) {
  // No request id: NULL, which the unique index on (sender, request_id) leaves out.
  storage::SqlValue rid = request_id.empty() ? storage::SqlValue(nullptr) : storage::SqlValue(request_id);
  return tx.sql().exec("INSERT INTO processed_message (sender, message_id, received_ms, response, request_id) "
                       "VALUES (?, ?, ?, ?, ?)",
                       {sender, message_id, now_ms, response, rid});
}

core::Result<std::optional<std::string>> messageWithRequestId(storage::WriteTx& tx, const std::string& sender,
                                                              const std::string& request_id) {
  GW_ASSIGN_OR_RETURN(auto rows, tx.sql().query("SELECT message_id FROM processed_message WHERE sender = ? AND "
                                                "request_id = ?",
                                                {sender, request_id}));
  return firstValue(rows);
}

core::Result<std::vector<OutboxEntry>> Outbox::claim(const std::string& owner, std::int64_t now_ms, std::int64_t lease_ms,
                                                     std::size_t limit) const {
  // Candidates first (a read), then each taken with a conditional UPDATE: a row another worker
  // (or gateway) leased in between is skipped, not delivered twice.
  GW_ASSIGN_OR_RETURN(
      auto rows,
      store_->query(std::string("SELECT ") + kColumns +
                        " FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_ms <= ? AND o.lease_until_ms <= ? "
                        "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.destination = o.destination AND "
                        "p.ordering_key = o.ordering_key AND p.state = 'pending' AND p.id < o.id) "
                        "ORDER BY o.next_attempt_ms, o.id LIMIT ?",
                    {now_ms, now_ms, static_cast<std::int64_t>(limit)}));
  std::vector<OutboxEntry> claimed;
  if (rows.empty()) return claimed;
  GW_RETURN_IF_ERROR(store_->write([&](storage::WriteTx& tx) -> core::Status {
    claimed.clear();
    for (const auto& r : rows) {
      OutboxEntry e = toEntry(r);
      // Still first in its queue: a dead letter replayed since the read goes before it.
      GW_ASSIGN_OR_RETURN(auto n, tx.sql().update("UPDATE outbox SET lease_owner = ?, lease_until_ms = ? WHERE id = ? AND "
                                                  "state = 'pending' AND lease_until_ms <= ? AND NOT EXISTS (SELECT 1 FROM "
                                                  "outbox p WHERE p.destination = ? AND p.ordering_key = ? AND "
                                                  "p.state = 'pending' AND p.id < ?)",
                                                  {owner, now_ms + lease_ms, e.id, now_ms, e.destination, e.ordering_key,
                                                   e.id}));
      if (n == 1) claimed.push_back(std::move(e));
    }
    return core::Status::ok();
  }, storage::WriteMode::kChecksFirst));
  return claimed;
}

core::Status Outbox::settle(const std::vector<Outcome>& outcomes) const {
  if (outcomes.empty()) return core::Status::ok();
  return store_->write([&](storage::WriteTx& tx) -> core::Status {
    for (const auto& o : outcomes) {
      std::size_t n = 0;
      switch (o.kind) {
        case Outcome::Kind::kDelivered: {
          GW_ASSIGN_OR_RETURN(n, tx.sql().update("UPDATE outbox SET state = 'delivered', attempts = ?, delivered_ms = ?, "
                                                 "last_error = '', lease_owner = '', lease_until_ms = 0 WHERE id = ?",
                                                 {o.attempts, o.at_ms, o.id}));
          if (o.may_have_followers) GW_RETURN_IF_ERROR(releaseNext(tx, o.id, o.at_ms));
          break;
        }
        case Outcome::Kind::kRetry:
        case Outcome::Kind::kDead: {
          std::string state = o.kind == Outcome::Kind::kDead ? "dead" : "pending";
          GW_ASSIGN_OR_RETURN(n, tx.sql().update("UPDATE outbox SET state = ?, attempts = ?, last_error = ?, "
                                                 "next_attempt_ms = ?, lease_owner = '', lease_until_ms = 0 WHERE id = ?",
                                                 {state, o.attempts, o.error.substr(0, 1000), o.at_ms, o.id}));
          if (o.kind == Outcome::Kind::kRetry) GW_RETURN_IF_ERROR(holdFollowers(tx, o.id, o.at_ms));
          if (o.kind == Outcome::Kind::kDead && o.may_have_followers) GW_RETURN_IF_ERROR(releaseNext(tx, o.id, o.at_ms));
          break;
        }
        case Outcome::Kind::kReleased: {
          GW_ASSIGN_OR_RETURN(n, tx.sql().update("UPDATE outbox SET next_attempt_ms = ?, lease_owner = '', "
                                                 "lease_until_ms = 0 WHERE id = ?",
                                                 {o.at_ms, o.id}));
          GW_RETURN_IF_ERROR(holdFollowers(tx, o.id, o.at_ms));
          break;
        }
      }
      (void)n;  // rows are never deleted: an id claimed is an id found
    }
    return core::Status::ok();
  }, storage::WriteMode::kChecksFirst);
}

core::Status Outbox::releaseAllLeases() const {
  return store_->write([&](storage::WriteTx& tx) -> core::Status {
    return tx.sql().exec("UPDATE outbox SET lease_owner = '', lease_until_ms = 0 WHERE state = 'pending' AND lease_until_ms > 0");
  });
}

core::Result<std::size_t> Outbox::heartbeat(const std::string& owner, std::int64_t started_ms, std::int64_t now_ms,
                                            std::int64_t silent_ms) const {
  std::size_t released = 0;
  GW_RETURN_IF_ERROR(store_->write([&](storage::WriteTx& tx) -> core::Status {
    released = 0;
    GW_RETURN_IF_ERROR(tx.sql().exec("INSERT INTO gateway_instance (owner, started_ms, heartbeat_ms) VALUES (?, ?, ?) "
                                     "ON CONFLICT (owner) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms",
                                     {owner, started_ms, now_ms}));
    if (silent_ms < 0) return core::Status::ok();
    // Usually no one is silent: the outbox is only looked at when someone is.
    GW_ASSIGN_OR_RETURN(auto silent, tx.sql().query("SELECT owner FROM gateway_instance WHERE heartbeat_ms < ?",
                                                    {now_ms - silent_ms}));
    for (const auto& row : silent) {
      GW_ASSIGN_OR_RETURN(auto n, forgetGateway(tx, asString(row[0])));
      released += n;
    }
    return core::Status::ok();
  }));
  return released;
}

core::Status Outbox::leave(const std::string& owner) const {
  return store_->write([&](storage::WriteTx& tx) -> core::Status { return forgetGateway(tx, owner).status(); });
}

core::Result<std::vector<OutboxEntry>> Outbox::list(const std::string& state, const std::string& destination,
                                                    std::size_t limit) const {
  std::string sql = std::string("SELECT ") + kColumns + " FROM outbox WHERE 1 = 1";
  storage::SqlParams params;
  if (!state.empty()) {
    sql += " AND state = ?";
    params.emplace_back(state);
  }
  if (!destination.empty()) {
    sql += " AND destination = ?";
    params.emplace_back(destination);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(limit));
  GW_ASSIGN_OR_RETURN(auto rows, store_->query(sql, params));
  std::vector<OutboxEntry> out;
  for (const auto& r : rows) out.push_back(toEntry(r));
  return out;
}

core::Result<std::optional<OutboxEntry>> Outbox::get(std::int64_t id) const {
  GW_ASSIGN_OR_RETURN(auto rows, store_->query(std::string("SELECT ") + kColumns + " FROM outbox WHERE id = ?", {id}));
  if (rows.empty()) return std::optional<OutboxEntry>();
  return std::optional<OutboxEntry>(toEntry(rows.front()));
}

core::Status Outbox::replay(std::int64_t id, std::int64_t now_ms) const {
  return store_->write([&](storage::WriteTx& tx) -> core::Status {
    // Due now, or, while a message for the same destination and patient is being sent, when that
    // one's lease ends: its outcome releases the replayed message first (releaseNext), so that
    // the two are never in flight together. The replayed message then goes before the ones still
    // waiting behind, as it was accepted before them.
    GW_ASSIGN_OR_RETURN(auto in_flight, tx.sql().query("SELECT MAX(p.lease_until_ms) FROM outbox p, outbox o WHERE o.id = ? "
                                                       "AND p.destination = o.destination AND p.ordering_key = "
                                                       "o.ordering_key AND p.state = 'pending' AND p.lease_until_ms > ?",
                                                       {id, now_ms}));
    std::int64_t due = now_ms;
    if (!in_flight.empty() && !storage::isNull(in_flight.front()[0])) due = asInt(in_flight.front()[0]);
    GW_ASSIGN_OR_RETURN(auto n, tx.sql().update("UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ?, "
                                                "lease_owner = '', lease_until_ms = 0 WHERE id = ? AND "
                                                "state IN ('dead', 'discarded')",
                                                {due, id}));
    if (n == 0) return core::notFound("no dead or discarded outbox message " + std::to_string(id));
    return core::Status::ok();
  });
}

core::Status Outbox::discard(std::int64_t id, std::int64_t now_ms) const {
  return store_->write([&](storage::WriteTx& tx) -> core::Status {
    GW_ASSIGN_OR_RETURN(auto n, tx.sql().update("UPDATE outbox SET state = 'discarded', lease_owner = '', lease_until_ms = 0 "
                                                "WHERE id = ? AND state IN ('pending', 'dead')",
                                                {id}));
    if (n == 0) return core::notFound("no pending or dead outbox message " + std::to_string(id));
    return releaseNext(tx, id, now_ms);  // the messages held behind it go on now, in turn
  });
}

core::Result<OutboxStats> Outbox::stats() const {
  GW_ASSIGN_OR_RETURN(auto rows, store_->query("SELECT destination, state, COUNT(*), MIN(created_ms) FROM outbox "
                                               "GROUP BY destination, state ORDER BY destination"));
  OutboxStats out;
  std::map<std::string, OutboxStats::Destination> by;
  for (const auto& r : rows) {
    auto& d = by[asString(r[0])];
    d.destination = asString(r[0]);
    std::string state = asString(r[1]);
    std::int64_t n = asInt(r[2]);
    if (state == "pending") {
      d.pending = n;
      d.oldest_pending_ms = asInt(r[3]);
    } else if (state == "dead") {
      d.dead = n;
    } else if (state == "delivered") {
      d.delivered = n;
    }
  }
  for (auto& [name, d] : by) out.destinations.push_back(std::move(d));
  return out;
}

}  // namespace onedoor::stages::deliver
