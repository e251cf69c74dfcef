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

std::optional<Translation> translateCode(const Map& map, const std::function<const fhir::Node*(const std::string&)>& lookup,
                                         const std::string& url, const std::string& system, const std::string& code) {
  if (!url.empty() && url.front() == '#') {
    for (const auto& cm : map.concept_maps) {
      if (cm.id != url && "#" + cm.id != url) continue;
      for (const auto& m : cm.mappings) {
        if (m.source_code == code && (system.empty() || m.source_system == system) && m.equivalence != "unmatched" &&
            m.equivalence != "disjoint") {
          return Translation{m.target_system, m.target_code};
        }
      }
    }
    return std::nullopt;
  }
  const fhir::Node* cm = lookup ? lookup(url) : nullptr;
  if (cm == nullptr) return std::nullopt;
  for (const fhir::Node* grp : cm->childrenNamed("group")) {
    if (!system.empty() && grp->childValue("source") != system) continue;
    for (const fhir::Node* el : grp->childrenNamed("element")) {
      if (el->childValue("code") != code) continue;
      for (const fhir::Node* tg : el->childrenNamed("target")) {
        std::string_view eq = tg->childValue("equivalence");
        if (eq == "unmatched" || eq == "disjoint") continue;
        return Translation{std::string(grp->childValue("target")), std::string(tg->childValue("code"))};
      }
    }
  }
  return std::nullopt;
}

}  // namespace onedoor::fml
