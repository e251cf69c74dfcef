#pragma once
// The AuditEvent of one exchange, shaped after IHE BALP (Basic Audit Log Patterns): type and
// subtype for the interaction, action, recorded time, outcome, the requesting partner (with its
// ODS code, purpose of use, token id and client certificate), the gateway as source and server,
// the request id, the patients concerned, every resource disclosed or written (references and
// security labels only, never content), a search's query, and the consent decision. Written as
// canonical JSON: the bytes the audit chain hashes. Pure functions.

#include <string>

#include "core/exchange.h"
#include "storage/audit_store.h"

namespace onedoor::stages::audit {

struct AuditEventText {
  std::string json;
  storage::AuditFacts facts;
};

// `id` and `recorded` (FHIR instant) come from the caller's clock.
AuditEventText auditEvent(const core::Exchange& ex, const std::string& id, const std::string& recorded,
                          std::int64_t recorded_ms, const std::string& observer);

// The BALP action code of an interaction: C R U D E.
std::string actionOf(core::Interaction interaction);

}  // namespace onedoor::stages::audit
