#include "app/gateway.h"

#include <algorithm>
#include <filesystem>

#include "app/cli_options.h"
#include "app/inbound_hl7.h"
#include "fhir/model_builder.h"
#include "fml/parser.h"
#include "search/indexer.h"
#include "search/search_param.h"
#include "fhir/codec.h"
#include "stages/authenticate/token_service.h"
#include "stages/builtin_stages.h"
#include "stages/route/rest_engine.h"
#include "storage/sql_store.h"

namespace onedoor::app {

core::Result<std::vector<std::filesystem::path>> packageDirs(const config::GatewayConfig& config) {
  fhir::PackageCache packages(config.resolvePath(config.definitions.package_cache));
  std::vector<std::filesystem::path> dirs;
  GW_ASSIGN_OR_RETURN(std::filesystem::path core_dir, packages.locate(fhir::kR4Core));
  dirs.push_back(core_dir);
  for (const auto& id : config.definitions.packages) {
    auto hash = id.find('#');
    GW_ASSIGN_OR_RETURN(std::filesystem::path dir, packages.locate({id.substr(0, hash), id.substr(hash + 1)}));
    dirs.push_back(dir);
  }
  return dirs;
}

core::Result<fhir::ModelPtr> loadDefinitions(const config::GatewayConfig& config) {
  fhir::PackageCache packages(config.resolvePath(config.definitions.package_cache));
  std::filesystem::path cache = config.definitions.cache_dir.empty()
                                    ? fhir::defaultCacheDir()
                                    : std::filesystem::path(config.resolvePath(config.definitions.cache_dir));
  return fhir::loadModel(packages, fhir::kR4Core, cache);
}

core::Result<std::shared_ptr<const search::SearchParamRegistry>> loadSearchParams(
    const config::GatewayConfig& config, const fhir::Model& model) {
  GW_ASSIGN_OR_RETURN(auto dirs, packageDirs(config));
  return search::SearchParamRegistry::load(model, dirs);
}

core::Status ensureIndex(storage::Store& store, const search::Indexer& indexer, const fhir::Model& model) {
  GW_ASSIGN_OR_RETURN(auto stored, store.getMeta("search_fingerprint"));
  const std::string& want = indexer.registry().fingerprint();
  if (stored && *stored == want) return core::Status::ok();
  GW_RETURN_IF_ERROR(store.reindex([&](const storage::ResourceRecord& rec) {
    fhir::ReadResult r = fhir::readJson(model, rec.json);
    return r.ok() ? indexer.rows(r.resource) : std::vector<search::IndexRow>{};
  }));
  return store.setMeta("search_fingerprint", want);
}

namespace {

std::filesystem::path cacheDir(const config::GatewayConfig& config) {
  return config.definitions.cache_dir.empty() ? fhir::defaultCacheDir()
                                              : std::filesystem::path(config.resolvePath(config.definitions.cache_dir));
}

// The top-level *.json / *.xml files of a folder (sorted), or the file itself.
std::vector<std::filesystem::path> definitionFiles(const std::filesystem::path& p) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(p, ec)) return {p};
  for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
    auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".json" || ext == ".xml") && e.path().filename().string()[0] != '.') {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

core::Result<stages::validate::ProfileSetPtr> loadProfiles(const config::GatewayConfig& config,
                                                           fhir::ModelPtr model,
                                                           const std::vector<std::string>& extra,
                                                           config::Diagnostics& diags) {
  GW_ASSIGN_OR_RETURN(auto dirs, packageDirs(config));
  GW_ASSIGN_OR_RETURN(auto base, fhir::DefinitionIndex::load(model, dirs, cacheDir(config)));
  auto layer = fhir::DefinitionIndex::layer(base);
  std::vector<std::string> paths;
  for (const auto& p : config.validation.profiles) paths.push_back(config.resolvePath(p));
  paths.insert(paths.end(), extra.begin(), extra.end());
  for (const auto& p : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) {
      diags.error(config.source.empty() ? p : config.source, 1, 1, "validation.profiles: " + p + " does not exist");
      continue;
    }
    for (const auto& f : definitionFiles(p)) {
      std::uint32_t line = 0, column = 0;
      auto st = layer->addFile(f, &line, &column);
      if (!st.isOk()) diags.error(f.string(), line, column, st.message());
    }
  }
  auto terminology = std::make_shared<const fhir::Terminology>(layer);
  auto profiles = std::make_shared<const stages::validate::ProfileSet>(layer, terminology);
  for (const auto* e : layer->ofType("StructureDefinition", true)) {
    auto s = profiles->structure(e->url);
    if (!s.isOk()) {
      diags.error(e->file.string(), 1, 1, s.status().message());
      continue;
    }
    for (const auto& p : profiles->problems(e->url)) diags.error(e->file.string(), p.line, p.column, p.message);
  }
  return stages::validate::ProfileSetPtr(profiles);
}

