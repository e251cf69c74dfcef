#pragma once
// One entry point for every input a map can run on: FHIR (JSON or XML), HL7 v2, CSV, or a
// system's own JSON or XML, read into the element tree.

#include <string>

#include "core/status.h"
#include "fhir/model.h"
#include "fhir/node.h"

namespace onedoor::formats {

// `format`: fhir | hl7v2 | csv | json | xml; "" guesses hl7v2 (starts with MSH) or fhir.
core::Result<fhir::Node> readAny(const fhir::Model& model, const std::string& input, std::string format);

}  // namespace onedoor::formats
