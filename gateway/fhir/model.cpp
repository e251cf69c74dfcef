#include "fhir/model.h"

#include <algorithm>
#include <cctype>

namespace onedoor::fhir {

std::string ElementDef::nameFor(const TypeInfo* type) const {
  if (!choice || type == nullptr) return name;
  std::string out = name;
  out += static_cast<char>(std::toupper(static_cast<unsigned char>(type->name[0])));
  out.append(type->name, 1, std::string::npos);
  return out;
}

bool TypeInfo::isa(std::string_view type_name) const {
  for (const TypeInfo* t = this; t != nullptr; t = t->base) {
    if (t->name == type_name) return true;
  }
  return false;
}

const ElementDef* TypeInfo::element(std::string_view n) const {
  for (const auto& e : elements) {
    if (e.name == n) return &e;
  }
  return nullptr;
}

const ElementDef* TypeInfo::resolve(std::string_view key, const TypeInfo** concrete) const {
  for (const auto& e : elements) {
    if (key.size() < e.name.size() || key.compare(0, e.name.size(), e.name) != 0) continue;
    if (!e.choice) {
      if (key.size() != e.name.size()) continue;
      if (concrete != nullptr) *concrete = e.types.empty() ? nullptr : e.types.front();
      return &e;
    }
    std::string_view suffix = key.substr(e.name.size());
    if (suffix.empty()) continue;
    for (const TypeInfo* t : e.types) {
      if (t->name.size() != suffix.size()) continue;
      if (std::toupper(static_cast<unsigned char>(t->name[0])) != suffix[0]) continue;
      if (t->name.compare(1, std::string::npos, suffix.substr(1)) != 0) continue;
      if (concrete != nullptr) *concrete = t;
      return &e;
    }
  }
  return nullptr;
}

const TypeInfo* Model::type(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const TypeInfo* Model::resourceType(std::string_view name) const {
  const TypeInfo* t = type(name);
  if (t == nullptr || t->kind != TypeKind::kResource || t->abstract) return nullptr;
  return t;
}

std::vector<const TypeInfo*> Model::resourceTypes() const {
  std::vector<const TypeInfo*> out;
  for (const auto& t : types_) {
    if (t.kind == TypeKind::kResource && !t.abstract) out.push_back(&t);
  }
  std::sort(out.begin(), out.end(),
            [](const TypeInfo* a, const TypeInfo* b) { return a->name < b->name; });
  return out;
}

TypeInfo& Model::add(std::string name) {
  TypeInfo& t = types_.emplace_back();
  t.name = std::move(name);
  by_name_[t.name] = &t;
  return t;
}

TypeInfo* Model::mutableType(std::string_view name) {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace onedoor::fhir
