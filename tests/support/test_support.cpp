#include "support/test_support.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "app/gateway.h"
#include "fhir/codec.h"
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

fhir::Node parse(const std::string& text) {
  auto r = fhir::read(model(), fhir::sniffFormat(text), text);
  if (!r.ok()) {
    BOOST_FAIL("test resource does not parse: " + r.issues.front().message + " at " +
               r.issues.front().expression);
  }
  return std::move(r.resource);
}

TestGateway::TestGateway(const std::string& server_extra, const std::string& extra) {
  std::string text = R"({"server": {"host": "127.0.0.1", "port": 0)" +
                     (server_extra.empty() ? std::string() : ", " + server_extra) + R"(},
    "storage": {"driver": "sqlite", "sqlite_path": "db/onedoor.db"})" +
                     (extra.empty() ? std::string() : ", " + extra) + "}";
  config::Diagnostics diags;
  auto cfg = config::parseGatewayConfig((dir_.path() / "onedoor.json").string(), text, diags);
  BOOST_REQUIRE_MESSAGE(cfg != nullptr, diags.toString());
  auto gw = app::Gateway::start(cfg, core::Env::real());
  BOOST_REQUIRE_MESSAGE(gw.isOk(), gw.status().toString());
  gateway_ = std::move(gw).value();
}

TestGateway::~TestGateway() {
  if (gateway_) gateway_->stop();
}

}  // namespace onedoor::testing
