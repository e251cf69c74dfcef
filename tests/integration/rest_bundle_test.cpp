#include <boost/test/unit_test.hpp>

#include "support/http_client.h"
#include "support/test_support.h"

using namespace onedoor;
using testing::HttpClient;

namespace {

struct Server {
  testing::TestGateway gw;
  HttpClient http{gw.port(), gw.token()};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(RestBundles, Server)

BOOST_AUTO_TEST_CASE(transaction_resolves_urn_uuids_and_rewrites_references) {
  auto r = http.send("POST", "/fhir", R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111111",
     "resource":{"resourceType":"Observation","status":"final","code":{"text":"hb"},
                 "subject":{"reference":"urn:uuid:22222222-2222-4222-8222-222222222222"}},
     "request":{"method":"POST","url":"Observation"}},
    {"fullUrl":"urn:uuid:22222222-2222-4222-8222-222222222222",
     "resource":{"resourceType":"Patient","name":[{"family":"T"}]},
     "request":{"method":"POST","url":"Patient"}}]})");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  fhir::Node b = testing::parse(r.body);
  BOOST_CHECK_EQUAL(b.childValue("type"), "transaction-response");
  auto entries = b.childrenNamed("entry");
  BOOST_REQUIRE_EQUAL(entries.size(), 2u);
  std::string obs_loc(entries[0]->child("response")->childValue("location"));
  std::string pat_loc(entries[1]->child("response")->childValue("location"));
  BOOST_CHECK(obs_loc.rfind("Observation/", 0) == 0);
  std::string pat_ref = pat_loc.substr(0, pat_loc.find("/_history"));
  auto obs = http.get("/fhir/" + obs_loc.substr(0, obs_loc.find("/_history")));
  BOOST_CHECK_EQUAL(testing::parse(obs.body).child("subject")->childValue("reference"), pat_ref);
}

BOOST_AUTO_TEST_CASE(transaction_is_all_or_nothing) {
  http.send("PUT", "/fhir/Patient/tx1", R"({"resourceType":"Patient","id":"tx1"})");
  http.send("PUT", "/fhir/Patient/tx1", R"({"resourceType":"Patient","id":"tx1","active":true})");
  auto r = http.send("POST", "/fhir", R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient","id":"tx2"},"request":{"method":"PUT","url":"Patient/tx2"}},
    {"resource":{"resourceType":"Patient","id":"tx1"},"request":{"method":"PUT","url":"Patient/tx1","ifMatch":"W/\"1\""}}]})");
  BOOST_CHECK_EQUAL(r.status, 412);
  BOOST_CHECK(r.body.find("Bundle.entry[1]") != std::string::npos);
  BOOST_CHECK_EQUAL(http.get("/fhir/Patient/tx2").status, 404);
}

BOOST_AUTO_TEST_CASE(transaction_processes_deletes_before_creates_and_reads_last) {
  http.send("PUT", "/fhir/Patient/del1", R"({"resourceType":"Patient","id":"del1"})");
  auto r = http.send("POST", "/fhir", R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"request":{"method":"GET","url":"Patient/new1"}},
    {"resource":{"resourceType":"Patient","id":"new1"},"request":{"method":"PUT","url":"Patient/new1"}},
    {"request":{"method":"DELETE","url":"Patient/del1"}}]})");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  fhir::Node response = testing::parse(r.body);
  auto entries = response.childrenNamed("entry");
  BOOST_CHECK_EQUAL(entries[0]->child("response")->childValue("status"), "200 OK");
  BOOST_CHECK(entries[0]->child("resource") != nullptr);
  BOOST_CHECK_EQUAL(entries[1]->child("response")->childValue("status"), "201 Created");
  BOOST_CHECK_EQUAL(http.get("/fhir/Patient/del1").status, 410);
}

BOOST_AUTO_TEST_CASE(batch_entries_fail_independently) {
  auto r = http.send("POST", "/fhir", R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Patient","id":"b1"},"request":{"method":"PUT","url":"Patient/b1"}},
    {"request":{"method":"GET","url":"Patient/does-not-exist"}},
    {"resource":{"resourceType":"Patient","id":"b2"},"request":{"method":"PUT","url":"Patient/other"}},
    {"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}]})");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  fhir::Node response = testing::parse(r.body);
  auto entries = response.childrenNamed("entry");
  BOOST_REQUIRE_EQUAL(entries.size(), 4u);
  BOOST_CHECK_EQUAL(entries[0]->child("response")->childValue("status"), "201 Created");
  BOOST_CHECK_EQUAL(entries[1]->child("response")->childValue("status"), "404");
  BOOST_CHECK(entries[1]->child("response")->child("outcome") != nullptr);
  BOOST_CHECK_EQUAL(entries[2]->child("response")->childValue("status"), "400");
  BOOST_CHECK_EQUAL(entries[3]->child("response")->childValue("status"), "201 Created");
  BOOST_CHECK_EQUAL(http.get("/fhir/Patient/b1").status, 200);
}

BOOST_AUTO_TEST_CASE(other_bundle_types_are_refused) {
  auto r = http.send("POST", "/fhir", R"({"resourceType":"Bundle","type":"collection"})");
  BOOST_CHECK_EQUAL(r.status, 400);
  auto p = http.send("POST", "/fhir", R"({"resourceType":"Patient"})");
  BOOST_CHECK_EQUAL(p.status, 400);
}

BOOST_AUTO_TEST_SUITE_END()
