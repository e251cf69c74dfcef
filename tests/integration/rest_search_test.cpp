#include <boost/test/unit_test.hpp>
#include <set>
#include <thread>

#include "support/http_client.h"
#include "support/test_support.h"

using namespace onedoor;
using testing::HttpClient;

namespace {

struct Server {
  testing::TestGateway gw;
  HttpClient http{gw.port(), gw.token()};

  std::string create(const std::string& json) {
    auto r = http.send("POST", "/fhir/" + json.substr(17, json.find('"', 17) - 17), json);
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body.substr(0, 300));
    return std::string(testing::parse(r.body).childValue("id"));
  }
  // The ids of the matches of a search, in order.
  std::vector<std::string> ids(const std::string& query) {
    auto r = http.get("/fhir/" + query);
    BOOST_REQUIRE_MESSAGE(r.status == 200, query + ": " + r.body.substr(0, 300));
    fhir::Node b = testing::parse(r.body);
    std::vector<std::string> out;
    for (const auto* e : b.childrenNamed("entry")) {
      if (e->child("search") && e->child("search")->childValue("mode") == "match") {
        out.emplace_back(e->child("resource")->childValue("id"));
      }
    }
    return out;
  }
  std::set<std::string> idSet(const std::string& query) {
    auto v = ids(query);
    return {v.begin(), v.end()};
  }
};

std::string patient(const std::string& id, const std::string& family, const std::string& given,
                    const std::string& birth, const std::string& nhs, const std::string& extra = "") {
  return R"({"resourceType":"Patient","id":")" + id + R"(","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":")" +
         nhs + R"("}],"name":[{"family":")" + family + R"(","given":[")" + given + R"("]}],"birthDate":")" + birth + "\"" + extra + "}";
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(RestSearch, Server)

BOOST_AUTO_TEST_CASE(string_search_is_case_and_accent_insensitive_prefix_by_default) {
  http.send("PUT", "/fhir/Patient/a", patient("a", "Şmíth", "Zoë", "1980-01-01", "9434765919"));
  http.send("PUT", "/fhir/Patient/b", patient("b", "Smithers", "Ann", "1990-06-15", "9000000009"));
  http.send("PUT", "/fhir/Patient/c", patient("c", "Jones", "Bob", "2000-12-31", "4857773457"));
  BOOST_CHECK((idSet("Patient?family=smi") == std::set<std::string>{"a", "b"}));  // Ş folds to s
  BOOST_CHECK((idSet("Patient?name=zoe") == std::set<std::string>{"a"}));
  BOOST_CHECK((idSet("Patient?family:exact=Smithers") == std::set<std::string>{"b"}));
  BOOST_CHECK(idSet("Patient?family:exact=smithers").empty());
  BOOST_CHECK((idSet("Patient?family:contains=ither") == std::set<std::string>{"b"}));
  BOOST_CHECK((idSet("Patient?family=jones,smithers") == std::set<std::string>{"b", "c"}));
  BOOST_CHECK((idSet("Patient?family=smi&given=ann") == std::set<std::string>{"b"}));
}

BOOST_AUTO_TEST_CASE(token_search_forms) {
  http.send("PUT", "/fhir/Patient/a", patient("a", "A", "A", "1980-01-01", "9434765919", R"(,"gender":"female")"));
  http.send("PUT", "/fhir/Patient/b", patient("b", "B", "B", "1990-01-01", "9000000009", R"(,"gender":"male")"));
  http.send("PUT", "/fhir/Patient/c", R"({"resourceType":"Patient","id":"c","identifier":[{"value":"9434765919"}]})");
  BOOST_CHECK((idSet("Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919") == std::set<std::string>{"a"}));
  BOOST_CHECK((idSet("Patient?identifier=9434765919") == std::set<std::string>{"a", "c"}));
  BOOST_CHECK((idSet("Patient?identifier=|9434765919") == std::set<std::string>{"c"}));
  BOOST_CHECK((idSet("Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|") == std::set<std::string>{"a", "b"}));
  BOOST_CHECK((idSet("Patient?gender:not=male") == std::set<std::string>{"a", "c"}));
  BOOST_CHECK((idSet("Patient?gender:missing=true") == std::set<std::string>{"c"}));
  BOOST_CHECK((idSet("Patient?_id=a,b") == std::set<std::string>{"a", "b"}));
}

