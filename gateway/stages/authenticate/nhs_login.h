#pragma once
// NHS login ID tokens (scenario S2): a patient-facing partner (a self-referral form) acts for a
// person who signed in with NHS login and passes their ID token. It is checked here: signed by a
// configured NHS login key (its algorithm pinned to the key), issued by NHS login to the
// configured client, in date, and naming a valid NHS number with its identity proofing level.
// Built at start-up; immutable and thread-safe.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/gateway_config.h"
#include "core/env.h"
#include "core/status.h"
#include "stages/authenticate/keys.h"

namespace onedoor::stages::authenticate {

struct NhsLoginPerson {
  std::string nhs_number;
  std::string proofing_level;  // P0, P5 or P9 (P9: the NHS number is verified)
  std::string subject;         // NHS login's sub
};

class NhsLoginVerifier {
 public:
  // Null when NHS login is not configured.
  static core::Result<std::shared_ptr<const NhsLoginVerifier>> create(const config::GatewayConfig& config,
                                                                      std::shared_ptr<core::Env> env);
  // The person `id_token` names, or why it is not accepted (kUnauthenticated).
  core::Result<NhsLoginPerson> verify(const std::string& id_token) const;

 private:
  config::NhsLoginConfig config_;
  std::shared_ptr<core::Env> env_;
  std::uint32_t skew_s_ = 30;
  std::vector<std::pair<std::string, JwtKeyPtr>> keys_;  // kid -> key
};

}  // namespace onedoor::stages::authenticate
