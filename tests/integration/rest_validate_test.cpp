// $validate and validate-on-write over HTTP, with the ICS profiles of fhir-profiles/ loaded:
// warn stores and reports, enforce answers 422 and stores nothing, per type and default.
#include <boost/test/unit_test.hpp>

#include "support/http_client.h"
#include "support/test_support.h"

using namespace onedoor;
using testing::HttpClient;

namespace {

const std::string kIcsPatient = "https://onedoor.dev/fhir/StructureDefinition/ICS-Patient";

struct Server {
  testing::TestGateway gw{"", R"("validation": {"profiles": [")" ONEDOOR_SOURCE_DIR R"(/fhir-profiles"],
      "on_write": "warn",
      "rules": [{"type": "ServiceRequest", "mode": "enforce"},
                {"type": "Organization", "mode": "enforce", "profiles": ["https://onedoor.dev/fhir/StructureDefinition/ICS-Organization"]},
                {"type": "Basic", "mode": "off"}]})"};
  HttpClient http{gw.port(), gw.token()};

  std::string example(const std::string& name) {
    return testing::readFile(std::string(ONEDOOR_SOURCE_DIR "/fhir-profiles/") + name);
  }
  std::string total(const std::string& type) {
    auto r = http.get("/fhir/" + type + "?_summary=count");
    return std::string(testing::parse(r.body).childValue("total"));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(RestValidate, Server)

BOOST_AUTO_TEST_CASE(validate_a_bare_resource_at_type_level) {
  auto r = http.send("POST", "/fhir/Patient/$validate", example("counter-examples/Patient-bad-check-digit.json"));
  BOOST_CHECK_EQUAL(r.status, 200);
  BOOST_CHECK_MESSAGE(r.body.find("ics-nhs-2") != std::string::npos, r.body);
  BOOST_CHECK(r.body.find("9434765918") == std::string::npos);  // no patient values
  BOOST_CHECK_EQUAL(total("Patient"), "0");                    // $validate stores nothing
  r = http.send("POST", "/fhir/Patient/$validate", example("examples/Patient-ics-patient-example.json"));
  BOOST_CHECK_EQUAL(r.status, 200);
  BOOST_CHECK_MESSAGE(r.body.find("\"error\"") == std::string::npos, r.body);
}

BOOST_AUTO_TEST_CASE(validate_parameters_with_a_profile_and_the_query_profile) {
  std::string params = R"({"resourceType":"Parameters","parameter":[{"name":"resource","resource":
    {"resourceType":"Patient","name":[{"family":"X"}]}},{"name":"profile","valueCanonical":")" + kIcsPatient + R"("}]})";
  auto r = http.send("POST", "/fhir/Patient/$validate", params);
  BOOST_CHECK_EQUAL(r.status, 200);
  BOOST_CHECK_MESSAGE(r.body.find("Patient.birthDate: minimum required = 1") != std::string::npos, r.body);
  r = http.send("POST", "/fhir/Patient/$validate?profile=" + kIcsPatient, R"({"resourceType":"Patient","name":[{"family":"X"}]})");
  BOOST_CHECK_MESSAGE(r.body.find("Patient.birthDate: minimum required = 1") != std::string::npos, r.body);
}

BOOST_AUTO_TEST_CASE(validate_modes_need_the_right_level_and_id) {
  auto r = http.send("POST", "/fhir/Patient/$validate?mode=update", R"({"resourceType":"Patient","id":"a"})");
  BOOST_CHECK_EQUAL(r.status, 400);
  r = http.send("POST", "/fhir/Patient/b/$validate?mode=update", R"({"resourceType":"Patient","id":"a"})");
  BOOST_CHECK_EQUAL(r.status, 200);
  BOOST_CHECK_MESSAGE(r.body.find("must match the id in the URL") != std::string::npos, r.body);
  r = http.request("POST", "/fhir/Patient/b/$validate?mode=delete");
  BOOST_CHECK_EQUAL(r.status, 200);
  r = http.send("POST", "/fhir/Patient/$validate?mode=sideways", R"({"resourceType":"Patient"})");
  BOOST_CHECK_EQUAL(r.status, 400);
  r = http.send("POST", "/fhir/Observation/$validate", R"({"resourceType":"Patient"})");
  BOOST_CHECK_EQUAL(r.status, 400);
}

