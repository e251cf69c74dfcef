#pragma once
// What becomes of an accepted FHIR message: which partners it goes to (the routing table), what
// each of them may see of it (the consent stage's evaluator, deciding for that recipient as if it
// read the message: denied resources leave the message, minimal-dataset rules mask them, and a
// recipient who may see none of the message's data gets nothing), and the message in each
// recipient's format (its outbound map, or FHIR). The result is outbox entries for the caller to
// enqueue in the transaction that stores the message, and the decisions to audit.
// Built at start-up; thread-safe.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/gateway_config.h"
#include "core/status.h"
#include "fhir/model.h"
#include "fhir/node.h"
#include "fml/engine.h"
#include "search/indexer.h"
#include "stages/consent/consent_cache.h"
#include "stages/consent/consent_evaluator.h"
#include "stages/consent/patient_context.h"
#include "stages/deliver/outbox.h"
#include "stages/deliver/router.h"
#include "stages/identity/resolver.h"
#include "core/env.h"
#include "storage/audit_store.h"
#include "storage/store.h"

namespace onedoor::stages::deliver {

// One recipient's decision, for the audit trail.
struct Disclosure {
  std::string partner;
  std::string route;
  std::string decision;  // permit | redact | deny
  std::string rule;
  std::vector<std::string> consents;
  std::vector<std::string> patients;
};

struct Plan {
  std::vector<OutboxEntry> entries;
  std::vector<Disclosure> disclosures;
};

class Messaging {
 public:
  Messaging(config::GatewayConfigPtr config, fhir::ModelPtr model, std::shared_ptr<storage::Store> store,
            std::shared_ptr<const search::Indexer> indexer, std::shared_ptr<const Router> router,
            consent::PolicyPtr policy, std::map<std::string, fml::CompiledMapPtr> outbound_maps)
      : config_(std::move(config)),
        model_(std::move(model)),
        store_(std::move(store)),
        indexer_(std::move(indexer)),
        router_(std::move(router)),
        evaluator_(std::move(policy)),
        outbound_(std::move(outbound_maps)) {
    if (config_->identity.enabled) identity_ = std::make_unique<identity::Resolver>(model_, config_->identity);
  }

  // Whether message `m` may still go to its destination, decided now from its patient's current
  // Consents (the patient is its ordering key): "" if it may, else why not. An error (the store
  // cannot be read) is returned as such: the caller tries again later.
  core::Result<std::string> withheldNow(const OutboxEntry& m, const std::string& now) const;

  // The deliveries of message `bundle` (id `message_id`) from partner `sender`, accepted at `now`.
  // `entry_persons`, when given, is the person each entry's Patient stands for, by entry position
  // (core::Exchange::entry_persons, as the consent stage found them): not looked up again.
  core::Result<Plan> plan(const fhir::Node& bundle, const std::string& sender, const std::string& message_id,
                          const std::string& now, std::int64_t now_ms,
                          const std::vector<core::IncomingPerson>* entry_persons = nullptr) const;

  // The audit records of each recipient's decision (permit, redact, deny) as a disclosure.
  std::vector<storage::AuditEntry> disclosureAudits(core::Env& env, const std::vector<Disclosure>& disclosures,
                                                    const std::string& message_id) const;

  // This gateway's delivery workers: messages go to them straight from acceptance, and they are
  // woken when deliveries were committed that no sender was handed. Set before start.
  void setDirect(DirectDelivery* direct) { direct_ = direct; }
  DirectDelivery* direct() const { return direct_; }
  void notify() const {
    if (direct_ != nullptr) direct_->wake();
  }

 private:
  // The message's own references to its Patient entries (fullUrl, Patient/<its id>) -> the
  // Patient the store knows that person as, as the write will keep it (identity::personOf,
  // PersonLookup::kMessage), or as `entry_persons` gives it; or, when records are tied for that
  // person, each of them.
  using Persons = std::map<std::string, core::IncomingPerson>;
  core::Result<Persons> personsOf(const fhir::Node& bundle, const std::vector<core::IncomingPerson>* entry_persons) const;
  // The patients resource `r` of the message is about, as the store knows them: for a person tied
  // between records, each of them (a disclosure is decided with all their Consents: any deny
  // withholds), also added to `tied` when given.
  static std::vector<std::string> patientsIn(const fhir::Node& r, consent::PatientContext& pc, const Persons& persons,
                                             std::vector<std::string>* tied = nullptr);
  // The message as `recipient` may see it, or nullopt when it may see nothing of it.
  std::optional<fhir::Node> redact(const fhir::Node& bundle, const config::PartnerConfig& recipient,
                                   consent::PatientContext& pc, const Persons& persons, Disclosure& d,
                                   const std::string& now) const;
  // The message in the recipient's format: its body and content type.
  core::Result<std::pair<std::string, std::string>> render(const fhir::Node& bundle,
                                                           const config::PartnerConfig& recipient) const;

  config::GatewayConfigPtr config_;
  fhir::ModelPtr model_;
  std::shared_ptr<storage::Store> store_;
  std::shared_ptr<const search::Indexer> indexer_;
  std::shared_ptr<const Router> router_;
  consent::ConsentEvaluator evaluator_;
  // The patients' Consents, read once per write of a Consent (SQLite) for the plans and for the
  // decision made again before every delivery attempt.
  mutable consent::ConsentCache consents_;
  std::map<std::string, fml::CompiledMapPtr> outbound_;  // partner id -> map
  std::unique_ptr<identity::Resolver> identity_;         // null when identity matching is off
  DirectDelivery* direct_ = nullptr;
};

}  // namespace onedoor::stages::deliver
