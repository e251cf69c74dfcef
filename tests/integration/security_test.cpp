// Who may see what, end to end over real HTTPS with real tokens: a gateway listening with TLS
// (certificates from a CA made for the run, client certificates optional and mapped to partners),
// the sample ICS policy (config/policy.sample.json) and the sample partners' sectors. Covers
// token forgery, expiry, replay, audiences, unknown clients and certificates, purposes and
// scopes, then scenarios S1, S2, S4 to S8 and S11 of ../shared/DOMAIN.md and the audit log's tamper check.
#include <Poco/Net/NetException.h>
#include <Poco/JWT/Signer.h>
#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

#include "fhir/codec.h"
#include "fhir/node.h"
#include "stages/authenticate/keys.h"
#include "stages/authenticate/token_service.h"
#include "support/http_client.h"
#include "support/test_pki.h"
#include "support/test_support.h"

using namespace onedoor;
using testing::created;
using testing::json;
using testing::ClientTls;
using testing::HttpClient;
using testing::HttpResponse;
using testing::TestPartner;

namespace {

constexpr const char* kAcuteSubject = "/O=General Hospital NHS Trust/CN=acute-general";

// The HTTPS gateway shared by every test here, with the sample sectors and policy.
struct Ics {
  testing::TempDir pki_dir;
  testing::TestPki pki{pki_dir.path(), "ics-test-ca"};
  testing::TestPki rogue{pki_dir.path() / "rogue", "rogue-ca"};
  testing::PemPair server = pki.server("gateway");
  std::unique_ptr<testing::TestGateway> gw;

  Ics() {
    std::string tls = R"("tls": {"certificate": ")" + server.certificate + R"(", "private_key": ")" +
                      server.private_key + R"(", "client_ca": ")" + pki.caFile() +
                      R"(", "client_certificates": "optional"})";
    std::vector<TestPartner> partners = {
        {"gp-riverside", "gp", {"TREAT", "HOPERAT", "safeguarding"}, {"system/*.cruds"}, "Y12345", "", ""},
        {"mh-spa", "mental-health", {"TREAT", "safeguarding"}, {"system/*.cruds"}, "RX4", "", ""},
        {"crisis-team", "mental-health", {"TREAT", "ETREAT", "safeguarding"}, {"system/*.rs"}, "RX4", "", ""},
        {"council-adults", "social-care", {"TREAT", "safeguarding"}, {"system/*.rs"}, "LA123", "", ""},
        {"council-safeguarding", "social-care", {"TREAT", "safeguarding"}, {"system/*.cruds"}, "LA123", "", ""},
        {"vcfse-befriending", "vcfse", {"TREAT"},
         {"system/Patient.rs", "system/ServiceRequest.rs", "system/Task.cruds"}, "VCF01", "", ""},
        {"ics-auditor", "auditor", {"HOPERAT"}, {"system/AuditEvent.rs"}, "ICS01", "", ""},
        {"acute-general", "acute", {"TREAT"}, {"system/*.cruds"}, "RX1", kAcuteSubject, ""},
    };
    gw = std::make_unique<testing::TestGateway>(tls, "", partners, nullptr,
                                                testing::readFile(ONEDOOR_SOURCE_DIR "/config/policy.sample.json"));
    gw->useTls(ClientTls{pki.caFile(), "", ""});
  }

  HttpClient as(const std::string& partner, const std::string& purpose = "") {
    return gw->client(gw->token(partner, "", purpose));
  }
  ClientTls tls(const testing::PemPair& client = {}) const {
    return ClientTls{pki.caFile(), client.certificate, client.private_key};
  }
  HttpResponse postToken(const std::string& assertion, const std::string& extra = "") {
    return gw->client().request("POST", "/auth/token",
                                "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3A"
                                "client-assertion-type%3Ajwt-bearer&client_assertion=" + assertion + extra,
                                {{"Content-Type", "application/x-www-form-urlencoded"}});
  }
};

Ics& ics() {
  static Ics instance;
  return instance;
}

std::size_t entries(const HttpResponse& r) {
  auto d = json(r);
  if (!d.IsObject() || !d.HasMember("entry")) return 0;
  return d["entry"].Size();
}

bool hasLabel(const rapidjson::Value& resource, const std::string& code) {
  if (!resource.HasMember("meta") || !resource["meta"].HasMember("security")) return false;
  for (const auto& s : resource["meta"]["security"].GetArray()) {
    if (s["code"].GetString() == code) return true;
  }
  return false;
}

std::string patientJson(const std::string& nhs) {
  return R"({"resourceType": "Patient", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": ")" + nhs +
         R"("}], "name": [{"family": "Sheikh", "given": ["Amira"]}], "telecom": [{"system": "phone", "value": "07700 900123"}],
         "gender": "female", "birthDate": "1990-04-02", "maritalStatus": {"text": "Married"},
         "generalPractitioner": [{"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"}}]})";
}

std::string odsActor(const std::string& ods) {
  return R"({"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
             "reference": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": ")" + ods + "\"}}}";
}

std::string consentJson(const std::string& patient, const std::string& provision, const std::string& status = "active") {
  return R"({"resourceType": "Consent", "status": ")" + status + R"(",
    "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
    "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
    "patient": {"reference": "Patient/)" + patient + R"("}, "dateTime": "2026-11-01",
    "provision": )" + provision + "}";
}

std::string todayGe() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - std::chrono::hours(24));
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&t));
  return std::string("ge") + buf;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Authentication)

BOOST_AUTO_TEST_CASE(the_listener_speaks_only_tls_and_the_api_needs_a_token) {
  Ics& s = ics();
  BOOST_CHECK_THROW(HttpClient(s.gw->port()).get("/fhir/metadata"), Poco::Exception);
  auto anon = s.gw->client();
  BOOST_CHECK_EQUAL(anon.get("/fhir/metadata").status, 200);
  BOOST_CHECK_EQUAL(anon.get("/fhir/.well-known/smart-configuration").status, 200);
  auto r = anon.get("/fhir/Patient");
  BOOST_CHECK_EQUAL(r.status, 401);
  BOOST_CHECK(r.header("WWW-Authenticate").find("Bearer") == 0);
  BOOST_CHECK(r.body.find("OperationOutcome") != std::string::npos);
  BOOST_CHECK_EQUAL(anon.get("/fhir/Patient", {{"Authorization", "Basic Z3A6cGFzcw=="}}).status, 401);
  BOOST_CHECK_EQUAL(s.as("gp-riverside").get("/fhir/Patient").status, 200);
}

