#pragma once
// Metrics: the counters the gateway keeps for GET /metrics (Prometheus text exposition format):
// requests by outcome class, a latency histogram, consent decisions by outcome. Other parts add
// their own lines through render()'s `more` (the outbox and delivery workers). Lock-free
// counters; safe from every request thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace onedoor::core {

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram's buckets; +Inf is implied.
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0};

  // One answered request: its HTTP status, how long it took, and the consent decision ("" none).
  void observe(int status, double seconds, const std::string& decision);
  // The exposition text: these metrics, then `more` (already in the format).
  std::string render(const std::string& more = "") const;

 private:
  std::array<std::atomic<std::uint64_t>, 6> by_class_{};  // 1xx..5xx (index 1..5), other (0)
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
  std::atomic<std::uint64_t> permit_{0}, redact_{0}, deny_{0};
};

}  // namespace onedoor::core
