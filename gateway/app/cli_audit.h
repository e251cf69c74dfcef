#pragma once
// The audit record of an operator's action at the command line (`onedoor outbox replay`,
// `onedoor identity review` ...): who (cli:$USER), what, on which patients and entities. Each
// command that changes or shows patient data outside the HTTP pipeline records itself with it.

#include <string>
#include <vector>

#include "core/status.h"
#include "storage/audit_store.h"

namespace onedoor::app {

struct CliAction {
  std::string endpoint;   // delivery | identity ...
  std::string method;     // GET to look, POST to change
  std::string path;       // /outbox/12/replay
  std::string operation;  // outbox-replay
  std::vector<std::string> patients;  // Patient/<id>
  std::vector<std::string> entities;  // urn:onedoor:outbox:12
  std::string source;     // "onedoor outbox (command line)"
};

core::Status recordCliAction(storage::AuditStore& audit, const CliAction& action);

}  // namespace onedoor::app
