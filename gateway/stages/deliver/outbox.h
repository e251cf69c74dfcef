#pragma once
// The outbox: messages accepted for delivery to partners, kept in the store's database. A message
// is enqueued inside the write unit that stores what it delivers, so that both commit together
// before the sender is acknowledged: once acknowledged, never lost; never acknowledged unless
// stored. Delivery workers claim due messages with a lease (several gateways may share one
// PostgreSQL database), and record the outcome: delivered, retried later, or a dead letter that an
// operator can replay or discard. Messages of one destination and ordering key (the patient) are
// delivered in the order they were accepted; a dead letter stops holding back the ones after it.
// Also the ledger of processed FHIR messages, for idempotent $process-message.
// Thread-safe (all state is in the database).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "config/gateway_config.h"
#include "core/env.h"
#include "core/exchange.h"
#include "storage/audit_store.h"
#include "storage/store.h"

namespace onedoor::stages::deliver {

// When a message waiting behind another for the same destination and patient is due: not before
// the one ahead has gone (delivered, dead or discarded), which then makes the next one due. Claims
// never walk the messages held so, however long a patient's queue. (9999-12-31T23:59:59.999Z.)
constexpr std::int64_t kHeldBehind = 253'402'300'799'999;

// The ordering key of a message about no patient: its own, shared with no other message, so
// that nothing ever waits behind it.
inline std::string messageOrderingKey(const std::string& message_id) { return "message:" + message_id; }
inline bool mayHaveFollowers(const std::string& ordering_key) { return ordering_key.rfind("message:", 0) != 0; }

struct OutboxEntry {
  std::int64_t id = 0;
  std::string destination;   // partner id
  std::string ordering_key;  // delivered in order per destination and key (Patient/<id>, or the message)
  std::string message_id;    // the idempotency key receivers get
  std::string correlation_id;  // X-Correlation-Id sent with it (the conversation, BaRS)
  std::string event;         // MessageHeader event code, or the HL7 v2 trigger
  std::string source;        // where it came from: sender|message id
  std::string content_type;
  std::string body;
  std::string state = "pending";  // pending | delivered | dead | discarded
  std::int64_t attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::string last_error;
  std::int64_t created_ms = 0;
  std::int64_t delivered_ms = 0;
};

// A lease this gateway's senders hold on messages they are sending (see DirectDelivery).
struct Lease {
  std::string owner;
  std::int64_t until_ms = 0;
};

// Inside a write unit: adds `entry` (pending, due at entry.next_attempt_ms; held behind a message
// still pending ahead of it for the same destination and patient). With `lease`, an entry that is
// first in its queue and due is taken by that lease at once and returned with its id, for the
// caller to send after the commit; otherwise nullopt (a claim takes it when it is due).
core::Result<std::optional<OutboxEntry>> enqueue(storage::WriteTx& tx, const OutboxEntry& entry,
                                                 const Lease* lease = nullptr);

// Where messages accepted by this gateway go straight to its senders, without a claim: reserve
// room before the write unit, enqueue with the lease, hand the leased ones over after the commit.
class DirectDelivery {
 public:
  virtual ~DirectDelivery() = default;
  // Room for `n` more messages in flight, leased from `now_ms`; nullopt when there is none.
  virtual std::optional<Lease> reserve(std::size_t n, std::int64_t now_ms) = 0;
  // After the commit (or its failure): the messages enqueued leased, to send; the room reserved
  // for the others given back.
  virtual void handOff(std::vector<OutboxEntry> leased, std::size_t reserved, std::int64_t claimed_ms) = 0;
  // Look at the outbox now, not at the next poll: messages were committed that no sender has.
  virtual void wake() = 0;
};

// Inside a write unit: the response a message from `sender` with `message_id` had, if it was
// processed before; and recording one.
core::Result<std::optional<std::string>> processedResponse(storage::WriteTx& tx, const std::string& sender,
                                                           const std::string& message_id);
// `request_id`: the X-Request-Id the sender gave it ("" if none), unique per sender.
core::Status recordProcessed(storage::WriteTx& tx, const std::string& sender, const std::string& message_id,
                             const std::string& response, std::int64_t now_ms, const std::string& request_id = "");
// The message id a sender's earlier message with X-Request-Id `request_id` had, if any.
core::Result<std::optional<std::string>> messageWithRequestId(storage::WriteTx& tx, const std::string& sender,
                                                              const std::string& request_id);
// The same look-up outside a write unit (a read: a message being processed right now is not seen).
core::Result<std::optional<std::string>> processedResponse(storage::Store& store, const std::string& sender,
                                                           const std::string& message_id);

struct OutboxStats {
  struct Destination {
    std::string destination;
    std::int64_t pending = 0;
    std::int64_t dead = 0;
    std::int64_t delivered = 0;
    std::int64_t oldest_pending_ms = 0;  // created_ms of the oldest pending message (0: none)
  };
  std::vector<Destination> destinations;
};

// The AuditEvent of an exchange with `partner` as the agent (a recipient of a message): `fill`
// sets what happened (operation, outcome, patients, decision). Callers append such records
// together (AuditStore::appendAll / appendLater).
storage::AuditEntry partnerAuditEntry(const fhir::Model& model, core::Env& env, const config::PartnerConfig* partner,
                                      const std::string& partner_id, const std::function<void(core::Exchange&)>& fill);

class Outbox {
 public:
  explicit Outbox(std::shared_ptr<storage::Store> store) : store_(std::move(store)) {}

