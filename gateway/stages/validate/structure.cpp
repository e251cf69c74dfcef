#include "stages/validate/structure.h"

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

namespace onedoor::stages::validate {
namespace {

std::shared_ptr<const fhir::Node> valueOf(const fhir::Node& element, std::string_view stem) {
  const fhir::Node* n = element.child(stem);
  return n == nullptr ? nullptr : std::make_shared<const fhir::Node>(*n);
}

// A non-negative count as written in a definition; nullopt when it is not one.
std::optional<std::uint32_t> parseCount(std::string_view m) {
  if (m.empty() || m.size() > 9) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : m) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return v;
}

TypeRef readType(const fhir::Node& t) {
  TypeRef r;
  r.code = std::string(t.childValue("code"));
  for (const fhir::Node* p : t.childrenNamed("profile")) r.profiles.push_back(p->value);
  for (const fhir::Node* p : t.childrenNamed("targetProfile")) r.target_profiles.push_back(p->value);
  for (const fhir::Node* p : t.childrenNamed("aggregation")) r.aggregation.push_back(p->value);
  return r;
}

}  // namespace

bool ElementSpec::allowsType(std::string_view code) const {
  if (types.empty()) return true;
  return std::any_of(types.begin(), types.end(), [&](const TypeRef& t) { return t.code == code; });
}

std::string parentId(std::string_view id) {
  auto dot = id.rfind('.');
  return dot == std::string_view::npos ? std::string() : std::string(id.substr(0, dot));
}

std::string lastName(std::string_view id) {
  auto dot = id.rfind('.');
  std::string_view seg = dot == std::string_view::npos ? id : id.substr(dot + 1);
  seg = seg.substr(0, seg.find(':'));
  if (seg.size() > 3 && seg.substr(seg.size() - 3) == "[x]") seg.remove_suffix(3);
  return std::string(seg);
}

