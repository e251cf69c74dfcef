// onedoor_bench identity N: patient identity at scale, through a gateway in this process (SQLite,
// auth off). N generated Patients (each with a valid NHS number) are loaded in transactions with
// matching off; the gateway is restarted on the same store with matching on, then:
//   - POST Patient/$match latency, one client: by NHS number (certain), by demographics with a
//     typo and no NHS number (probable/possible), and for someone not there (no candidates);
//     beside it, a plain search by NHS number in the same run for scale;
//   - upserts per second (PUT Patient?identifier=...), 8 clients, half new people and half
//     existing people arriving with another partner's identifier (matched by NHS number, linked).
// JSON lines for bench/run.sh.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "app/gateway.h"
#include "bench/bench_support.h"

using namespace onedoor;
using onedoor::bench::Clock;
using onedoor::bench::percentile;

namespace {

const std::vector<std::string> kFamilies = {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
                                            "Patel", "Khan", "Ahmed", "Hussain", "Begum", "Ali", "Evans", "Thomas",
                                            "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes",
                                            "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin", "Okafor",
                                            "Jackson", "Clarke", "Turner", "Hill", "Scott", "Cooper", "Morris", "Ward"};
const std::vector<std::string> kGivens = {"Oliver", "George", "Harry", "Jack", "Noah", "Leo", "Arthur", "Muhammad",
                                          "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella",
                                          "Sophia", "Grace", "Freya", "Amira", "Fatima", "Aisha", "Zara", "Yusuf"};

struct Person {
  std::string nhs, family, given, birth, postcode, gender;
};

std::string nhsNumber(std::uint32_t n) {
  // 9 digits from n, then the modulus 11 check digit; n values giving check 10 are skipped by the caller.
  char buf[16];
  std::snprintf(buf, sizeof buf, "9%08u", n % 100000000u);
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (buf[i] - '0') * (10 - i);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  if (check == 10) return "";
  return std::string(buf) + static_cast<char>('0' + check);
}

Person person(std::mt19937& rng, std::uint32_t& serial) {
  Person p;
  while (p.nhs.empty()) p.nhs = nhsNumber(serial++);
  p.family = kFamilies[rng() % kFamilies.size()];
  p.given = kGivens[rng() % kGivens.size()];
  char b[16];
  std::snprintf(b, sizeof b, "%04u-%02u-%02u", static_cast<unsigned>(1930 + rng() % 90), static_cast<unsigned>(1 + rng() % 12),
                static_cast<unsigned>(1 + rng() % 28));
  p.birth = b;
  std::snprintf(b, sizeof b, "LS%u %u%c%c", static_cast<unsigned>(1 + rng() % 28), static_cast<unsigned>(rng() % 10),
                static_cast<char>('A' + rng() % 26), static_cast<char>('A' + rng() % 26));
  p.postcode = b;
  p.gender = rng() % 2 ? "female" : "male";
  return p;
}

std::string patientJson(const Person& p, const std::string& local_system = "", const std::string& local = "",
                        bool with_nhs = true) {
  std::string ids;
  if (with_nhs) ids += R"({"system": "https://fhir.nhs.uk/Id/nhs-number", "value": ")" + p.nhs + "\"}";
  if (!local.empty()) ids += std::string(ids.empty() ? "" : ", ") + R"({"system": ")" + local_system + R"(", "value": ")" + local + "\"}";
  return R"({"resourceType": "Patient", )" + (ids.empty() ? std::string() : R"("identifier": [)" + ids + "], ") +
         R"("name": [{"family": ")" + p.family +
         R"(", "given": [")" + p.given + R"("]}], "gender": ")" + p.gender + R"(", "birthDate": ")" + p.birth +
         R"(", "address": [{"postalCode": ")" + p.postcode + R"("}]})";
}

