// Rules the FHIR specification states in prose rather than as invariants, which the reference
// validator also enforces: Bundle fullUrls and links, absolute code systems, Identifier values for
// RFC 3986 systems, Attachment sizes, narrative link schemes, and displays of known codes.
#include <algorithm>
#include <cctype>

#include "stages/validate/walker.h"

namespace onedoor::stages::validate {
namespace {

using core::Severity;

bool absolute(std::string_view uri) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  return std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

std::string normalised(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::size_t base64Length(std::string_view data) {
  std::size_t chars = 0, pad = 0;
  for (char c : data) {
    if (c == '=') ++pad;
    else if (!std::isspace(static_cast<unsigned char>(c))) ++chars;
  }
  return (chars + pad) / 4 * 3 - pad;
}

}  // namespace

void Walker::bundleRules(const fhir::Node& bundle, const Location& at) {
  std::string_view type = bundle.childValue("type");
  bool transactional = type == "transaction" || type == "batch" || type == "transaction-response" ||
                       type == "batch-response" || type == "history";
  std::size_t i = 0;
  for (const fhir::Node* entry : bundle.childrenNamed("entry")) {
    Location here = childAt(at, *entry, i++);
    const fhir::Node* r = entry->child("resource");
    std::string_view full = entry->childValue("fullUrl");
    if (full.empty()) {
      if (r != nullptr && !transactional) {
        report(Severity::kError, "required", here, *entry,
               "each entry of a " + std::string(type) + " Bundle must have a fullUrl (the identity of its resource)");
      }
      continue;
    }
    if (!absolute(full)) {
      report(Severity::kError, "value", here, *entry, "the fullUrl must be an absolute URL");
      continue;
    }
    if (r == nullptr || r->type == nullptr || full.rfind("urn:", 0) == 0) continue;
    std::string_view id = r->childValue("id");
    std::string tail = "/" + r->type->name + "/" + std::string(id);
    // RESTful: [base]/Type/id with a known resource type.
    auto last = full.rfind('/');
    auto prev = last == std::string_view::npos || last == 0 ? std::string_view::npos : full.rfind('/', last - 1);
    bool restful = prev != std::string_view::npos &&
                   ps_.model().resourceType(full.substr(prev + 1, last - prev - 1)) != nullptr;
    if (restful && id.empty()) {
      report(Severity::kError, "value", here, *entry, "the fullUrl looks like a RESTful URL, but the resource has no id");
      continue;
    }
    if (restful && !id.empty() && !(full.size() >= tail.size() && full.substr(full.size() - tail.size()) == tail)) {
      report(Severity::kError, "value", here, *entry,
             "the fullUrl looks like a RESTful URL, so it must end with the resource's type and id (" + tail.substr(1) + ")");
    }
  }
  for (const char* once : {"self", "first", "previous", "next", "last"}) {
    std::size_t n = 0;
    std::size_t k = 0;
    for (const fhir::Node* link : bundle.childrenNamed("link")) {
      if (link->childValue("relation") == once && ++n == 2) {
        report(Severity::kError, "structure", childAt(at, *link, k), *link,
               std::string("the link relation '") + once + "' can only occur once");
      }
      ++k;
    }
  }
}

void Walker::datatypeRules(const fhir::Node& node, const Location& at) {
  const std::string& type = node.type->name;
  if (type == "Coding") {
    std::string_view system = node.childValue("system");
    if (!system.empty() && !absolute(system)) {
      report(Severity::kError, "value", at, node, "Coding.system must be an absolute URI, not a local reference");
    } else if (!system.empty()) {
      const auto* entry = ps_.definitions().find(system);
      if (entry != nullptr && entry->type == "ValueSet") {
        report(Severity::kError, "value", at, node,
               "Coding.system names a value set, not a code system (" + std::string(system) + ")");
      }
    }
    codes(node, at);
  } else if (type == "Identifier") {
    if (node.childValue("system") == "urn:ietf:rfc:3986" && node.child("value") != nullptr &&
        !absolute(node.childValue("value"))) {
      report(Severity::kError, "value", at, node,
             "an Identifier with system urn:ietf:rfc:3986 must have a full URI as its value");
    }
  } else if (type == "Attachment") {
    const fhir::Node* data = node.child("data");
    const fhir::Node* size = node.child("size");
    if (data != nullptr && size != nullptr && data->has_value && size->has_value &&
        size->value != std::to_string(base64Length(data->value))) {
      report(Severity::kError, "value", at, node, "Attachment.size does not match the size of Attachment.data");
    }
  } else if (type == "Narrative") {
    const fhir::Node* div = node.child("div");
    if (div == nullptr) return;
    // Every href="scheme:..." of the narrative names a hyperlinkable scheme.
    static const std::vector<std::string> kSchemes = {"http", "https", "ftp", "mailto", "tel", "data"};
    const std::string& x = div->value;
    for (std::size_t p = x.find("href"); p != std::string::npos; p = x.find("href", p + 4)) {
      std::size_t q = p + 4;
      while (q < x.size() && std::isspace(static_cast<unsigned char>(x[q]))) ++q;
      if (q >= x.size() || x[q] != '=') continue;
      ++q;
      while (q < x.size() && std::isspace(static_cast<unsigned char>(x[q]))) ++q;
      if (q >= x.size() || x[q] != '"') continue;
      std::size_t start = ++q;
      while (q < x.size() && (std::isalnum(static_cast<unsigned char>(x[q])) || x[q] == '+' || x[q] == '-' || x[q] == '.')) ++q;
      if (q == start || q >= x.size() || x[q] != ':' || !std::isalpha(static_cast<unsigned char>(x[start]))) continue;
      std::string scheme = x.substr(start, q - start);
      std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
      if (std::find(kSchemes.begin(), kSchemes.end(), scheme) == kSchemes.end()) {
        report(Severity::kError, "value", at, node, "a narrative link uses the scheme '" + scheme +
                                                        "', which is not a hyperlinkable scheme");
      }
    }
  }
}

void Walker::codes(const fhir::Node& coding, const Location& at) {
  std::string_view system = coding.childValue("system");
  std::string_view code = coding.childValue("code");
  if (system.empty() || code.empty()) return;
  auto valid = ps_.terminology().validCode(system, code);
  if (!valid) return;
  if (!*valid) {
    report(Severity::kError, "code-invalid", at, coding, "the code is not defined in the code system " + std::string(system));
    return;
  }
  const fhir::Node* display = coding.child("display");
  if (display == nullptr || !display->has_value) return;
  auto known = ps_.terminology().displays(system, code);
  if (known.empty()) return;
  std::string given = normalised(display->value);
  bool ok = std::any_of(known.begin(), known.end(), [&](const std::string& d) { return normalised(d) == given; });
  if (!ok) {
    report(options_.display_mismatch_is_error ? Severity::kError : Severity::kWarning, "code-invalid",
           childAt(at, *display, 0), *display,
           "the display is not one of the code system's displays for this code (" + std::string(system) + ")");
  }
}

}  // namespace onedoor::stages::validate
