#include "core/metrics.h"

#include <cstdio>

namespace onedoor::core {

void Metrics::observe(int status, double seconds, const std::string& decision) {
  int cls = status >= 100 && status < 600 ? status / 100 : 0;
  by_class_[static_cast<std::size_t>(cls)]++;
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  buckets_[b]++;  // counted once here; cumulated when rendered
  count_++;
  sum_micros_ += static_cast<std::uint64_t>(seconds * 1e6);
  if (decision == "permit") permit_++;
  if (decision == "redact") redact_++;
  if (decision == "deny") deny_++;
}

std::string Metrics::render(const std::string& more) const {
  std::string out;
  out += "# HELP onedoor_requests_total Requests answered, by HTTP status class.\n";
  out += "# TYPE onedoor_requests_total counter\n";
  for (std::size_t c = 1; c <= 5; ++c) {
    out += "onedoor_requests_total{outcome=\"" + std::to_string(c) + "xx\"} " + std::to_string(by_class_[c].load()) + "\n";
  }
  out += "# HELP onedoor_request_duration_seconds Time from request to answer.\n";
  out += "# TYPE onedoor_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  char le[32];
  for (std::size_t b = 0; b < kBuckets.size(); ++b) {
    cumulative += buckets_[b].load();
    std::snprintf(le, sizeof le, "%g", kBuckets[b]);
    out += std::string("onedoor_request_duration_seconds_bucket{le=\"") + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += buckets_[kBuckets.size()].load();
  out += "onedoor_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  char sum[48];
  std::snprintf(sum, sizeof sum, "%.6f", static_cast<double>(sum_micros_.load()) / 1e6);
  out += std::string("onedoor_request_duration_seconds_sum ") + sum + "\n";
  out += "onedoor_request_duration_seconds_count " + std::to_string(count_.load()) + "\n";
  out += "# HELP onedoor_consent_decisions_total Consent decisions on requests, by outcome.\n";
  out += "# TYPE onedoor_consent_decisions_total counter\n";
  out += "onedoor_consent_decisions_total{decision=\"permit\"} " + std::to_string(permit_.load()) + "\n";
  out += "onedoor_consent_decisions_total{decision=\"redact\"} " + std::to_string(redact_.load()) + "\n";
  out += "onedoor_consent_decisions_total{decision=\"deny\"} " + std::to_string(deny_.load()) + "\n";
  return out + more;
}

}  // namespace onedoor::core
