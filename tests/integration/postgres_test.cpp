// The store on a real PostgreSQL server (scripts/start-postgres.sh; ONEDOOR_TEST_POSTGRES_URL):
// the REST API over it, and several gateways over one database — the way OneDoor scales out —
// sharing the outbox (each message delivered once by whichever gateway's worker leases it) and the
// ledger of processed messages (a message re-sent to another gateway is not taken twice).
#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <Poco/Data/Session.h>
#include <Poco/Net/ServerSocket.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "support/test_receiver.h"
#include "support/test_support.h"

using namespace onedoor;
using testing::created;
using testing::json;
using testing::TestPartner;
using testing::TestReceiver;

namespace {

std::string postgresStorage(const std::string& url) {
  return R"("storage": {"driver": "postgresql", "postgres_url": ")" + url + R"("})";
}

std::string message(const std::string& id) {
  return R"({"resourceType": "Bundle", "id": ")" + id + R"(", "type": "message", "timestamp": "2026-11-24T10:00:00Z",
    "entry": [{"fullUrl": "urn:uuid:)" + id + R"(-h", "resource": {"resourceType": "MessageHeader",
      "eventCoding": {"system": "https://onedoor.dev/test", "code": "ward-notice"}, "source": {"endpoint": "https://sender.example"}}},
      {"fullUrl": "urn:uuid:)" + id + R"(-c", "resource": {"resourceType": "Communication", "status": "completed",
      "payload": [{"contentString": "notice )" + id + R"("}]}}]})";
}

// The partner "ward", sent FHIR messages at `ward` (`more`: further delivery settings).
std::vector<TestPartner> wardPartner(const TestReceiver& ward, const std::string& more = "") {
  return {{"ward", "acute", {"TREAT"}, {"system/*.rs"}, "RXW", "",
           R"({"transport": "fhir-message", "endpoint": ")" + ward.url() + R"(", "timeout_ms": 3000)" + more + "}"}};
}

// A gateway's configuration on the PostgreSQL database at `url`, routing ward notices to "ward".
std::string wardNotices(const std::string& url) {
  return postgresStorage(url) + R"(, "delivery": {"workers": 4, "poll_ms": 20},
    "routes": [{"name": "notices", "event": "ward-notice", "to": ["ward"]}])";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(PostgreSql)

BOOST_AUTO_TEST_CASE(rest_api_over_postgresql) {
  auto url = testing::freshPostgres();
  if (!url) return;
  testing::TestGateway gw("", postgresStorage(*url));
  BOOST_CHECK_EQUAL(gw.gateway().store().driver(), "postgresql");
  auto c = gw.client(gw.token());
  std::string patient = R"({"resourceType": "Patient", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number",
    "value": "9434765919"}], "name": [{"family": "O'Brien", "given": ["Siobhán"]}], "birthDate": "1981-03-07"})";
  std::string id = created(c.send("POST", "/fhir/Patient", patient));
  auto read = c.get("/fhir/Patient/" + id);
  BOOST_REQUIRE_EQUAL(read.status, 200);
  BOOST_CHECK(read.body.find("Siobhán") != std::string::npos);
  auto found = json(c.get("/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919&_total=accurate"));
  BOOST_CHECK_EQUAL(found["total"].GetInt(), 1);
  auto by_name = json(c.get("/fhir/Patient?family=o'brien"));
  BOOST_CHECK_EQUAL(by_name["entry"].Size(), 1u);
  // Conditional create finds it; an update makes version 2 in the history.
  auto again = c.request("POST", "/fhir/Patient", patient,
                         {{"Content-Type", "application/fhir+json"},
                          {"If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}});
  BOOST_CHECK_EQUAL(again.status, 200);
  auto doc = json(read);
  doc["birthDate"].SetString("1981-03-08");
  BOOST_CHECK_EQUAL(c.send("PUT", "/fhir/Patient/" + id, testing::jsonText(doc)).status, 200);
  auto history = json(c.get("/fhir/Patient/" + id + "/_history"));
  BOOST_CHECK_EQUAL(history["entry"].Size(), 2u);
  // Injection attempts stay data.
  auto hostile = c.get("/fhir/Patient?family=x'%3B%20DROP%20TABLE%20outbox%3B--");
  BOOST_CHECK_EQUAL(hostile.status, 200);
  BOOST_CHECK_EQUAL(c.get("/fhir/Patient/" + id).status, 200);
}

// Two gateways on one database upsert the same person at once (by a partner identifier, and by
// the NHS number with another partner's identifier): one Patient, with both identifiers. The
// matching runs under an advisory lock held to the commit.
BOOST_AUTO_TEST_CASE(two_gateways_upserting_one_person_make_one_patient) {
  auto url = testing::freshPostgres();
  if (!url) return;
  testing::TestGateway a("", postgresStorage(*url));
  testing::TestGateway b("", postgresStorage(*url));
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      testing::TestGateway& gw = i % 2 == 0 ? a : b;
      auto c = gw.client(gw.token());
      std::string local = i % 2 == 0 ? "https://riverside.example/Id/patient|GP-PG-1" : "https://onedoor.dev/Id/acute-general/mrn|RX1-PG-1";
      auto bar = local.find('|');
      auto r = c.request("PUT", "/fhir/Patient?identifier=" + local,
                         R"({"resourceType": "Patient", "identifier": [{"system": ")" + local.substr(0, bar) + R"(", "value": ")" +
                             local.substr(bar + 1) + R"("}, {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000001188"}],
                             "name": [{"family": "Parallel", "given": ["Pat"]}], "birthDate": "1966-06-06"})",
                         {{"Content-Type", "application/fhir+json"}});
      if (r.status != 200 && r.status != 201) {
        BOOST_TEST_MESSAGE("upsert answered " << r.status << ": " << r.body);
        ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_CHECK_EQUAL(bad.load(), 0);
  auto c = a.client(a.token());
  auto found = json(c.get("/fhir/Patient?family=Parallel&_total=accurate"));
  BOOST_REQUIRE_EQUAL(found["total"].GetInt(), 1);
  std::string ids = testing::jsonText(found["entry"][0]["resource"]["identifier"]);
  BOOST_CHECK(ids.find("GP-PG-1") != std::string::npos);
  BOOST_CHECK(ids.find("RX1-PG-1") != std::string::npos);
}

