#pragma once
// Terminology: code membership in ValueSets expanded from the loaded definitions — enumerated
// concepts, whole CodeSystems, is-a / descendent-of / is-not-a filters over hierarchical
// CodeSystems, included and excluded value sets. Codes of systems the packages do not hold (SNOMED
// CT, LOINC ...) are "unknown", never silently accepted or rejected. Expansions are computed once
// per value set and cached. Thread-safe.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/definitions.h"

namespace onedoor::fhir {

class Terminology {
 public:
  explicit Terminology(DefinitionIndexPtr definitions) : defs_(std::move(definitions)) {}

  // Whether (system, code) is in the value set: true/false, or nullopt when it cannot be known
  // here (unknown value set, or a code system the packages do not hold). An empty system
  // matches any system of the value set.
  std::optional<bool> contains(std::string_view valueset, std::string_view system, std::string_view code) const;
  // The display of a code in a CodeSystem held locally.
  std::optional<std::string> display(std::string_view system, std::string_view code) const;
  // Whether `code` is defined by the code system: nullopt when the system is not held here in
  // full (SNOMED CT, LOINC, a fragment or example CodeSystem).
  std::optional<bool> validCode(std::string_view system, std::string_view code) const;
  // Every display a locally held code system gives a code (display and designations); empty
  // when the system or code is not held here.
  std::vector<std::string> displays(std::string_view system, std::string_view code) const;
  // Whether the value set is known and fully expandable here.
  bool knows(std::string_view valueset) const;

  struct Expansion {
    std::set<std::pair<std::string, std::string>> codes;  // (system, code)
    std::set<std::string> open_systems;                   // systems included but not held
    bool valid = false;                                    // the value set was found
  };
  std::shared_ptr<const Expansion> expand(std::string_view valueset) const;

 private:
  std::shared_ptr<const Expansion> compute(const std::string& url, int depth) const;

  DefinitionIndexPtr defs_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const Expansion>, std::less<>> cache_;
  mutable std::map<std::string, std::shared_ptr<const std::set<std::string>>, std::less<>> systems_;
};

}  // namespace onedoor::fhir
