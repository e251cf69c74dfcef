#include "fhir/codec.h"

namespace onedoor::fhir {

ReadResult read(const Model& model, Format format, std::string_view text, const ReadOptions& opts) {
  return format == Format::kXml ? readXml(model, text, opts) : readJson(model, text, opts);
}

std::string write(const Node& resource, Format format, const WriteOptions& opts) {
  return format == Format::kXml ? writeXml(resource, opts) : writeJson(resource, opts);
}

Format sniffFormat(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '<' ? Format::kXml : Format::kJson;
  }
  return Format::kJson;
}

bool validNumericOrBoolean(const TypeInfo& type, std::string_view v) {
  if (type.json_kind == JsonKind::kBoolean) return v == "true" || v == "false";
  if (type.json_kind != JsonKind::kNumber) return true;
  bool integer = type.system_type == "Integer";
  std::size_t i = 0;
  if (i < v.size() && v[i] == '-') ++i;
  std::size_t digits = i;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  if (i == digits || (v[digits] == '0' && i - digits > 1)) return false;
  if (integer) return i == v.size();
  if (i < v.size() && v[i] == '.') {
    std::size_t frac = ++i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
    if (i == frac) return false;
  }
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    std::size_t exp = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
    if (i == exp) return false;
  }
  return i == v.size();
}

bool isValidFhirString(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') return false;
      ++i;
      continue;
    }
    int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    std::uint32_t cp = c & (0xFF >> (len + 1));
    for (int k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace onedoor::fhir
