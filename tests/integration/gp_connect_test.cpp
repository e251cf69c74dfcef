// Scenario S10 end to end: a CMHT clinician's system asks the gateway for a patient's GP record;
// the gateway, as a GP Connect consumer, asks the practice through a Spine Secure Proxy (a real
// HTTPS server on loopback that demands the gateway's client certificate, made for the run),
// converts the STU3 answer to R4 with the sample map, and decides and audits what the CMHT gets.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>
#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <mutex>
#include <sstream>

#include "core/base64.h"
#include "support/test_pki.h"
#include "support/test_support.h"

using namespace onedoor;
using testing::HttpResponse;
using testing::TestPartner;

namespace {

// The Spine Secure Proxy and the practice behind it: keeps each request, answers the practice's
// STU3 record (a golden case of the sample map), or a GP Connect OperationOutcome for an NHS
// number it does not hold.
class FakeSsp {
 public:
  struct Seen {
    std::string path;
    std::map<std::string, std::string> headers;
    std::string body;
  };

  FakeSsp(const testing::TestPki& pki, const testing::PemPair& server) {
    Poco::Net::initializeSSL();
    using Ctx = Poco::Net::Context;
    Ctx::Params params;
    params.privateKeyFile = server.private_key;
    params.certificateFile = server.certificate;
    params.caLocation = pki.caFile();
    params.verificationMode = Ctx::VERIFY_STRICT;  // no client certificate, no request
    params.loadDefaultCAs = false;
    Ctx::Ptr context = new Ctx(Ctx::TLSV1_2_SERVER_USE, params);
    // The client certificate is checked against the CA, not against the host it connects from
    // (Poco's extended verification would match its name with 127.0.0.1).
    context->enableExtendedCertificateVerification(false);
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 16, context);
    port_ = socket.address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), pool_, socket, new Poco::Net::HTTPServerParams);
    server_->start();
  }
  ~FakeSsp() { server_->stop(); }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(FakeSsp& s) : s_(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
      Seen got;
      got.path = req.getURI();
      for (const auto& [k, v] : req) got.headers[k] = v;
      Poco::StreamCopier::copyToString(req.stream(), got.body);
      {
        std::lock_guard lock(s_.mu_);
        s_.seen_.push_back(got);
      }
      std::string body;
      if (got.body.find("9000000009") != std::string::npos) {
        resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
        body = testing::readFile(ONEDOOR_SOURCE_DIR
                                 "/mappings/gp/tests/gpconnect-structured-to-r4/depression-amoxicillin-citalopram.data.json");
      } else {
        resp.setStatus(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
        body = R"({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found",
          "details": {"coding": [{"system": "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1",
          "code": "PATIENT_NOT_FOUND"}]}, "diagnostics": "No patient with this NHS number is registered here"}]})";
      }
      resp.setContentType("application/fhir+json");
      resp.setContentLength(static_cast<std::streamsize>(body.size()));
      resp.send() << body;
    }

   private:
    FakeSsp& s_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(FakeSsp& s) : s_(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override { return new Handler(s_); }

   private:
    FakeSsp& s_;
  };

  Poco::ThreadPool pool_{1, 4};
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
};

std::string fromBase64Url(const std::string& s) { return core::fromBase64(s, core::Base64::kUrlNoPadding).value_or(""); }

const std::string kPractitioner = core::base64(R"({"resourceType": "Practitioner",
  "identifier": [{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "555021935107"},
                 {"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "555021936108"}],
  "name": [{"family": "Adeyemi", "given": ["Tola"]}]})");

std::string traceablePatient(const std::string& nhs, bool verified) {
  std::string status = verified ? R"("extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
      "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland",
      "code": "01", "display": "Number present and verified"}]}}], )"
                                : "";
  return R"({"resourceType": "Patient", "identifier": [{)" + status + R"("system": "https://fhir.nhs.uk/Id/nhs-number", "value": ")" +
         nhs + R"("}], "name": [{"use": "official", "family": "Okafor", "given": ["Amira"]}], "gender": "female",
    "birthDate": "1990-04-02",
    "generalPractitioner": [{"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"}}]})";
}

std::string parameters(const std::string& nhs) {
  return R"({"resourceType": "Parameters", "parameter": [
    {"name": "patientNHSNumber", "valueIdentifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": ")" + nhs + R"("}},
    {"name": "includeAllergies", "part": [{"name": "includeResolvedAllergies", "valueBoolean": false}]},
    {"name": "includeMedication"}, {"name": "includeProblems"}]})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(GpConnect)

