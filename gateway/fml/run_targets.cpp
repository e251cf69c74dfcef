// Putting values into the target tree: the elements rules name (typed by the model, choice
// elements by what goes in), values and copies, references, and the parameters of transforms.

#include <cstdint>

#include "core/env.h"
#include "fml/run.h"

namespace onedoor::fml {

bool Run::target(const Group& g, const Rule& r, const Target& t, Scope& scope) {
  Produced p;
  if (!t.transform.empty()) p = transformValue(g, r, t, scope);
  // A transform that gave nothing (evaluate of an empty collection, translate of a code mapped to
  // nothing) makes no element.
  if (!t.transform.empty() && p.kind == Produced::Kind::kNone) return false;
  TNode* made = nullptr;
  if (t.context.empty()) {
    // A bare transform (create('Basic') as x, evaluate(...) as x): a variable only.
    if (p.kind == Produced::Kind::kValue) {
      if (!t.variable.empty()) scope.push(t.variable, Var{false, p.value, nullptr});
      return false;
    }
    if (p.kind == Produced::Kind::kTarget && !p.type.empty()) {
      const fhir::TypeInfo* type = model_.type(p.type);
      if (type == nullptr) fail(g, &r, "create: unknown type '" + p.type + "'");
      auto node = std::make_unique<TNode>();
      node->name = type->name;
      node->type = type;
      made = node.get();
      detached_.push_back(std::move(node));
    }
    if (made != nullptr && !t.variable.empty())
      scope.push(t.variable, Var{true, fhirpath::Value::boolean(false), made});
    return false;
  }
  auto it = scope.find(t.context);
  if (it == scope.end()) fail(g, &r, "unknown variable '" + t.context + "'");
  if (!it->second.target) fail(g, &r, "'" + t.context + "' is a source, used as a target");
  TNode* parent = it->second.node;
  if (t.element.empty()) {
    // `tgt as x`, or `tgt = value` on a primitive target.
    if (p.kind == Produced::Kind::kValue) put(g, r, *parent, p.value);
    if (!t.variable.empty())
      scope.push(t.variable, Var{true, fhirpath::Value::boolean(false), parent});
    return false;
  }
  // A primitive's value: v.value = ... (as the reference implementation reads it).
  if (t.element == "value" && parent->type != nullptr && parent->type->isPrimitive()) {
    if (p.kind == Produced::Kind::kValue) put(g, r, *parent, p.value);
    if (!t.variable.empty())
      scope.push(t.variable, Var{true, fhirpath::Value::boolean(false), parent});
    return false;
  }
  // share: rules that name the same id fill one element.
  std::string share_key;
  if (!t.list_rule_id.empty()) {
    share_key = std::to_string(reinterpret_cast<std::uintptr_t>(parent)) + "|" + t.element + "|" +
                t.list_rule_id;
    if (auto s = shared_.find(share_key); s != shared_.end()) made = s->second;
  }
  if (made == nullptr) {
    std::string concrete;
    if (p.kind == Produced::Kind::kTarget) concrete = p.type;
    if (p.kind == Produced::Kind::kValue) concrete = valueType(p.value);
    made = addChild(g, r, *parent, t.element, concrete, p.kind == Produced::Kind::kNone);
    if (p.kind == Produced::Kind::kValue) put(g, r, *made, p.value);
    if (!share_key.empty()) shared_[share_key] = made;
  }
  if (!t.variable.empty()) scope.push(t.variable, Var{true, fhirpath::Value::boolean(false), made});
  return t.transform == "create" && t.parameters.empty() && t.variable == "vvv";
}

std::string Run::valueType(const fhirpath::Value& v) {
  if (v.isNode()) return v.node()->type != nullptr ? v.node()->type->name : "";
  switch (v.kind()) {
    case fhirpath::Value::Kind::kBoolean:
      return "boolean";
    case fhirpath::Value::Kind::kInteger:
      return "integer";
    case fhirpath::Value::Kind::kDecimal:
      return "decimal";
    case fhirpath::Value::Kind::kDate:
      return "date";
    case fhirpath::Value::Kind::kDateTime:
      return "dateTime";
    case fhirpath::Value::Kind::kTime:
      return "time";
    case fhirpath::Value::Kind::kQuantity:
      return "Quantity";
    default:
      return "string";
  }
}

TNode* Run::addChild(const Group& g, const Rule& r, TNode& parent, const std::string& element,
                     const std::string& concrete, bool reuse) {
  auto node = std::make_unique<TNode>();
  node->parent = &parent;
  node->name = element;
  if (parent.type != nullptr) {
    const fhir::TypeInfo* chosen = nullptr;
    const fhir::ElementDef* d = parent.type->resolve(element, &chosen);
    if (d == nullptr) {
      d = parent.type->element(element);  // a choice by its stem: ext.value = ...
      chosen = nullptr;
    }
    if (d == nullptr) fail(g, &r, "'" + element + "' is not an element of " + parent.type->name);
    node->def = d;
    node->name = d->name;
    if (chosen != nullptr && d->choice && element != d->name) {
      node->type = chosen;  // valueString written out
    } else if (d->types.size() == 1 && !(d->types.front()->abstract && !concrete.empty())) {
      node->type = d->types.front();
    } else if (d->types.size() == 1) {
      // Bundle.entry.resource, contained: an abstract Resource made concrete by what is put there.
      node->type = model_.type(concrete);
      if (node->type == nullptr || !node->type->isa(d->types.front()->name)) {
        fail(g, &r, element + " cannot hold a " + concrete);
      }
    } else if (!concrete.empty()) {
      for (const fhir::TypeInfo* t : d->types) {
        if (t->name == concrete) node->type = t;
      }
      // A date into a choice without date (effective[x]): a dateTime holds a date.
      if (node->type == nullptr && concrete == "date") {
        for (const fhir::TypeInfo* t : d->types) {
          if (t->name == "dateTime") node->type = t;
        }
      }
      // A FHIRPath string into a code, uri ... element of a choice: the first string-like type.
      if (node->type == nullptr && concrete == "string") {
        for (const fhir::TypeInfo* t : d->types) {
          if (t->isPrimitive() && t->system_type == "String") {
            node->type = t;
            break;
          }
        }
      }
      if (node->type == nullptr) fail(g, &r, element + " cannot hold a " + concrete);
    }
    if (!d->repeating()) {
      // A single-valued element is one element: tgt.period as p in two rules fills the same
      // Period; a new value or a created object replaces what was there.
      for (auto it = parent.children.begin(); it != parent.children.end(); ++it) {
        if ((*it)->name != node->name) continue;
        if (reuse && (node->type == nullptr || (*it)->type == node->type)) return it->get();
        parent.children.erase(it);
        break;
      }
    }
  }
  TNode* raw = node.get();
  parent.children.push_back(std::move(node));
  return raw;
}

void Run::put(const Group& g, const Rule& r, TNode& at, const fhirpath::Value& v) {
  if (v.isNode() && !v.node()->isPrimitive() && v.node()->type != nullptr) {
    copyInto(at, *v.node());
    return;
  }
  if (at.type != nullptr && !at.type->isPrimitive()) {
    fail(g, &r, "a simple value cannot be put into " + at.name + " (" + at.type->name + ")");
  }
  at.value = primitiveText(v);
  at.has_value = true;
}

fhirpath::Value Run::param(const Group& g, const Rule& r, const Parameter& p, const Scope& scope) {
  switch (p.kind) {
    case Parameter::Kind::kString:
      return fhirpath::Value::string(p.value);
    case Parameter::Kind::kInteger:
      return fhirpath::Value::integer(std::stoll(p.value));
    case Parameter::Kind::kBoolean:
      return fhirpath::Value::boolean(p.value == "true");
    case Parameter::Kind::kDecimal:
      return fhirpath::Value::string(p.value);
    case Parameter::Kind::kId:
      break;
  }
  auto it = scope.find(p.value);
  if (it == scope.end()) fail(g, &r, "unknown variable '" + p.value + "'");
  if (it->second.target) {
    // A target used as a value (reference(tgt)): its id as a string.
    return fhirpath::Value::string(referenceOf(*it->second.node));
  }
  return it->second.source;
}

std::string Run::text(const Group& g, const Rule& r, const Target& t, std::size_t i,
                      const Scope& scope) {
  if (i >= t.parameters.size())
    fail(g, &r, t.transform + " needs at least " + std::to_string(i + 1) + " parameters");
  return primitiveText(param(g, r, t.parameters[i], scope));
}

std::string Run::newUuid() {
  // OpenSSL's generator: Poco's reopens /dev/urandom for every UUID.
  return options_.uuid ? options_.uuid() : core::Env::real()->uuid();
}

std::string Run::referenceOf(TNode& n) {
  TNode* res = &n;
  while (res != nullptr && !(res->type != nullptr && res->type->isResource())) res = res->parent;
  if (res == nullptr) return {};
  for (const auto& c : res->children) {
    if (c->name == "id") return res->type->name + "/" + c->value;
  }
  auto id = std::make_unique<TNode>();
  id->name = "id";
  id->def = res->type->element("id");
  id->type = id->def != nullptr && !id->def->types.empty() ? id->def->types.front() : nullptr;
  id->value = newUuid();
  id->has_value = true;
  id->parent = res;
  std::string ref = res->type->name + "/" + id->value;
  res->children.push_back(std::move(id));
  return ref;
}

}  // namespace onedoor::fml
