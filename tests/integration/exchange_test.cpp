// Exchange end to end: FHIR messages accepted with $process-message, routed by the routing table,
// decided per recipient by the sample ICS policy and the patients' Consents, kept in the outbox in
// the same transaction, and delivered by the workers to real receivers on loopback ports — with
// receivers that fail, hang, refuse or are down, dead letters and replay.
#include <Poco/Data/Session.h>
#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>


#include "hl7v2/message.h"
#include "mllp/mllp_server.h"
#include "support/test_receiver.h"
#include "support/test_support.h"

using namespace onedoor;
using testing::created;
using testing::json;
using testing::HttpClient;
using testing::HttpResponse;
using testing::TestPartner;
using testing::TestReceiver;

namespace {

std::string fhirMessage(const std::string& delivery_url, const std::string& extra = "") {
  return R"({"transport": "fhir-message", "endpoint": ")" + delivery_url +
         R"(", "backoff_initial_ms": 20, "backoff_max_ms": 80)" + (extra.empty() ? R"(, "timeout_ms": 2000)" : extra) + "}";
}

// The gateway shared by the tests here: the sample policy, partners as in the ICS, each receiving
// partner with a receiver of its own.
// The community mental health team's system takes HL7 v2 over MLLP: a receiver that keeps what it
// gets and answers AA.
struct MllpReceiver {
  std::mutex mu;
  std::vector<std::string> messages;
  std::unique_ptr<mllp::MllpServer> server;
  MllpReceiver() {
    config::MllpConfig c;
    c.port = 0;
    c.partner = "cmht-north";
    auto s = mllp::MllpServer::start(c, [this](const std::string& text) {
      auto m = hl7v2::parse(text);
      std::lock_guard lock(mu);
      messages.push_back(text);
      return m.isOk() ? hl7v2::write(hl7v2::acknowledgement(*m, "AA", "", "ACK1", "20261123120000")) : std::string();
    });
    BOOST_REQUIRE_MESSAGE(s.isOk(), s.status().message());
    server = std::move(s).value();
  }
  ~MllpReceiver() { server->stop(); }
  std::size_t count() {
    std::lock_guard lock(mu);
    return messages.size();
  }
};

// An outbound map for the CMHT: the discharge message as a minimal ADT^A03.
constexpr const char* kBundleToAdt = R"(map "https://onedoor.dev/test/bundle-to-adt" = "BundleToAdt"
uses "http://hl7.org/fhir/StructureDefinition/Bundle" alias Bundle as source
uses "https://onedoor.dev/hl7v2/ADT_A03" alias ADT as target
group Main(source b : Bundle, target msg : ADT) {
  b -> msg.MSH as msh, msh.F3 = 'ONEDOOR', msh.F9 as t, t.C1 = 'ADT', t.C2 = 'A03', msh.F10 = 'D1', msh.F11 = 'P', msh.F12 = '2.4' "msh";
  b.entry as e where resource is Patient then {
    e.resource as p then {
      p.identifier as i where system = 'https://fhir.nhs.uk/Id/nhs-number' -> msg.PID as pid, pid.F3 as cx, cx.C1 = (%i.value), cx.C5 = 'NH' "pid";
    } "person";
  } "patient";
}
)";

struct Exchange {
  TestReceiver gp_rx, spa_rx, vcfse_rx, flaky_rx, poison_rx, slow_rx, returns_rx, crisis_rx, eating_rx, perinatal_rx, walks_rx,
      audited_rx;
  MllpReceiver cmht_rx;
  testing::TempDir maps;
  std::unique_ptr<testing::TestGateway> gw;

  Exchange() {
    std::ofstream(maps.path() / "bundle-to-adt.map") << kBundleToAdt;
    std::vector<TestPartner> partners = {
        {"gp-riverside", "gp", {"TREAT"}, {"system/*.cruds"}, "Y12345", "", fhirMessage(gp_rx.url())},
        {"mh-spa", "mental-health", {"TREAT"}, {"system/*.cruds"}, "RX4", "", fhirMessage(spa_rx.url())},
        {"vcfse-befriending", "vcfse", {"TREAT"}, {"system/Patient.rs", "system/ServiceRequest.rs"}, "VCF01", "",
         R"({"transport": "http", "endpoint": ")" + vcfse_rx.url("/referrals") + R"(", "map": ")" ONEDOOR_SOURCE_DIR
         R"(/mappings/vcfse/referral-out-csv.map", "backoff_initial_ms": 20, "backoff_max_ms": 80})"},
        {"flaky-ward", "acute", {"TREAT"}, {"system/*.rs"}, "RX1F", "",
         fhirMessage(flaky_rx.url(), R"(, "max_attempts": 3, "breaker_failures": 100, "timeout_ms": 2000)")},
        // Down for a while in one test: however slow the machine, neither the attempts nor the
        // circuit breaker (30 s open by default) run out before it is back.
        {"poison-ward", "acute", {"TREAT"}, {"system/*.rs"}, "RX1P", "",
         fhirMessage(poison_rx.url(), R"(, "max_attempts": 1000, "breaker_failures": 1000, "timeout_ms": 2000)")},
        {"slow-ward", "acute", {"TREAT"}, {"system/*.rs"}, "RX1S", "",
         fhirMessage(slow_rx.url(), R"(, "timeout_ms": 300, "max_attempts": 2)")},
        {"acute-pas", "acute", {"TREAT"}, {"system/*.cruds"}, "RX1", "", ""},
        {"returns-ward", "acute", {"TREAT"}, {"system/*.rs"}, "RX1R", "",
         fhirMessage(returns_rx.url(), R"(, "max_attempts": 1, "timeout_ms": 2000)")},
        {"mh-crisis", "mental-health", {"TREAT"}, {"system/*.rs"}, "RX4R", "", fhirMessage(crisis_rx.url())},
        {"mh-eating", "mental-health", {"TREAT"}, {"system/*.rs"}, "RX4E", "", fhirMessage(eating_rx.url())},
        {"mh-perinatal", "mental-health", {"TREAT"}, {"system/*.rs"}, "RX4P", "", fhirMessage(perinatal_rx.url())},
        {"vcfse-walks", "vcfse", {"TREAT"}, {"system/Patient.rs"}, "VCF02", "",
         R"({"transport": "http", "endpoint": ")" + walks_rx.url("/referrals") + R"(", "map": ")" ONEDOOR_SOURCE_DIR
         R"(/mappings/vcfse/referral-out-csv.map", "backoff_initial_ms": 20, "backoff_max_ms": 50, "max_attempts": 1000,
            "breaker_failures": 1000})"},
        {"audited-ward", "acute", {"TREAT"}, {"system/*.rs"}, "RX1A", "", fhirMessage(audited_rx.url())},
        {"ops-team", "operator", {"TREAT"}, {"system/*.rs"}, "", "", ""},
        {"cmht-north", "mental-health", {"TREAT"}, {"system/*.rs"}, "RX4C", "",
         R"({"transport": "mllp", "endpoint": "127.0.0.1:)" + std::to_string(cmht_rx.server->port()) + R"(", "map": ")" +
             (maps.path() / "bundle-to-adt.map").string() + R"("})"},
    };
    std::string routes = R"json("delivery": {"poll_ms": 50, "workers": 2},
      "routes": [
        {"name": "referral-to-spa", "event": "servicerequest-request",
         "when": "entry.resource.ofType(ServiceRequest).exists()", "to": ["mh-spa"]},
        {"name": "response-to-requester", "event": "servicerequest-response",
         "to_ods": "entry.resource.ofType(Task).requester.identifier.value"},
        {"name": "befriending", "event": "befriending-referral", "to": ["vcfse-befriending"]},
        {"name": "flaky", "event": "test-flaky", "to": ["flaky-ward"]},
        {"name": "poison", "event": "test-poison", "to": ["poison-ward"]},
        {"name": "slow", "event": "test-slow", "to": ["slow-ward"]},
        {"name": "returns", "event": "test-returns", "to": ["returns-ward"]},
        {"name": "reassigned", "event": "servicerequest-reassign",
         "to_ods": "entry.resource.ofType(Task).owner.identifier.value | entry.resource.ofType(Task).requester.identifier.value"},
        {"name": "walks", "event": "walks-referral", "to": ["vcfse-walks"]},
        {"name": "audited", "event": "test-audited", "to": ["audited-ward"]},
        {"name": "care-plan-to-open-episodes", "event": "careplan-update",
         "to_search": "EpisodeOfCare?status=active&patient={patient}"},
        {"name": "discharge", "event": "http://terminology.hl7.org/CodeSystem/v2-0003|A03",
         "to": ["gp-riverside", "cmht-north", "vcfse-befriending"]}
      ],
      "mllp": [{"port": 0, "partner": "acute-pas", "map": ")json" ONEDOOR_SOURCE_DIR R"json(/mappings/acute/adt-to-message.map"}])json";
    gw = std::make_unique<testing::TestGateway>("", routes, partners, nullptr,
                                                testing::readFile(ONEDOOR_SOURCE_DIR "/config/policy.sample.json"));
  }

  HttpClient as(const std::string& partner) { return gw->client(gw->token(partner)); }
  const stages::deliver::Outbox& outbox() { return gw->gateway().outbox(); }

  // Waits until the outbox has `n` messages to `destination` in `state`.
  bool waitState(const std::string& destination, const std::string& state, std::size_t n,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      auto rows = outbox().list(state, destination, 100);
      if (rows.isOk() && rows->size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
};

Exchange& exchange() {
  static Exchange instance;
  return instance;
}

std::string patientJson(const std::string& nhs, const std::string& family) {
  return R"({"resourceType": "Patient", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": ")" + nhs +
         R"("}], "name": [{"use": "official", "family": ")" + family + R"(", "given": ["Amira"]}],
         "telecom": [{"system": "phone", "value": "07700 900123"}], "gender": "female", "birthDate": "1990-04-02"})";
}

