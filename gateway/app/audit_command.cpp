// onedoor audit query|verify|break-glass --config FILE ...
#include <rapidjson/document.h>

#include <cstdlib>
#include <iomanip>
#include <iostream>

#include "app/cli_options.h"
#include "app/command.h"
#include "app/gateway.h"
#include "stages/audit/audit_event.h"
#include "stages/route/rest_engine.h"

namespace onedoor::app {
namespace {

std::string cliUser() {
  const char* u = std::getenv("USER");
  return std::string("cli:") + (u != nullptr && *u != '\0' ? u : "unknown");
}

// Records that the log was read (or reviewed) from the command line, as the API does.
core::Status recordCliUse(storage::AuditStore& store, const std::string& what,
                          const std::vector<std::pair<std::string, std::string>>& params,
                          const std::vector<std::string>& entities = {}) {
  static const fhir::Model kEmpty;  // the exchange carries no FHIR content
  core::Exchange ex(kEmpty);
  ex.request.method = "GET";
  ex.request.path = "/AuditEvent";
  ex.request.query = params;
  ex.request.remote_address = "local:0";
  ex.request_id = core::Env::real()->uuid();
  ex.fhir.interaction = core::Interaction::kSearchType;
  ex.fhir.type = "AuditEvent";
  ex.principal.partner = cliUser();
  ex.principal.purpose = "HOPERAT";
  ex.audit.audit_query = what;
  for (const auto& e : entities) ex.audit.entities.push_back({e, {}});
  ex.response.status = 200;
  auto now = std::chrono::system_clock::now();
  auto event = stages::audit::auditEvent(ex, core::Env::real()->uuid(), core::formatInstant(now),
                                         core::epochMillis(now), "onedoor audit (command line)");
  return store.append(std::move(event.json), std::move(event.facts)).status();
}

struct Summary {
  std::string id, recorded, agent, purpose, action, outcome, what, patients;
  bool break_glass = false;
};

// The facts a report shows of one AuditEvent: who, for what, when, what, outcome.
Summary summarise(const std::string& json) {
  Summary s;
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (!d.IsObject()) return s;
  auto get = [](const rapidjson::Value& o, const char* k) {
    return o.IsObject() && o.HasMember(k) && o[k].IsString() ? std::string(o[k].GetString()) : std::string();
  };
  s.id = get(d, "id");
  s.recorded = get(d, "recorded");
  s.action = get(d, "action");
  s.outcome = get(d, "outcome");
  if (d.HasMember("agent") && d["agent"].IsArray() && !d["agent"].Empty()) {
    const auto& a = d["agent"][0];
    if (a.HasMember("who") && a["who"].HasMember("identifier")) s.agent = get(a["who"]["identifier"], "value");
    if (a.HasMember("purposeOfUse") && a["purposeOfUse"].IsArray() && !a["purposeOfUse"].Empty()) {
      s.purpose = get(a["purposeOfUse"][0]["coding"][0], "code");
    }
  }
  if (d.HasMember("entity") && d["entity"].IsArray()) {
    for (const auto& e : d["entity"].GetArray()) {
      std::string ref = e.HasMember("what") ? get(e["what"], "reference") : "";
      std::string role = e.HasMember("role") ? get(e["role"], "code") : "";
      if (role == "1") {
        s.patients += (s.patients.empty() ? "" : ",") + ref;
      } else if (!ref.empty() && role == "4") {
        s.what += (s.what.empty() ? "" : ",") + ref;
      }
      if (e.HasMember("detail") && e["detail"].IsArray()) {
        for (const auto& det : e["detail"].GetArray()) {
          if (get(det, "type") == "break-glass" && get(det, "valueString") == "true") s.break_glass = true;
        }
      }
    }
  }
  return s;
}

int verifyAndPrint(storage::AuditStore& store) {
  auto v = store.verify();
  if (!v.isOk()) {
    std::cerr << "onedoor audit: " << v.status().message() << "\n";
    return 1;
  }
  auto [seq, hash] = store.head();
  if (v->ok) {
    std::cout << "chain verified: " << v->records << " records, " << v->checkpoints << " signed checkpoints; head "
              << seq << " " << hash << "\n";
    return 0;
  }
  std::cout << "chain BROKEN at record " << v->first_bad_seq << ": " << v->problem << "\n";
  return 1;
}

}  // namespace

int auditCommand(const std::vector<std::string>& args) {
  CliOptions opts("audit", "query|verify|break-glass --config FILE [filters]",
                  "Reads the audit log. 'query' lists the records that match (--patient, --agent, --entity, "
                  "--security-label, --date, --action, --outcome, --purpose) as a report, or as NDJSON with --ndjson; 'verify' walks "
                  "the hash chain and signed checkpoints and names the first record altered, removed or inserted "
                  "(exit 1); 'break-glass' lists emergency accesses and their reviews, and --review ID records a "
                  "review. Reading the log is itself recorded in it.");
  opts.value("config", "gateway configuration (JSON)", "FILE", true);
  for (const char* f : {"patient", "agent", "entity", "security-label", "action", "outcome", "purpose", "count"}) {
    opts.value(f, std::string("filter on ") + f, "VALUE");
  }
  opts.value("date", "filter on the recorded time (ge2026-10-01, lt2026-11-01 ...)", "DATE", false, true);
  opts.flag("ndjson", "print the matching AuditEvents as NDJSON");
  opts.value("review", "record the review of a break-glass event (its AuditEvent id)", "ID");
  opts.value("note", "the reviewer's note for --review", "TEXT");
  if (!opts.parse(args)) return opts.exitCode();
  if (opts.positional().size() != 1) {
    std::cerr << "onedoor audit: give one of query, verify, break-glass\n";
    return 2;
  }
  const std::string what = opts.positional().front();
  if (what != "query" && what != "verify" && what != "break-glass") {
    std::cerr << "onedoor audit: unknown action '" << what << "' (query, verify, break-glass)\n";
    return 2;
  }
  config::Diagnostics diags;
  auto cfg = config::loadGatewayConfig(opts.get("config"), diags);
  std::cerr << diags.toString();
  if (!cfg) return 1;
  auto store = openAuditStore(*cfg);
  if (!store.isOk()) {
    std::cerr << "onedoor audit: " << store.status().message() << "\n";
    return 1;
  }
  if (what == "verify") return verifyAndPrint(**store);

  std::vector<std::pair<std::string, std::string>> params;
  for (const char* f : {"patient", "agent", "entity", "security-label", "action", "outcome", "purpose"}) {
    if (opts.has(f)) params.emplace_back(f, opts.get(f));
  }
  for (const auto& d : opts.all("date")) params.emplace_back("date", d);
  if (opts.has("count")) params.emplace_back("_count", opts.get("count"));
  if (what == "break-glass") params.emplace_back("break-glass", "true");
  if (what == "break-glass" && opts.has("review")) {
    auto st = recordCliUse(**store, "break-glass review: " + opts.get("note"), {}, {"AuditEvent/" + opts.get("review")});
    if (!st.isOk()) {
      std::cerr << "onedoor audit: " << st.message() << "\n";
      return 1;
    }
    std::cout << "review of AuditEvent/" << opts.get("review") << " recorded\n";
    return 0;
  }
  auto q = stages::route::auditQuery(params, 1000000);
  if (!q.isOk()) {
    std::cerr << "onedoor audit: " << q.status().message() << "\n";
    return 2;
  }
  if (!opts.has("count")) q->limit = 1000000;
  auto records = (*store)->search(*q);
  if (!records.isOk()) {
    std::cerr << "onedoor audit: " << records.status().message() << "\n";
    return 1;
  }
  if (!recordCliUse(**store, "AuditEvent", params).isOk()) {
    std::cerr << "onedoor audit: the audit log cannot record this query, so it is not answered\n";
    return 1;
  }
  if (opts.has("ndjson")) {
    for (const auto& r : *records) std::cout << r.json << "\n";
    return 0;
  }
  std::cout << std::left << std::setw(26) << "recorded" << std::setw(22) << "agent" << std::setw(9) << "purpose"
            << std::setw(7) << "action" << std::setw(8) << "outcome" << "patient / resources\n";
  for (const auto& r : *records) {
    Summary s = summarise(r.json);
    std::string reviewed;
    if (what == "break-glass") {
      storage::AuditQuery rq;
      rq.entity = "AuditEvent/" + s.id;
      auto reviews = (*store)->search(rq);
      reviewed = reviews.isOk() && !reviews->empty() ? "  [reviewed]" : "  [NOT REVIEWED] id " + s.id;
    }
    std::cout << std::setw(26) << s.recorded << std::setw(22) << s.agent << std::setw(9) << s.purpose << std::setw(7)
              << s.action << std::setw(8) << s.outcome << s.patients << (s.what.empty() ? "" : " " + s.what)
              << (s.break_glass ? "  BREAK-GLASS" : "") << reviewed << "\n";
  }
  std::cout << records->size() << " record(s)\n";
  return verifyAndPrint(**store);
}

}  // namespace onedoor::app
