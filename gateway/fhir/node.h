#pragma once
// Node: the one generic element tree of the gateway. A FHIR resource parsed from JSON or XML, an
// HL7 v2 message, a CSV record and a mapping's output are all Nodes, so FHIRPath and the mapping
// engine navigate them the same way.
//
// A typed node (FHIR) points into the Model: `type` is its concrete type, `def` the element
// definition that holds it (null for a root resource). Children are kept in definition order;
// repeated elements are adjacent siblings with the same name. A choice element is stored under its
// stem name ("value") with the chosen `type` (Quantity). Primitives keep their lexical value
// ("1.50" stays "1.50") and carry `id`/`extension` as children. Untyped nodes (type == null) are
// for non-FHIR formats. Value type; not thread-safe for mutation, safe to read concurrently.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/model.h"

namespace onedoor::fhir {

class Node {
 public:
  Node() = default;
  Node(std::string n, const TypeInfo* t, const ElementDef* d) : name(std::move(n)), type(t), def(d) {}

  std::string name;
  const TypeInfo* type = nullptr;
  const ElementDef* def = nullptr;
  std::string value;
  bool has_value = false;
  std::vector<Node> children;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  bool isPrimitive() const { return type != nullptr && type->isPrimitive(); }
  bool isResource() const { return type != nullptr && type->isResource(); }
  // The name this node has in JSON/XML ("valueQuantity" for a choice).
  std::string jsonName() const { return def != nullptr ? def->nameFor(type) : name; }

  const Node* child(std::string_view n) const;
  Node* child(std::string_view n);
  std::vector<const Node*> childrenNamed(std::string_view n) const;
  // Value of the primitive child `n` ("" when absent).
  std::string_view childValue(std::string_view n) const;

  // Typed construction: adds a child by its JSON name ("valueString", "given"), keeping definition
  // order; returns null if the name is not an element of this node's type.
  Node* add(std::string_view json_name);
  // Adds (or, for a non-repeating element, replaces) a primitive child with a value.
  Node* set(std::string_view json_name, std::string value);
  // Adds a resource-valued child (contained, Bundle.entry.resource ...) holding `resource`.
  Node* addResource(std::string_view json_name, Node resource);
  // Adds an untyped child (non-FHIR trees).
  Node& addUntyped(std::string n);
  void removeChildren(std::string_view n);
};

// Calls `f` on the `reference` of every Reference in `n` that has one (Reference.reference, the
// string: "Patient/1", "urn:uuid:…", a URL), depth first.
void forEachReference(Node& n, const std::function<void(Node& reference)>& f);
void forEachReference(const Node& n, const std::function<void(const Node& reference)>& f);

// A resource node with `resourceType` type and no parent definition.
Node makeResource(const TypeInfo& type);

}  // namespace onedoor::fhir
