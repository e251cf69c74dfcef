#pragma once
// The delivery workers: a dispatcher thread claims due messages from the outbox in batches (one
// commit each), sender threads send them to their partners (transport.h), one attempt at a time,
// and a settler thread records the outcomes that have come in since its last commit in one commit
// and appends their audit records together. A failed attempt is tried again after an
// exponential back-off with jitter, capped; after the partner's last attempt, or at once when
// the receiver refuses the message for good, it becomes a dead letter (the messages after it for
// the same patient then go on: one poison message blocks nothing). A destination that keeps
// failing has its circuit opened for a while: its messages wait without using up attempts, and
// the other destinations are not slowed. Every attempt is audited as a disclosure to the
// recipient (outcome, destination, message; no content).
// Made at start-up; start() and stop() from one thread; counters() from any.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/gateway_config.h"
#include "core/env.h"
#include "fhir/model.h"
#include "stages/deliver/outbox.h"
#include "storage/audit_store.h"

namespace onedoor::stages::deliver {

struct DeliveryCounters {
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> retried{0};
  std::atomic<std::uint64_t> dead{0};
  std::atomic<std::uint64_t> breaker_opened{0};
  std::atomic<std::uint64_t> taken_over{0};  // leased by a gateway that went silent, released here
};

// The back-off before attempt `attempts` + 1: initial × 2^(attempts-1), capped at max, then a
// random point in its upper half (jitter, so that retries of many messages spread out).
std::int64_t backoffMs(const config::DeliveryConfig& d, std::int64_t attempts, double unit_random);

// The outbox and the workers' counters in the Prometheus text format: messages by destination and
// state, the age of the oldest undelivered message per destination, deliveries by outcome.
std::string deliveryMetrics(const Outbox& outbox, const DeliveryCounters& counters, std::int64_t now_ms);

class DeliveryWorkers : public DirectDelivery {
 public:
  DeliveryWorkers(config::GatewayConfigPtr config, std::shared_ptr<const Outbox> outbox,
                  std::shared_ptr<storage::AuditStore> audit, std::shared_ptr<core::Env> env, fhir::ModelPtr model,
                  std::string owner);
  ~DeliveryWorkers() override;
  void start();
  void stop();
  // Looks at the outbox now instead of at the next poll (after messages were enqueued).
  void wake() override;
  // Messages accepted here go straight to the senders (within the in-flight limit).
  std::optional<Lease> reserve(std::size_t n, std::int64_t now_ms) override;
  void handOff(std::vector<OutboxEntry> leased, std::size_t reserved, std::int64_t claimed_ms) override;
  // Asked before each attempt whether the message may still go (the patient's Consents now):
  // kWithhold makes it a dead letter that names why, kLater tries again later. Set before start().
  enum class Check { kSend, kWithhold, kLater };
  using Recheck = std::function<Check(const OutboxEntry& message, std::string& why)>;
  void setRecheck(Recheck recheck) { recheck_ = std::move(recheck); }
  const DeliveryCounters& counters() const { return counters_; }

 private:
  struct Breaker {
    std::uint32_t failures = 0;
    std::int64_t open_until_ms = 0;
  };
  struct Claimed {
    OutboxEntry message;
    std::int64_t claimed_ms;
  };
  void dispatchLoop();
  void sendLoop();
  void settleLoop();
  // One attempt: its outcome, and the record auditing it (none for a message given back untried).
  Outbox::Outcome deliver(const OutboxEntry& m, std::vector<storage::AuditEntry>& audits);
  // `denied`: withheld by consent (a 403-like denial in the audit, not a failure to deliver).
  storage::AuditEntry auditEntry(const OutboxEntry& m, const config::PartnerConfig* partner, bool delivered,
                                 const std::string& error, bool denied = false);
  std::int64_t nowMs() const;
  // Claimed (or handed over) and not yet settled, at most.
  std::size_t capacity() const;

  config::GatewayConfigPtr config_;
  std::shared_ptr<const Outbox> outbox_;
  std::shared_ptr<storage::AuditStore> audit_;
  std::shared_ptr<core::Env> env_;
  fhir::ModelPtr model_;
  std::string owner_;
  Recheck recheck_;
  DeliveryCounters counters_;
  std::mutex mu_;  // guards the members below
  std::condition_variable cv_;       // the dispatcher: woken, or room made by a settle
  std::condition_variable work_cv_;  // the senders: claimed messages to send
  std::condition_variable done_cv_;  // the settler: outcomes to record
  bool started_ = false;        // senders running: messages may be handed over
  bool stopping_ = false;       // dispatcher and senders
  bool settler_stop_ = false;   // after the senders have stopped: the last outcomes recorded first
  std::uint64_t wakes_ = 0;
  std::size_t in_flight_ = 0;   // claimed and not yet settled
  // The audit log refused the last attempts' records (kept by the settler and tried again): no
  // attempt is made until it takes them, so that nothing is sent that cannot be audited.
  std::atomic<bool> audit_failing_{false};
  std::deque<Claimed> work_;
  std::vector<Outbox::Outcome> done_;
  std::vector<storage::AuditEntry> done_audits_;
  std::map<std::string, Breaker> breakers_;
  std::vector<std::thread> threads_;
  std::thread settler_;
};

}  // namespace onedoor::stages::deliver
