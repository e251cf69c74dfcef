// onedoor serve --config FILE
#include <csignal>
#include <iostream>

#include "app/cli_options.h"
#include "app/command.h"
#include "app/gateway.h"

namespace onedoor::app {

int serveCommand(const std::vector<std::string>& args) {
  CliOptions opts("serve", "--config FILE",
                  "Runs the gateway: the FHIR REST API under /fhir, /health and /ready. Stops "
                  "cleanly on SIGINT or SIGTERM.");
  opts.value("config", "gateway configuration (JSON); see docs/configuration.md", "FILE", true);
  if (!opts.parse(args)) return opts.exitCode();

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  config::Diagnostics diags;
  auto cfg = config::loadGatewayConfig(opts.get("config"), diags);
  std::cerr << diags.toString();
  if (!cfg) return 1;
  auto gw = Gateway::start(cfg, core::Env::real());
  if (!gw.isOk()) {
    std::cerr << "onedoor: cannot start: " << gw.status().message() << "\n";
    return 1;
  }
  if (!cfg->auth.required) {
    std::cerr << "onedoor: WARNING: auth.required is false: no authentication, consent decisions or audit\n";
  }
  std::cout << "OneDoor listening on " << (*gw)->baseUrl() << " (storage: "
            << (*gw)->store().driver() << ")" << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cout << "OneDoor stopping (signal " << sig << ")" << std::endl;
  (*gw)->stop();
  return 0;
}

}  // namespace onedoor::app