std::shared_ptr<const stages::consent::Policy> loadConsentPolicy(const config::GatewayConfig& config,
                                                                 config::Diagnostics& diags) {
  if (config.consent.policy.empty()) return stages::consent::denyAllPolicy();
  return stages::consent::loadPolicy(config.resolvePath(config.consent.policy), diags);
}

core::Result<std::shared_ptr<storage::AuditStore>> openAuditStore(const config::GatewayConfig& config) {
  storage::AuditStoreOptions opts;
  opts.max_batch = config.audit.max_batch;
  opts.checkpoint_every = config.audit.checkpoint_every;
  if (!config.auth.signing_key.empty()) {
    GW_ASSIGN_OR_RETURN(auto key, stages::authenticate::JwtKey::load("ES384", config.resolvePath(config.auth.signing_key), true));
    opts.sign = [key](const std::string& data) { return key->signBytes(data); };
    opts.verify = [key](const std::string& data, const std::string& sig) { return key->verifyBytes(data, sig); };
  }
  GW_ASSIGN_OR_RETURN(auto store, storage::AuditStore::openSqlite(config.resolvePath(config.audit.sqlite_path), std::move(opts)));
  return std::shared_ptr<storage::AuditStore>(std::move(store));
}

core::Result<std::unique_ptr<storage::Store>> openStore(const config::GatewayConfig& config) {
  storage::StoreOptions opts;
  opts.read_pool_size = config.storage.read_pool_size;
  opts.max_batch = config.storage.max_batch;
  if (config.storage.driver == "postgresql") {
    return storage::openPostgresStore(config.storage.postgres_url, opts);
  }
  return storage::openSqliteStore(config.resolvePath(config.storage.sqlite_path), opts);
}