// Merges and $match on PostgreSQL: the references found through the search index, the merge
// record kept and undone, the review list written.
BOOST_AUTO_TEST_CASE(merge_unmerge_and_match_over_postgresql) {
  auto url = testing::freshPostgres();
  if (!url) return;
  std::vector<TestPartner> partners = {{"ops-team", "operator", {"TREAT"}, {"system/*.rs"}, "", "", ""}};
  testing::TestGateway gw("", postgresStorage(*url), partners);
  auto c = gw.client(gw.token());
  std::string keep = created(c.send("POST", "/fhir/Patient", R"({"resourceType": "Patient",
      "name": [{"family": "Brown", "given": ["Peter"]}], "gender": "male", "birthDate": "1950-01-01", "address": [{"postalCode": "LS1 4AP"}]})"));
  std::string dup = created(c.send("POST", "/fhir/Patient", R"({"resourceType": "Patient",
      "name": [{"family": "Broun", "given": ["Pete"]}], "gender": "male", "birthDate": "1950-10-01"})"));
  BOOST_REQUIRE_NE(keep, dup);
  std::string enc = created(c.send("POST", "/fhir/Encounter", R"({"resourceType": "Encounter", "status": "finished",
      "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}, "subject": {"reference": "Patient/)" +
                                                                  dup + R"("}})"));
  auto ops = gw.client(gw.token("ops-team"));
  std::string pair = R"({"resourceType": "Parameters", "parameter": [
      {"name": "source-patient", "valueReference": {"reference": "Patient/)" + dup + R"("}},
      {"name": "target-patient", "valueReference": {"reference": "Patient/)" + keep + R"("}}]})";
  auto merged = ops.send("POST", "/fhir/Patient/$merge", pair);
  BOOST_REQUIRE_MESSAGE(merged.status == 200, merged.body);
  BOOST_CHECK_EQUAL(std::string(json(c.get("/fhir/Encounter/" + enc))["subject"]["reference"].GetString()), "Patient/" + keep);
  auto undone = ops.send("POST", "/fhir/Patient/$unmerge", pair);
  BOOST_REQUIRE_MESSAGE(undone.status == 200, undone.body);
  BOOST_CHECK_EQUAL(std::string(json(c.get("/fhir/Encounter/" + enc))["subject"]["reference"].GetString()), "Patient/" + dup);
  // A near miss without a postcode: a new record, listed for review; $match grades it.
  auto near = c.send("POST", "/fhir/Patient", R"({"resourceType": "Patient",
      "name": [{"family": "Browne", "given": ["Peter"]}], "gender": "male", "birthDate": "1950-01-01", "address": [{"postalCode": "LS1 9ZZ"}]})");
  BOOST_CHECK_EQUAL(near.status, 201);
  auto review = testing::runOnedoor({"identity", "review", "--config", (gw.dir() / "onedoor.json").string(), "--json"});
  BOOST_CHECK_MESSAGE(review.code == 0 && review.out.find("Patient/" + keep) != std::string::npos, review.out + review.err);
  auto match = json(c.send("POST", "/fhir/Patient/$match", R"({"resourceType": "Parameters", "parameter": [{"name": "resource",
      "resource": {"resourceType": "Patient", "name": [{"family": "Brown", "given": ["Peter"]}], "gender": "male",
      "birthDate": "1950-01-01", "address": [{"postalCode": "LS1 4AP"}]}}]})"));
  BOOST_REQUIRE(match.HasMember("entry"));
  BOOST_CHECK_EQUAL(std::string(match["entry"][0]["search"]["extension"][0]["valueCode"].GetString()), "certain");
}

