// The durability promise, tested the hard way: messages are posted to a gateway running as its
// own process, which is killed with SIGKILL in the middle of the load and started again. Every
// message that was acknowledged must reach the (idempotent) receiver, exactly once as the
// receiver counts them; and nothing that was not acknowledged may be half-kept: every kept
// message has its delivery, and every delivery its kept message.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Process.h>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "support/http_client.h"
#include "support/test_receiver.h"
#include "support/test_support.h"

using namespace onedoor;

namespace {

std::string message(int n) {
  std::string id = "crash-" + std::to_string(n);
  return R"({"resourceType": "Bundle", "id": ")" + id + R"(", "type": "message", "timestamp": "2026-11-23T10:00:00Z",
    "entry": [{"fullUrl": "urn:uuid:)" + id + R"(-h", "resource": {"resourceType": "MessageHeader",
      "eventCoding": {"system": "https://onedoor.dev/test", "code": "crash"}, "source": {"endpoint": "https://sender.example"}}},
      {"fullUrl": "urn:uuid:)" + id + R"(-c", "resource": {"resourceType": "Communication", "status": "completed",
      "payload": [{"contentString": "message )" + std::to_string(n) + R"("}]}}]})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Durability)

BOOST_AUTO_TEST_CASE(sigkill_mid_load_loses_no_acknowledged_message) {
  testing::TempDir dir;
  testing::TestReceiver receiver;
  std::uint16_t port = testing::freePort();
  std::ofstream(dir.path() / "onedoor.json") << R"({"server": {"host": "127.0.0.1", "port": )" << port
      << R"(, "allow_plain_http": true},
    "storage": {"driver": "sqlite", "sqlite_path": "db/onedoor.db"}, "audit": {"sqlite_path": "db/audit.db"},
    "auth": {"required": false},
    "consent": {"policy": ")" ONEDOOR_SOURCE_DIR R"(/config/policy.sample.json"},
    "partners": [{"id": "crash-ward", "sector": "acute", "ods": "RXC", "purposes": ["TREAT"], "scopes": ["system/*.rs"],
      "delivery": {"transport": "fhir-message", "endpoint": ")" << receiver.url() << R"(",
                   "backoff_initial_ms": 20, "backoff_max_ms": 200}}],
    "delivery": {"poll_ms": 20},
    "routes": [{"name": "crash", "event": "crash", "to": ["crash-ward"]}]})";
  auto served = testing::serveProcess(dir.path(), port);
  // Four senders posting at once; the gateway is killed after the 60th answer, with requests in
  // flight.
  const int total = 240, senders = 4;
  std::mutex mu;
  std::set<int> acknowledged, unanswered;
  std::atomic<int> answered{0};
  std::thread killer([&] {
    while (answered.load() < 60) std::this_thread::sleep_for(std::chrono::microseconds(200));
    Poco::Process::kill(*served);  // SIGKILL
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < senders; ++t) {
    threads.emplace_back([&, t] {
      testing::HttpClient client(port);
      bool gone = false;
      for (int n = t; n < total; n += senders) {
        bool ok = false;
        if (!gone) {
          try {
            auto r = client.request("POST", "/fhir/$process-message", message(n), {{"Content-Type", "application/fhir+json"}});
            ok = r.status == 200;
            answered++;
          } catch (const std::exception&) {
            gone = true;  // the gateway is gone: this one and the rest are unanswered
          }
        }
        std::lock_guard lock(mu);
        (ok ? acknowledged : unanswered).insert(n);
      }
    });
  }
  for (auto& t : threads) t.join();
  killer.join();
  served->wait();
  BOOST_TEST_MESSAGE("acknowledged before the kill: " << acknowledged.size() << ", unanswered: " << unanswered.size());
  BOOST_REQUIRE_GE(acknowledged.size(), 60u);
  std::size_t acknowledged_before = acknowledged.size();
  // Started again, it delivers what it kept. The senders send what was not answered again, as a
  // sender without an acknowledgement would; one kept before the kill is answered as before and
  // not kept or delivered twice.
  served = testing::serveProcess(dir.path(), port);
  testing::HttpClient client(port);
  for (int m : unanswered) {
    auto r = client.request("POST", "/fhir/$process-message", message(m), {{"Content-Type", "application/fhir+json"}});
    BOOST_REQUIRE_EQUAL(r.status, 200);
    acknowledged.insert(m);
  }
  BOOST_REQUIRE_EQUAL(acknowledged.size(), static_cast<std::size_t>(total));
  (void)acknowledged_before;
  BOOST_REQUIRE(receiver.waitTaken(acknowledged.size(), std::chrono::seconds(60)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Exactly the acknowledged messages, each once.
  std::set<std::string> keys;
  std::size_t answered_2xx = 0;
  for (const auto& r : receiver.received()) {
    if (r.answered >= 200 && r.answered < 300) {
      keys.insert(r.idempotency_key);
      ++answered_2xx;
    }
  }
  BOOST_CHECK_EQUAL(receiver.taken(), acknowledged.size());
  for (int a : acknowledged) {
    BOOST_CHECK_MESSAGE(keys.count("crash-" + std::to_string(a) + "/crash-ward"), "acknowledged message " << a << " lost");
  }
  BOOST_TEST_MESSAGE("deliveries answered 2xx: " << answered_2xx << " for " << keys.size() << " messages");
  // Nothing half-kept: every kept message has one delivery, every delivery a kept message.
  auto outbox = testing::runOnedoor({"outbox", "list", "--destination", "crash-ward", "--count", "10000", "--config",
                                     (dir.path() / "onedoor.json").string()});
  BOOST_REQUIRE_EQUAL(outbox.code, 0);
  std::size_t rows = 0, delivered = 0;
  for (std::size_t at = outbox.out.find('\n'); at != std::string::npos && at + 1 < outbox.out.size();
       at = outbox.out.find('\n', at + 1)) {
    ++rows;
    delivered += outbox.out.compare(at + 9, 9, "delivered") == 0 ? 1 : 0;
  }
  BOOST_CHECK_EQUAL(rows, acknowledged.size());
  BOOST_CHECK_EQUAL(delivered, acknowledged.size());
  Poco::Process::kill(*served);
  served->wait();
}

BOOST_AUTO_TEST_SUITE_END()
