// onedoor_bench messaging POLICY ADT_MAP A01_FILE SECONDS: durable messaging through a gateway in
// this process (SQLite, synchronous=FULL): FHIR messages acknowledged per second over HTTP
// ($process-message, 16 and then 64 keep-alive senders: group commit grows with concurrency), HL7
// v2 ADT A01s acknowledged per second over MLLP (8 connections, mapped and routed: first one
// message for each of 2,000 new patients, then messages about the same patients), and the
// end-to-end delivery latency to a loopback FHIR receiver (from the sender's request to the
// message's arrival at the receiver; a message can arrive before its sender has the answer).
// The whole pipeline runs as in production: each HTTP sender presents a bearer token (SMART
// Backend Services, ES384 keys made for the run), the sender's write is decided by the consent
// stage and audited by the audit stage, each recipient is decided by the routing table and
// the consent evaluator and audited as a disclosure, and every acknowledged message is in the
// store, outbox and audit log before the answer. JSON lines for bench/run.sh.
// Profiling knobs: ONEDOOR_BENCH_SENDERS=N (one HTTP run with N senders; 0: none),
// ONEDOOR_BENCH_WORKERS=N (delivery workers, 16 unless set), ONEDOOR_BENCH_KEEP=1 (keep the
// databases for a look), ONEDOOR_BENCH_MLLP=N (N connections; 0: no MLLP run),
// ONEDOOR_BENCH_PATIENTS=N (the feed is about N people, 2,000 unless set), ONEDOOR_BENCH_AUTH=0
// (authentication off, which leaves out the consent and audit stages too).
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <rapidjson/document.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/ThreadPool.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "app/gateway.h"
#include "bench/bench_support.h"
#include "mllp/mllp_server.h"
#include "stages/authenticate/keys.h"
#include "stages/authenticate/token_service.h"

using namespace onedoor;
using onedoor::bench::Clock;
using onedoor::bench::percentile;
using onedoor::bench::slurp;

namespace {

// The load generator and the receiving partner speak HTTP/1.1 over plain sockets (keep-alive,
// Content-Length bodies): they share the two cores with the gateway, and Poco's streams would take
// a fifth of them. The gateway's side is the product's own (Poco HTTPServer and HTTPClientSession).

// Reads more bytes into `buf`; false when the peer closed.
bool fill(Poco::Net::StreamSocket& s, std::string& buf) {
  char chunk[8192];
  int n = s.receiveBytes(chunk, sizeof chunk);
  if (n <= 0) return false;
  buf.append(chunk, static_cast<std::size_t>(n));
  return true;
}

// The value of header `name` (lower case) in an HTTP head, or "".
std::string headerValue(const std::string& head, const std::string& name) {
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::size_t at = lower.find("\r\n" + name + ":");
  if (at == std::string::npos) return {};
  at += name.size() + 3;
  std::size_t end = head.find("\r\n", at);
  std::string v = head.substr(at, end - at);
  v.erase(0, v.find_first_not_of(' '));
  return v;
}

// One HTTP/1.1 message (head and Content-Length body) from `s`; bytes read past it stay in `buf`
// for the next. False when the peer closed.
bool readMessage(Poco::Net::StreamSocket& s, std::string& buf, std::string& head, std::string& body) {
  std::size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(s, buf)) return false;
  }
  head.assign(buf, 0, end + 4);
  std::string length = headerValue(head, "content-length");
  std::size_t n = length.empty() ? 0 : std::stoul(length);
  while (buf.size() < end + 4 + n) {
    if (!fill(s, buf)) return false;
  }
  body.assign(buf, end + 4, n);
  buf.erase(0, end + 4 + n);
  return true;
}

// The receiving partner: notes when each message (by Idempotency-Key) arrives, answers 200.
struct Arrivals {
  std::mutex mu;
  std::map<std::string, Clock::time_point> at;
};