// A message Bundle: MessageHeader (event `event`), then `resources` (JSON objects, comma-separated).
std::string message(const std::string& id, const std::string& event, const std::string& resources) {
  return R"({"resourceType": "Bundle", "id": ")" + id + R"(", "type": "message", "timestamp": "2026-11-23T10:00:00Z",
    "entry": [{"fullUrl": "urn:uuid:)" + id + R"(-header", "resource": {"resourceType": "MessageHeader",
      "eventCoding": {"system": "https://fhir.nhs.uk/CodeSystem/message-events-bars", "code": ")" + event + R"("},
      "source": {"endpoint": "https://sender.example/fhir"}}})" + resources + "]}";
}

std::string referral(const std::string& id, const std::string& patient, const std::string& note) {
  return R"(, {"fullUrl": "urn:uuid:)" + id + R"(-sr", "resource": {"resourceType": "ServiceRequest", "status": "active",
    "intent": "order", "identifier": [{"system": "https://riverside.example/referrals", "value": ")" + id + R"("}],
    "subject": {"reference": "Patient/)" + patient + R"("}, "authoredOn": "2026-11-23",
    "requester": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"}},
    "code": {"text": "Referral"}, "note": [{"text": ")" + note + R"("}]}})";
}

HttpResponse post(HttpClient& c, const std::string& body) {
  return c.request("POST", "/fhir/$process-message", body, {{"Content-Type", "application/fhir+json"}});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ExchangeEndToEnd)