BOOST_AUTO_TEST_CASE(token_text_and_of_type) {
  create(R"({"resourceType":"Observation","id":"x","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}],"text":"Weight"}})");
  create(R"({"resourceType":"Patient","identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"system":"urn:trust","value":"MRN1"}]})");
  BOOST_CHECK_EQUAL(ids("Observation?code:text=weig").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Observation?code=http://loinc.org|29463-7").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|MRN1").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|NH|MRN1").size(), 0u);
}

BOOST_AUTO_TEST_CASE(date_search_honours_precision_and_prefixes) {
  http.send("PUT", "/fhir/Patient/a", patient("a", "A", "A", "1980-01-01", "1"));
  http.send("PUT", "/fhir/Patient/b", patient("b", "B", "B", "1980-06-15", "2"));
  http.send("PUT", "/fhir/Patient/c", patient("c", "C", "C", "1981", "3"));
  BOOST_CHECK((idSet("Patient?birthdate=1980") == std::set<std::string>{"a", "b"}));
  BOOST_CHECK((idSet("Patient?birthdate=1980-06") == std::set<std::string>{"b"}));
  BOOST_CHECK((idSet("Patient?birthdate=gt1980-03-01") == std::set<std::string>{"b", "c"}));
  BOOST_CHECK((idSet("Patient?birthdate=lt1980-03-01") == std::set<std::string>{"a"}));
  BOOST_CHECK((idSet("Patient?birthdate=ge1980-06-15&birthdate=le1980-12-31") == std::set<std::string>{"b"}));
  BOOST_CHECK((idSet("Patient?birthdate=sa1980-12-31") == std::set<std::string>{"c"}));
  BOOST_CHECK((idSet("Patient?birthdate=ne1980") == std::set<std::string>{"c"}));
  BOOST_CHECK((idSet("Patient?birthdate=eb1981") == std::set<std::string>{"a", "b"}));
  create(R"({"resourceType":"Encounter","status":"finished","class":{"code":"IMP"},"period":{"start":"2026-01-10T09:00:00Z","end":"2026-01-12T17:00:00Z"}})");
  BOOST_CHECK_EQUAL(ids("Encounter?date=2026-01-11").size(), 0u);  // the stay is not inside that day
  BOOST_CHECK_EQUAL(ids("Encounter?date=ge2026-01-11").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Encounter?date=2026-01").size(), 1u);
}

BOOST_AUTO_TEST_CASE(quantity_search_converts_units) {
  create(R"({"resourceType":"Observation","status":"final","code":{"text":"w"},"valueQuantity":{"value":72.5,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}})");
  BOOST_CHECK_EQUAL(ids("Observation?value-quantity=72.5|http://unitsofmeasure.org|kg").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Observation?value-quantity=72500|http://unitsofmeasure.org|g").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Observation?value-quantity=gt70000||g").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Observation?value-quantity=lt70|http://unitsofmeasure.org|kg").size(), 0u);
  BOOST_CHECK_EQUAL(ids("Observation?value-quantity=72.5").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Observation?value-quantity=73").size(), 1u);  // 73 stands for [72.5, 73.5)
  BOOST_CHECK_EQUAL(ids("Observation?value-quantity=74").size(), 0u);
}

BOOST_AUTO_TEST_CASE(composite_search_matches_within_one_component) {
  create(R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
    "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
                 {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]})");
  BOOST_CHECK_EQUAL(ids("Observation?component-code-value-quantity=http://loinc.org|8480-6$gt110").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Observation?component-code-value-quantity=http://loinc.org|8462-4$gt110").size(), 0u);
}

BOOST_AUTO_TEST_CASE(reference_search_chains_and_reverse_chains) {
  http.send("PUT", "/fhir/Patient/p1", patient("p1", "Ward", "Ann", "1970-01-01", "9434765919"));
  http.send("PUT", "/fhir/Patient/p2", patient("p2", "Hill", "Bo", "1970-01-01", "9000000009"));
  http.send("PUT", "/fhir/Observation/o1", R"({"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1"}]},"subject":{"reference":"Patient/p1"}})");
  http.send("PUT", "/fhir/Observation/o2", R"({"resourceType":"Observation","id":"o2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2"}]},"subject":{"reference":"Patient/p2"}})");
  BOOST_CHECK((idSet("Observation?subject=Patient/p1") == std::set<std::string>{"o1"}));
  BOOST_CHECK((idSet("Observation?subject=p1") == std::set<std::string>{"o1"}));
  BOOST_CHECK((idSet("Observation?patient=p2") == std::set<std::string>{"o2"}));
  BOOST_CHECK((idSet("Observation?subject:Patient.name=ward") == std::set<std::string>{"o1"}));
  BOOST_CHECK((idSet("Observation?subject:Patient.identifier=9000000009") == std::set<std::string>{"o2"}));
  BOOST_CHECK((idSet("Patient?_has:Observation:subject:code=http://loinc.org|2") == std::set<std::string>{"p2"}));
  BOOST_CHECK((idSet("Observation?subject=" + gw.base() + "/Patient/p1") == std::set<std::string>{"o1"}));
  auto ambiguous = http.get("/fhir/Observation?subject.name=ward");
  BOOST_CHECK_EQUAL(ambiguous.status, 400);
}

BOOST_AUTO_TEST_CASE(sort_and_stable_paging) {
  for (int i = 0; i < 7; ++i) {
    std::string id = "s" + std::to_string(i);
    http.send("PUT", "/fhir/Patient/" + id, patient(id, i % 2 ? "Odd" : "Even", "G" + std::to_string(i), "198" + std::to_string(i) + "-01-01", std::to_string(i)));
  }
  BOOST_CHECK((ids("Patient?_sort=-birthdate&_count=3") == std::vector<std::string>{"s6", "s5", "s4"}));
  BOOST_CHECK((ids("Patient?_sort=family,-birthdate&_count=10") ==
               std::vector<std::string>{"s6", "s4", "s2", "s0", "s5", "s3", "s1"}));
  // Walk the pages while new data arrives: every original resource is seen exactly once.
  auto r = http.get("/fhir/Patient?_sort=birthdate&_count=2");
  std::vector<std::string> seen;
  int guard = 0;
  while (true) {
    fhir::Node b = testing::parse(r.body);
    for (const auto* e : b.childrenNamed("entry")) seen.emplace_back(e->child("resource")->childValue("id"));
    std::string next;
    for (const auto* l : b.childrenNamed("link")) {
      if (l->childValue("relation") == "next") next = std::string(l->childValue("url"));
    }
    if (next.empty() || ++guard > 10) break;
    if (guard == 1) http.send("PUT", "/fhir/Patient/early", patient("early", "Z", "Z", "1900-01-01", "9"));
    r = http.get(next.substr(next.find("/fhir")));
    BOOST_REQUIRE_EQUAL(r.status, 200);
  }
  BOOST_CHECK((seen == std::vector<std::string>{"s0", "s1", "s2", "s3", "s4", "s5", "s6"}));
}

BOOST_AUTO_TEST_CASE(previous_links_go_back) {
  for (int i = 0; i < 5; ++i) create(R"({"resourceType":"Patient","birthDate":"199)" + std::to_string(i) + R"(-01-01"})");
  auto p1 = http.get("/fhir/Patient?_sort=birthdate&_count=2");
  fhir::Node b1 = testing::parse(p1.body);
  std::string next;
  for (const auto* l : b1.childrenNamed("link")) {
    if (l->childValue("relation") == "next") next = std::string(l->childValue("url"));
  }
  auto p2 = http.get(next.substr(next.find("/fhir")));
  fhir::Node b2 = testing::parse(p2.body);
  std::string prev;
  for (const auto* l : b2.childrenNamed("link")) {
    if (l->childValue("relation") == "previous") prev = std::string(l->childValue("url"));
  }
  BOOST_REQUIRE(!prev.empty());
  auto back = http.get(prev.substr(prev.find("/fhir")));
  fhir::Node b3 = testing::parse(back.body);
  BOOST_CHECK_EQUAL(b3.childrenNamed("entry").size(), 2u);
  BOOST_CHECK_EQUAL(b3.childrenNamed("entry")[0]->child("resource")->childValue("birthDate"), "1990-01-01");
}

BOOST_AUTO_TEST_CASE(includes_revincludes_and_iterate) {
  http.send("PUT", "/fhir/Organization/org", R"({"resourceType":"Organization","id":"org","name":"Practice"})");
  http.send("PUT", "/fhir/Patient/p", R"({"resourceType":"Patient","id":"p","managingOrganization":{"reference":"Organization/org"}})");
  http.send("PUT", "/fhir/CarePlan/cp", R"({"resourceType":"CarePlan","id":"cp","status":"active","intent":"plan","subject":{"reference":"Patient/p"}})");
  http.send("PUT", "/fhir/Provenance/pv", R"({"resourceType":"Provenance","id":"pv","target":[{"reference":"CarePlan/cp"}],"recorded":"2026-01-01T00:00:00Z","agent":[{"who":{"display":"x"}}]})");
  auto r = http.get("/fhir/CarePlan?patient=p&status=active&_include=CarePlan:subject&_include:iterate=Patient:organization&_revinclude=Provenance:target");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  fhir::Node b = testing::parse(r.body);
  std::set<std::string> included;
  for (const auto* e : b.childrenNamed("entry")) {
    if (e->child("search")->childValue("mode") == "include") included.insert(std::string(e->child("resource")->type->name));
  }
  BOOST_CHECK((included == std::set<std::string>{"Patient", "Organization", "Provenance"}));
  BOOST_CHECK_EQUAL(b.childValue("total"), "1");
}

BOOST_AUTO_TEST_CASE(result_parameters) {
  for (int i = 0; i < 3; ++i) create(R"({"resourceType":"Patient","active":true,"name":[{"family":"F"}],"photo":[{"contentType":"image/png"}]})");
  fhir::Node count = testing::parse(http.get("/fhir/Patient?_summary=count").body);
  BOOST_CHECK_EQUAL(count.childValue("total"), "3");
  BOOST_CHECK(count.child("entry") == nullptr);
  fhir::Node none = testing::parse(http.get("/fhir/Patient?_total=none").body);
  BOOST_CHECK(none.child("total") == nullptr);
  fhir::Node el = testing::parse(http.get("/fhir/Patient?_elements=active").body);
  const fhir::Node* res = el.child("entry")->child("resource");
  BOOST_CHECK(res->child("active") != nullptr);
  BOOST_CHECK(res->child("photo") == nullptr);
  BOOST_CHECK_EQUAL(ids("Patient?_lastUpdated=gt2000-01-01").size(), 3u);
  BOOST_CHECK_EQUAL(ids("Patient?_lastUpdated=lt2000-01-01").size(), 0u);
}

BOOST_AUTO_TEST_CASE(meta_parameters) {
  create(R"({"resourceType":"Patient","meta":{"profile":["https://onedoor.example/ics/Patient"],
    "security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}],
    "tag":[{"system":"urn:t","code":"x"}]}})");
  create(R"({"resourceType":"Patient"})");
  BOOST_CHECK_EQUAL(ids("Patient?_profile=https://onedoor.example/ics/Patient").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Patient?_security=http://terminology.hl7.org/CodeSystem/v3-ActCode|PSY").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Patient?_tag=urn:t|x").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Patient?_security:not=PSY").size(), 1u);
}

BOOST_AUTO_TEST_CASE(uri_below_and_above) {
  create(R"({"resourceType":"ValueSet","status":"active","url":"http://onedoor.example/fhir/ValueSet/sectors"})");
  BOOST_CHECK_EQUAL(ids("ValueSet?url:below=http://onedoor.example/fhir").size(), 1u);
  BOOST_CHECK_EQUAL(ids("ValueSet?url:above=http://onedoor.example/fhir/ValueSet/sectors/v2").size(), 1u);
  BOOST_CHECK_EQUAL(ids("ValueSet?url=http://onedoor.example/fhir").size(), 0u);
}

BOOST_AUTO_TEST_CASE(compartment_search) {
  http.send("PUT", "/fhir/Patient/p", R"({"resourceType":"Patient","id":"p"})");
  create(R"({"resourceType":"Observation","status":"final","code":{"text":"a"},"subject":{"reference":"Patient/p"}})");
  create(R"({"resourceType":"Observation","status":"final","code":{"text":"b"},"subject":{"reference":"Patient/q"}})");
  create(R"({"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/p"}})");
  BOOST_CHECK_EQUAL(ids("Patient/p/Observation").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Patient/p/CarePlan?status=active").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Patient/p/*").size(), 2u);
}

BOOST_AUTO_TEST_CASE(system_search_and_post_search) {
  http.send("PUT", "/fhir/Patient/p", R"({"resourceType":"Patient","id":"p"})");
  http.send("PUT", "/fhir/Organization/o", R"({"resourceType":"Organization","id":"o"})");
  BOOST_CHECK_EQUAL(ids("?_type=Patient,Organization").size(), 2u);
  BOOST_CHECK_EQUAL(ids("?_id=p").size(), 1u);
  auto r = http.request("POST", "/fhir/Patient/_search", "_id=p", {{"Content-Type", "application/x-www-form-urlencoded"}});
  BOOST_CHECK_EQUAL(r.status, 200);
  BOOST_CHECK_EQUAL(testing::parse(r.body).childValue("total"), "1");
}

BOOST_AUTO_TEST_CASE(unknown_or_malformed_parameters_are_400_unless_lenient) {
  auto r = http.get("/fhir/Patient?nonsense=1");
  BOOST_CHECK_EQUAL(r.status, 400);
  BOOST_CHECK(r.body.find("nonsense") != std::string::npos);
  auto lenient = http.get("/fhir/Patient?nonsense=1", {{"Prefer", "handling=lenient"}});
  BOOST_CHECK_EQUAL(lenient.status, 200);
  BOOST_CHECK(lenient.body.find("\"mode\":\"outcome\"") != std::string::npos);
  BOOST_CHECK_EQUAL(http.get("/fhir/Patient?birthdate=yesterday").status, 400);
  BOOST_CHECK_EQUAL(http.get("/fhir/Patient?gender:frob=x").status, 400);
  BOOST_CHECK_EQUAL(http.get("/fhir/Patient?_count=-1").status, 400);
  BOOST_CHECK_EQUAL(http.get("/fhir/Patient?_sort=nonsense").status, 400);
  BOOST_CHECK_EQUAL(http.get("/fhir/Patient?_cursor=garbage").status, 400);
}

BOOST_AUTO_TEST_CASE(injection_attempts_are_only_values) {
  create(R"({"resourceType":"Patient","name":[{"family":"O'Brien"}]})");
  BOOST_CHECK_EQUAL(ids("Patient?family=o%27brien").size(), 1u);
  BOOST_CHECK_EQUAL(ids("Patient?family=x%27%20OR%20%271%27%3D%271").size(), 0u);
  BOOST_CHECK_EQUAL(ids("Patient?_id=1%27)%20OR%20(1%3D1").size(), 0u);
  BOOST_CHECK_EQUAL(ids("Patient?family:contains=%25").size(), 0u);
  BOOST_CHECK_EQUAL(ids("Patient?family:contains=_").size(), 0u);
  BOOST_CHECK_EQUAL(ids("Patient").size(), 1u);  // the table is still there
}

BOOST_AUTO_TEST_CASE(conditional_create_under_concurrency_creates_one) {
  const std::string body = R"({"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]})";
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, existing{0};
  const std::string token = gw.token();
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&] {
      HttpClient c(gw.port(), token);
      auto r = c.send("POST", "/fhir/Patient", body, {{"If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}});
      if (r.status == 201) ++created;
      if (r.status == 200) ++existing;
    });
  }
  for (auto& t : threads) t.join();
  BOOST_CHECK_EQUAL(created.load(), 1);
  BOOST_CHECK_EQUAL(existing.load(), 11);
  BOOST_CHECK_EQUAL(ids("Patient?identifier=9434765919").size(), 1u);
}

