#include "stages/audit/audit_stage.h"

#include "stages/audit/audit_event.h"

#include <algorithm>

namespace onedoor::stages::audit {
namespace {

// A write names what it wrote in its Location header (.../Type/id/_history/n).
void writtenEntity(core::Exchange& ex) {
  if (!ex.audit.entities.empty() || ex.response.status >= 300) return;
  auto location = ex.response.headers.get("Location");
  if (!location) return;
  auto at = location->find("/" + ex.fhir.type + "/");
  if (ex.fhir.type.empty() || at == std::string::npos) return;
  std::string reference = location->substr(at + 1);
  ex.audit.entities.push_back({reference, {}});
  // A new or updated Patient is the patient of its own record.
  if (ex.fhir.type == "Patient") {
    std::string patient = reference.substr(0, reference.find("/_history"));
    if (std::find(ex.audit.patients.begin(), ex.audit.patients.end(), patient) == ex.audit.patients.end()) {
      ex.audit.patients.push_back(patient);
    }
  }
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
