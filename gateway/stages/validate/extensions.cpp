// Extensions that no profiled slice claimed: found by their url among the loaded definitions,
// checked against that definition and its contexts; unknown ones reported per the options.
#include <algorithm>

#include "stages/validate/walker.h"

namespace onedoor::stages::validate {
namespace {

using core::Severity;

// Whether an extension defined for `context` may sit on an element with definition path
// `def_path` ("Patient.address") of type `type` ("Address"), or on an extension with `parent_url`.
bool contextAllows(const std::pair<std::string, std::string>& context, const Location& where,
                   const std::string& type, bool on_resource, std::string_view parent_url) {
  const auto& [kind, expr] = context;
  if (kind == "extension") return expr == parent_url;
  if (kind == "fhirpath") return false;  // evaluated by the caller
  if (expr == "Element" || expr == "Base") return true;
  std::string def_path = where.defPath();
  if (expr == type || expr == def_path || expr == where.typePath()) return true;
  if (type == "BackboneElement" && expr == "BackboneElement") return true;
  // Contexts on a base resource (DomainResource.text, Resource) hold for every resource.
  auto dot = def_path.find('.');
  std::string rest = dot == std::string::npos ? "" : def_path.substr(dot);
  for (const char* base : {"Resource", "DomainResource"}) {
    if (expr == std::string(base) + rest && (on_resource || !rest.empty())) return true;
  }
  return false;
}

}  // namespace

void Walker::extension(const fhir::Node& node, const fhir::Node& container, const Location& container_at,
                       const Location& at, const Structure& es, int ei) {
  std::string url(node.childValue("url"));
  bool modifier = node.name == "modifierExtension";
  bool sub_extension = container.type != nullptr && container.type->name == "Extension";
  // Validating against an extension's own definition (es is one): its sub-extensions must be
  // among the slices it defines.
  bool defined_parent = sub_extension && es.type == "Extension" && es.derivation == "constraint";
  if (url.empty() || (url.find(':') == std::string::npos && sub_extension && !defined_parent)) {
    // No url (the cardinality check reports it), or a sub-extension of a complex extension
    // that no definition describes (the parent was reported): the base rules only.
    check(node, es, ei, at);
    return;
  }
  // Only absolute URLs name definitions; a bare "uri" is a sub-extension no slice claimed.
  auto def = url.find(':') != std::string::npos ? ps_.structure(url)
                                                : core::Result<StructurePtr>(core::Status(core::Code::kNotFound, url));
  if (!def.isOk() || (*def)->type != "Extension") {
    for (const auto& domain : options_.allowed_extension_domains) {
      if (!def.isOk() && url.rfind(domain, 0) == 0) {
        check(node, es, ei, at);
        return;
      }
    }
    if (url.find(':') == std::string::npos) {
      report(Severity::kError, "structure", at, node,
             sub_extension ? "sub-extension url '" + url + "' is not defined by its extension"
                           : "Extension.url must be an absolute URL (got a relative one)");
      check(node, es, ei, at);
      return;
    }
    bool error = modifier || options_.unknown_extension_is_error || (def.isOk() && (*def)->type != "Extension");
    std::string why = def.isOk() ? " is not an extension definition" : " is not known";
    report(error ? Severity::kError : Severity::kWarning, "structure", at, node,
           std::string(modifier ? "modifier extension " : "extension ") + url + why +
               (modifier ? " and its meaning cannot be ignored" : ""));
    check(node, es, ei, at);
    return;
  }
  const Structure& s = **def;
  if (!s.contexts.empty()) {
    std::string type = container.type != nullptr ? typeCode(container) : "";
    bool on_resource = container.isResource();
    std::string_view parent_url = container_at.extensionUrl();
    bool ok = false;
    for (const auto& c : s.contexts) {
      ok = ok || contextAllows(c, container_at, type, on_resource, parent_url);
      if (!ok && c.first == "fhirpath") ok = selects(c.second, container);
    }
    if (!ok) {
      std::string list;
      for (const auto& c : s.contexts) list += (list.empty() ? "" : ", ") + c.second;
      report(Severity::kError, "structure", at, node,
             "extension " + url + " is not allowed on " + container_at.defPath() + " (allowed on: " + list + ")");
    }
  }
  for (const auto& inv : s.context_invariants) {
    std::string error;
    auto e = ps_.expression(inv, "", error);
    if (e == nullptr) continue;
    env_.resource = resources_.empty() ? &container : resources_.back();
    env_.root_resource = root_ != nullptr ? root_ : env_.resource;
    auto r = e->test(container, env_);
    if (r.isOk() && !r->value_or(true)) {
      report(Severity::kError, "structure", at, node,
             "extension " + url + " is not allowed here: its context invariant '" + inv + "' does not hold");
    }
  }
  check(node, s, 0, at);
}

bool Walker::selects(const std::string& expression, const fhir::Node& element) {
  std::string error;
  auto e = ps_.expression(expression, "", error);
  if (e == nullptr || resources_.empty()) return false;
  env_.resource = resources_.back();
  env_.root_resource = root_ != nullptr ? root_ : env_.resource;
  auto r = e->evaluate(*resources_.back(), env_);
  if (!r.isOk()) return false;
  return std::any_of(r->begin(), r->end(), [&](const fhirpath::Value& v) { return v.isNode() && v.node() == &element; });
}

}  // namespace onedoor::stages::validate
