#include "formats/any_format.h"

#include "fhir/codec.h"
#include "formats/csv.h"
#include "formats/generic_json.h"
#include "formats/generic_xml.h"
#include "hl7v2/message.h"

namespace onedoor::formats {

core::Result<fhir::Node> readAny(const fhir::Model& model, const std::string& input, std::string format) {
  std::string_view head = input;
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  if (format.empty()) format = head.substr(0, 3) == "MSH" ? "hl7v2" : "fhir";
  if (format == "csv") return readCsv(input);
  if (format == "json") return readGenericJson(input);
  if (format == "xml") return readGenericXml(input);
  if (format == "hl7v2") {
    GW_ASSIGN_OR_RETURN(auto message, hl7v2::parse(input));
    return hl7v2::toTree(message);
  }
  if (format != "fhir") return core::invalid("the format is fhir, hl7v2, csv, json or xml (the last two not FHIR)");
  auto r = fhir::read(model, fhir::sniffFormat(input), input);
  if (!r.ok()) return core::invalid(r.issues.front().message + " at " + r.issues.front().expression);
  return std::move(r.resource);
}

}  // namespace onedoor::formats
