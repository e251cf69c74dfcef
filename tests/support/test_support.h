#pragma once
// Helpers shared by the test executables: the R4 model (loaded once), temporary folders, the
// shared conformance folder, and a gateway started on port 0 with its own SQLite file.

#include <Poco/Process.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gateway.h"
#include "config/gateway_config.h"
#include "fhir/model.h"
#include "fhir/node.h"
#include "support/http_client.h"

namespace onedoor::testing {

// The R4 core model from the package cache; aborts the test run with a clear message if the
// package is not installed (run scripts/install-fhir-packages.sh).
const fhir::Model& model();
fhir::ModelPtr modelPtr();

// FHIRPath `expr` on `node`, the result as the CLI prints it (a JSON array); fails the test on
// an expression that does not compile.
std::string evalJson(const fhir::Node& node, const std::string& expr);

// A JSON value (a resource a test changed) as text, to send back.
std::string jsonText(const rapidjson::Value& value);
// A response body as a JSON document.
rapidjson::Document json(const HttpResponse& r);
// The id of the resource a create answered with (fails the test unless the answer is 201).
std::string created(const HttpResponse& r);

// ../shared/conformance/<sub>, or nullopt (tests then skip with a message).
std::optional<std::filesystem::path> sharedDir(const std::string& sub);

std::string readFile(const std::filesystem::path& p);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Parses a FHIR JSON/XML text that the test knows to be valid; fails the test otherwise.
fhir::Node parse(const std::string& text);

// The real `onedoor` binary run with `args`, `input` on its stdin.
struct CliRun {
  int code;
  std::string out;
  std::string err;
};
// Sends `message` (ER7) framed over MLLP to 127.0.0.1:`port` and returns the acknowledgement's text
// ("" if none came within 20 s).
std::string mllpExchange(std::uint16_t port, const std::string& message);

CliRun runOnedoor(const std::vector<std::string>& args, const std::string& input = "");

// A free TCP port on 127.0.0.1 (free when asked).
std::uint16_t freePort();
// `onedoor serve --config DIR/onedoor.json` as a process of its own (output in DIR/serve.log),
// returned once GET /ready on `port` answers 200; the test fails if it never does.
std::unique_ptr<Poco::ProcessHandle> serveProcess(const std::filesystem::path& dir, std::uint16_t port);

// Runs `sql` on an audit store file as someone with write access to it would: the triggers that
// refuse UPDATE and DELETE dropped first.
void tamperSqlite(const std::string& path, const std::string& sql);

// A partner system registered with a test gateway; its ES384 key pair is generated for the test
// (keys/<id>.key.pem, keys/<id>.pub.pem in the gateway's folder) and never leaves it.
struct TestPartner {
  std::string id;
  std::string sector = "acute";
  std::vector<std::string> purposes = {"TREAT"};
  std::vector<std::string> scopes = {"system/*.cruds"};
  std::string ods;
  std::string certificate_subject;
  std::string delivery;  // the partner's "delivery" object (JSON text), if it receives messages
  bool patient_facing = false;  // may act for a person signed in with NHS login
};

// A gateway on 127.0.0.1 with an OS-chosen port, a fresh SQLite database, its own generated
// signing key, and the partner "test-client" (acute sector, every scope and purpose) plus any
// `partners` given. Requests authenticate with real tokens from token().
// The PostgreSQL server the tests may use (ONEDOOR_TEST_POSTGRES_URL, a libpq connection string,
// set by scripts/test.sh after scripts/start-postgres.sh), its public schema emptied; nullopt
// when there is none, after saying so (a failure under CI=true, where one must be).
std::optional<std::string> freshPostgres();

class TestGateway {
 public:
  // `server_extra` is added inside "server" ("\"max_body_bytes\": 100"), `extra` at the top
  // (with a "storage" object of its own, it replaces the SQLite default).
  // `before_start` runs on the gateway's folder before it starts (to prepare db/onedoor.db).
  // `policy`: the consent policy (JSON text); by default one rule lets test-client (acute) see
  // everything, with exact totals and reverse chaining.
  explicit TestGateway(const std::string& server_extra = "", const std::string& extra = "",
                       const std::vector<TestPartner>& partners = {},
                       const std::function<void(const std::filesystem::path&)>& before_start = {},
                       const std::string& policy = "");
  ~TestGateway();
  std::uint16_t port() const { return gateway_->port(); }
  std::string base() const { return gateway_->baseUrl(); }
  app::Gateway& gateway() { return *gateway_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // A client assertion signed with the partner's key, for `aud` (default: this gateway's token URL).
  std::string assertion(const std::string& partner = "test-client", const std::string& jti = "",
                        std::int64_t lifetime_s = 240, const std::string& aud = "");
  // An access token from the real token endpoint (fails the test when refused).
  std::string token(const std::string& partner = "test-client", const std::string& scope = "",
                    const std::string& purpose = "");
  // The token endpoint's URL (the assertions' audience).
  std::string tokenUrl() const;
  // For a gateway listening with TLS: how token() and client() connect.
  void useTls(ClientTls tls) { tls_ = std::move(tls); }
  // A client of this gateway with `token` (plain HTTP, or HTTPS after useTls).
  HttpClient client(const std::string& token = "") const { return HttpClient(port(), token, tls_); }

 private:
  TempDir dir_;
  std::unique_ptr<app::Gateway> gateway_;
  config::GatewayConfigPtr config_;
  std::optional<ClientTls> tls_;
};

}  // namespace onedoor::testing
