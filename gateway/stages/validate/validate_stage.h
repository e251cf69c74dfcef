#pragma once
// The validate stage: answers $validate, and validates what is written (create, update, each
// resource of a batch or transaction) in the mode the configuration gives for its type and
// partner: off, warn (written; the issues go with the response) or enforce (422 with the
// OperationOutcome, nothing written). Built at start-up; thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "config/gateway_config.h"
#include "core/stage.h"
#include "stages/validate/validator.h"

namespace onedoor::stages::validate {

enum class Mode { kOff, kWarn, kEnforce };

// The mode and required profiles for a resource type written by a partner, from the most
// specific matching rule (type and partner, partner, type), else the default.
struct WritePolicy {
  Mode mode = Mode::kOff;
  std::vector<std::string> profiles;
};
WritePolicy writePolicy(const config::ValidationConfig& config, std::string_view type, std::string_view partner);

// Validates `resource` as a write by `partner` in its policy's mode: the issues found (none when
// the mode is off; information-only results dropped), and whether they stop the write (enforce
// with errors). Used by the stage and by writes the stage cannot see (a patch's result).
struct WriteCheck {
  core::Issues issues;
  bool rejected = false;
};
WriteCheck checkWrite(const Validator& validator, const config::ValidationConfig& config, const fhir::Node& resource,
                      std::string_view partner);

class ValidateStage : public core::Stage {
 public:
  ValidateStage(ValidatorPtr validator, config::ValidationConfig config)
      : validator_(std::move(validator)), config_(std::move(config)) {}
  std::string_view name() const override { return "validate"; }
  core::Result<core::Flow> run(core::Exchange& exchange) override;

 private:
  core::Flow validateOperation(core::Exchange& ex) const;
  core::Flow validateWrite(core::Exchange& ex) const;
  ValidationOptions options(const std::vector<std::string>& profiles) const;

  ValidatorPtr validator_;
  config::ValidationConfig config_;
};

}  // namespace onedoor::stages::validate
