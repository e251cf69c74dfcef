// The audit log through the API: GET [base]/AuditEvent?... (a searchset Bundle) and
// GET [base]/AuditEvent/$export?... (NDJSON), read from the audit store, for auditors only. The
// log is written by the gateway alone: every other interaction on AuditEvent is refused.
#include <cctype>
#include <cstdlib>

#include "fhir/codec.h"
#include "fhirpath/temporal.h"
#include "search/normalize.h"
#include "stages/route/bundle_builder.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {
namespace {

std::vector<std::string> commaList(const std::string& v) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= v.size()) {
    auto comma = v.find(',', start);
    std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// `date` with a prefix (ge, gt, le, lt, eq or none) into bounds on recorded_ms.
core::Status dateBounds(const std::string& value, storage::AuditQuery& q) {
  std::string prefix = value.size() > 2 && std::isalpha(static_cast<unsigned char>(value[0])) ? value.substr(0, 2) : "eq";
  std::string date = prefix == "eq" && !(value.size() > 2 && value.substr(0, 2) == "eq") ? value : value.substr(2);
  auto t = fhirpath::Temporal::parseDateTime(date);
  if (!t) return core::invalid("date must be a FHIR date or dateTime with an optional prefix (ge, gt, le, lt, eq)");
  auto [low, high] = search::dateRange(*t);
  if (prefix == "eq") {
    q.dates.emplace_back("ge", low);
    q.dates.emplace_back("le", high);
  } else if (prefix == "ge") {
    q.dates.emplace_back("ge", low);
  } else if (prefix == "gt") {
    q.dates.emplace_back("gt", high);
  } else if (prefix == "le") {
    q.dates.emplace_back("le", high);
  } else if (prefix == "lt") {
    q.dates.emplace_back("lt", low);
  } else {
    return core::invalid("date prefix must be one of ge, gt, le, lt, eq");
  }
  return core::Status::ok();
}

}  // namespace

core::Result<storage::AuditQuery> auditQuery(const std::vector<std::pair<std::string, std::string>>& params,
                                             std::uint32_t max_count) {
  storage::AuditQuery q;
  q.limit = 100;
  for (const auto& [name, value] : params) {
    if (name == "patient") {
      q.patient = value.find('/') == std::string::npos ? "Patient/" + value : value;
    } else if (name == "agent") {
      q.agent = value;
    } else if (name == "entity") {
      q.entity = value;
    } else if (name == "security-label") {
      q.label = value.substr(value.find('|') == std::string::npos ? 0 : value.find('|') + 1);
    } else if (name == "date") {
      GW_RETURN_IF_ERROR(dateBounds(value, q));
    } else if (name == "action") {
      q.actions = commaList(value);
    } else if (name == "outcome") {
      q.outcomes = commaList(value);
    } else if (name == "purpose") {
      q.purposes = commaList(value);
    } else if (name == "break-glass") {
      q.break_glass_only = value == "true";
    } else if (name == "_count") {
      char* end = nullptr;
      long n = std::strtol(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || n < 1) return core::invalid("_count must be a positive integer");
      q.limit = static_cast<std::size_t>(std::min<long>(n, max_count));
    } else if (name == "_cursor") {
      char* end = nullptr;
      long long n = std::strtoll(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || n < 0) return core::invalid("_cursor is not one this server gave");
      q.after_seq = n;
    } else if (name == "_format") {
      continue;  // negotiated by the parse stage
    } else {
      return core::invalid("unknown search parameter '" + name +
                           "' for AuditEvent (patient, agent, entity, security-label, date, action, outcome, purpose, break-glass)");
    }
  }
  return q;
}

void RestEngine::auditLog(core::Exchange& ex) const {
  bool search = ex.fhir.interaction == core::Interaction::kSearchType;
  bool exporting = ex.fhir.interaction == core::Interaction::kOperation && ex.fhir.operation == "export";
  if (!search && !exporting) {
    ex.fail(core::Status(core::Code::kNotAllowed,
                         "the audit log is read by search or $export only; the gateway alone writes it"));
    return;
  }
  if (ex.principal.sector != "auditor") {
    ex.fail(core::Status(core::Code::kForbidden, "the audit log is open to auditors only"));
    return;
  }
  if (audit_ == nullptr) {
    ex.fail(core::Status(core::Code::kUnavailable, "no audit store"));
    return;
  }
  auto q = auditQuery(ex.request.query, exporting ? 100000 : config_.max_count);
  if (!q.isOk()) {
    ex.fail(q.status());
    return;
  }
  ex.audit.audit_query = "AuditEvent";  // reading the log is itself audited, naming whose record was asked for
  if (!q->patient.empty()) ex.audit.patients.push_back(q->patient);
  if (exporting && q->limit == 100) q->limit = 100000;
  auto records = audit_->search(*q);
  if (!records.isOk()) {
    ex.fail(records.status());
    return;
  }
  auto [head_seq, head_hash] = audit_->head();
  ex.response.headers.set("X-Audit-Head", std::to_string(head_seq) + " " + head_hash);
  ex.response.status = 200;
  if (exporting) {
    for (const auto& r : *records) ex.response.body += r.json + "\n";
    ex.response.content_type = "application/fhir+ndjson";
    return;
  }
  BundleBuilder b(*model_, "searchset");
  std::string self = config_.base_url + "/AuditEvent";
  std::string sep = "?";
  for (const auto& [k, v] : ex.request.query) {
    if (k == "_cursor") continue;
    self += sep + urlEncode(k) + "=" + urlEncode(v);
    sep = "&";
  }
  b.link("self", self);
  if (records->size() == q->limit && !records->empty()) {
    b.link("next", self + sep + "_cursor=" + std::to_string(records->back().seq));
  }
  for (const auto& r : *records) {
    auto parsed = fhir::readJson(*model_, r.json);
    if (!parsed.ok()) {  // never hide a record: the auditor must hear of it
      ex.fail(core::internal("audit record " + std::to_string(r.seq) + " is not a readable AuditEvent: " +
                             parsed.issues.front().message));
      return;
    }
    std::string id(parsed.resource.childValue("id"));
    fhir::Node* e = b.entry(std::move(parsed.resource), config_.base_url + "/AuditEvent/" + id);
    if (fhir::Node* search_node = e->add("search")) search_node->set("mode", "match");
  }
  ex.response.resource = b.take();
}

}  // namespace onedoor::stages::route
