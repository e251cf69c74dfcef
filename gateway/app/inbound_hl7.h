#pragma once
// InboundHl7: what happens to an HL7 v2 message a partner sends over MLLP. It is read; checked
// with the partner's map when one is configured; kept as received in the store (durably; a
// re-sent control id is not kept twice); recorded in the audit log; and only then acknowledged:
// AA when kept and mapped, AE when kept but the map failed on it (the reason in MSA-3), AR when
// it could not be read or kept (the sender should correct or resend it). A message that maps to a
// FHIR message Bundle then goes through the FHIR pipeline as the partner's $process-message
// (validated, decided as its write, kept with its deliveries, audited) before the AA, the message
// as received kept in the same transaction and named by the same audit record; a re-sent message
// is not delivered twice, and one kept before a crash but not yet routed is routed when it is
// sent again. Thread-safe.

#include <functional>
#include <memory>
#include <string>

#include "config/gateway_config.h"
#include "core/env.h"
#include "core/pipeline.h"
#include "fml/engine.h"
#include "stages/route/rest_engine.h"
#include "storage/audit_store.h"
#include "storage/store.h"

namespace onedoor::app {


class InboundHl7 {
 public:
  InboundHl7(const config::PartnerConfig& partner, fml::CompiledMapPtr map, std::shared_ptr<storage::Store> store,
             std::shared_ptr<storage::AuditStore> audit, std::shared_ptr<core::Env> env, fhir::ModelPtr model,
             std::shared_ptr<const stages::route::RestEngine> engine = nullptr)
      : partner_(partner), map_(std::move(map)), store_(std::move(store)), audit_(std::move(audit)),
        env_(std::move(env)), model_holder_(std::move(model)), model_(*model_holder_), engine_(std::move(engine)) {}

  // The ACK (ER7) for one message.
  std::string handle(const std::string& message) const;
  // The FHIR pipeline the mapped message then goes through as this partner's $process-message
  // (validated, decided as the partner's write, kept with its deliveries, audited). Without it the
  // message is only kept and routed. Set before the listener starts.
  void setPipeline(std::shared_ptr<const core::Pipeline> pipeline) { pipeline_ = std::move(pipeline); }

 private:
  // Records the exchange in the audit log; false when it could not be.
  bool audit(int status, const std::string& entity, const std::string& why) const;
  // The same, queued: the function returned waits until the record is durable.
  std::function<core::Status()> auditLater(int status, const std::string& entity, const std::string& why) const;

  config::PartnerConfig partner_;
  fml::CompiledMapPtr map_;
  std::shared_ptr<storage::Store> store_;
  std::shared_ptr<storage::AuditStore> audit_;
  std::shared_ptr<core::Env> env_;
  fhir::ModelPtr model_holder_;
  const fhir::Model& model_;
  std::shared_ptr<const stages::route::RestEngine> engine_;
  std::shared_ptr<const core::Pipeline> pipeline_;
};

}  // namespace onedoor::app