// S1: the GP refers to the mental health Single Point of Access; the message is acknowledged
// once stored, delivered once (a re-send is answered as before and not delivered again), and the
// SPA's accepted Task goes back to the GP, routed by the Task's requester.
BOOST_AUTO_TEST_CASE(s1_referral_to_spa_and_accepted_task_back_to_gp) {
  Exchange& x = exchange();
  auto gp = x.as("gp-riverside");
  std::string patient = created(gp.send("POST", "/fhir/Patient", patientJson("9000000017", "Okafor")));
  std::string body = message("ref-s1-0001", "servicerequest-request", referral("ref-s1-0001", patient, "Low mood"));
  // BaRS: X-Request-Id and X-Correlation-Id are mirrored back; the conversation's id goes on
  // with the delivery.
  const std::string correlation = "5b1b6e4e-8f0c-4c53-9d59-0a4f3c2f7a11";
  auto ack = gp.request("POST", "/fhir/$process-message", body,
                        {{"Content-Type", "application/fhir+json"}, {"X-Request-Id", "0e0d1b5c-1f7e-4a53-8e4a-6b3f2d9c1a01"},
                         {"X-Correlation-Id", correlation}});
  BOOST_REQUIRE_MESSAGE(ack.status == 200, ack.body);
  BOOST_CHECK_EQUAL(ack.header("X-Request-Id"), "0e0d1b5c-1f7e-4a53-8e4a-6b3f2d9c1a01");
  BOOST_CHECK_EQUAL(ack.header("X-Correlation-Id"), correlation);
  auto response = json(ack);
  BOOST_CHECK_EQUAL(std::string(response["type"].GetString()), "message");
  const auto& header = response["entry"][0]["resource"];
  BOOST_CHECK_EQUAL(std::string(header["response"]["identifier"].GetString()), "ref-s1-0001");
  BOOST_CHECK_EQUAL(std::string(header["response"]["code"].GetString()), "ok");
  BOOST_REQUIRE(x.spa_rx.waitTaken(1));
  auto got = x.spa_rx.received();
  BOOST_CHECK_EQUAL(got.front().path, "/fhir/$process-message");
  BOOST_CHECK_EQUAL(got.front().idempotency_key, "ref-s1-0001/mh-spa");
  BOOST_CHECK_EQUAL(got.front().correlation_id, correlation);
  BOOST_CHECK(got.front().body.find("Low mood") != std::string::npos);
  // Sent again: the same answer, nothing delivered twice.
  auto again = post(gp, body);
  BOOST_CHECK_EQUAL(again.status, 200);
  BOOST_CHECK_EQUAL(again.body, ack.body);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  BOOST_CHECK_EQUAL(x.spa_rx.received().size(), 1u);
  BOOST_CHECK(x.waitState("mh-spa", "delivered", 1));
  // ... and its routing to the SPA is in the audit log once: the copy disclosed nothing.
  auto routed = testing::runOnedoor({"audit", "query", "--config", (x.gw->dir() / "onedoor.json").string(), "--agent",
                                     "mh-spa", "--ndjson"});
  std::size_t routing_records = 0;
  std::istringstream lines(routed.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"ref-s1-0001\"") != std::string::npos && line.find("\"code\":\"route\"") != std::string::npos) {
      ++routing_records;
    }
  }
  BOOST_CHECK_MESSAGE(routing_records == 1, routed.out);
  // The SPA accepts: a Task pointing at the referral, back to the requester (the GP by ODS).
  auto spa = x.as("mh-spa");
  std::string task = R"(, {"fullUrl": "urn:uuid:task-s1", "resource": {"resourceType": "Task", "status": "accepted",
    "intent": "order", "for": {"reference": "Patient/)" + patient + R"("},
    "requester": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"}},
    "focus": {"identifier": {"value": "ref-s1-0001"}}}})";
  auto accepted = post(spa, message("resp-s1-0001", "servicerequest-response", task));
  BOOST_REQUIRE_MESSAGE(accepted.status == 200, accepted.body);
  BOOST_REQUIRE(x.gp_rx.waitTaken(1));
  BOOST_CHECK(x.gp_rx.received().back().body.find("\"accepted\"") != std::string::npos);
  BOOST_CHECK_EQUAL(x.spa_rx.taken(), 1u);  // the sender does not get its own message
}

// Nothing is sent before its recipient's decision is in the audit log: while the log cannot be
// written (another writer holds its lock), the message is neither delivered nor acknowledged; once
// the log takes the decision, both happen.
BOOST_AUTO_TEST_CASE(nothing_is_delivered_before_its_decision_is_audited) {
  Exchange& x = exchange();
  auto client = x.as("test-client");
  std::string patient = created(client.send("POST", "/fhir/Patient", patientJson("9000001153", "Audited")));
  Poco::Data::Session log("SQLite", (x.gw->dir() / "db/audit.db").string());
  log << "BEGIN IMMEDIATE", Poco::Data::Keywords::now;
  HttpResponse ack;
  std::atomic<bool> answered{false};
  std::thread sender([&] {
    ack = post(client, message("audited-0001", "test-audited", referral("audited-0001", patient, "x")));
    answered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  BOOST_CHECK_EQUAL(x.audited_rx.received().size(), 0u);
  BOOST_CHECK(!answered);
  log << "ROLLBACK", Poco::Data::Keywords::now;
  sender.join();
  BOOST_CHECK_MESSAGE(ack.status == 200, ack.body);
  BOOST_CHECK(x.audited_rx.waitTaken(1));
  auto routed = testing::runOnedoor({"audit", "query", "--config", (x.gw->dir() / "onedoor.json").string(), "--agent",
                                     "audited-ward", "--ndjson"});
  BOOST_CHECK(routed.out.find("\"code\":\"route\"") != std::string::npos);
  BOOST_CHECK(routed.out.find("\"code\":\"deliver\"") != std::string::npos);
}

// Every delivery attempt is audited, even one made while the audit log could not be written: its
// record is kept and written once the log is back. (A gateway of its own: its audit log is locked
// for longer than the log waits for a lock, 10 s.)
BOOST_AUTO_TEST_CASE(an_attempt_is_audited_once_the_log_is_back) {
  TestReceiver rx;
  rx.hang(std::chrono::milliseconds(1500));
  std::vector<TestPartner> partners = {{"lab-ward", "acute", {"TREAT"}, {"system/*.rs"}, "RX1L", "", fhirMessage(rx.url())}};
  testing::TestGateway gw("", R"("delivery": {"poll_ms": 50, "workers": 1},
      "routes": [{"name": "lab", "event": "test-lab", "to": ["lab-ward"]}])",
                          partners, nullptr, testing::readFile(ONEDOOR_SOURCE_DIR "/config/policy.sample.json"));
  auto client = gw.client(gw.token());
  std::string patient = created(client.send("POST", "/fhir/Patient", patientJson("9000001161", "Lab")));
  BOOST_REQUIRE_EQUAL(post(client, message("lab-0001", "test-lab", referral("lab-0001", patient, "x"))).status, 200);
  // The attempt is under way (the receiver takes 1.5 s) when the log is locked.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Poco::Data::Session log("SQLite", (gw.dir() / "db/audit.db").string());
  log << "BEGIN IMMEDIATE", Poco::Data::Keywords::now;
  std::this_thread::sleep_for(std::chrono::milliseconds(12000));
  log << "ROLLBACK", Poco::Data::Keywords::now;
  BOOST_CHECK_EQUAL(rx.taken(), 1u);
  auto deliveries = [&] {
    auto q = testing::runOnedoor({"audit", "query", "--config", (gw.dir() / "onedoor.json").string(), "--agent", "lab-ward",
                                  "--ndjson"});
    std::size_t n = 0;
    std::istringstream lines(q.out);
    for (std::string line; std::getline(lines, line);) n += line.find("\"code\":\"deliver\"") != std::string::npos;
    return n;
  };
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (deliveries() == 0 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  BOOST_CHECK_EQUAL(deliveries(), 1u);
}

// S4 and S6: the GP's social prescriber refers to the befriending charity, which gets the referral
// as its minimal-dataset CSV, only with the patient's explicit consent, and nothing once the
// consent is withdrawn.
BOOST_AUTO_TEST_CASE(s4_s6_minimal_csv_to_the_charity_then_nothing_after_withdrawal) {
  Exchange& x = exchange();
  auto gp = x.as("gp-riverside");
  std::string patient = created(gp.send("POST", "/fhir/Patient", patientJson("9000000025", "Sheikh")));
  std::string actor = R"({"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
    "reference": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "VCF01"}}})";
  auto consent = [&](const std::string& type) {
    return R"({"resourceType": "Consent", "status": "active",
      "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
      "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
      "patient": {"reference": "Patient/)" + patient + R"("}, "dateTime": "2026-11-01",
      "provision": {"type": ")" + type + R"(", "actor": [)" + actor + "]}}";
  };
  // The referral and the person, as the GP system sends them.
  auto befriending = [&](const std::string& id, const std::string& note) {
    auto person = json(gp.get("/fhir/Patient/" + patient));
    return message(id, "befriending-referral",
                   referral(id, patient, note) + R"(, {"fullUrl": ")" + x.gw->base() + "/Patient/" + patient +
                       R"(", "resource": )" + testing::jsonText(person) + "}");
  };
  // Without consent: not routed, and the decision is audited.
  auto none = post(gp, befriending("bef-s4-0000", "Befriending, weekly"));
  BOOST_REQUIRE_MESSAGE(none.status == 200, none.body);
  std::string permit = created(gp.send("POST", "/fhir/Consent", consent("permit")));
  auto sent = post(gp, befriending("bef-s4-0001", "Befriending, weekly"));
  BOOST_REQUIRE_MESSAGE(sent.status == 200, sent.body);
  BOOST_REQUIRE(x.vcfse_rx.waitTaken(1));
  auto csv = x.vcfse_rx.received().back();
  BOOST_CHECK_EQUAL(csv.content_type, "text/csv");
  BOOST_CHECK_EQUAL(csv.path, "/referrals");
  BOOST_CHECK_MESSAGE(csv.body.find("referral_id") != std::string::npos, csv.body);
  BOOST_CHECK_MESSAGE(csv.body.find("Sheikh") != std::string::npos, csv.body);
  BOOST_CHECK(csv.body.find("Befriending, weekly") != std::string::npos);
  BOOST_CHECK(csv.body.find("9000000025") == std::string::npos);  // no NHS number in the charity's dataset
  // S6: withdrawn. Later referrals do not go.
  auto old = json(gp.get("/fhir/Consent/" + permit));
  old["status"].SetString("inactive");
  BOOST_CHECK_EQUAL(gp.send("PUT", "/fhir/Consent/" + permit, testing::jsonText(old)).status, 200);
  created(gp.send("POST", "/fhir/Consent", consent("deny")));
  auto after = post(gp, befriending("bef-s6-0002", "Befriending again"));
  BOOST_REQUIRE_EQUAL(after.status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  BOOST_CHECK_EQUAL(x.vcfse_rx.taken(), 1u);
  auto rows = x.outbox().list("", "vcfse-befriending", 10);
  BOOST_REQUIRE(rows.isOk());
  BOOST_CHECK_EQUAL(rows->size(), 1u);
  // The auditor's view: the refusals to route, each naming the charity.
  auto denied = testing::runOnedoor({"audit", "query", "--config", (x.gw->dir() / "onedoor.json").string(), "--agent",
                                     "vcfse-befriending", "--outcome", "4"});
  BOOST_CHECK_MESSAGE(denied.out.find("2 record(s)") != std::string::npos, denied.out);
}

