#pragma once
// Helpers the benchmark programs share: reading a file, and timing (7 samples of ~0.3 s each).

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace onedoor::bench {

using Clock = std::chrono::steady_clock;

inline std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

inline double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

// Runs `f` repeatedly for ~0.3 s per sample, 7 samples; returns per-call seconds per sample.
template <typename F>
std::vector<double> samples(F&& f) {
  std::vector<double> out;
  for (int s = 0; s < 7; ++s) {
    int n = 0;
    auto start = Clock::now();
    double elapsed = 0;
    do {
      f();
      ++n;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < 0.3);
    out.push_back(elapsed / n);
  }
  return out;
}

}  // namespace onedoor::bench
