#include "stages/deliver/delivery_workers.h"

#include <algorithm>
#include <random>

#include "core/exchange.h"
#include "stages/deliver/transport.h"

namespace onedoor::stages::deliver {
namespace {
// Claimed and unsettled messages per sender thread, at most.
constexpr std::size_t kClaimBatch = 16;
}  // namespace

std::int64_t backoffMs(const config::DeliveryConfig& d, std::int64_t attempts, double unit_random) {
  double delay = d.backoff_initial_ms;
  for (std::int64_t i = 1; i < attempts && delay < d.backoff_max_ms; ++i) delay *= 2;
  delay = std::min<double>(delay, d.backoff_max_ms);
  return static_cast<std::int64_t>(delay / 2 + delay / 2 * std::clamp(unit_random, 0.0, 1.0));
}

std::string deliveryMetrics(const Outbox& outbox, const DeliveryCounters& counters, std::int64_t now_ms) {
  std::string out;
  out += "# HELP onedoor_deliveries_total Delivery attempts, by outcome.\n";
  out += "# TYPE onedoor_deliveries_total counter\n";
  out += "onedoor_deliveries_total{outcome=\"delivered\"} " + std::to_string(counters.delivered.load()) + "\n";
  out += "onedoor_deliveries_total{outcome=\"retried\"} " + std::to_string(counters.retried.load()) + "\n";
  out += "onedoor_deliveries_total{outcome=\"dead\"} " + std::to_string(counters.dead.load()) + "\n";
  out += "# HELP onedoor_circuit_opened_total Times a destination's circuit was opened.\n";
  out += "# TYPE onedoor_circuit_opened_total counter\n";
  out += "onedoor_circuit_opened_total " + std::to_string(counters.breaker_opened.load()) + "\n";
  out += "# HELP onedoor_outbox_taken_over_total Messages released from gateways on the same database that went silent.\n";
  out += "# TYPE onedoor_outbox_taken_over_total counter\n";
  out += "onedoor_outbox_taken_over_total " + std::to_string(counters.taken_over.load()) + "\n";
  auto stats = outbox.stats();
  if (!stats.isOk()) return out + "# outbox unavailable: " + stats.status().message() + "\n";
  out += "# HELP onedoor_outbox_messages Messages in the outbox, by destination and state (queue depth: pending).\n";
  out += "# TYPE onedoor_outbox_messages gauge\n";
  for (const auto& d : stats->destinations) {
    for (auto [state, n] : {std::pair{"pending", d.pending}, {"dead", d.dead}, {"delivered", d.delivered}}) {
      out += "onedoor_outbox_messages{destination=\"" + d.destination + "\",state=\"" + state + "\"} " +
             std::to_string(n) + "\n";
    }
  }
  out += "# HELP onedoor_outbox_oldest_pending_age_seconds Age of the oldest undelivered message, by destination.\n";
  out += "# TYPE onedoor_outbox_oldest_pending_age_seconds gauge\n";
  for (const auto& d : stats->destinations) {
    double age = d.pending > 0 ? static_cast<double>(now_ms - d.oldest_pending_ms) / 1000.0 : 0.0;
    out += "onedoor_outbox_oldest_pending_age_seconds{destination=\"" + d.destination + "\"} " + std::to_string(age) + "\n";
  }
  return out;
}

DeliveryWorkers::DeliveryWorkers(config::GatewayConfigPtr config, std::shared_ptr<const Outbox> outbox,
                                 std::shared_ptr<storage::AuditStore> audit, std::shared_ptr<core::Env> env,
                                 fhir::ModelPtr model, std::string owner)
    : config_(std::move(config)),
      outbox_(std::move(outbox)),
      audit_(std::move(audit)),
      env_(std::move(env)),
      model_(std::move(model)),
      owner_(std::move(owner)) {}

DeliveryWorkers::~DeliveryWorkers() { stop(); }

void DeliveryWorkers::start() {
  threads_.emplace_back([this] {
    core::nameThisThread("od-dispatch");
    dispatchLoop();
  });
  for (std::uint32_t i = 0; i < config_->delivery.workers; ++i) {
    threads_.emplace_back([this] {
      core::nameThisThread("od-send");
      sendLoop();
    });
  }
  settler_ = std::thread([this] {
    core::nameThisThread("od-settle");
    settleLoop();
  });
  std::lock_guard lock(mu_);
  started_ = true;
}

void DeliveryWorkers::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  work_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  // What was sent is recorded before the settler goes; what is still queued is given back to the
  // outbox for the next start, or the other gateways on the database.
  {
    std::lock_guard lock(mu_);
    settler_stop_ = true;
  }
  done_cv_.notify_all();
  if (settler_.joinable()) {
    settler_.join();
    (void)outbox_->leave(owner_);
  }
}

