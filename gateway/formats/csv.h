#pragma once
// CSV (RFC 4180) in and out, for partners whose systems exchange spreadsheets (Charitylog-like
// VCFSE referrals). Reading gives the element tree maps navigate: a root `CSV` with one `record`
// per data row, whose children are named by the header row (a name is trimmed; characters that
// cannot be in an FML identifier become _). Quoted fields may hold commas, quotes ("") and line
// breaks; CRLF or LF row ends; a UTF-8 byte order mark is skipped. Errors name the line.

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fhir/node.h"

namespace onedoor::formats {

struct CsvOptions {
  char separator = ',';
  std::size_t max_rows = 100000;
};

// The rows and fields of a CSV text (the header row included).
core::Result<std::vector<std::vector<std::string>>> readCsvRows(std::string_view text, const CsvOptions& options = {});
// The element tree: CSV / record* / <header name> (empty fields are left out).
core::Result<fhir::Node> readCsv(std::string_view text, const CsvOptions& options = {});
// Rows written with quotes where a field needs them (separator, quote, CR or LF), CRLF row ends.
std::string writeCsv(const std::vector<std::vector<std::string>>& rows, char separator = ',');
// The element tree of a map whose target is a CSV layout: a header row of the records' field
// names (in order of first appearance), then one row per `record`.
std::string writeCsvRecords(const fhir::Node& tree, char separator = ',');

}  // namespace onedoor::formats
