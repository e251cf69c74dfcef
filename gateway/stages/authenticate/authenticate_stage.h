#pragma once
// The authenticate stage: the token endpoint (POST /auth/token, SMART Backend Services), the
// SMART discovery document, and for every other /fhir request the bearer token: verified, tied to
// a registered partner (and to its client certificate when TLS presented one), with the purpose of
// use it claims. Unauthenticated requests get 401 — except the CapabilityStatement and the
// discovery document. Scopes are enforced by the consent stage, which knows the interaction.
// Thread-safe.

#include <memory>

#include "config/gateway_config.h"
#include "core/stage.h"
#include "stages/authenticate/nhs_login.h"
#include "stages/authenticate/token_service.h"

namespace onedoor::stages::authenticate {

class AuthenticateStage : public core::Stage {
 public:
  // `nhs_login`: null when NHS login is not configured.
  AuthenticateStage(std::shared_ptr<const TokenService> tokens, config::GatewayConfigPtr config,
                    std::shared_ptr<const NhsLoginVerifier> nhs_login = nullptr)
      : tokens_(std::move(tokens)), config_(std::move(config)), nhs_login_(std::move(nhs_login)) {}
  std::string_view name() const override { return "authenticate"; }
  core::Result<core::Flow> run(core::Exchange& exchange) override;

 private:
  core::Flow tokenEndpoint(core::Exchange& ex) const;
  core::Flow discovery(core::Exchange& ex) const;

  std::shared_ptr<const TokenService> tokens_;
  config::GatewayConfigPtr config_;
  std::shared_ptr<const NhsLoginVerifier> nhs_login_;
};

}  // namespace onedoor::stages::authenticate