BOOST_AUTO_TEST_CASE(conditional_update_and_delete) {
  auto c = http.send("PUT", "/fhir/Patient?identifier=urn:x|1", R"({"resourceType":"Patient","identifier":[{"system":"urn:x","value":"1"}],"active":true})");
  BOOST_CHECK_EQUAL(c.status, 201);
  auto u = http.send("PUT", "/fhir/Patient?identifier=urn:x|1", R"({"resourceType":"Patient","identifier":[{"system":"urn:x","value":"1"}],"active":false})");
  BOOST_CHECK_EQUAL(u.status, 200);
  BOOST_CHECK_EQUAL(u.header("ETag"), "W/\"2\"");
  http.send("POST", "/fhir/Patient", R"({"resourceType":"Patient","identifier":[{"system":"urn:x","value":"2"}]})");
  http.send("POST", "/fhir/Patient", R"({"resourceType":"Patient","identifier":[{"system":"urn:x","value":"2"}]})");
  BOOST_CHECK_EQUAL(http.send("PUT", "/fhir/Patient?identifier=urn:x|2", R"({"resourceType":"Patient"})").status, 412);
  BOOST_CHECK_EQUAL(http.request("DELETE", "/fhir/Patient?identifier=urn:x|1").status, 200);
  BOOST_CHECK_EQUAL(ids("Patient?identifier=urn:x|1").size(), 0u);
  BOOST_CHECK_EQUAL(http.request("DELETE", "/fhir/Patient?identifier=urn:x|2").status, 412);
}