// BaRS: an X-Request-Id the sender used before for another message is 409 REC_CONFLICT (audited,
// nothing stored or delivered); the same message sent again with it is answered as the first time.
BOOST_AUTO_TEST_CASE(a_request_id_used_again_for_another_message_is_a_conflict) {
  Exchange& x = exchange();
  auto gp = x.as("gp-riverside");
  std::string patient = created(gp.send("POST", "/fhir/Patient", patientJson("9000000149", "Adeyemi")));
  const std::string rid = "5f1c2a9e-1b7d-4c1e-9a57-3d2f0c6b8e01";
  auto send = [&](const std::string& body, const std::string& request_id) {
    return gp.request("POST", "/fhir/$process-message", body,
                      {{"Content-Type", "application/fhir+json"}, {"X-Request-Id", request_id}});
  };
  const std::size_t before = x.spa_rx.taken();
  std::string first = message("rid-0001", "servicerequest-request", referral("rid-0001", patient, "First"));
  auto ack = send(first, rid);
  BOOST_REQUIRE_MESSAGE(ack.status == 200, ack.body);
  auto again = send(first, rid);
  BOOST_CHECK_EQUAL(again.status, 200);
  BOOST_CHECK_EQUAL(again.body, ack.body);
  std::string other = message("rid-0002", "servicerequest-request", referral("rid-0002", patient, "Second"));
  auto conflict = send(other, rid);
  BOOST_CHECK_EQUAL(conflict.status, 409);
  BOOST_CHECK(conflict.body.find("REC_CONFLICT") != std::string::npos);
  BOOST_CHECK(conflict.body.find("rid-0001") != std::string::npos);
  // With a request id of its own, the second message goes.
  BOOST_CHECK_EQUAL(send(other, "0b6f7c1e-2d3a-4f5b-8c9d-0e1f2a3b4c5d").status, 200);
  BOOST_REQUIRE(x.spa_rx.waitTaken(before + 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  BOOST_CHECK_EQUAL(x.spa_rx.taken(), before + 2);
  // The refusal is in the audit log, with its request id.
  auto refused = testing::runOnedoor({"audit", "query", "--config", (x.gw->dir() / "onedoor.json").string(), "--agent",
                                      "gp-riverside", "--outcome", "4", "--ndjson"});
  BOOST_CHECK_MESSAGE(refused.out.find(rid) != std::string::npos, refused.out);
}

// A receiver answering 500: retried with back-off until the partner's last attempt, then a dead
// letter; replayed once the receiver is well, it is delivered — once.
BOOST_AUTO_TEST_CASE(failing_receiver_dead_letter_then_replay) {
  Exchange& x = exchange();
  x.flaky_rx.answer({}, 500);
  auto client = x.as("test-client");
  std::string patient = created(client.send("POST", "/fhir/Patient", patientJson("9000000033", "Flaky")));
  BOOST_REQUIRE_EQUAL(post(client, message("flaky-0001", "test-flaky", referral("flaky-0001", patient, "x"))).status, 200);
  BOOST_REQUIRE(x.waitState("flaky-ward", "dead", 1));
  auto dead = x.outbox().list("dead", "flaky-ward", 10);
  BOOST_REQUIRE(dead.isOk() && dead->size() == 1);
  BOOST_CHECK_EQUAL(dead->front().attempts, 3);
  BOOST_CHECK(dead->front().last_error.find("HTTP 500") != std::string::npos);
  BOOST_CHECK_EQUAL(x.flaky_rx.received().size(), 3u);
  // Replayed by the operator (the CLI) after the receiver recovers.
  x.flaky_rx.answer({}, 200);
  auto replay = testing::runOnedoor({"outbox", "replay", std::to_string(dead->front().id), "--config",
                                     (x.gw->dir() / "onedoor.json").string()});
  BOOST_CHECK_MESSAGE(replay.code == 0, replay.out + replay.err);
  BOOST_REQUIRE(x.flaky_rx.waitTaken(1));
  BOOST_CHECK(x.waitState("flaky-ward", "delivered", 1));
  BOOST_CHECK_EQUAL(x.flaky_rx.taken(), 1u);
}

// A partner down for a while, then back: delivered once it is back.
BOOST_AUTO_TEST_CASE(receiver_down_then_back_gets_the_message_once) {
  Exchange& x = exchange();
  x.poison_rx.stop();
  auto client = x.as("test-client");
  std::string patient = created(client.send("POST", "/fhir/Patient", patientJson("9000000041", "Down")));
  BOOST_REQUIRE_EQUAL(post(client, message("down-0001", "test-poison", referral("down-0001", patient, "while down"))).status, 200);
  BOOST_REQUIRE_EQUAL(post(client, message("down-0002", "test-poison", referral("down-0002", patient, "behind it"))).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto pending = x.outbox().list("pending", "poison-ward", 10);
  BOOST_REQUIRE(pending.isOk() && pending->size() == 2);
  BOOST_CHECK_GE(pending->back().attempts, 1);  // newest first: down-0001 last
  BOOST_CHECK(!pending->back().last_error.empty());
  BOOST_CHECK_EQUAL(pending->front().attempts, 0);
  // The operators see the second held behind the first, not tried while the first fails.
  auto listed = json(x.as("ops-team").get("/fhir/$outbox?state=pending&destination=poison-ward"));
  BOOST_REQUIRE_EQUAL(listed["messages"].Size(), 2u);
  BOOST_CHECK(std::string(listed["messages"][0]["messageId"].GetString()).rfind("down-0002", 0) == 0);
  BOOST_CHECK(listed["messages"][0]["heldBehind"].GetBool());
  BOOST_CHECK(!listed["messages"][1]["heldBehind"].GetBool());
  auto shown = testing::runOnedoor({"outbox", "show", std::to_string(listed["messages"][0]["id"].GetInt64()), "--config",
                                    (x.gw->dir() / "onedoor.json").string()});
  BOOST_CHECK_MESSAGE(shown.out.find("next attempt: after the message ahead of it") != std::string::npos, shown.out);
  x.poison_rx.start();
  BOOST_REQUIRE(x.poison_rx.waitTaken(2));
  BOOST_CHECK(x.waitState("poison-ward", "delivered", 2));
  BOOST_CHECK_EQUAL(x.poison_rx.taken(), 2u);
  auto got = x.poison_rx.received();
  BOOST_REQUIRE_EQUAL(got.size(), 2u);
  BOOST_CHECK(got[0].body.find("down-0001") != std::string::npos);  // in order
  BOOST_CHECK(got[1].body.find("down-0002") != std::string::npos);
}

// A message the receiver refuses for good is a dead letter at once, and holds back nothing: the
// next message for the same patient and one for another patient are delivered.
BOOST_AUTO_TEST_CASE(a_poison_message_blocks_nothing) {
  Exchange& x = exchange();
  x.poison_rx.refuse("POISON");
  std::size_t before = x.poison_rx.taken();
  auto client = x.as("test-client");
  std::string p1 = created(client.send("POST", "/fhir/Patient", patientJson("9000001102", "One")));
  std::string p2 = created(client.send("POST", "/fhir/Patient", patientJson("9000001129", "Two")));
  BOOST_REQUIRE_EQUAL(post(client, message("poison-0001", "test-poison", referral("poison-0001", p1, "POISON"))).status, 200);
  BOOST_REQUIRE_EQUAL(post(client, message("poison-0002", "test-poison", referral("poison-0002", p1, "fine"))).status, 200);
  BOOST_REQUIRE_EQUAL(post(client, message("poison-0003", "test-poison", referral("poison-0003", p2, "fine too"))).status, 200);
  BOOST_REQUIRE(x.poison_rx.waitTaken(before + 2));
  BOOST_CHECK(x.waitState("poison-ward", "dead", 1));
  auto dead = x.outbox().list("dead", "poison-ward", 10);
  BOOST_REQUIRE(dead.isOk() && dead->size() == 1);
  BOOST_CHECK_EQUAL(dead->front().attempts, 1);  // refused for good: not retried
  BOOST_CHECK(dead->front().last_error.find("HTTP 400") != std::string::npos);
}

// A receiver that hangs: each attempt ends at the partner's timeout; after the last, a dead letter.
BOOST_AUTO_TEST_CASE(a_hanging_receiver_times_out) {
  Exchange& x = exchange();
  x.slow_rx.hang(std::chrono::milliseconds(1500));
  auto client = x.as("test-client");
  std::string patient = created(client.send("POST", "/fhir/Patient", patientJson("9000001110", "Slow")));
  auto started = std::chrono::steady_clock::now();
  BOOST_REQUIRE_EQUAL(post(client, message("slow-0001", "test-slow", referral("slow-0001", patient, "x"))).status, 200);
  BOOST_REQUIRE(x.waitState("slow-ward", "dead", 1));
  auto elapsed = std::chrono::steady_clock::now() - started;
  BOOST_CHECK(elapsed < std::chrono::milliseconds(2500));  // two timeouts of 300 ms and back-off, not 2 x 1.5 s
  auto dead = x.outbox().list("dead", "slow-ward", 10);
  BOOST_REQUIRE(dead.isOk() && dead->size() == 1);
  BOOST_CHECK(dead->front().last_error.find("imeout") != std::string::npos);
  x.slow_rx.hang(std::chrono::milliseconds(0));
}

// Bad messages are refused with what is wrong and where; nothing is kept or delivered.
BOOST_AUTO_TEST_CASE(bad_messages_are_refused_with_their_place) {
  Exchange& x = exchange();
  auto client = x.as("test-client");
  auto not_message = post(client, R"({"resourceType": "Bundle", "id": "b1", "type": "collection"})");
  BOOST_CHECK_EQUAL(not_message.status, 400);
  BOOST_CHECK(not_message.body.find("Bundle.type") != std::string::npos);
  auto no_header = post(client, R"({"resourceType": "Bundle", "id": "b2", "type": "message", "timestamp": "2026-11-23T10:00:00Z",
    "entry": [{"fullUrl": "urn:uuid:x", "resource": {"resourceType": "Basic", "code": {"text": "x"}}}]})");
  BOOST_CHECK_EQUAL(no_header.status, 400);
  auto no_id = post(client, message("", "test-flaky", ""));
  BOOST_CHECK_EQUAL(no_id.status, 400);
  BOOST_CHECK(no_id.body.find("Bundle.id") != std::string::npos);
}

// S3: the acute trust's PAS sends an ADT A03 (discharge) over MLLP. It is acknowledged only once
// kept with its deliveries; the GP gets the FHIR message, the community mental health team an HL7
// v2 A03, and the befriending charity nothing (no explicit consent). A re-send is not delivered
// again.
BOOST_AUTO_TEST_CASE(s3_discharge_over_mllp_to_gp_and_cmht_not_the_charity) {
  Exchange& x = exchange();
  std::size_t gp_before = x.gp_rx.taken(), charity_before = x.vcfse_rx.taken();
  std::string a03 = testing::readFile(ONEDOOR_SOURCE_DIR "/mappings/acute/tests/adt-to-message/a03-discharge.hl7");
  auto exchangeOnce = [&] {
    std::string got = testing::mllpExchange(x.gw->gateway().mllpPort(0), a03);
    auto ack = hl7v2::parse(got);
    BOOST_REQUIRE_MESSAGE(ack.isOk(), got);
    return ack->value("MSA-1");
  };
  BOOST_CHECK_EQUAL(exchangeOnce(), "AA");
  BOOST_REQUIRE(x.gp_rx.waitTaken(gp_before + 1));
  BOOST_CHECK(x.gp_rx.received().back().body.find("9434765919") != std::string::npos);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (x.cmht_rx.count() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_REQUIRE_EQUAL(x.cmht_rx.count(), 1u);
  {
    std::lock_guard lock(x.cmht_rx.mu);
    auto adt = hl7v2::parse(x.cmht_rx.messages.front());
    BOOST_REQUIRE(adt.isOk());
    BOOST_CHECK_EQUAL(adt->value("MSH-9.2"), "A03");
    BOOST_CHECK_EQUAL(adt->value("PID-3.1"), "9434765919");
  }
  BOOST_CHECK(x.waitState("cmht-north", "delivered", 1));
  // Sent again (the PAS did not see the ACK): acknowledged, not delivered again.
  BOOST_CHECK_EQUAL(exchangeOnce(), "AA");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  BOOST_CHECK_EQUAL(x.gp_rx.taken(), gp_before + 1);
  BOOST_CHECK_EQUAL(x.cmht_rx.count(), 1u);
  BOOST_CHECK_EQUAL(x.vcfse_rx.taken(), charity_before);
}

// A feed's message carries the sender's own Patient (its id is not the store's): each recipient
// is decided with the Consents of the person it is linked to — by identifier, or without one by the
// demographics identity matching links on — as the write links it. A patient who refused the
// community mental health team is not sent to it; the GP still is, and the message is ordered
// with the patient's others.
BOOST_AUTO_TEST_CASE(a_feeds_message_is_decided_per_recipient_with_the_matched_persons_consents) {
  Exchange& x = exchange();
  auto gp = x.as("gp-riverside");
  auto refusesCmht = [&](const std::string& patient_json) {
    std::string id = created(gp.send("POST", "/fhir/Patient", patient_json));
    created(gp.send("POST", "/fhir/Consent", R"({"resourceType": "Consent", "status": "active",
      "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
      "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
      "patient": {"reference": "Patient/)" + id + R"("}, "dateTime": "2026-11-01",
      "provision": {"type": "deny", "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
        "code": "IRCP"}]}, "reference": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RX4C"}}}]}})"));
    return id;
  };
  auto discharge = [&](const std::string& control, const std::string& pid) {
    std::string a03 = "MSH|^~\\&|PAS|RX1|ONEDOOR|ICS|20261125160000||ADT^A03^ADT_A03|" + control + "|P|2.4\r"
                      "EVN|A03|20261125160000\r" + pid + "\r"
                      "PV1|1|I|WARD1||||||||||||||||V0778|||||||||||||||||||||||||20261123101500|20261125160000\r";
    auto ack = hl7v2::parse(testing::mllpExchange(x.gw->gateway().mllpPort(0), a03));
    BOOST_REQUIRE(ack.isOk());
    BOOST_REQUIRE_EQUAL(ack->value("MSA-1"), "AA");
  };
  // Known by NHS number.
  std::string id = refusesCmht(patientJson("9000002028", "Okafor"));
  std::size_t gp_before = x.gp_rx.taken(), cmht_before = x.cmht_rx.count();
  discharge("MSG-REFUSED-1", "PID|1||RX1-778899^^^RX1^MR~9000002028^^^NHS^NH||Okafor^Amira||19900402|F");
  BOOST_REQUIRE(x.gp_rx.waitTaken(gp_before + 1));
  BOOST_CHECK(x.gp_rx.received().back().body.find("9000002028") != std::string::npos);
  // Known by name, birth date and postcode only (the PAS sends no NHS number).
  refusesCmht(R"({"resourceType": "Patient", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number",
      "value": "9000002036"}], "name": [{"family": "Adeyemi", "given": ["Tunde"]}], "gender": "male",
      "birthDate": "1981-03-14", "address": [{"line": ["4 Mill Lane"], "city": "Leeds", "postalCode": "LS2 9JT"}]})");
  discharge("MSG-REFUSED-2", "PID|1||RX1-889900^^^RX1^MR||Adeyemi^Tunde||19810314|M|||4 Mill Lane^^Leeds^^LS2 9JT^GBR");
  BOOST_REQUIRE(x.gp_rx.waitTaken(gp_before + 2));
  BOOST_CHECK(x.gp_rx.received().back().body.find("RX1-889900") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  BOOST_CHECK_EQUAL(x.cmht_rx.count(), cmht_before);
  // The GP's delivery is queued under the patient the store knows.
  auto sent = x.outbox().list("delivered", "gp-riverside", 100);
  BOOST_REQUIRE(sent.isOk());
  bool ordered = std::any_of(sent->begin(), sent->end(), [&](const auto& m) {
    return m.message_id.rfind("MSG-REFUSED-1/", 0) == 0 && m.ordering_key == "Patient/" + id;
  });
  BOOST_CHECK(ordered);
  // Tied: two kept records (different NHS numbers) with the same name, birth date, gender and
  // postcode, one of whom refused the CMHT; a feed message without an NHS number could be either,
  // so the write links neither, and the CMHT is not sent it (any tied person's deny withholds).
  refusesCmht(R"({"resourceType": "Patient", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number",
      "value": "9000002044"}], "name": [{"family": "Nakamura", "given": ["Ren"]}], "gender": "male",
      "birthDate": "1979-07-21", "address": [{"line": ["9 Park Row"], "city": "Leeds", "postalCode": "LS1 5AB"}]})");
  created(gp.send("POST", "/fhir/Patient", R"({"resourceType": "Patient", "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number",
      "value": "9000002052"}], "name": [{"family": "Nakamura", "given": ["Ren"]}], "gender": "male",
      "birthDate": "1979-07-21", "address": [{"line": ["9 Park Row"], "city": "Leeds", "postalCode": "LS1 5AB"}]})"));
  discharge("MSG-TIED-1", "PID|1||RX1-990011^^^RX1^MR||Nakamura^Ren||19790721|M|||9 Park Row^^Leeds^^LS1 5AB^GBR");
  BOOST_REQUIRE(x.gp_rx.waitTaken(gp_before + 3));
  BOOST_CHECK(x.gp_rx.received().back().body.find("RX1-990011") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  BOOST_CHECK_EQUAL(x.cmht_rx.count(), cmht_before);
}

