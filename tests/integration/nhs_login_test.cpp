// Scenario S2, the person's side: a self-referral form (a patient-facing partner) sends the
// referral of a person signed in with NHS login, passing their ID token. The gateway checks the
// token against NHS login's key (an RSA key made for the run, RS512), lets the service write that
// person's own referral and nothing else, marks their NHS number verified when NHS login proved
// it (P9), and audits the person as the one who asked.
#include <Poco/Crypto/RSAKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <chrono>

#include "support/test_support.h"

using namespace onedoor;
using testing::TestPartner;

namespace {

constexpr const char* kIssuer = "https://auth.sandpit.signin.nhs.uk";
constexpr const char* kClient = "mindline-selfreferral";

struct NhsLogin {
  testing::TempDir dir;
  Poco::SharedPtr<Poco::Crypto::RSAKey> key = new Poco::Crypto::RSAKey(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
  Poco::SharedPtr<Poco::Crypto::RSAKey> other = new Poco::Crypto::RSAKey(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
  std::string public_pem = (dir.path() / "nhs-login.pub.pem").string();
  NhsLogin() { key->save(public_pem); }

  // An ID token as NHS login issues it; `lifetime_s` < 0 gives one that has expired.
  std::string idToken(const std::string& nhs, const std::string& level, const std::string& aud = kClient,
                      std::int64_t lifetime_s = 300, bool forged = false) const {
    Poco::JWT::Token t;
    t.setIssuer(kIssuer);
    t.setSubject("49f470a1-cc52-49b7-beba-0f9cec937c46");
    t.setAudience(aud);
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    t.setIssuedAt(Poco::Timestamp::fromEpochTime(now - 60));
    t.setExpiration(Poco::Timestamp::fromEpochTime(now + lifetime_s));
    t.header().set("kid", std::string("nhs-login-2026"));
    t.payload().set("nhs_number", nhs);
    t.payload().set("identity_proofing_level", level);
    Poco::JWT::Signer signer(forged ? other : key);
    signer.addAlgorithm(Poco::JWT::Signer::ALGO_RS512);
    return signer.sign(t, Poco::JWT::Signer::ALGO_RS512);
  }
};

std::string selfReferral(const std::string& nhs) {
  std::string identifier = nhs.empty() ? "" : R"("identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": ")" + nhs + R"("}], )";
  return R"({"resourceType": "Bundle", "type": "transaction", "entry": [
    {"fullUrl": "urn:uuid:7f4a0c1e-2b1d-4c5e-9a3f-000000000001", "resource": {"resourceType": "Patient", )" + identifier + R"(
      "name": [{"family": "Nowak", "given": ["Zofia"]}], "birthDate": "1996-08-14", "gender": "female",
      "telecom": [{"system": "phone", "value": "07700 900456"}]},
     "request": {"method": "POST", "url": "Patient"}},
    {"fullUrl": "urn:uuid:7f4a0c1e-2b1d-4c5e-9a3f-000000000002", "resource": {"resourceType": "ServiceRequest", "status": "active",
      "intent": "order", "code": {"text": "Self-referral to the Single Point of Access"},
      "subject": {"reference": "urn:uuid:7f4a0c1e-2b1d-4c5e-9a3f-000000000001"},
      "requester": {"reference": "urn:uuid:7f4a0c1e-2b1d-4c5e-9a3f-000000000001"},
      "note": [{"text": "Struggling to sleep, anxious most days"}]},
     "request": {"method": "POST", "url": "ServiceRequest"}}]})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(NhsLoginSelfReferral)

BOOST_AUTO_TEST_CASE(s2_a_person_signed_in_with_nhs_login_refers_themselves) {
  NhsLogin login;
  std::vector<TestPartner> partners = {
      {"mindline-web", "mental-health", {"TREAT"}, {"system/Patient.c", "system/ServiceRequest.c"}, "RX4W", "", "", true},
      {"mh-spa", "mental-health", {"TREAT"}, {"system/*.cruds"}, "RX4", "", ""},
  };
  std::string extra = R"("nhs_login": {"issuer": ")" + std::string(kIssuer) + R"(", "client_id": ")" + kClient +
                      R"(", "keys": [{"kid": "nhs-login-2026", "alg": "RS512", "public_key": ")" + login.public_pem + R"("}]})";
  testing::TestGateway gw("", extra, partners, nullptr, testing::readFile(ONEDOOR_SOURCE_DIR "/config/policy.sample.json"));
  auto form = gw.client(gw.token("mindline-web"));
  auto send = [&](const std::string& id_token, const std::string& body) {
    return form.request("POST", "/fhir", body, {{"Content-Type", "application/fhir+json"}, {"NHSD-User-Identity", id_token}});
  };

  // P9: the referral is written, the person's NHS number marked verified.
  auto referred = send(login.idToken("9000001048", "P9"), selfReferral("9000001048"));
  BOOST_REQUIRE_MESSAGE(referred.status == 200, referred.body);
  auto spa = gw.client(gw.token("mh-spa"));
  auto found = spa.get("/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000001048");
  BOOST_REQUIRE_EQUAL(found.status, 200);
  auto doc = testing::json(found);
  BOOST_REQUIRE_EQUAL(doc["entry"].Size(), 1u);
  const auto& nhs_id = doc["entry"][0]["resource"]["identifier"][0];
  BOOST_CHECK_EQUAL(std::string(nhs_id["extension"][0]["valueCodeableConcept"]["coding"][0]["code"].GetString()), "01");
  std::string patient = doc["entry"][0]["resource"]["id"].GetString();
  BOOST_CHECK(spa.get("/fhir/ServiceRequest?subject=Patient/" + patient).body.find("Struggling to sleep") != std::string::npos);

  // The audit record names the person as the one who asked, the form as the system that sent it.
  auto audit = testing::runOnedoor({"audit", "query", "--config", (gw.dir() / "onedoor.json").string(), "--agent", "mindline-web",
                                    "--ndjson"});
  bool person_asked = false;
  std::istringstream lines(audit.out);
  for (std::string line; std::getline(lines, line);) {
    rapidjson::Document e;
    e.Parse(line.c_str());
    if (!e.IsObject() || !e.HasMember("agent")) continue;
    // In a record of an exchange for the person: they asked, the form did not.
    bool for_person = false, form_asked = false;
    for (const auto& a : e["agent"].GetArray()) {
      bool requestor = a["requestor"].GetBool();
      if (a["type"]["coding"][0]["code"] == "PAT") {
        for_person = true;
        person_asked = person_asked || (requestor && a["who"]["identifier"]["value"] == "9000001048");
      }
      if (a["who"].HasMember("identifier") && a["who"]["identifier"]["value"] == "mindline-web") form_asked = requestor;
    }
    if (for_person) BOOST_CHECK(!form_asked);
  }
  BOOST_CHECK_MESSAGE(person_asked, audit.out);

  // P5: written, the number to be traced. No NHS number in the form: theirs is added.
  BOOST_CHECK_EQUAL(send(login.idToken("9000001056", "P5"), selfReferral("")).status, 200);
  auto p5 = spa.get("/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000001056");
  BOOST_CHECK_MESSAGE(p5.body.find("\"code\":\"03\"") != std::string::npos, p5.body);

  // Only themselves, only their own referral.
  auto someone_else = send(login.idToken("9000001048", "P9"), selfReferral("9000001056"));
  BOOST_CHECK_EQUAL(someone_else.status, 403);
  BOOST_CHECK(someone_else.body.find("is not theirs") != std::string::npos);
  BOOST_CHECK_EQUAL(form.request("GET", "/fhir/Patient/" + patient, "", {{"NHSD-User-Identity", login.idToken("9000001048", "P9")}}).status,
                    403);

  // Tokens NHS login did not issue for this service, or no longer valid, are refused.
  BOOST_CHECK_EQUAL(send(login.idToken("9000001048", "P9", kClient, 300, true), selfReferral("9000001048")).status, 401);
  BOOST_CHECK_EQUAL(send(login.idToken("9000001048", "P9", "another-service"), selfReferral("9000001048")).status, 401);
  BOOST_CHECK_EQUAL(send(login.idToken("9000001048", "P9", kClient, -600), selfReferral("9000001048")).status, 401);
  BOOST_CHECK_EQUAL(send("not-a-jwt", selfReferral("9000001048")).status, 401);

  // A partner that is not patient-facing may not act for a person.
  auto trust = spa.request("POST", "/fhir", selfReferral("9000001048"),
                           {{"Content-Type", "application/fhir+json"}, {"NHSD-User-Identity", login.idToken("9000001048", "P9")}});
  BOOST_CHECK_EQUAL(trust.status, 403);
}

BOOST_AUTO_TEST_SUITE_END()