BOOST_AUTO_TEST_CASE(transaction_with_conditional_references_and_if_none_exist) {
  http.send("PUT", "/fhir/Patient/gp-pat", R"({"resourceType":"Patient","id":"gp-pat","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}]})");
  const std::string tx = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000001","resource":{"resourceType":"Organization","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"A81001"}]},
     "request":{"method":"POST","url":"Organization","ifNoneExist":"identifier=https://fhir.nhs.uk/Id/ods-organization-code|A81001"}},
    {"resource":{"resourceType":"ServiceRequest","status":"active","intent":"order",
      "subject":{"reference":"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"},
      "requester":{"reference":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000001"}},
     "request":{"method":"POST","url":"ServiceRequest"}}]})";
  auto r1 = http.send("POST", "/fhir", tx);
  BOOST_REQUIRE_EQUAL(r1.status, 200);
  auto r2 = http.send("POST", "/fhir", tx);
  BOOST_REQUIRE_EQUAL(r2.status, 200);
  BOOST_CHECK_EQUAL(ids("Organization").size(), 1u);  // ifNoneExist matched the second time
  auto sr = ids("ServiceRequest?subject=Patient/gp-pat");
  BOOST_CHECK_EQUAL(sr.size(), 2u);
  std::string org = ids("Organization").front();
  BOOST_CHECK_EQUAL(ids("ServiceRequest?requester=Organization/" + org).size(), 2u);
}

