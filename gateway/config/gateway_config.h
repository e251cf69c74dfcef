#pragma once
// The gateway's typed configuration. Loaded once from a JSON file (see docs/configuration.md and
// config/onedoor.sample.json), checked with file:line:col diagnostics, then immutable and shared
// as std::shared_ptr<const GatewayConfig>. Every default lives here, next to its field.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/diagnostics.h"

namespace onedoor::config {

// TLS on the listener (OpenSSL through Poco NetSSL). With a certificate the gateway speaks HTTPS
// only; client certificates (mutual TLS) are checked against `client_ca` and mapped to partners.
struct TlsConfig {
  std::string certificate;               // PEM certificate (chain) of the gateway; "" = plain HTTP
  std::string private_key;               // PEM private key of that certificate
  std::string client_ca;                 // PEM CA bundle client certificates must chain to
  std::string client_certificates = "none";  // none | optional | required
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint32_t port = 8080;                         // 0 = any free port (tests)
  std::uint64_t max_body_bytes = 16ull * 1024 * 1024;  // larger bodies get 413
  std::uint32_t max_threads = 64;        // Poco holds a thread per keep-alive connection
  std::uint32_t max_queued = 256;        // connections waiting for a thread
  std::uint32_t keep_alive_timeout_ms = 2000;
  std::uint32_t receive_timeout_ms = 15000;
  std::string base_url;                  // public base of the FHIR API; default http://host:port/fhir
  bool allow_plain_http = true;          // only honoured when host is a loopback address
  TlsConfig tls;
};

struct StorageConfig {
  std::string driver = "sqlite";         // sqlite | postgresql
  std::string sqlite_path = "data/onedoor.db";  // relative to the config file's folder
  std::string postgres_url;              // libpq connection string
  std::uint32_t read_pool_size = 8;
  std::uint32_t max_batch = 256;         // writes grouped into one commit at most
};

struct DefinitionsConfig {
  std::string package_cache;             // default $FHIR_PACKAGE_CACHE or ~/.fhir/packages
  std::string cache_dir;                 // pre-parsed model cache; default ~/.cache/onedoor
  std::vector<std::string> packages;     // extra packages (name#version) to load
};

struct LimitsConfig {
  std::uint32_t max_depth = 100;         // JSON/XML nesting
  std::uint32_t max_count = 1000;        // largest _count served
  std::uint32_t default_count = 50;
  std::uint32_t max_bundle_entries = 5000;
};

// Validate-on-write for one resource type and/or partner (empty: any). The most specific rule
// that matches wins: type and partner, then partner, then type, then the default mode.
struct ValidationRule {
  std::string type;
  std::string partner;
  std::string mode = "warn";             // off | warn | enforce
  std::vector<std::string> profiles;     // required profiles (canonical URLs) besides meta.profile
};

struct ValidationConfig {
  // Folders (their top-level *.json / *.xml files) and files of StructureDefinitions, ValueSets,
  // CodeSystems loaded on top of the packages; relative to the config file.
  std::vector<std::string> profiles;
  std::string on_write = "off";          // default mode: off | warn | enforce
  std::vector<ValidationRule> rules;
  bool unknown_extension_is_error = false;  // "unknown_extensions": "warning" | "error"
};

// A key a partner signs its client assertions with (SMART Backend Services).
struct PartnerKey {
  std::string kid;
  std::string alg;         // RS384 | ES384 (RS512 for NHS login): the only algorithm this key is accepted with
  std::string public_key;  // PEM file
};

// How the gateway delivers messages to a partner (issue 7): the transport, where, in which
// format, and how hard it tries. A partner without a transport receives nothing.
struct DeliveryConfig {
  std::string transport;                   // "" (none) | fhir-message | fhir-rest | mllp | http
  std::string endpoint;                    // http(s):// URL; host:port for mllp
  std::string map;                         // outbound map into the partner's format ("" = FHIR JSON)
  std::string content_type;                // http: the Content-Type sent (default from the map's format)
  std::uint32_t timeout_ms = 10000;        // connect + answer
  std::uint32_t max_attempts = 10;         // then the message is a dead letter
  std::uint32_t backoff_initial_ms = 1000; // doubled per attempt, with jitter, up to backoff_max_ms
  std::uint32_t backoff_max_ms = 300000;
  std::uint32_t breaker_failures = 5;      // consecutive failures that open the circuit ...
  std::uint32_t breaker_open_ms = 30000;   // ... for this long, then one delivery tries it
};

// A partner system of the ICS: who it is, what it may claim and do, how it proves it.
struct PartnerConfig {
  std::string id;                        // client_id: iss and sub of its assertions
  std::string name;
  std::string ods;                       // ODS organisation code
  std::string sector;                    // gp | acute | mental-health | social-care | vcfse | auditor | operator
  std::vector<std::string> purposes;     // purposes of use it may claim (v3 PurposeOfUse codes)
  std::vector<std::string> scopes;       // system/<Type>.<rs|cruds|read|write> it may be granted
  std::vector<PartnerKey> keys;
  std::string certificate_subject;       // mTLS: the client certificate subject mapped to it
  std::string development_key;           // PEM private key `onedoor token` signs with (dev only)
  // A patient-facing service (a self-referral form): it may act for a person signed in with NHS
  // login, passing their ID token in NHSD-User-Identity (docs/security.md).
  bool patient_facing = false;
  DeliveryConfig delivery;
};

// Which messages go to which partners. A message matches when its MessageHeader event is `event`
// (a code, or system|code) and `when` (FHIRPath on the message Bundle) is true; it then goes to
// the partners `to` names and to those whose ODS code `to_ods` (FHIRPath on the Bundle) gives,
// such as the patient's registered practice. The sender never receives its own message.
struct RouteConfig {
  std::string name;
  std::string event;
  std::string when;
  std::vector<std::string> to;
  std::string to_ods;
  // A search of the store, `{patient}` standing for each patient the message is about
  // ("EpisodeOfCare?status=active&patient={patient}"): the partners whose ODS code `to_search_ods`
  // (FHIRPath on each match) gives receive the message.
  std::string to_search;
  std::string to_search_ods = "managingOrganization.identifier.value";
  std::string at;  // file:line:col of the route, for errors
};

// The delivery workers.
struct DeliveryWorkersConfig {
  std::uint32_t workers = 2;            // threads delivering
  std::uint32_t poll_ms = 200;          // how often the outbox is looked at when idle
  std::uint32_t lease_ms = 120000;      // a claimed message is another worker's after this
  // Gateways sharing a database say they are alive this often; one silent for five heartbeats is
  // taken to be gone, and the messages it had leased go to the others at once.
  std::uint32_t heartbeat_ms = 2000;
};

// An MLLP listener for one partner's HL7 v2 feed: messages are kept as received (durably) before
// they are acknowledged, and checked with the partner's map when one is given.
struct MllpConfig {
  std::string host = "127.0.0.1";
  std::uint32_t port = 2575;               // 0 = any free port (tests)
  std::string partner;                     // the partner whose feed this is
  std::string map;                         // an FML map the messages must map through ("" = none)
  std::uint64_t max_message_bytes = 1024 * 1024;
};

// A partner's own format posted to the FHIR API: a body of `content_type` from `partner` is read
// as `format` and mapped with `map` into a batch or transaction Bundle, which then goes through
// validation, consent, storage and audit like any FHIR request.
struct InboundConfig {
  std::string partner;
  std::string content_type;  // text/csv, x-application/hl7-v2+er7, application/vnd.example+json ...
  std::string format;        // hl7v2 | csv | json | xml
  std::string map;
};

struct AuthConfig {
  bool required = true;                  // every /fhir request needs a bearer token
  std::string signing_key;               // the gateway's EC P-384 private key (PEM): tokens, audit checkpoints
  std::string issuer;                    // iss of access tokens; default the FHIR base URL
  std::string token_url;                 // aud of client assertions; default {base without /fhir}/auth/token
  std::uint32_t token_ttl_s = 300;       // access token lifetime
  std::uint32_t max_assertion_s = 300;   // longest client assertion lifetime accepted
  std::uint32_t clock_skew_s = 30;
};

// NHS login (scenario S2): the ID tokens patient-facing partners pass on are checked against these.
struct NhsLoginConfig {
  std::string issuer;              // iss of its ID tokens; empty: NHS login is off
  std::string client_id;           // their aud: the patient-facing service's NHS login client id
  std::vector<PartnerKey> keys;    // its signing keys (kid, alg RS512, public key PEM)
};

struct ConsentConfig {
  std::string policy;                    // the ICS policy file (JSON); "" = built-in deny-all
};

// Patient identity (docs/identity.md): how a Patient arriving from a partner is matched to the
// one Patient the gateway keeps for that person.
struct IdentityRuleConfig {
  std::string name;
  std::vector<std::string> fields;  // all must agree exactly (after normalisation): a certain match
};
struct IdentityConfig {
  bool enabled = true;
  std::string strong_identifier = "https://fhir.nhs.uk/Id/nhs-number";  // the strong key (check digit)
  std::vector<IdentityRuleConfig> deterministic;                          // default: name, birth date, postcode
  // Weight of each field in the probabilistic score (family, given, birthDate, gender, postcode,
  // phone); the score is the weighted agreement over the fields both records have, 0..1.
  std::vector<std::pair<std::string, double>> weights;
  double auto_link = 0.9;   // at or above: the same person, linked without a person
  double review = 0.7;      // at or above (below auto_link): a new record, listed for review
  std::uint32_t max_candidates = 200;  // candidates scored per search block (identity/resolver.h)
};

struct AuditConfig {
  std::string sqlite_path = "data/audit.db";  // the append-only audit store, separate from clinical data
  std::uint32_t checkpoint_every = 1000;      // sign the chain head every N records (and at stop)
  std::uint32_t max_batch = 256;              // audit records grouped into one commit at most
};

// GP Connect (scenario S10): this gateway as a consumer of GP practices' Access Record Structured
// ($gpc.getstructuredrecord), through the Spine Secure Proxy, with mutual TLS (docs/gp-connect.md).
struct GpConnectPracticeConfig {
  std::string ods;        // the practice's ODS code, as Patient.generalPractitioner names it
  std::string asid;       // its ASID (Ssp-To), as the Spine Directory Service gives it
  std::string fhir_base;  // its GP Connect FHIR base URL (https)
};

struct GpConnectConfig {
  std::string ssp;                // the SSP's https base URL; empty: GP Connect is off
  std::string asid;               // this gateway's ASID (Ssp-From)
  std::string ods;                // this organisation's ODS code (the JWT's requesting_organization)
  std::string organization_name;  // its name, for the same
  std::string certificate;        // client certificate (PEM) the SSP checks
  std::string private_key;        // its key
  std::string ca_file;            // the CAs the SSP's certificate is checked against
  std::string map;                // the STU3 record to R4 (FML)
  std::uint32_t timeout_ms = 10000;
  std::vector<GpConnectPracticeConfig> practices;
  const GpConnectPracticeConfig* practice(std::string_view ods_code) const;
};

struct GatewayConfig {
  std::string source;                    // the file it came from ("" for defaults)
  std::string base_dir;                  // folder relative paths are resolved against
  ServerConfig server;
  StorageConfig storage;
  DefinitionsConfig definitions;
  LimitsConfig limits;
  ValidationConfig validation;
  std::vector<PartnerConfig> partners;
  std::vector<MllpConfig> mllp;
  std::vector<InboundConfig> inbound;
  std::vector<RouteConfig> routes;
  DeliveryWorkersConfig delivery;
  AuthConfig auth;
  NhsLoginConfig nhs_login;
  ConsentConfig consent;
  AuditConfig audit;
  IdentityConfig identity;
  GpConnectConfig gp_connect;

  const PartnerConfig* partner(std::string_view id) const;

  std::string resolvePath(const std::string& p) const;
  std::string baseUrl() const;           // server.base_url or http://host:port/fhir
};

using GatewayConfigPtr = std::shared_ptr<const GatewayConfig>;

// Loads and checks `path`. Returns null with every problem in `diags` when the file is unusable.
GatewayConfigPtr loadGatewayConfig(const std::string& path, Diagnostics& diags);
GatewayConfigPtr parseGatewayConfig(const std::string& name, const std::string& text,
                                    Diagnostics& diags);

}  // namespace onedoor::config
