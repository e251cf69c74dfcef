// onedoor check --config FILE: loads and checks everything a start would, then exits.
#include <iostream>

#include "app/cli_options.h"
#include "app/command.h"
#include "app/gateway.h"

namespace onedoor::app {

int checkCommand(const std::vector<std::string>& args) {
  CliOptions opts("check", "--config FILE",
                  "Loads the configuration, the FHIR definitions and the validation profiles it names, "
                  "compiles every profile, and prints every problem as file:line:col: error: ... "
                  "Exits 0 when everything is usable.");
  opts.value("config", "gateway configuration (JSON)", "FILE", true);
  if (!opts.parse(args)) return opts.exitCode();
  config::Diagnostics diags;
  auto cfg = config::loadGatewayConfig(opts.get("config"), diags);
  if (cfg) {
    auto model = loadDefinitions(*cfg);
    if (!model.isOk()) {
      diags.error(cfg->source, 1, 1, "definitions: " + model.status().message());
    } else {
      auto dirs = packageDirs(*cfg);
      if (!dirs.isOk()) diags.error(cfg->source, 1, 1, "definitions: " + dirs.status().message());
      auto params = loadSearchParams(*cfg, **model);
      if (dirs.isOk() && !params.isOk()) diags.error(cfg->source, 1, 1, "search parameters: " + params.status().message());
      // The consent policy parses and names known sectors.
      (void)loadConsentPolicy(*cfg, diags);
      // Every profile of validation.profiles compiles (snapshot, invariants), or is reported.
      if (dirs.isOk()) {
        auto profiles = loadProfiles(*cfg, *model, {}, diags);
        if (!profiles.isOk()) diags.error(cfg->source, 1, 1, "validation: " + profiles.status().message());
      }
    }
  }
  std::cerr << diags.toString();
  if (diags.hasErrors()) {
    std::cerr << "onedoor check: " << opts.get("config") << " has errors\n";
    return 1;
  }
  std::cout << "onedoor check: " << opts.get("config") << " is OK\n";
  return 0;
}

}  // namespace onedoor::app