BOOST_AUTO_TEST_CASE(forged_tokens_are_refused) {
  Ics& s = ics();
  std::string token = s.gw->token("council-adults");
  // The payload changed to another partner, signature kept.
  auto dot1 = token.find('.'), dot2 = token.rfind('.');
  Poco::JWT::Token t(token);
  t.setSubject("gp-riverside");
  t.payload().set("scope", std::string("system/*.cruds"));
  auto self_signed = stages::authenticate::JwtKey::load("ES384", (s.gw->dir() / "keys/council-adults.key.pem").string(), true);
  BOOST_REQUIRE(self_signed.isOk());
  // Signed by the partner itself instead of the gateway.
  std::string minted = (*self_signed)->sign(t);
  auto c = s.gw->client(minted);
  BOOST_CHECK_EQUAL(c.request("POST", "/fhir/Patient", patientJson("9000000009"),
                              {{"Content-Type", "application/fhir+json"}}).status, 401);
  // A signature from one token on another's claims.
  std::string spliced = minted.substr(0, minted.rfind('.')) + token.substr(dot2);
  BOOST_CHECK_EQUAL(s.gw->client(spliced).get("/fhir/Patient").status, 401);
  // "alg": "none".
  BOOST_CHECK_EQUAL(s.gw->client("eyJhbGciOiJub25lIn0" + token.substr(dot1, dot2 - dot1) + ".").get("/fhir/Patient").status, 401);
  BOOST_CHECK_EQUAL(s.gw->client("garbage").get("/fhir/Patient").status, 401);
}

BOOST_AUTO_TEST_CASE(client_assertions_are_checked) {
  Ics& s = ics();
  auto refused = [&](const HttpResponse& r, const std::string& why) {
    BOOST_CHECK_MESSAGE(r.status == 401 || r.status == 400, why + ": got " + std::to_string(r.status));
    BOOST_CHECK_MESSAGE(r.body.find("access_token") == std::string::npos, why + ": a token was issued");
    BOOST_TEST_MESSAGE(why + ": " + r.body);
  };
  // Expired, and too long-lived.
  refused(s.postToken(s.gw->assertion("gp-riverside", "", -120)), "expired assertion");
  refused(s.postToken(s.gw->assertion("gp-riverside", "", 3600)), "assertion living an hour");
  // Replayed.
  std::string once = s.gw->assertion("gp-riverside", "jti-replay-1");
  BOOST_CHECK_EQUAL(s.postToken(once).status, 200);
  auto replay = s.postToken(once);
  refused(replay, "replayed jti");
  BOOST_CHECK(replay.body.find("replay") != std::string::npos);
  // Wrong audience: another server's token URL, and this gateway's FHIR base.
  refused(s.postToken(s.gw->assertion("gp-riverside", "", 240, "https://elsewhere.example/auth/token")), "other audience");
  refused(s.postToken(s.gw->assertion("gp-riverside", "", 240, s.gw->base())), "FHIR base as audience");
  // An unknown client with a key of its own.
  auto stranger_key = stages::authenticate::JwtKey::generateEc();
  config::PartnerConfig stranger;
  stranger.id = "stranger";
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto a = stages::authenticate::TokenService::clientAssertion(stranger, **stranger_key, s.gw->tokenUrl(), now, "jti-s1");
  refused(s.postToken(*a), "unknown client");
  // A registered client id signed with another key.
  config::PartnerConfig impostor;
  impostor.id = "gp-riverside";
  auto b = stages::authenticate::TokenService::clientAssertion(impostor, **stranger_key, s.gw->tokenUrl(), now, "jti-s2");
  refused(s.postToken(*b), "registered id, wrong key");
  // Algorithm confusion: HS256 keyed with the partner's public key text.
  Poco::JWT::Token hs;
  hs.setIssuer("gp-riverside");
  hs.setSubject("gp-riverside");
  hs.setAudience(s.gw->tokenUrl());
  hs.setId("jti-hs");
  hs.setExpiration(Poco::Timestamp() + Poco::Timespan(120, 0));
  Poco::JWT::Signer hmac(testing::readFile(s.gw->dir() / "keys/gp-riverside.pub.pem"));
  refused(s.postToken(hmac.sign(hs, Poco::JWT::Signer::ALGO_HS256)), "HS256 with the public key");
  // Scopes beyond the partner's, and purposes it may not claim.
  refused(s.postToken(s.gw->assertion("council-adults"), "&scope=system%2FPatient.write"), "scope beyond the partner's");
  refused(s.postToken(s.gw->assertion("council-adults"), "&purpose_of_use=HRESCH"), "purpose the partner may not claim");
  refused(s.postToken("not-a-jwt"), "not a JWT");
}

BOOST_AUTO_TEST_CASE(scopes_and_purposes_limit_each_request) {
  Ics& s = ics();
  auto social = s.as("council-adults");
  auto w = social.request("POST", "/fhir/Patient", patientJson("9000000017"), {{"Content-Type", "application/fhir+json"}});
  BOOST_CHECK_EQUAL(w.status, 403);
  BOOST_CHECK(w.body.find("scopes") != std::string::npos);
  auto vcfse = s.as("vcfse-befriending");
  BOOST_CHECK_EQUAL(vcfse.get("/fhir/Observation").status, 403);
  // A purpose the partner may not claim, per request.
  BOOST_CHECK_EQUAL(s.as("gp-riverside").get("/fhir/Patient", {{"X-Purpose-Of-Use", "ETREAT"}}).status, 403);
  BOOST_CHECK_EQUAL(s.as("gp-riverside").get("/fhir/Patient", {{"X-Purpose-Of-Use", "HOPERAT"}}).status, 200);
  // The token's own narrower scope.
  auto narrow = s.gw->client(s.gw->token("gp-riverside", "system/Patient.rs"));
  BOOST_CHECK_EQUAL(narrow.get("/fhir/Patient").status, 200);
  BOOST_CHECK_EQUAL(narrow.get("/fhir/Observation").status, 403);
  // The auditor's token reads nothing clinical.
  BOOST_CHECK_EQUAL(s.as("ics-auditor").get("/fhir/Patient").status, 403);
}

