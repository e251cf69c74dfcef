// $gpc.getstructuredrecord (scenario S10): a partner's clinician asks, through this gateway, for a
// patient's GP record. The gateway finds the patient it knows by NHS number (traced: verification
// status 01) and their registered practice, asks the practice through the Spine Secure Proxy
// (deliver/gp_connect.h), converts the STU3 answer to R4 with the configured map, points it at the
// gateway's own Patient, says what it left out and where the record came from (Provenance). The
// consent stage then decides each resource for the partner, and the audit stage records the query
// with the SSP's trace id.
#include <map>

#include "core/base64.h"
#include "fhir/codec.h"
#include "formats/any_format.h"
#include "stages/identity/demographics.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {
namespace {

constexpr const char* kOds = "https://fhir.nhs.uk/Id/ods-organization-code";
constexpr const char* kSdsUser = "https://fhir.nhs.uk/Id/sds-user-id";
constexpr const char* kSdsRole = "https://fhir.nhs.uk/Id/sds-role-profile-id";

core::Status badParameters(const std::string& why, const std::string& where = "Parameters") {
  return core::invalid(why, where);
}

// The requesting practitioner from NHSD-Requesting-Practitioner: a base64-encoded FHIR Practitioner
// with an SDS user id (as BaRS carries it).
core::Result<deliver::RequestingPractitioner> requestingPractitioner(const fhir::Model& model, const core::Exchange& ex) {
  const std::string why =
      "NHSD-Requesting-Practitioner must name the clinician asking: a base64-encoded FHIR Practitioner with an SDS user "
      "id (identifier system https://fhir.nhs.uk/Id/sds-user-id), as GP Connect records who asked";
  auto header = ex.request.headers.get("NHSD-Requesting-Practitioner");
  if (!header || header->empty() || header->size() > 16384) return core::invalid(why);
  auto json = core::fromBase64(*header);
  if (!json) return core::invalid(why + " (it is not base64)");
  auto read = fhir::readJson(model, *json);
  if (!read.ok()) return core::invalid(why + " (" + read.issues.front().message + ")");
  if (read.resource.type == nullptr || read.resource.type->name != "Practitioner") return core::invalid(why);
  deliver::RequestingPractitioner p;
  for (const fhir::Node* id : read.resource.childrenNamed("identifier")) {
    if (id->childValue("system") == kSdsUser) p.sds_user_id = id->childValue("value");
    if (id->childValue("system") == kSdsRole) p.sds_role_profile_id = id->childValue("value");
  }
  if (p.sds_user_id.empty()) return core::invalid(why);
  if (const fhir::Node* name = read.resource.child("name")) {
    p.family = name->childValue("family");
    if (const fhir::Node* given = name->child("given")) p.given = given->value;
  }
  return p;
}

bool traced(const fhir::Node& patient, const std::string& nhs_number) {
  for (const fhir::Node* id : patient.childrenNamed("identifier")) {
    if (id->childValue("system") == identity::kNhsNumberSystem && id->childValue("value") == nhs_number &&
        identity::verifiedNhsNumber(*id)) {
      return true;
    }
  }
  return false;
}

std::string practiceOf(const fhir::Node& patient) {
  for (const fhir::Node* gp : patient.childrenNamed("generalPractitioner")) {
    const fhir::Node* id = gp->child("identifier");
    if (id != nullptr && id->childValue("system") == kOds && !id->childValue("value").empty()) {
      return std::string(id->childValue("value"));
    }
  }
  return {};
}

// A short reason from a practice's (or the SSP's) OperationOutcome, if the answer is one.
std::string diagnosticsOf(const fhir::Model& model, const std::string& body) {
  auto read = fhir::readJson(model, body);
  if (!read.ok() || read.resource.type == nullptr || read.resource.type->name != "OperationOutcome") {
    return body.substr(0, 200);
  }
  std::string out;
  for (const fhir::Node* issue : read.resource.childrenNamed("issue")) {
    std::string text(issue->childValue("diagnostics"));
    if (text.empty()) {
      if (const fhir::Node* details = issue->child("details")) {
        for (const fhir::Node* c : details->childrenNamed("coding")) text = std::string(c->childValue("code"));
      }
    }
    if (!text.empty()) out += (out.empty() ? "" : "; ") + text;
  }
  return out;
}

}  // namespace

