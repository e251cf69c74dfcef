#include "core/exchange.h"

#include <algorithm>
#include <cctype>

#include "fhir/operation_outcome.h"

namespace onedoor::core {
bool sameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void Headers::add(std::string name, std::string value) {
  items_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
  std::erase_if(items_, [&](const auto& p) { return sameName(p.first, name); });
  items_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (sameName(k, name)) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Request::params(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : query) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Request::conditionParams() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : query) {
    if (p.first != "_format" && p.first != "_pretty") out.push_back(p);
  }
  return out;
}

std::optional<std::string> Request::param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string_view interactionName(Interaction i) {
  switch (i) {
    case Interaction::kNone: return "none";
    case Interaction::kCapabilities: return "capabilities";
    case Interaction::kRead: return "read";
    case Interaction::kVread: return "vread";
    case Interaction::kUpdate: return "update";
    case Interaction::kPatch: return "patch";
    case Interaction::kDelete: return "delete";
    case Interaction::kHistoryInstance: return "history-instance";
    case Interaction::kHistoryType: return "history-type";
    case Interaction::kHistorySystem: return "history-system";
    case Interaction::kCreate: return "create";
    case Interaction::kSearchType: return "search-type";
    case Interaction::kSearchSystem: return "search-system";
    case Interaction::kSearchCompartment: return "search-compartment";
    case Interaction::kBatch: return "batch";
    case Interaction::kOperation: return "operation";
  }
  return "none";
}

void Exchange::fail(const Status& status) {
  response = Response{};
  response.status = httpStatus(status.code());
  Issues all;
  Issue main;
  main.severity = Severity::kError;
  main.code = std::string(issueType(status.code()));
  main.message = status.message();
  main.expression = status.expression();
  all.push_back(std::move(main));
  for (const auto& i : issues_) all.push_back(i);
  response.resource = fhir::operationOutcome(*model_, all);
}

void Exchange::respondWithIssues(int http_status) {
  response = Response{};
  response.status = http_status;
  response.resource = fhir::operationOutcome(*model_, issues_);
}

}  // namespace onedoor::core
