#pragma once
// The target of a running map: a tree of its own whose elements keep their addresses while
// siblings are added (variables point at them), turned into a typed fhir::Node at the end with
// the checks the FHIR readers make (every element typed, values of numbers and booleans
// well-formed, strings valid UTF-8 without control characters; empty elements left out,
// definition order). Also the ConceptMap lookup of translate().

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "fhir/model.h"
#include "fhir/node.h"
#include "fml/ast.h"
#include "fml/engine.h"

namespace onedoor::fml {

struct TNode {
  std::string name;  // element stem ("value" for value[x]); the resource type at the root
  const fhir::TypeInfo* type = nullptr;
  const fhir::ElementDef* def = nullptr;
  std::string value;
  bool has_value = false;
  std::vector<std::unique_ptr<TNode>> children;
  TNode* parent = nullptr;
};

// A deep copy of `from` into `at` (copy() must not share the source element).
void copyInto(TNode& at, const fhir::Node& from);

// The finished target as a FHIR resource; an error says what is not valid FHIR and where.
core::Result<fhir::Node> toFhir(const TNode& root, const fhir::Model& model);

// The finished target of another format (no FHIR type): an untyped tree.
fhir::Node toUntyped(const TNode& root);

// translate(): the target system and code for (system, code) in the ConceptMap `url`: '#id' for
// one written in the map, else one `lookup` finds. A code whose only relations are unmatched or
// disjoint gives `unmatched`; a code the map does not list gives nothing.
// A code that is not among the map's source codes is looked up among its target codes, giving the
// source code (the map read backwards, as $translate with reverse=true): one ConceptMap serves
// both directions of a partner's feed.
struct Translation {
  std::string system;
  std::string code;
  bool unmatched = false;  // the ConceptMap says the code maps to nothing (equivalence unmatched/disjoint)
  std::string display;     // as the ConceptMap resource gives it
};
std::optional<Translation> translateCode(const Map& map, const std::function<const fhir::Node*(const std::string&)>& lookup,
                                         const std::string& url, const std::string& system, const std::string& code);

}  // namespace onedoor::fml
