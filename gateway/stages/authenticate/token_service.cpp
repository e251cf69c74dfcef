#include "stages/authenticate/token_service.h"

#include <Poco/JWT/JWTException.h>
#include <Poco/JWT/Token.h>

#include <algorithm>
#include <mutex>
#include <sstream>

#include "stages/authenticate/scopes.h"

namespace onedoor::stages::authenticate {
namespace {

constexpr std::string_view kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

std::string formValue(const std::vector<std::pair<std::string, std::string>>& form, std::string_view name) {
  for (const auto& [k, v] : form) {
    if (k == name) return v;
  }
  return {};
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::int64_t seconds(const Poco::Timestamp& t) { return t.epochTime(); }

std::optional<TokenResponse> fail(TokenError& e, int status, std::string code, std::string description) {
  e = TokenError{status, std::move(code), std::move(description)};
  return std::nullopt;
}

}  // namespace

std::string tokenUrlFor(const config::GatewayConfig& config, const std::string& base_url) {
  if (!config.auth.token_url.empty()) return config.auth.token_url;
  std::string base = base_url;
  if (base.size() >= 5 && base.compare(base.size() - 5, 5, "/fhir") == 0) base.resize(base.size() - 5);
  return base + "/auth/token";
}

core::Result<std::shared_ptr<const TokenService>> TokenService::create(config::GatewayConfigPtr config,
                                                                       const std::string& base_url,
                                                                       std::shared_ptr<storage::Store> store,
                                                                       std::shared_ptr<core::Env> env) {
  auto s = std::make_shared<TokenService>();
  s->config_ = config;
  s->store_ = std::move(store);
  s->env_ = std::move(env);
  s->issuer_ = config->auth.issuer.empty() ? base_url : config->auth.issuer;
  s->token_url_ = tokenUrlFor(*config, base_url);
  if (!config->auth.signing_key.empty()) {
    GW_ASSIGN_OR_RETURN(s->gateway_key_, JwtKey::load("ES384", config->resolvePath(config->auth.signing_key), true));
  }
  for (const auto& p : config->partners) {
    PartnerKeys pk{&p, {}};
    for (const auto& k : p.keys) {
      auto key = JwtKey::load(k.alg, config->resolvePath(k.public_key), false);
      if (!key.isOk()) return core::invalid("partner " + p.id + ", key " + k.kid + ": " + key.status().message());
      pk.keys.emplace_back(k.kid, *key);
    }
    s->partners_.push_back(std::move(pk));
  }
  return std::shared_ptr<const TokenService>(s);
}

std::optional<TokenResponse> TokenService::exchange(const std::vector<std::pair<std::string, std::string>>& form,
                                                    std::string& partner_id, TokenError& error) const {
  if (formValue(form, "grant_type") != "client_credentials") {
    return fail(error, 400, "unsupported_grant_type", "grant_type must be client_credentials");
  }
  if (formValue(form, "client_assertion_type") != kAssertionType) {
    return fail(error, 400, "invalid_request", "client_assertion_type must be " + std::string(kAssertionType));
  }
  std::string assertion = formValue(form, "client_assertion");
  if (assertion.empty()) return fail(error, 400, "invalid_request", "client_assertion is missing");
  if (gateway_key_ == nullptr) return fail(error, 500, "server_error", "the gateway has no signing key");

  // Read the claims unverified only to find the claimed client and key; nothing is trusted yet.
  Poco::JWT::Token unverified;
  try {
    unverified = assertion;
  } catch (const Poco::Exception&) {
    return fail(error, 401, "invalid_client", "client_assertion is not a JWT");
  }
  partner_id = unverified.getIssuer();
  auto pk = std::find_if(partners_.begin(), partners_.end(),
                         [&](const PartnerKeys& k) { return k.partner->id == partner_id; });
  if (pk == partners_.end() || pk->keys.empty()) return fail(error, 401, "invalid_client", "unknown client");
  std::string kid = unverified.header().optValue<std::string>("kid", "");
  Poco::JWT::Token token;
  bool verified = false;
  for (const auto& [key_id, key] : pk->keys) {
    if (!kid.empty() && key_id != kid) continue;
    if (key->verify(assertion, token)) {
      verified = true;
      break;
    }
  }
  if (!verified) return fail(error, 401, "invalid_client", "the client assertion's signature does not verify");

  const auto& cfg = config_->auth;
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(env_->now().time_since_epoch()).count();
  const auto& payload = token.payload();
  if (token.getSubject() != partner_id) return fail(error, 401, "invalid_client", "iss and sub must both be the client id");
  auto aud = token.getAudience();
  if (std::find(aud.begin(), aud.end(), token_url_) == aud.end()) {
    return fail(error, 401, "invalid_client", "aud must be the token URL " + token_url_);
  }
  if (!payload.has("exp")) return fail(error, 401, "invalid_client", "exp is missing");
  std::int64_t exp = seconds(token.getExpiration());
  if (exp + cfg.clock_skew_s <= now) return fail(error, 401, "invalid_client", "the client assertion has expired");
  if (exp > now + cfg.max_assertion_s + cfg.clock_skew_s) {
    return fail(error, 401, "invalid_client", "exp is more than " + std::to_string(cfg.max_assertion_s) + " s ahead");
  }
  if (payload.has("nbf") && seconds(token.getNotBefore()) > now + cfg.clock_skew_s) {
    return fail(error, 401, "invalid_client", "the client assertion is not valid yet");
  }
  std::string jti = token.getId();
  if (jti.empty()) return fail(error, 401, "invalid_client", "jti is missing");
  auto first = store_->rememberOnce("jti:" + partner_id + ":" + jti, (exp + cfg.clock_skew_s) * 1000, now * 1000);
  if (!first.isOk()) return fail(error, 503, "temporarily_unavailable", "cannot record the assertion id");
  if (!*first) return fail(error, 401, "invalid_client", "the client assertion was already used (jti replay)");

  // Scopes: what was asked for, limited to what the partner may have.
  const config::PartnerConfig& partner = *pk->partner;
  std::vector<std::string> requested = split(formValue(form, "scope"));
  if (requested.empty()) requested = partner.scopes;
  std::vector<std::string> granted;
  for (const auto& r : requested) {
    auto want = parseScope(r);
    if (!want) return fail(error, 400, "invalid_scope", "'" + r + "' is not a system scope");
    bool ok = std::any_of(partner.scopes.begin(), partner.scopes.end(), [&](const std::string& have) {
      auto h = parseScope(have);
      return h && h->covers(*want);
    });
    if (ok) granted.push_back(want->toString());
  }
  if (granted.empty()) return fail(error, 400, "invalid_scope", "none of the requested scopes is allowed for this client");
  std::string purpose = formValue(form, "purpose_of_use");
  if (!purpose.empty() && std::find(partner.purposes.begin(), partner.purposes.end(), purpose) == partner.purposes.end()) {
    return fail(error, 400, "invalid_request", "purpose_of_use " + purpose + " is not one this client may claim");
  }

  std::string scope;
  for (const auto& g : granted) scope += (scope.empty() ? "" : " ") + g;
  Poco::JWT::Token access;
  access.setType("JWT");
  access.setIssuer(issuer_);
  access.setSubject(partner.id);
  access.setAudience(issuer_);
  access.setIssuedAt(Poco::Timestamp::fromEpochTime(now));
  access.setExpiration(Poco::Timestamp::fromEpochTime(now + cfg.token_ttl_s));
  access.setId(env_->uuid());
  access.payload().set("scope", scope);
  if (!purpose.empty()) access.payload().set("purpose_of_use", purpose);
  TokenResponse r;
  try {
    r.access_token = gateway_key_->sign(access);
  } catch (const Poco::Exception& e) {
    return fail(error, 500, "server_error", "cannot sign the access token");
  }
  r.expires_in = cfg.token_ttl_s;
  r.scope = scope;
  return r;
}

core::Result<Grant> TokenService::verify(const std::string& access_token) const {
  auto bad = [](const std::string& why) { return core::Status(core::Code::kUnauthenticated, why); };
  if (gateway_key_ == nullptr) return bad("the gateway has no signing key");
  std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(env_->now().time_since_epoch()).count();
  {
    std::shared_lock lock(verified_mu_);
    auto it = verified_.find(access_token);
    if (it != verified_.end()) {
      if (it->second.expires_s + config_->auth.clock_skew_s <= now_s) return bad("the access token has expired");
      if (config_->partner(it->second.partner) == nullptr) return bad("the access token's client is no longer registered");
      return it->second;
    }
  }
  Poco::JWT::Token token;
  if (!gateway_key_->verify(access_token, token)) return bad("the access token's signature does not verify");
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(env_->now().time_since_epoch()).count();
  if (token.getIssuer() != issuer_) return bad("the access token is from another issuer");
  auto aud = token.getAudience();
  if (std::find(aud.begin(), aud.end(), issuer_) == aud.end()) return bad("the access token is for another audience");
  if (!token.payload().has("exp") || seconds(token.getExpiration()) + config_->auth.clock_skew_s <= now) {
    return bad("the access token has expired");
  }
  Grant g;
  g.partner = token.getSubject();
  if (config_->partner(g.partner) == nullptr) return bad("the access token's client is no longer registered");
  g.scopes = split(token.payload().optValue<std::string>("scope", ""));
  g.purpose = token.payload().optValue<std::string>("purpose_of_use", "");
  g.jti = token.getId();
  g.expires_s = seconds(token.getExpiration());
  constexpr std::size_t kMaxVerified = 10000;
  std::unique_lock lock(verified_mu_);
  if (verified_.size() >= kMaxVerified) {
    std::erase_if(verified_, [&](const auto& kv) { return kv.second.expires_s + config_->auth.clock_skew_s <= now_s; });
    if (verified_.size() >= kMaxVerified) verified_.clear();
  }
  verified_.emplace(access_token, g);
  return g;
}

core::Result<std::string> TokenService::clientAssertion(const config::PartnerConfig& partner, const JwtKey& key,
                                                        const std::string& token_url, std::int64_t now_s,
                                                        const std::string& jti, std::int64_t lifetime_s) {
  Poco::JWT::Token t;
  t.setType("JWT");
  if (!partner.keys.empty()) t.header().set("kid", partner.keys.front().kid);
  t.setIssuer(partner.id);
  t.setSubject(partner.id);
  t.setAudience(token_url);
  t.setIssuedAt(Poco::Timestamp::fromEpochTime(now_s));
  t.setExpiration(Poco::Timestamp::fromEpochTime(now_s + lifetime_s));
  t.setId(jti);
  try {
    return key.sign(t);
  } catch (const Poco::Exception& e) {
    return core::internal("cannot sign the client assertion: " + e.displayText());
  }
}

}  // namespace onedoor::stages::authenticate