void DeliveryWorkers::wake() {
  {
    std::lock_guard lock(mu_);
    ++wakes_;
  }
  cv_.notify_all();
}

std::int64_t DeliveryWorkers::nowMs() const { return core::epochMillis(env_->now()); }

std::size_t DeliveryWorkers::capacity() const { return static_cast<std::size_t>(config_->delivery.workers) * kClaimBatch; }

std::optional<Lease> DeliveryWorkers::reserve(std::size_t n, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (stopping_ || !started_ || in_flight_ + n > capacity()) return std::nullopt;
  in_flight_ += n;
  return Lease{Outbox::leaseOwner(owner_), now_ms + config_->delivery.lease_ms};
}

void DeliveryWorkers::handOff(std::vector<OutboxEntry> leased, std::size_t reserved, std::int64_t claimed_ms) {
  {
    std::lock_guard lock(mu_);
    in_flight_ -= std::min(in_flight_, reserved - std::min(reserved, leased.size()));
    // Stopping: they stay leased until stop() gives this gateway's leases back.
    if (stopping_) {
      in_flight_ -= std::min(in_flight_, leased.size());
      return;
    }
    for (auto& m : leased) work_.push_back({std::move(m), claimed_ms});
  }
  // One sender per message: waking them all for one would have the rest go back to sleep.
  for (std::size_t i = 0; i < leased.size(); ++i) work_cv_.notify_one();
}

void DeliveryWorkers::dispatchLoop() {
  // At most this many claimed and unsettled: enough to keep every sender busy between claims.
  const std::size_t capacity = this->capacity();
  const std::string owner = Outbox::leaseOwner(owner_);
  const std::int64_t started_ms = nowMs();
  const std::int64_t heartbeat_ms = config_->delivery.heartbeat_ms;
  const std::int64_t silent_ms = 5 * heartbeat_ms;
  const bool shared = outbox_->shared();  // other gateways on the database: heartbeats
  std::int64_t last_heartbeat_ms = 0;
  std::int64_t beating_since_ms = -1;  // the first of this gateway's unbroken run of heartbeats
  std::uint64_t seen = 0;
  while (true) {
    // Alive, said every heartbeat to the other gateways on the database; the messages of those
    // silent for five heartbeats go to the claims below. Only a gateway that has itself been
    // beating that long judges the others: after the database was unreachable for all of them,
    // none takes the others' messages for their silence. (Clocks are taken to be in step, as for
    // the leases themselves.)
    if (std::int64_t now = nowMs(); shared && now - last_heartbeat_ms >= heartbeat_ms) {
      const bool judge = beating_since_ms >= 0 && now - beating_since_ms >= silent_ms;
      auto released = outbox_->heartbeat(owner_, started_ms, now, judge ? silent_ms : -1);
      if (released.isOk()) {
        if (beating_since_ms < 0) beating_since_ms = now;
        counters_.taken_over += *released;
      } else {
        beating_since_ms = -1;
      }
      last_heartbeat_ms = now;
    }
    std::size_t room = 0;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      seen = wakes_;
      room = capacity - std::min(capacity, in_flight_);
    }
    bool full = false;
    if (room > 0) {
      std::int64_t claimed_ms = nowMs();
      auto batch = outbox_->claim(owner, claimed_ms, config_->delivery.lease_ms, room);
      if (batch.isOk() && !batch->empty()) {
        full = batch->size() == room;
        std::lock_guard lock(mu_);
        in_flight_ += batch->size();
        for (auto& m : *batch) work_.push_back({std::move(m), claimed_ms});
        // One sender for one message: waking them all would have the rest go back to sleep.
        if (batch->size() == 1) {
          work_cv_.notify_one();
        } else {
          work_cv_.notify_all();
        }
        if (!full) continue;  // more may be due
      }
    }
    std::unique_lock lock(mu_);
    if (stopping_) return;
    // Full: wait for a settle to make room; else for new messages or the next poll.
    cv_.wait_for(lock, std::chrono::milliseconds(std::min(config_->delivery.poll_ms, config_->delivery.heartbeat_ms)),
                 [&] { return stopping_ || wakes_ != seen; });
  }
}

