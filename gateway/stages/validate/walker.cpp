#include "stages/validate/walker.h"

#include <algorithm>
#include <cctype>

#include "fhirpath/terminology_binding.h"

namespace onedoor::stages::validate {
namespace {

using core::Severity;

constexpr int kMaxDepth = 64;  // nested resources and type descents; instances are depth-limited already

bool isExtension(const fhir::Node& n) {
  return n.type != nullptr && n.type->name == "Extension" && (n.name == "extension" || n.name == "modifierExtension");
}

// The type profile an element gives for the node's type, if any.
std::string typeProfile(const ElementSpec& e, const fhir::Node& node) {
  std::string code = typeCode(node);
  for (const auto& t : e.types) {
    if (t.code == code && !t.profiles.empty()) return t.profiles.front();
  }
  return {};
}

std::string maxText(std::uint32_t m) { return m == fhir::kUnbounded ? "*" : std::to_string(m); }

}  // namespace

std::string typeCode(const fhir::Node& node) {
  if (node.type == nullptr) return {};
  if (node.type->kind == fhir::TypeKind::kBackbone) return "BackboneElement";
  return node.type->name;
}

Walker::Walker(const Validator& validator, const ValidationOptions& options, core::Issues& out)
    : validator_(validator), ps_(validator.profiles()), options_(options), out_(out) {
  env_.model = &ps_.model();
  env_.primitives_as_system_types = true;
  env_.member_of = fhirpath::membership(ps_.terminologyPtr());
  env_.conforms_to = [this](const fhir::Node& r, std::string_view profile, std::string& error) -> std::optional<bool> {
    if (!ps_.structure(profile).isOk()) {
      error = "unknown profile " + std::string(profile);
      return std::nullopt;
    }
    return validator_.conformsTo(r, profile);
  };
}

void Walker::report(Severity severity, std::string code, const Location& at, const fhir::Node& node,
                    std::string message) {
  core::Issue i;
  i.severity = severity;
  i.code = std::move(code);
  i.expression = at.path();
  i.message = std::move(message);
  i.line = node.line;
  i.column = node.column;
  out_.push_back(std::move(i));
}

void Walker::resource(const fhir::Node& res, const Location& at, const std::vector<std::string>& profiles,
                      bool new_root) {
  if (res.type == nullptr) return;
  if (++depth_ > kMaxDepth) {
    --depth_;
    report(Severity::kError, "too-costly", at, res, "resources are nested too deeply to validate");
    return;
  }
  const fhir::Node* saved_root = root_;
  if (new_root || root_ == nullptr) root_ = &res;
  resources_.push_back(&res);
  if (res.type->name == "Bundle") {
    if (bundle_type_.empty()) bundle_type_ = std::string(res.childValue("type"));
    for (const fhir::Node* entry : res.childrenNamed("entry")) {
      const fhir::Node* r = entry->child("resource");
      if (r == nullptr || r->type == nullptr) continue;
      if (auto full = entry->childValue("fullUrl"); !full.empty()) bundle_entries_.emplace(full, r);
      if (auto id = r->childValue("id"); !id.empty()) bundle_entries_.emplace(r->type->name + "/" + std::string(id), r);
    }
  }
  Location here = Location::resourceAt(at, res.type->name);
  if (res.type->name == "Bundle") bundleRules(res, here);
  std::vector<std::string> wanted = profiles;
  for (auto& p : ps_.requiredProfiles(res)) wanted.push_back(std::move(p));
  if (options_.meta_profiles) {
    if (const fhir::Node* meta = res.child("meta")) {
      for (const fhir::Node* p : meta->childrenNamed("profile")) wanted.push_back(p->value);
    }
  }
  // A profile's snapshot holds every rule of the base definition, so the base is walked only
  // when no profile applies.
  std::vector<StructurePtr> applied;
  for (const auto& url : wanted) {
    auto p = ps_.structure(url);
    if (!p.isOk()) {
      report(p.status().code() == core::Code::kNotFound ? Severity::kWarning : Severity::kError, "not-supported", here,
             res, "profile " + url + " is " + (p.status().code() == core::Code::kNotFound ? "not known" : "not usable") +
                      ", so the resource was not checked against it");
      continue;
    }
    if ((*p)->type != res.type->name) {
      report(Severity::kError, "structure", here, res,
             "profile " + url + " is for " + (*p)->type + ", not " + res.type->name);
      continue;
    }
    if (std::find(applied.begin(), applied.end(), *p) == applied.end()) applied.push_back(*p);
  }
  if (applied.empty()) {
    auto base = ps_.structure(res.type->name);
    if (!base.isOk()) {
      report(Severity::kError, "not-supported", here, res, "no definition for resource type " + res.type->name);
    } else {
      applied.push_back(*base);
    }
  }
  for (const auto& s : applied) check(res, *s, 0, here);
  resources_.pop_back();
  root_ = saved_root;
  --depth_;
}

bool Walker::typeAllowed(const fhir::Node& node, const ElementSpec& e, const Location& at) {
  if (e.types.empty() || node.type == nullptr) return true;
  std::string code = typeCode(node);
  for (const auto& t : e.types) {
    if (t.code == code) return true;
    if (node.isResource() && (t.code == "Resource" || t.code == "DomainResource")) return true;
    if (code == "BackboneElement" && t.code == "Element") return true;
    if (t.code.rfind("http://hl7.org/fhirpath/System.", 0) == 0) return true;
  }
  std::string allowed;
  for (const auto& t : e.types) allowed += (allowed.empty() ? "" : ", ") + t.code;
  report(Severity::kError, "structure", at, node, "type " + code + " is not allowed here (allowed: " + allowed + ")");
  return false;
}

void Walker::check(const fhir::Node& node, const Structure& s, int ei, const Location& at) {
  const ElementSpec& e = s.elements[static_cast<std::size_t>(ei)];
  if (!typeAllowed(node, e, at)) return;
  if (ei != 0 && node.isResource()) {
    // contained, Bundle.entry.resource, Parameters.parameter.resource: a resource of its own.
    // Only the type profiles given for this resource's type apply, and when there are several
    // the resource must meet one of them (the one it meets is then the one reported on).
    std::vector<std::string> profiles;
    for (const auto& t : e.types) {
      for (const auto& p : t.profiles) {
        auto ps = ps_.structure(p);
        if (!ps.isOk() || (*ps)->type == node.type->name) profiles.push_back(p);
      }
    }
    if (profiles.size() > 1) {
      auto met = std::find_if(profiles.begin(), profiles.end(), [&](const std::string& p) { return conforms(node, p); });
      profiles = {met != profiles.end() ? *met : profiles.front()};
    }
    resource(node, at, profiles, node.name != "contained");
    return;
  }
  values(node, e, at);
  if (node.type != nullptr && node.type->name == "Reference") reference(node, e, at);
  invariants(node, e, at);
  // Below a content reference (Questionnaire.item.item) the rules are those of the referenced
  // element of the unconstrained type, unless this structure expanded the element itself.
  const Structure* bs = &s;
  int bi = ei;
  if (!e.content_reference.empty() && e.children.empty()) {
    std::string target = e.content_reference.substr(e.content_reference.find('#') + 1);
    auto core = ps_.structure(target.substr(0, target.find('.')));
    if (!core.isOk()) return;
    bs = core->get();
    bi = bs->find(target);
    if (bi < 0) return;
  }
  const ElementSpec& basis = bs->elements[static_cast<std::size_t>(bi)];
  bool descended = false;
  if (!basis.children.empty()) {
    children(node, *bs, bi, bs != &s || bi != ei ? Location::rebased(at, basis.path) : at);
    descended = true;
  }
  if (ei != 0 && (!descended || !typeProfile(e, node).empty())) byType(node, e, at);
}

void Walker::byType(const fhir::Node& node, const ElementSpec& e, const Location& at) {
  if (node.type == nullptr || node.type->kind == fhir::TypeKind::kBackbone) return;
  std::string profile = typeProfile(e, node);
  const Structure* found = nullptr;
  if (profile.empty()) {
    found = typeStructure(node.type);
  } else if (auto ts = ps_.structure(profile); ts.isOk()) {
    found = ts->get();
  } else {
    report(Severity::kWarning, "not-supported", at, node, "profile " + profile + " is not known, so not checked");
  }
  if (found == nullptr) return;
  if (++depth_ > kMaxDepth) {
    --depth_;
    return;
  }
  const Structure& t = *found;
  const ElementSpec& root = t.elements.front();
  if (!profile.empty()) values(node, root, at);
  invariants(node, root, at);
  // For a primitive only id and extension are walked; its value was checked by values().
  if (!root.children.empty()) children(node, t, 0, at);
  --depth_;
}

const Structure* Walker::typeStructure(const fhir::TypeInfo* type) {
  // A validation meets a few dozen types many times each: remember them for this walk.
  for (const auto& [t, st] : types_) {
    if (t == type) return st;
  }
  auto ts = ps_.structure(type->name);
  const Structure* st = ts.isOk() ? ts->get() : nullptr;
  types_.emplace_back(type, st);
  return st;
}

void Walker::children(const fhir::Node& node, const Structure& s, int ei, const Location& at) {
  const ElementSpec& parent = s.elements[static_cast<std::size_t>(ei)];
  const auto& kids = node.children;
  // Instance children and element definitions are both in definition order, so one pass pairs
  // them. Should a child be out of that order (not expected from the readers), each definition
  // searches all children instead.
  std::size_t pos = 0;
  for (int ci : parent.children) {
    const std::string& name = s.elements[static_cast<std::size_t>(ci)].name;
    while (pos < kids.size() && kids[pos].name == name) ++pos;
  }
  bool in_order = pos == kids.size();
  pos = 0;
  for (int ci : parent.children) {
    const std::string& name = s.elements[static_cast<std::size_t>(ci)].name;
    std::size_t first = pos, last = pos;
    if (in_order) {
      while (pos < kids.size() && kids[pos].name == name) ++pos;
      last = pos;
    } else {
      first = last = kids.size();
      for (std::size_t k = 0; k < kids.size(); ++k) {
        if (kids[k].name != name) continue;
        if (first == kids.size()) first = k;
        last = k + 1;
      }
      if (first == kids.size()) first = last = 0;
    }
    group(node, s, ci, at, first, last);
  }
}

void Walker::group(const fhir::Node& node, const Structure& s, int ci, const Location& at, std::size_t first,
                   std::size_t last) {
  const ElementSpec& c = s.elements[static_cast<std::size_t>(ci)];
  if (node.isPrimitive() && c.name == "value") return;
  const auto& kids = node.children;
  std::size_t count = last - first;
  if (count < c.min) {
    report(Severity::kError, "required", Location::group(at, c.name), node,
           c.id + ": minimum required = " + std::to_string(c.min) + ", but only found " + std::to_string(count));
  }
  if (c.max != fhir::kUnbounded && count > c.max) {
    report(Severity::kError, "structure", Location::group(at, c.name), kids[first + c.max],
           c.max == 0 ? c.id + " is not allowed here (max = 0)"
                      : c.id + ": maximum allowed = " + maxText(c.max) + ", but found " + std::to_string(count));
  }
  if (count == 0) return;
  if (!c.slices.empty()) {
    std::vector<const fhir::Node*> items;
    items.reserve(count);
    for (std::size_t k = first; k < last; ++k) items.push_back(&kids[k]);
    sliced(items, s, ci, node, at);
    return;
  }
  for (std::size_t k = first; k < last; ++k) {
    Location here = Location::child(at, kids[k], k - first);
    if (isExtension(kids[k]) && typeProfile(c, kids[k]).empty()) {
      extension(kids[k], node, at, here, s, ci);
    } else {
      check(kids[k], s, ci, here);
    }
  }
}

namespace {

// Whether any element below `n` is a reference, canonical or narrative link to `target` ("#id").
bool refersTo(const fhir::Node& n, std::string_view target) {
  for (const auto& c : n.children) {
    if (c.has_value && c.value == target) return true;
    if (c.type != nullptr && c.type->name == "xhtml" && c.value.find(std::string("\"") + std::string(target) + "\"") != std::string::npos) {
      return true;  // <img src="#id">, <a href="#id">
    }
    if (refersTo(c, target)) return true;
  }
  return false;
}

bool narrativeHasContent(std::string_view div) {
  if (div.find("<img") != std::string_view::npos) return true;
  bool in_tag = false;
  for (char c : div) {
    if (c == '<') in_tag = true;
    else if (c == '>') in_tag = false;
    else if (!in_tag && !std::isspace(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

}  // namespace

bool Walker::containedReferenced(const fhir::Node& resource) const {
  // dom-3 natively: each contained resource is referred to from elsewhere in the resource
  // (references, canonicals, narrative links) or refers to its container ("#").
  for (const fhir::Node* c : resource.childrenNamed("contained")) {
    std::string_view id = c->childValue("id");
    if (id.empty()) continue;
    std::string target = "#" + std::string(id);
    if (refersTo(*c, "#")) continue;
    bool found = false;
    for (const auto& other : resource.children) {
      if (&other == c) continue;
      if ((other.has_value && other.value == target) || refersTo(other, target)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

void Walker::invariants(const fhir::Node& node, const ElementSpec& e, const Location& at) {
  for (const auto& c : e.constraints) {
    if (c.native == Constraint::Native::kEle1) {
      // hasValue() or (children().count() > id.count()), natively: it holds on every element.
      bool ok = node.has_value ||
                std::any_of(node.children.begin(), node.children.end(), [](const fhir::Node& k) { return k.name != "id"; });
      if (!ok) report(Severity::kError, "invariant", at, node, "ele-1: All FHIR elements must have a @value or children");
      continue;
    }
    if (c.native == Constraint::Native::kTxt2) {
      // htmlChecks() in R4's text, but the rule is: some non-whitespace text, or an image.
      const fhir::Node* div = node.type != nullptr && node.type->name == "xhtml" ? &node : node.child("div");
      if (div != nullptr && !narrativeHasContent(div->value)) {
        report(Severity::kError, "invariant", at, node, "txt-2: " + c.human);
      }
      continue;
    }
    if (c.native == Constraint::Native::kDom3) {
      if (!containedReferenced(node)) {
        report(Severity::kError, "invariant", at, node, "dom-3: " + c.human);
      }
      continue;
    }
    if (c.compiled == nullptr) continue;
    env_.resource = resources_.empty() ? &node : resources_.back();
    env_.root_resource = root_ != nullptr ? root_ : env_.resource;
    auto r = c.compiled->test(node, env_);
    if (!r.isOk()) {
      report(Severity::kWarning, "invariant", at, node,
             c.key + ": the invariant could not be evaluated (" + r.status().message() + ")");
      continue;
    }
    if (r->value_or(true)) continue;  // empty: the invariant does not apply here
    report(c.error ? Severity::kError : Severity::kWarning, "invariant", at, node, c.key + ": " + c.human);
  }
}

core::Issues Validator::validate(const fhir::Node& resource, const ValidationOptions& options) const {
  core::Issues issues;
  Walker w(*this, options, issues);
  Location root = Location::root(resource.type != nullptr ? resource.type->name : "");
  w.resource(resource, root, options.profiles, true);
  // The base and a profile may find the same problem: report it once.
  core::Issues unique;
  for (auto& i : issues) {
    bool seen = std::any_of(unique.begin(), unique.end(), [&](const core::Issue& u) {
      return u.severity == i.severity && u.expression == i.expression && u.message == i.message;
    });
    if (!seen) unique.push_back(std::move(i));
  }
  std::stable_sort(unique.begin(), unique.end(),
                   [](const core::Issue& a, const core::Issue& b) { return a.severity < b.severity; });
  return unique;
}

bool Validator::conformsTo(const fhir::Node& resource, std::string_view profile) const {
  ValidationOptions o;
  o.profiles.emplace_back(profile);
  o.meta_profiles = false;
  return !core::hasErrors(validate(resource, o));
}

}  // namespace onedoor::stages::validate
