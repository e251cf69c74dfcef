#pragma once
// DefinitionIndex: every conformance resource of the loaded FHIR packages (StructureDefinition,
// ValueSet, CodeSystem, SearchParameter, ConceptMap ...) by canonical URL, with the resources
// parsed lazily on first use and kept. The index itself is cached pre-built on disk like the
// model. Thread-safe.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "fhir/model.h"
#include "fhir/node.h"

namespace onedoor::fhir {

class DefinitionIndex {
 public:
  struct Entry {
    std::string type;     // resourceType
    std::string id;
    std::string url;
    std::string version;
    std::filesystem::path file;
  };

  // Indexes every *.json conformance resource in `package_dirs` (earlier folders win on a URL
  // clash); `cache_dir` keeps the index between runs.
  static core::Result<std::shared_ptr<const DefinitionIndex>> load(
      ModelPtr model, const std::vector<std::filesystem::path>& package_dirs,
      const std::filesystem::path& cache_dir);

  // By canonical URL, optionally with |version.
  const Entry* find(std::string_view url) const;
  std::vector<const Entry*> ofType(std::string_view type) const;
  // The parsed resource (cached); kNotFound for an unknown URL.
  core::Result<std::shared_ptr<const Node>> resource(std::string_view url) const;
  const Model& model() const { return *model_; }
  // Adds a resource that did not come from a package (ICS profiles, tests).
  void add(const Entry& entry, std::shared_ptr<const Node> resource);

 private:
  ModelPtr model_;
  std::map<std::string, Entry, std::less<>> by_url_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const Node>, std::less<>> parsed_;
};

using DefinitionIndexPtr = std::shared_ptr<const DefinitionIndex>;

}  // namespace onedoor::fhir
