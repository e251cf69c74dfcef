#include "support/test_support.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include "mllp/mllp_server.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "app/gateway.h"
#include "storage/sql_store.h"
#include "stages/authenticate/keys.h"
#include "stages/authenticate/token_service.h"
#include "support/http_client.h"
#include "fhir/codec.h"
#include "fhirpath/expression.h"
#include "fhir/model_builder.h"

namespace onedoor::testing {

fhir::ModelPtr modelPtr() {
  static fhir::ModelPtr model = [] {
    fhir::PackageCache packages;
    auto m = fhir::loadModel(packages, fhir::kR4Core, fhir::defaultCacheDir());
    if (!m.isOk()) {
      std::cerr << "FATAL: " << m.status().message() << "\n";
      std::abort();
    }
    return *m;
  }();
  return model;
}

const fhir::Model& model() { return *modelPtr(); }

std::optional<std::filesystem::path> sharedDir(const std::string& sub) {
  std::filesystem::path p = std::filesystem::path(ONEDOOR_SHARED_DIR) / "conformance" / sub;
  if (!std::filesystem::exists(p)) return std::nullopt;
  return p;
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("onedoor-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string jsonText(const rapidjson::Value& value) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  value.Accept(w);
  return sb.GetString();
}

std::string evalJson(const fhir::Node& node, const std::string& expr) {
  auto e = fhirpath::Expression::compile(expr);
  BOOST_REQUIRE_MESSAGE(e.isOk(), expr + ": " + (e.isOk() ? std::string() : e.status().message()));
  fhirpath::Environment env;
  auto r = e->evaluate(node, env);
  BOOST_REQUIRE_MESSAGE(r.isOk(), expr);
  return fhirpath::toJson(*r);
}

fhir::Node parse(const std::string& text) {
  auto r = fhir::read(model(), fhir::sniffFormat(text), text);
  if (!r.ok()) {
    BOOST_FAIL("test resource does not parse: " + r.issues.front().message + " at " +
               r.issues.front().expression);
  }
  return std::move(r.resource);
}

namespace {

std::string quoteList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", \"" : "\"") + items[i] + "\"";
  return out + "]";
}

}  // namespace

std::string mllpExchange(std::uint16_t port, const std::string& message) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
  socket.setReceiveTimeout(Poco::Timespan(20, 0));
  std::string framed = mllp::frame(message);
  socket.sendBytes(framed.data(), static_cast<int>(framed.size()));
  std::string got;
  char c = 0;
  bool in_frame = false;
  try {
    while (socket.receiveBytes(&c, 1) == 1) {
      if (c == mllp::kStartBlock) {
        in_frame = true;
      } else if (c == mllp::kEndBlock) {
        break;
      } else if (in_frame) {
        got += c;
      }
    }
  } catch (const Poco::Exception&) {
    return "";
  }
  return got;
}

CliRun runOnedoor(const std::vector<std::string>& args, const std::string& input) {
  Poco::Pipe in, out, err;
  Poco::ProcessHandle ph = Poco::Process::launch(ONEDOOR_BINARY, args, &in, &out, &err);
  Poco::PipeOutputStream ins(in);
  ins << input;
  ins.close();
  // stderr is read on its own thread so that neither pipe can fill up and stall the child.
  std::string o, e;
  std::thread err_reader([&] {
    Poco::PipeInputStream errs(err);
    Poco::StreamCopier::copyToString(errs, e);
  });
  Poco::PipeInputStream outs(out);
  Poco::StreamCopier::copyToString(outs, o);
  err_reader.join();
  return {ph.wait(), o, e};
}

void tamperSqlite(const std::string& path, const std::string& sql) {
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session s("SQLite", path);
  for (const char* t : {"audit_event_no_update", "audit_event_no_delete", "audit_checkpoint_no_update",
                        "audit_checkpoint_no_delete"}) {
    s << "DROP TRIGGER IF EXISTS " + std::string(t), Poco::Data::Keywords::now;
  }
  std::size_t start = 0;
  while (start < sql.size()) {
    std::size_t end = sql.find("; ", start);
    std::string one = sql.substr(start, end == std::string::npos ? std::string::npos : end - start);
    s << one, Poco::Data::Keywords::now;
    if (end == std::string::npos) break;
    start = end + 2;
  }
}

