#pragma once
// The patient matcher: NHS number first (the strong key), then the deterministic rules, then a
// weighted score of field agreement, graded as FHIR's match-grade extension grades them. Built from
// the checked `identity` config; pure and thread-safe.

#include <string>

#include "config/gateway_config.h"
#include "stages/identity/demographics.h"

namespace onedoor::stages::identity {

enum class Grade {
  kCertain,       // the NHS number agrees, or a deterministic rule holds
  kProbable,      // score at or above auto_link
  kPossible,      // score at or above review: a person decides
  kNone,          // below review
  kCertainlyNot,  // both have valid NHS numbers, and they differ
};

// "certain", "probable", "possible", "certainly-not" (http://hl7.org/fhir/match-grade); "" for kNone.
std::string gradeCode(Grade grade);

// Whether a pair so graded is the same person without a person deciding (certain or probable).
inline bool linksAutomatically(Grade grade) { return grade == Grade::kCertain || grade == Grade::kProbable; }

struct Comparison {
  Grade grade = Grade::kNone;
  double score = 0;    // 0..1
  std::string reason;  // "NHS number", "rule name-birth-date-postcode", "score 0.93" — no patient data
};

class Matcher {
 public:
  explicit Matcher(config::IdentityConfig config) : config_(std::move(config)) {}

  Comparison compare(const Demographics& incoming, const Demographics& candidate) const;
  // The agreement of one field, 0..1 (1 = exact after normalisation; 0 when either side lacks it).
  static double agreement(const std::string& field, const Demographics& a, const Demographics& b);

  const config::IdentityConfig& config() const { return config_; }

 private:
  config::IdentityConfig config_;
};

}  // namespace onedoor::stages::identity