BOOST_AUTO_TEST_CASE(client_certificates_are_mapped_to_partners) {
  Ics& s = ics();
  auto acute_cert = s.pki.client("acute-client", "acute-general", "General Hospital NHS Trust");
  auto unmapped = s.pki.client("unmapped-client", "somebody", "Somewhere");
  auto rogue = s.rogue.client("rogue-client", "acute-general", "General Hospital NHS Trust");
  std::string acute_token = s.gw->token("acute-general");
  std::string gp_token = s.gw->token("gp-riverside");
  auto mapped = HttpClient(s.gw->port(), acute_token, s.tls(acute_cert)).get("/fhir/Patient");
  BOOST_CHECK_MESSAGE(mapped.status == 200, mapped.body);
  // The certificate says acute-general, the token another partner.
  BOOST_CHECK_EQUAL(HttpClient(s.gw->port(), gp_token, s.tls(acute_cert)).get("/fhir/Patient").status, 401);
  // A certificate from the trusted CA that belongs to no partner.
  BOOST_CHECK_EQUAL(HttpClient(s.gw->port(), acute_token, s.tls(unmapped)).get("/fhir/Patient").status, 401);
  // A certificate from another CA: the handshake fails.
  BOOST_CHECK_THROW(HttpClient(s.gw->port(), acute_token, s.tls(rogue)).get("/fhir/Patient"), Poco::Exception);
  // A client that does not trust the gateway's CA refuses to talk to it.
  ClientTls wrong_ca{s.rogue.caFile(), "", ""};
  BOOST_CHECK_THROW(HttpClient(s.gw->port(), acute_token, wrong_ca).get("/fhir/metadata"), Poco::Exception);
}

// client_certificates "required": a partner's certificate is checked against the partners' CA and
// mapped to the partner, not matched with the address it connects from (a system's certificate
// names the system, not its IP address); a client without one is refused at the handshake.
BOOST_AUTO_TEST_CASE(required_client_certificates_are_checked_against_the_ca_not_the_address) {
  Ics& s = ics();
  std::string tls = R"("tls": {"certificate": ")" + s.server.certificate + R"(", "private_key": ")" +
                    s.server.private_key + R"(", "client_ca": ")" + s.pki.caFile() + R"(", "client_certificates": "required"})";
  testing::TestGateway gw(tls, "", {{"acute-general", "acute", {"TREAT"}, {"system/*.cruds"}, "RX1", kAcuteSubject, ""}});
  auto acute_cert = s.pki.client("acute-required", "acute-general", "General Hospital NHS Trust");
  ClientTls with_cert{s.pki.caFile(), acute_cert.certificate, acute_cert.private_key};
  gw.useTls(with_cert);
  std::string token = gw.token("acute-general");
  auto mapped = HttpClient(gw.port(), token, with_cert).get("/fhir/Patient");
  BOOST_CHECK_MESSAGE(mapped.status == 200, mapped.body);
  BOOST_CHECK_THROW(HttpClient(gw.port(), token, ClientTls{s.pki.caFile(), "", ""}).get("/fhir/metadata"), Poco::Exception);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(Scenarios)

// S1: the GP refers a patient to the mental health Single Point of Access; the SPA reads it.
BOOST_AUTO_TEST_CASE(s1_gp_referral_is_readable_by_the_spa) {
  Ics& s = ics();
  auto gp = s.as("gp-riverside");
  std::string patient = created(gp.send("POST", "/fhir/Patient", patientJson("9000000025")));
  std::string referral = created(gp.send("POST", "/fhir/ServiceRequest", R"({"resourceType": "ServiceRequest",
    "status": "active", "intent": "order", "subject": {"reference": "Patient/)" + patient + R"("},
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "306136006", "display": "Referral to mental health service"}]},
    "requester": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"}},
    "performer": [{"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RX4"}}]})",
                                             {{"X-Request-Id", "s1-referral-1"}}));
  auto spa = s.as("mh-spa");
  auto found = spa.get("/fhir/ServiceRequest?patient=Patient/" + patient);
  BOOST_CHECK_EQUAL(found.status, 200);
  BOOST_CHECK_EQUAL(entries(found), 1u);
  BOOST_CHECK_EQUAL(spa.get("/fhir/ServiceRequest/" + referral).status, 200);
  // The write and the read are both in the audit log, naming the patient.
  auto auditor = s.as("ics-auditor");
  auto writes = auditor.get("/fhir/AuditEvent?patient=Patient/" + patient + "&agent=gp-riverside&action=C");
  BOOST_CHECK_EQUAL(writes.status, 200);
  BOOST_CHECK_GE(entries(writes), 2u);
  BOOST_CHECK(writes.body.find("s1-referral-1") != std::string::npos);
  auto reads = auditor.get("/fhir/AuditEvent?entity=ServiceRequest/" + referral + "&agent=mh-spa");
  BOOST_CHECK_GE(entries(reads), 2u);
}

// S2: a self-referral lands at the SPA, which records the person's explicit consent and reassigns
// the referral to a befriending charity with a Task; the charity sees the Task (minimal dataset),
// not the psychiatric referral itself; every step is in the audit log.
BOOST_AUTO_TEST_CASE(s2_self_referral_is_reassigned_to_a_vcfse_partner) {
  Ics& s = ics();
  auto spa = s.as("mh-spa");
  std::string patient = created(spa.send("POST", "/fhir/Patient", patientJson("9000000084")));
  std::string referral = created(spa.send("POST", "/fhir/ServiceRequest", R"({"resourceType": "ServiceRequest",
    "status": "active", "intent": "order", "subject": {"reference": "Patient/)" + patient + R"("},
    "requester": {"reference": "Patient/)" + patient + R"("}, "code": {"text": "Self-referral: low mood"}})"));
  created(spa.send("POST", "/fhir/Consent", consentJson(patient, R"({"type": "permit", "actor": [)" + odsActor("VCF01") + R"(],
    "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}]})")));
  std::string task = created(spa.send("POST", "/fhir/Task", R"({"resourceType": "Task", "status": "requested",
    "intent": "order", "basedOn": [{"reference": "ServiceRequest/)" + referral + R"("}],
    "for": {"reference": "Patient/)" + patient + R"("}, "description": "Befriending: weekly calls",
    "owner": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "VCF01"}}})"));
  auto vcfse = s.as("vcfse-befriending");
  auto tasks = vcfse.get("/fhir/Task?patient=Patient/" + patient);
  BOOST_REQUIRE_EQUAL(tasks.status, 200);
  BOOST_CHECK_EQUAL(entries(tasks), 1u);
  BOOST_CHECK(tasks.body.find("weekly calls") == std::string::npos);  // description is not in the minimal dataset
  BOOST_CHECK(tasks.body.find("VCF01") != std::string::npos);
  // The referral itself is PSY-labelled (written by the mental health trust): withheld.
  BOOST_CHECK_EQUAL(vcfse.get("/fhir/ServiceRequest/" + referral).status, 403);
  BOOST_CHECK_EQUAL(entries(vcfse.get("/fhir/ServiceRequest?patient=Patient/" + patient)), 0u);
  // The charity accepts: an update of the Task.
  auto mine = json(spa.get("/fhir/Task/" + task));
  mine["status"].SetString("accepted");
  BOOST_CHECK_EQUAL(spa.send("PUT", "/fhir/Task/" + task, testing::jsonText(mine)).status, 200);
  // The routing history is in the log: creates and the update, naming the patient.
  auto history = s.as("ics-auditor").get("/fhir/AuditEvent?patient=Patient/" + patient + "&action=C,U");
  BOOST_CHECK_GE(entries(history), 5u);
  BOOST_CHECK(history.body.find("Task/" + task) != std::string::npos);
}

