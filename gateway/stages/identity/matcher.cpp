#include "stages/identity/matcher.h"

#include <algorithm>
#include <cstdio>

namespace onedoor::stages::identity {
namespace {

double bestOf(const std::vector<std::string>& a, const std::vector<std::string>& b,
              double (*score)(const std::string&, const std::string&)) {
  double best = 0;
  for (const auto& x : a) {
    for (const auto& y : b) best = std::max(best, score(x, y));
  }
  return best;
}

double familyAgreement(const std::string& a, const std::string& b) {
  if (a == b) return 1;
  // A double-barrelled name against one of its parts ("SMITH JONES" and "JONES").
  auto part_of = [](const std::string& whole, const std::string& part) {
    std::size_t at = whole.find(part);
    return at != std::string::npos && (at == 0 || whole[at - 1] == ' ') &&
           (at + part.size() == whole.size() || whole[at + part.size()] == ' ');
  };
  if (part_of(a, b) || part_of(b, a)) return 0.7;
  return jaroWinkler(a, b) >= 0.9 ? 0.7 : 0;
}

double givenAgreement(const std::string& a, const std::string& b) {
  if (a == b) return 1;
  if ((a.size() == 1 || b.size() == 1) && a[0] == b[0]) return 0.5;  // an initial
  return jaroWinkler(a, b) >= 0.9 ? 0.7 : 0;
}

double dateAgreement(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return 0;
  if (a == b) return a.size() == 10 ? 1 : 0.6;  // a partial date agrees less
  if (a.size() != b.size()) {
    // A partial date agrees with a fuller one that starts with it (1990-04 and 1990-04-02).
    const std::string& shorter = a.size() < b.size() ? a : b;
    const std::string& longer = a.size() < b.size() ? b : a;
    return longer.rfind(shorter, 0) == 0 ? 0.6 : 0;
  }
  if (a.size() == 10 && a.substr(0, 4) == b.substr(0, 4)) {
    // Day and month transposed, a common keying error (1990-04-02 and 1990-02-04).
    if (a.substr(5, 2) == b.substr(8, 2) && a.substr(8, 2) == b.substr(5, 2)) return 0.6;
  }
  return 0;
}

double postcodeAgreement(const std::string& a, const std::string& b) {
  if (a == b) return 1;
  return outwardCode(a) == outwardCode(b) ? 0.4 : 0;
}

double exact(const std::string& a, const std::string& b) { return a == b ? 1 : 0; }

bool both(const std::string& field, const Demographics& a, const Demographics& b) {
  if (field == "family") return !a.family.empty() && !b.family.empty();
  if (field == "given") return !a.given.empty() && !b.given.empty();
  if (field == "birthDate") return !a.birth_date.empty() && !b.birth_date.empty();
  if (field == "gender") {
    auto known = [](const std::string& g) { return !g.empty() && g != "unknown"; };
    return known(a.gender) && known(b.gender);
  }
  if (field == "postcode") return !a.postcodes.empty() && !b.postcodes.empty();
  if (field == "phone") return !a.phones.empty() && !b.phones.empty();
  return false;
}

}  // namespace

std::string gradeCode(Grade grade) {
  switch (grade) {
    case Grade::kCertain: return "certain";
    case Grade::kProbable: return "probable";
    case Grade::kPossible: return "possible";
    case Grade::kCertainlyNot: return "certainly-not";
    case Grade::kNone: return "";
  }
  return "";
}

double Matcher::agreement(const std::string& field, const Demographics& a, const Demographics& b) {
  if (field == "family") return bestOf(a.family, b.family, familyAgreement);
  if (field == "given") return bestOf(a.given, b.given, givenAgreement);
  if (field == "birthDate") return dateAgreement(a.birth_date, b.birth_date);
  if (field == "gender") return !a.gender.empty() && a.gender == b.gender ? 1 : 0;
  if (field == "postcode") return bestOf(a.postcodes, b.postcodes, postcodeAgreement);
  if (field == "phone") return bestOf(a.phones, b.phones, exact);
  return 0;
}

Comparison Matcher::compare(const Demographics& incoming, const Demographics& candidate) const {
  Comparison c;
  // A field one side lacks neither agrees nor disagrees: the score is over the fields both have.
  // Too little in common (under three quarters of the weight) caps the grade at possible.
  double total = 0, present = 0, agreed = 0;
  for (const auto& [field, weight] : config_.weights) {
    total += weight;
    if (!both(field, incoming, candidate)) continue;
    present += weight;
    agreed += weight * agreement(field, incoming, candidate);
  }
  c.score = present > 0 ? agreed / present : 0;
  bool thin = present < 0.75 * total;
  char buf[32];
  std::snprintf(buf, sizeof buf, "score %.2f", c.score);
  c.reason = buf;
  if (!incoming.nhs_number.empty() && !candidate.nhs_number.empty()) {
    if (incoming.nhs_number != candidate.nhs_number) {
      c.grade = Grade::kCertainlyNot;
      c.score = 0;
      c.reason = "different NHS numbers";
      return c;
    }
    // The strong key. An unverified number on both sides whose demographics disagree is more
    // likely a keying error than the same person: a person decides.
    if (incoming.nhs_verified || candidate.nhs_verified || c.score >= config_.review) {
      c.grade = Grade::kCertain;
      c.score = 1;
      c.reason = "NHS number";
    } else {
      c.grade = Grade::kPossible;
      c.reason = "NHS number agrees (unverified) but the demographics do not, " + c.reason;
    }
    return c;
  }
  for (const auto& rule : config_.deterministic) {
    bool all = std::all_of(rule.fields.begin(), rule.fields.end(),
                           [&](const std::string& f) { return agreement(f, incoming, candidate) == 1; });
    if (all) {
      c.grade = Grade::kCertain;
      c.score = 1;
      c.reason = "rule " + rule.name;
      return c;
    }
  }
  c.grade = c.score >= config_.auto_link && !thin ? Grade::kProbable
            : c.score >= config_.review          ? Grade::kPossible
                                                 : Grade::kNone;
  if (thin && c.grade == Grade::kPossible) c.reason += " (few details in common)";
  return c;
}

}  // namespace onedoor::stages::identity
