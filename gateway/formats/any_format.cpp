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

WriteOptions writeOptionsOf(const std::map<std::string, std::string>& metadata) {
  WriteOptions o;
  auto paths = [&](const char* key, std::set<std::string>& into) {
    auto it = metadata.find(key);
    if (it == metadata.end()) return;
    std::string item;
    for (char c : it->second + ",") {
      if (c == ',') {
        if (!item.empty()) into.insert(item);
        item.clear();
      } else if (c != ' ' && c != '\'') {
        item += c;
      }
    }
  };
  paths("json-arrays", o.json.arrays);
  paths("json-literals", o.json.literals);
  return o;
}

core::Result<std::string> writeAny(const fhir::Node& tree, const std::string& format, const WriteOptions& options) {
  if (tree.type != nullptr) return core::invalid("the result is FHIR (" + tree.type->name + "), written as FHIR JSON or XML");
  if (format == "csv") return writeCsvRecords(tree);
  if (format == "json") return writeGenericJson(tree, options.json);
  if (format == "xml") return writeGenericXml(tree);
  if (format == "hl7v2") {
    GW_ASSIGN_OR_RETURN(auto message, hl7v2::fromTree(tree));
    return hl7v2::write(message, options.segment_end);
  }
  return core::invalid("a result that is not FHIR is written as csv, json, xml or hl7v2, not '" + format + "'");
}

}  // namespace onedoor::formats
