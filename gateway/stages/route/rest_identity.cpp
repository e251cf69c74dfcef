// Patient identity in the REST engine (docs/identity.md): Patient creates and upserts matched to
// the one Patient kept per person; POST Patient/$match; merges and unmerges (Patient/$merge,
// Patient/$unmerge for operators, and ADT A40 through a message), each in one write unit.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "fhir/codec.h"
#include "fhir/operation_outcome.h"
#include "stages/route/bundle_builder.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {
namespace {

constexpr const char* kIdentityLock = "identity:Patient";
constexpr const char* kMatchGrade = "http://hl7.org/fhir/StructureDefinition/match-grade";

std::string scoreText(double score) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", score);
  return buf;
}

bool sameIdentifier(const fhir::Node& a, const fhir::Node& b) {
  return a.childValue("system") == b.childValue("system") && a.childValue("value") == b.childValue("value");
}

bool hasIdentifier(const fhir::Node& patient, const fhir::Node& id) {
  for (const fhir::Node* mine : patient.childrenNamed("identifier")) {
    if (sameIdentifier(*mine, id)) return true;
  }
  return false;
}

// Points every reference to Patient/`from` at Patient/`to`; true if any changed.
bool repoint(fhir::Node& resource, const std::string& from, const std::string& to, const std::string& base) {
  bool changed = false;
  const std::string relative = "Patient/" + from, absolute = base + "/Patient/" + from;
  fhir::forEachReference(resource, [&](fhir::Node& ref) {
    if (ref.value == relative || ref.value == absolute) {
      ref.value = "Patient/" + to;
      changed = true;
    }
  });
  return changed;
}

void addLink(fhir::Node& patient, const std::string& other, const std::string& type) {
  fhir::Node* link = patient.add("link");
  link->add("other")->set("reference", "Patient/" + other);
  link->set("type", type);
}

void removeLink(fhir::Node& patient, const std::string& other, const std::string& type) {
  auto& cs = patient.children;
  cs.erase(std::remove_if(cs.begin(), cs.end(),
                          [&](const fhir::Node& c) {
                            if (c.name != "link" || c.childValue("type") != type) return false;
                            const fhir::Node* o = c.child("other");
                            return o != nullptr && o->childValue("reference") == "Patient/" + other;
                          }),
           cs.end());
}

// Patient.link is the server's (merges): `incoming` gets the kept record's links, whatever it said.
void keepLinks(const fhir::Node& kept, fhir::Node& incoming) {
  incoming.removeChildren("link");
  for (const fhir::Node* l : kept.childrenNamed("link")) {
    if (fhir::Node* n = incoming.add("link")) *n = *l;
  }
}

// The Patient a partner sends, absorbed into the one already kept for that person: the incoming
// details win where given, the kept ones fill the gaps; the kept identifiers stay (another
// partner's MRN), except a kept NHS number the incoming one replaces; links stay the server's.
fhir::Node absorb(const fhir::Node& kept, fhir::Node incoming, const std::string& strong_system) {
  std::set<std::string> given_names;
  for (const auto& c : incoming.children) given_names.insert(c.jsonName());
  for (const auto& c : kept.children) {
    const std::string name = c.jsonName();
    if (name == "id" || name == "meta" || name == "identifier" || name == "link") continue;
    if (given_names.count(name) > 0) continue;
    if (fhir::Node* n = incoming.add(name)) *n = c;
  }
  bool incoming_strong = false;
  for (const fhir::Node* id : incoming.childrenNamed("identifier")) incoming_strong |= id->childValue("system") == strong_system;
  for (const fhir::Node* id : kept.childrenNamed("identifier")) {
    if (hasIdentifier(incoming, *id)) continue;
    // The strong key is one per person: the incoming NHS number stands. A partner's local
    // system may hold several values: all kept.
    if (incoming_strong && id->childValue("system") == strong_system) continue;
    if (fhir::Node* n = incoming.add("identifier")) *n = *id;
  }
  keepLinks(kept, incoming);
  return incoming;
}

std::string movedJson(const std::vector<std::string>& moved, const std::vector<std::pair<std::string, std::string>>& ids) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("moved");
  w.StartArray();
  for (const auto& m : moved) w.String(m.c_str());
  w.EndArray();
  w.Key("identifiers");
  w.StartArray();
  for (const auto& [system, value] : ids) {
    w.StartArray();
    w.String(system.c_str());
    w.String(value.c_str());
    w.EndArray();
  }
  w.EndArray();
  w.EndObject();
  return sb.GetString();
}

}  // namespace