core::Result<std::unique_ptr<Gateway>> Gateway::start(config::GatewayConfigPtr config,
                                                      std::shared_ptr<core::Env> env) {
  std::unique_ptr<Gateway> gw(new Gateway());
  gw->config_ = config;
  GW_ASSIGN_OR_RETURN(gw->model_, loadDefinitions(*config));
  GW_ASSIGN_OR_RETURN(auto store, openStore(*config));
  gw->store_ = std::move(store);

  GW_ASSIGN_OR_RETURN(gw->http_, http::bindHttpServer(config->server));
  stages::route::RestConfig rest;
  rest.base_url = config->server.base_url.empty() ? gw->baseUrl() : config->server.base_url;
  rest.default_count = config->limits.default_count;
  rest.max_count = config->limits.max_count;
  rest.max_bundle_entries = config->limits.max_bundle_entries;

  GW_ASSIGN_OR_RETURN(auto params, loadSearchParams(*config, *gw->model_));
  auto indexer = std::make_shared<const search::Indexer>(gw->model_, params);
  GW_RETURN_IF_ERROR(ensureIndex(*gw->store_, *indexer, *gw->model_));

  // The ICS profiles load and compile now: a broken one stops the start with every problem.
  config::Diagnostics diags;
  GW_ASSIGN_OR_RETURN(auto profiles, loadProfiles(*config, gw->model_, {}, diags));
  if (diags.hasErrors()) return core::invalid("validation profiles have errors:\n" + diags.toString());

  stages::StageContext ctx{config,  gw->model_, gw->store_, env, nullptr, profiles->definitionsPtr(),
                           profiles->terminologyPtr(), std::make_shared<const stages::validate::Validator>(profiles),
                           nullptr, nullptr, nullptr, nullptr, {}};
  GW_ASSIGN_OR_RETURN(ctx.tokens, stages::authenticate::TokenService::create(config, rest.base_url, gw->store_, env));
  // Partners' own formats posted to the API, their maps compiled now (errors with file:line:col).
  for (const auto& in : config->inbound) {
    GW_ASSIGN_OR_RETURN(auto map, loadMapFile(config->resolvePath(in.map), gw->model_));
    ctx.inbound.push_back({in.partner, in.content_type, in.format, map});
  }
  GW_ASSIGN_OR_RETURN(gw->audit_, openAuditStore(*config));
  ctx.audit = gw->audit_;
  ctx.indexer = indexer;
  ctx.policy = loadConsentPolicy(*config, diags);
  if (ctx.policy == nullptr) return core::invalid("the consent policy has errors:\n" + diags.toString());
  auto engine = std::make_shared<stages::route::RestEngine>(gw->model_, gw->store_, env, indexer, rest);
  engine->setAuditStore(gw->audit_);
  if (ctx.validator != nullptr) {
    stages::validate::ValidatorPtr validator = ctx.validator;
    config::ValidationConfig validation = config->validation;
    engine->setWriteValidator([validator, validation](const fhir::Node& resource, const std::string& partner) {
      return stages::validate::checkWrite(*validator, validation, resource, partner);
    });
  }
  if (config->identity.enabled) {
    engine->setIdentity(std::make_shared<const stages::identity::Resolver>(gw->model_, config->identity));
  }
  // Messaging: the routing table, each partner's outbound map (compiled now), the outbox and the
  // delivery workers.
  GW_ASSIGN_OR_RETURN(auto router, stages::deliver::Router::make(config, gw->model_, params));
  std::map<std::string, fml::CompiledMapPtr> outbound;
  for (const auto& p : config->partners) {
    if (p.delivery.map.empty()) continue;
    GW_ASSIGN_OR_RETURN(outbound[p.id], loadMapFile(config->resolvePath(p.delivery.map), gw->model_));
  }
  auto messaging = std::make_shared<stages::deliver::Messaging>(config, gw->model_, gw->store_, indexer, router,
                                                                ctx.policy, std::move(outbound));
  gw->outbox_ = std::make_shared<const stages::deliver::Outbox>(gw->store_);
  // One SQLite file is used by one gateway: leases left by a gateway that crashed are its own.
  if (gw->store_->driver() == "sqlite") GW_RETURN_IF_ERROR(gw->outbox_->releaseAllLeases());
  gw->workers_ = std::make_unique<stages::deliver::DeliveryWorkers>(config, gw->outbox_, gw->audit_, env, gw->model_,
                                                                    "gateway-" + env->uuid());
  stages::deliver::DeliveryWorkers* workers = gw->workers_.get();
  messaging->setDirect(workers);
  // Each attempt is decided again from the patient's Consents as they are then.
  workers->setRecheck([messaging, env](const stages::deliver::OutboxEntry& m, std::string& why) {
    using Check = stages::deliver::DeliveryWorkers::Check;
    auto withheld = messaging->withheldNow(m, core::formatInstant(env->now()));
    if (!withheld.isOk()) return Check::kLater;
    if (withheld->empty()) return Check::kSend;
    why = *withheld;
    return Check::kWithhold;
  });
  engine->setMessaging(messaging);
  // GP Connect (S10): the TLS context for the Spine Secure Proxy and the record's map, made now.
  if (!config->gp_connect.ssp.empty()) {
    GW_ASSIGN_OR_RETURN(auto client, stages::deliver::GpConnectClient::create(*config, rest.base_url));
    GW_ASSIGN_OR_RETURN(auto map, loadMapFile(config->resolvePath(config->gp_connect.map), gw->model_));
    std::string url = map->map().url;
    engine->setGpConnect(std::move(client), std::move(map), std::move(url),
                         [config](const std::string& ods) { return config->gp_connect.practice(ods); });
  }
  ctx.rest = engine;
  core::StageRegistry registry;
  GW_RETURN_IF_ERROR(stages::registerBuiltinStages(registry, ctx));
  // auth.required false (a loopback development or benchmark set-up only, checked at load): no
  // authentication, consent or audit stages at all.
  std::vector<std::string> order;
  for (const auto& name : stages::fhirPipelineOrder()) {
    bool security = name == "authenticate" || name == "consent" || name == "audit";
    if (config->auth.required || !security) order.push_back(name);
  }
  GW_ASSIGN_OR_RETURN(auto pipeline, core::Pipeline::build(registry, order));
  gw->pipeline_ = std::make_shared<const core::Pipeline>(std::move(pipeline));

  http::HttpHandlers handlers;
  handlers.fhir = gw->pipeline_;
  handlers.model = gw->model_;
  std::shared_ptr<storage::Store> store_ref = gw->store_;
  handlers.ready = [store_ref] { return store_ref->ping(); };
  handlers.metrics = std::make_shared<core::Metrics>();
  std::shared_ptr<const stages::deliver::Outbox> outbox_ref = gw->outbox_;
  handlers.more_metrics = [outbox_ref, workers, env] {
    return stages::deliver::deliveryMetrics(*outbox_ref, workers->counters(), core::epochMillis(env->now()));
  };
  GW_RETURN_IF_ERROR(gw->http_->start(std::move(handlers)));
  gw->workers_->start();
  // HL7 v2 feeds: one MLLP listener per partner feed, its map compiled now.
  for (const auto& m : config->mllp) {
    fml::CompiledMapPtr map;
    if (!m.map.empty()) {
      GW_ASSIGN_OR_RETURN(map, loadMapFile(config->resolvePath(m.map), gw->model_));
    }
    auto inbound = std::make_shared<InboundHl7>(*config->partner(m.partner), map, gw->store_, gw->audit_, env, gw->model_,
                                                engine);
    inbound->setPipeline(gw->pipeline_);
    GW_ASSIGN_OR_RETURN(auto server, mllp::MllpServer::start(m, [inbound](const std::string& message) {
      return inbound->handle(message);
    }));
    gw->mllp_.push_back(std::move(server));
  }
  return gw;
}

