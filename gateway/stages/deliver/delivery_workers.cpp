#include "stages/deliver/delivery_workers.h"

#include <algorithm>
#include <random>

#include "core/exchange.h"
#include "stages/deliver/transport.h"

namespace onedoor::stages::deliver {
namespace {
// Messages a worker claims at once: their outcomes share one commit.
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
  for (std::uint32_t i = 0; i < config_->delivery.workers; ++i) {
    threads_.emplace_back([this, i] { loop(static_cast<int>(i)); });
  }
}

void DeliveryWorkers::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void DeliveryWorkers::wake() {
  {
    std::lock_guard lock(mu_);
    ++wakes_;
  }
  cv_.notify_all();
}

std::int64_t DeliveryWorkers::nowMs() const { return core::epochMillis(env_->now()); }

void DeliveryWorkers::loop(int index) {
  std::string owner = owner_ + "#" + std::to_string(index);
  std::uint64_t seen = 0;
  std::vector<Outbox::Outcome> outcomes;
  std::vector<storage::AuditEntry> audits;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      seen = wakes_;
    }
    std::int64_t claimed_ms = nowMs();
    auto batch = outbox_->claim(owner, claimed_ms, config_->delivery.lease_ms, kClaimBatch);
    if (batch.isOk() && !batch->empty()) {
      outcomes.clear();
      audits.clear();
      // A stop in the middle leaves the rest leased (the next start takes them). Past half the
      // lease (slow receivers), the rest is given back untried, before another worker could take
      // a message this one is still sending.
      for (const auto& m : *batch) {
        if (nowMs() - claimed_ms > config_->delivery.lease_ms / 2) {
          outcomes.push_back({m.id, Outbox::Outcome::Kind::kReleased, m.attempts, nowMs(), ""});
          continue;
        }
        outcomes.push_back(deliver(m, audits));
        std::lock_guard lock(mu_);
        if (stopping_) break;
      }
      // Not recorded (the gateway stops, the database fails): the leases lapse and the messages go
      // again, with the same idempotency keys.
      if (outbox_->settle(outcomes).isOk()) (void)audit_->appendAll(std::move(audits));
    }
    std::unique_lock lock(mu_);
    if (stopping_) return;
    if (batch.isOk() && !batch->empty()) continue;  // more may be due
    cv_.wait_for(lock, std::chrono::milliseconds(config_->delivery.poll_ms),
                 [&] { return stopping_ || wakes_ != seen; });
    if (stopping_) return;
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
  return {m.id, dead ? Kind::kDead : Kind::kRetry, attempts, now + backoffMs(d, attempts, unit), r.error};
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
