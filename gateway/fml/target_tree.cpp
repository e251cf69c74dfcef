#include "fml/target_tree.h"

#include <algorithm>

#include "fhir/codec.h"

namespace onedoor::fml {

namespace {

bool empty(const TNode& n) {
  if (n.type != nullptr && n.type->isResource()) return false;
  if (n.has_value && !n.value.empty()) return false;
  return std::all_of(n.children.begin(), n.children.end(), [](const auto& c) { return empty(*c); });
}

// Where an element is, as a chain to the root, spelt out only for an error.
struct Where {
  const Where* parent;
  const TNode* node;
  std::string text() const {
    std::string name = node->def != nullptr ? node->def->nameFor(node->type) : node->name;
    return parent == nullptr ? name : parent->text() + "." + name;
  }
};

// The element at `n` into `out` (made with n's name, type and definition): a primitive's value
// checked as the FHIR readers check one, then the children that are not empty, in definition
// order, a single-valued element once.
core::Status build(const TNode& n, fhir::Node& out, const Where& at) {
  if (n.type != nullptr && n.type->isPrimitive() && n.has_value && !n.value.empty()) {
    if (!fhir::validNumericOrBoolean(*n.type, n.value)) {
      return core::invalid("'" + n.value + "' is not a valid " + n.type->name + " at " + at.text());
    }
    if (!fhir::isValidFhirString(n.value)) {
      return core::invalid("the value at " + at.text() + " is not valid UTF-8 or holds control characters");
    }
    out.value = n.value;
    out.has_value = true;
  }
  std::vector<const TNode*> kept;
  for (const auto& c : n.children) {
    if (empty(*c)) continue;
    if (c->type == nullptr || c->def == nullptr) return core::invalid(at.text() + "." + c->name + " has no FHIR type");
    bool seen = !c->def->repeating() && std::any_of(kept.begin(), kept.end(), [&](const TNode* k) { return k->def == c->def; });
    if (!seen) kept.push_back(c.get());
  }
  std::stable_sort(kept.begin(), kept.end(), [](const TNode* x, const TNode* y) { return x->def->order < y->def->order; });
  out.children.reserve(kept.size());
  for (const TNode* c : kept) {
    out.children.emplace_back(c->name, c->type, c->def);
    GW_RETURN_IF_ERROR(build(*c, out.children.back(), Where{&at, c}));
  }
  return core::Status::ok();
}

}  // namespace

void copyInto(TNode& at, const fhir::Node& from) {
  if (at.type == nullptr) at.type = from.type;
  at.value = from.value;
  at.has_value = from.has_value;
  for (const auto& c : from.children) {
    auto n = std::make_unique<TNode>();
    n->name = c.name;
    n->type = c.type;
    n->def = c.def;
    n->parent = &at;
    copyInto(*n, c);
    at.children.push_back(std::move(n));
  }
}

core::Result<fhir::Node> toFhir(const TNode& root, const fhir::Model& /*model*/) {
  if (root.type == nullptr || !root.type->isResource() || root.type->abstract) {
    return core::invalid("the output is not a FHIR resource (" + root.name + ")");
  }
  fhir::Node out = fhir::makeResource(*root.type);
  auto built = build(root, out, Where{nullptr, &root});
  if (!built.isOk()) return core::invalid("the output is not a valid " + root.name + ": " + built.message());
  return out;
}

fhir::Node toUntyped(const TNode& root) {
  fhir::Node out(root.name, nullptr, nullptr);
  out.value = root.value;
  out.has_value = root.has_value && !root.value.empty();
  for (const auto& c : root.children) {
    if (!empty(*c)) out.children.push_back(toUntyped(*c));
  }
  return out;
}

namespace {

bool matched(std::string_view equivalence) { return equivalence != "unmatched" && equivalence != "disjoint"; }

// One direction of a lookup: forward finds (system, code) among the source codes, reverse among
// the target codes (the map read backwards, as $translate with reverse=true).
std::optional<Translation> lookupIn(const EmbeddedConceptMap& cm, const std::string& system, const std::string& code,
                                    bool reverse) {
  for (const auto& m : cm.mappings) {
    const std::string& from_system = reverse ? m.target_system : m.source_system;
    const std::string& from_code = reverse ? m.target_code : m.source_code;
    if (from_code != code || !(system.empty() || from_system == system)) continue;
    if (!matched(m.equivalence)) return Translation{"", "", true, ""};
    return reverse ? Translation{m.source_system, m.source_code, false, ""} : Translation{m.target_system, m.target_code, false, ""};
  }
  return std::nullopt;
}

std::optional<Translation> lookupIn(const fhir::Node& cm, const std::string& system, const std::string& code, bool reverse) {
  bool unmatched = false;
  for (const fhir::Node* grp : cm.childrenNamed("group")) {
    std::string_view from_system = grp->childValue(reverse ? "target" : "source");
    if (!system.empty() && from_system != system) continue;
    for (const fhir::Node* el : grp->childrenNamed("element")) {
      for (const fhir::Node* tg : el->childrenNamed("target")) {
        if (!matched(tg->childValue("equivalence"))) {
          unmatched = unmatched || (!reverse && el->childValue("code") == code);
          continue;
        }
        if (!reverse && el->childValue("code") == code) {
          return Translation{std::string(grp->childValue("target")), std::string(tg->childValue("code")), false,
                             std::string(tg->childValue("display"))};
        }
        if (reverse && tg->childValue("code") == code) {
          return Translation{std::string(grp->childValue("source")), std::string(el->childValue("code")), false,
                             std::string(el->childValue("display"))};
        }
      }
    }
  }
  if (unmatched) return Translation{"", "", true, ""};
  return std::nullopt;
}

}  // namespace

std::optional<Translation> translateCode(const Map& map, const std::function<const fhir::Node*(const std::string&)>& lookup,
                                         const std::string& url, const std::string& system, const std::string& code) {
  for (bool reverse : {false, true}) {
    if (!url.empty() && url.front() == '#') {
      for (const auto& cm : map.concept_maps) {
        if (cm.id != url && "#" + cm.id != url) continue;
        if (auto hit = lookupIn(cm, system, code, reverse)) return hit;
      }
      continue;
    }
    const fhir::Node* cm = lookup ? lookup(url) : nullptr;
    if (cm == nullptr) return std::nullopt;
    if (auto hit = lookupIn(*cm, system, code, reverse)) return hit;
  }
  return std::nullopt;
}

}  // namespace onedoor::fml
