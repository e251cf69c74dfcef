#include "fhir/terminology.h"

#include <algorithm>
#include <functional>

namespace onedoor::fhir {
namespace {

using CodeSet = std::set<std::pair<std::string, std::string>>;

// Every concept of a CodeSystem node with its descendants, in hierarchy order.
void walk(const Node& parent, const std::function<void(const Node&, const std::vector<std::string>&)>& f,
          std::vector<std::string>& ancestors) {
  for (const Node* c : parent.childrenNamed("concept")) {
    f(*c, ancestors);
    ancestors.emplace_back(c->childValue("code"));
    walk(*c, f, ancestors);
    ancestors.pop_back();
  }
}

bool codeSystemComplete(const Node& cs) {
  std::string_view content = cs.childValue("content");
  return content.empty() || content == "complete";
}

}  // namespace

std::shared_ptr<const Terminology::Expansion> Terminology::expand(std::string_view valueset) const {
  std::string url(valueset.substr(0, valueset.find('|')));
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(url); it != cache_.end()) return it->second;
  }
  auto e = compute(url, 0);
  std::lock_guard lock(mu_);
  cache_.emplace(url, e);
  return e;
}

std::shared_ptr<const Terminology::Expansion> Terminology::compute(const std::string& url, int depth) const {
  auto out = std::make_shared<Expansion>();
  auto vs = defs_->resource(url);
  if (!vs.isOk() || depth > 8 || (*vs)->type == nullptr || (*vs)->type->name != "ValueSet") return out;
  out->valid = true;
  const Node* compose = (*vs)->child("compose");
  if (compose == nullptr) {
    // No compose: use an expansion if the package carries one.
    if (const Node* expansion = (*vs)->child("expansion")) {
      std::function<void(const Node&)> add = [&](const Node& n) {
        for (const Node* c : n.childrenNamed("contains")) {
          if (!c->childValue("code").empty()) out->codes.emplace(c->childValue("system"), c->childValue("code"));
          add(*c);
        }
      };
      add(*expansion);
    } else {
      out->valid = false;
    }
    return out;
  }
  auto include = [&](const Node& inc, CodeSet& codes, std::set<std::string>& open) {
    std::string system(inc.childValue("system"));
    CodeSet part;
    bool part_open = false;
    bool have_system_part = !system.empty();
    if (have_system_part) {
      auto concepts = inc.childrenNamed("concept");
      auto filters = inc.childrenNamed("filter");
      if (!concepts.empty()) {
        for (const Node* c : concepts) part.emplace(system, c->childValue("code"));
      } else {
        auto cs = defs_->resource(system);
        if (!cs.isOk() || !codeSystemComplete(**cs)) {
          part_open = true;
        } else {
          std::vector<std::string> ancestors;
          walk(**cs, [&](const Node& concept_node, const std::vector<std::string>& anc) {
            std::string code(concept_node.childValue("code"));
            bool keep = true;
            for (const Node* f : filters) {
              std::string_view op = f->childValue("op");
              std::string_view value = f->childValue("value");
              bool below = std::find(anc.begin(), anc.end(), value) != anc.end();
              if (op == "is-a") keep = keep && (code == value || below);
              else if (op == "descendent-of") keep = keep && below;
              else if (op == "is-not-a") keep = keep && !(code == value || below);
              else if (op == "=" && f->childValue("property") == "concept") keep = keep && code == value;
              else part_open = true;  // a property filter this expander does not evaluate
            }
            if (keep) part.emplace(system, code);
          }, ancestors);
        }
      }
    }
    // valueSet references intersect with the system part (or stand alone).
    for (const Node* ref : inc.childrenNamed("valueSet")) {
      auto sub = compute(std::string(ref->value.substr(0, ref->value.find('|'))), depth + 1);
      if (!sub->valid) {
        part_open = true;
        continue;
      }
      if (have_system_part) {
        CodeSet kept;
        for (const auto& c : part) {
          if (sub->codes.count(c)) kept.insert(c);
        }
        part = std::move(kept);
      } else {
        part.insert(sub->codes.begin(), sub->codes.end());
        open.insert(sub->open_systems.begin(), sub->open_systems.end());
        have_system_part = true;
      }
    }
    if (part_open && !system.empty()) open.insert(system);
    codes.insert(part.begin(), part.end());
  };
  for (const Node* inc : compose->childrenNamed("include")) include(*inc, out->codes, out->open_systems);
  for (const Node* exc : compose->childrenNamed("exclude")) {
    CodeSet removed;
    std::set<std::string> ignored;
    include(*exc, removed, ignored);
    for (const auto& c : removed) out->codes.erase(c);
  }
  return out;
}

std::optional<bool> Terminology::contains(std::string_view valueset, std::string_view system,
                                          std::string_view code) const {
  auto e = expand(valueset);
  if (!e->valid) return std::nullopt;
  if (!system.empty()) {
    if (e->codes.count({std::string(system), std::string(code)})) return true;
    if (e->open_systems.count(std::string(system))) return std::nullopt;
    return false;
  }
  for (const auto& [s, c] : e->codes) {
    if (c == code) return true;
  }
  if (!e->open_systems.empty()) return std::nullopt;
  return false;
}

bool Terminology::knows(std::string_view valueset) const {
  auto e = expand(valueset);
  return e->valid && e->open_systems.empty();
}

std::optional<bool> Terminology::validCode(std::string_view system, std::string_view code) const {
  std::shared_ptr<const std::set<std::string>> codes;
  bool cached = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = systems_.find(system); it != systems_.end()) {
      codes = it->second;
      cached = true;
    }
  }
  if (!cached) {
    // Null when the system is not held in full: remembered too, so the lookup is done once.
    auto cs = defs_->resource(system);
    if (cs.isOk() && (*cs)->type != nullptr && (*cs)->type->name == "CodeSystem" && codeSystemComplete(**cs)) {
      auto all = std::make_shared<std::set<std::string>>();
      std::vector<std::string> ancestors;
      walk(**cs, [&](const Node& c, const std::vector<std::string>&) { all->emplace(c.childValue("code")); },
           ancestors);
      codes = std::move(all);
    }
    std::lock_guard lock(mu_);
    systems_.emplace(std::string(system), codes);
  }
  if (codes == nullptr) return std::nullopt;
  return codes->count(std::string(code)) > 0;
}

std::vector<std::string> Terminology::displays(std::string_view system, std::string_view code) const {
  std::vector<std::string> out;
  auto cs = defs_->resource(system);
  if (!cs.isOk() || (*cs)->type == nullptr || (*cs)->type->name != "CodeSystem") return out;
  std::vector<std::string> ancestors;
  walk(**cs, [&](const Node& c, const std::vector<std::string>&) {
    if (c.childValue("code") != code) return;
    if (!c.childValue("display").empty()) out.emplace_back(c.childValue("display"));
    for (const Node* d : c.childrenNamed("designation")) {
      if (!d->childValue("value").empty()) out.emplace_back(d->childValue("value"));
    }
  }, ancestors);
  return out;
}

std::optional<std::string> Terminology::display(std::string_view system, std::string_view code) const {
  auto cs = defs_->resource(system);
  if (!cs.isOk()) return std::nullopt;
  std::optional<std::string> found;
  std::vector<std::string> ancestors;
  walk(**cs, [&](const Node& c, const std::vector<std::string>&) {
    if (c.childValue("code") == code) found = std::string(c.childValue("display"));
  }, ancestors);
  return found;
}

}  // namespace onedoor::fhir