// S5: social care reads the shared care plan: PSY activities visible, SDV data withheld.
BOOST_AUTO_TEST_CASE(s5_social_care_reads_the_care_plan_with_sdv_withheld) {
  Ics& s = ics();
  auto mh = s.as("mh-spa");
  std::string patient = created(mh.send("POST", "/fhir/Patient", patientJson("9000000033")));
  std::string plan = created(mh.send("POST", "/fhir/CarePlan", R"({"resourceType": "CarePlan", "status": "active",
    "intent": "plan", "subject": {"reference": "Patient/)" + patient + R"("}, "title": "Single care plan"})"));
  std::string sdv = created(mh.send("POST", "/fhir/Condition", R"({"resourceType": "Condition",
    "meta": {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "SDV"}]},
    "subject": {"reference": "Patient/)" + patient + R"("}, "code": {"text": "Third-party risk history"}})"));
  created(mh.send("POST", "/fhir/Condition", R"({"resourceType": "Condition",
    "subject": {"reference": "Patient/)" + patient + R"("}, "code": {"text": "Depression"}})"));
  // Written by a mental health partner, so labelled PSY by the policy.
  auto own = json(mh.get("/fhir/CarePlan/" + plan));
  BOOST_CHECK(hasLabel(own, "PSY"));

  auto social = s.as("council-adults");
  auto plans = social.get("/fhir/CarePlan?patient=Patient/" + patient + "&status=active");
  BOOST_REQUIRE_EQUAL(plans.status, 200);
  BOOST_CHECK_EQUAL(entries(plans), 1u);
  auto conditions = social.get("/fhir/Condition?patient=Patient/" + patient + "&_total=accurate");
  BOOST_REQUIRE_EQUAL(conditions.status, 200);
  auto d = json(conditions);
  BOOST_CHECK_EQUAL(entries(conditions), 1u);  // the SDV one is withheld
  BOOST_CHECK(!d.HasMember("total"));           // a total would give the withheld one away
  BOOST_CHECK(conditions.body.find("Third-party") == std::string::npos);
  // High-water mark: R, because PSY data was returned.
  BOOST_CHECK(hasLabel(d, "R"));
  // Reading the withheld resource answers exactly as reading one that does not exist.
  auto hidden = social.get("/fhir/Condition/" + sdv);
  auto missing = social.get("/fhir/Condition/no-such-condition");
  BOOST_CHECK_EQUAL(hidden.status, 403);
  BOOST_CHECK_EQUAL(missing.status, 403);
  BOOST_CHECK_EQUAL(hidden.body, missing.body);
  // The mental health team sees it.
  BOOST_CHECK_EQUAL(mh.get("/fhir/Condition/" + sdv).status, 200);
  // Once deleted, its history shows social care nothing of it, not even the deletion.
  BOOST_CHECK_EQUAL(mh.request("DELETE", "/fhir/Condition/" + sdv).status, 200);
  auto history = social.get("/fhir/Condition/" + sdv + "/_history");
  BOOST_CHECK_EQUAL(history.status, 200);
  BOOST_CHECK_EQUAL(entries(history), 0u);
  BOOST_CHECK(history.body.find("Third-party") == std::string::npos);
}

// What a withheld resource refers to does not come in its place: a Medication included through a
// MedicationRequest the partner may not see is left out too (on its own it says what the patient
// takes); one included through a request it may see is there.
BOOST_AUTO_TEST_CASE(an_include_goes_with_the_resource_withheld) {
  Ics& s = ics();
  auto mh = s.as("mh-spa");
  std::string patient = created(mh.send("POST", "/fhir/Patient", patientJson("9000001013")));
  auto medication = [&](const std::string& name) {
    return created(mh.send("POST", "/fhir/Medication", R"({"resourceType": "Medication", "code": {"text": ")" + name + R"("}})"));
  };
  auto request = [&](const std::string& med, const std::string& security) {
    return created(mh.send("POST", "/fhir/MedicationRequest", R"({"resourceType": "MedicationRequest", )" + security +
                                                                  R"("status": "active", "intent": "order",
      "medicationReference": {"reference": "Medication/)" + med + R"("}, "subject": {"reference": "Patient/)" + patient + R"("}})"));
  };
  request(medication("Clozapine 100mg tablets"),
          R"("meta": {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "SDV"}]}, )");
  request(medication("Omeprazole 20mg capsules"), "");
  auto found = s.as("council-adults").get("/fhir/MedicationRequest?patient=Patient/" + patient + "&_include=MedicationRequest:medication");
  BOOST_REQUIRE_EQUAL(found.status, 200);
  BOOST_CHECK_MESSAGE(found.body.find("Clozapine") == std::string::npos, found.body);
  BOOST_CHECK(found.body.find("Omeprazole") != std::string::npos);
  // The mental health team sees both.
  auto own = mh.get("/fhir/MedicationRequest?patient=Patient/" + patient + "&_include=MedicationRequest:medication");
  BOOST_CHECK(own.body.find("Clozapine") != std::string::npos);
}

// A delete is decided like a write of what it deletes: a partner the patient refused cannot
// delete their record either (it could before: only the scope was checked).
BOOST_AUTO_TEST_CASE(a_delete_is_decided_by_the_patients_consent) {
  Ics& s = ics();
  auto mh = s.as("mh-spa");
  std::string patient = created(mh.send("POST", "/fhir/Patient", patientJson("9000001021")));
  auto condition = [&](const std::string& text) {
    return created(mh.send("POST", "/fhir/Condition", R"({"resourceType": "Condition", "subject": {"reference": "Patient/)" +
                                                          patient + R"("}, "code": {"text": ")" + text + R"("}})"));
  };
  std::string first = condition("Low mood"), second = condition("Insomnia");
  auto gp = s.as("gp-riverside");
  BOOST_CHECK_EQUAL(gp.request("DELETE", "/fhir/Condition/" + first).status, 200);  // allowed: the GP may correct it
  // The person refuses their GP practice this kind of record.
  created(mh.send("POST", "/fhir/Consent", consentJson(patient, R"({"type": "permit", "provision": [{"type": "deny",
    "actor": [)" + odsActor("Y12345") + R"(], "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Condition"}]}]})")));
  auto refused = gp.request("DELETE", "/fhir/Condition/" + second);
  BOOST_CHECK_EQUAL(refused.status, 403);
  BOOST_CHECK_EQUAL(mh.get("/fhir/Condition/" + second).status, 200);  // still there
  auto conditional = gp.request("DELETE", "/fhir/Condition?subject=Patient/" + patient);
  BOOST_CHECK_EQUAL(conditional.status, 403);
  BOOST_CHECK_EQUAL(mh.get("/fhir/Condition/" + second).status, 200);
}