void RestEngine::canonicalNhsNumbers(fhir::Node& patient) const {
  // "943 476 5919" is kept as 9434765919, the form every partner searches by.
  for (auto& c : patient.children) {
    if (c.name != "identifier" || c.childValue("system") != strongSystem()) continue;
    if (fhir::Node* v = c.child("value"); v != nullptr && identity::validNhsNumber(v->value)) {
      v->value = identity::normaliseNhsNumber(v->value);
    }
  }
}

core::Status RestEngine::keepServerOwned(storage::WriteTx& tx, fhir::Node& resource, const std::string& id,
                                         fhir::Node* kept_out) const {
  if (resource.type == nullptr || resource.type->name != "Patient" || !identity_) return core::Status::ok();
  canonicalNhsNumbers(resource);
  GW_ASSIGN_OR_RETURN(auto current, tx.current("Patient", id));
  if (!current || current->deleted) {
    resource.removeChildren("link");
    return core::Status::ok();
  }
  GW_ASSIGN_OR_RETURN(fhir::Node kept, parseStored(*model_, current->json));
  // Identifiers of systems the update does not carry are other partners' (the cross-reference):
  // they stay. A partner's own system is its to change.
  std::set<std::string> systems;
  for (const fhir::Node* i : resource.childrenNamed("identifier")) systems.insert(std::string(i->childValue("system")));
  for (const fhir::Node* i : kept.childrenNamed("identifier")) {
    if (systems.count(std::string(i->childValue("system"))) > 0) continue;
    if (fhir::Node* n = resource.add("identifier")) *n = *i;
  }
  keepLinks(kept, resource);
  if (kept_out != nullptr) *kept_out = std::move(kept);
  return core::Status::ok();
}

core::Result<IdentityDecision> RestEngine::resolvePatient(storage::WriteTx& tx, const fhir::Node& patient) const {
  IdentityDecision d;
  if (!identity_) return d;
  GW_RETURN_IF_ERROR(tx.lock(kIdentityLock));
  identity::PatientFinder find = [&](const identity::SearchParams& params,
                                     std::size_t limit) -> core::Result<std::vector<storage::ResourceRecord>> {
    GW_ASSIGN_OR_RETURN(search::SearchQuery q, parseSearch("Patient", params, true));
    return tx.find(q, limit);
  };
  GW_ASSIGN_OR_RETURN(auto candidates, identity_->candidates(patient, find));
  // Two records that both score as the same person, without the strong key to tell them apart:
  // a person decides which (if either) it is.
  const bool ambiguous = identity::ambiguous(candidates);
  for (auto& c : candidates) {
    if (ambiguous) {
      c.comparison.reason = "more than one record matches: " + c.comparison.reason;
      d.review.push_back({c.record.id, c.comparison});
      continue;
    }
    if (identity::linksAutomatically(c.comparison.grade) && d.patient.empty()) {
      d.patient = c.record.id;
      d.comparison = c.comparison;
    } else {
      // A second strong match means two kept records for one person: a person decides.
      d.review.push_back({c.record.id, c.comparison});
    }
  }
  return d;
}

