// $stratified-count (scenario S12, secondary use): how many resources of a type match a search,
// by the locality of their patients, for planning. The route stage gathers every match (bounded);
// the consent stage then decides each one for the partner (a secondary-use rule applies the
// national data opt-out) and turns what may be counted into a MeasureReport, so that no
// patient-level data leaves (consent_filter.cpp).
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {

void RestEngine::stratifiedCount(core::Exchange& ex) const {
  if (ex.request.method != "GET" || ex.fhir.type.empty() || !ex.fhir.id.empty()) {
    ex.fail(core::invalid("$stratified-count is GET [base]/[type]/$stratified-count?[search parameters]&stratifier=locality"));
    return;
  }
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& p : ex.request.query) {
    if (p.first == "stratifier") {
      if (p.second != "locality" && p.second != "none") {
        ex.fail(core::invalid("stratifier is locality (the patients' postcode districts) or none", "stratifier"));
        return;
      }
      continue;
    }
    if (p.first == "_count" || p.first == "_cursor" || p.first == "_include" || p.first == "_revinclude" ||
        p.first == "_elements" || p.first == "_summary") {
      ex.fail(core::invalid(p.first + " has no meaning for a count", p.first));
      return;
    }
    if (p.first != "_format" && p.first != "_pretty") params.push_back(p);
  }
  auto parsed = parseSearch(ex.fhir.type, params, false);
  if (!parsed.isOk()) return ex.fail(parsed.status());
  search::SearchQuery q = std::move(parsed).value();
  q.count = config_.max_count;
  q.total = "none";
  constexpr std::size_t kMaxCounted = 100000;
  fhir::Node bundle = fhir::makeResource(*model_->resourceType("Bundle"));
  bundle.set("type", "searchset");
  std::size_t n = 0;
  while (true) {
    auto page = store_->search(q);
    if (!page.isOk()) return ex.fail(page.status());
    for (const auto& rec : page->matches) {
      if (++n > kMaxCounted) {
        ex.fail(core::Status(core::Code::kUnprocessable, "more than " + std::to_string(kMaxCounted) +
                                                             " resources match: narrow the search (a date range)"));
        return;
      }
      auto node = parseStored(*model_, rec.json);
      if (!node.isOk()) return ex.fail(node.status());
      fhir::Node* entry = bundle.add("entry");
      entry->set("fullUrl", config_.base_url + "/" + rec.type + "/" + rec.id);
      entry->addResource("resource", std::move(node).value());
    }
    if (page->next_cursor.empty()) break;
    q.cursor = page->next_cursor;
  }
  ex.response.status = 200;
  ex.response.resource = std::move(bundle);
}

}  // namespace onedoor::stages::route
