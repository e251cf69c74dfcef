#pragma once
// The route stage: sends an exchange to where it is answered. For the FHIR REST API that is the
// local store through the RestEngine. Thread-safe.

#include <memory>

#include "core/stage.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {

class RouteStage : public core::Stage {
 public:
  explicit RouteStage(std::shared_ptr<const RestEngine> engine) : engine_(std::move(engine)) {}
  std::string_view name() const override { return "route"; }
  core::Result<core::Flow> run(core::Exchange& exchange) override {
    engine_->handle(exchange);
    return core::Flow::kRespond;
  }

 private:
  std::shared_ptr<const RestEngine> engine_;
};

}  // namespace onedoor::stages::route