TestGateway::TestGateway(const std::string& server_extra, const std::string& extra,
                         const std::vector<TestPartner>& partners,
                         const std::function<void(const std::filesystem::path&)>& before_start,
                         const std::string& policy) {
  if (before_start) before_start(dir_.path());
  std::ofstream(dir_.path() / "policy.json")
      << (policy.empty() ? R"({"version": "test-1", "rules": [{"id": "test-all", "sectors": ["acute"],
           "purposes": ["TREAT", "ETREAT", "HOPERAT", "HRESCH", "PUBHLTH"], "access": "full",
           "exact_totals": true, "reverse_chaining": true, "reveal_missing": true}]})"
                         : policy);
  std::filesystem::create_directories(dir_.path() / "keys");
  auto gateway_key = stages::authenticate::JwtKey::generateEc((dir_.path() / "keys/gateway.key.pem").string(),
                                                               (dir_.path() / "keys/gateway.pub.pem").string());
  BOOST_REQUIRE_MESSAGE(gateway_key.isOk(), gateway_key.status().message());
  std::vector<TestPartner> all = {{"test-client", "acute", {"TREAT", "ETREAT", "HOPERAT", "HRESCH", "PUBHLTH"},
                                   {"system/*.cruds"}, "RTEST", "", ""}};
  all.insert(all.end(), partners.begin(), partners.end());
  std::string partner_json;
  for (const auto& p : all) {
    auto key = stages::authenticate::JwtKey::generateEc((dir_.path() / ("keys/" + p.id + ".key.pem")).string(),
                                                        (dir_.path() / ("keys/" + p.id + ".pub.pem")).string());
    BOOST_REQUIRE_MESSAGE(key.isOk(), key.status().message());
    partner_json += std::string(partner_json.empty() ? "" : ",\n") + R"({"id": ")" + p.id + R"(", "sector": ")" +
                    p.sector + R"(", "ods": ")" + p.ods + R"(", "purposes": )" + quoteList(p.purposes) +
                    R"(, "scopes": )" + quoteList(p.scopes) + R"(, "keys": [{"kid": "k1", "alg": "ES384", "public_key": "keys/)" +
                    p.id + R"(.pub.pem"}], "development_key": "keys/)" + p.id + R"(.key.pem")" +
                    (p.certificate_subject.empty() ? "" : R"(, "certificate_subject": ")" + p.certificate_subject + "\"") +
                    (p.delivery.empty() ? "" : R"(, "delivery": )" + p.delivery) +
                    (p.patient_facing ? R"(, "patient_facing": true)" : "") + "}";
  }
  bool own_storage = extra.find("\"storage\"") != std::string::npos;
  std::string text = R"({"server": {"host": "127.0.0.1", "port": 0, "allow_plain_http": true)" +
                     (server_extra.empty() ? std::string() : ", " + server_extra) + "},\n" +
                     (own_storage ? "" : R"("storage": {"driver": "sqlite", "sqlite_path": "db/onedoor.db"},)") + R"(
    "audit": {"sqlite_path": "db/audit.db"},
    "auth": {"signing_key": "keys/gateway.key.pem"},
    "consent": {"policy": "policy.json"},
    "partners": [)" + partner_json + "]" +
                     (extra.empty() ? std::string() : ", " + extra) + "}";
  std::ofstream(dir_.path() / "onedoor.json") << text;  // for CLI commands run against this gateway
  config::Diagnostics diags;
  config_ = config::parseGatewayConfig((dir_.path() / "onedoor.json").string(), text, diags);
  BOOST_REQUIRE_MESSAGE(config_ != nullptr, diags.toString());
  auto gw = app::Gateway::start(config_, core::Env::real());
  BOOST_REQUIRE_MESSAGE(gw.isOk(), gw.status().toString());
  gateway_ = std::move(gw).value();
}

