#pragma once
// ProfileSet: the compiled Structures of every StructureDefinition the definitions hold (core
// types and resources, UK Core, the ICS's profiles, extensions), by canonical URL or type name.
// Each is compiled on first use — snapshot generated from the differential when it has none,
// invariants compiled to FHIRPath — and kept; compileAll() does them all at start-up. The
// regexes of the primitive types come from their definitions. Thread-safe.

#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "core/status.h"
#include "fhir/definitions.h"
#include "fhir/terminology.h"
#include "stages/validate/structure.h"

namespace onedoor::stages::validate {

class ProfileSet {
 public:
  ProfileSet(fhir::DefinitionIndexPtr definitions, std::shared_ptr<const fhir::Terminology> terminology);

  // A type name ("Patient", "HumanName", "string") or a canonical URL (optionally |version).
  // kNotFound when the definitions do not have it; kInvalid when it cannot be compiled.
  core::Result<StructurePtr> structure(std::string_view type_or_url) const;

  // Compiles every StructureDefinition whose URL starts with `prefix` ("" for all); returns one
  // message per profile that failed, or had problems (file named).
  std::vector<std::string> compileAll(std::string_view prefix = "") const;

  // Profiles the specification itself requires of this resource: an Observation with a vital
  // sign's LOINC code must meet that vital sign's profile (R4 §vitalsigns). Found from the
  // definitions (profiles based on vitalsigns and the code each fixes), not a table.
  std::vector<std::string> requiredProfiles(const fhir::Node& resource) const;

  // The value regex a primitive type's definition gives, or null if none.
  const std::regex* primitiveRegex(std::string_view type) const;

  const fhir::Model& model() const { return definitions_->model(); }
  const fhir::DefinitionIndex& definitions() const { return *definitions_; }
  fhir::DefinitionIndexPtr definitionsPtr() const { return definitions_; }
  const fhir::Terminology& terminology() const { return *terminology_; }
  std::shared_ptr<const fhir::Terminology> terminologyPtr() const { return terminology_; }

  // A compiled FHIRPath expression (cached by text and input type); null with `error` when it
  // does not compile.
  std::shared_ptr<const fhirpath::Expression> expression(const std::string& text, const std::string& type,
                                                         std::string& error) const;

  // Problems met while compiling `url` (snapshot generation, invariants that do not compile).
  std::vector<Problem> problems(std::string_view url) const;

 private:
  core::Result<StructurePtr> compile(const std::string& url, int depth) const;
  void compileInvariants(Structure& s, std::vector<Problem>& problems) const;

  fhir::DefinitionIndexPtr definitions_;
  std::shared_ptr<const fhir::Terminology> terminology_;
  mutable std::recursive_mutex mu_;
  mutable std::map<std::string, StructurePtr, std::less<>> cache_;
  mutable std::map<std::string, std::vector<Problem>, std::less<>> problems_;
  mutable std::map<std::string, std::shared_ptr<const fhirpath::Expression>, std::less<>> expressions_;
  mutable std::map<std::string, std::unique_ptr<std::regex>, std::less<>> regexes_;
  mutable std::once_flag vital_once_;
  mutable std::map<std::pair<std::string, std::string>, std::string> vital_signs_;  // (system, code) -> profile
};

using ProfileSetPtr = std::shared_ptr<const ProfileSet>;

// The canonical URL of a core type: "Patient" → http://hl7.org/fhir/StructureDefinition/Patient.
std::string coreUrl(std::string_view type);

}  // namespace onedoor::stages::validate
