#pragma once
// The consent stage: decides every exchange for the partner making it.
//   before routing: the token's scopes for the interaction and type; a policy rule for the
//   partner's sector and purpose; searches that could reveal hidden data (_has, chains) where
//   the rule forbids them; break-glass requests (granted per patient, for a time); writes
//   (decided, and labelled by the policy's labelling rules); $consent-check;
//   after routing: each resource answered — a read is permitted, masked to the minimal dataset
//   or refused with a 403 that does not say whether the data exists; a search drops what the
//   partner may not see and masks what it may see in part, never reporting a total that would
//   count hidden resources; responses carry the high-water-mark confidentiality.
// Every decision, with its rule, policy version and deciding Consent, goes to the audit trail.
// Fails closed: an error while deciding is a denial. Thread-safe.

#include <map>
#include <memory>

#include "config/gateway_config.h"
#include "core/env.h"
#include "core/stage.h"
#include "search/indexer.h"
#include "stages/consent/consent_evaluator.h"
#include "stages/consent/patient_context.h"
#include "stages/identity/resolver.h"
#include "storage/store.h"

namespace onedoor::stages::consent {

// The decision for a partner and purpose on a resource, or on a type of data about a patient:
// shared by $consent-check and `onedoor consent explain`. A store error goes to `error` (and the
// decision is a denial).
Decision explainDecision(const ConsentEvaluator& evaluator, PatientContext& pc, storage::Store& store,
                         const config::PartnerConfig& partner, const std::string& purpose, const fhir::Node* resource,
                         const std::string& patient, const std::string& type, const std::string& now,
                         std::int64_t now_ms, core::Status& error);

class ConsentStage : public core::Stage {
 public:
  ConsentStage(PolicyPtr policy, std::shared_ptr<storage::Store> store, std::shared_ptr<const search::Indexer> indexer,
               fhir::ModelPtr model, std::shared_ptr<core::Env> env, config::GatewayConfigPtr config)
      : evaluator_(std::move(policy)), store_(std::move(store)), indexer_(std::move(indexer)), model_(std::move(model)),
        env_(std::move(env)), config_(std::move(config)) {
    if (config_ && config_->identity.enabled) identity_ = std::make_unique<identity::Resolver>(model_, config_->identity);
  }
  std::string_view name() const override { return "consent"; }
  core::Result<core::Flow> run(core::Exchange& exchange) override;
  core::Status respond(core::Exchange& exchange) override;

  const ConsentEvaluator& evaluator() const { return evaluator_; }

 private:
  // consent_stage.cpp
  bool scopesAllow(core::Exchange& ex) const;
  core::Flow breakGlass(core::Exchange& ex, Requester& who) const;
  // A rule that requires_authoriser: the request's X-Authorised-By and X-Justification, into the audit.
  core::Flow authorisation(core::Exchange& ex, const PolicyRule& rule) const;
  core::Flow decideWrites(core::Exchange& ex, const Requester& who) const;
  // Acting for a person signed in with NHS login: what is written is about them only (each
  // Patient carries their NHS number, with the verification NHS login gives it).
  core::Status forThePerson(core::Exchange& ex) const;
  core::Flow decideStored(core::Exchange& ex, const Requester& who, PatientContext& pc) const;
  // $stratified-count: the filtered matches become a MeasureReport of counts (consent_filter.cpp).
  core::Status aggregate(core::Exchange& ex, PatientContext& pc) const;
  // $gpc.getstructuredrecord: may the partner see the person at all, before their practice is asked.
  core::Flow decideGpRecord(core::Exchange& ex, const Requester& who) const;
  void label(fhir::Node& resource, const std::string& sector) const;
  // The kept Patient a Patient being written will become (identity::personOf).
  core::Result<core::IncomingPerson> personOf(const fhir::Node& patient, identity::PersonLookup how) const;
  // Adds the persons of the Bundle references in `n` (fullUrl → Patient/<id>) to `patients`.
  static void addPersons(const fhir::Node& n, const std::map<std::string, std::string>& persons,
                         std::vector<std::string>& patients);
  // consent_filter.cpp
  core::Status filterRead(core::Exchange& ex, const Requester& who, PatientContext& pc) const;
  core::Status filterBundle(core::Exchange& ex, const Requester& who, PatientContext& pc) const;
  // consent_check.cpp
  core::Flow consentCheck(core::Exchange& ex) const;

  Requester requester(const core::Exchange& ex) const;
  std::string now() const;
  void deny(core::Exchange& ex, const Decision& d) const;

  ConsentEvaluator evaluator_;
  // Patients' Consents between exchanges, while the store vouches that none changed.
  mutable ConsentCache consent_cache_;
  std::shared_ptr<storage::Store> store_;
  std::shared_ptr<const search::Indexer> indexer_;
  fhir::ModelPtr model_;
  std::shared_ptr<core::Env> env_;
  config::GatewayConfigPtr config_;
  std::unique_ptr<identity::Resolver> identity_;  // null when identity matching is off
};

}  // namespace onedoor::stages::consent
