#include "app/cli_audit.h"

#include <chrono>
#include <cstdlib>

#include "core/env.h"
#include "core/exchange.h"
#include "stages/audit/audit_event.h"

namespace onedoor::app {

core::Status recordCliAction(storage::AuditStore& audit, const CliAction& action) {
  static const fhir::Model kEmpty;
  core::Exchange ex(kEmpty);
  const char* user = std::getenv("USER");
  ex.request.transport = "cli";
  ex.request.endpoint = action.endpoint;
  ex.request.method = action.method;
  ex.request.path = action.path;
  ex.request_id = core::Env::real()->uuid();
  ex.fhir.interaction = core::Interaction::kOperation;
  ex.fhir.operation = action.operation;
  ex.principal.partner = std::string("cli:") + (user != nullptr && *user != '\0' ? user : "unknown");
  ex.principal.purpose = "HOPERAT";
  ex.audit.patients = action.patients;
  for (const auto& e : action.entities) ex.audit.entities.push_back({e, {}});
  ex.response.status = 200;
  auto now = std::chrono::system_clock::now();
  auto event = stages::audit::auditEvent(ex, core::Env::real()->uuid(), core::formatInstant(now), core::epochMillis(now),
                                         action.source);
  return audit.append(std::move(event.json), std::move(event.facts)).status();
}

}  // namespace onedoor::app
