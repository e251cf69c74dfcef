#pragma once
// Structure: a StructureDefinition's snapshot compiled for validation — one ElementSpec per
// snapshot element, in snapshot order, linked into a tree (children and slices by index) so the
// validator walks it beside the instance. Built once per profile at start-up (or on first use) by
// ProfileSet; immutable afterwards and shared between threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fhir/node.h"
#include "fhirpath/expression.h"

namespace onedoor::stages::validate {

// A problem found in a definition, with where in its file (0 when unknown).
struct Problem {
  std::string message;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

struct TypeRef {
  std::string code;                       // "string", "Reference", "Patient", "BackboneElement"
  std::vector<std::string> profiles;      // type.profile
  std::vector<std::string> target_profiles;  // type.targetProfile (Reference, canonical)
  std::vector<std::string> aggregation;   // contained | referenced | bundled
};

struct Constraint {
  // Invariants the validator evaluates natively (same meaning, no FHIRPath run): ele-1 holds on
  // every element, dom-3 and txt-2 need what R4's expressions cannot say well.
  enum class Native : std::uint8_t { kNone, kEle1, kDom3, kTxt2 };
  std::string key;
  Native native = Native::kNone;
  bool error = true;  // severity error; false: warning
  std::string human;
  std::string expression;
  std::shared_ptr<const fhirpath::Expression> compiled;  // null when it did not compile
  std::string compile_error;
};

struct Discriminator {
  std::string type;  // value | exists | pattern | type | profile
  std::string path;
};

struct Slicing {
  std::vector<Discriminator> discriminators;
  bool ordered = false;
  std::string rules = "open";  // closed | open | openAtEnd
};

struct ElementSpec {
  std::string id;    // Patient.identifier:nhsNumber.system
  std::string path;  // Patient.identifier.system
  std::string name;  // the instance name: last path segment without [x] ("value", "system")
  std::string slice_name;
  std::uint32_t min = 0;
  std::uint32_t max = 1;  // fhir::kUnbounded for *
  bool choice = false;
  std::vector<TypeRef> types;
  std::string content_reference;  // "#Questionnaire.item" (an element id of the same structure)
  std::shared_ptr<const fhir::Node> fixed;    // fixed[x], typed
  std::shared_ptr<const fhir::Node> pattern;  // pattern[x], typed
  std::shared_ptr<const fhir::Node> min_value;
  std::shared_ptr<const fhir::Node> max_value;
  std::optional<std::uint32_t> max_length;
  std::string binding_strength;  // required | extensible | preferred | example
  std::string binding_valueset;
  std::vector<Constraint> constraints;
  std::optional<Slicing> slicing;
  bool must_support = false;
  bool is_modifier = false;
  // Whether the definition states min, max and mustSupport (a differential may leave them to
  // its base).
  bool min_set = false;
  bool max_set = false;
  bool must_support_set = false;
  std::uint32_t line = 0;  // of the element in its definition file
  std::uint32_t column = 0;

  // Tree links (indices into Structure::elements); -1 for none.
  int parent = -1;
  int slice_of = -1;          // for a slice: the sliced element
  std::vector<int> children;  // unsliced children, in order
  std::vector<int> slices;    // for a sliced element: its slices, in order

  bool allowsType(std::string_view code) const;
};

struct Structure {
  std::string url;
  std::string name;
  std::string type;  // the constrained type: "Patient", "Extension", "HumanName"
  std::string kind;  // resource | complex-type | primitive-type | logical
  std::string derivation;  // specialization | constraint
  std::string base_definition;
  std::vector<ElementSpec> elements;  // [0] is the root
  // Extension definitions: where the extension may be used (context type + expression).
  std::vector<std::pair<std::string, std::string>> contexts;
  std::vector<std::string> context_invariants;  // FHIRPath, true on the element that holds it
  std::string source;  // where it came from, for diagnostics

  // Index of the element with this id, or -1.
  int find(std::string_view id) const;
  // Links parent/children/slices from the ids; call after elements change.
  void link();
};

using StructurePtr = std::shared_ptr<const Structure>;

// The id of an element from its path and the slice names met so far (older definitions carry
// no ids): "Patient.identifier" + slice "nhs" → "Patient.identifier:nhs".
std::string parentId(std::string_view id);
// The last segment of an id without its slice ("Patient.identifier:nhs" → "identifier").
std::string lastName(std::string_view id_or_path);

// Reads the elements of a StructureDefinition's snapshot (or, with `differential`, its
// differential) into specs; problems (an unknown fixed type, bad cardinality) go to `problems`.
std::vector<ElementSpec> readElements(const fhir::Node& structure_definition, bool differential,
                                      std::vector<Problem>& problems);
// Header fields (url, type, kind, derivation, baseDefinition, contexts) into `out`.
void readHeader(const fhir::Node& structure_definition, Structure& out);

}  // namespace onedoor::stages::validate
