#include "stages/audit/audit_event.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "core/base64.h"
#include "stages/identity/demographics.h"

namespace onedoor::stages::audit {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using core::Interaction;

constexpr const char* kDcm = "http://dicom.nema.org/resources/ontology/DCM";
constexpr const char* kPartnerSystem = "https://onedoor.dev/fhir/Id/partner";
constexpr const char* kOds = "https://fhir.nhs.uk/Id/ods-organization-code";

// Keys and values written straight from their characters (no std::string made for a literal).
void str(Writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.empty() ? "" : value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void coding(Writer& w, std::string_view system, std::string_view code, const char* display = nullptr) {
  w.StartObject();
  str(w, "system", system);
  str(w, "code", code);
  if (display != nullptr) str(w, "display", display);
  w.EndObject();
}

// An agent's "type": {"coding": [system|code]}.
void agentType(Writer& w, std::string_view system, std::string_view code, const char* display = nullptr) {
  w.Key("type");
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  coding(w, system, code, display);
  w.EndArray();
  w.EndObject();
}

// "identifier": {system, value}.
void identifier(Writer& w, std::string_view system, std::string_view value) {
  w.Key("identifier");
  w.StartObject();
  str(w, "system", system);
  str(w, "value", value);
  w.EndObject();
}

// `key`: [ {coding: [the purpose of use `code`]} ]: a v3 PurposeOfUse code (TREAT, ETREAT...), or
// a local one of the ICS policy (lower case: safeguarding).
void purposes(Writer& w, const char* key, const std::string& code) {
  const bool v3 = std::none_of(code.begin(), code.end(), [](unsigned char c) { return std::islower(c) != 0; });
  w.Key(key);
  w.StartArray();
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  coding(w, v3 ? "http://terminology.hl7.org/CodeSystem/v3-ActReason" : "https://onedoor.dev/fhir/CodeSystem/purpose-of-use",
         code);
  w.EndArray();
  w.EndObject();
  w.EndArray();
}

std::string outcomeOf(int status) { return status < 400 ? "0" : status < 500 ? "4" : "8"; }

// The first diagnostics of an OperationOutcome response, as the outcome's description. The
// gateway's messages name rules and elements, never patient values.
std::string outcomeDescription(const core::Exchange& ex) {
  if (ex.response.status < 400) return {};
  if (ex.response.resource && ex.response.resource->type != nullptr &&
      ex.response.resource->type->name == "OperationOutcome") {
    if (const fhir::Node* issue = ex.response.resource->child("issue")) {
      return std::string(issue->childValue("diagnostics"));
    }
  }
  if (ex.request.endpoint == "auth" && !ex.response.body.empty()) return ex.response.body;
  return "HTTP " + std::to_string(ex.response.status);
}

bool isSearch(Interaction i) {
  return i == Interaction::kSearchType || i == Interaction::kSearchSystem || i == Interaction::kSearchCompartment ||
         i == Interaction::kHistoryType || i == Interaction::kHistorySystem || i == Interaction::kHistoryInstance;
}

}  // namespace

std::string actionOf(Interaction i) {
  switch (i) {
    case Interaction::kCreate: return "C";
    case Interaction::kRead:
    case Interaction::kVread:
    case Interaction::kCapabilities: return "R";
    case Interaction::kUpdate:
    case Interaction::kPatch: return "U";
    case Interaction::kDelete: return "D";
    default: return "E";
  }
}

// A request refused before it was understood (no token, bad URL): its action from the method.
std::string actionOfMethod(const std::string& method) {
  if (method == "GET" || method == "HEAD") return "R";
  if (method == "POST") return "C";
  if (method == "PUT" || method == "PATCH") return "U";
  if (method == "DELETE") return "D";
  return "E";
}

AuditEventText auditEvent(const core::Exchange& ex, const std::string& id, const std::string& recorded,
                          std::int64_t recorded_ms, const std::string& observer) {
  const core::AuditTrail& a = ex.audit;
  const core::Principal& p = ex.principal;
  bool login = ex.request.endpoint == "auth";
  AuditEventText out;
  storage::AuditFacts& f = out.facts;
  f.recorded_ms = recorded_ms;
  f.partner = p.partner;
  f.action = login                                         ? "E"
             : ex.fhir.interaction == Interaction::kNone ? actionOfMethod(ex.request.method)
                                                         : actionOf(ex.fhir.interaction);
  f.outcome = outcomeOf(ex.response.status);
  f.purpose = p.purpose;
  f.break_glass = a.break_glass;
  f.patients = a.patients;

  rapidjson::StringBuffer sb(nullptr, 4096);  // an AuditEvent is about 2 KB: grown once at most
  Writer w(sb);
  w.StartObject();
  str(w, "resourceType", "AuditEvent");
  str(w, "id", id);
  w.Key("type");
  if (login) {
    coding(w, kDcm, "110114", "User Authentication");
  } else {
    coding(w, "http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation");
  }
  // The interaction (none when the request was refused before it was understood).
  if (login || ex.fhir.interaction != Interaction::kNone) {
    w.Key("subtype");
    w.StartArray();
    if (login) {
      coding(w, kDcm, "110122", "Login");
    } else {
      std::string code(core::interactionName(ex.fhir.interaction));
      if (code == "search-compartment") code = "search-type";
      coding(w, "http://hl7.org/fhir/restful-interaction", code);
      if (ex.fhir.interaction == Interaction::kOperation) coding(w, "urn:onedoor:operation", ex.fhir.operation);
    }
    w.EndArray();
  }
  str(w, "action", f.action);
  str(w, "recorded", recorded);
  str(w, "outcome", f.outcome);
  std::string desc = outcomeDescription(ex);
  if (!desc.empty()) str(w, "outcomeDesc", desc);
  if (!p.purpose.empty()) {
    purposes(w, "purposeOfEvent", p.purpose);
  }

  w.Key("agent");
  w.StartArray();
  // The requesting partner system (BALP client), with its purpose of use and token.
  w.StartObject();
  agentType(w, kDcm, "110153", "Source Role ID");
  w.Key("who");
  w.StartObject();
  identifier(w, kPartnerSystem, p.partner.empty() ? "unknown" : p.partner);
  w.EndObject();
  if (!p.certificate_subject.empty()) str(w, "altId", p.certificate_subject);
  w.Key("requestor");
  w.Bool(!p.actsForPatient());  // a patient-facing service acting for a person: they asked
  if (!p.token_id.empty()) {
    w.Key("policy");
    w.StartArray();
    std::string policy = "urn:ietf:params:oauth:jti:" + p.token_id;
    w.String(policy.c_str());
    w.EndArray();
  }
  w.Key("network");
  w.StartObject();
  std::string address = ex.request.remote_address.substr(0, ex.request.remote_address.rfind(':'));
  str(w, "address", address);
  str(w, "type", "2");
  w.EndObject();
  if (!p.purpose.empty()) {
    purposes(w, "purposeOfUse", p.purpose);
  }
  w.EndObject();
  // The partner's organisation.
  if (!p.ods.empty()) {
    w.StartObject();
    agentType(w, "http://terminology.hl7.org/CodeSystem/extra-security-role-type", "humanuser");
    w.Key("who");
    w.StartObject();
    identifier(w, kOds, p.ods);
    w.EndObject();
    w.Key("requestor");
    w.Bool(false);
    w.EndObject();
  }
  // The gateway (BALP server).
  w.StartObject();
  agentType(w, kDcm, "110152", "Destination Role ID");
  w.Key("who");
  w.StartObject();
  str(w, "display", observer);
  w.EndObject();
  w.Key("requestor");
  w.Bool(false);
  w.EndObject();
  // Whoever authorised the exchange (a safeguarding lead), named by the request, when its rule
  // needs one: last, so that the other agents keep their places.
  if (!a.authorised_by.empty()) {
    w.StartObject();
    agentType(w, "https://onedoor.dev/fhir/CodeSystem/audit-agent-role", "authoriser", "Authoriser");
    w.Key("who");
    w.StartObject();
    str(w, "display", a.authorised_by);
    w.EndObject();
    w.Key("requestor");
    w.Bool(false);
    w.EndObject();
  }
  // The clinician the partner's system says asked (a GP Connect request names them to the
  // practice): as the partner says, not authenticated here. Last, like the authoriser.
  if (!a.practitioner.empty()) {
    w.StartObject();
    agentType(w, "http://terminology.hl7.org/CodeSystem/v3-RoleClass", "PROV", "healthcare provider");
    w.Key("who");
    w.StartObject();
    identifier(w, "https://fhir.nhs.uk/Id/sds-user-id", a.practitioner);
    if (!a.practitioner_name.empty()) str(w, "display", a.practitioner_name);
    w.EndObject();
    w.Key("requestor");
    w.Bool(false);
    w.EndObject();
  }
  // The person signed in with NHS login for whom a patient-facing service acted (S2): the one who
  // asked. Last, like the authoriser.
  if (p.actsForPatient()) {
    w.StartObject();
    agentType(w, "http://terminology.hl7.org/CodeSystem/v3-RoleClass", "PAT", "patient");
    w.Key("who");
    w.StartObject();
    identifier(w, identity::kNhsNumberSystem, p.patient_nhs_number);
    str(w, "display", "signed in with NHS login (" + p.patient_proofing + ")");
    w.EndObject();
    if (!p.patient_subject.empty()) str(w, "altId", p.patient_subject);
    w.Key("requestor");
    w.Bool(true);
    w.EndObject();
  }
  w.EndArray();

  w.Key("source");
  w.StartObject();
  w.Key("observer");
  w.StartObject();
  str(w, "display", observer);
  w.EndObject();
  w.Key("type");
  w.StartArray();
  coding(w, "http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server");
  w.EndArray();
  w.EndObject();

  w.Key("entity");
  w.StartArray();
  // The transaction: its request id.
  w.StartObject();
  w.Key("what");
  w.StartObject();
  w.Key("identifier");
  w.StartObject();
  str(w, "value", ex.request_id);
  w.EndObject();
  w.EndObject();
  w.Key("type");
  coding(w, "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType", "XrequestId");
  w.EndObject();
  for (const auto& [name, value] : a.transactions) {
    f.entities.push_back(value);  // an auditor finds the exchange by the other system's id too
    w.StartObject();
    w.Key("what");
    w.StartObject();
    w.Key("identifier");
    w.StartObject();
    w.Key("type");
    w.StartObject();
    str(w, "text", name);
    w.EndObject();
    str(w, "value", value);
    w.EndObject();
    w.EndObject();
    w.Key("type");
    coding(w, "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType", "XrequestId");
    w.EndObject();
  }
  for (const auto& patient : a.patients) {
    w.StartObject();
    w.Key("what");
    w.StartObject();
    str(w, "reference", patient);
    w.EndObject();
    w.Key("type");
    coding(w, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person");
    w.Key("role");
    coding(w, "http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient");
    w.EndObject();
  }
  // What was disclosed or written; when nothing was (a request refused before anything was read),
  // what the request named, so that an auditor finds attempts on a resource as well as accesses.
  std::vector<core::AuditTrail::Entity> asked;
  if (a.entities.empty() && !ex.fhir.type.empty() && !ex.fhir.id.empty()) asked.push_back({ex.fhir.type + "/" + ex.fhir.id, {}});
  for (const auto& e : a.entities.empty() ? asked : a.entities) {
    f.entities.push_back(e.reference.substr(0, e.reference.find("/_history")));
    w.StartObject();
    w.Key("what");
    w.StartObject();
    str(w, "reference", e.reference);
    w.EndObject();
    w.Key("type");
    coding(w, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object");
    w.Key("role");
    coding(w, "http://terminology.hl7.org/CodeSystem/object-role", "4", "Domain Resource");
    if (!e.labels.empty()) {
      w.Key("securityLabel");
      w.StartArray();
      for (const auto& l : e.labels) {
        auto bar = l.find('|');
        std::string code = l.substr(bar == std::string::npos ? 0 : bar + 1);
        if (std::find(f.labels.begin(), f.labels.end(), code) == f.labels.end()) f.labels.push_back(code);
        std::string_view label(l);
        coding(w, bar == std::string::npos ? std::string_view() : label.substr(0, bar),
               label.substr(bar == std::string::npos ? 0 : bar + 1));
      }
      w.EndArray();
    }
    w.EndObject();
  }
  // A search: the query itself (base64, as BALP has it), never its results' content.
  if (isSearch(ex.fhir.interaction) || !a.audit_query.empty()) {
    std::string q = ex.request.method + " " + ex.request.path;
    std::string sep = "?";
    for (const auto& [k, v] : ex.request.query) {
      q += sep + k + "=" + v;
      sep = "&";
    }
    w.StartObject();
    w.Key("type");
    coding(w, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object");
    w.Key("role");
    coding(w, "http://terminology.hl7.org/CodeSystem/object-role", "24", "Query");
    str(w, "query", core::base64(q));
    w.EndObject();
  }
  // The consent decision.
  if (!a.decision.empty()) {
    w.StartObject();
    if (!a.consents.empty()) {
      w.Key("what");
      w.StartObject();
      str(w, "reference", a.consents.front());
      w.EndObject();
    }
    w.Key("type");
    coding(w, "https://onedoor.dev/fhir/CodeSystem/audit-entity", "consent-decision", "Consent decision");
    w.Key("detail");
    w.StartArray();
    auto detail = [&](const char* type, const std::string& value) {
      if (value.empty()) return;
      w.StartObject();
      str(w, "type", type);
      str(w, "valueString", value);
      w.EndObject();
    };
    detail("decision", a.decision);
    detail("rule", a.rule);
    detail("policy-version", a.policy_version);
    for (std::size_t i = 1; i < a.consents.size(); ++i) detail("consent", a.consents[i]);
    if (a.break_glass) {
      detail("break-glass", "true");
      detail("break-glass-reason", a.break_glass_reason);
    }
    if (!a.authorised_by.empty()) {
      detail("authorised-by", a.authorised_by);
      detail("justification", a.justification);
    }
    for (const auto& [type, value] : a.details) detail(type.c_str(), value);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out.json.assign(sb.GetString(), sb.GetSize());
  return out;
}

}  // namespace onedoor::stages::audit
