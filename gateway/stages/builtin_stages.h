#pragma once
// Explicit registration of the built-in stages (no static initialisers: with static libraries the
// linker would drop them silently). Each factory captures what its stage needs from StageContext.

#include <memory>

#include "stages/parse/parse_stage.h"
#include "config/gateway_config.h"
#include "core/env.h"
#include "core/pipeline.h"
#include "fhir/definitions.h"
#include "fhir/model.h"
#include "fhir/terminology.h"
#include "stages/parse/parse_stage.h"
#include "stages/validate/validator.h"
#include "search/indexer.h"
#include "storage/audit_store.h"
#include "storage/store.h"

namespace onedoor::stages {

namespace route {
class RestEngine;
}
namespace authenticate {
class TokenService;
}
namespace consent {
struct Policy;
}

struct StageContext {
  config::GatewayConfigPtr config;
  fhir::ModelPtr model;
  std::shared_ptr<storage::Store> store;
  std::shared_ptr<core::Env> env;
  std::shared_ptr<const route::RestEngine> rest;
  fhir::DefinitionIndexPtr definitions;
  std::shared_ptr<const fhir::Terminology> terminology;
  stages::validate::ValidatorPtr validator;
  std::shared_ptr<const authenticate::TokenService> tokens;
  std::shared_ptr<storage::AuditStore> audit;
  std::shared_ptr<const consent::Policy> policy;
  std::shared_ptr<const search::Indexer> indexer;
  std::vector<parse::InboundMapping> inbound;
};

core::Status registerBuiltinStages(core::StageRegistry& registry, const StageContext& context);

// The stage order of the FHIR REST pipeline.
const std::vector<std::string>& fhirPipelineOrder();

}  // namespace onedoor::stages
