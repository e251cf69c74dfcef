#pragma once
// Inside the mapping engine (engine.cpp, run_targets.cpp, run_transforms.cpp): one run of a
// compiled map on one source. A Run is made per CompiledMap::transform() call, used by that
// thread only and dropped at the end; errors are thrown as RunFailure and become a Status there.

#include <deque>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fhir/model.h"
#include "fhir/node.h"
#include "fhirpath/environment.h"
#include "fhirpath/value.h"
#include "fml/ast.h"
#include "fml/engine.h"
#include "fml/target_tree.h"

namespace onedoor::fml {

// What a variable holds: values of the source (nodes or FHIRPath system values) or a target
// element.
struct Var {
  bool target = false;
  fhirpath::Value source = fhirpath::Value::boolean(false);
  TNode* node = nullptr;
};
// The variables in scope: a handful, kept as a stack. A rule binds its source and target
// variables on top of what encloses it and takes them off when it is done (truncate), so that
// nothing is copied per binding; an inner variable of the same name hides an outer one.
class Scope {
 public:
  using Entry = std::pair<std::string, Var>;
  using const_iterator = std::vector<Entry>::const_iterator;
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  const_iterator find(const std::string& name) const {
    for (std::size_t i = entries_.size(); i > 0; --i) {
      if (entries_[i - 1].first == name)
        return entries_.begin() + static_cast<std::ptrdiff_t>(i - 1);
    }
    return entries_.end();
  }
  std::size_t count(const std::string& name) const { return find(name) != end() ? 1 : 0; }
  const Var& at(const std::string& name) const {
    auto it = find(name);
    if (it == end()) throw std::out_of_range("no variable " + name);
    return it->second;
  }
  void push(const std::string& name, Var v) { entries_.emplace_back(name, std::move(v)); }
  std::size_t size() const { return entries_.size(); }
  void truncate(std::size_t n) { entries_.resize(n); }

 private:
  std::vector<Entry> entries_;
};

// A value produced by a transform, before it is put into the target.
struct Produced {
  enum class Kind { kNone, kValue, kTarget } kind = Kind::kNone;
  fhirpath::Value value =
      fhirpath::Value::boolean(false);  // kValue: a system value or a source node
  std::string type;                     // kTarget: the type to create
  TNode* target = nullptr;              // kTarget: an existing target element
};

struct RunFailure {
  std::string message;
};

// A source value as text (a primitive's value, a system value's display form).
std::string primitiveText(const fhirpath::Value& v);

class Run {
 public:
  Run(const CompiledMap& cm, const TransformOptions& options)
      : cm_(cm), map_(cm.map_), model_(*cm.model_), options_(options) {}
  // Runs the first group on `source` (see CompiledMap::transform); throws RunFailure.
  fhir::Node transform(const fhir::Node& source);

 private:
  [[noreturn]] void fail(const Group& g, const Rule* r, const std::string& what) const;
  // Whether the input's structure is a FHIR one (http://hl7.org/fhir/StructureDefinition/...).
  bool fhirStructure(const Input& in) const;
  std::string targetType(const Input& in) const;
  // `expr` is text of the map (its address names the place in the map, where the variables in
  // scope are always the same ones).
  fhirpath::Collection evaluate(const Group& g, const Rule* r, const std::string& expr,
                                const fhirpath::Value& focus, const Scope& scope);
  const Group* findGroup(const std::string& name) const;
  void runGroup(const Group& g, Scope& scope, int depth);
  void call(const Group& from, const Rule& r, const Group& g, const std::vector<Var>& args,
            int depth);
  fhirpath::Collection sourceValues(const Group& g, const Rule& r, const Source& s,
                                    const Scope& scope);
  // The list mode, applied to the values the where clause kept (as the reference implementation
  // does).
  void applyListMode(const Group& g, const Rule& r, const Source& s,
                     fhirpath::Collection& values) const;
  // A condition's result read as a Boolean, as FHIRPath reads a collection: empty is false, a
  // single Boolean is itself, anything else that is there is true.
  static bool truthy(const fhirpath::Collection& c);
  void runRule(const Group& g, const Rule& r, Scope& scope, int depth);
  // Every combination of the sources' values, each with its where/check/log.
  void bindSources(const Group& g, const Rule& r, std::size_t i, Scope& scope, int depth);
  // The rule's targets, then its inner rules and groups, with the target variables bound on top
  // of `scope` (taken off by the caller's truncate).
  void act(const Group& g, const Rule& r, Scope& scope, int depth);
  // The short form: the created target's content comes from the group for the two types, or,
  // for primitives, is the source's value.
  void defaultGroup(const Group& g, const Rule& r, const Scope& scope, int depth);
  // Returns whether this is the short form's created target (vvv).
  bool target(const Group& g, const Rule& r, const Target& t, Scope& scope);
  // The FHIR type name a value would have in the target (for choice elements).
  static std::string valueType(const fhirpath::Value& v);
  TNode* addChild(const Group& g, const Rule& r, TNode& parent, const std::string& element,
                  const std::string& concrete, bool reuse);
  // Puts a value into a target element: a primitive's value, or a copy of a source node.
  void put(const Group& g, const Rule& r, TNode& at, const fhirpath::Value& v);
  fhirpath::Value param(const Group& g, const Rule& r, const Parameter& p, const Scope& scope);
  std::string text(const Group& g, const Rule& r, const Target& t, std::size_t i,
                   const Scope& scope);
  std::string newUuid();
  // Type/id of a target resource (given an id if it has none yet), or of a source resource.
  std::string referenceOf(TNode& n);
  Produced transformValue(const Group& g, const Rule& r, const Target& t, const Scope& scope);
  // Complex results are built as a detached target node and copied in as a node value.
  Produced complex(const std::string& type,
                   const std::vector<std::pair<std::string, std::string>>& fields);
  Produced coding(const Group& g, const Rule& r, const Target& t, const Scope& scope, Produced);
  Produced identifier(const Group& g, const Rule& r, const Target& t, const Scope& scope, Produced);
  Produced contactPoint(const Group& g, const Rule& r, const Target& t, const Scope& scope,
                        Produced);
  Produced quantity(const Group& g, const Rule& r, const Target& t, const Scope& scope, Produced);
  // translate(source, map, output): output code | system | display | coding | CodeableConcept.
  Produced translate(const Group& g, const Rule& r, const Target& t, const Scope& scope,
                     Produced p);
  fhir::Node toNode();

  const CompiledMap& cm_;
  const Map& map_;
  const fhir::Model& model_;
  const TransformOptions& options_;
  const fhir::Node* source_root_ = nullptr;
  TNode root_;
  std::vector<std::unique_ptr<TNode>> detached_;
  std::deque<fhir::Node> arena_;
  fhirpath::Environment env_;
  std::map<std::string, TNode*> shared_;
};

}  // namespace onedoor::fml
