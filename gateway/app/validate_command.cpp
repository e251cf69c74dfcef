// onedoor validate [--config FILE] [--profile URL]... [--load DIR|FILE]... FILE...
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli_options.h"
#include "app/command.h"
#include "app/gateway.h"
#include "fhir/codec.h"
#include "fhir/operation_outcome.h"

namespace onedoor::app {

int validateCommand(const std::vector<std::string>& args) {
  CliOptions opts("validate", "[--config FILE] [--profile URL]... [--load DIR|FILE]... FILE...",
                  "Validates FHIR resources (JSON or XML) against the R4 base definitions, the profiles "
                  "they declare in meta.profile, the configured ICS profiles and any --profile, and "
                  "prints one OperationOutcome per file. Exits 1 when any file has errors.");
  opts.value("config", "gateway configuration (JSON); its validation.profiles are loaded", "FILE");
  opts.value("profile", "a profile (canonical URL) every file must conform to", "URL", false, true);
  opts.value("load", "a folder or file of extra definitions (profiles, ValueSets, CodeSystems)", "PATH", false, true);
  opts.flag("unknown-extensions-are-errors", "report extensions whose definition is not loaded as errors");
  if (!opts.parse(args)) return opts.exitCode();
  if (opts.positional().empty()) {
    std::cerr << "onedoor validate: give at least one FILE\n";
    return 2;
  }
  config::Diagnostics diags;
  config::GatewayConfigPtr cfg = opts.has("config") ? config::loadGatewayConfig(opts.get("config"), diags)
                                                    : std::make_shared<const config::GatewayConfig>();
  if (cfg == nullptr) {
    std::cerr << diags.toString();
    return 1;
  }
  auto model = loadDefinitions(*cfg);
  if (!model.isOk()) {
    std::cerr << "onedoor validate: " << model.status().message() << "\n";
    return 1;
  }
  auto profiles = loadProfiles(*cfg, *model, opts.all("load"), diags);
  std::cerr << diags.toString();
  if (!profiles.isOk()) {
    std::cerr << "onedoor validate: " << profiles.status().message() << "\n";
    return 1;
  }
  // Definitions that could not be loaded were reported above; validate with the rest, and
  // let the exit code say something was wrong.
  int worst = diags.hasErrors() ? 1 : 0;
  stages::validate::Validator validator(*profiles);
  stages::validate::ValidationOptions vopts;
  vopts.profiles = opts.all("profile");
  vopts.unknown_extension_is_error = cfg->validation.unknown_extension_is_error || opts.has("unknown-extensions-are-errors");
  for (const auto& file : opts.positional()) {
    std::string text;
    core::Issues issues;
    if (!readInput(file, text)) {
      issues.push_back(core::Issue{core::Severity::kFatal, "not-found", "", "cannot read the file", 0, 0});
    } else {
      auto r = fhir::read(**model, fhir::sniffFormat(text), text, {});
      issues = r.ok() ? validator.validate(r.resource, vopts) : r.issues;
    }
    if (core::hasErrors(issues)) worst = 1;
    std::cout << "== " << file << "\n"
              << fhir::writeJson(fhir::operationOutcome(**model, issues), {true}) << "\n";
  }
  return worst;
}

}  // namespace onedoor::app