// S12: the ICS counts mental health referrals by locality for planning (secondary use). Only
// counts leave, under 5 not shown; a person who registered a national data opt-out is not counted
// under a secondary-use purpose (they are for direct care); the audit says how many were excluded
// and how the result was de-identified.
BOOST_AUTO_TEST_CASE(s12_referral_counts_by_locality_honour_the_national_data_opt_out) {
  Ics& s = ics();
  auto mh = s.as("mh-spa");
  std::vector<std::string> patients;
  for (int i = 0; i < 9; ++i) {
    std::string postcode = i < 7 ? "LS1 4AP" : "LS6 2QQ";
    patients.push_back(created(mh.send("POST", "/fhir/Patient", R"({"resourceType": "Patient", "name": [{"family": "Planner)" +
                                                                   std::string(1, static_cast<char>('A' + i)) + R"(", "given": ["Sam"]}],
      "birthDate": "1970-03-1)" + std::to_string(i) + R"(", "address": [{"postalCode": ")" + postcode + R"("}]})")));
    created(mh.send("POST", "/fhir/ServiceRequest", R"({"resourceType": "ServiceRequest", "status": "active", "intent": "order",
      "authoredOn": "2016-11-15", "code": {"text": "Referral to the SPA"}, "subject": {"reference": "Patient/)" + patients.back() + R"("}})"));
  }
  // One person in LS1 has registered a national data opt-out.
  created(mh.send("POST", "/fhir/Consent", R"({"resourceType": "Consent", "status": "active",
    "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
    "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
    "patient": {"reference": "Patient/)" + patients[0] + R"("}, "dateTime": "2026-11-01",
    "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
    "provision": {"type": "deny"}})"));
  auto counts = [&](const std::string& purpose) {
    auto r = s.as("gp-riverside").get("/fhir/ServiceRequest/$stratified-count?authored=2016-11-15&stratifier=locality",
                                     {{"X-Purpose-Of-Use", purpose}});
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    return r;
  };
  auto planning = counts("HOPERAT");
  auto report = json(planning);
  BOOST_CHECK_EQUAL(std::string(report["resourceType"].GetString()), "MeasureReport");
  BOOST_CHECK_EQUAL(report["group"][0]["population"][0]["count"].GetInt(), 8);  // the opted-out person is not counted
  const auto& strata = report["group"][0]["stratifier"][0]["stratum"];
  BOOST_REQUIRE_EQUAL(strata.Size(), 1u);  // LS6 has 2: not shown
  BOOST_CHECK_EQUAL(std::string(strata[0]["value"]["text"].GetString()), "LS1");
  BOOST_CHECK_EQUAL(strata[0]["population"][0]["count"].GetInt(), 6);
  BOOST_CHECK(planning.body.find("Planner") == std::string::npos);  // no patient-level data
  BOOST_CHECK(planning.body.find("Patient/") == std::string::npos);
  // For direct care the opt-out does not apply.
  BOOST_CHECK_EQUAL(json(counts("TREAT"))["group"][0]["population"][0]["count"].GetInt(), 9);
  // The auditor sees the query, what was excluded and how the result was de-identified.
  auto audit = s.as("ics-auditor").get("/fhir/AuditEvent?agent=gp-riverside&purpose=HOPERAT");
  BOOST_CHECK(audit.body.find("excluded-by-national-data-opt-out") != std::string::npos);
  BOOST_CHECK(audit.body.find("counts under 5 suppressed (1 strata)") != std::string::npos);
}

// S11: a person detained under section 136: the acute trust records the Encounter with its
// Mental Health Act legal status, which the policy labels PSY and R by its content (an ordinary
// Encounter of the same trust is not); the status and its change reach the CMHT, social care (the
// AMHP) and the GP, with the high-water mark R; the label is what the person's Consents about
// psychiatric data apply to; the writes are in the audit log for S8-style reports.
BOOST_AUTO_TEST_CASE(s11_mental_health_act_status_is_labelled_by_content) {
  Ics& s = ics();
  auto acute = s.as("acute-general");
  std::string patient = created(acute.send("POST", "/fhir/Patient", patientJson("9000000106")));
  auto encounter = [&](const std::string& legal_status) {
    std::string ext = legal_status.empty() ? "" : R"("extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-LegalStatus",
      "extension": [{"url": "legalStatusContext", "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-LegalStatusContext", "code": "admission"}]}},
                    {"url": "legalStatusClassification", "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-LegalStatusClassificationEngland", "code": ")" + legal_status + R"("}]}}]}],)";
    return R"({"resourceType": "Encounter", )" + ext + R"( "status": "in-progress",
      "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER"},
      "subject": {"reference": "Patient/)" + patient + R"("}})";
  };
  std::string s136 = created(acute.send("POST", "/fhir/Encounter", encounter("20")));
  std::string ordinary = created(acute.send("POST", "/fhir/Encounter", encounter("")));
  auto detained = json(acute.get("/fhir/Encounter/" + s136));
  BOOST_CHECK(hasLabel(detained, "PSY"));
  BOOST_CHECK(hasLabel(detained, "R"));
  auto plain = json(acute.get("/fhir/Encounter/" + ordinary));
  BOOST_CHECK(!hasLabel(plain, "PSY"));
  BOOST_CHECK(!hasLabel(plain, "R"));
  // The assessment's outcome (section 2) is an update, sent without the labels: labelled again.
  detained["extension"][0]["extension"][1]["valueCodeableConcept"]["coding"][0]["code"].SetString("02");
  detained["meta"].RemoveMember("security");
  BOOST_REQUIRE_EQUAL(acute.send("PUT", "/fhir/Encounter/" + s136, testing::jsonText(detained)).status, 200);
  auto updated = json(acute.get("/fhir/Encounter/" + s136));
  BOOST_CHECK(hasLabel(updated, "PSY"));
  BOOST_CHECK(hasLabel(updated, "R"));
  // Direct care sees both, with the high-water mark R on the search.
  for (const char* partner : {"mh-spa", "council-adults", "gp-riverside"}) {
    auto found = s.as(partner).get("/fhir/Encounter?patient=Patient/" + patient);
    BOOST_REQUIRE_EQUAL(found.status, 200);
    BOOST_CHECK_EQUAL(entries(found), 2u);
    BOOST_CHECK(hasLabel(json(found), "R"));
  }
  // The person objects to their GP practice seeing psychiatric data: from then on the GP sees the
  // ordinary Encounter only; the CMHT still sees both.
  created(acute.send("POST", "/fhir/Consent", consentJson(patient, R"({"type": "permit", "provision": [{"type": "deny",
    "actor": [)" + odsActor("Y12345") + R"(],
    "securityLabel": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}]}]})")));
  auto gp = s.as("gp-riverside");
  auto seen = gp.get("/fhir/Encounter?patient=Patient/" + patient);
  BOOST_REQUIRE_EQUAL(seen.status, 200);
  BOOST_CHECK_EQUAL(entries(seen), 1u);
  BOOST_CHECK(seen.body.find(ordinary) != std::string::npos);
  BOOST_CHECK_EQUAL(gp.get("/fhir/Encounter/" + s136).status, 403);
  BOOST_CHECK_EQUAL(entries(s.as("mh-spa").get("/fhir/Encounter?patient=Patient/" + patient)), 2u);
  // The status changes are in the audit log: an auditor finds the acute trust's writes of it.
  auto writes = s.as("ics-auditor").get("/fhir/AuditEvent?entity=Encounter/" + s136 + "&agent=acute-general&action=C,U");
  BOOST_CHECK_EQUAL(writes.status, 200);
  BOOST_CHECK_GE(entries(writes), 2u);
}

