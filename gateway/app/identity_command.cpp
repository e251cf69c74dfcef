// onedoor identity review|distinct --config FILE: the possible duplicate Patients that patient
// matching left for a person to decide (docs/identity.md). Merging is Patient/$merge (operators).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <iomanip>
#include <iostream>

#include "app/cli_audit.h"
#include "app/cli_options.h"
#include "app/command.h"
#include "app/gateway.h"
#include "fhir/codec.h"

namespace onedoor::app {
namespace {

// Who looked or decided, as an audit record: the listing shows patient details.
core::Status recordReview(storage::AuditStore& audit, const std::string& action, const std::vector<std::string>& patients) {
  return recordCliAction(audit, {"identity", action == "review" ? "GET" : "POST", "/identity/" + action, "identity-" + action,
                                 patients, {}, "onedoor identity (command line)"});
}

// "Sheikh, Amira 1990-04-02 LS1 4AP" for a stored Patient; "(gone)" if it is not there.
std::string summary(storage::Store& store, const fhir::Model& model, const std::string& id) {
  auto rec = store.read("Patient", id);
  if (!rec.isOk() || !*rec || (*rec)->deleted) return "(gone)";
  auto p = fhir::readJson(model, (*rec)->json);
  if (!p.ok()) return "(unreadable)";
  std::string out;
  if (const fhir::Node* name = p.resource.child("name")) {
    out += std::string(name->childValue("family"));
    auto given = name->childrenNamed("given");
    if (!given.empty()) out += ", " + given.front()->value;
  }
  out += " " + std::string(p.resource.childValue("birthDate"));
  if (const fhir::Node* a = p.resource.child("address")) out += " " + std::string(a->childValue("postalCode"));
  return out;
}

}  // namespace

int identityCommand(const std::vector<std::string>& args) {
  CliOptions opts("identity", "review|distinct SEQ --config FILE [--json] [--all]",
                  "Possible duplicate Patients: pairs whose match score fell between the review and auto-link "
                  "thresholds, never merged automatically. 'review' lists the open ones, best score first (--all "
                  "with the decided ones, --json as JSON); 'distinct SEQ' records that a pair are different people. "
                  "To merge a pair, an operator calls POST [base]/Patient/$merge. Listings and decisions are "
                  "recorded in the audit log.");
  opts.value("config", "gateway configuration (JSON)", "FILE", true);
  opts.flag("json", "print JSON");
  opts.flag("all", "include decided pairs");
  if (!opts.parse(args)) return opts.exitCode();
  const auto& pos = opts.positional();
  std::string what = pos.empty() ? "" : pos.front();
  if (!(what == "review" && pos.size() == 1) && !(what == "distinct" && pos.size() == 2)) {
    std::cerr << "onedoor identity: give review, or distinct with a pair's SEQ\n";
    return 2;
  }
  config::Diagnostics diags;
  auto cfg = config::loadGatewayConfig(opts.get("config"), diags);
  std::cerr << diags.toString();
  if (!cfg) return 1;
  auto store_result = openStore(*cfg);
  if (!store_result.isOk()) {
    std::cerr << "onedoor identity: " << store_result.status().message() << "\n";
    return 1;
  }
  std::shared_ptr<storage::Store> store(std::move(store_result).value());
  auto audit = openAuditStore(*cfg);
  if (!audit.isOk()) {
    std::cerr << "onedoor identity: the audit log cannot be opened: " << audit.status().message() << "\n";
    return 1;
  }
  if (what == "distinct") {
    std::int64_t seq = std::atoll(pos[1].c_str());
    auto rows = store->query("SELECT patient, candidate FROM identity_review WHERE seq = ? AND status = 'open'", {seq});
    if (!rows.isOk() || rows->empty()) {
      std::cerr << "onedoor identity: no open pair " << pos[1] << "\n";
      return 1;
    }
    std::vector<std::string> patients = {"Patient/" + storage::asString((*rows)[0][0]), "Patient/" + storage::asString((*rows)[0][1])};
    const char* user = std::getenv("USER");
    auto st = store->write([&](storage::WriteTx& tx) {
      return tx.sql().exec("UPDATE identity_review SET status = 'distinct', resolved_ms = ?, resolved_by = ? WHERE seq = ?",
                           {core::epochMillis(std::chrono::system_clock::now()),
                            std::string("cli:") + (user != nullptr ? user : "unknown"), seq});
    });
    if (!st.isOk() || !recordReview(**audit, "distinct", patients).isOk()) {
      std::cerr << "onedoor identity: the decision could not be recorded\n";
      return 1;
    }
    std::cout << "pair " << seq << " recorded as different people\n";
    return 0;
  }
  auto model = loadDefinitions(*cfg);
  if (!model.isOk()) {
    std::cerr << "onedoor identity: " << model.status().message() << "\n";
    return 1;
  }
  auto rows = store->query(std::string("SELECT seq, patient, candidate, score, reason, status, created_ms FROM identity_review ") +
                           (opts.has("all") ? "" : "WHERE status = 'open' ") + "ORDER BY score DESC, seq");
  if (!rows.isOk()) {
    std::cerr << "onedoor identity: " << rows.status().message() << "\n";
    return 1;
  }
  std::vector<std::string> patients;
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartArray();
  if (!opts.has("json")) {
    std::cout << std::left << std::setw(6) << "SEQ" << std::setw(7) << "SCORE" << std::setw(9) << "STATUS" << "PAIR\n";
  }
  for (const auto& row : *rows) {
    std::string a = storage::asString(row[1]), b = storage::asString(row[2]);
    double score = std::holds_alternative<double>(row[3]) ? std::get<double>(row[3]) : static_cast<double>(storage::asInt(row[3]));
    patients.push_back("Patient/" + a);
    patients.push_back("Patient/" + b);
    std::string sa = summary(*store, **model, a), sb_ = summary(*store, **model, b);
    char score_text[16];
    std::snprintf(score_text, sizeof score_text, "%.2f", score);
    if (opts.has("json")) {
      w.StartObject();
      w.Key("seq");
      w.Int64(storage::asInt(row[0]));
      for (auto [k, v] : {std::pair<const char*, std::string>{"patient", "Patient/" + a}, {"candidate", "Patient/" + b},
                          {"grade", "possible"}, {"reason", storage::asString(row[4])}, {"status", storage::asString(row[5])},
                          {"patientSummary", sa}, {"candidateSummary", sb_}}) {
        w.Key(k);
        w.String(v.c_str());
      }
      w.Key("score");
      w.Double(score);
      w.EndObject();
    } else {
      std::cout << std::left << std::setw(6) << storage::asInt(row[0]) << std::setw(7) << score_text << std::setw(9)
                << storage::asString(row[5]) << "Patient/" << a << " (" << sa << ")  ~  Patient/" << b << " (" << sb_
                << ")  possible: " << storage::asString(row[4]) << "\n";
    }
  }
  w.EndArray();
  if (opts.has("json")) std::cout << sb.GetString() << "\n";
  if (!recordReview(**audit, "review", patients).isOk()) {
    std::cerr << "onedoor identity: the audit log could not record this listing\n";
    return 1;
  }
  return 0;
}

}  // namespace onedoor::app
