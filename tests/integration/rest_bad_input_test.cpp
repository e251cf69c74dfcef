#include <boost/test/unit_test.hpp>

#include "support/http_client.h"
#include "support/test_support.h"

using namespace onedoor;
using testing::HttpClient;
using testing::HttpResponse;

namespace {

struct Server {
  testing::TestGateway gw{R"("max_body_bytes": 65536)"};
  HttpClient http{gw.port(), gw.token()};

  // Nothing was written: the system history is still empty.
  void checkNothingStored() {
    auto h = http.get("/fhir/_history");
    BOOST_REQUIRE_EQUAL(h.status, 200);
    BOOST_CHECK_EQUAL(testing::parse(h.body).childValue("total"), "0");
  }
};

void checkOutcome(const HttpResponse& r, int status, const std::string& text) {
  BOOST_CHECK_EQUAL(r.status, status);
  std::string shown = r.body.substr(0, 400);
  BOOST_CHECK_MESSAGE(r.body.find("\"resourceType\":\"OperationOutcome\"") != std::string::npos, shown);
  BOOST_CHECK_MESSAGE(r.body.find(text) != std::string::npos, "expected '" + text + "' in " + shown);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(RestBadInput, Server)

BOOST_AUTO_TEST_CASE(malformed_json_is_400_with_position) {
  checkOutcome(http.send("POST", "/fhir/Patient", "{\"resourceType\":\"Patient\",\n\"active\":tru}"), 400, "Line 2");
  checkNothingStored();
}

BOOST_AUTO_TEST_CASE(malformed_xml_is_400_with_line) {
  auto r = http.request("POST", "/fhir/Patient", "<Patient xmlns=\"http://hl7.org/fhir\">\n<active value=\"true\">\n</Patient>",
                        {{"Content-Type", "application/fhir+xml"}});
  checkOutcome(r, 400, "malformed XML");
  checkNothingStored();
}

BOOST_AUTO_TEST_CASE(xml_entities_are_refused_and_leak_nothing) {
  auto r = http.request("POST", "/fhir/Patient",
                        "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                        "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&x;\"/></Patient>",
                        {{"Content-Type", "application/fhir+xml"}});
  checkOutcome(r, 400, "DTD");
  BOOST_CHECK(r.body.find("root:") == std::string::npos);
  checkNothingStored();
}

BOOST_AUTO_TEST_CASE(wrong_types_and_unknown_elements_name_their_paths) {
  auto r = http.send("POST", "/fhir/Patient", R"({"resourceType":"Patient","active":"yes","name":[{"family":"F","nick":"x"}]})");
  checkOutcome(r, 400, "Patient.active");
  BOOST_CHECK(r.body.find("Patient.name[0]") != std::string::npos);
  checkNothingStored();
}

BOOST_AUTO_TEST_CASE(bodies_over_the_limit_are_413) {
  std::string big = R"({"resourceType":"Patient","name":[{"family":")" + std::string(70000, 'a') + "\"}]}";
  checkOutcome(http.send("POST", "/fhir/Patient", big), 413, "limit");
  checkNothingStored();
}

BOOST_AUTO_TEST_CASE(excessive_nesting_is_400) {
  std::string deep = R"({"resourceType":"Patient","extension":)";
  for (int i = 0; i < 200; ++i) deep += R"([{"url":"x","extension":)";
  deep += "[]";
  for (int i = 0; i < 200; ++i) deep += "}]";
  deep += "}";
  checkOutcome(http.send("POST", "/fhir/Patient", deep), 400, "nesting");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_400) {
  checkOutcome(http.send("POST", "/fhir/Patient", "{\"resourceType\":\"Patient\",\"id\":\"\xff\xfe\"}"), 400, "malformed JSON");
  checkNothingStored();
}

BOOST_AUTO_TEST_CASE(wrong_content_type_is_415_and_unacceptable_accept_406) {
  checkOutcome(http.request("POST", "/fhir/Patient", "{}", {{"Content-Type", "text/csv"}}), 415, "Content-Type");
  checkOutcome(http.request("POST", "/fhir/Patient", "{}"), 415, "Content-Type");
  checkOutcome(http.get("/fhir/metadata", {{"Accept", "text/html"}}), 406, "Accept");
}

BOOST_AUTO_TEST_CASE(bad_ids_and_paths_are_4xx) {
  checkOutcome(http.get("/fhir/Patient/../x"), 400, "invalid resource id");
  checkOutcome(http.get("/fhir/Patient/" + std::string(65, 'a')), 400, "invalid resource id");
  checkOutcome(http.get("/fhir/Patient/a'%20OR%20'1'='1"), 400, "invalid resource id");
  checkOutcome(http.get("/fhir/Nonsense/1"), 404, "unknown resource type");
  checkOutcome(http.request("PATCH", "/fhir/metadata"), 405, "not allowed");
}

BOOST_AUTO_TEST_CASE(mismatched_body_and_url_are_400) {
  checkOutcome(http.send("POST", "/fhir/Patient", R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})"), 400, "URL names Patient");
  checkOutcome(http.send("PUT", "/fhir/Patient/a", R"({"resourceType":"Patient","id":"b"})"), 400, "does not match");
  checkOutcome(http.send("PUT", "/fhir/Patient/a", R"({"resourceType":"Patient"})"), 400, "needs the resource id");
  checkNothingStored();
}

BOOST_AUTO_TEST_CASE(the_server_keeps_serving_after_bad_input) {
  for (int i = 0; i < 20; ++i) http.send("POST", "/fhir/Patient", std::string(i * 7, '{'));
  BOOST_CHECK_EQUAL(http.get("/health").status, 200);
}

BOOST_AUTO_TEST_SUITE_END()
