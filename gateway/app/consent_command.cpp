// onedoor consent explain --config FILE --partner ID [--purpose CODE] (--resource FILE | --patient REF --type TYPE)
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli_options.h"
#include "app/command.h"
#include "app/gateway.h"
#include "fhir/codec.h"
#include "search/indexer.h"
#include "stages/consent/consent_stage.h"

namespace onedoor::app {

int consentCommand(const std::vector<std::string>& args) {
  CliOptions opts("consent", "explain --config FILE --partner ID [--purpose CODE] (--resource FILE | --patient REF --type TYPE)",
                  "Explains the decision the gateway would take for a partner and purpose: on a resource (a file), or "
                  "on a type of data about a patient, using the patient's Consents in the store and the configured "
                  "policy. Prints permit, deny or redact with the rule, policy version, Consent and provision.");
  opts.value("config", "gateway configuration (JSON)", "FILE", true);
  opts.value("partner", "partner id", "ID", true);
  opts.value("purpose", "purpose of use (default TREAT)", "CODE");
  opts.value("resource", "a resource (JSON or XML) as it would be returned", "FILE");
  opts.value("patient", "Patient/<id>", "REF");
  opts.value("type", "resource type of the data", "TYPE");
  if (!opts.parse(args)) return opts.exitCode();
  if (opts.positional().size() != 1 || opts.positional().front() != "explain") {
    std::cerr << "onedoor consent: the action is 'explain'\n";
    return 2;
  }
  if (!opts.has("resource") && !(opts.has("patient") && opts.has("type"))) {
    std::cerr << "onedoor consent: give --resource FILE, or --patient and --type\n";
    return 2;
  }
  config::Diagnostics diags;
  auto cfg = config::loadGatewayConfig(opts.get("config"), diags);
  if (!cfg) {
    std::cerr << diags.toString();
    return 1;
  }
  auto policy = loadConsentPolicy(*cfg, diags);
  std::cerr << diags.toString();
  if (policy == nullptr) return 1;
  const config::PartnerConfig* partner = cfg->partner(opts.get("partner"));
  if (partner == nullptr) {
    std::cerr << "onedoor consent: no partner '" << opts.get("partner") << "'\n";
    return 1;
  }
  auto model = loadDefinitions(*cfg);
  auto params = model.isOk() ? loadSearchParams(*cfg, **model) : core::Result<std::shared_ptr<const search::SearchParamRegistry>>(model.status());
  auto store = openStore(*cfg);
  if (!model.isOk() || !params.isOk() || !store.isOk()) {
    std::cerr << "onedoor consent: cannot open the definitions or the store\n";
    return 1;
  }
  search::Indexer indexer(*model, *params);
  std::optional<fhir::Node> resource;
  if (opts.has("resource")) {
    std::ifstream in(opts.get("resource"), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    auto r = fhir::read(**model, fhir::sniffFormat(ss.str()), ss.str());
    if (!r.ok()) {
      std::cerr << "onedoor consent: " << opts.get("resource") << " is not a valid FHIR resource\n";
      return 1;
    }
    resource = std::move(r.resource);
  }
  stages::consent::ConsentEvaluator evaluator(policy);
  stages::consent::PatientContext pc(**model, **store, indexer);
  core::Status error = core::Status::ok();
  auto now = std::chrono::system_clock::now();
  auto d = stages::consent::explainDecision(evaluator, pc, **store, *partner, opts.get("purpose", "TREAT"),
                                            resource ? &*resource : nullptr, opts.get("patient"), opts.get("type"),
                                            core::formatInstant(now), core::epochMillis(now), error);
  std::cout << "decision: " << d.outcome() << "\n"
            << "rule: " << (d.rule.empty() ? "-" : d.rule) << "\n"
            << "policy version: " << policy->version << "\n"
            << "consent: " << (d.consent.empty() ? "-" : d.consent + (d.provision.empty() ? "" : " " + d.provision)) << "\n"
            << "reason: " << (d.reason.empty() ? "-" : d.reason) << "\n";
  if (!error.isOk()) std::cerr << "onedoor consent: " << error.message() << "\n";
  return error.isOk() ? 0 : 1;
}

}  // namespace onedoor::app
