#include "stages/identity/resolver.h"

#include <algorithm>
#include <set>

#include "fhir/codec.h"

namespace onedoor::stages::identity {

std::string replacedBy(const fhir::Node& patient) {
  for (const fhir::Node* link : patient.childrenNamed("link")) {
    if (link->childValue("type") != "replaced-by") continue;
    if (const fhir::Node* other = link->child("other")) {
      std::string ref(other->childValue("reference"));
      if (ref.rfind("Patient/", 0) == 0) return ref.substr(8);
    }
  }
  return "";
}

core::Result<std::vector<Candidate>> Resolver::candidates(const fhir::Node& patient, const PatientFinder& find,
                                                          const std::string& exclude) const {
  const auto& cfg = matcher_.config();
  Demographics incoming = demographicsOf(patient, cfg.strong_identifier);
  std::vector<SearchParams> blocks;
  if (!incoming.nhs_number.empty()) blocks.push_back({{"identifier", cfg.strong_identifier + "|" + incoming.nhs_number}});
  // Blocks narrow enough to stay small in a large population, and overlapping so that one wrong
  // field does not hide a person: the birth date; family name with birth year (a wrong day or
  // month, a transposed date); family name with postcode (a wrong birth date).
  if (!incoming.birth_date.empty()) blocks.push_back({{"birthdate", incoming.birth_date}});
  std::set<std::string> families;
  for (const fhir::Node* name : patient.childrenNamed("name")) {
    // The first part of the name as written (the search folds case and accents and matches a
    // prefix, so "Smith-Jones" finds "Smith" too).
    std::string family(name->childValue("family"));
    family = family.substr(0, family.find_first_of(" -"));
    if (family.empty() || !families.insert(family).second) continue;
    if (incoming.birth_date.size() >= 4) blocks.push_back({{"family", family}, {"birthdate", incoming.birth_date.substr(0, 4)}});
    for (const auto& postcode : incoming.postcodes) blocks.push_back({{"family", family}, {"address-postalcode", postcode}});
  }
  if (families.empty()) {
    for (const auto& postcode : incoming.postcodes) blocks.push_back({{"address-postalcode", postcode}});
  }
  std::vector<Candidate> out;
  std::set<std::string> seen;
  if (!exclude.empty()) seen.insert(exclude);
  for (const auto& params : blocks) {
    GW_ASSIGN_OR_RETURN(auto records, find(params, cfg.max_candidates));
    for (auto& rec : records) {
      if (!seen.insert(rec.id).second) continue;
      auto parsed = fhir::readJson(*model_, rec.json);
      if (!parsed.ok()) return core::internal("a stored Patient does not parse");
      if (!replacedBy(parsed.resource).empty()) continue;
      Comparison c = matcher_.compare(incoming, demographicsOf(parsed.resource, cfg.strong_identifier));
      if (c.grade == Grade::kNone || c.grade == Grade::kCertainlyNot) continue;
      out.push_back({std::move(rec), std::move(parsed.resource), std::move(c)});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    if (a.comparison.grade != b.comparison.grade) return a.comparison.grade < b.comparison.grade;
    return a.comparison.score > b.comparison.score;
  });
  return out;
}

}  // namespace onedoor::stages::identity
