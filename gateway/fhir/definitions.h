#pragma once
// DefinitionIndex: every conformance resource of the loaded FHIR packages (StructureDefinition,
// ValueSet, CodeSystem, SearchParameter, ConceptMap ...) by canonical URL, with the resources
// parsed lazily on first use and kept. The index itself is cached pre-built on disk like the
// model. Thread-safe.

#include <deque>
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
    std::string base;     // StructureDefinition.baseDefinition (empty for other types)
  };

  // Indexes every *.json conformance resource in `package_dirs` (earlier folders win on a URL
  // clash); `cache_dir` keeps the index between runs.
  static core::Result<std::shared_ptr<const DefinitionIndex>> load(
      ModelPtr model, const std::vector<std::filesystem::path>& package_dirs,
      const std::filesystem::path& cache_dir);

  // An empty index over `base`: lookups try this layer first, then the base.
  static std::shared_ptr<DefinitionIndex> layer(std::shared_ptr<const DefinitionIndex> base);

  // By canonical URL, optionally with |version.
  const Entry* find(std::string_view url) const;
  // Entries of a resource type; with `own_only`, only this layer's (not the base's).
  std::vector<const Entry*> ofType(std::string_view type, bool own_only = false) const;
  // The parsed resource (cached); kNotFound for an unknown URL.
  core::Result<std::shared_ptr<const Node>> resource(std::string_view url) const;
  const Model& model() const { return *model_; }
  // Adds a resource that did not come from a package (ICS profiles, tests).
  void add(const Entry& entry, std::shared_ptr<const Node> resource);
  // Adds a conformance resource (anything with a `url`) already parsed; others are ignored.
  void add(Node resource, const std::filesystem::path& file);
  // Reads a JSON or XML file and adds the conformance resource in it (or each one of a Bundle).
  // A parse error gives its position in `line`/`column` when asked.
  core::Status addFile(const std::filesystem::path& file, std::uint32_t* line = nullptr,
                       std::uint32_t* column = nullptr);

 private:
  const Entry* findOwn(std::string_view url) const;

  ModelPtr model_;
  std::shared_ptr<const DefinitionIndex> base_;
  std::map<std::string, Entry, std::less<>> by_url_;                 // the latest added per URL
  std::map<std::string, std::deque<Entry>, std::less<>> versions_;   // every added version per URL
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const Node>, std::less<>> parsed_;
};

using DefinitionIndexPtr = std::shared_ptr<const DefinitionIndex>;

}  // namespace onedoor::fhir
