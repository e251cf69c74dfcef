#pragma once
// Issue: one problem found *in the data* (STYLE.md §3). Parsers, validators and mappers collect
// all of them; the pipeline decides what they mean. Messages name paths and codes, never patient
// values. Value type, thread-compatible.

#include <cstdint>
#include <string>
#include <vector>

namespace onedoor::core {

enum class Severity : unsigned char { kFatal, kError, kWarning, kInformation };

struct Issue {
  Severity severity = Severity::kError;
  std::string code = "invalid";  // http://hl7.org/fhir/issue-type
  std::string expression;        // FHIRPath location, e.g. Patient.name[0].given[1]
  std::string message;
  std::uint32_t line = 0;        // 1-based position in the source text; 0 when unknown
  std::uint32_t column = 0;
};

std::string_view severityName(Severity s);

using Issues = std::vector<Issue>;

inline bool hasErrors(const Issues& issues) {
  for (const auto& i : issues) {
    if (i.severity == Severity::kError || i.severity == Severity::kFatal) return true;
  }
  return false;
}

}  // namespace onedoor::core