void DeliveryWorkers::sendLoop() {
  while (true) {
    Claimed c;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !work_.empty(); });
      if (stopping_) return;
      c = std::move(work_.front());
      work_.pop_front();
    }
    std::vector<storage::AuditEntry> audits;
    Outbox::Outcome outcome;
    // Past half the lease (slow receivers, a long queue), the message is given back untried,
    // before another gateway could take a message this one is still sending.
    if (nowMs() - c.claimed_ms > config_->delivery.lease_ms / 2) {
      outcome = {c.message.id, Outbox::Outcome::Kind::kReleased, c.message.attempts, nowMs(), ""};
    } else {
      outcome = deliver(c.message, audits);
    }
    outcome.may_have_followers = mayHaveFollowers(c.message.ordering_key);
    {
      std::lock_guard lock(mu_);
      done_.push_back(std::move(outcome));
      for (auto& a : audits) done_audits_.push_back(std::move(a));
    }
    done_cv_.notify_one();
  }
}

void DeliveryWorkers::settleLoop() {
  std::vector<Outbox::Outcome> outcomes;
  std::vector<storage::AuditEntry> audits;
  std::vector<storage::AuditEntry> unaudited;  // attempts' records the audit log has not taken yet
  while (true) {
    {
      std::unique_lock lock(mu_);
      auto ready = [&] { return settler_stop_ || !done_.empty(); };
      if (unaudited.empty()) {
        done_cv_.wait(lock, ready);
      } else {
        done_cv_.wait_for(lock, std::chrono::milliseconds(config_->delivery.poll_ms), ready);
      }
      if (done_.empty() && settler_stop_) {
        if (!unaudited.empty()) (void)audit_->appendAll(std::move(unaudited));  // a last try
        return;  // stopping, and nothing left to record
      }
      outcomes.swap(done_);
      audits.swap(done_audits_);
    }
    // Every outcome that came in since the last commit, in one. Not recorded (the database
    // fails): the leases lapse and the messages go again, with the same idempotency keys.
    if (!outcomes.empty()) (void)outbox_->settle(outcomes);
    // Every attempt is audited, its outcome recorded or not: it was made either way. Records the
    // log cannot take now are kept, and tried again (first, in order) until it takes them.
    unaudited.insert(unaudited.end(), std::make_move_iterator(audits.begin()), std::make_move_iterator(audits.end()));
    if (!unaudited.empty()) {
      const bool taken = audit_->appendAll(unaudited).isOk();
      if (taken) unaudited.clear();
      audit_failing_ = !taken;
    }
    {
      std::lock_guard lock(mu_);
      in_flight_ -= std::min(in_flight_, outcomes.size());
      ++wakes_;  // room for more, and the next message for each patient settled may now be due
    }
    cv_.notify_all();
    outcomes.clear();
    audits.clear();
  }
}

