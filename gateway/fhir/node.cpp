#include "fhir/node.h"

namespace onedoor::fhir {

const Node* Node::child(std::string_view n) const {
  for (const auto& c : children) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

Node* Node::child(std::string_view n) {
  for (auto& c : children) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

std::vector<const Node*> Node::childrenNamed(std::string_view n) const {
  std::vector<const Node*> out;
  for (const auto& c : children) {
    if (c.name == n) out.push_back(&c);
  }
  return out;
}

std::string_view Node::childValue(std::string_view n) const {
  const Node* c = child(n);
  return c != nullptr && c->has_value ? std::string_view(c->value) : std::string_view{};
}

Node* Node::add(std::string_view json_name) {
  if (type == nullptr) return nullptr;
  const TypeInfo* concrete = nullptr;
  const ElementDef* d = type->resolve(json_name, &concrete);
  if (d == nullptr) return nullptr;
  auto pos = children.begin();
  while (pos != children.end() && pos->def != nullptr && pos->def->order <= d->order) ++pos;
  return &*children.insert(pos, Node(d->name, concrete, d));
}

Node* Node::set(std::string_view json_name, std::string v) {
  if (type == nullptr) return nullptr;
  const TypeInfo* concrete = nullptr;
  const ElementDef* d = type->resolve(json_name, &concrete);
  if (d == nullptr) return nullptr;
  Node* n = nullptr;
  if (!d->repeating()) {
    for (auto& c : children) {
      if (c.def == d) n = &c;
    }
    if (n != nullptr && n->type != concrete) {
      removeChildren(d->name);
      n = nullptr;
    }
  }
  if (n == nullptr) n = add(json_name);
  n->value = std::move(v);
  n->has_value = true;
  return n;
}

Node* Node::addResource(std::string_view json_name, Node resource) {
  Node* slot = add(json_name);
  if (slot == nullptr) return nullptr;
  slot->type = resource.type;
  slot->children = std::move(resource.children);
  return slot;
}

Node& Node::addUntyped(std::string n) {
  children.emplace_back(std::move(n), nullptr, nullptr);
  return children.back();
}

void Node::removeChildren(std::string_view n) {
  std::erase_if(children, [&](const Node& c) { return c.name == n; });
}

Node makeResource(const TypeInfo& type) { return Node(type.name, &type, nullptr); }

void forEachReference(Node& n, const std::function<void(Node& reference)>& f) {
  if (n.type != nullptr && n.type->name == "Reference") {
    if (Node* ref = n.child("reference"); ref != nullptr && ref->has_value) f(*ref);
  }
  for (auto& c : n.children) forEachReference(c, f);
}

void forEachReference(const Node& n, const std::function<void(const Node& reference)>& f) {
  if (n.type != nullptr && n.type->name == "Reference") {
    if (const Node* ref = n.child("reference"); ref != nullptr && ref->has_value) f(*ref);
  }
  for (const auto& c : n.children) forEachReference(c, f);
}

}  // namespace onedoor::fhir
