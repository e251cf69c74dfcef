#pragma once
// Walker: one validation run (internal to the validator). Walks the instance tree beside the
// compiled structures, collecting Issues. One per validate() call; not shared.

#include <map>
#include <string>
#include <vector>

#include "core/issue.h"
#include "fhirpath/environment.h"
#include "stages/validate/location.h"
#include "stages/validate/validator.h"

namespace onedoor::stages::validate {

class Walker {
 public:
  Walker(const Validator& validator, const ValidationOptions& options, core::Issues& out);

  // Validates a resource against its base type, `profiles`, and (per options) meta.profile.
  void resource(const fhir::Node& res, const Location& at, const std::vector<std::string>& profiles,
                bool new_root);

 private:
  // The element `node`, already matched to element `ei` of `s`: its type, value, invariants,
  // then its children.
  void check(const fhir::Node& node, const Structure& s, int ei, const Location& at);
  // The children of `node` against the children of element `ei` of `s`.
  void children(const fhir::Node& node, const Structure& s, int ei, const Location& at);
  // The children of `node` in [first, last), all named by element `ci` of `s`: cardinality,
  // slicing, then each child.
  void group(const fhir::Node& node, const Structure& s, int ci, const Location& at, std::size_t first,
             std::size_t last);
  // Children from the structure of the node's type (or the element's type profile).
  void byType(const fhir::Node& node, const ElementSpec& e, const Location& at);
  bool typeAllowed(const fhir::Node& node, const ElementSpec& e, const Location& at);
  // The base structure of a type (cached for this walk); null when there is none.
  const Structure* typeStructure(const fhir::TypeInfo* type);
  void invariants(const fhir::Node& node, const ElementSpec& e, const Location& at);
  bool containedReferenced(const fhir::Node& resource) const;

  // value_checks.cpp
  void values(const fhir::Node& node, const ElementSpec& e, const Location& at);
  void primitive(const fhir::Node& node, const ElementSpec& e, const Location& at);
  void limits(const fhir::Node& node, const ElementSpec& e, const Location& at);  // minValue/maxValue
  void binding(const fhir::Node& node, const ElementSpec& e, const Location& at);

  // rules.cpp
  void bundleRules(const fhir::Node& bundle, const Location& at);
  void datatypeRules(const fhir::Node& node, const Location& at);
  void codes(const fhir::Node& coding, const Location& at);

  // references.cpp
  void reference(const fhir::Node& node, const ElementSpec& e, const Location& at);
  std::vector<const fhir::Node*> resolve(const fhir::Node& reference_node) const;

  // extensions.cpp: an extension matched by no profiled slice, checked against the definition
  // its url names (or, when there is none, against element `ei` of `s`).
  void extension(const fhir::Node& node, const fhir::Node& container, const Location& container_at,
                 const Location& at, const Structure& s, int ei);
  // Whether FHIRPath `expression` on the current resource selects `element`.
  bool selects(const std::string& expression, const fhir::Node& element);

  // slicing.cpp
  void sliced(const std::vector<const fhir::Node*>& items, const Structure& s, int ei, const fhir::Node& parent,
              const Location& parent_at);
  bool inSlice(const fhir::Node& item, const Structure& s, int si, const Slicing& slicing);
  bool discriminatorMatches(const fhir::Node& item, const Structure& s, int si, const Discriminator& d);
  std::vector<const fhir::Node*> evalPath(const fhir::Node& item, std::string_view path) const;
  // Whether `node` validates without errors against structure `url`.
  bool conforms(const fhir::Node& node, std::string_view url);

  void report(core::Severity severity, std::string code, const Location& at, const fhir::Node& node,
              std::string message);
  Location childAt(const Location& at, const fhir::Node& child, std::size_t index) const {
    return Location::child(at, child, index);
  }

  const Validator& validator_;
  const ProfileSet& ps_;
  const ValidationOptions& options_;
  core::Issues& out_;
  const fhir::Node* root_ = nullptr;
  std::vector<const fhir::Node*> resources_;
  std::map<std::string, const fhir::Node*, std::less<>> bundle_entries_;  // fullUrl and Type/id
  std::string bundle_type_;  // of the outermost Bundle (document and message references must resolve)
  fhirpath::Environment env_;
  std::vector<std::pair<const fhir::TypeInfo*, const Structure*>> types_;
  int depth_ = 0;
};

// Deep equality of a value with a fixed[x] value; whether a value contains a pattern[x].
bool sameValue(const fhir::Node& value, const fhir::Node& fixed);
bool matchesPattern(const fhir::Node& value, const fhir::Node& pattern);

// The core type code an instance node answers to ("BackboneElement" for backbone types).
std::string typeCode(const fhir::Node& node);

}  // namespace onedoor::stages::validate
