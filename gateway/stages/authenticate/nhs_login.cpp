#include "stages/authenticate/nhs_login.h"

#include <Poco/Exception.h>
#include <Poco/JWT/Token.h>

#include <algorithm>

#include "stages/identity/demographics.h"

namespace onedoor::stages::authenticate {

core::Result<std::shared_ptr<const NhsLoginVerifier>> NhsLoginVerifier::create(const config::GatewayConfig& config,
                                                                             std::shared_ptr<core::Env> env) {
  if (config.nhs_login.issuer.empty()) return std::shared_ptr<const NhsLoginVerifier>();
  auto v = std::make_shared<NhsLoginVerifier>();
  v->config_ = config.nhs_login;
  v->env_ = std::move(env);
  v->skew_s_ = config.auth.clock_skew_s;
  for (const auto& k : config.nhs_login.keys) {
    GW_ASSIGN_OR_RETURN(auto key, JwtKey::load(k.alg, config.resolvePath(k.public_key), false));
    v->keys_.emplace_back(k.kid, key);
  }
  return std::shared_ptr<const NhsLoginVerifier>(std::move(v));
}

core::Result<NhsLoginPerson> NhsLoginVerifier::verify(const std::string& id_token) const {
  const std::int64_t now_s = core::epochMillis(env_->now()) / 1000;
  auto refused = [](const std::string& why) {
    return core::Status(core::Code::kUnauthenticated, "the NHS login ID token in NHSD-User-Identity " + why);
  };
  std::string kid;
  try {
    kid = Poco::JWT::Token(id_token).header().optValue<std::string>("kid", "");
  } catch (const Poco::Exception&) {
    return refused("is not a JWT");
  }
  const JwtKey* key = nullptr;
  for (const auto& [id, k] : keys_) {
    if (id == kid || (kid.empty() && keys_.size() == 1)) key = k.get();
  }
  if (key == nullptr) return refused("names a key (kid '" + kid + "') that is not one of NHS login's configured keys");
  Poco::JWT::Token token;
  if (!key->verify(id_token, token)) return refused("is not signed by NHS login's key '" + kid + "' with " + key->alg());
  if (token.getIssuer() != config_.issuer) return refused("was not issued by " + config_.issuer);
  const auto aud = token.getAudience();
  if (std::find(aud.begin(), aud.end(), config_.client_id) == aud.end()) {
    return refused("was not issued to this service (aud is not " + config_.client_id + ")");
  }
  const std::int64_t exp = token.getExpiration().epochTime(), iat = token.getIssuedAt().epochTime();
  if (exp == 0 || exp + skew_s_ < now_s) return refused("has expired");
  if (iat > now_s + skew_s_) return refused("was issued in the future");
  NhsLoginPerson person;
  person.subject = token.getSubject();
  person.nhs_number = token.payload().optValue<std::string>("nhs_number", "");
  person.proofing_level = token.payload().optValue<std::string>("identity_proofing_level", "");
  if (!identity::validNhsNumber(person.nhs_number)) return refused("has no valid nhs_number claim");
  if (person.proofing_level != "P0" && person.proofing_level != "P5" && person.proofing_level != "P9") {
    return refused("has no identity_proofing_level P0, P5 or P9");
  }
  return person;
}

}  // namespace onedoor::stages::authenticate