class Receive : public Poco::Net::TCPServerConnection {
 public:
  Receive(const Poco::Net::StreamSocket& s, Arrivals& a) : Poco::Net::TCPServerConnection(s), a_(a) {}
  void run() override {
    core::nameThisThread("bench-receive");
    static const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    std::string buf, head, body;
    try {
      while (readMessage(socket(), buf, head, body)) {
        {
          std::lock_guard lock(a_.mu);
          a_.at.emplace(headerValue(head, "idempotency-key"), Clock::now());
        }
        socket().sendBytes(kOk.data(), static_cast<int>(kOk.size()));
      }
    } catch (const Poco::Exception&) {
      // the gateway closed the connection
    }
  }

 private:
  Arrivals& a_;
};

class ReceiveFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit ReceiveFactory(Arrivals& a) : a_(a) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& s) override { return new Receive(s, a_); }

 private:
  Arrivals& a_;
};

std::string message(const std::string& id) {
  return R"({"resourceType": "Bundle", "id": ")" + id + R"(", "type": "message", "timestamp": "2026-11-23T10:00:00Z",
    "entry": [{"fullUrl": "urn:uuid:)" + id + R"(-h", "resource": {"resourceType": "MessageHeader",
      "eventCoding": {"system": "https://onedoor.dev/bench", "code": "bench"}, "source": {"endpoint": "https://sender.example"}}},
      {"fullUrl": "urn:uuid:)" + id + R"(-c", "resource": {"resourceType": "Communication", "status": "completed",
      "payload": [{"contentString": "benchmark message"}]}}]})";
}