BOOST_AUTO_TEST_CASE(warn_mode_stores_and_reports_the_issues) {
  auto r = http.send("POST", "/fhir/Observation", R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"y","subject":{"reference":"Medication/1"}})",
                     {{"Prefer", "return=OperationOutcome"}});
  BOOST_CHECK_EQUAL(r.status, 201);
  BOOST_CHECK_MESSAGE(r.body.find("not allowed here") != std::string::npos, r.body);
  BOOST_CHECK_EQUAL(total("Observation"), "1");
  r = http.send("POST", "/fhir/Observation", R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Medication/1"}})");
  BOOST_CHECK_EQUAL(r.status, 201);
  BOOST_CHECK(r.headers.count("x-validation-issues") == 1);
}

BOOST_AUTO_TEST_CASE(enforce_mode_answers_422_and_stores_nothing) {
  auto r = http.send("POST", "/fhir/ServiceRequest", R"({"resourceType":"ServiceRequest","status":"active","intent":"order"})");
  BOOST_CHECK_EQUAL(r.status, 422);
  BOOST_CHECK_MESSAGE(r.body.find("ServiceRequest.subject: minimum required = 1") != std::string::npos, r.body);
  BOOST_CHECK_EQUAL(total("ServiceRequest"), "0");
  // The rule's profile applies to every Organization written.
  r = http.send("PUT", "/fhir/Organization/o1", R"({"resourceType":"Organization","id":"o1","name":"No ODS code"})");
  BOOST_CHECK_EQUAL(r.status, 422);
  BOOST_CHECK_MESSAGE(r.body.find("Organization.identifier") != std::string::npos, r.body);
  r = http.send("PUT", "/fhir/Organization/ics-spa", example("examples/Organization-ics-spa.json"));
  BOOST_CHECK_EQUAL(r.status, 201);
}

// A patch is validated as a PUT of its result would be: under enforce, a patch that breaks the
// profile is 422 with the element's path, and the stored version stays.
BOOST_AUTO_TEST_CASE(a_patch_result_is_validated_like_a_write) {
  auto r = http.send("PUT", "/fhir/Organization/ics-spa", example("examples/Organization-ics-spa.json"));
  BOOST_REQUIRE(r.status == 200 || r.status == 201);
  auto patch = http.request("PATCH", "/fhir/Organization/ics-spa", R"([{"op": "remove", "path": "/identifier"}])",
                            {{"Content-Type", "application/json-patch+json"}});
  BOOST_CHECK_EQUAL(patch.status, 422);
  BOOST_CHECK_MESSAGE(patch.body.find("Organization.identifier") != std::string::npos, patch.body);
  auto kept = http.get("/fhir/Organization/ics-spa");
  BOOST_CHECK(kept.body.find("identifier") != std::string::npos);
  auto fine = http.request("PATCH", "/fhir/Organization/ics-spa", R"([{"op": "replace", "path": "/name", "value": "Single Point of Access"}])",
                           {{"Content-Type", "application/json-patch+json"}});
  BOOST_CHECK_MESSAGE(fine.status == 200, fine.body);
}

BOOST_AUTO_TEST_CASE(a_transaction_with_an_invalid_entry_is_422_and_writes_nothing) {
  std::string tx = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","name":[{"family":"T"}]},"request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"ServiceRequest","status":"active","intent":"order"},"request":{"method":"POST","url":"ServiceRequest"}}]})";
  auto r = http.send("POST", "/fhir", tx);
  BOOST_CHECK_EQUAL(r.status, 422);
  BOOST_CHECK_MESSAGE(r.body.find("Bundle.entry[1].resource.subject") != std::string::npos, r.body);
  BOOST_CHECK_EQUAL(total("Patient"), "0");
}

BOOST_AUTO_TEST_CASE(off_mode_does_not_validate) {
  auto r = http.send("POST", "/fhir/Basic", R"({"resourceType":"Basic","code":{"text":"x"},"subject":{"reference":"Medication/1"}})",
                     {{"Prefer", "return=OperationOutcome"}});
  BOOST_CHECK_EQUAL(r.status, 201);
  BOOST_CHECK(r.headers.count("x-validation-issues") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
