#include "fml/target_tree.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "fhir/codec.h"

namespace onedoor::fml {

namespace {

bool empty(const TNode& n) {
  if (n.type != nullptr && n.type->isResource()) return false;
  if (n.has_value && !n.value.empty()) return false;
  return std::all_of(n.children.begin(), n.children.end(), [](const auto& c) { return empty(*c); });
}

void writeJson(rapidjson::Writer<rapidjson::StringBuffer>& w, const TNode& n) {
  if (n.type != nullptr && n.type->isPrimitive()) {
    const std::string& v = n.value;
    const std::string& sys = n.type->system_type;
    if (sys == "Boolean") {
      w.Bool(v == "true");
    } else if ((sys == "Integer" || sys == "Decimal") && !v.empty()) {
      w.RawValue(v.c_str(), v.size(), rapidjson::kNumberType);
    } else {
      w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    }
    return;
  }
  w.StartObject();
  if (n.type != nullptr && n.type->isResource()) {
    w.Key("resourceType");
    w.String(n.type->name.c_str());
  }
  // Children grouped by element, repeating ones as arrays; elements left empty (no value and
  // nothing in them) are not written, as FHIR has no empty elements.
  std::vector<std::string> order;
  for (const auto& c : n.children) {
    if (!empty(*c) && std::find(order.begin(), order.end(), c->name) == order.end()) order.push_back(c->name);
  }
  for (const auto& name : order) {
    std::vector<const TNode*> same;
    for (const auto& c : n.children) {
      if (c->name == name && !empty(*c)) same.push_back(c.get());
    }
    const TNode* first = same.front();
    std::string key = first->def != nullptr ? first->def->nameFor(first->type) : first->name;
    w.Key(key.c_str());
    bool array = first->def == nullptr || first->def->repeating();
    if (array) w.StartArray();
    for (const TNode* c : same) {
      if (c->type != nullptr && c->type->isResource() && c->def != nullptr) {
        writeJson(w, *c);
      } else {
        writeJson(w, *c);
      }
      if (!array) break;
    }
    if (array) w.EndArray();
  }
  w.EndObject();
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

core::Result<fhir::Node> toFhir(const TNode& root, const fhir::Model& model) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  writeJson(w, root);
  auto r = fhir::readJson(model, sb.GetString());
  if (!r.ok()) {
    return core::invalid("the output is not a valid " + root.name + ": " + r.issues.front().message + " at " +
                         r.issues.front().expression);
  }
  return std::move(r.resource);
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
