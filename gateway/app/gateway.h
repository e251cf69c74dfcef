#pragma once
// Gateway: the running service, wired from a checked configuration: definitions, store, stages,
// pipeline and HTTP listener. Used by `onedoor serve` and by integration tests (port 0).

#include <filesystem>
#include <memory>
#include <vector>

#include "config/diagnostics.h"
#include "config/gateway_config.h"
#include "fml/engine.h"
#include "mllp/mllp_server.h"
#include "core/env.h"
#include "core/pipeline.h"
#include "fhir/model.h"
#include "http/http_server.h"
#include "search/indexer.h"
#include "stages/consent/policy.h"
#include "stages/deliver/delivery_workers.h"
#include "stages/deliver/messaging.h"
#include "stages/deliver/outbox.h"
#include "stages/validate/validator.h"
#include "storage/audit_store.h"
#include "storage/store.h"

namespace onedoor::app {

class Gateway {
 public:
  static core::Result<std::unique_ptr<Gateway>> start(config::GatewayConfigPtr config,
                                                      std::shared_ptr<core::Env> env);
  ~Gateway();

  std::uint16_t port() const { return http_->port(); }
  std::string baseUrl() const;
  void stop();
  const fhir::Model& model() const { return *model_; }
  storage::Store& store() { return *store_; }
  storage::AuditStore& auditStore() { return *audit_; }
  const stages::deliver::Outbox& outbox() const { return *outbox_; }
  const stages::deliver::DeliveryWorkers& deliveryWorkers() const { return *workers_; }
  // The port of the i-th configured MLLP listener (config.mllp order).
  std::uint16_t mllpPort(std::size_t i) const { return mllp_.at(i)->port(); }

 private:
  Gateway() = default;
  config::GatewayConfigPtr config_;
  fhir::ModelPtr model_;
  std::shared_ptr<storage::Store> store_;
  std::shared_ptr<storage::AuditStore> audit_;
  std::shared_ptr<const core::Pipeline> pipeline_;
  std::unique_ptr<http::HttpServer> http_;
  std::vector<std::unique_ptr<mllp::MllpServer>> mllp_;
  std::shared_ptr<const stages::deliver::Outbox> outbox_;
  std::unique_ptr<stages::deliver::DeliveryWorkers> workers_;
};

// Reads and compiles a map: FML text (errors with file:line:col), or a StructureMap resource in a
// .json file.
core::Result<fml::CompiledMapPtr> loadMapFile(const std::string& file, const fhir::ModelPtr& model);

// The package folders the configuration names: the R4 core package first, then
// definitions.packages in order. kNotFound names the first one missing.
core::Result<std::vector<std::filesystem::path>> packageDirs(const config::GatewayConfig& config);
// Loads the core definitions named by the configuration.
core::Result<fhir::ModelPtr> loadDefinitions(const config::GatewayConfig& config);
// Loads the SearchParameters of the configured packages.
core::Result<std::shared_ptr<const search::SearchParamRegistry>> loadSearchParams(
    const config::GatewayConfig& config, const fhir::Model& model);
// Rebuilds the search index when the parameter definitions changed since it was built.
core::Status ensureIndex(storage::Store& store, const search::Indexer& indexer, const fhir::Model& model);
// The package definitions with the configured validation.profiles (and `extra` folders or
// files) on top, every profile among the latter compiled. Problems with those files — a file
// that does not parse, a profile that cannot be compiled — go to `diags` with the file named;
// the result is unusable only when the packages themselves are missing.
core::Result<stages::validate::ProfileSetPtr> loadProfiles(const config::GatewayConfig& config,
                                                           fhir::ModelPtr model,
                                                           const std::vector<std::string>& extra,
                                                           config::Diagnostics& diags);
// The configured ICS sharing policy (consent.policy), or the built-in deny-all when none is
// configured; problems go to `diags` with file:line:col.
std::shared_ptr<const stages::consent::Policy> loadConsentPolicy(const config::GatewayConfig& config,
                                                                 config::Diagnostics& diags);
// Opens the configured audit store; checkpoints are signed with the gateway's key when there is
// one.
core::Result<std::shared_ptr<storage::AuditStore>> openAuditStore(const config::GatewayConfig& config);
// Opens the configured store.
core::Result<std::unique_ptr<storage::Store>> openStore(const config::GatewayConfig& config);

}  // namespace onedoor::app
