#pragma once
// Interprets a FHIR REST URL and method (https://hl7.org/fhir/R4/http.html) as an Interaction
// with its type, id, version and operation. Pure function; thread-safe.

#include <string>
#include <string_view>

#include "core/exchange.h"
#include "fhir/model.h"

namespace onedoor::stages::parse {

// True if `id` is a valid FHIR logical id: [A-Za-z0-9\-\.]{1,64}.
bool isValidId(std::string_view id);

// Decodes %XX escapes; fails on a malformed escape or a decoded NUL/control byte.
core::Result<std::string> percentDecode(std::string_view s);
// Splits "a=1&b=2" (percent-encoded) into decoded pairs, in order.
core::Result<std::vector<std::pair<std::string, std::string>>> splitQuery(const std::string& query);

// Fills `out` from method and path (the part below the FHIR base, e.g. "/Patient/1/_history").
core::Status interpret(const fhir::Model& model, std::string_view method, std::string_view path,
                       bool has_query, core::FhirRequest& out);

}  // namespace onedoor::stages::parse
