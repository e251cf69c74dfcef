#include "stages/parse/negotiation.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace onedoor::stages::parse {
namespace {

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct MediaRange {
  std::string type;  // lower-case type/subtype
  double q = 1.0;
  std::string fhir_version;
  std::string charset;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

MediaRange parseRange(const std::string& text) {
  MediaRange r;
  auto parts = split(text, ';');
  r.type = lower(trim(parts[0]));
  for (std::size_t i = 1; i < parts.size(); ++i) {
    auto eq = parts[i].find('=');
    if (eq == std::string::npos) continue;
    std::string k = lower(trim(parts[i].substr(0, eq)));
    std::string v = trim(parts[i].substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (k == "q") r.q = std::atof(v.c_str());
    if (k == "fhirversion") r.fhir_version = v;
    if (k == "charset") r.charset = lower(v);
  }
  return r;
}

bool r4(const std::string& v) { return v.empty() || v == "4.0" || v == "4.0.1"; }

std::optional<fhir::Format> formatOf(const std::string& type) {
  if (type == "application/fhir+json" || type == "application/json" ||
      type == "application/json+fhir" || type == "json") {
    return fhir::Format::kJson;
  }
  if (type == "application/fhir+xml" || type == "application/xml" || type == "text/xml" ||
      type == "application/xml+fhir" || type == "xml") {
    return fhir::Format::kXml;
  }
  return std::nullopt;
}

}  // namespace

core::Result<fhir::Format> responseFormat(const std::optional<std::string>& format_param,
                                          const std::optional<std::string>& accept) {
  if (format_param) {
    auto f = formatOf(lower(trim(*format_param)));
    if (!f) {
      return core::Status(core::Code::kNotAcceptable,
                          "unsupported _format '" + *format_param +
                              "' (use json, xml, application/fhir+json or application/fhir+xml)");
    }
    return *f;
  }
  if (!accept || trim(*accept).empty()) return fhir::Format::kJson;
  std::optional<fhir::Format> best;
  double best_q = 0;
  for (const auto& item : split(*accept, ',')) {
    MediaRange r = parseRange(item);
    if (r.q <= 0 || !r4(r.fhir_version)) continue;
    std::optional<fhir::Format> f = formatOf(r.type);
    if (!f && (r.type == "*/*" || r.type == "application/*")) f = fhir::Format::kJson;
    if (!f && r.type == "text/*") f = fhir::Format::kXml;
    if (f && r.q > best_q) {
      best = f;
      best_q = r.q;
    }
  }
  if (!best) {
    return core::Status(core::Code::kNotAcceptable,
                        "none of the media types in Accept can be served (offer "
                        "application/fhir+json or application/fhir+xml, FHIR 4.0)");
  }
  return *best;
}

core::Result<fhir::Format> requestFormat(const std::optional<std::string>& content_type) {
  if (!content_type || trim(*content_type).empty()) {
    return core::Status(core::Code::kUnsupportedMedia,
                        "a request body needs a Content-Type (application/fhir+json or "
                        "application/fhir+xml)");
  }
  MediaRange r = parseRange(*content_type);
  auto f = formatOf(r.type);
  if (!f || (r.type != "application/fhir+json" && r.type != "application/json" &&
             r.type != "application/fhir+xml" && r.type != "application/xml" &&
             r.type != "text/xml" && r.type != "application/json+fhir" &&
             r.type != "application/xml+fhir")) {
    return core::Status(core::Code::kUnsupportedMedia,
                        "unsupported Content-Type '" + r.type +
                            "' (use application/fhir+json or application/fhir+xml)");
  }
  if (!r4(r.fhir_version)) {
    return core::Status(core::Code::kUnsupportedMedia,
                        "this server speaks FHIR 4.0 (got fhirVersion=" + r.fhir_version + ")");
  }
  if (!r.charset.empty() && r.charset != "utf-8") {
    return core::Status(core::Code::kUnsupportedMedia,
                        "request bodies must be UTF-8 (got charset=" + r.charset + ")");
  }
  return *f;
}

std::string contentType(fhir::Format format) {
  return format == fhir::Format::kXml ? "application/fhir+xml; charset=utf-8"
                                      : "application/fhir+json; charset=utf-8";
}

}  // namespace onedoor::stages::parse