// User and system CPU seconds of this process so far.
double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// `senders` threads post messages for `seconds`; then, once every acknowledged message has
// arrived (or after 120 s), one JSON line: acknowledgements per second and delivery latency.
void httpRun(std::uint16_t port, const std::string& token, int senders, double seconds, Arrivals& arrivals) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> acked{0};
  std::mutex sent_mu;
  std::map<std::string, Clock::time_point> sent_at;  // of the acknowledged messages
  std::vector<std::thread> threads;
  std::size_t arrived_before = 0;  // of earlier runs
  {
    std::lock_guard lock(arrivals.mu);
    arrived_before = arrivals.at.size();
  }
  auto start = Clock::now();
  const double cpu_start = cpuSeconds();
  for (int t = 0; t < senders; ++t) {
    threads.emplace_back([&, t] {
      core::nameThisThread("bench-http-send");
      Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
      std::string buf, head, answer;
      for (int n = 0; !stop.load(); ++n) {
        std::string id = "b" + std::to_string(senders) + "-" + std::to_string(t) + "-" + std::to_string(n);
        std::string body = message(id);
        const auto sent = Clock::now();
        // A request id of its own per message, as BaRS senders send (UUID form).
        char rid[40];
        std::snprintf(rid, sizeof rid, "00000000-0000-4000-8%03x-%012x", senders % 0x1000, (t << 24) | (n & 0xffffff));
        std::string request = "POST /fhir/$process-message HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                              token + "\r\nX-Request-Id: " + rid +
                              "\r\nContent-Type: application/fhir+json\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;
        socket.sendBytes(request.data(), static_cast<int>(request.size()));
        if (!readMessage(socket, buf, head, answer)) {
          std::cerr << "the gateway closed the connection\n";
          std::abort();
        }
        if (head.compare(0, 12, "HTTP/1.1 200") != 0) {
          std::cerr << "not acknowledged: " << head << answer << "\n";
          std::abort();
        }
        acked++;
        std::lock_guard lock(sent_mu);
        sent_at.emplace(id + "/bench-ward", sent);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double http_s = std::chrono::duration<double>(Clock::now() - start).count();
  // Every acknowledged message delivered, then the latency from the request to the arrival.
  auto wait_until = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < wait_until) {
    std::lock_guard lock(arrivals.mu);
    if (arrivals.at.size() - arrived_before >= sent_at.size()) break;
    arrivals.mu.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    arrivals.mu.lock();
  }
  // CPU of the whole process (gateway, load generator, receiver) per acknowledged message, its
  // delivery included: steadier than the rate on a VM whose disk and CPU vary minute to minute.
  const double cpu_ms = (cpuSeconds() - cpu_start) * 1000.0 / static_cast<double>(std::max<std::uint64_t>(1, acked.load()));
  std::vector<double> latency_ms;
  std::size_t delivered = 0;
  {
    std::lock_guard lock(arrivals.mu);
    for (const auto& [key, t] : sent_at) {
      auto it = arrivals.at.find(key);
      if (it == arrivals.at.end()) continue;
      ++delivered;
      latency_ms.push_back(std::chrono::duration<double, std::milli>(it->second - t).count());
    }
  }
  std::cout << R"({"bench":"messaging_http","senders":)" << senders << R"(,"acked":)" << acked.load() << R"(,"acks_s":)"
            << static_cast<double>(acked.load()) / http_s << R"(,"delivered":)" << delivered << R"(,"latency_p50_ms":)"
            << percentile(latency_ms, 0.5) << R"(,"latency_p99_ms":)" << percentile(latency_ms, 0.99)
            << R"(,"cpu_ms_per_message":)" << cpu_ms << "}\n";

}

// The people an ADT feed in the benchmark is about: valid NHS numbers (modulus 11), distinct
// family names, birth dates spread over sixty years, twenty people per postcode.
constexpr int kFeedPatients = 2000;

struct Person {
  std::string nhs, family, birth, postcode;
};

std::vector<Person> feedPeople(int n) {
  std::vector<Person> out;
  for (long base = 940000000; static_cast<int>(out.size()) < n; ++base) {
    std::string digits = std::to_string(base);
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (digits[static_cast<std::size_t>(i)] - '0') * (10 - i);
    int check = 11 - sum % 11;
    if (check == 10) continue;
    if (check == 11) check = 0;
    const int k = static_cast<int>(out.size());
    char birth[16];
    std::snprintf(birth, sizeof birth, "%04d%02d%02d", 1940 + k % 60, 1 + k % 12, 1 + k % 28);
    // About twenty people per postcode, as in England.
    std::string postcode = "LS" + std::to_string(1 + k / 20 % 28) + " " + std::to_string(1 + k / 20 / 28 % 9) + "AB";
    out.push_back({digits + std::to_string(check), "Feedperson" + std::to_string(k), birth, postcode});
  }
  return out;
}

// An access token for partner `partner` of the gateway on `port`: a client assertion signed with
// its development key, exchanged at the token endpoint (as `onedoor token` does).
std::string accessToken(const config::GatewayConfig& cfg, std::uint16_t port, const std::string& partner) {
  const config::PartnerConfig* p = cfg.partner(partner);
  auto key = stages::authenticate::JwtKey::load("ES384", cfg.resolvePath(p->development_key), true);
  if (!key.isOk()) throw std::runtime_error(key.status().message());
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/auth/token";
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto assertion = stages::authenticate::TokenService::clientAssertion(*p, **key, url, now, core::Env::real()->uuid());
  if (!assertion.isOk()) throw std::runtime_error(assertion.status().message());
  Poco::Net::HTMLForm form;
  form.set("grant_type", "client_credentials");
  form.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  form.set("client_assertion", *assertion);
  std::ostringstream body;
  form.write(body);
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/auth/token", Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/x-www-form-urlencoded");
  req.setContentLength64(static_cast<Poco::Int64>(body.str().size()));
  session.sendRequest(req) << body.str();
  Poco::Net::HTTPResponse resp;
  std::string text;
  Poco::StreamCopier::copyToString(session.receiveResponse(resp), text);
  rapidjson::Document d;
  d.Parse(text.c_str());
  if (resp.getStatus() != 200 || !d.IsObject() || !d.HasMember("access_token")) {
    throw std::runtime_error("the token endpoint refused: " + text);
  }
  return d["access_token"].GetString();
}

void replaceOnce(std::string& text, const std::string& from, const std::string& to) {
  std::size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
}

}  // namespace