// S2's re-routing: the Single Point of Access reassigns a referral to the crisis team — the same
// ServiceRequest with a new performer and a Task owned by the team, not a new referral. The new
// owner and the referrer hear of it; the SPA does not get its own message back.
BOOST_AUTO_TEST_CASE(spa_reassigns_a_referral_to_the_crisis_team) {
  Exchange& x = exchange();
  auto gp = x.as("gp-riverside");
  std::size_t gp_before = x.gp_rx.taken(), spa_before = x.spa_rx.taken();
  std::string patient = created(gp.send("POST", "/fhir/Patient", patientJson("9000001153", "Rahman")));
  BOOST_REQUIRE_EQUAL(post(gp, message("ref-rr-0001", "servicerequest-request", referral("ref-rr-0001", patient, "Crisis"))).status,
                      200);
  BOOST_REQUIRE(x.spa_rx.waitTaken(spa_before + 1));
  std::string reassigned = referral("ref-rr-0001", patient, "Crisis");
  auto at = reassigned.find("\"requester\"");
  reassigned.insert(at, R"("performer": [{"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RX4R"}}], )");
  std::string task = R"(, {"fullUrl": "urn:uuid:task-rr", "resource": {"resourceType": "Task", "status": "ready",
    "intent": "order", "businessStatus": {"text": "reassigned by the Single Point of Access"},
    "for": {"reference": "Patient/)" + patient + R"("},
    "focus": {"identifier": {"system": "https://riverside.example/referrals", "value": "ref-rr-0001"}},
    "requester": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y12345"}},
    "owner": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RX4R"}}}})";
  auto spa = x.as("mh-spa");
  auto ack = post(spa, message("reassign-rr-0001", "servicerequest-reassign", reassigned + task));
  BOOST_REQUIRE_MESSAGE(ack.status == 200, ack.body);
  BOOST_REQUIRE(x.crisis_rx.waitTaken(1));
  rapidjson::Document got;
  got.Parse(x.crisis_rx.received().back().body.c_str());
  BOOST_REQUIRE(got.IsObject());
  bool has_task = false, same_referral = false;
  for (const auto& e : got["entry"].GetArray()) {
    std::string type = e["resource"]["resourceType"].GetString();
    if (type == "Task") has_task = std::string(e["resource"]["focus"]["identifier"]["value"].GetString()) == "ref-rr-0001";
    if (type == "ServiceRequest") {
      same_referral = std::string(e["resource"]["identifier"][0]["value"].GetString()) == "ref-rr-0001" &&
                      std::string(e["resource"]["performer"][0]["identifier"]["value"].GetString()) == "RX4R";
    }
  }
  BOOST_CHECK(has_task);
  BOOST_CHECK(same_referral);
  BOOST_REQUIRE(x.gp_rx.waitTaken(gp_before + 1));  // the referrer is told where the referral went
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  BOOST_CHECK_EQUAL(x.spa_rx.taken(), spa_before + 1);  // a reassignment, not a new referral to the SPA
  BOOST_CHECK_EQUAL(x.crisis_rx.taken(), 1u);
}