// S9: an adult safeguarding concern shared without consent. The person has refused sharing with
// the mental health trust and the GP practice; the local authority records a section 42 enquiry
// (a Flag and a Communication labelled SDV and R, and the alleged perpetrator as a RelatedPerson).
// Under the policy's safeguarding rule (legal basis: not consent), the CMHT and the GP named in
// it see the concern when a safeguarding lead authorises the request and says why; never the
// third party's record; a partner the rule does not name gets nothing; the audit record carries
// the local purpose, the authoriser as an agent of its own and the justification.
BOOST_AUTO_TEST_CASE(s9_safeguarding_concern_shared_without_consent) {
  Ics& s = ics();
  auto council = s.as("council-safeguarding");
  std::string patient = created(council.send("POST", "/fhir/Patient", patientJson("9000000114")));
  created(council.send("POST", "/fhir/Consent", consentJson(patient, R"({"type": "deny", "actor": [)" + odsActor("RX4") + ", " +
                                                                         odsActor("Y12345") + "]}")));
  const std::string labels = R"("meta": {"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "SDV"},
    {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}]})";
  std::string flag = created(council.send("POST", "/fhir/Flag", R"({"resourceType": "Flag", )" + labels + R"(, "status": "active",
    "code": {"text": "Adult safeguarding concern: Care Act 2014 s42 enquiry"}, "subject": {"reference": "Patient/)" + patient + R"("}})"));
  created(council.send("POST", "/fhir/Communication", R"({"resourceType": "Communication", )" + labels + R"(, "status": "completed",
    "subject": {"reference": "Patient/)" + patient + R"("}, "payload": [{"contentString": "Section 42 enquiry opened"}]})"));
  std::string other = created(council.send("POST", "/fhir/RelatedPerson", R"({"resourceType": "RelatedPerson", )" + labels + R"(,
    "patient": {"reference": "Patient/)" + patient + R"("}, "name": [{"family": "Alleged", "given": ["Person"]}]})"));

  // Direct care: the person's refusal holds.
  BOOST_CHECK_EQUAL(s.as("mh-spa").get("/fhir/Flag/" + flag).status, 403);
  // Under the safeguarding rule, a request needs who authorised it and why.
  auto cmht = s.as("mh-spa", "safeguarding");
  auto bare = cmht.get("/fhir/Flag/" + flag);
  BOOST_CHECK_EQUAL(bare.status, 400);
  BOOST_CHECK(bare.body.find("X-Authorised-By") != std::string::npos);
  const std::vector<std::pair<std::string, std::string>> authorised = {{"X-Authorised-By", "Sam Lead, CMHT safeguarding lead"},
                                       {"X-Justification", "Section 42 enquiry: risk of harm from a third party"}};
  BOOST_CHECK_EQUAL(cmht.get("/fhir/Flag/" + flag, authorised).status, 200);
  BOOST_CHECK_EQUAL(entries(cmht.get("/fhir/Communication?patient=Patient/" + patient, authorised)), 1u);
  // The third party's record is never disclosed under it.
  BOOST_CHECK_EQUAL(cmht.get("/fhir/RelatedPerson/" + other, authorised).status, 403);
  BOOST_CHECK_EQUAL(entries(cmht.get("/fhir/RelatedPerson?patient=Patient/" + patient, authorised)), 0u);
  // The GP practice sees the SDV-labelled concern under this rule only (SDV is for mental health).
  BOOST_CHECK_EQUAL(s.as("gp-riverside", "safeguarding").get("/fhir/Flag/" + flag, authorised).status, 200);
  BOOST_CHECK_EQUAL(s.as("gp-riverside").get("/fhir/Flag/" + flag).status, 403);
  // A partner the rule does not name gets nothing, however authorised.
  BOOST_CHECK_EQUAL(s.as("crisis-team", "safeguarding").get("/fhir/Flag/" + flag, authorised).status, 403);
  // The disclosure in the audit log: the local purpose, the authoriser, the justification.
  auto audit = s.as("ics-auditor").get("/fhir/AuditEvent?entity=Flag/" + flag + "&agent=mh-spa");
  BOOST_REQUIRE_EQUAL(audit.status, 200);
  BOOST_CHECK(audit.body.find("https://onedoor.dev/fhir/CodeSystem/purpose-of-use") != std::string::npos);
  BOOST_CHECK(audit.body.find("\"authoriser\"") != std::string::npos);
  BOOST_CHECK(audit.body.find("Sam Lead, CMHT safeguarding lead") != std::string::npos);
  BOOST_CHECK(audit.body.find("Section 42 enquiry: risk of harm from a third party") != std::string::npos);
  BOOST_CHECK(audit.body.find("safeguarding-enquiry") != std::string::npos);
  // An auditor's report of what was disclosed about the person under the safeguarding purpose:
  // the CMHT's read and search, its refused read of the third party, the GP's read.
  auto report = s.as("ics-auditor").get("/fhir/AuditEvent?purpose=safeguarding&patient=Patient/" + patient);
  BOOST_REQUIRE_EQUAL(report.status, 200);
  BOOST_CHECK_EQUAL(entries(report), 4u);
  auto refusals = s.as("ics-auditor").get("/fhir/AuditEvent?purpose=safeguarding&outcome=4&entity=RelatedPerson/" + other);
  BOOST_CHECK_EQUAL(entries(refusals), 1u);  // the third party's record: asked for, refused
  BOOST_CHECK(report.body.find("gp-riverside") != std::string::npos);
  // The crisis team's attempt, refused before anything was read, is found by what it asked for.
  auto attempt = s.as("ics-auditor").get("/fhir/AuditEvent?entity=Flag/" + flag + "&agent=crisis-team&outcome=4");
  BOOST_CHECK_EQUAL(entries(attempt), 1u);
}

