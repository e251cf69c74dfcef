#pragma once
// Indexer: the search-index rows of a resource, computed at write time from the FHIRPath
// expressions of every SearchParameter that applies to its type. Thread-safe (stateless apart
// from the immutable registry and model).

#include <memory>
#include <vector>

#include "fhir/model.h"
#include "fhir/node.h"
#include "search/index_row.h"
#include "search/search_param.h"

namespace onedoor::search {

class Indexer {
 public:
  Indexer(fhir::ModelPtr model, std::shared_ptr<const SearchParamRegistry> registry)
      : model_(std::move(model)), registry_(std::move(registry)) {}

  std::vector<IndexRow> rows(const fhir::Node& resource) const;
  // The rows one parameter gives for one resource (used by tests and reindexing).
  std::vector<IndexRow> rows(const fhir::Node& resource, const SearchParam& param) const;

  const SearchParamRegistry& registry() const { return *registry_; }

 private:
  fhir::ModelPtr model_;
  std::shared_ptr<const SearchParamRegistry> registry_;
};

// Splits a reference string into type and id when it names a resource ("Patient/1",
// "http://x/fhir/Patient/1/_history/2"); false otherwise.
bool parseReference(std::string_view ref, std::string& type, std::string& id, const fhir::Model& model);

}  // namespace onedoor::search