int Structure::find(std::string_view id) const {
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (elements[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

void Structure::link() {
  std::unordered_map<std::string, int> by_id;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    auto& e = elements[i];
    e.parent = -1;
    e.slice_of = -1;
    e.children.clear();
    e.slices.clear();
    by_id.emplace(e.id, static_cast<int>(i));
  }
  for (std::size_t i = 1; i < elements.size(); ++i) {
    auto& e = elements[i];
    auto dot = e.id.rfind('.');
    std::string_view last = dot == std::string::npos ? std::string_view(e.id) : std::string_view(e.id).substr(dot + 1);
    auto colon = last.rfind(':');
    if (colon != std::string_view::npos) {
      // A slice (or re-slice "a:b/c"): attached to the element it slices, not to the parent.
      std::string sliced = e.id.substr(0, e.id.size() - (last.size() - colon));
      if (auto it = by_id.find(sliced); it != by_id.end()) {
        e.slice_of = it->second;
        elements[static_cast<std::size_t>(it->second)].slices.push_back(static_cast<int>(i));
      }
    }
    if (auto it = by_id.find(parentId(e.id)); it != by_id.end()) {
      e.parent = it->second;
      if (e.slice_of < 0) elements[static_cast<std::size_t>(it->second)].children.push_back(static_cast<int>(i));
    }
  }
}

std::vector<ElementSpec> readElements(const fhir::Node& sd, bool differential, std::vector<Problem>& problems) {
  std::vector<ElementSpec> out;
  const fhir::Node* holder = sd.child(differential ? "differential" : "snapshot");
  if (holder == nullptr) return out;
  // Ids for definitions that carry none: the id of the latest element seen at each path.
  std::map<std::string, std::string, std::less<>> id_at_path;
  for (const fhir::Node* el : holder->childrenNamed("element")) {
    ElementSpec e;
    e.line = el->line;
    e.column = el->column;
    e.path = std::string(el->childValue("path"));
    e.slice_name = std::string(el->childValue("sliceName"));
    e.id = std::string(el->childValue("id"));
    if (e.id.empty()) {
      std::string parent_path = parentId(e.path);
      auto it = id_at_path.find(parent_path);
      std::string prefix = it != id_at_path.end() ? it->second : parent_path;
      std::string last = e.path.substr(e.path.rfind('.') == std::string::npos ? 0 : e.path.rfind('.') + 1);
      e.id = (prefix.empty() ? "" : prefix + ".") + last + (e.slice_name.empty() ? "" : ":" + e.slice_name);
    }
    id_at_path[e.path] = e.id;
    e.name = lastName(e.path);
    e.choice = e.path.size() > 3 && e.path.compare(e.path.size() - 3, 3, "[x]") == 0;
    if (const fhir::Node* m = el->child("min")) {
      e.min = parseCount(m->value).value_or(0);
      e.min_set = true;
    }
    if (const fhir::Node* m = el->child("max")) {
      auto v = m->value == "*" ? std::optional<std::uint32_t>(fhir::kUnbounded) : parseCount(m->value);
      if (!v) problems.push_back({e.id + ": max '" + m->value + "' is not a number or *", m->line, m->column});
      e.max = v.value_or(fhir::kUnbounded);
      e.max_set = v.has_value();
    }
    for (const fhir::Node* t : el->childrenNamed("type")) e.types.push_back(readType(*t));
    e.content_reference = std::string(el->childValue("contentReference"));
    e.fixed = valueOf(*el, "fixed");
    e.pattern = valueOf(*el, "pattern");
    e.min_value = valueOf(*el, "minValue");
    e.max_value = valueOf(*el, "maxValue");
    if (const fhir::Node* ml = el->child("maxLength")) e.max_length = parseCount(ml->value);
    if (const fhir::Node* b = el->child("binding")) {
      e.binding_strength = std::string(b->childValue("strength"));
      e.binding_valueset = std::string(b->childValue("valueSet"));
    }
    for (const fhir::Node* c : el->childrenNamed("constraint")) {
      Constraint k;
      k.key = std::string(c->childValue("key"));
      k.native = k.key == "ele-1"   ? Constraint::Native::kEle1
                 : k.key == "dom-3" ? Constraint::Native::kDom3
                 : k.key == "txt-2" ? Constraint::Native::kTxt2
                                    : Constraint::Native::kNone;
      k.error = c->childValue("severity") != "warning";
      k.human = std::string(c->childValue("human"));
      k.expression = std::string(c->childValue("expression"));
      e.constraints.push_back(std::move(k));
    }
    if (const fhir::Node* s = el->child("slicing")) {
      Slicing sl;
      for (const fhir::Node* d : s->childrenNamed("discriminator")) {
        sl.discriminators.push_back({std::string(d->childValue("type")), std::string(d->childValue("path"))});
      }
      sl.ordered = s->childValue("ordered") == "true";
      if (!s->childValue("rules").empty()) sl.rules = std::string(s->childValue("rules"));
      e.slicing = std::move(sl);
    }
    e.must_support = el->childValue("mustSupport") == "true";
    e.is_modifier = el->childValue("isModifier") == "true";
    e.must_support_set = el->child("mustSupport") != nullptr;
    out.push_back(std::move(e));
  }
  return out;
}

void readHeader(const fhir::Node& sd, Structure& out) {
  out.url = std::string(sd.childValue("url"));
  out.name = std::string(sd.childValue("name"));
  out.type = std::string(sd.childValue("type"));
  out.kind = std::string(sd.childValue("kind"));
  out.derivation = std::string(sd.childValue("derivation"));
  out.base_definition = std::string(sd.childValue("baseDefinition"));
  for (const fhir::Node* c : sd.childrenNamed("context")) {
    out.contexts.emplace_back(c->childValue("type"), c->childValue("expression"));
  }
  for (const fhir::Node* c : sd.childrenNamed("contextInvariant")) out.context_invariants.push_back(c->value);
}

}  // namespace onedoor::stages::validate
