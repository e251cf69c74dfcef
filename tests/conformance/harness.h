#pragma once
// Conformance harness: runs the cases of a public suite and sorts each into pass, expected-fail,
// unexpected-pass or fail against conformance/<suite>/expected_failures.txt ("<case-id> <reason>"
// per line, # comments). A run fails on any fail or unexpected-pass, so the list only shrinks.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace onedoor::testing {

class Harness {
 public:
  // Reads <source>/conformance/<suite>/expected_failures.txt (absent: empty).
  explicit Harness(std::string suite);
  // Records one case; `detail` says why it failed.
  void record(const std::string& case_id, bool passed, const std::string& detail = "");
  // Prints the summary ("N passed, N failed") and every fail/unexpected-pass; returns true if
  // the run meets the expectations.
  bool report() const;
  std::size_t passed() const;
  std::size_t total() const { return results_.size(); }

 private:
  std::string suite_;
  std::map<std::string, std::string> expected_;  // case id -> reason
  struct Result {
    std::string id;
    bool passed;
    std::string detail;
  };
  std::vector<Result> results_;
};

}  // namespace onedoor::testing
