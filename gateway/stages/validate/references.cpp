// References: the target's type against the element's target profiles, aggregation rules, and
// targets found in the same resource or Bundle checked against constraining target profiles.
#include <algorithm>

#include "stages/validate/walker.h"

namespace onedoor::stages::validate {
namespace {

using core::Severity;

constexpr std::string_view kCoreBase = "http://hl7.org/fhir/StructureDefinition/";

std::string_view withoutHistory(std::string_view r) {
  auto h = r.find("/_history/");
  return h == std::string_view::npos ? r : r.substr(0, h);
}

// "Patient" from ".../Patient/123" or "Patient/123"; empty when the shape is not Type/id.
std::string typeFromUrl(std::string_view r) {
  r = withoutHistory(r);
  auto last = r.rfind('/');
  if (last == std::string_view::npos || last == 0) return {};
  auto prev = r.rfind('/', last - 1);
  return std::string(r.substr(prev == std::string_view::npos ? 0 : prev + 1,
                              last - (prev == std::string_view::npos ? 0 : prev + 1)));
}

}  // namespace

std::vector<const fhir::Node*> Walker::resolve(const fhir::Node& ref) const {
  std::string_view r = ref.childValue("reference");
  if (r.empty()) return {};
  if (r.front() == '#') {
    if (root_ == nullptr) return {};
    if (r.size() == 1) return {root_};
    for (const fhir::Node* c : root_->childrenNamed("contained")) {
      if (c->childValue("id") == r.substr(1)) return {c};
    }
    return {};
  }
  if (auto it = bundle_entries_.find(r); it != bundle_entries_.end()) return {it->second};
  std::string_view plain = withoutHistory(r);
  if (auto it = bundle_entries_.find(plain); it != bundle_entries_.end()) return {it->second};
  std::string type = typeFromUrl(plain);
  if (!type.empty()) {
    std::string key = type + "/" + std::string(plain.substr(plain.rfind('/') + 1));
    if (auto it = bundle_entries_.find(key); it != bundle_entries_.end()) return {it->second};
  }
  return {};
}

void Walker::reference(const fhir::Node& node, const ElementSpec& e, const Location& at) {
  std::string_view r = node.childValue("reference");
  if (r.empty()) return;
  auto tr = std::find_if(e.types.begin(), e.types.end(), [](const TypeRef& t) { return t.code == "Reference"; });
  if (tr == e.types.end()) return;
  std::vector<std::string> allowed;
  std::vector<std::string> constraining;  // target profiles that are not plain core types
  for (const auto& tp : tr->target_profiles) {
    std::string type;
    if (tp.rfind(kCoreBase, 0) == 0 && ps_.model().type(std::string_view(tp).substr(kCoreBase.size())) != nullptr) {
      type = tp.substr(kCoreBase.size());
    } else if (auto s = ps_.structure(tp); s.isOk()) {
      type = (*s)->type;
      constraining.push_back(tp);
    }
    if (type == "Resource" || type == "DomainResource") return;  // any target
    if (!type.empty()) allowed.push_back(type);
  }
  auto resolved = resolve(node);
  std::string type;
  if (!resolved.empty()) {
    type = resolved.front()->type != nullptr ? resolved.front()->type->name : "";
    std::string stated = r.front() == '#' || r.rfind("urn:", 0) == 0 ? "" : typeFromUrl(r);
    if (!stated.empty() && stated != type && ps_.model().resourceType(stated) != nullptr) {
      report(Severity::kError, "structure", at, node,
             "the reference names a " + stated + " but resolves in the Bundle to a " + type);
      return;
    }
  } else if ((bundle_type_ == "document" || bundle_type_ == "message") && r.front() != '#' &&
             (r.rfind("urn:", 0) == 0 || r.find("://") == std::string_view::npos) && resources_.size() > 1) {
    // A document must be self-contained; a message should carry what it refers to.
    report(bundle_type_ == "document" ? Severity::kError : Severity::kWarning, "not-found", at, node,
           "the reference cannot be found in the " + bundle_type_ + " Bundle");
    return;
  } else if (r.front() != '#' && r.rfind("urn:", 0) != 0) {
    type = typeFromUrl(r);
    bool relative = r.find("://") == std::string_view::npos;
    if (ps_.model().resourceType(type) == nullptr) {
      if (relative) {
        report(Severity::kError, "structure", at, node, "the reference is not of the form Type/id or an absolute URL");
      }
      return;
    }
  }
  if (!type.empty() && !allowed.empty() && std::find(allowed.begin(), allowed.end(), type) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    report(Severity::kError, "structure", at, node,
           "the reference is to a " + type + ", which is not allowed here (allowed: " + list + ")");
    return;
  }
  if (!tr->aggregation.empty()) {
    std::string how = r.front() == '#' ? "contained" : !resolved.empty() ? "bundled" : "referenced";
    bool ok = std::find(tr->aggregation.begin(), tr->aggregation.end(), how) != tr->aggregation.end() ||
              (how == "bundled" && std::find(tr->aggregation.begin(), tr->aggregation.end(), "referenced") !=
                                       tr->aggregation.end());
    if (!ok) {
      report(Severity::kError, "structure", at, node, e.id + ": a " + how + " reference is not allowed here");
    }
  }
  if (!resolved.empty() && !constraining.empty() && resolved.front() != root_) {
    bool any_applies = false;
    bool any_conforms = false;
    for (const auto& tp : constraining) {
      auto s = ps_.structure(tp);
      if (!s.isOk() || (*s)->type != type) continue;
      any_applies = true;
      if (conforms(*resolved.front(), tp)) {
        any_conforms = true;
        break;
      }
    }
    if (any_applies && !any_conforms) {
      report(Severity::kError, "structure", at, node,
             "the referenced " + type + " does not conform to the target profile(s) of " + e.id);
    }
  }
}

bool Walker::conforms(const fhir::Node& node, std::string_view url) {
  if (depth_ > 8) return true;  // deep cross-checks: trust the outer validation
  core::Issues sub;
  Walker w(validator_, options_, sub);
  w.depth_ = depth_ + 1;
  w.root_ = root_;
  w.bundle_entries_ = bundle_entries_;
  if (node.isResource()) {
    Location root = Location::root(node.type->name);
    w.resource(node, root, {std::string(url)}, node.name != "contained");
  } else {
    auto s = ps_.structure(url);
    if (!s.isOk()) return false;
    w.resources_ = resources_;
    Location root = Location::root("");
    w.check(node, **s, 0, root);
  }
  return !core::hasErrors(sub);
}

}  // namespace onedoor::stages::validate
