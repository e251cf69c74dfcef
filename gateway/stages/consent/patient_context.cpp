#include "stages/consent/patient_context.h"

#include <algorithm>

#include "fhir/codec.h"
#include "search/query.h"

namespace onedoor::stages::consent {

std::vector<std::string> PatientContext::patientsOf(const fhir::Node& resource) const {
  std::vector<std::string> out;
  if (resource.type == nullptr) return out;
  const std::string& type = resource.type->name;
  if (type == "Patient") {
    // A Patient being created has no id yet, and so no Consents.
    if (!resource.childValue("id").empty()) out.push_back("Patient/" + std::string(resource.childValue("id")));
    return out;
  }
  // The Patient compartment's parameters; for a type outside the R4 compartment that still points
  // at a patient (Task.for, ...), its `patient` and `subject` search parameters.
  static const std::vector<std::string> kFallback = {"patient", "subject"};
  const auto* params = indexer_.registry().compartmentParams("Patient", type);
  if (params == nullptr) params = &kFallback;
  for (const auto& code : *params) {
    const search::SearchParam* p = indexer_.registry().find(type, code);
    if (p == nullptr) continue;
    for (const auto& row : indexer_.rows(resource, *p)) {
      if (row.s1 && *row.s1 == "Patient" && row.s2) {
        std::string ref = "Patient/" + *row.s2;
        if (std::find(out.begin(), out.end(), ref) == out.end()) out.push_back(ref);
      }
    }
  }
  return out;
}

core::Result<std::vector<const fhir::Node*>> PatientContext::consentsOf(const std::string& patient) {
  if (auto it = consents_.find(patient); it != consents_.end()) return it->second;
  auto pointers = [&](const ConsentCache::Consents& held) {
    held_.push_back(held);
    std::vector<const fhir::Node*> out;
    for (const auto& c : *held) out.push_back(&c);
    consents_[patient] = out;
    return out;
  };
  // The generation is read before the search, so that a write committed meanwhile makes the
  // entry stale rather than the cache wrong.
  bool cacheable = false;
  std::uint64_t generation = 0;
  if (cache_ != nullptr) {
    if (auto g = store_.localWriteGeneration("Consent")) {
      cacheable = true;
      generation = *g;
      if (auto hit = cache_->get(patient, generation)) return pointers(hit);
    }
  }
  std::vector<std::pair<std::string, std::string>> params = {{"patient", patient}, {"_count", "200"}};
  search::QueryLimits limits;
  limits.max_count = 200;
  GW_ASSIGN_OR_RETURN(auto q, search::parseQuery(indexer_.registry(), model_, {"Consent"}, params, false, limits));
  q.total = "none";
  GW_ASSIGN_OR_RETURN(auto page, store_.search(q));
  auto found = std::make_shared<std::vector<fhir::Node>>();
  for (const auto& rec : page.matches) {
    auto r = fhir::readJson(model_, rec.json);
    if (!r.ok()) return core::internal("a stored Consent does not parse");
    found->push_back(std::move(r.resource));
  }
  if (!page.next_cursor.empty()) return core::internal("the patient has more Consents than can be evaluated at once");
  ConsentCache::Consents held = std::move(found);
  if (cacheable) cache_->put(patient, generation, held);
  return pointers(held);
}

core::Result<std::vector<const fhir::Node*>> PatientContext::consentsOf(const std::vector<std::string>& patients) {
  std::vector<const fhir::Node*> all;
  for (const auto& p : patients) {
    GW_ASSIGN_OR_RETURN(auto c, consentsOf(p));
    all.insert(all.end(), c.begin(), c.end());
  }
  return all;
}

std::optional<std::string> PatientContext::odsOf(const std::string& reference) {
  if (auto it = ods_.find(reference); it != ods_.end()) return it->second;
  std::optional<std::string> ods;
  auto slash = reference.find('/');
  if (slash != std::string::npos && reference.substr(0, slash) == "Organization") {
    auto rec = store_.read("Organization", reference.substr(slash + 1));
    if (rec.isOk() && *rec && !(*rec)->deleted) {
      auto r = fhir::readJson(model_, (*rec)->json);
      if (r.ok()) {
        for (const fhir::Node* id : r.resource.childrenNamed("identifier")) {
          if (id->childValue("system") == "https://fhir.nhs.uk/Id/ods-organization-code") {
            ods = std::string(id->childValue("value"));
          }
        }
      }
    }
  }
  ods_[reference] = ods;
  return ods;
}

}  // namespace onedoor::stages::consent
