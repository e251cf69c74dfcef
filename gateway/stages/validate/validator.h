#pragma once
// Validator: checks a resource against the FHIR R4 base definitions, the profiles it declares in
// meta.profile and any profiles asked for, and reports every problem at once as Issues located by
// FHIRPath (Patient.identifier[0].value) and by line:column where the reader recorded them.
// Messages name elements, codes and rules, never the instance's values.
//
// Checks: cardinality; types (choice types, Reference/canonical target profiles); primitive
// formats (the definitions' regexes); fixed[x], pattern[x], maxLength, minValue/maxValue;
// bindings (required: error, extensible: warning, preferred: information) against ValueSets
// expanded from the definitions; invariants (FHIRPath, with their severity); extensions against
// their definitions and contexts; slicing (value, pattern, type, profile, exists; open, closed,
// openAtEnd, ordered); contained resources and every Bundle entry.
//
// Built once over a ProfileSet and shared: validate() is thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "core/issue.h"
#include "fhir/node.h"
#include "stages/validate/profile_set.h"

namespace onedoor::stages::validate {

struct ValidationOptions {
  // Profiles to check besides the base definition and meta.profile (canonical URLs).
  std::vector<std::string> profiles;
  // An extension whose definition is not loaded: a warning (default) or an error.
  bool unknown_extension_is_error = false;
  // URL prefixes of extensions that may be used without a definition (no issue at all).
  std::vector<std::string> allowed_extension_domains;
  // A Coding.display that is not one the (locally held) code system gives: a warning (the
  // default: displays are for people) or an error (as the HL7 reference validator reports it).
  bool display_mismatch_is_error = false;
  // Check the profiles the resource declares in meta.profile (unknown ones: a warning).
  bool meta_profiles = true;
};

class Validator {
 public:
  explicit Validator(ProfileSetPtr profiles) : profiles_(std::move(profiles)) {}

  core::Issues validate(const fhir::Node& resource, const ValidationOptions& options = {}) const;
  // True when the resource has no errors against `profile` (FHIRPath conformsTo()).
  bool conformsTo(const fhir::Node& resource, std::string_view profile) const;

  const ProfileSet& profiles() const { return *profiles_; }

 private:
  ProfileSetPtr profiles_;
};

using ValidatorPtr = std::shared_ptr<const Validator>;

}  // namespace onedoor::stages::validate