BOOST_AUTO_TEST_SUITE_END()

#include "app/gateway.h"
#include "storage/sql_store.h"

BOOST_AUTO_TEST_SUITE(Reindex)

BOOST_AUTO_TEST_CASE(the_index_is_rebuilt_when_the_parameter_definitions_change) {
  testing::TestGateway gw("", "", {}, [](const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir / "db");
    auto store = storage::openSqliteStore((dir / "db/onedoor.db").string(), {});
    BOOST_REQUIRE(store.isOk());
    // A resource written without index rows, and a fingerprint from other definitions.
    BOOST_REQUIRE((*store)->write([](storage::WriteTx& tx) {
      storage::ResourceRecord r;
      r.type = "Patient";
      r.id = "old";
      r.version = 1;
      r.last_updated = "2026-01-01T00:00:00.000Z";
      r.method = "PUT";
      r.json = R"({"resourceType":"Patient","id":"old","name":[{"family":"Legacy"}]})";
      return tx.put(r, {});
    }).isOk());
    BOOST_REQUIRE((*store)->setMeta("search_fingerprint", "definitions-of-another-day").isOk());
  });
  testing::HttpClient http(gw.port(), gw.token());
  auto r = http.get("/fhir/Patient?family=legacy");
  BOOST_CHECK_EQUAL(testing::parse(r.body).childValue("total"), "1");
  auto stored = gw.gateway().store().getMeta("search_fingerprint");
  BOOST_CHECK(stored.isOk() && *stored && **stored != "definitions-of-another-day");
}

BOOST_AUTO_TEST_SUITE_END()
