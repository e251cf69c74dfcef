#include "stages/builtin_stages.h"

#include "stages/audit/audit_stage.h"
#include "stages/authenticate/authenticate_stage.h"
#include "stages/consent/consent_stage.h"
#include "stages/parse/parse_stage.h"
#include "stages/route/route_stage.h"
#include "stages/validate/validate_stage.h"

namespace onedoor::stages {

core::Status registerBuiltinStages(core::StageRegistry& registry, const StageContext& ctx) {
  GW_RETURN_IF_ERROR(registry.add("authenticate", [ctx]() -> core::Result<std::unique_ptr<core::Stage>> {
    if (ctx.tokens == nullptr) return core::internal("the authenticate stage needs the token service");
    GW_ASSIGN_OR_RETURN(auto nhs_login, authenticate::NhsLoginVerifier::create(*ctx.config, ctx.env));
    return std::unique_ptr<core::Stage>(std::make_unique<authenticate::AuthenticateStage>(ctx.tokens, ctx.config, nhs_login));
  }));
  GW_RETURN_IF_ERROR(registry.add("parse", [ctx]() -> core::Result<std::unique_ptr<core::Stage>> {
    parse::ParseConfig cfg;
    cfg.max_depth = ctx.config->limits.max_depth;
    cfg.inbound = ctx.inbound;
    return std::unique_ptr<core::Stage>(std::make_unique<parse::ParseStage>(ctx.model, cfg));
  }));
  GW_RETURN_IF_ERROR(registry.add("validate", [ctx]() -> core::Result<std::unique_ptr<core::Stage>> {
    if (ctx.validator == nullptr) return core::internal("the validate stage needs the validator");
    return std::unique_ptr<core::Stage>(
        std::make_unique<validate::ValidateStage>(ctx.validator, ctx.config->validation));
  }));
  GW_RETURN_IF_ERROR(registry.add("audit", [ctx]() -> core::Result<std::unique_ptr<core::Stage>> {
    if (ctx.audit == nullptr) return core::internal("the audit stage needs the audit store");
    return std::unique_ptr<core::Stage>(std::make_unique<audit::AuditStage>(ctx.audit, ctx.env, "OneDoor gateway"));
  }));
  GW_RETURN_IF_ERROR(registry.add("consent", [ctx]() -> core::Result<std::unique_ptr<core::Stage>> {
    if (ctx.policy == nullptr || ctx.indexer == nullptr) return core::internal("the consent stage needs the policy and indexer");
    return std::unique_ptr<core::Stage>(std::make_unique<consent::ConsentStage>(ctx.policy, ctx.store, ctx.indexer,
                                                                                ctx.model, ctx.env, ctx.config));
  }));
  GW_RETURN_IF_ERROR(registry.add("route", [ctx]() -> core::Result<std::unique_ptr<core::Stage>> {
    return std::unique_ptr<core::Stage>(std::make_unique<route::RouteStage>(ctx.rest));
  }));
  return core::Status::ok();
}

const std::vector<std::string>& fhirPipelineOrder() {
  static const std::vector<std::string> order = {"authenticate", "parse", "validate", "consent", "route", "audit"};
  return order;
}

}  // namespace onedoor::stages