struct Http {
  Poco::Net::HTTPClientSession session;
  explicit Http(std::uint16_t port) : session("127.0.0.1", port) { session.setKeepAlive(true); }
  int call(const std::string& method, const std::string& path, const std::string& body, std::string* out = nullptr) {
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    if (!body.empty()) {
      req.setContentType("application/fhir+json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    std::string text;
    Poco::StreamCopier::copyToString(in, text);
    if (out != nullptr) *out = std::move(text);
    return resp.getStatus();
  }
};

core::Result<std::unique_ptr<app::Gateway>> startGateway(const std::filesystem::path& dir, bool identity) {
  std::string text = R"({"server": {"host": "127.0.0.1", "port": 0, "max_threads": 32, "max_body_bytes": 100000000},
    "storage": {"driver": "sqlite", "sqlite_path": ")" + (dir / "onedoor.db").string() + R"("},
    "audit": {"sqlite_path": ")" + (dir / "audit.db").string() + R"("},
    "limits": {"max_bundle_entries": 5000},
    "auth": {"required": false}, "identity": {"enabled": )" + (identity ? "true" : "false") + "}}";
  config::Diagnostics diags;
  auto cfg = config::parseGatewayConfig((dir / "onedoor.json").string(), text, diags);
  if (!cfg) return core::invalid(diags.toString());
  return app::Gateway::start(cfg, core::Env::real());
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int identityBench(int n) {
  auto dir = std::filesystem::temp_directory_path() / ("onedoor-identity-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::mt19937 rng(20261207);
  std::uint32_t serial = 1;
  std::vector<Person> people;
  people.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) people.push_back(person(rng, serial));
  {
    auto gw = startGateway(dir, false);
    if (!gw.isOk()) {
      std::cerr << gw.status().toString() << "\n";
      return 1;
    }
    Http http((*gw)->port());
    auto start = Clock::now();
    for (int i = 0; i < n; i += 1000) {
      std::string bundle = R"({"resourceType": "Bundle", "type": "transaction", "entry": [)";
      for (int j = i; j < std::min(n, i + 1000); ++j) {
        bundle += std::string(j > i ? "," : "") + R"({"resource": )" + patientJson(people[static_cast<std::size_t>(j)]) +
                  R"(, "request": {"method": "POST", "url": "Patient"}})";
      }
      bundle += "]}";
      std::string out;
      int status = http.call("POST", "/fhir", bundle, &out);
      if (status != 200) {
        std::cerr << "load failed: " << status << " " << out.substr(0, 300) << "\n";
        return 1;
      }
    }
    std::cout << "{\"bench\":\"identity_load\",\"patients\":" << n << ",\"seconds\":" << ms(Clock::now() - start) / 1000
              << "}\n";
    (*gw)->stop();
  }
  if (std::getenv("ONEDOOR_BENCH_LOAD_ONLY") != nullptr) {  // profiling: keep the loaded store
    std::cerr << "loaded into " << dir << "\n";
    return 0;
  }
  auto gw = startGateway(dir, true);
  if (!gw.isOk()) {
    std::cerr << gw.status().toString() << "\n";
    return 1;
  }
  std::uint16_t port = (*gw)->port();
  Http http(port);
  // $match, three kinds of query, and a plain search by NHS number beside it.
  auto matchBody = [](const std::string& patient) {
    return R"({"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": )" + patient + "}]}";
  };
  std::map<std::string, std::vector<double>> lat;
  std::size_t found_certain = 0, found_near = 0;
  for (int q = 0; q < 300; ++q) {
    const Person& p = people[rng() % people.size()];
    std::string out;
    auto t = Clock::now();
    http.call("POST", "/fhir/Patient/$match", matchBody(patientJson(p)), &out);
    lat["by NHS number"].push_back(ms(Clock::now() - t));
    found_certain += out.find("\"certain\"") != std::string::npos;
    Person typo = p;
    if (typo.family.size() > 4) typo.family = typo.family.substr(0, 2) + typo.family[3] + typo.family[2] + typo.family.substr(4);
    t = Clock::now();
    http.call("POST", "/fhir/Patient/$match", matchBody(patientJson(typo, "", "", false)), &out);
    lat["by demographics, a typo, no NHS number"].push_back(ms(Clock::now() - t));
    found_near += out.find(p.nhs) != std::string::npos;  // the person is among the candidates
    std::uint32_t stranger_serial = 90000000u + static_cast<std::uint32_t>(q);
    Person stranger = person(rng, stranger_serial);
    stranger.family = "Zzyzx";
    t = Clock::now();
    http.call("POST", "/fhir/Patient/$match", matchBody(patientJson(stranger)), &out);
    lat["someone not there"].push_back(ms(Clock::now() - t));
    t = Clock::now();
    http.call("GET", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + p.nhs, "", &out);
    lat["plain search by NHS number (scale)"].push_back(ms(Clock::now() - t));
  }
  for (const auto& [kind, v] : lat) {
    std::cout << "{\"bench\":\"identity_match\",\"patients\":" << n << ",\"kind\":\"" << kind << "\",\"queries\":" << v.size()
              << ",\"p50_ms\":" << percentile(v, 0.5) << ",\"p99_ms\":" << percentile(v, 0.99) << "}\n";
  }
  std::cout << "{\"bench\":\"identity_match_found\",\"certain\":" << found_certain << ",\"near\":" << found_near
            << ",\"of\":300}\n";
  // Upserts: 8 clients for 5 s.
  const int clients = 8;
  std::atomic<std::uint64_t> created{0}, linked{0}, failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Http h(port);
      std::mt19937 r(static_cast<unsigned>(c) * 7919u);
      std::uint32_t own = 50000000u + static_cast<std::uint32_t>(c) * 1000000u;
      for (int i = 0; !stop.load(); ++i) {
        std::string local = "U" + std::to_string(c) + "-" + std::to_string(i);
        Person p = i % 2 == 0 ? person(r, own) : people[r() % people.size()];
        std::string out;
        int status = h.call("PUT", "/fhir/Patient?identifier=https://bench.example/Id/local|" + local,
                            patientJson(p, "https://bench.example/Id/local", local), &out);
        if (status == 201) {
          ++created;
        } else if (status == 200) {
          ++linked;
        } else {
          ++failed;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));
  stop = true;
  for (auto& t : threads) t.join();
  double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << "{\"bench\":\"identity_upsert\",\"patients\":" << n << ",\"clients\":" << clients
            << ",\"upserts_s\":" << static_cast<double>(created + linked) / s << ",\"created\":" << created
            << ",\"linked\":" << linked << ",\"failed\":" << failed << "}\n";
  (*gw)->stop();
  std::filesystem::remove_all(dir);
  return 0;
}