// S6 for a message that was waiting: the walking group's system is down when a referral is
// accepted (with the patient's explicit consent); the consent is withdrawn before it comes back.
// Each attempt is decided again, so the referral never goes: a dead letter that says why, audited.
BOOST_AUTO_TEST_CASE(a_consent_withdrawn_while_a_message_waits_stops_it) {
  Exchange& x = exchange();
  auto gp = x.as("gp-riverside");
  std::string patient = created(gp.send("POST", "/fhir/Patient", patientJson("9000001188", "Walker")));
  auto consent = [&](const std::string& type) {
    return R"({"resourceType": "Consent", "status": "active",
      "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
      "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
      "patient": {"reference": "Patient/)" + patient + R"("}, "dateTime": "2026-11-01",
      "provision": {"type": ")" + type + R"(", "actor": [{"role": {"coding": [{"system":
        "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
        "reference": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "VCF02"}}}]}})";
  };
  std::string permit = created(gp.send("POST", "/fhir/Consent", consent("permit")));
  x.walks_rx.stop();
  auto person = json(gp.get("/fhir/Patient/" + patient));
  auto ack = post(gp, message("walks-0001", "walks-referral",
                              referral("walks-0001", patient, "Walking group") + R"(, {"fullUrl": ")" + x.gw->base() +
                                  "/Patient/" + patient + R"(", "resource": )" + testing::jsonText(person) + "}"));
  BOOST_REQUIRE_MESSAGE(ack.status == 200, ack.body);
  BOOST_REQUIRE(x.waitState("vcfse-walks", "pending", 1));
  auto old = json(gp.get("/fhir/Consent/" + permit));
  old["status"].SetString("inactive");
  BOOST_REQUIRE_EQUAL(gp.send("PUT", "/fhir/Consent/" + permit, testing::jsonText(old)).status, 200);
  x.walks_rx.start();
  BOOST_REQUIRE(x.waitState("vcfse-walks", "dead", 1));
  auto dead = x.outbox().list("dead", "vcfse-walks", 10);
  BOOST_REQUIRE(dead.isOk() && dead->size() == 1);
  BOOST_CHECK_MESSAGE(dead->front().last_error.find("withheld at delivery: explicit-consent-required") != std::string::npos,
                      dead->front().last_error);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  BOOST_CHECK_EQUAL(x.walks_rx.taken(), 0u);
  auto withheld = testing::runOnedoor({"audit", "query", "--config", (x.gw->dir() / "onedoor.json").string(), "--agent",
                                       "vcfse-walks", "--outcome", "4"});
  BOOST_CHECK_MESSAGE(withheld.out.find("1 record(s)") != std::string::npos, withheld.out);  // the withholding, a denial
}

