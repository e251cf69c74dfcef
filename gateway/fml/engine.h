#pragma once
// The mapping engine: runs a parsed FML map (fml::Map) on a source tree and builds the target.
//
// A CompiledMap is made once (the map's FHIRPath compiled, its groups indexed, the target types
// resolved against the model) and is immutable: transform() may run on many threads. The target
// is built in a tree of its own with stable addresses (so that variables keep pointing at what
// they named while siblings are added) and becomes a typed fhir::Node at the end, through the
// same reader that checks any FHIR JSON. Run-time errors name the map, group, rule and source
// path ("map SpaForm, group Form, rule sex (spa.map:12:3): ...").
//
// Supported transforms: create, copy, truncate, escape, cast, append, translate (embedded or
// given ConceptMaps), reference, uuid, evaluate, cc, c, qty, id, cp; dateOp and pointer are
// refused with a clear error. Source list modes first/not_first/last/not_last/only_one, target
// list mode share, default groups by type (<<types>>, and the short form src.a -> tgt.a).

#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <unordered_map>
#include <string>
#include <vector>

#include "core/status.h"
#include "fhir/model.h"
#include "fhir/node.h"
#include "fhirpath/expression.h"
#include "fml/ast.h"

namespace onedoor::fml {

struct TransformOptions {
  // ConceptMaps that translate() may name by URL besides those given to compile() (those in the
  // map itself are found by '#id').
  std::function<const fhir::Node*(const std::string& url)> concept_map;
  // Fixed ids and times make runs reproducible (tests, golden files); empty: random/now.
  std::function<std::string()> uuid;
};

// ConceptMap resources that translate() may name by URL, kept with the maps (by url).
using ConceptMaps = std::map<std::string, fhir::Node>;

class CompiledMap {
 public:
  // Checks what can be checked before running: the groups that dependents and extends name, and
  // the elements and created types of variables of known FHIR types (fml/checker.h).
  // translate() by URL must name one of `concept_maps` unless `more_concept_maps` says that
  // TransformOptions::concept_map will supply others when the map runs.
  static core::Result<std::shared_ptr<const CompiledMap>> compile(Map map, fhir::ModelPtr model, ConceptMaps concept_maps = {},
                                                                  bool more_concept_maps = false);

  // Runs the first group on `source`; the target is a new resource of the first group's target
  // input type.
  core::Result<fhir::Node> transform(const fhir::Node& source, const TransformOptions& options = {}) const;

  const Map& map() const { return map_; }

 private:
  CompiledMap(Map map, fhir::ModelPtr model, ConceptMaps concept_maps)
      : map_(std::move(map)), model_(std::move(model)), concept_maps_(std::move(concept_maps)) {}
  // An expression of the map compiled on first use and kept, with the map's variables it reads
  // (written bare or as %name). Keyed by the address of its text in map_, where the variables in
  // scope are always the same (`scope_names` gives them the first time). Immutable once made.
  struct Prepared {
    std::unique_ptr<fhirpath::Expression> expression;
    std::vector<std::string> variables;
  };
  core::Result<const Prepared*> prepared(const std::string& text,
                                         const std::function<std::vector<std::string>()>& scope_names) const;
  friend class Run;
  Map map_;
  fhir::ModelPtr model_;
  ConceptMaps concept_maps_;
  mutable std::shared_mutex prepared_mu_;
  mutable std::unordered_map<const std::string*, std::unique_ptr<Prepared>> prepared_;
};

using CompiledMapPtr = std::shared_ptr<const CompiledMap>;

}  // namespace onedoor::fml