Gateway::~Gateway() { stop(); }

void Gateway::stop() {
  for (auto& m : mllp_) m->stop();
  if (http_) http_->stop();
  if (workers_) workers_->stop();
}

core::Result<fml::CompiledMapPtr> loadMapFile(const std::string& file, const fhir::ModelPtr& model) {
  std::string text;
  if (!readInput(file, text)) return core::invalid("cannot read the map " + file);
  // A StructureMap resource (JSON), or FML text.
  bool json = file.size() > 5 && file.substr(file.size() - 5) == ".json";
  GW_ASSIGN_OR_RETURN(auto parsed, json ? fml::fromStructureMapJson(text) : fml::parseMap(text, file));
  // The ConceptMap resources beside the map (its directory's .json files that are ConceptMaps).
  fml::ConceptMaps concept_maps;
  std::error_code ec;
  auto dir = std::filesystem::path(file).parent_path();
  for (const auto& e : std::filesystem::directory_iterator(dir.empty() ? "." : dir, ec)) {
    if (e.path().extension() != ".json") continue;
    std::string cm_text;
    if (!readInput(e.path().string(), cm_text) || cm_text.find("\"ConceptMap\"") == std::string::npos) continue;
    auto cm = fhir::readJson(*model, cm_text);
    if (!cm.ok()) return core::invalid(e.path().string() + ": " + cm.issues.front().message + " at " + cm.issues.front().expression);
    if (cm.resource.type == nullptr || cm.resource.type->name != "ConceptMap") continue;
    std::string url(cm.resource.childValue("url"));
    if (url.empty()) return core::invalid(e.path().string() + ": a ConceptMap beside a map needs a url");
    concept_maps.emplace(url, std::move(cm.resource));
  }
  return fml::CompiledMap::compile(std::move(parsed), model, std::move(concept_maps));
}

std::string Gateway::baseUrl() const {
  std::string scheme = config_->server.tls.certificate.empty() ? "http://" : "https://";
  return scheme + config_->server.host + ":" + std::to_string(port()) + "/fhir";
}

}  // namespace onedoor::app
