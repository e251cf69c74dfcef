#pragma once
// Content negotiation for the FHIR REST API (https://hl7.org/fhir/R4/http.html#mime-type):
// _format, Accept (with q-values and fhirVersion), Content-Type.

#include <optional>
#include <string>

#include "core/status.h"
#include "fhir/codec.h"

namespace onedoor::stages::parse {

// The response format for a _format value and/or an Accept header; kNotAcceptable when the client
// accepts nothing FHIR R4 can be written as. Absent both, JSON.
core::Result<fhir::Format> responseFormat(const std::optional<std::string>& format_param,
                                          const std::optional<std::string>& accept);

// The format of a request body from its Content-Type; kUnsupportedMedia otherwise.
core::Result<fhir::Format> requestFormat(const std::optional<std::string>& content_type);

// The MIME type written in responses.
std::string contentType(fhir::Format format);

}  // namespace onedoor::stages::parse