void RestEngine::gpConnectRecord(core::Exchange& ex) const {
  if (!gp_connect_ || !gp_map_) {
    ex.fail(core::Status(core::Code::kNotImplemented, "this gateway has no GP Connect configured (gp_connect)"));
    return;
  }
  if (ex.request.method != "POST" || ex.fhir.type != "Patient" || !ex.fhir.id.empty()) {
    ex.fail(core::invalid("$gpc.getstructuredrecord is POST [base]/Patient/$gpc.getstructuredrecord with a Parameters resource"));
    return;
  }
  if (!ex.fhir.resource || ex.fhir.resource->type == nullptr || ex.fhir.resource->type->name != "Parameters") {
    ex.fail(badParameters("$gpc.getstructuredrecord takes a Parameters resource (patientNHSNumber, includeAllergies, "
                          "includeMedication, includeProblems ...)"));
    return;
  }
  // GP Connect is for direct care only (the JWT says reason_for_request directcare).
  if (ex.principal.purpose != "TREAT") {
    ex.fail(core::Status(core::Code::kForbidden, "a GP record is shared for direct care only: the purpose of use must be TREAT"));
    return;
  }
  auto nhs = deliver::patientNhsNumber(*ex.fhir.resource);
  if (!nhs.isOk()) return ex.fail(nhs.status());
  auto practitioner = requestingPractitioner(*model_, ex);
  if (!practitioner.isOk()) return ex.fail(practitioner.status());
  ex.audit.practitioner = practitioner->sds_user_id;
  ex.audit.practitioner_name = practitioner->given.empty() ? practitioner->family : practitioner->given + " " + practitioner->family;
  // The patient as this gateway knows them.
  auto q = parseSearch("Patient", {{"identifier", std::string(identity::kNhsNumberSystem) + "|" + *nhs}}, false);
  if (!q.isOk()) return ex.fail(q.status());
  auto found = store_->search(*q);
  if (!found.isOk()) return ex.fail(found.status());
  if (found->matches.empty()) {
    ex.fail(core::Status(core::Code::kNotFound, "no Patient with NHS number " + *nhs +
                                                    " is known to this gateway: trace them (PDS) and record them first"));
    return;
  }
  if (found->matches.size() > 1) {
    ex.fail(core::Status(core::Code::kUnprocessable, "more than one Patient has NHS number " + *nhs +
                                                         ": merge them ($merge) before asking for their GP record"));
    return;
  }
  const storage::ResourceRecord& record = found->matches.front();
  const std::string local = "Patient/" + record.id;
  ex.audit.patients.push_back(local);
  auto patient = parseStored(*model_, record.json);
  if (!patient.isOk()) return ex.fail(patient.status());
  if (!traced(*patient, *nhs)) {
    ex.fail(core::Status(core::Code::kUnprocessable,
                         "NHS number " + *nhs + " of " + local + " has not been traced: GP Connect needs a verified NHS "
                         "number (the UK Core NHS number verification status 01, number present and verified)"));
    return;
  }
  const std::string ods = practiceOf(*patient);
  if (ods.empty()) {
    ex.fail(core::Status(core::Code::kUnprocessable, local + " has no registered GP practice (generalPractitioner with an ODS code)"));
    return;
  }
  const config::GpConnectPracticeConfig* practice = gp_practices_(ods);
  if (practice == nullptr) {
    ex.fail(core::Status(core::Code::kUnprocessable, "practice " + ods + " (" + local + "'s) is not in gp_connect.practices: "
                                                     "add its ASID and GP Connect FHIR base (from the Spine Directory Service)"));
    return;
  }
  deliver::GpcRequest request;
  request.practice = practice;
  request.parameters_json = fhir::writeJson(*ex.fhir.resource);
  request.practitioner = *practitioner;
  request.trace_id = env_->uuid();
  ex.audit.transactions.push_back({"Ssp-TraceID", request.trace_id});
  auto answer = gp_connect_->getStructuredRecord(request, core::epochMillis(env_->now()) / 1000);
  if (answer.status == 0) {
    ex.fail(core::Status(core::Code::kUnavailable, "the Spine Secure Proxy could not be reached: " + answer.error));
    return;
  }
  if (answer.status != 200) {
    ex.fail(core::Status(core::Code::kUpstream, "practice " + ods + " answered HTTP " + std::to_string(answer.status) +
                                                    " (Ssp-TraceID " + request.trace_id + "): " + diagnosticsOf(*model_, answer.body)));
    return;
  }
  auto source = formats::readAny(*model_, answer.body, "json");
  if (!source.isOk() || source->childValue("resourceType") != "Bundle") {
    ex.fail(core::Status(core::Code::kUpstream, "practice " + ods + "'s answer is not a FHIR Bundle" +
                                                    (source.isOk() ? std::string() : ": " + source.status().message())));
    return;
  }
  auto converted = gp_map_->transform(*source);
  if (!converted.isOk()) {
    ex.fail(core::Status(core::Code::kUpstream, "practice " + ods + "'s record could not be converted to R4: " +
                                                    converted.status().message()));
    return;
  }
  fhir::Node& bundle = *converted;
  // The practice's Patient is the person the gateway knows: references to it point at theirs.
  std::map<std::string, std::size_t> kinds;  // STU3 resource kinds, how many of each
  for (const fhir::Node* e : source->childrenNamed("entry")) {
    if (const fhir::Node* r = e->child("resource")) ++kinds[std::string(r->childValue("resourceType"))];
  }
  // Each entry gets a fullUrl and the references between them point at it (the practice's ids mean
  // nothing here); the practice's Patient is the person the gateway knows, at its own URL.
  std::vector<std::string> targets;
  std::map<std::string, std::string> repoint;  // the practice's Type/id -> the reference here
  for (fhir::Node& e : bundle.children) {
    fhir::Node* r = e.name == "entry" ? e.child("resource") : nullptr;
    if (r == nullptr || r->type == nullptr) continue;
    auto kind = kinds.find(r->type->name);
    if (kind != kinds.end() && kind->second > 0) --kind->second;
    const std::string theirs = r->type->name + "/" + std::string(r->childValue("id"));
    if (r->type->name == "Patient") {
      repoint[theirs] = local;
      r->set("id", record.id);
      e.set("fullUrl", config_.base_url + "/" + local);
    } else {
      if (e.childValue("fullUrl").empty()) e.set("fullUrl", "urn:uuid:" + env_->uuid());
      repoint[theirs] = std::string(e.childValue("fullUrl"));
    }
    targets.push_back(repoint[theirs]);
  }
  for (fhir::Node& e : bundle.children) {
    fhir::Node* r = e.name == "entry" ? e.child("resource") : nullptr;
    if (r == nullptr || r->type == nullptr) continue;
    fhir::forEachReference(*r, [&](fhir::Node& ref) {
      auto it = repoint.find(ref.value);
      if (it != repoint.end()) ref.value = it->second;
    });
  }
  const std::string now = core::formatInstant(env_->now());
  bundle.set("id", env_->uuid());
  bundle.set("timestamp", now);
  // Where it came from: a Provenance naming the practice and the conversion.
  fhir::Node prov = fhir::makeResource(*model_->resourceType("Provenance"));
  prov.set("id", env_->uuid());
  for (const auto& t : targets) prov.add("target")->set("reference", t);
  prov.set("recorded", now);
  if (fhir::Node* a = prov.add("activity")->add("coding")) {
    a->set("system", "http://hl7.org/fhir/w3c-provenance-activity-type");
    a->set("code", "Derivation");
  }
  if (fhir::Node* agent = prov.add("agent")) {
    if (fhir::Node* c = agent->add("type")->add("coding")) {
      c->set("system", "http://terminology.hl7.org/CodeSystem/provenance-participant-type");
      c->set("code", "assembler");
    }
    agent->add("who")->set("display", "OneDoor gateway: GP Connect structured record converted from STU3 to R4 by " +
                                          gp_map_url_);
  }
  if (fhir::Node* entity = prov.add("entity")) {
    entity->set("role", "source");
    fhir::Node* what = entity->add("what");
    if (fhir::Node* id = what->add("identifier")) {
      id->set("system", kOds);
      id->set("value", ods);
    }
    what->set("display", "GP Connect Access Record Structured from practice " + ods + " (Ssp-TraceID " + request.trace_id + ")");
  }
  const std::string prov_url = "urn:uuid:" + std::string(prov.childValue("id"));
  fhir::Node* prov_entry = bundle.add("entry");
  prov_entry->set("fullUrl", prov_url);
  prov_entry->addResource("resource", std::move(prov));
  // What the map has no rule for is said, not silently dropped.
  std::string left_out;
  for (const auto& [kind, n] : kinds) {
    if (n > 0) left_out += (left_out.empty() ? "" : ", ") + kind + " (" + std::to_string(n) + ")";
  }
  if (!left_out.empty()) {
    fhir::Node oo = fhir::makeResource(*model_->resourceType("OperationOutcome"));
    fhir::Node* issue = oo.add("issue");
    issue->set("severity", "warning");
    issue->set("code", "not-supported");
    issue->set("diagnostics", "the practice's record also held resources that were not converted to R4 (no rule in " +
                                  gp_map_url_ + "): " + left_out);
    fhir::Node* oo_entry = bundle.add("entry");
    oo_entry->set("fullUrl", "urn:uuid:" + env_->uuid());
    oo_entry->addResource("resource", std::move(oo));
  }
  ex.response.status = 200;
  ex.response.resource = std::move(bundle);
}

}  // namespace onedoor::stages::route