  // Claims up to `limit` due messages for `owner` until now + lease: pending, due, not leased by
  // another worker, and first among the pending ones of their destination and ordering key.
  core::Result<std::vector<OutboxEntry>> claim(const std::string& owner, std::int64_t now_ms, std::int64_t lease_ms,
                                               std::size_t limit) const;
  // What became of a claimed message: delivered, to be tried again at `at_ms`, a dead letter, or
  // given back untried until `at_ms` (its destination's circuit is open).
  struct Outcome {
    enum class Kind : std::uint8_t { kDelivered, kRetry, kDead, kReleased };
    std::int64_t id = 0;
    Kind kind = Kind::kDelivered;
    std::int64_t attempts = 0;
    std::int64_t at_ms = 0;  // delivered at, or due again at
    std::string error;
    // Whether messages may be held behind it (mayHaveFollowers of its ordering key): if not, none
    // is looked for when it goes.
    bool may_have_followers = true;
  };
  // Records the outcomes of a batch of claimed messages in one commit (and drops their leases).
  core::Status settle(const std::vector<Outcome>& outcomes) const;

  // At start-up of the only gateway on a database (SQLite): leases of a gateway that stopped
  // without giving them back (a crash) are dropped, so its messages go at once, not after the lease.
  core::Status releaseAllLeases() const;

  // Gateways sharing the database (PostgreSQL): gateway `owner` is alive at `now_ms`. The messages
  // leased by gateways silent since before now - silent_ms (killed, their machine gone) are
  // released for the living to claim at once, instead of after their lease; the silent gateways
  // are forgotten. silent_ms < 0: only the heartbeat (a gateway that has not itself been beating
  // for that long, as after the database was unreachable for all, judges no one). Returns how
  // many messages were released.
  core::Result<std::size_t> heartbeat(const std::string& owner, std::int64_t started_ms, std::int64_t now_ms,
                                      std::int64_t silent_ms) const;
  // Gateway `owner` stops: the messages it leased and did not send are released, and it is forgotten.
  core::Status leave(const std::string& owner) const;
  // Whether several gateways may share this outbox (PostgreSQL; a SQLite file has one gateway).
  bool shared() const { return store_->driver() != "sqlite"; }
  // The lease owner of gateway `owner`'s claims.
  static std::string leaseOwner(const std::string& owner) { return owner + "#claim"; }

  // Operators.
  core::Result<std::vector<OutboxEntry>> list(const std::string& state, const std::string& destination,
                                              std::size_t limit) const;
  core::Result<std::optional<OutboxEntry>> get(std::int64_t id) const;
  // A dead or discarded message back to pending, its attempts counted afresh; due now, or when a
  // message for the same destination and patient that is being sent has gone. It goes before the
  // messages still waiting behind it for that patient.
  core::Status replay(std::int64_t id, std::int64_t now_ms) const;
  // A pending or dead message is not to be delivered.
  core::Status discard(std::int64_t id, std::int64_t now_ms) const;
  core::Result<OutboxStats> stats() const;

 private:
  std::shared_ptr<storage::Store> store_;
};

}  // namespace onedoor::stages::deliver