core::Result<WriteResult> RestEngine::writePatient(storage::WriteTx& tx, fhir::Node patient, const std::string& new_id,
                                                   const IdentityDecision& d) const {
  std::vector<std::pair<std::string, std::string>> identifiers;
  for (const fhir::Node* id : patient.childrenNamed("identifier")) {
    if (!id->childValue("system").empty() && !id->childValue("value").empty()) {
      identifiers.emplace_back(std::string(id->childValue("system")), std::string(id->childValue("value")));
    }
  }
  patient.removeChildren("link");  // links are the server's (merges)
  canonicalNhsNumbers(patient);
  std::int64_t now_ms = core::epochMillis(env_->now());
  WriteResult w;
  std::string grade = "new", reason = "no match", id = new_id;
  double score = 0;
  if (d.patient.empty()) {
    GW_ASSIGN_OR_RETURN(w, createRecord(tx, std::move(patient), new_id));
    for (const auto& r : d.review) {
      GW_RETURN_IF_ERROR(tx.sql().exec(
          "INSERT INTO identity_review (patient, candidate, score, reason, status, created_ms) VALUES (?, ?, ?, ?, 'open', ?) "
          "ON CONFLICT (patient, candidate) DO NOTHING",
          {new_id, r.patient, r.comparison.score, r.comparison.reason, now_ms}));
    }
  } else {
    id = d.patient;
    GW_ASSIGN_OR_RETURN(auto current, tx.current("Patient", id));
    if (!current || current->deleted) return core::internal("a matched Patient is gone");
    GW_ASSIGN_OR_RETURN(fhir::Node kept, parseStored(*model_, current->json));
    GW_ASSIGN_OR_RETURN(w, update(tx, absorb(kept, std::move(patient), strongSystem()), id, std::nullopt));
    w.status = 200;
    grade = identity::gradeCode(d.comparison.grade);
    reason = d.comparison.reason;
    score = d.comparison.score;
    w.identity = "linked; patient=Patient/" + id + "; grade=" + grade + "; score=" + scoreText(score) + "; reason=" + reason;
  }
  for (const auto& [system, value] : identifiers) {
    GW_RETURN_IF_ERROR(tx.sql().exec(
        "INSERT INTO identity_link (patient, system, value, grade, score, reason, linked_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {id, system, value, grade, score, reason, now_ms}));
  }
  return w;
}

core::Result<std::size_t> RestEngine::mergePatients(storage::WriteTx& tx, const std::string& source, const std::string& target,
                                       const std::string& by) const {
  if (source == target) return core::invalid("a Patient cannot be merged into itself");
  GW_RETURN_IF_ERROR(tx.lock(kIdentityLock));
  GW_ASSIGN_OR_RETURN(auto src_rec, tx.current("Patient", source));
  GW_ASSIGN_OR_RETURN(auto tgt_rec, tx.current("Patient", target));
  if (!src_rec || src_rec->deleted) return core::Status(core::Code::kNotFound, "Patient/" + source + " is not known");
  if (!tgt_rec || tgt_rec->deleted) return core::Status(core::Code::kNotFound, "Patient/" + target + " is not known");
  GW_ASSIGN_OR_RETURN(fhir::Node src, parseStored(*model_, src_rec->json));
  GW_ASSIGN_OR_RETURN(fhir::Node tgt, parseStored(*model_, tgt_rec->json));
  if (std::string to = identity::replacedBy(src); !to.empty()) {
    return core::Status(core::Code::kConflict, "Patient/" + source + " was merged into Patient/" + to + " already");
  }
  if (std::string to = identity::replacedBy(tgt); !to.empty()) {
    return core::Status(core::Code::kConflict, "Patient/" + target + " was merged into Patient/" + to +
                                                   "; merge into that one");
  }
  // The resources that point at the source (found by the search index; each checked when read).
  GW_ASSIGN_OR_RETURN(auto rows, tx.sql().query("SELECT DISTINCT c.rtype, c.rid FROM search_index i JOIN resource_current c "
                                                "ON c.res = i.res WHERE i.s1 = 'Patient' AND i.s2 = ? AND c.deleted = 0",
                                                {source}));
  std::vector<std::string> moved;
  for (const auto& row : rows) {
    std::string type = storage::asString(row[0]), id = storage::asString(row[1]);
    if (type == "Patient" && (id == source || id == target)) continue;
    GW_ASSIGN_OR_RETURN(auto rec, tx.current(type, id));
    if (!rec || rec->deleted) continue;
    GW_ASSIGN_OR_RETURN(fhir::Node r, parseStored(*model_, rec->json));
    if (!repoint(r, source, target, config_.base_url)) continue;
    GW_RETURN_IF_ERROR(update(tx, std::move(r), id, std::nullopt).status());
    moved.push_back(type + "/" + id);
  }
  // The target takes the source's identifiers, so that a partner's upsert by its own identifier
  // finds the one Patient; the unmerge takes them away again.
  std::vector<std::pair<std::string, std::string>> added;
  bool target_has_strong = false;
  for (const fhir::Node* id : tgt.childrenNamed("identifier")) target_has_strong |= id->childValue("system") == strongSystem();
  for (const fhir::Node* id : src.childrenNamed("identifier")) {
    if (hasIdentifier(tgt, *id)) continue;
    if (target_has_strong && id->childValue("system") == strongSystem()) continue;  // one NHS number per person
    if (fhir::Node* n = tgt.add("identifier")) {
      *n = *id;
      added.emplace_back(std::string(id->childValue("system")), std::string(id->childValue("value")));
    }
  }
  addLink(tgt, source, "replaces");
  GW_RETURN_IF_ERROR(update(tx, std::move(tgt), target, std::nullopt).status());
  src.set("active", "false");
  addLink(src, target, "replaced-by");
  GW_RETURN_IF_ERROR(update(tx, std::move(src), source, std::nullopt).status());
  std::int64_t now_ms = core::epochMillis(env_->now());
  GW_RETURN_IF_ERROR(tx.sql().exec("INSERT INTO identity_merge (source, target, moved, merged_by, merged_ms) VALUES (?, ?, ?, ?, ?)",
                                   {source, target, movedJson(moved, added), by, now_ms}));
  // The pair is decided: it leaves the review list.
  GW_RETURN_IF_ERROR(tx.sql().exec("UPDATE identity_review SET status = 'merged', resolved_ms = ?, resolved_by = ? WHERE status = 'open' AND "
                       "((patient = ? AND candidate = ?) OR (patient = ? AND candidate = ?))",
                       {now_ms, by, source, target, target, source}));
  return moved.size();
}

core::Status RestEngine::unmergePatient(storage::WriteTx& tx, const std::string& source) const {
  GW_RETURN_IF_ERROR(tx.lock(kIdentityLock));
  GW_ASSIGN_OR_RETURN(auto rows, tx.sql().query("SELECT seq, target, moved FROM identity_merge WHERE source = ? AND "
                                                "unmerged_ms IS NULL ORDER BY seq DESC LIMIT 1",
                                                {source}));
  if (rows.empty()) return core::Status(core::Code::kNotFound, "Patient/" + source + " has no merge to undo");
  std::int64_t seq = storage::asInt(rows[0][0]);
  std::string target = storage::asString(rows[0][1]);
  rapidjson::Document moved;
  moved.Parse(storage::asString(rows[0][2]).c_str());
  if (!moved.IsObject() || !moved["moved"].IsArray() || !moved["identifiers"].IsArray()) {
    return core::internal("the merge record of Patient/" + source + " does not parse");
  }
  for (const auto& m : moved["moved"].GetArray()) {
    std::string ref = m.GetString();
    auto slash = ref.find('/');
    std::string type = ref.substr(0, slash), id = ref.substr(slash + 1);
    GW_ASSIGN_OR_RETURN(auto rec, tx.current(type, id));
    if (!rec || rec->deleted) continue;
    GW_ASSIGN_OR_RETURN(fhir::Node r, parseStored(*model_, rec->json));
    if (!repoint(r, target, source, config_.base_url)) continue;
    GW_RETURN_IF_ERROR(update(tx, std::move(r), id, std::nullopt).status());
  }
  GW_ASSIGN_OR_RETURN(auto tgt_rec, tx.current("Patient", target));
  if (tgt_rec && !tgt_rec->deleted) {
    GW_ASSIGN_OR_RETURN(fhir::Node tgt, parseStored(*model_, tgt_rec->json));
    removeLink(tgt, source, "replaces");
    for (const auto& pair : moved["identifiers"].GetArray()) {
      std::string system = pair[0].GetString(), value = pair[1].GetString();
      auto& cs = tgt.children;
      cs.erase(std::remove_if(cs.begin(), cs.end(),
                              [&](const fhir::Node& c) {
                                return c.name == "identifier" && c.childValue("system") == system && c.childValue("value") == value;
                              }),
               cs.end());
    }
    GW_RETURN_IF_ERROR(update(tx, std::move(tgt), target, std::nullopt).status());
  }
  GW_ASSIGN_OR_RETURN(auto src_rec, tx.current("Patient", source));
  if (src_rec && !src_rec->deleted) {
    GW_ASSIGN_OR_RETURN(fhir::Node src, parseStored(*model_, src_rec->json));
    removeLink(src, target, "replaced-by");
    src.set("active", "true");
    GW_RETURN_IF_ERROR(update(tx, std::move(src), source, std::nullopt).status());
  }
  std::int64_t now_ms = core::epochMillis(env_->now());
  return tx.sql().exec("UPDATE identity_merge SET unmerged_ms = ? WHERE seq = ?", {now_ms, seq});
}

std::string RestEngine::strongSystem() const {
  return identity_ ? identity_->config().strong_identifier : std::string("https://fhir.nhs.uk/Id/nhs-number");
}

namespace {

// The value of parameter `name` of a Parameters resource (its value[x] or resource), or null.
const fhir::Node* parameter(const fhir::Node& params, const std::string& name, const char* child = "value") {
  for (const fhir::Node* p : params.childrenNamed("parameter")) {
    if (p->childValue("name") == name) return p->child(child);
  }
  return nullptr;
}

// "Patient/x" (or an absolute URL ending so) → "x"; "" otherwise.
std::string patientId(const fhir::Node* reference) {
  if (reference == nullptr) return "";
  std::string ref(reference->childValue("reference"));
  auto at = ref.rfind("Patient/");
  if (at == std::string::npos) return "";
  std::string id = ref.substr(at + 8);
  return id.find('/') == std::string::npos ? id : "";
}

}  // namespace

void RestEngine::matchOperation(core::Exchange& ex) const {
  if (!identity_) {
    return ex.fail(core::Status(core::Code::kNotImplemented, "patient matching is turned off (identity.enabled)"));
  }
  if (!ex.fhir.resource || ex.fhir.resource->type == nullptr) {
    return ex.fail(core::invalid("$match needs a Parameters body with a 'resource' (a Patient)"));
  }
  const fhir::Node& body = *ex.fhir.resource;
  const fhir::Node* patient = &body;
  bool only_certain = false;
  std::size_t count = 10;
  if (body.type->name == "Parameters") {
    patient = parameter(body, "resource", "resource");
    if (const fhir::Node* v = parameter(body, "onlyCertainMatches")) only_certain = v->value == "true";
    if (const fhir::Node* v = parameter(body, "count")) {
      int n = std::atoi(v->value.c_str());
      if (n < 1 || n > 100) return ex.fail(core::invalid("'count' must be between 1 and 100", "Parameters.parameter"));
      count = static_cast<std::size_t>(n);
    }
  }
  if (patient == nullptr || patient->type == nullptr || patient->type->name != "Patient") {
    return ex.fail(core::invalid("$match needs parameter 'resource' holding a Patient", "Parameters.parameter"));
  }
  auto candidates = identity_->candidates(*patient, identity::storeFinder(*store_, indexer_->registry(), *model_));
  if (!candidates.isOk()) return ex.fail(candidates.status());
  BundleBuilder bundle(*model_, "searchset");
  std::size_t n = 0;
  for (auto& c : *candidates) {
    if (only_certain && c.comparison.grade != identity::Grade::kCertain) continue;
    if (n++ == count) break;
    std::string url = config_.base_url + "/Patient/" + c.record.id;
    fhir::Node* search = bundle.entry(std::move(c.resource), url)->add("search");
    fhir::Node* ext = search->add("extension");
    ext->set("url", kMatchGrade);
    ext->set("valueCode", identity::gradeCode(c.comparison.grade));
    search->set("mode", "match");
    search->set("score", scoreText(c.comparison.score));
  }
  ex.response.status = 200;
  ex.response.resource = bundle.take();
}

void RestEngine::mergeOperation(core::Exchange& ex) const {
  const std::string& op = ex.fhir.operation;
  if (ex.principal.sector != "operator") {
    return ex.fail(core::Status(core::Code::kForbidden, "$" + op + " is open to operators only"));
  }
  if (!ex.fhir.resource || ex.fhir.resource->type == nullptr || ex.fhir.resource->type->name != "Parameters") {
    return ex.fail(core::invalid("$" + op + " needs a Parameters body"));
  }
  std::string source = patientId(parameter(*ex.fhir.resource, "source-patient"));
  std::string target = patientId(parameter(*ex.fhir.resource, "target-patient"));
  if (source.empty()) return ex.fail(core::invalid("parameter 'source-patient' must be a Reference to Patient/<id>"));
  if (op == "merge" && target.empty()) {
    return ex.fail(core::invalid("parameter 'target-patient' must be a Reference to Patient/<id>"));
  }
  std::size_t moved = 0;
  core::Status st = store_->write([&](storage::WriteTx& tx) -> core::Status {
    if (op == "unmerge") return unmergePatient(tx, source);
    GW_ASSIGN_OR_RETURN(moved, mergePatients(tx, source, target, ex.principal.partner));
    return core::Status::ok();
  });
  ex.audit.patients.push_back("Patient/" + source);
  if (!target.empty()) ex.audit.patients.push_back("Patient/" + target);
  if (!st.isOk()) return ex.fail(st);
  core::Issue info;
  info.severity = core::Severity::kInformation;
  info.code = "informational";
  info.message = op == "merge" ? "Patient/" + source + " merged into Patient/" + target + "; " + std::to_string(moved) +
                                     " resources now point at Patient/" + target
                               : "the merge of Patient/" + source + " is undone";
  ex.response.status = 200;
  ex.response.resource = fhir::operationOutcome(*model_, {info});
}

}  // namespace onedoor::stages::route
