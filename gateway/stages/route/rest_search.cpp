// search-type, search-system and compartment search (https://hl7.org/fhir/R4/search.html).
#include "fhir/operation_outcome.h"
#include "fhir/summary.h"
#include "stages/parse/rest_url.h"
#include "stages/route/bundle_builder.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {

using core::Interaction;

core::Result<search::SearchQuery> RestEngine::parseSearch(
    const std::string& type, const std::vector<std::pair<std::string, std::string>>& params, bool lenient) const {
  search::QueryLimits limits;
  limits.default_count = config_.default_count;
  limits.max_count = config_.max_count;
  std::vector<std::string> types;
  if (!type.empty()) types.push_back(type);
  return search::parseQuery(indexer_->registry(), *model_, types, params, lenient, limits);
}

namespace {

std::string linkUrl(const std::string& path, const search::SearchQuery& q, const std::string& cursor) {
  std::string url = path + "?";
  bool first = true;
  for (const auto& [k, v] : q.canonical_params) {
    if (k == "_count") continue;
    url += (first ? "" : "&") + urlEncode(k) + "=" + urlEncode(v);
    first = false;
  }
  url += (first ? "" : "&") + std::string("_count=") + std::to_string(q.count);
  if (!cursor.empty()) url += "&_cursor=" + cursor;
  return url;
}

}  // namespace

void RestEngine::search(core::Exchange& ex) const {
  const core::FhirRequest& fr = ex.fhir;
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& p : ex.request.query) {
    if (p.first != "_format" && p.first != "_pretty") params.push_back(p);
  }
  std::string type = fr.interaction == Interaction::kSearchCompartment ? fr.compartment_type : fr.type;
  std::vector<std::string> compartment_types;
  if (fr.interaction == Interaction::kSearchCompartment && type == "*") {
    for (const auto* t : model_->resourceTypes()) {
      if (indexer_->registry().compartmentParams(fr.type, t->name) != nullptr) compartment_types.push_back(t->name);
    }
    type.clear();
  }
  auto parsed = parseSearch(type, params, fr.lenient);
  if (!parsed.isOk()) return ex.fail(parsed.status());
  search::SearchQuery q = std::move(parsed).value();
  std::string path = config_.base_url;
  if (fr.interaction == Interaction::kSearchType) path += "/" + fr.type;
  if (fr.interaction == Interaction::kSearchCompartment) {
    path += "/" + fr.type + "/" + fr.id + "/" + fr.compartment_type;
    if (!compartment_types.empty()) q.types = compartment_types;
    std::vector<std::string> union_params;
    for (const auto& t : q.types) {
      const auto* ps = indexer_->registry().compartmentParams(fr.type, t);
      if (ps == nullptr) {
        return ex.fail(core::invalid(t + " resources are not in the " + fr.type + " compartment"));
      }
      for (const auto& p : *ps) {
        if (std::find(union_params.begin(), union_params.end(), p) == union_params.end()) union_params.push_back(p);
      }
    }
    search::Criterion c;
    c.code = "_compartment";
    c.compartment_params = union_params;
    search::QueryValue v;
    v.type = fr.type;
    v.text = fr.id;
    c.values.push_back(v);
    q.criteria.push_back(std::move(c));
  }
  if (fr.summary == "count") {
    q.count = 0;
    q.total = "accurate";
  }
  auto page = store_->search(q);
  if (!page.isOk()) return ex.fail(page.status());

  BundleBuilder b(*model_, "searchset");
  if (page->total) b.total(*page->total);
  b.link("self", linkUrl(path, q, q.cursor));
  if (!page->next_cursor.empty()) b.link("next", linkUrl(path, q, page->next_cursor));
  if (!page->prev_cursor.empty()) b.link("previous", linkUrl(path, q, page->prev_cursor));
  auto addEntry = [&](const storage::ResourceRecord& rec, const char* mode) -> core::Status {
    GW_ASSIGN_OR_RETURN(fhir::Node node, parseStored(*model_, rec.json));
    if (!fr.summary.empty() && fr.summary != "count") fhir::applySummary(node, fr.summary);
    fhir::applyElements(node, fr.elements);
    fhir::Node* e = b.entry(std::move(node), config_.base_url + "/" + rec.type + "/" + rec.id);
    e->add("search")->set("mode", mode);
    return core::Status::ok();
  };
  for (const auto& rec : page->matches) {
    core::Status st = addEntry(rec, "match");
    if (!st.isOk()) return ex.fail(st);
  }
  for (const auto& rec : page->included) {
    core::Status st = addEntry(rec, "include");
    if (!st.isOk()) return ex.fail(st);
  }
  if (!q.ignored.empty()) {
    core::Issue issue;
    issue.severity = core::Severity::kWarning;
    issue.code = "not-supported";
    issue.message = "unknown search parameters were ignored:";
    for (const auto& name : q.ignored) issue.message += " " + name;
    fhir::Node* e = b.entry(fhir::operationOutcome(*model_, {issue}), "");
    e->add("search")->set("mode", "outcome");
  }
  ex.response.status = 200;
  ex.response.resource = b.take();
}

}  // namespace onedoor::stages::route
