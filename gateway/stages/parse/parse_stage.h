#pragma once
// The parse stage: turns a transport request into a FHIR request. It interprets the URL and
// method, negotiates formats (406/415), reads _format/_pretty/_summary/_elements and Prefer, and
// parses the body (JSON or XML) into a Node with every problem reported (400 with an
// OperationOutcome). Built at start-up; thread-safe.

#include <memory>

#include "core/stage.h"
#include "fml/engine.h"
#include "fhir/codec.h"
#include "fhir/model.h"

namespace onedoor::stages::parse {

// A partner's own format, read and mapped to FHIR at the door (config `inbound`).
struct InboundMapping {
  std::string partner;
  std::string content_type;
  std::string format;
  fml::CompiledMapPtr map;
};

struct ParseConfig {
  std::uint32_t max_depth = 100;
  std::vector<InboundMapping> inbound;
};

class ParseStage : public core::Stage {
 public:
  ParseStage(fhir::ModelPtr model, ParseConfig config)
      : model_(std::move(model)), config_(config) {}
  std::string_view name() const override { return "parse"; }
  core::Result<core::Flow> run(core::Exchange& exchange) override;

 private:
  core::Status parseBody(core::Exchange& exchange);
  // The partner's own format mapped to FHIR; false when no mapping applies.
  core::Result<bool> mapInbound(core::Exchange& exchange, const std::string& content_type);

  fhir::ModelPtr model_;
  ParseConfig config_;
};

// Parses an application/x-www-form-urlencoded body into name/value pairs.
core::Result<std::vector<std::pair<std::string, std::string>>> parseForm(std::string_view body);

}  // namespace onedoor::stages::parse
