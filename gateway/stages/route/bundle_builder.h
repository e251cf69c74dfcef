#pragma once
// BundleBuilder: assembles response Bundles (history, searchset, batch/transaction responses)
// from stored records. Not thread-safe; one per response.

#include <string>

#include "core/status.h"
#include "fhir/model.h"
#include "fhir/node.h"
#include "storage/store.h"

namespace onedoor::stages::route {

class BundleBuilder {
 public:
  BundleBuilder(const fhir::Model& model, const std::string& type);
  void total(std::int64_t n);
  void link(const std::string& relation, const std::string& url);
  // A history entry: the version (absent when a deletion), request and response.
  core::Status historyEntry(const storage::ResourceRecord& rec, const std::string& base);
  // An entry with a resource and fullUrl; returns it for search/response details.
  fhir::Node* entry(fhir::Node resource, const std::string& full_url);
  fhir::Node* emptyEntry();
  fhir::Node& bundle() { return bundle_; }
  fhir::Node take() { return std::move(bundle_); }

 private:
  const fhir::Model& model_;
  fhir::Node bundle_;
};

// Percent-encodes a query parameter value.
std::string urlEncode(const std::string& s);

}  // namespace onedoor::stages::route
