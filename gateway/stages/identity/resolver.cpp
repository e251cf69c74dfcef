#include "stages/identity/resolver.h"

#include <algorithm>
#include <set>

#include "fhir/codec.h"
#include "search/query.h"

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

core::Result<storage::ResourceRecord> followReplacement(storage::ResourceRecord record, const fhir::Model& model,
                                                        const PatientReader& read) {
  for (int hops = 0; hops < 8 && mayBeReplaced(record.json); ++hops) {
    auto node = fhir::readJson(model, record.json);
    if (!node.ok()) return core::internal("stored Patient/" + record.id + " does not parse");
    std::string to = replacedBy(node.resource);
    if (to.empty()) break;
    GW_ASSIGN_OR_RETURN(auto next, read(to));
    if (!next || next->deleted) break;
    record = std::move(*next);
  }
  return record;
}

PatientFinder storeFinder(storage::Store& store, const search::SearchParamRegistry& registry, const fhir::Model& model) {
  return [&store, &registry, &model](const SearchParams& params,
                                     std::size_t limit) -> core::Result<std::vector<storage::ResourceRecord>> {
    GW_ASSIGN_OR_RETURN(auto q, search::parseQuery(registry, model, {"Patient"}, params, true, {}));
    q.count = static_cast<std::uint32_t>(limit);
    q.total = "none";
    GW_ASSIGN_OR_RETURN(auto page, store.search(q));
    return std::move(page.matches);
  };
}

core::Result<std::vector<Candidate>> Resolver::candidates(const fhir::Node& patient, const PatientFinder& find,
                                                          const std::string& exclude) const {
  const auto& cfg = matcher_.config();
  Demographics incoming = demographicsOf(patient, cfg.strong_identifier);
  std::vector<SearchParams> blocks;
  if (!incoming.nhs_number.empty()) blocks.push_back({{"identifier", cfg.strong_identifier + "|" + incoming.nhs_number}});
  // Blocks selective enough to stay small in a large population, and overlapping so that one
  // wrong field does not hide a person: the birth date, and with day and month swapped (a common
  // keying error); the postcode with the family name (a wrong birth date); the postcode alone
  // when there is no family name. Each is driven by its most selective value.
  const std::string& dob = incoming.birth_date;
  if (!dob.empty()) blocks.push_back({{"birthdate", dob}});
  if (dob.size() == 10 && dob.substr(5, 2) != dob.substr(8, 2) && dob.substr(8, 2) <= "12") {
    blocks.push_back({{"birthdate", dob.substr(0, 5) + dob.substr(8, 2) + "-" + dob.substr(5, 2)}});
  }
  std::set<std::string> families;
  for (const fhir::Node* name : patient.childrenNamed("name")) {
    // The first part of the name as written (the search folds case and accents and matches a
    // prefix, so "Smith-Jones" finds "Smith" too).
    std::string family(name->childValue("family"));
    family = family.substr(0, family.find_first_of(" -"));
    if (!family.empty()) families.insert(family);
  }
  for (const auto& postcode : incoming.postcodes) {
    if (families.empty()) blocks.push_back({{"address-postalcode", postcode}});
    for (const auto& family : families) blocks.push_back({{"address-postalcode", postcode}, {"family", family}});
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

bool ambiguous(const std::vector<Candidate>& candidates) {
  return candidates.size() > 1 && linksAutomatically(candidates[1].comparison.grade) &&
         candidates[0].comparison.reason != "NHS number";
}

const Candidate* linkedCandidate(const std::vector<Candidate>& candidates) {
  if (candidates.empty() || ambiguous(candidates) || !linksAutomatically(candidates.front().comparison.grade)) return nullptr;
  return &candidates.front();
}

core::Result<core::IncomingPerson> personOf(PersonLookup how, const Resolver* resolver, const fhir::Node& patient,
                                            const PatientFinder& find, const fhir::Model& model,
                                            const PatientReader& read) {
  core::IncomingPerson out;
  if (how == PersonLookup::kMessage) {
    bool any = false;
    for (const fhir::Node* id : patient.childrenNamed("identifier")) {
      if (id->childValue("system").empty() || id->childValue("value").empty()) continue;
      any = true;
      GW_ASSIGN_OR_RETURN(auto found, find({{"identifier", std::string(id->childValue("system")) + "|" +
                                                               std::string(id->childValue("value"))}},
                                           2));
      if (found.size() != 1) continue;
      GW_ASSIGN_OR_RETURN(auto rec, followReplacement(std::move(found.front()), model, read));
      out.linked = "Patient/" + rec.id;
      return out;
    }
    if (!any) return out;
  }
  if (resolver == nullptr) return out;
  GW_ASSIGN_OR_RETURN(auto candidates, resolver->candidates(patient, find));
  if (const Candidate* linked = linkedCandidate(candidates)) {
    out.linked = "Patient/" + linked->record.id;
  } else if (ambiguous(candidates)) {
    for (const auto& c : candidates) {
      if (linksAutomatically(c.comparison.grade)) out.tied.push_back("Patient/" + c.record.id);
    }
  }
  return out;
}

}  // namespace onedoor::stages::identity