BOOST_AUTO_TEST_CASE(two_gateways_share_the_outbox_and_the_message_ledger) {
  auto url = testing::freshPostgres();
  if (!url) return;
  TestReceiver ward;
  testing::TestGateway a("", wardNotices(*url), wardPartner(ward));
  testing::TestGateway b("", wardNotices(*url), wardPartner(ward));
  auto ca = a.client(a.token());
  auto cb = b.client(b.token());
  const int n = 60;
  std::thread ta([&] {
    for (int i = 0; i < n; i += 2) {
      auto r = ca.send("POST", "/fhir/$process-message", message("pg-" + std::to_string(i)));
      BOOST_CHECK_MESSAGE(r.status == 200, r.body);
    }
  });
  for (int i = 1; i < n; i += 2) {
    auto r = cb.send("POST", "/fhir/$process-message", message("pg-" + std::to_string(i)));
    BOOST_CHECK_MESSAGE(r.status == 200, r.body);
  }
  ta.join();
  // The same sender re-sends a message gateway A took to gateway B: answered, not taken again.
  auto resent = cb.send("POST", "/fhir/$process-message", message("pg-0"));
  BOOST_CHECK_EQUAL(resent.status, 200);
  BOOST_REQUIRE(ward.waitTaken(n, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  BOOST_CHECK_EQUAL(ward.taken(), static_cast<std::size_t>(n));
  // Each message sent once: no two workers (of either gateway) had the same message at once.
  BOOST_CHECK_EQUAL(ward.received().size(), static_cast<std::size_t>(n));
  auto delivered = a.gateway().outbox().list("delivered", "ward", 1000);
  BOOST_REQUIRE(delivered.isOk());
  BOOST_CHECK_EQUAL(delivered->size(), static_cast<std::size_t>(n));
  auto pending = b.gateway().outbox().list("pending", "ward", 1000);
  BOOST_REQUIRE(pending.isOk());
  BOOST_CHECK(pending->empty());
}

// Messages about one patient accepted by two gateways in turn are delivered in the order they were
// accepted, each once: each waits, held, for the one ahead of it, whichever gateway sends that one;
// the first answers 503 once (a retry holds the rest back).
BOOST_AUTO_TEST_CASE(two_gateways_deliver_one_patients_messages_in_order) {
  auto url = testing::freshPostgres();
  if (!url) return;
  TestReceiver ward;
  ward.answer({503});
  const std::string backoff = R"(, "backoff_initial_ms": 50, "backoff_max_ms": 100)";
  testing::TestGateway a("", wardNotices(*url), wardPartner(ward, backoff));
  testing::TestGateway b("", wardNotices(*url), wardPartner(ward, backoff));
  auto ca = a.client(a.token());
  auto cb = b.client(b.token());
  std::string patient = testing::created(ca.send("POST", "/fhir/Patient", R"({"resourceType": "Patient",
      "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000002044"}],
      "name": [{"family": "Inorder", "given": ["Ola"]}], "birthDate": "1970-01-01"})"));
  const int n = 12;
  for (int i = 0; i < n; ++i) {
    std::string id = "po-" + std::to_string(100 + i);
    std::string body = message(id);
    body.replace(body.find(R"("status": "completed",)"), 22,
                 R"("status": "completed", "subject": {"reference": "Patient/)" + patient + R"("},)");
    auto r = (i % 2 == 0 ? ca : cb).send("POST", "/fhir/$process-message", body);
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  }
  BOOST_REQUIRE(ward.waitTaken(n, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<std::string> order;
  for (const auto& got : ward.received()) {
    std::size_t at = got.body.find("notice po-");
    if (at != std::string::npos && got.answered < 300) order.push_back(got.body.substr(at + 7, 6));
  }
  std::vector<std::string> expected;
  for (int i = 0; i < n; ++i) expected.push_back("po-" + std::to_string(100 + i));
  BOOST_CHECK_EQUAL_COLLECTIONS(order.begin(), order.end(), expected.begin(), expected.end());
}

// A gateway killed while it was sending (SIGKILL, its receiver never answering): the messages it
// had leased go to another gateway once it has missed five heartbeats, not after its lease (ten
// minutes here).
BOOST_AUTO_TEST_CASE(a_killed_gateways_leased_messages_go_to_another_after_five_missed_heartbeats) {
  auto url = testing::freshPostgres();
  if (!url) return;
  // Gateway C, a process of its own, sends to an endpoint that takes the connection and never answers.
  Poco::Net::ServerSocket black_hole(Poco::Net::SocketAddress("127.0.0.1", 0));
  testing::TempDir dir;
  std::uint16_t port = testing::freePort();
  const std::string delivery = R"("delivery": {"poll_ms": 20, "heartbeat_ms": 200, "lease_ms": 600000})";
  std::ofstream(dir.path() / "onedoor.json") << R"({"server": {"host": "127.0.0.1", "port": )" << port
      << R"(, "allow_plain_http": true}, )" << postgresStorage(*url) << R"(, "audit": {"sqlite_path": "audit.db"},
    "auth": {"required": false}, "consent": {"policy": ")" ONEDOOR_SOURCE_DIR R"(/config/policy.sample.json"},
    "partners": [{"id": "ward", "sector": "acute", "ods": "RXW", "purposes": ["TREAT"], "scopes": ["system/*.rs"],
      "delivery": {"transport": "fhir-message", "endpoint": "http://127.0.0.1:)"
      << black_hole.address().port() << R"(/fhir", "timeout_ms": 60000}}], )" << delivery << R"(,
    "routes": [{"name": "notices", "event": "ward-notice", "to": ["ward"]}]})";
  auto c = testing::serveProcess(dir.path(), port);
  testing::HttpClient to_c(port);
  for (int i = 0; i < 3; ++i) {
    auto r = to_c.send("POST", "/fhir/$process-message", message("gone-" + std::to_string(i)));
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  }
  // Leased by C and on their way when it dies.
  Poco::Data::Session db("PostgreSQL", *url);
  int leased = 0;
  for (int i = 0; i < 100 && leased == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    db << "SELECT COUNT(*) FROM outbox WHERE lease_owner <> '' AND lease_until_ms > 0", Poco::Data::Keywords::into(leased),
        Poco::Data::Keywords::now;
  }
  BOOST_REQUIRE_GT(leased, 0);
  Poco::Process::kill(*c);
  c->wait();
  // Gateway B, on the same database, delivers them to the partner's real endpoint.
  TestReceiver ward;
  std::vector<TestPartner> partners = {
      {"ward", "acute", {"TREAT"}, {"system/*.rs"}, "RXW", "",
       R"({"transport": "fhir-message", "endpoint": ")" + ward.url() + R"(", "timeout_ms": 3000})"}};
  auto started = std::chrono::steady_clock::now();
  testing::TestGateway b("", postgresStorage(*url) + ", " + delivery +
                                 R"(, "routes": [{"name": "notices", "event": "ward-notice", "to": ["ward"]}])",
                         partners);
  BOOST_REQUIRE(ward.waitTaken(3, std::chrono::seconds(20)));
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  BOOST_TEST_MESSAGE("delivered by the other gateway after " << waited.count() << " ms");
  BOOST_CHECK_LT(waited.count(), 20'000);
  // The receiver has them; the settler records them as delivered in its next commit.
  auto delivered = b.gateway().outbox().list("delivered", "ward", 10);
  for (int i = 0; i < 100 && delivered.isOk() && delivered->size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    delivered = b.gateway().outbox().list("delivered", "ward", 10);
  }
  BOOST_REQUIRE(delivered.isOk());
  BOOST_CHECK_EQUAL(delivered->size(), 3u);
  // Operators see the take-over: the messages it released from the silent gateway.
  auto metrics = b.client().get("/metrics");
  const std::string counter = "\nonedoor_outbox_taken_over_total ";
  auto at = metrics.body.find(counter);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, metrics.body);
  BOOST_CHECK_GE(std::stoi(metrics.body.substr(at + counter.size())), leased);  // more may have been leased by the kill
}

BOOST_AUTO_TEST_SUITE_END()
