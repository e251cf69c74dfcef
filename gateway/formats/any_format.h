#pragma once
// One entry point for every input a map can run on: FHIR (JSON or XML), HL7 v2, CSV, or a
// system's own JSON or XML, read into the element tree.

#include <map>
#include <string>


#include "core/status.h"
#include "fhir/model.h"
#include "fhir/node.h"
#include "formats/generic_json.h"

namespace onedoor::formats {

// `format`: fhir | hl7v2 | csv | json | xml; "" guesses hl7v2 (starts with MSH) or fhir.
core::Result<fhir::Node> readAny(const fhir::Model& model, const std::string& input, std::string format);

struct WriteOptions {
  std::string_view segment_end = "\r";  // HL7 v2
  JsonLayout json;                     // JSON: members that are arrays or literals
};
// What a map asks for in its metadata: `/// json-arrays = 'assessment.needs, supportPlan.services'`
// and `/// json-literals = 'assessment.needs.eligible'` (paths from the root, comma-separated).
WriteOptions writeOptionsOf(const std::map<std::string, std::string>& metadata);

// The result of a map whose target is not FHIR (an untyped tree) in `format`: csv | json | xml |
// hl7v2 (ER7).
core::Result<std::string> writeAny(const fhir::Node& tree, const std::string& format, const WriteOptions& options = {});


}  // namespace onedoor::formats
