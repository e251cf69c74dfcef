#pragma once
// SearchQuery: a FHIR search request (https://hl7.org/fhir/R4/search.html) parsed and typed
// against the SearchParameter definitions, ready for a store to run. Every value is data to be
// bound as a parameter, never text to be spliced into a query.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "fhir/model.h"
#include "search/search_param.h"

namespace onedoor::search {

enum class Prefix { kEq, kNe, kGt, kLt, kGe, kLe, kSa, kEb, kAp };

struct QueryValue {
  Prefix prefix = Prefix::kEq;
  std::string raw;
  // string / uri / token code / reference id ...
  std::optional<std::string> system;  // token system ("" means "no system": |code)
  std::string text;                   // string (normalised), token code, uri, reference id
  std::string type;                   // reference target type, of-type type code
  std::string type_system;            // of-type type system
  std::string url;                    // reference absolute URL
  // date and number ranges
  std::int64_t lo = 0, hi = 0;
  double value = 0, vlo = 0, vhi = 0;
  // quantity
  std::optional<std::string> unit_system, unit_code;
  std::optional<double> base_value;
  std::string base_dims;
  bool missing = false;  // :missing value
  // composite: the component values
  std::vector<QueryValue> parts;
};

struct Criterion {
  std::string code;                     // parameter code as written
  const SearchParam* param = nullptr;   // null for _id and _lastUpdated
  ParamType type = ParamType::kToken;
  std::string modifier;                 // exact contains text not missing of-type identifier below above ...
  std::vector<QueryValue> values;       // OR'ed
  // Chaining: subject:Patient.name=x → chain_type "Patient", chained = (name=x).
  std::string chain_type;
  std::shared_ptr<Criterion> chained;
  // Reverse chaining: _has:Observation:subject:code=x.
  std::string has_type;
  std::string has_param;
  // Compartment membership: any of these reference params points at compartment_ref.
  std::vector<std::string> compartment_params;
};

struct SortKey {
  std::string code;
  const SearchParam* param = nullptr;  // null for _id / _lastUpdated
  bool descending = false;
};

struct Include {
  bool reverse = false;
  bool iterate = false;
  std::string source_type;  // the type that holds the reference
  std::string param;
  std::string target_type;  // optional restriction
};

struct SearchQuery {
  std::vector<std::string> types;
  std::vector<Criterion> criteria;  // AND'ed
  std::vector<SortKey> sort;
  std::vector<Include> includes;
  std::uint32_t count = 50;
  std::string cursor;        // opaque paging position from a previous page
  std::string total = "accurate";  // accurate | estimate | none
  std::string summary;       // _summary
  std::vector<std::string> elements;
  std::vector<std::string> ignored;  // unknown parameters skipped under handling=lenient
  // The link back to this search without paging (for self/next/prev links).
  std::vector<std::pair<std::string, std::string>> canonical_params;
};

struct QueryLimits {
  std::uint32_t default_count = 50;
  std::uint32_t max_count = 1000;
};

// Parses search parameters for `types` (one for a type search, several or none — meaning all —
// for a system search). Unknown or malformed parameters are kInvalid naming the parameter,
// unless `lenient`, when unknown ones are listed in `ignored`.
core::Result<SearchQuery> parseQuery(const SearchParamRegistry& registry, const fhir::Model& model,
                                     std::vector<std::string> types,
                                     const std::vector<std::pair<std::string, std::string>>& params,
                                     bool lenient, const QueryLimits& limits);

// Parses one value of a parameter of `type` (exposed for conditional references and tests).
core::Result<QueryValue> parseValue(ParamType type, const std::string& modifier, const std::string& raw,
                                    const fhir::Model& model);

}  // namespace onedoor::search