std::uint16_t freePort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  return s.address().port();
}

std::unique_ptr<Poco::ProcessHandle> serveProcess(const std::filesystem::path& dir, std::uint16_t port) {
  std::string cmd = std::string("exec ") + ONEDOOR_BINARY + " serve --config " + (dir / "onedoor.json").string() + " >>" +
                    (dir / "serve.log").string() + " 2>&1";
  auto handle = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("/bin/sh", {"-c", cmd}));
  HttpClient c(port);
  for (int i = 0; i < 300; ++i) {
    try {
      if (c.get("/ready").status == 200) return handle;
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  BOOST_FAIL("the gateway did not become ready: " + readFile(dir / "serve.log"));
  return handle;
}

std::optional<std::string> freshPostgres() {
  const char* url = std::getenv("ONEDOOR_TEST_POSTGRES_URL");
  const char* ci = std::getenv("CI");
  if (url == nullptr || *url == '\0') {
    std::string why = "no PostgreSQL server: set ONEDOOR_TEST_POSTGRES_URL (scripts/test.sh starts one as root)";
    if (ci != nullptr && std::string(ci) == "true") BOOST_FAIL(why);
    BOOST_TEST_MESSAGE("skipped: " + why);
    std::cerr << "skipped: " << why << "\n";
    return std::nullopt;
  }
  auto loaded = storage::loadPostgresConnector();
  BOOST_REQUIRE_MESSAGE(loaded.isOk(), loaded.message());
  try {
    Poco::Data::Session s("PostgreSQL", url);
    s << "SET client_min_messages TO warning", Poco::Data::Keywords::now;
    s << "DROP SCHEMA IF EXISTS public CASCADE", Poco::Data::Keywords::now;
    s << "CREATE SCHEMA public", Poco::Data::Keywords::now;
  } catch (const Poco::Exception& e) {
    BOOST_FAIL("cannot empty the test database: " + e.displayText());
  }
  return std::string(url);
}

std::string TestGateway::assertion(const std::string& partner, const std::string& jti, std::int64_t lifetime_s,
                                   const std::string& aud) {
  const config::PartnerConfig* p = config_->partner(partner);
  BOOST_REQUIRE_MESSAGE(p != nullptr, "no test partner " + partner);
  auto key = stages::authenticate::JwtKey::load("ES384", config_->resolvePath(p->development_key), true);
  BOOST_REQUIRE(key.isOk());
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  static std::atomic<int> counter{0};
  std::string id = jti.empty() ? "jti-" + std::to_string(now) + "-" + std::to_string(counter++) : jti;
  auto a = stages::authenticate::TokenService::clientAssertion(
      *p, **key, aud.empty() ? tokenUrl() : aud, now, id, lifetime_s);
  BOOST_REQUIRE(a.isOk());
  return *a;
}

std::string TestGateway::token(const std::string& partner, const std::string& scope, const std::string& purpose) {
  HttpClient anon = client();
  std::string form = "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
                     "&client_assertion=" + assertion(partner);
  if (!scope.empty()) form += "&scope=" + Poco::replace(scope, " ", "+");
  if (!purpose.empty()) form += "&purpose_of_use=" + purpose;
  auto r = anon.request("POST", "/auth/token", form, {{"Content-Type", "application/x-www-form-urlencoded"}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, "token request for " + partner + " refused: " + r.body);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  BOOST_REQUIRE(d.IsObject() && d.HasMember("access_token"));
  return d["access_token"].GetString();
}

std::string TestGateway::tokenUrl() const {
  std::string b = base();
  return b.substr(0, b.size() - std::string("/fhir").size()) + "/auth/token";
}

TestGateway::~TestGateway() {
  if (gateway_) gateway_->stop();
}

rapidjson::Document json(const HttpResponse& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  return d;
}

std::string created(const HttpResponse& r) {
  BOOST_REQUIRE_MESSAGE(r.status == 201, "create failed: " + std::to_string(r.status) + " " + r.body);
  return json(r)["id"].GetString();
}

}  // namespace onedoor::testing