// S4 and S6: the befriending charity gets the minimal dataset only with explicit consent, and
// nothing from the moment the patient withdraws it.
BOOST_AUTO_TEST_CASE(s4_s6_vcfse_minimal_dataset_then_withdrawal) {
  Ics& s = ics();
  auto mh = s.as("mh-spa");
  std::string patient = created(mh.send("POST", "/fhir/Patient", patientJson("9000000041")));
  auto vcfse = s.as("vcfse-befriending");
  BOOST_CHECK_EQUAL(vcfse.get("/fhir/Patient/" + patient).status, 403);  // no explicit consent yet
  std::string consent = created(mh.send("POST", "/fhir/Consent", consentJson(patient,
      R"({"type": "permit", "actor": [)" + odsActor("VCF01") + R"(],
          "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}],
          "provision": [{"type": "deny", "actor": [)" + odsActor("VCF01") + R"(],
            "securityLabel": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"},
                              {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "SDV"}]}]})")));
  auto minimal = vcfse.get("/fhir/Patient/" + patient);
  BOOST_REQUIRE_EQUAL(minimal.status, 200);
  auto p = json(minimal);
  BOOST_CHECK(p.HasMember("name") && p.HasMember("telecom"));
  BOOST_CHECK(!p.HasMember("maritalStatus"));
  BOOST_CHECK(!p.HasMember("generalPractitioner"));
  BOOST_CHECK(hasLabel(p, "REDACTED"));
  // A referral written by the mental health trust is PSY-labelled: the nested deny keeps it back.
  created(mh.send("POST", "/fhir/ServiceRequest", R"({"resourceType": "ServiceRequest", "status": "active",
    "intent": "order", "subject": {"reference": "Patient/)" + patient + R"("}, "code": {"text": "Befriending"}})"));
  BOOST_CHECK_EQUAL(entries(vcfse.get("/fhir/ServiceRequest?patient=Patient/" + patient)), 0u);
  // $consent-check explains it.
  auto check = vcfse.request("POST", "/fhir/$consent-check", R"({"resourceType": "Parameters", "parameter": [
    {"name": "partner", "valueString": "vcfse-befriending"}, {"name": "purpose", "valueCode": "TREAT"},
    {"name": "patient", "valueReference": {"reference": "Patient/)" + patient + R"("}}, {"name": "type", "valueCode": "Patient"}]})",
                             {{"Content-Type", "application/fhir+json"}});
  BOOST_CHECK_EQUAL(check.status, 200);
  BOOST_CHECK(check.body.find("redact") != std::string::npos);
  BOOST_CHECK(check.body.find("Consent/" + consent) != std::string::npos);
  BOOST_CHECK(check.body.find("2026.11-sample") != std::string::npos);

  // S6: the permit becomes inactive and a deny is recorded.
  auto old = json(mh.get("/fhir/Consent/" + consent));
  old["status"].SetString("inactive");
  BOOST_CHECK_EQUAL(mh.send("PUT", "/fhir/Consent/" + consent, testing::jsonText(old)).status, 200);
  std::string withdrawal = created(mh.send("POST", "/fhir/Consent", consentJson(patient,
      R"({"type": "deny", "actor": [)" + odsActor("VCF01") + "]}")));
  auto blocked = vcfse.get("/fhir/Patient/" + patient);
  BOOST_CHECK_EQUAL(blocked.status, 403);
  BOOST_CHECK(blocked.body.find("Consent") == std::string::npos);  // the denial names no patient data
  BOOST_CHECK_EQUAL(s.as("gp-riverside").get("/fhir/Patient/" + patient).status, 200);  // direct care goes on
  // The auditor sees the denial and the Consent that decided it.
  auto denials = s.as("ics-auditor").get("/fhir/AuditEvent?agent=vcfse-befriending&outcome=4&patient=Patient/" + patient);
  BOOST_CHECK_GE(entries(denials), 2u);
  BOOST_CHECK(denials.body.find("Consent/" + withdrawal) != std::string::npos);
}

// S7: the crisis team breaks glass for a patient who dissented; others may not.
BOOST_AUTO_TEST_CASE(s7_break_glass_for_the_crisis_team_only) {
  Ics& s = ics();
  auto mh = s.as("mh-spa");
  std::string patient = created(mh.send("POST", "/fhir/Patient", patientJson("9000000068")));
  std::string plan = created(mh.send("POST", "/fhir/CarePlan", R"({"resourceType": "CarePlan", "status": "active",
    "intent": "plan", "subject": {"reference": "Patient/)" + patient + R"("}, "title": "Crisis and contingency plan"})"));
  created(mh.send("POST", "/fhir/Consent", consentJson(patient, R"({"type": "deny", "actor": [)" + odsActor("RX4") + R"(],
    "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}]})")));
  // Plain treatment: the dissent applies.
  auto crisis = s.as("crisis-team");
  BOOST_CHECK_EQUAL(crisis.get("/fhir/CarePlan/" + plan).status, 403);
  // Break-glass needs a reason.
  BOOST_CHECK_EQUAL(crisis.get("/fhir/Patient/" + patient, {{"X-Purpose-Of-Use", "ETREAT"},
                                                             {"X-Break-Glass-Reason", ""}}).status, 400);
  auto glass = crisis.get("/fhir/Patient/" + patient, {{"X-Purpose-Of-Use", "ETREAT"},
                                                       {"X-Break-Glass-Reason", "02:00 crisis call, risk to life"}});
  BOOST_CHECK_EQUAL(glass.status, 200);
  // The grant covers this patient for the configured time, with purpose ETREAT.
  auto plans = crisis.get("/fhir/CarePlan?patient=Patient/" + patient, {{"X-Purpose-Of-Use", "ETREAT"}});
  BOOST_CHECK_EQUAL(entries(plans), 1u);
  // The GP may not break glass.
  auto gp = s.as("gp-riverside");
  BOOST_CHECK_EQUAL(gp.get("/fhir/Patient/" + patient, {{"X-Purpose-Of-Use", "HOPERAT"},
                                                        {"X-Break-Glass-Reason", "curious"}}).status, 403);
  // Flagged for review in the audit log, with the reason.
  auto review = s.as("ics-auditor").get("/fhir/AuditEvent?break-glass=true&patient=Patient/" + patient);
  BOOST_CHECK_GE(entries(review), 2u);
  BOOST_CHECK(review.body.find("risk to life") != std::string::npos);
  auto cli = testing::runOnedoor({"audit", "break-glass", "--config", (s.gw->dir() / "onedoor.json").string(),
                                  "--patient", "Patient/" + patient});
  BOOST_CHECK_EQUAL(cli.code, 0);
  BOOST_CHECK_MESSAGE(cli.out.find("crisis-team") != std::string::npos, cli.out + cli.err);
}

