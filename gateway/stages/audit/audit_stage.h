#pragma once
// The audit stage: runs for every exchange, also when authentication failed or an earlier stage
// answered, and writes its AuditEvent to the append-only audit store before the response leaves.
// If the record cannot be made durable the response is replaced by 503: nothing is disclosed
// unaudited. Thread-safe.

#include <memory>
#include <string>

#include "core/env.h"
#include "core/stage.h"
#include "storage/audit_store.h"

namespace onedoor::stages::audit {

class AuditStage : public core::Stage {
 public:
  AuditStage(std::shared_ptr<storage::AuditStore> store, std::shared_ptr<core::Env> env, std::string observer)
      : store_(std::move(store)), env_(std::move(env)), observer_(std::move(observer)) {}
  std::string_view name() const override { return "audit"; }
  bool always() const override { return true; }
  core::Result<core::Flow> run(core::Exchange& exchange) override;

 private:
  std::shared_ptr<storage::AuditStore> store_;
  std::shared_ptr<core::Env> env_;
  std::string observer_;
};

}  // namespace onedoor::stages::audit
