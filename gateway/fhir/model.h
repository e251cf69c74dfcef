#pragma once
// The FHIR R4 type model: every resource, datatype and primitive of the core package, with the
// elements of each in definition order. Built from StructureDefinition snapshots (model_builder)
// or read back from a pre-parsed cache (model_cache). Immutable after construction; safe to share
// between threads. TypeInfo and ElementDef addresses are stable for the Model's lifetime.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace onedoor::fhir {

enum class TypeKind : std::uint8_t {
  kPrimitive,  // boolean, string, decimal ...: a value plus optional id/extension
  kComplex,    // datatypes: HumanName, Quantity, Extension ...
  kResource,   // Patient, Bundle ... (and the abstract Resource/DomainResource)
  kBackbone,   // an anonymous nested type such as Patient.contact
};

// How a primitive value is written in JSON.
enum class JsonKind : std::uint8_t { kString, kNumber, kBoolean };

constexpr std::uint32_t kUnbounded = 0xFFFFFFFFu;

struct TypeInfo;

struct ElementDef {
  std::string name;  // JSON/XML name; for a choice element the stem ("value" for value[x])
  std::vector<const TypeInfo*> types;
  std::uint32_t min = 0;
  std::uint32_t max = 1;  // kUnbounded for "*"
  std::uint16_t order = 0;
  bool choice = false;
  bool xml_attr = false;  // Element.id, Extension.url: an XML attribute and a bare JSON string
  bool summary = false;
  bool modifier = false;
  // For choice elements: the JSON/XML name used for one of its types ("valueQuantity").
  std::string nameFor(const TypeInfo* type) const;
  bool repeating() const { return max > 1; }
};

struct TypeInfo {
  std::string name;  // "Patient", "HumanName", "string", or "Patient.contact" for a backbone
  TypeKind kind = TypeKind::kComplex;
  JsonKind json_kind = JsonKind::kString;
  std::string system_type;  // primitives: the FHIRPath System type ("String", "Decimal" ...)
  const TypeInfo* base = nullptr;
  bool abstract = false;
  std::string url;  // canonical URL of the defining StructureDefinition (empty for backbones)
  std::vector<ElementDef> elements;

  bool isPrimitive() const { return kind == TypeKind::kPrimitive; }
  bool isResource() const { return kind == TypeKind::kResource; }
  // True if this type is `name` or derives from it (Patient isa DomainResource isa Resource).
  bool isa(std::string_view type_name) const;
  // The element with stem name `name` ("value" finds value[x]); null if none.
  const ElementDef* element(std::string_view name) const;
  // Resolves a property name as written in JSON/XML ("valueQuantity", "given") to its element
  // and concrete type. Returns null when the name is not an element of this type.
  const ElementDef* resolve(std::string_view key, const TypeInfo** concrete) const;
};

class Model {
 public:
  Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const TypeInfo* type(std::string_view name) const;
  // A concrete (non-abstract) resource type, or null.
  const TypeInfo* resourceType(std::string_view name) const;
  std::vector<const TypeInfo*> resourceTypes() const;  // concrete ones, sorted by name
  std::size_t typeCount() const { return types_.size(); }
  const std::deque<TypeInfo>& allTypes() const { return types_; }
  const std::string& packageId() const { return package_id_; }

  // Construction (model_builder / model_cache only).
  TypeInfo& add(std::string name);
  TypeInfo* mutableType(std::string_view name);
  void setPackageId(std::string id) { package_id_ = std::move(id); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::deque<TypeInfo> types_;
  std::unordered_map<std::string, TypeInfo*, Hash, std::equal_to<>> by_name_;
  std::string package_id_;
};

using ModelPtr = std::shared_ptr<const Model>;

}  // namespace onedoor::fhir
