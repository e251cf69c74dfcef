#include "stages/audit/audit_stage.h"

#include "stages/audit/audit_event.h"

namespace onedoor::stages::audit {
namespace {

// A write names what it wrote in its Location header (.../Type/id/_history/n).
void writtenEntity(core::Exchange& ex) {
  if (!ex.audit.entities.empty() || ex.response.status >= 300) return;
  auto location = ex.response.headers.get("Location");
  if (!location) return;
  auto at = location->find("/" + ex.fhir.type + "/");
  if (ex.fhir.type.empty() || at == std::string::npos) return;
  ex.audit.entities.push_back({location->substr(at + 1), {}});
}

}  // namespace

core::Result<core::Flow> AuditStage::run(core::Exchange& ex) {
  writtenEntity(ex);
  auto now = env_->now();
  auto event = auditEvent(ex, env_->uuid(), core::formatInstant(now), core::epochMillis(now), observer_);
  auto seq = store_->append(std::move(event.json), std::move(event.facts));
  if (!seq.isOk()) {
    ex.fail(core::Status(core::Code::kUnavailable, "the audit log cannot record this request, so it is not answered"));
    return core::Flow::kRespond;
  }
  return core::Flow::kContinue;
}

}  // namespace onedoor::stages::audit
