#include "stages/parse/rest_url.h"

#include <vector>

namespace onedoor::stages::parse {
namespace {

using core::Interaction;

constexpr std::string_view kCompartments[] = {"Patient", "Encounter", "RelatedPerson",
                                              "Practitioner", "Device"};

core::Status notAllowed(std::string_view method, std::string_view what) {
  return core::Status(core::Code::kNotAllowed,
                      std::string(method) + " is not allowed on " + std::string(what));
}

core::Status badId(std::string_view what, const std::string& id) {
  (void)id;  // ids may carry attacker-chosen text; do not echo it
  return core::invalid("invalid " + std::string(what) +
                       ": ids are 1-64 characters of A-Z, a-z, 0-9, '-' and '.'");
}

}  // namespace

bool isValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  if (id == "." || id == "..") return false;  // path segments, never ids
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

core::Result<std::string> percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return core::invalid("malformed %-escape in URL");
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(s[i + 1]);
      int lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return core::invalid("malformed %-escape in URL");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return core::invalid("control characters are not allowed in URLs");
    }
    out += c;
  }
  return out;
}

core::Status interpret(const fhir::Model& model, std::string_view method, std::string_view path,
                       bool has_query, core::FhirRequest& out) {
  std::vector<std::string> seg;
  std::size_t start = path.empty() || path[0] != '/' ? 0 : 1;
  if (start < path.size() || (path.size() > 1)) {
    while (start <= path.size()) {
      auto slash = path.find('/', start);
      std::string_view raw = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
      if (slash == std::string_view::npos && raw.empty()) break;  // trailing slash
      if (raw.empty()) return core::invalid("empty path segment in URL");
      GW_ASSIGN_OR_RETURN(std::string s, percentDecode(raw));
      seg.push_back(std::move(s));
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
  }
  auto isOp = [](const std::string& s) { return s.size() > 1 && s[0] == '$'; };
  auto knownType = [&](const std::string& s) -> core::Status {
    if (model.resourceType(s) != nullptr) return core::Status::ok();
    return core::Status(core::Code::kNotFound, "unknown resource type in URL");
  };

  if (seg.empty()) {
    if (method == "GET") {
      out.interaction = Interaction::kSearchSystem;
    } else if (method == "POST") {
      out.interaction = Interaction::kBatch;
    } else {
      return notAllowed(method, "the base URL");
    }
    return core::Status::ok();
  }
  const std::string& s0 = seg[0];
  if (isOp(s0)) {
    if (seg.size() != 1) return core::Status(core::Code::kNotFound, "unknown URL");
    out.interaction = Interaction::kOperation;
    out.operation = s0.substr(1);
    return core::Status::ok();
  }
  if (s0 == "metadata" || s0 == "_history" || s0 == "_search") {
    if (seg.size() != 1) return core::Status(core::Code::kNotFound, "unknown URL");
    if (s0 == "metadata") {
      if (method != "GET") return notAllowed(method, "/metadata");
      out.interaction = Interaction::kCapabilities;
    } else if (s0 == "_history") {
      if (method != "GET") return notAllowed(method, "/_history");
      out.interaction = Interaction::kHistorySystem;
    } else {
      if (method != "POST" && method != "GET") return notAllowed(method, "/_search");
      out.interaction = Interaction::kSearchSystem;
    }
    return core::Status::ok();
  }
  GW_RETURN_IF_ERROR(knownType(s0));
  out.type = s0;
  if (seg.size() == 1) {
    if (method == "GET") {
      out.interaction = Interaction::kSearchType;
    } else if (method == "POST") {
      out.interaction = Interaction::kCreate;
    } else if (method == "PUT" || method == "DELETE" || method == "PATCH") {
      if (!has_query) {
        return core::invalid(std::string(method) + " on a type needs search parameters " +
                             "(conditional " + (method == "PUT" ? "update" : method == "DELETE" ? "delete" : "patch") + ")");
      }
      out.conditional = true;
      out.interaction = method == "PUT"      ? Interaction::kUpdate
                        : method == "DELETE" ? Interaction::kDelete
                                             : Interaction::kPatch;
    } else {
      return notAllowed(method, "a resource type");
    }
    return core::Status::ok();
  }
  const std::string& s1 = seg[1];
  if (seg.size() == 2) {
    if (s1 == "_search") {
      if (method != "POST" && method != "GET") return notAllowed(method, "_search");
      out.interaction = Interaction::kSearchType;
    } else if (s1 == "_history") {
      if (method != "GET") return notAllowed(method, "_history");
      out.interaction = Interaction::kHistoryType;
    } else if (isOp(s1)) {
      out.interaction = Interaction::kOperation;
      out.operation = s1.substr(1);
    } else {
      if (!isValidId(s1)) return badId("resource id", s1);
      out.id = s1;
      if (method == "GET" || method == "HEAD") {
        out.interaction = Interaction::kRead;
      } else if (method == "PUT") {
        out.interaction = Interaction::kUpdate;
      } else if (method == "DELETE") {
        out.interaction = Interaction::kDelete;
      } else if (method == "PATCH") {
        out.interaction = Interaction::kPatch;
      } else {
        return notAllowed(method, "a resource instance");
      }
    }
    return core::Status::ok();
  }
  if (!isValidId(s1)) return badId("resource id", s1);
  out.id = s1;
  const std::string& s2 = seg[2];
  if (seg.size() == 3) {
    if (s2 == "_history") {
      if (method != "GET") return notAllowed(method, "_history");
      out.interaction = Interaction::kHistoryInstance;
    } else if (isOp(s2)) {
      out.interaction = Interaction::kOperation;
      out.operation = s2.substr(1);
    } else {
      bool compartment = false;
      for (auto c : kCompartments) compartment = compartment || c == s0;
      if (!compartment) return core::Status(core::Code::kNotFound, s0 + " is not a compartment");
      if (s2 != "*") GW_RETURN_IF_ERROR(knownType(s2));
      if (method != "GET") return notAllowed(method, "a compartment");
      out.interaction = Interaction::kSearchCompartment;
      out.compartment_type = s2;
    }
    return core::Status::ok();
  }
  if (seg.size() == 4 && s2 == "_history") {
    if (!isValidId(seg[3])) return badId("version id", seg[3]);
    if (method != "GET" && method != "HEAD") return notAllowed(method, "a resource version");
    out.vid = seg[3];
    out.interaction = Interaction::kVread;
    return core::Status::ok();
  }
  return core::Status(core::Code::kNotFound, "unknown URL");
}

core::Result<std::vector<std::pair<std::string, std::string>>> splitQuery(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start < query.size()) {
    auto amp = query.find('&', start);
    std::string pair = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    start = amp == std::string::npos ? query.size() : amp + 1;
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    GW_ASSIGN_OR_RETURN(std::string k, percentDecode(pair.substr(0, eq)));
    GW_ASSIGN_OR_RETURN(std::string v, percentDecode(eq == std::string::npos ? "" : pair.substr(eq + 1)));
    out.emplace_back(std::move(k), std::move(v));
  }
  return out;
}

}  // namespace onedoor::stages::parse