// S8: who viewed patient X's mental health record? Only auditors may ask, and asking is recorded.
BOOST_AUTO_TEST_CASE(s8_auditor_asks_who_viewed_the_mental_health_record) {
  Ics& s = ics();
  auto mh = s.as("mh-spa");
  std::string patient = created(mh.send("POST", "/fhir/Patient", patientJson("9000000076")));
  std::string plan = created(mh.send("POST", "/fhir/CarePlan", R"({"resourceType": "CarePlan", "status": "active",
    "intent": "plan", "subject": {"reference": "Patient/)" + patient + R"("}})"));
  BOOST_CHECK_EQUAL(s.as("council-adults").get("/fhir/CarePlan/" + plan).status, 200);
  BOOST_CHECK_EQUAL(s.as("gp-riverside").get("/fhir/Patient/" + patient).status, 200);  // not the MH record

  auto auditor = s.as("ics-auditor");
  std::string q = "/fhir/AuditEvent?patient=Patient/" + patient + "&security-label=PSY&action=R&date=" + todayGe();
  auto who = auditor.get(q);
  BOOST_REQUIRE_EQUAL(who.status, 200);
  BOOST_CHECK(who.body.find("council-adults") != std::string::npos);
  BOOST_CHECK(who.body.find("gp-riverside") == std::string::npos);
  BOOST_CHECK(!who.header("X-Audit-Head").empty());
  BOOST_CHECK(who.body.find("Single care plan") == std::string::npos);  // no clinical content
  // Others may not read the log.
  BOOST_CHECK_EQUAL(s.as("mh-spa").get(q).status, 403);
  // The auditor's query is itself in the log.
  auto own = auditor.get("/fhir/AuditEvent?agent=ics-auditor&patient=Patient/" + patient);
  BOOST_CHECK_GE(entries(own), 1u);
  // Export as NDJSON.
  auto nd = auditor.get("/fhir/AuditEvent/$export?patient=Patient/" + patient);
  BOOST_CHECK_EQUAL(nd.status, 200);
  BOOST_CHECK(nd.header("Content-Type").find("ndjson") != std::string::npos);
  // The CLI asks the same question.
  auto cli = testing::runOnedoor({"audit", "query", "--config", (s.gw->dir() / "onedoor.json").string(), "--patient",
                                  "Patient/" + patient, "--security-label", "PSY"});
  BOOST_CHECK_EQUAL(cli.code, 0);
  BOOST_CHECK(cli.out.find("council-adults") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(failed_logins_and_bad_requests_are_audited) {
  Ics& s = ics();
  auto auditor = s.as("ics-auditor");
  auto count = [&](const std::string& query) { return entries(auditor.get("/fhir/AuditEvent?_count=1000&" + query)); };
  auto logins = count("outcome=4&action=E");
  s.postToken(s.gw->assertion("gp-riverside", "", -100));
  BOOST_CHECK_EQUAL(count("outcome=4&action=E"), logins + 1);
  auto failures = count("outcome=4");
  BOOST_CHECK_EQUAL(s.gw->client().get("/fhir/Patient").status, 401);  // no token
  BOOST_CHECK_EQUAL(s.as("gp-riverside").send("POST", "/fhir/Patient", "{\"resourceType\": ").status, 400);
  BOOST_CHECK_EQUAL(count("outcome=4"), failures + 2);
}

// Whatever happened, each record is a well-formed R4 AuditEvent without clinical content.
BOOST_AUTO_TEST_CASE(every_audit_record_is_a_readable_audit_event) {
  Ics& s = ics();
  auto nd = s.as("ics-auditor").get("/fhir/AuditEvent/$export");
  BOOST_REQUIRE_EQUAL(nd.status, 200);
  std::istringstream lines(nd.body);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto r = fhir::read(testing::model(), fhir::Format::kJson, line);
    BOOST_CHECK_MESSAGE(r.ok(), "record " << n << ": " << (r.ok() ? "" : r.issues.front().message) << " " << line);
    // The phone number whole: "07700" alone also turns up inside hex ids and hashes now and then.
    BOOST_CHECK_MESSAGE(line.find("Amira") == std::string::npos && line.find("07700 900123") == std::string::npos, line);
    ++n;
  }
  BOOST_CHECK_GT(n, 50);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(AuditTamper)

// The CLI's verify names what was done to the log file, and fails.
BOOST_AUTO_TEST_CASE(onedoor_audit_verify_catches_edits_deletions_and_insertions) {
  struct Case {
    std::string sql;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"UPDATE audit_event SET body = replace(body, 'rest', 'REST') WHERE seq = 3", "record 3 was altered"},
      {"DELETE FROM audit_event WHERE seq = 4", "record 4 was removed"},
      {"UPDATE audit_event SET seq = seq + 1000 WHERE seq > 2; UPDATE audit_event SET seq = seq - 999 WHERE seq > 1000; "
       "INSERT INTO audit_event (seq, recorded_ms, partner, action, outcome, purpose, break_glass, body, prev_hash, hash) "
       "SELECT 3, 0, 'x', 'R', '0', 'TREAT', 0, '{}', hash, 'forged' FROM audit_event WHERE seq = 2",
       "record 3"},
  };
  for (const auto& c : cases) {
    testing::TestGateway gw;
    auto client = gw.client(gw.token());
    for (int i = 0; i < 6; ++i) client.get("/fhir/Patient?_count=1");
    std::string config = (gw.dir() / "onedoor.json").string();
    auto ok = testing::runOnedoor({"audit", "verify", "--config", config});
    BOOST_CHECK_EQUAL(ok.code, 0);
    testing::tamperSqlite((gw.dir() / "db/audit.db").string(), c.sql);
    auto bad = testing::runOnedoor({"audit", "verify", "--config", config});
    BOOST_CHECK_EQUAL(bad.code, 1);
    BOOST_CHECK_MESSAGE(bad.out.find(c.expected) != std::string::npos, c.sql + " -> " + bad.out + bad.err);
  }
}

BOOST_AUTO_TEST_SUITE_END()
