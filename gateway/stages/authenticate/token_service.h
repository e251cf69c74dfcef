#pragma once
// TokenService: SMART Backend Services for the gateway. Partners exchange a client assertion (a
// JWT signed with their registered RS384 or ES384 key) for a short-lived access token the gateway
// signs with its own ES384 key; every /fhir request then presents that token. Built at start-up
// from the partner registry; thread-safe.
//
// Assertion checks: iss = sub = a registered partner; signature by one of its keys with that key's
// algorithm only (never the token's choice); aud = the token URL; exp in the future and at most
// max_assertion_s ahead; nbf/iat not in the future; jti not seen before (kept in the store until
// the assertion expires, so replays fail on every instance).

#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/gateway_config.h"
#include "core/env.h"
#include "core/status.h"
#include "stages/authenticate/keys.h"
#include "storage/store.h"

namespace onedoor::stages::authenticate {

struct Grant {
  std::string partner;
  std::vector<std::string> scopes;
  std::string purpose;  // purpose of use claimed at token time ("" = none)
  std::string jti;
  std::int64_t expires_s = 0;
};

struct TokenResponse {
  std::string access_token;
  std::int64_t expires_in = 0;
  std::string scope;
};

// An OAuth error: `error` is the RFC 6749 code (invalid_client, invalid_request, ...).
struct TokenError {
  int http_status = 400;
  std::string error;
  std::string description;
};

class TokenService {
 public:
  // `base_url`: the FHIR base the gateway answers on (with the real port).
  static core::Result<std::shared_ptr<const TokenService>> create(config::GatewayConfigPtr config,
                                                                  const std::string& base_url,
                                                                  std::shared_ptr<storage::Store> store,
                                                                  std::shared_ptr<core::Env> env);

  // The token endpoint: form parameters of a client_credentials request. On failure `error` says
  // why; `partner` is the client the request claimed to be (for the audit), if any.
  std::optional<TokenResponse> exchange(const std::vector<std::pair<std::string, std::string>>& form,
                                        std::string& partner, TokenError& error) const;
  // A bearer token presented to the API: its grant, or kUnauthenticated with the reason.
  core::Result<Grant> verify(const std::string& access_token) const;

  const std::string& tokenUrl() const { return token_url_; }
  const std::string& issuer() const { return issuer_; }
  const JwtKey& gatewayKey() const { return *gateway_key_; }

  // A client assertion for `partner`, signed with `key` (kid = the partner's first key id).
  static core::Result<std::string> clientAssertion(const config::PartnerConfig& partner, const JwtKey& key,
                                                   const std::string& token_url, std::int64_t now_s,
                                                   const std::string& jti, std::int64_t lifetime_s = 240);

 private:
  struct PartnerKeys {
    const config::PartnerConfig* partner;
    std::vector<std::pair<std::string, JwtKeyPtr>> keys;  // kid, key
  };

  config::GatewayConfigPtr config_;
  std::shared_ptr<storage::Store> store_;
  std::shared_ptr<core::Env> env_;
  JwtKeyPtr gateway_key_;
  std::string issuer_;
  std::string token_url_;
  std::vector<PartnerKeys> partners_;
  // Access tokens whose signature and claims were verified (an ECDSA P-384 verification costs
  // about a millisecond of CPU; a partner reuses its token for minutes). Expiry and the partner's
  // registration are still checked on every use. Bounded: cleared when full.
  mutable std::shared_mutex verified_mu_;
  mutable std::unordered_map<std::string, Grant> verified_;
};

// The token URL: auth.token_url, or the FHIR base with /fhir replaced by /auth/token.
std::string tokenUrlFor(const config::GatewayConfig& config, const std::string& base_url);

}  // namespace onedoor::stages::authenticate
