// The response side of the consent stage: each resource about to leave is decided for the
// partner; refused reads become a generic 403, searches lose what may not be seen and mask what
// may be seen in part; the audit trail gets every patient, resource and decision.
#include <algorithm>
#include <map>
#include <set>

#include "fhir/codec.h"
#include "stages/consent/consent_stage.h"
#include "stages/identity/demographics.h"

namespace onedoor::stages::consent {
namespace {

using core::Interaction;

constexpr const char* kConfidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

// U < L < M < N < R < V. A resource with a sensitive label and no stated level counts as R.
int level(const std::vector<std::string>& labels, const Policy& policy) {
  static const std::string kOrder = "ULMNRV";
  int best = -1;
  bool sensitive = false;
  for (const auto& l : labels) {
    if (l.rfind(std::string(kConfidentiality) + "|", 0) == 0) {
      auto pos = kOrder.find(l.substr(l.size() - 1));
      if (pos != std::string::npos) best = std::max(best, static_cast<int>(pos));
    }
    sensitive = sensitive || policy.sensitive.count(l) > 0;
  }
  if (best < 0) best = sensitive ? 4 : 3;
  return best;
}

void addUnique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

std::string referenceOf(const fhir::Node& r) {
  std::string ref = r.type->name + "/" + std::string(r.childValue("id"));
  if (const fhir::Node* meta = r.child("meta")) {
    if (!meta->childValue("versionId").empty()) ref += "/_history/" + std::string(meta->childValue("versionId"));
  }
  return ref;
}

}  // namespace

core::Status ConsentStage::filterRead(core::Exchange& ex, const Requester& base, PatientContext& pc) const {
  fhir::Node node;
  if (ex.response.resource) {
    node = *ex.response.resource;
  } else if (!ex.response.raw_json.empty()) {
    auto r = fhir::readJson(*model_, ex.response.raw_json);
    if (!r.ok()) return core::internal("a stored resource does not parse");
    node = std::move(r.resource);
  } else {
    return core::Status::ok();
  }
  if (node.type == nullptr || node.type->name == "OperationOutcome") return core::Status::ok();
  Requester who = base;
  auto patients = pc.patientsOf(node);
  GW_ASSIGN_OR_RETURN(auto consents, pc.consentsOf(patients));
  std::int64_t now_ms = core::epochMillis(env_->now());
  if (evaluator_.policy().break_glass_purposes.count(who.purpose)) {
    for (const auto& p : patients) {
      GW_ASSIGN_OR_RETURN(bool granted, store_->hasBreakGlass(who.partner, p, now_ms));
      who.break_glass = who.break_glass || granted;
    }
  }
  Decision d = evaluator_.decide(who, node, consents, "access", now(), [&](const std::string& r) { return pc.odsOf(r); });
  for (const auto& p : patients) addUnique(ex.audit.patients, p);
  ex.audit.rule = d.rule;
  ex.audit.policy_version = evaluator_.policy().version;
  if (!d.consent.empty()) addUnique(ex.audit.consents, d.consent);
  // Every access while a break-glass grant is in force is flagged for review.
  if (d.rule == "break-glass" || who.break_glass) ex.audit.break_glass = true;
  if (d.effect == Decision::Effect::kDeny) {
    deny(ex, d);
    return core::Status::ok();
  }
  ex.audit.entities.push_back({referenceOf(node), ConsentEvaluator::labels(node)});
  ex.audit.decision = d.outcome();
  if (d.effect == Decision::Effect::kMask) {
    evaluator_.mask(node);
    ex.response.raw_json.clear();
    ex.response.resource = std::move(node);
  }
  return core::Status::ok();
}

core::Status ConsentStage::filterBundle(core::Exchange& ex, const Requester& base, PatientContext& pc) const {
  if (!ex.response.resource || ex.response.resource->type == nullptr || ex.response.resource->type->name != "Bundle") {
    return core::Status::ok();
  }
  fhir::Node& bundle = *ex.response.resource;
  const PolicyRule* rule = evaluator_.policy().rule(base.sector, base.purpose, base.partner);
  std::int64_t now_ms = core::epochMillis(env_->now());
  std::size_t withheld = 0, masked = 0, kept = 0;
  int hwm = 3;  // N
  std::vector<fhir::Node> entries, others;
  std::set<std::string> withheld_refs;  // Type/id of each resource withheld
  std::set<std::string> from_withheld;  // what the withheld resources refer to
  std::size_t opted_out = 0;            // withheld by the national data opt-out
  for (auto& entry : bundle.children) {
    if (entry.name != "entry") {
      others.push_back(std::move(entry));
      continue;
    }
    fhir::Node* r = entry.child("resource");
    if (r == nullptr && (rule == nullptr || !rule->reveal_missing)) {
      // A deletion in a history: its id alone could tell that hidden data existed.
      ++withheld;
      continue;
    }
    if (r == nullptr || r->type == nullptr || r->type->name == "OperationOutcome") {
      entries.push_back(std::move(entry));
      continue;
    }
    Requester who = base;
    auto patients = pc.patientsOf(*r);
    GW_ASSIGN_OR_RETURN(auto consents, pc.consentsOf(patients));
    if (evaluator_.policy().break_glass_purposes.count(who.purpose)) {
      for (const auto& p : patients) {
        GW_ASSIGN_OR_RETURN(bool granted, store_->hasBreakGlass(who.partner, p, now_ms));
        who.break_glass = who.break_glass || granted;
      }
    }
    Decision d = evaluator_.decide(who, *r, consents, "access", now(), [&](const std::string& ref) { return pc.odsOf(ref); });
    if (!d.consent.empty()) addUnique(ex.audit.consents, d.consent);
    if (d.rule == "break-glass" || who.break_glass) ex.audit.break_glass = true;
    if (d.effect == Decision::Effect::kDeny) {
      ++withheld;
      if (d.rule == "national-data-opt-out") ++opted_out;
      withheld_refs.insert(r->type->name + "/" + std::string(r->childValue("id")));
      if (!entry.childValue("fullUrl").empty()) withheld_refs.insert(std::string(entry.childValue("fullUrl")));
      fhir::forEachReference(*r, [&](const fhir::Node& ref) { from_withheld.insert(ref.value); });
      continue;
    }
    for (const auto& p : patients) addUnique(ex.audit.patients, p);
    auto labels = ConsentEvaluator::labels(*r);
    hwm = std::max(hwm, level(labels, evaluator_.policy()));
    ex.audit.entities.push_back({referenceOf(*r), labels});
    if (d.effect == Decision::Effect::kMask) {
      ++masked;
      evaluator_.mask(*r);
    }
    ++kept;
    entries.push_back(std::move(entry));
  }
  // A resource about no patient of its own that only withheld resources refer to goes with them
  // (the Medication of a withheld MedicationStatement, included or in a GP record): on its own it
  // would say what was withheld. What a kept resource refers to stays (Provenance targets aside).
  if (!from_withheld.empty()) {
    std::set<std::string> from_kept;
    for (const auto& entry : entries) {
      const fhir::Node* r = entry.child("resource");
      if (r == nullptr || r->type == nullptr || r->type->name == "Provenance") continue;
      fhir::forEachReference(*r, [&](const fhir::Node& ref) { from_kept.insert(ref.value); });
    }
    auto orphan = [&](const fhir::Node& entry) {
      const fhir::Node* r = entry.child("resource");
      if (r == nullptr || r->type == nullptr) return false;
      // Referred to by Type/id, or by the entry's fullUrl (urn:uuid:...).
      std::string ref = r->type->name + "/" + std::string(r->childValue("id"));
      std::string full(entry.childValue("fullUrl"));
      auto in = [&](const std::set<std::string>& s) { return s.count(ref) > 0 || (!full.empty() && s.count(full) > 0); };
      if (!in(from_withheld) || in(from_kept) || !pc.patientsOf(*r).empty()) return false;
      withheld_refs.insert(ref);
      if (!full.empty()) withheld_refs.insert(full);
      return true;
    };
    std::size_t before = entries.size();
    entries.erase(std::remove_if(entries.begin(), entries.end(), orphan), entries.end());
    withheld += before - entries.size();
    kept -= before - entries.size();
    auto& disclosed = ex.audit.entities;  // ... and is not recorded as disclosed
    disclosed.erase(std::remove_if(disclosed.begin(), disclosed.end(),
                                   [&](const core::AuditTrail::Entity& e) {
                                     return withheld_refs.count(e.reference.substr(0, e.reference.find("/_history"))) > 0;
                                   }),
                    disclosed.end());
  }
  // A kept List or Provenance does not name what was withheld (a GP record's section Lists, its
  // Provenance): the reference alone would tell that hidden data exists.
  if (!withheld_refs.empty()) {
    for (auto& entry : entries) {
      fhir::Node* r = entry.child("resource");
      if (r == nullptr || r->type == nullptr) continue;
      const bool list = r->type->name == "List", provenance = r->type->name == "Provenance";
      if (!list && !provenance) continue;
      auto& c = r->children;
      c.erase(std::remove_if(c.begin(), c.end(), [&](const fhir::Node& n) {
                const fhir::Node* ref = list && n.name == "entry" ? n.child("item") : provenance && n.name == "target" ? &n : nullptr;
                return ref != nullptr && withheld_refs.count(std::string(ref->childValue("reference"))) > 0;
              }),
              c.end());
    }
  }
  // The kept entries go back where entries were: before the signature, if any, in order.
  auto at = std::find_if(others.begin(), others.end(), [](const fhir::Node& c) { return c.name == "signature"; });
  others.insert(at, std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
  bundle.children = std::move(others);
  // A total is a count of what matched: it stays only where nothing was withheld or masked on
  // this page and the rule trusts the partner with counts; otherwise it would reveal hidden data.
  bool exact = rule != nullptr && rule->exact_totals && withheld == 0 && masked == 0;
  if (!exact) bundle.removeChildren("total");
  if (kept > 0) {
    fhir::Node* meta = bundle.child("meta");
    if (meta == nullptr) meta = bundle.add("meta");
    if (meta != nullptr) {
      if (fhir::Node* s = meta->add("security")) {
        s->set("system", kConfidentiality);
        s->set("code", std::string(1, std::string("ULMNRV")[static_cast<std::size_t>(hwm)]));
      }
    }
  }
  ex.audit.rule = rule != nullptr ? rule->id : "";
  ex.audit.policy_version = evaluator_.policy().version;
  ex.audit.decision = withheld == 0 && masked == 0 ? "permit" : "redact";
  if (opted_out > 0) ex.audit.details.emplace_back("excluded-by-national-data-opt-out", std::to_string(opted_out));
  return core::Status::ok();
}

namespace {

constexpr std::size_t kSmallNumber = 5;  // counts below this are not shown (re-identification)

}  // namespace

core::Status ConsentStage::aggregate(core::Exchange& ex, PatientContext& pc) const {
  const fhir::Node& bundle = *ex.response.resource;
  const bool by_locality = ex.request.param("stratifier").value_or("locality") == "locality";
  std::map<std::string, std::size_t> strata;
  std::map<std::string, std::string> district_of;  // Patient/<id> -> district
  std::size_t total = 0;
  for (const fhir::Node* e : bundle.childrenNamed("entry")) {
    const fhir::Node* r = e->child("resource");
    if (r == nullptr || r->type == nullptr || r->type->name == "OperationOutcome") continue;
    ++total;
    if (!by_locality) continue;
    std::string district = "unknown";
    auto patients = pc.patientsOf(*r);
    if (!patients.empty()) {
      auto it = district_of.find(patients.front());
      if (it == district_of.end()) {
        std::string d;
        GW_ASSIGN_OR_RETURN(auto rec, store_->read("Patient", patients.front().substr(8)));
        if (rec && !rec->deleted) {
          auto patient = fhir::readJson(*model_, rec->json);
          if (const fhir::Node* address = patient.ok() ? patient.resource.child("address") : nullptr) {
            d = identity::outwardCode(identity::normalisePostcode(address->childValue("postalCode")));
          }
        }
        it = district_of.emplace(patients.front(), d.empty() ? "unknown" : d).first;
      }
      district = it->second;
    }
    ++strata[district];
  }
  fhir::Node report = fhir::makeResource(*model_->resourceType("MeasureReport"));
  const std::string now_text = core::formatInstant(env_->now());
  report.set("status", "complete");
  report.set("type", "summary");
  report.set("measure", "https://onedoor.dev/fhir/Measure/stratified-count");
  report.set("date", now_text);
  report.add("period")->set("end", now_text);
  fhir::Node* group = report.add("group");
  group->add("code")->set("text", ex.fhir.type + " matching the search, counted for " + ex.principal.partner);
  auto population = [&](fhir::Node& parent, std::size_t count) {
    fhir::Node* p = parent.add("population");
    fhir::Node* c = p->add("code")->add("coding");
    c->set("system", "http://terminology.hl7.org/CodeSystem/measure-population");
    c->set("code", "initial-population");
    if (count == 0 || count >= kSmallNumber) p->set("count", std::to_string(count));
  };
  population(*group, total);
  std::size_t suppressed = 0;
  if (by_locality) {
    fhir::Node* stratifier = group->add("stratifier");
    stratifier->add("code")->set("text", "locality (postcode district of the patient); counts under 5 not shown");
    for (const auto& [district, count] : strata) {
      if (count < kSmallNumber) {
        ++suppressed;
        continue;
      }
      fhir::Node* stratum = stratifier->add("stratum");
      stratum->add("value")->set("text", district);
      population(*stratum, count);
    }
  }
  // No patient-level data leaves: the audit names the query and how it was de-identified.
  ex.audit.entities.clear();
  ex.audit.details.emplace_back("counted", std::to_string(total));
  ex.audit.details.emplace_back("de-identification", std::string(by_locality ? "aggregated by postcode district" : "aggregated") +
                                                        "; counts under 5 suppressed (" + std::to_string(suppressed) + " strata)");
  ex.response.raw_json.clear();
  ex.response.resource = std::move(report);
  return core::Status::ok();
}

core::Status ConsentStage::respond(core::Exchange& ex) {
  if (ex.request.endpoint != "fhir" || !ex.principal.authenticated) return core::Status::ok();
  const auto& fr = ex.fhir;
  // A read of something missing answers as a denial does, so that a 404 beside a 403 cannot tell
  // a partner that hidden data exists (unless its rule is trusted to reveal that).
  bool reading = fr.interaction == Interaction::kRead || fr.interaction == Interaction::kVread;
  if (reading && (ex.response.status == 404 || ex.response.status == 410) && fr.type != "AuditEvent") {
    const PolicyRule* rule = evaluator_.policy().rule(ex.principal.sector, ex.principal.purpose, ex.principal.partner);
    if (rule == nullptr || !rule->reveal_missing) {
      deny(ex, Decision{Decision::Effect::kDeny, ex.response.status == 404 ? "not-found" : "gone", "", "", ""});
    }
    return core::Status::ok();
  }
  if (ex.response.status < 200 || ex.response.status >= 300) return core::Status::ok();
  if (fr.type == "AuditEvent" || fr.interaction == Interaction::kCapabilities) return core::Status::ok();
  // $match answers a searchset, $gpc.getstructuredrecord a collection (a GP record): filtered like
  // a search, so that neither reveals what the partner may not see. Other operations decide for
  // themselves.
  const bool counting = fr.interaction == Interaction::kOperation && fr.operation == "stratified-count";
  bool matching = fr.interaction == Interaction::kOperation &&
                  (fr.operation == "match" || fr.operation == "gpc.getstructuredrecord" || counting);
  if (fr.interaction == Interaction::kOperation && !matching) return core::Status::ok();
  PatientContext pc(*model_, *store_, *indexer_, &consent_cache_);
  Requester who = requester(ex);
  core::Status st = core::Status::ok();
  switch (fr.interaction) {
    case Interaction::kRead:
    case Interaction::kVread: st = filterRead(ex, who, pc); break;
    case Interaction::kCreate:
    case Interaction::kUpdate:
    case Interaction::kPatch:
    case Interaction::kDelete: break;  // decided before the write; the audit names what was written
    default: st = filterBundle(ex, who, pc); break;
  }
  // A count: what may be counted is counted, and only the counts leave.
  if (st.isOk() && counting && ex.response.resource) st = aggregate(ex, pc);
  if (!st.isOk()) {
    // Fail closed: whatever went wrong, nothing leaves.
    deny(ex, Decision{Decision::Effect::kDeny, "error", "", "", ""});
  }
  return core::Status::ok();
}

}  // namespace onedoor::stages::consent