int messagingBench(const std::vector<std::string>& args) {
  std::string policy = std::filesystem::absolute(args.at(0)).string();
  std::string adt_map = std::filesystem::absolute(args.at(1)).string();
  std::string a01 = slurp(args.at(2));
  double seconds = std::stod(args.at(3));
  // ONEDOOR_BENCH_WORKERS=N: delivery workers (16 unless set), for profiling the accept path alone.
  const char* workers_env = std::getenv("ONEDOOR_BENCH_WORKERS");
  std::string workers = workers_env != nullptr ? workers_env : "16";
  auto dir = std::filesystem::temp_directory_path() / ("onedoor-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Arrivals arrivals;
  Poco::Net::ServerSocket rx_socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  auto params = new Poco::Net::TCPServerParams;
  params->setMaxThreads(64);
  Poco::ThreadPool rx_pool(4, 64);
  Poco::Net::TCPServer receiver(new ReceiveFactory(arrivals), rx_pool, rx_socket, params);
  receiver.start();
  // ONEDOOR_BENCH_AUTH=0: no authentication, and so no consent and audit stages (auth.required
  // false, a loopback development set-up), to see what they cost.
  const char* auth_env = std::getenv("ONEDOOR_BENCH_AUTH");
  const bool secured = auth_env == nullptr || std::string(auth_env) != "0";
  // Keys made for this run only: the gateway's token signing key and the HTTP sender's.
  for (const char* name : {"gateway", "bench-sender"}) {
    auto key = stages::authenticate::JwtKey::generateEc((dir / (std::string(name) + ".key.pem")).string(),
                                                        (dir / (std::string(name) + ".pub.pem")).string());
    if (!key.isOk()) {
      std::cerr << key.status().toString() << "\n";
      return 1;
    }
  }
  std::string text = R"({"server": {"host": "127.0.0.1", "port": 0, "max_threads": 64, "allow_plain_http": true},
    "storage": {"driver": "sqlite", "sqlite_path": ")" + (dir / "onedoor.db").string() + R"("},
    "audit": {"sqlite_path": ")" + (dir / "audit.db").string() + R"("},
    "auth": {"signing_key": ")" + (dir / "gateway.key.pem").string() + R"(", "required": )" + (secured ? "true" : "false") + R"(},
    "consent": {"policy": ")" + policy + R"("},
    "partners": [{"id": "pas", "sector": "acute", "ods": "RX1", "purposes": ["TREAT"], "scopes": ["system/*.cruds"]},
      {"id": "bench-sender", "sector": "acute", "ods": "RXS", "purposes": ["TREAT"], "scopes": ["system/*.cruds"],
       "keys": [{"kid": "k1", "alg": "ES384", "public_key": ")" + (dir / "bench-sender.pub.pem").string() + R"("}],
       "development_key": ")" + (dir / "bench-sender.key.pem").string() + R"("},
      {"id": "bench-ward", "sector": "acute", "ods": "RXB", "delivery": {"transport": "fhir-message",
       "endpoint": "http://127.0.0.1:)" + std::to_string(rx_socket.address().port()) + R"(/fhir"}}],
    "delivery": {"workers": )" + workers + R"(, "poll_ms": 20},
    "routes": [{"name": "bench", "event": "bench", "to": ["bench-ward"]},
               {"name": "adt", "event": "http://terminology.hl7.org/CodeSystem/v2-0003|A01", "to": ["bench-ward"]}],
    "mllp": [{"port": 0, "partner": "pas", "map": ")" + adt_map + R"("}]})";
  config::Diagnostics diags;
  auto cfg = config::parseGatewayConfig((dir / "onedoor.json").string(), text, diags);
  if (!cfg) {
    std::cerr << diags.toString();
    return 1;
  }
  auto gw = app::Gateway::start(cfg, core::Env::real());
  if (!gw.isOk()) {
    std::cerr << gw.status().toString() << "\n";
    return 1;
  }
  std::uint16_t port = (*gw)->port();

  // HTTP: 16 and then 64 senders with keep-alive connections (ONEDOOR_BENCH_SENDERS=N: N only).
  const char* senders_env = std::getenv("ONEDOOR_BENCH_SENDERS");
  std::vector<int> sender_counts = senders_env != nullptr ? std::vector<int>{std::atoi(senders_env)} : std::vector<int>{16, 64};
  std::erase(sender_counts, 0);  // ONEDOOR_BENCH_SENDERS=0: no HTTP run
  // A fresh token per run (tokens live five minutes).
  for (int senders : sender_counts) {
    httpRun(port, secured ? accessToken(*cfg, port, "bench-sender") : "none", senders, seconds, arrivals);
  }

  // MLLP: 8 connections sending A01s with distinct control ids, each waiting for its ACK. First
  // one message about each of kFeedPatients people (each creates its Patient: matched, indexed),
  // then `seconds` of messages about the same people (each finds its Patient unchanged).
  // ONEDOOR_BENCH_PATIENTS=N: a feed about N people instead.
  const char* patients_env = std::getenv("ONEDOOR_BENCH_PATIENTS");
  const int patients = std::max(1, patients_env != nullptr ? std::atoi(patients_env) : kFeedPatients);
  const std::vector<Person> people = feedPeople(patients);
  const char* mllp_env = std::getenv("ONEDOOR_BENCH_MLLP");
  const int connections = mllp_env != nullptr ? std::atoi(mllp_env) : 8;
  const std::uint16_t mllp_port = (*gw)->mllpPort(0);
  // Sends messages first, first + connections ... (while `more(n)`) on each connection; how many.
  auto feed = [&](const std::string& phase, int first, const std::function<bool(int)>& more) {
    std::atomic<std::uint64_t> acked{0};
    std::vector<std::thread> threads;
    auto start = Clock::now();
    for (int t = 0; t < connections; ++t) {
      threads.emplace_back([&, t] {
        core::nameThisThread("bench-mllp-send");
        Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", mllp_port));
        for (int n = first + t; more(n); n += connections) {
          const int who = n % patients;
          const Person& person = people[static_cast<std::size_t>(who)];
          std::string msg = a01;
          replaceOnce(msg, "|MSG0001|", "|M" + std::to_string(n) + "|");
          replaceOnce(msg, "RX1-123456", "RX1-" + std::to_string(100000 + who));
          replaceOnce(msg, "9434765919", person.nhs);
          replaceOnce(msg, "Chalmers", person.family);
          replaceOnce(msg, "19740620", person.birth);
          replaceOnce(msg, "LS1 1AA", person.postcode);
          std::string framed = mllp::frame(msg);
          socket.sendBytes(framed.data(), static_cast<int>(framed.size()));
          std::string ack;
          char buf[1024];
          while (ack.find(mllp::kEndBlock) == std::string::npos) {
            int k = socket.receiveBytes(buf, sizeof buf);
            if (k <= 0) std::abort();
            ack.append(buf, static_cast<std::size_t>(k));
          }
          if (ack.find("MSA|AA") == std::string::npos) {
            std::cerr << "not AA: " << ack << "\n";
            std::abort();
          }
          acked++;
        }
      });
    }
    for (auto& t : threads) t.join();
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    std::cout << R"({"bench":"messaging_mllp","phase":")" << phase << R"(","connections":)" << connections
              << R"(,"patients":)" << patients << R"(,"acked":)" << acked.load() << R"(,"acks_s":)"
              << static_cast<double>(acked.load()) / s << "}\n";
  };
  if (connections > 0) {
    feed("new-patients", 0, [&](int n) { return n < patients; });
    auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    feed("known-patients", patients, [&](int) { return Clock::now() < until; });
  }
  (*gw)->stop();
  receiver.stop();
  if (std::getenv("ONEDOOR_BENCH_KEEP") == nullptr) {
    std::filesystem::remove_all(dir);
  } else {
    std::cerr << "kept " << dir.string() << "\n";
  }
  return 0;
}
