#pragma once
// Helpers shared by the test executables: the R4 model (loaded once), temporary folders, the
// shared conformance folder, and a gateway started on port 0 with its own SQLite file.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "app/gateway.h"
#include "config/gateway_config.h"
#include "fhir/model.h"
#include "fhir/node.h"

namespace onedoor::testing {

// The R4 core model from the package cache; aborts the test run with a clear message if the
// package is not installed (run scripts/install-fhir-packages.sh).
const fhir::Model& model();
fhir::ModelPtr modelPtr();

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

// A gateway on 127.0.0.1 with an OS-chosen port and a fresh SQLite database.
class TestGateway {
 public:
  // `server_extra` is added inside "server" ("\"max_body_bytes\": 100"), `extra` at the top.
  explicit TestGateway(const std::string& server_extra = "", const std::string& extra = "");
  ~TestGateway();
  std::uint16_t port() const { return gateway_->port(); }
  std::string base() const { return gateway_->baseUrl(); }
  app::Gateway& gateway() { return *gateway_; }

 private:
  TempDir dir_;
  std::unique_ptr<app::Gateway> gateway_;
};

}  // namespace onedoor::testing