BOOST_AUTO_TEST_CASE(s10_cmht_pulls_the_gp_record_through_the_ssp) {
  testing::TempDir pki_dir;
  testing::TestPki pki(pki_dir.path(), "Test Spine CA");
  auto ssp_cert = pki.server("ssp");
  auto gateway_cert = pki.client("onedoor", "onedoor.test.nhs.uk", "OneDoor ICS");
  FakeSsp ssp(pki, ssp_cert);
  std::vector<TestPartner> partners = {
      {"cmht-north", "mental-health", {"TREAT"}, {"system/*.rs"}, "RX4C", "", ""},
      {"vcfse-befriending", "vcfse", {"TREAT"}, {"system/Patient.rs"}, "VCF01", "", ""},
  };
  auto gpConnect = [&](const testing::PemPair& cert, const std::string& ca) {
    return R"("gp_connect": {"ssp": ")" + ssp.url() + R"(", "asid": "200000000359", "ods": "RX4",
      "organization_name": "Riverside Mental Health Trust", "certificate": ")" + cert.certificate +
           R"(", "private_key": ")" + cert.private_key + R"(", "ca_file": ")" + ca +
           R"(", "map": ")" ONEDOOR_SOURCE_DIR R"(/mappings/gp/gpconnect-structured-to-r4.map", "timeout_ms": 5000,
      "practices": [{"ods": "Y12345", "asid": "918999198738", "fhir_base": "https://gp.example/Y12345/STU3/1/gpconnect/structured/fhir"}]})";
  };
  const std::string policy = testing::readFile(ONEDOOR_SOURCE_DIR "/config/policy.sample.json");
  testing::TestGateway gw("", gpConnect(gateway_cert, pki.caFile()), partners, nullptr, policy);
  auto registrar = gw.client(gw.token());
  std::string patient = testing::created(registrar.send("POST", "/fhir/Patient", traceablePatient("9000000009", true)));
  auto cmht = gw.client(gw.token("cmht-north"));
  const std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/fhir+json"},
                                                                    {"NHSD-Requesting-Practitioner", kPractitioner}};
  auto ask = [&](testing::HttpClient& c, const std::string& nhs, bool with_practitioner = true) {
    auto h = headers;
    if (!with_practitioner) h.pop_back();
    return c.request("POST", "/fhir/Patient/$gpc.getstructuredrecord", parameters(nhs), h);
  };

  // The CapabilityStatement says the operation is there.
  auto metadata = cmht.get("/fhir/metadata");
  BOOST_CHECK(metadata.body.find("gpc.getstructuredrecord") != std::string::npos);

  auto record = ask(cmht, "9000000009");
  BOOST_REQUIRE_MESSAGE(record.status == 200, record.body);
  auto doc = testing::json(record);
  BOOST_CHECK_EQUAL(std::string(doc["type"].GetString()), "collection");
  std::map<std::string, int> kinds;
  std::map<std::string, std::string> urls;  // fullUrl -> type
  for (const auto& e : doc["entry"].GetArray()) urls[e["fullUrl"].GetString()] = e["resource"]["resourceType"].GetString();
  std::string provenance_source;
  std::size_t provenance_targets = 0;
  for (const auto& e : doc["entry"].GetArray()) {
    const auto& r = e["resource"];
    std::string type = r["resourceType"].GetString();
    ++kinds[type];
    if (type == "AllergyIntolerance") {
      // R4: the status is a CodeableConcept, the date asserted is recordedDate.
      BOOST_CHECK_EQUAL(std::string(r["clinicalStatus"]["coding"][0]["code"].GetString()), "active");
      BOOST_CHECK_EQUAL(std::string(r["recordedDate"].GetString()), "2015-06-02T09:00:00+01:00");
      BOOST_CHECK_EQUAL(std::string(r["patient"]["reference"].GetString()), "Patient/" + patient);
    }
    if (type == "Condition") BOOST_CHECK_EQUAL(std::string(r["subject"]["reference"].GetString()), "Patient/" + patient);
    // References between entries point at their fullUrls; the Patient is the gateway's own.
    if (type == "MedicationRequest") BOOST_CHECK_EQUAL(urls[r["requester"]["reference"].GetString()], "Practitioner");
    if (type == "MedicationStatement") BOOST_CHECK_EQUAL(urls[r["medicationReference"]["reference"].GetString()], "Medication");
    if (type == "Patient") {
      BOOST_CHECK_EQUAL(std::string(r["id"].GetString()), patient);
      BOOST_CHECK_EQUAL(std::string(e["fullUrl"].GetString()), gw.base() + "/Patient/" + patient);
    }
    if (type == "Provenance") {
      provenance_source = r["entity"][0]["what"]["identifier"]["value"].GetString();
      provenance_targets = r["target"].Size();
    }
  }
  for (const char* kind : {"Patient", "Organization", "Practitioner", "List", "AllergyIntolerance", "Condition",
                           "MedicationStatement", "MedicationRequest", "Medication", "Provenance"}) {
    BOOST_CHECK_MESSAGE(kinds[kind] > 0, std::string("no ") + kind + " in the record");
  }
  BOOST_CHECK_EQUAL(kinds["OperationOutcome"], 0);  // nothing left out
  BOOST_CHECK_EQUAL(provenance_source, "Y12345");
  BOOST_CHECK_EQUAL(provenance_targets, doc["entry"].Size() - 1);  // every entry but itself

  // What the SSP was asked: the practice's URL behind the proxy, the SSP headers, the JWT.
  auto seen = ssp.seen();
  BOOST_REQUIRE_EQUAL(seen.size(), 1u);
  BOOST_CHECK_EQUAL(seen[0].path, "/https://gp.example/Y12345/STU3/1/gpconnect/structured/fhir/Patient/$gpc.getstructuredrecord");
  BOOST_CHECK_EQUAL(seen[0].headers["Ssp-From"], "200000000359");
  BOOST_CHECK_EQUAL(seen[0].headers["Ssp-To"], "918999198738");
  BOOST_CHECK_EQUAL(seen[0].headers["Ssp-InteractionID"], "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1");
  const std::string trace = seen[0].headers["Ssp-TraceID"];
  BOOST_CHECK_EQUAL(trace.size(), 36u);
  BOOST_CHECK(seen[0].body.find("9000000009") != std::string::npos);
  std::string jwt = seen[0].headers["Authorization"].substr(std::string("Bearer ").size());
  auto dot1 = jwt.find('.'), dot2 = jwt.find('.', dot1 + 1);
  BOOST_REQUIRE(dot1 != std::string::npos && dot2 != std::string::npos);
  BOOST_CHECK_EQUAL(dot2 + 1, jwt.size());  // unsigned: nothing after the second dot
  std::string header = fromBase64Url(jwt.substr(0, dot1)), claims = fromBase64Url(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  BOOST_CHECK_MESSAGE(header.find("\"alg\":\"none\"") != std::string::npos, header);
  rapidjson::Document c;
  c.Parse(claims.c_str());
  BOOST_REQUIRE_MESSAGE(c.IsObject(), claims);
  BOOST_CHECK_EQUAL(std::string(c["reason_for_request"].GetString()), "directcare");
  BOOST_CHECK_EQUAL(std::string(c["requested_scope"].GetString()), "patient/*.read");
  BOOST_CHECK_EQUAL(std::string(c["aud"].GetString()), "https://gp.example/Y12345/STU3/1/gpconnect/structured/fhir");
  BOOST_CHECK_EQUAL(std::string(c["sub"].GetString()), "555021935107");
  BOOST_CHECK_EQUAL(std::string(c["requesting_practitioner"]["identifier"][0]["value"].GetString()), "555021935107");
  BOOST_CHECK_EQUAL(std::string(c["requesting_organization"]["identifier"][0]["value"].GetString()), "RX4");
  BOOST_CHECK(c["exp"].GetInt64() - c["iat"].GetInt64() == 300);

  // The auditor finds the query by the SSP's trace id, naming the patient.
  auto audit = testing::runOnedoor({"audit", "query", "--config", (gw.dir() / "onedoor.json").string(), "--entity", trace, "--ndjson"});
  BOOST_CHECK_MESSAGE(audit.out.find("gpc.getstructuredrecord") != std::string::npos, audit.out);
  BOOST_CHECK(audit.out.find("Patient/" + patient) != std::string::npos);
  BOOST_CHECK(audit.out.find("cmht-north") != std::string::npos);
  BOOST_CHECK(audit.out.find("555021935107") != std::string::npos);  // the clinician the CMHT's system named

  // The consent stage decides each resource of the record for the CMHT: a patient who refused the
  // CMHT their medication sees it withheld, the rest still shared.
  registrar.send("POST", "/fhir/Consent", R"({"resourceType": "Consent", "status": "active",
    "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
    "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
    "patient": {"reference": "Patient/)" + patient + R"("}, "dateTime": "2026-11-01",
    "provision": {"type": "permit", "provision": [{"type": "deny",
      "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
                 "reference": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RX4C"}}}],
      "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "MedicationStatement"},
                {"system": "http://hl7.org/fhir/resource-types", "code": "MedicationRequest"}]}]}})");
  auto refused = ask(cmht, "9000000009");
  BOOST_REQUIRE_EQUAL(refused.status, 200);
  BOOST_CHECK(refused.body.find("\"MedicationStatement\"") == std::string::npos);
  BOOST_CHECK(refused.body.find("\"MedicationRequest\"") == std::string::npos);
  // ... and nothing names them: not the section List, not the Provenance.
  auto after = testing::json(refused);
  for (const auto& e : after["entry"].GetArray()) {
    const auto& r = e["resource"];
    std::string type = r["resourceType"].GetString();
    if (type == "List") {
      std::string title = r["title"].GetString();
      BOOST_CHECK_MESSAGE(r.HasMember("entry") == (title != "Medications and medical devices"), title);
    }
    if (type == "Provenance") BOOST_CHECK_EQUAL(r["target"].Size(), after["entry"].Size() - 1);
  }
  // Nor does the Medication they referred to, which on its own would say what the patient takes.
  BOOST_CHECK(refused.body.find("Citalopram") == std::string::npos);
  BOOST_CHECK(record.body.find("Citalopram") != std::string::npos);
  BOOST_CHECK(refused.body.find("Amoxicillin allergy") != std::string::npos);

  // Who asked must be said; a number not traced is not sent; the practice's refusal is passed on.
  auto anonymous = ask(cmht, "9000000009", false);
  BOOST_CHECK_EQUAL(anonymous.status, 400);
  BOOST_CHECK(anonymous.body.find("NHSD-Requesting-Practitioner") != std::string::npos);
  registrar.send("POST", "/fhir/Patient", traceablePatient("9000000017", false));
  auto untraced = ask(cmht, "9000000017");
  BOOST_CHECK_EQUAL(untraced.status, 422);
  BOOST_CHECK(untraced.body.find("has not been traced") != std::string::npos);
  std::string elsewhere_patient = testing::created(registrar.send("POST", "/fhir/Patient", traceablePatient("9000000025", true)));
  auto elsewhere = ask(cmht, "9000000025");
  BOOST_CHECK_EQUAL(elsewhere.status, 502);
  BOOST_CHECK_MESSAGE(elsewhere.body.find("No patient with this NHS number is registered here") != std::string::npos, elsewhere.body);
  auto bad = ask(cmht, "9000000018");
  BOOST_CHECK_EQUAL(bad.status, 400);
  BOOST_CHECK(bad.body.find("not a valid NHS number") != std::string::npos);
  BOOST_CHECK_EQUAL(ssp.seen().size(), 3u);  // only the traced patient elsewhere went out

  // A person who refused the CMHT altogether is not asked about: their practice hears nothing.
  registrar.send("POST", "/fhir/Consent", R"({"resourceType": "Consent", "status": "active",
    "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
    "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
    "patient": {"reference": "Patient/)" + elsewhere_patient + R"("}, "dateTime": "2026-11-01",
    "provision": {"type": "deny", "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
      "code": "IRCP"}]}, "reference": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RX4C"}}}]}})");
  BOOST_CHECK_EQUAL(ask(cmht, "9000000025").status, 403);
  BOOST_CHECK_EQUAL(ssp.seen().size(), 3u);

  // The GP record is not shared onward to the voluntary sector.
  auto charity = gw.client(gw.token("vcfse-befriending"));
  BOOST_CHECK_EQUAL(ask(charity, "9000000009").status, 403);
  BOOST_CHECK_EQUAL(ssp.seen().size(), 3u);

  // Mutual TLS is checked both ways: a gateway whose certificate another CA issued is refused by the
  // SSP at the handshake, and an SSP the gateway's CA file does not vouch for is not talked to.
  testing::TestPki rogue(pki_dir.path() / "rogue", "Rogue CA");
  auto rogue_cert = rogue.client("rogue-gateway", "onedoor.test.nhs.uk", "OneDoor ICS");
  for (const auto& [cert, ca] : {std::pair{rogue_cert, pki.caFile()}, std::pair{gateway_cert, rogue.caFile()}}) {
    testing::TestGateway other("", gpConnect(cert, ca), partners, nullptr, policy);
    testing::created(other.client(other.token()).send("POST", "/fhir/Patient", traceablePatient("9000000009", true)));
    auto client = other.client(other.token("cmht-north"));
    auto refused = ask(client, "9000000009");
    BOOST_CHECK_EQUAL(refused.status, 503);
    BOOST_CHECK_MESSAGE(refused.body.find("could not be reached") != std::string::npos, refused.body);
  }
  BOOST_CHECK_EQUAL(ssp.seen().size(), 3u);
}

BOOST_AUTO_TEST_SUITE_END()