// "Partners with an open episode of care for this patient": a care-plan update goes to the teams
// whose EpisodeOfCare for the message's patient is active, found by a search of the store, and not
// to a team whose episode has finished or that looks after someone else.
BOOST_AUTO_TEST_CASE(care_plan_update_goes_to_teams_with_an_open_episode) {
  Exchange& x = exchange();
  auto gp = x.as("gp-riverside");
  std::string patient = created(gp.send("POST", "/fhir/Patient", patientJson("9000001137", "Okafor")));
  std::string other = created(gp.send("POST", "/fhir/Patient", patientJson("9000001161", "Nowak")));
  auto episode = [&](const std::string& who, const std::string& status, const std::string& ods) {
    return created(gp.send("POST", "/fhir/EpisodeOfCare", R"({"resourceType": "EpisodeOfCare", "status": ")" + status +
                                                             R"(", "patient": {"reference": "Patient/)" + who + R"("},
      "managingOrganization": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": ")" + ods +
                                                             R"("}}})"));
  };
  episode(patient, "active", "RX4E");
  episode(patient, "finished", "RX4P");
  episode(other, "active", "RX4P");
  std::string plan = R"(, {"fullUrl": "urn:uuid:cp-ep-1", "resource": {"resourceType": "CarePlan", "status": "active",
    "intent": "plan", "subject": {"reference": "Patient/)" + patient + R"("}, "title": "Shared care plan"}})";
  auto ack = post(gp, message("careplan-ep-0001", "careplan-update", plan));
  BOOST_REQUIRE_MESSAGE(ack.status == 200, ack.body);
  BOOST_REQUIRE(x.eating_rx.waitTaken(1));
  rapidjson::Document got;
  got.Parse(x.eating_rx.received().back().body.c_str());
  BOOST_REQUIRE(got.IsObject());
  BOOST_CHECK_EQUAL(std::string(got["entry"][1]["resource"]["title"].GetString()), "Shared care plan");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  BOOST_CHECK_EQUAL(x.perinatal_rx.taken(), 0u);  // finished here, and open only for someone else
  // A care plan for the other patient goes to the perinatal team only.
  std::string other_plan = R"(, {"fullUrl": "urn:uuid:cp-ep-2", "resource": {"resourceType": "CarePlan", "status": "active",
    "intent": "plan", "subject": {"reference": "Patient/)" + other + R"("}, "title": "Perinatal plan"}})";
  BOOST_REQUIRE_EQUAL(post(gp, message("careplan-ep-0002", "careplan-update", other_plan)).status, 200);
  BOOST_REQUIRE(x.perinatal_rx.waitTaken(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  BOOST_CHECK_EQUAL(x.eating_rx.taken(), 1u);
}

// The operators' outbox API: dead letters listed, inspected, replayed and refused the wrong way,
// for the operator role only, each call audited.
BOOST_AUTO_TEST_CASE(operator_api_lists_shows_replays_and_discards) {
  Exchange& x = exchange();
  x.returns_rx.answer({}, 503);
  auto client = x.as("test-client");
  std::string patient = created(client.send("POST", "/fhir/Patient", patientJson("9000001145", "Returns")));
  BOOST_REQUIRE_EQUAL(post(client, message("returns-0001", "test-returns", referral("returns-0001", patient, "x"))).status, 200);
  BOOST_REQUIRE(x.waitState("returns-ward", "dead", 1));
  auto ops = x.as("ops-team");
  auto list = ops.get("/fhir/$outbox?state=dead&destination=returns-ward");
  BOOST_REQUIRE_MESSAGE(list.status == 200, list.body);
  auto listed = json(list);
  BOOST_REQUIRE_EQUAL(listed["messages"].Size(), 1u);
  std::int64_t id = listed["messages"][0]["id"].GetInt64();
  BOOST_CHECK(std::string(listed["messages"][0]["lastError"].GetString()).find("HTTP 503") != std::string::npos);
  BOOST_CHECK(!listed["messages"][0].HasMember("body"));
  auto shown = ops.get("/fhir/$outbox?id=" + std::to_string(id));
  BOOST_REQUIRE_EQUAL(shown.status, 200);
  BOOST_CHECK(std::string(json(shown)["body"].GetString()).find("returns-0001") != std::string::npos);
  // Not an operator: refused, whatever the scopes.
  auto refused = x.as("gp-riverside").get("/fhir/$outbox");
  BOOST_CHECK_EQUAL(refused.status, 403);
  BOOST_CHECK(refused.body.find("operators only") != std::string::npos);
  BOOST_CHECK_EQUAL(x.gw->client().get("/fhir/$outbox").status, 401);
  // Bad requests name the problem.
  auto bad = ops.send("POST", "/fhir/$outbox-replay?id=abc", "");
  BOOST_CHECK_EQUAL(bad.status, 400);
  BOOST_CHECK(bad.body.find("positive whole number") != std::string::npos);
  BOOST_CHECK_EQUAL(ops.send("POST", "/fhir/$outbox-replay?id=999999", "").status, 404);
  BOOST_CHECK_EQUAL(ops.send("GET", "/fhir/$outbox-replay?id=" + std::to_string(id), "").status, 405);
  // Replayed once the ward is back: delivered once; a delivered message cannot be discarded.
  x.returns_rx.answer({}, 200);
  auto replay = ops.send("POST", "/fhir/$outbox-replay?id=" + std::to_string(id), "");
  BOOST_REQUIRE_MESSAGE(replay.status == 200, replay.body);
  BOOST_CHECK_EQUAL(std::string(json(replay)["state"].GetString()), "pending");
  BOOST_REQUIRE(x.returns_rx.waitTaken(1));
  BOOST_REQUIRE(x.waitState("returns-ward", "delivered", 1));
  auto discard = ops.send("POST", "/fhir/$outbox-discard?id=" + std::to_string(id), "");
  BOOST_CHECK_EQUAL(discard.status, 409);
  BOOST_CHECK(discard.body.find("is delivered") != std::string::npos);
  // Each call is in the audit log with the operator as the agent and the message named.
  auto audited = testing::runOnedoor({"audit", "query", "--config", (x.gw->dir() / "onedoor.json").string(), "--agent",
                                      "ops-team", "--entity", "urn:onedoor:outbox:" + std::to_string(id)});
  BOOST_CHECK_MESSAGE(audited.out.find("4 record(s)") != std::string::npos, audited.out);
}

// GET /metrics: requests, latency, consent decisions, the outbox by destination and deliveries,
// in the Prometheus text format.
BOOST_AUTO_TEST_CASE(metrics_show_requests_queues_and_deliveries) {
  Exchange& x = exchange();
  auto m = x.gw->client().get("/metrics");
  BOOST_REQUIRE_EQUAL(m.status, 200);
  for (const char* want : {"onedoor_requests_total{outcome=\"2xx\"}", "onedoor_request_duration_seconds_bucket{le=\"+Inf\"}",
                           "onedoor_consent_decisions_total{decision=\"permit\"}", "onedoor_deliveries_total{outcome=\"dead\"}",
                           "onedoor_outbox_messages{destination=\"poison-ward\",state=\"dead\"} 1",
                           "onedoor_outbox_messages{destination=\"mh-spa\",state=\"delivered\"} 4",
                           "onedoor_outbox_oldest_pending_age_seconds{destination=\"flaky-ward\"}"}) {
    BOOST_CHECK_MESSAGE(m.body.find(want) != std::string::npos, std::string("missing ") + want);
  }
}

BOOST_AUTO_TEST_SUITE_END()
