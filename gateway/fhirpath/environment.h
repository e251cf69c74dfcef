#pragma once
// What an evaluation may use beyond its input: %resource/%rootResource, user variables, the
// services behind resolve(), memberOf() and conformsTo(), trace output, and a fixed "now".
// One Environment per evaluation (or per thread); not thread-safe.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "fhir/model.h"
#include "fhirpath/value.h"

namespace onedoor::fhirpath {

// Looks up a reference (Patient/123, an absolute URL) the gateway can reach (the store); returns
// the resource or nullopt. Contained and Bundle references are resolved by the engine itself.
using Resolver = std::function<std::optional<fhir::Node>(std::string_view reference)>;
// memberOf(): true/false when the code is/is not in the value set, nullopt when unknown.
using MembershipCheck = std::function<std::optional<bool>(const Value& coded, std::string_view valueset)>;
// conformsTo(): true/false, or an error message when the profile is unknown.
using ConformanceCheck =
    std::function<std::optional<bool>(const fhir::Node& resource, std::string_view profile, std::string& error)>;

struct Environment {
  const fhir::Model* model = nullptr;        // for type checks on untyped input; optional
  const fhir::Node* resource = nullptr;      // %resource (defaults to the input)
  const fhir::Node* root_resource = nullptr; // %rootResource (defaults to %resource)
  std::map<std::string, Collection> variables;  // %name
  Resolver resolver;
  MembershipCheck member_of;
  ConformanceCheck conforms_to;
  std::function<void(const std::string& name, const Collection& values)> trace;
  std::optional<std::chrono::system_clock::time_point> now;  // fixed per evaluation
  int local_offset_minutes = 0;                               // time zone for now()/today()
  // R4 invariant compatibility: `is Boolean` / `as String` / ofType(Integer) also match FHIR
  // primitives of that System type, and as() over several items filters like ofType(). Off for
  // the FHIRPath suite (which says otherwise); on for the validator, since R4's own invariants
  // are written that way (que-7, dom-3).
  bool primitives_as_system_types = false;
  // The FHIR Mapping Language's reading of `.value` on a FHIR primitive (linkId.value): the
  // primitive itself, as the reference implementation has it. On for the mapping engine only.
  bool primitive_value_member = false;
  // Resources fetched by resolve() live here for as long as the environment.
  std::deque<fhir::Node> arena;
};

}  // namespace onedoor::fhirpath
