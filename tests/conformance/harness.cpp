#include "conformance/harness.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iostream>
#include <set>

namespace onedoor::testing {

Harness::Harness(std::string suite) : suite_(std::move(suite)) {
  std::ifstream in(std::filesystem::path(ONEDOOR_SOURCE_DIR) / "conformance" / suite_ /
                   "expected_failures.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.find_first_of(" \t");
    std::string id = line.substr(0, sp);
    std::string reason = sp == std::string::npos ? "" : line.substr(line.find_first_not_of(" \t", sp));
    expected_[id] = reason;
  }
}

void Harness::record(const std::string& id, bool passed, const std::string& detail) {
  results_.push_back({id, passed, detail});
}

std::size_t Harness::passed() const {
  std::size_t n = 0;
  for (const auto& r : results_) n += r.passed ? 1 : 0;
  return n;
}

bool Harness::report() const {
  std::size_t pass = 0, expected_fail = 0, unexpected_pass = 0, fail = 0;
  std::set<std::string> seen;
  for (const auto& r : results_) {
    seen.insert(r.id);
    bool listed = expected_.count(r.id) != 0;
    if (r.passed && !listed) {
      ++pass;
    } else if (r.passed) {
      ++unexpected_pass;
      std::cout << "[" << suite_ << "] UNEXPECTED PASS " << r.id << " (remove it from expected_failures.txt)\n";
    } else if (listed) {
      ++expected_fail;
    } else {
      ++fail;
      std::cout << "[" << suite_ << "] FAIL " << r.id << ": " << r.detail << "\n";
    }
  }
  for (const auto& [id, reason] : expected_) {
    if (!seen.count(id)) std::cout << "[" << suite_ << "] note: listed case " << id << " did not run\n";
  }
  std::cout << "[" << suite_ << "] " << (pass + unexpected_pass) << " passed, " << (fail + expected_fail)
            << " failed (" << expected_fail << " expected), " << unexpected_pass
            << " unexpected passes, of " << results_.size() << " cases\n";
  return fail == 0 && unexpected_pass == 0;
}

}  // namespace onedoor::testing
