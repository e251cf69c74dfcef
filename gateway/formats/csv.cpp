#include "formats/csv.h"

#include <algorithm>

#include "formats/generic_json.h"

namespace onedoor::formats {

core::Result<std::vector<std::vector<std::string>>> readCsvRows(std::string_view text, const CsvOptions& options) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, was_quoted = false;
  std::size_t line = 1, quote_line = 0;
  auto endField = [&] {
    row.push_back(std::move(field));
    field.clear();
    was_quoted = false;
  };
  auto endRow = [&]() -> core::Status {
    endField();
    if (!(row.size() == 1 && row.front().empty())) rows.push_back(std::move(row));  // blank lines
    row.clear();
    if (rows.size() > options.max_rows) return core::invalid("CSV: more than " + std::to_string(options.max_rows) + " rows");
    return core::Status::ok();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      if (!field.empty() || was_quoted) {
        return core::invalid("CSV: line " + std::to_string(line) + ": a quote inside an unquoted field (write it as \"\" inside quotes)");
      }
      quoted = was_quoted = true;
      quote_line = line;
    } else if (c == options.separator) {
      endField();
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      GW_RETURN_IF_ERROR(endRow());
      ++line;
    } else {
      if (was_quoted) return core::invalid("CSV: line " + std::to_string(line) + ": text after a closing quote");
      field += c;
    }
  }
  if (quoted) return core::invalid("CSV: line " + std::to_string(quote_line) + ": a quoted field is not closed");
  if (!field.empty() || !row.empty() || was_quoted) GW_RETURN_IF_ERROR(endRow());
  return rows;
}

core::Result<fhir::Node> readCsv(std::string_view text, const CsvOptions& options) {
  GW_ASSIGN_OR_RETURN(auto rows, readCsvRows(text, options));
  if (rows.empty()) return core::invalid("CSV: no header row");
  std::vector<std::string> names;
  for (const auto& h : rows.front()) names.push_back(fieldName(h));
  fhir::Node root("CSV", nullptr, nullptr);
  for (std::size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() > names.size()) {
      return core::invalid("CSV: row " + std::to_string(r + 1) + " has " + std::to_string(rows[r].size()) +
                           " fields, the header " + std::to_string(names.size()));
    }
    fhir::Node& record = root.addUntyped("record");
    for (std::size_t f = 0; f < rows[r].size(); ++f) {
      if (rows[r][f].empty()) continue;
      fhir::Node& v = record.addUntyped(names[f]);
      v.value = rows[r][f];
      v.has_value = true;
    }
  }
  return root;
}

std::string writeCsv(const std::vector<std::vector<std::string>>& rows, char separator) {
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t f = 0; f < row.size(); ++f) {
      if (f) out += separator;
      const std::string& v = row[f];
      // Text that starts with a byte order mark is quoted, so that a reader does not skip it.
      bool bom = out.empty() && v.rfind("\xEF\xBB\xBF", 0) == 0;
      if (!bom && v.find_first_of(std::string{separator, '"', '\r', '\n'}) == std::string::npos) {
        out += v;
        continue;
      }
      out += '"';
      for (char c : v) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    }
    out += "\r\n";
  }
  return out;
}

std::string writeCsvRecords(const fhir::Node& tree, char separator) {
  std::vector<std::string> columns;
  for (const auto& rec : tree.children) {
    for (const auto& f : rec.children) {
      if (std::find(columns.begin(), columns.end(), f.name) == columns.end()) columns.push_back(f.name);
    }
  }
  std::vector<std::vector<std::string>> rows{columns};
  for (const auto& rec : tree.children) {
    std::vector<std::string> row;
    for (const auto& c : columns) {
      const fhir::Node* f = rec.child(c);
      row.push_back(f != nullptr ? f->value : "");
    }
    rows.push_back(std::move(row));
  }
  return writeCsv(rows, separator);
}

}  // namespace onedoor::formats
