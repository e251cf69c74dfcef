#pragma once
// Exchange: everything one request/response passes through the pipeline with. Built by a
// transport (HTTP, MLLP) and handed to Pipeline::run; stages read and fill it. Owned by the
// transport's thread for the exchange's lifetime; not shared between threads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/issue.h"
#include "core/status.h"
#include "fhir/codec.h"
#include "fhir/node.h"

namespace onedoor::storage {
class WriteTx;
}

namespace onedoor::core {

// Header names keep their case; lookups are case-insensitive.
bool sameName(std::string_view a, std::string_view b);
class Headers {
 public:
  void add(std::string name, std::string value);
  void set(std::string name, std::string value);
  std::optional<std::string> get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Who is asking: set by the authenticate stage from a verified access token (and client
// certificate); empty for unauthenticated requests.
struct Principal {
  bool authenticated = false;
  std::string partner;   // partner id (client_id)
  std::string sector;    // gp | acute | mental-health | social-care | vcfse | auditor
  std::string ods;
  std::vector<std::string> scopes;    // granted scopes, from the token
  std::string purpose;                // the purpose of use of this request (v3 code)
  std::string token_id;               // jti of the access token
  std::string certificate_subject;    // of the TLS client certificate, if any
  // Acting for a person signed in with NHS login (a patient-facing partner passed their ID token):
  // their NHS number, identity proofing level (P9: the NHS number is verified) and NHS login sub.
  std::string patient_nhs_number;
  std::string patient_proofing;
  std::string patient_subject;
  bool actsForPatient() const { return !patient_nhs_number.empty(); }
};

// What the audit record of an exchange must say beyond the request and response: filled by the
// consent stage (decision, patients, disclosed resources), read by the audit stage.
struct AuditTrail {
  struct Entity {
    std::string reference;           // Patient/1, Observation/2/_history/3
    std::vector<std::string> labels;  // security labels (system|code)
  };
  std::vector<std::string> patients;  // Patient/<id> the exchange concerned
  std::vector<Entity> entities;       // resources disclosed or written
  std::string decision;               // permit | deny | redact ("" = not decided)
  std::string rule;                   // the policy rule that decided
  std::string policy_version;
  std::vector<std::string> consents;  // Consent/<id> that decided
  bool break_glass = false;
  std::string break_glass_reason;
  std::string authorised_by;          // who authorised the exchange, under a rule that needs it
  std::string practitioner;           // the clinician the partner's system says asked (SDS user id)
  std::string practitioner_name;
  std::string justification;          // and why
  std::string audit_query;            // an auditor's query of the audit log (itself audited)
  // Other systems' ids of this exchange (name, value), recorded as transactions beside the
  // request id: the Spine Secure Proxy's Ssp-TraceID of a GP Connect call.
  std::vector<std::pair<std::string, std::string>> transactions;
  // More of the decision, for the auditor (type, value): what an aggregate excluded and how it
  // was de-identified.
  std::vector<std::pair<std::string, std::string>> details;
};

struct Request {
  std::string method;  // GET, POST, PUT, PATCH, DELETE, HEAD
  std::string path;    // path below the FHIR base, percent-decoded per segment later: "/Patient/1"
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  Headers headers;
  std::string body;
  std::string remote_address;
  std::string transport = "http";
  std::string endpoint = "fhir";  // fhir | auth (the token endpoint)
  std::string client_certificate_subject;  // verified by TLS, when the client presented one

  // All values of a query parameter, in order.
  std::vector<std::string> params(std::string_view name) const;
  std::optional<std::string> param(std::string_view name) const;
  // The query without _format and _pretty: the criteria of a conditional update, patch or delete.
  std::vector<std::pair<std::string, std::string>> conditionParams() const;
};

// The FHIR RESTful interaction a request asks for (https://hl7.org/fhir/R4/http.html).
enum class Interaction : std::uint8_t {
  kNone,
  kCapabilities,
  kRead,
  kVread,
  kUpdate,
  kPatch,
  kDelete,
  kHistoryInstance,
  kHistoryType,
  kHistorySystem,
  kCreate,
  kSearchType,
  kSearchSystem,
  kSearchCompartment,
  kBatch,        // batch or transaction Bundle posted to the base
  kOperation,    // $name at system, type or instance level
};
std::string_view interactionName(Interaction i);  // "read", "search-type" ... (restful-interaction)

struct FhirRequest {
  Interaction interaction = Interaction::kNone;
  std::string type;       // resource type in the URL
  std::string id;
  std::string vid;
  std::string operation;  // without '$'
  std::string compartment_type;  // Patient/1/Observation -> "Observation"
  bool conditional = false;      // PUT/DELETE/PATCH with search parameters instead of an id
  fhir::Format request_format = fhir::Format::kJson;
  fhir::Format response_format = fhir::Format::kJson;
  bool pretty = false;
  std::string summary;                // _summary value, "" if absent
  std::vector<std::string> elements;  // _elements
  std::string prefer_return;          // minimal | representation | OperationOutcome
  bool lenient = false;               // Prefer: handling=lenient
  std::optional<fhir::Node> resource;  // the parsed body, if any

  // One of the operators' outbox operations at the base ($outbox, $outbox-replay,
  // $outbox-discard): no patient data asked for, gated by role in the route stage.
  bool isOutboxOperation() const {
    return interaction == Interaction::kOperation && type.empty() &&
           (operation == "outbox" || operation == "outbox-replay" || operation == "outbox-discard");
  }
  // An operation for operators only (the outbox's, Patient/$merge and Patient/$unmerge): gated by
  // role in the route stage rather than by a patient's consent.
  bool isOperatorOperation() const {
    return isOutboxOperation() ||
           (interaction == Interaction::kOperation && type == "Patient" && (operation == "merge" || operation == "unmerge"));
  }
};

struct Response {
  int status = 0;  // 0: not decided yet
  Headers headers;
  std::optional<fhir::Node> resource;  // written in the negotiated format
  std::string raw_json;   // a stored FHIR JSON body, sent as-is when JSON without filters is wanted
  std::string body;       // non-FHIR body (health, metrics, NDJSON) with its content_type
  std::string content_type;
};

// Who a Patient resource coming in stands for, looked up ahead of the write that keeps it.
struct IncomingPerson {
  std::string linked;             // Patient/<id> the write will link it to; "" when none
  // When none because two or more kept records score as the same person and only someone
  // looking can tell them apart (the write links neither): each of them, Patient/<id>.
  std::vector<std::string> tied;
};

class Exchange {
 public:
  explicit Exchange(const fhir::Model& model) : model_(&model) {}

  const fhir::Model& model() const { return *model_; }
  Request request;
  FhirRequest fhir;
  Response response;
  std::string request_id;
  // The client's X-Correlation-Id (BaRS: the conversation), when it gave a usable one; mirrored
  // back, and sent on with the deliveries of a message it sends.
  std::string correlation_id;
  Principal principal;  // set by the authenticate stage
  AuditTrail audit;     // filled on the way, written by the audit stage
  // What a transport keeps of the exchange in the same transaction as what the exchange writes,
  // before it (the MLLP listener's copy of an HL7 v2 message, kept with the FHIR message it was
  // mapped to): run inside the write of a $process-message (no other interaction runs it), on the
  // store's writer thread while this exchange's thread waits for the write. Not run when the
  // exchange writes nothing: whoever set it then keeps its record on its own.
  std::function<Status(storage::WriteTx&)> keep_with;
  // For a message Bundle: the person each entry's Patient resource stands for, by entry position
  // (empty for other entries), as the consent stage looked them up (identity::personOf) to decide
  // the sender's write; the plan of its deliveries uses the same, without looking again. Unset
  // when no stage looked.
  std::optional<std::vector<IncomingPerson>> entry_persons;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  Issues& issues() { return issues_; }
  const Issues& issues() const { return issues_; }
  // Sets the response to an OperationOutcome for `status` plus any collected issues.
  void fail(const Status& status);
  // Sets an OperationOutcome response with the collected issues and an HTTP status.
  void respondWithIssues(int http_status);

 private:
  const fhir::Model* model_;
  Issues issues_;
};

}  // namespace onedoor::core
