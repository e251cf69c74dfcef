#pragma once
// PatientContext: what a consent decision needs from the store for one exchange — which patient
// a resource is about (the Patient compartment's reference parameters, computed by the search
// indexer), that patient's Consent resources, organisations' ODS codes, and break-glass grants.
// One per exchange (it caches); not shared between threads.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "fhir/node.h"
#include "search/indexer.h"
#include "stages/consent/consent_cache.h"
#include "storage/store.h"

namespace onedoor::stages::consent {

class PatientContext {
 public:
  // `cache`, when given, keeps patients' Consents between exchanges (see ConsentCache).
  PatientContext(const fhir::Model& model, storage::Store& store, const search::Indexer& indexer,
                 ConsentCache* cache = nullptr)
      : model_(model), store_(store), indexer_(indexer), cache_(cache) {}

  // Patient/<id> references the resource belongs to (itself, for a Patient).
  std::vector<std::string> patientsOf(const fhir::Node& resource) const;
  // The Consents of a patient (every status; the evaluator keeps the active ones). Fails closed:
  // a store error is returned, never an empty list.
  core::Result<std::vector<const fhir::Node*>> consentsOf(const std::string& patient);
  // The union of the Consents of several patients.
  core::Result<std::vector<const fhir::Node*>> consentsOf(const std::vector<std::string>& patients);
  std::optional<std::string> odsOf(const std::string& organization_reference);

 private:
  const fhir::Model& model_;
  storage::Store& store_;
  const search::Indexer& indexer_;
  ConsentCache* cache_;
  std::vector<ConsentCache::Consents> held_;  // keeps what consentsOf returned pointers into
  std::map<std::string, std::vector<const fhir::Node*>> consents_;
  std::map<std::string, std::optional<std::string>> ods_;
};

}  // namespace onedoor::stages::consent