Outbox::Outcome DeliveryWorkers::deliver(const OutboxEntry& m, std::vector<storage::AuditEntry>& audits) {
  using Kind = Outbox::Outcome::Kind;
  const config::PartnerConfig* partner = config_->partner(m.destination);
  std::int64_t now = nowMs();
  if (partner == nullptr || partner->delivery.transport.empty()) {
    // The partner left the configuration: nothing can deliver this.
    std::string error = "no delivery is configured for partner '" + m.destination + "'";
    counters_.dead++;
    audits.push_back(auditEntry(m, partner, false, "no delivery configured"));
    return {m.id, Kind::kDead, m.attempts, now, error};
  }
  const config::DeliveryConfig& d = partner->delivery;
  if (audit_failing_) return {m.id, Kind::kReleased, m.attempts, now + d.backoff_initial_ms, ""};
  {
    std::lock_guard lock(mu_);
    Breaker& b = breakers_[m.destination];
    if (b.open_until_ms > now) return {m.id, Kind::kReleased, m.attempts, b.open_until_ms, ""};
  }
  if (recheck_) {
    // Decided again now: a Consent withdrawn while the message waited stops it.
    std::string why;
    Check check = recheck_(m, why);
    if (check == Check::kLater) return {m.id, Kind::kReleased, m.attempts, now + d.backoff_initial_ms, ""};
    if (check == Check::kWithhold) {
      counters_.dead++;
      audits.push_back(auditEntry(m, partner, false, "withheld at delivery: " + why, true));
      return {m.id, Kind::kDead, m.attempts, now, "withheld at delivery: " + why};
    }
  }
  SendResult r = send(d, m);
  std::int64_t attempts = m.attempts + 1;
  now = nowMs();
  {
    std::lock_guard lock(mu_);
    Breaker& b = breakers_[m.destination];
    if (r.delivered || r.permanent) {
      b.failures = 0;  // the receiver answered
    } else if (++b.failures >= d.breaker_failures) {
      if (b.open_until_ms <= now) counters_.breaker_opened++;
      b.open_until_ms = now + d.breaker_open_ms;
    }
  }
  if (r.delivered) {
    counters_.delivered++;
    audits.push_back(auditEntry(m, partner, true, ""));
    return {m.id, Kind::kDelivered, attempts, now, ""};
  }
  bool dead = r.permanent || attempts >= static_cast<std::int64_t>(d.max_attempts);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  double unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  (dead ? counters_.dead : counters_.retried)++;
  audits.push_back(auditEntry(m, partner, false, r.error));
  // A dead letter lets the message behind it go now; a retry is due after its back-off.
  return {m.id, dead ? Kind::kDead : Kind::kRetry, attempts, dead ? now : now + backoffMs(d, attempts, unit), r.error};
}

storage::AuditEntry DeliveryWorkers::auditEntry(const OutboxEntry& m, const config::PartnerConfig* partner,
                                                bool delivered, const std::string& error, bool denied) {
  return partnerAuditEntry(*model_, *env_, partner, m.destination, [&](core::Exchange& ex) {
    ex.request.transport = partner != nullptr ? partner->delivery.transport : "delivery";
    ex.request.path = partner != nullptr ? partner->delivery.endpoint : "";
    ex.request_id = m.message_id;
    ex.fhir.operation = "deliver";
    if (m.ordering_key.rfind("Patient/", 0) == 0) ex.audit.patients.push_back(m.ordering_key);
    ex.audit.entities.push_back({"urn:onedoor:outbox:" + std::to_string(m.id), {}});
    ex.audit.decision = denied ? "deny" : "permit";
    if (denied) {
      ex.fail(core::Status(core::Code::kForbidden, "not delivered to " + m.destination + ": " + error));
    } else if (delivered) {
      ex.response.status = 200;
    } else {
      ex.fail(core::Status(core::Code::kUnavailable, "delivery to " + m.destination + " failed: " + error));
    }
  });
}

}  // namespace onedoor::stages::deliver
