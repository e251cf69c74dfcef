#include "fml/engine.h"

#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "fhir/codec.h"
#include "fhirpath/expression.h"
#include "fml/checker.h"
#include "fml/target_tree.h"

namespace onedoor::fml {

namespace {

// What a variable holds: values of the source (nodes or FHIRPath system values) or a target element.
struct Var {
  bool target = false;
  fhirpath::Value source = fhirpath::Value::boolean(false);
  TNode* node = nullptr;
};
// The variables in scope: a handful, kept as a stack. A rule binds its source and target
// variables on top of what encloses it and takes them off when it is done (truncate), so that
// nothing is copied per binding; an inner variable of the same name hides an outer one.
class Scope {
 public:
  using Entry = std::pair<std::string, Var>;
  using const_iterator = std::vector<Entry>::const_iterator;
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  const_iterator find(const std::string& name) const {
    for (std::size_t i = entries_.size(); i > 0; --i) {
      if (entries_[i - 1].first == name) return entries_.begin() + static_cast<std::ptrdiff_t>(i - 1);
    }
    return entries_.end();
  }
  std::size_t count(const std::string& name) const { return find(name) != end() ? 1 : 0; }
  const Var& at(const std::string& name) const {
    auto it = find(name);
    if (it == end()) throw std::out_of_range("no variable " + name);
    return it->second;
  }
  void push(const std::string& name, Var v) { entries_.emplace_back(name, std::move(v)); }
  std::size_t size() const { return entries_.size(); }
  void truncate(std::size_t n) { entries_.resize(n); }

 private:
  std::vector<Entry> entries_;
};

// A value produced by a transform, before it is put into the target.
struct Produced {
  enum class Kind { kNone, kValue, kTarget } kind = Kind::kNone;
  fhirpath::Value value = fhirpath::Value::boolean(false);  // kValue: a system value or a source node
  std::string type;                                         // kTarget: the type to create
  TNode* target = nullptr;                                  // kTarget: an existing target element
};

struct Failure {
  std::string message;
};

std::string primitiveText(const fhirpath::Value& v) {
  if (v.isNode()) {
    const fhir::Node* n = v.node();
    return n->has_value ? n->value : std::string();
  }
  return v.toDisplayString().value_or("");
}

// Variables are written bare in map expressions (`item.answer`), as the reference
// implementation resolves them; they become %variables here.
std::string withVariables(const std::string& expr, const std::vector<std::string>& scope,
                                 std::vector<std::string>& used) {
  std::string out;
  char quote = 0;
  for (std::size_t i = 0; i < expr.size();) {
    char c = expr[i];
    if (quote) {
      out += c;
      if (c == quote) quote = 0;
      ++i;
      continue;
    }
    if (c == '\'' || c == '`') {
      quote = c;
      out += c;
      ++i;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[j])) || expr[j] == '_')) ++j;
      std::string id = expr.substr(i, j - i);
      std::size_t k = out.find_last_not_of(" \t");
      bool after_dot = k != std::string::npos && (out[k] == '.' || out[k] == '%');
      bool call = j < expr.size() && expr[j] == '(';
      if (!after_dot && !call && std::find(scope.begin(), scope.end(), id) != scope.end()) {
        out += '%';
        if (std::find(used.begin(), used.end(), id) == used.end()) used.push_back(id);
      }
      // %name written out: a variable the expression reads.
      if (k != std::string::npos && out[k] == '%' && std::find(used.begin(), used.end(), id) == used.end()) used.push_back(id);
      out += id;
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace

class Run {
 public:
  Run(const CompiledMap& cm, const TransformOptions& options) : cm_(cm), map_(cm.map_), model_(*cm.model_), options_(options) {}

  fhir::Node transform(const fhir::Node& source) {
    const Group& g = map_.groups.front();
    const Input* src = nullptr;
    const Input* tgt = nullptr;
    for (const auto& in : g.inputs) {
      if (in.mode == "source" && src == nullptr) src = &in;
      if (in.mode == "target" && tgt == nullptr) tgt = &in;
    }
    if (src == nullptr || tgt == nullptr) fail(g, nullptr, "the first group needs a source and a target input");
    // A FHIR target is a resource of that type; the target of another format (a logical model,
    // such as a CSV layout) is an untyped tree named after it.
    std::string target_type = targetType(*tgt);
    const fhir::TypeInfo* type = model_.resourceType(target_type);
    if (type == nullptr && fhirStructure(*tgt)) {
      fail(g, nullptr, "the target type '" + target_type + "' is not a FHIR resource type");
    }
    root_.name = type != nullptr ? type->name : target_type;
    root_.type = type;
    Scope scope;
    scope.push(src->name, Var{false, fhirpath::Value(&source), nullptr});
    scope.push(tgt->name, Var{true, fhirpath::Value::boolean(false), &root_});
    source_root_ = &source;
    env_.model = &model_;
    env_.primitive_value_member = true;
    env_.resource = source_root_;
    runGroup(g, scope, 0);
    return toNode();
  }

 private:
  // --- errors ------------------------------------------------------------------------------
  [[noreturn]] void fail(const Group& g, const Rule* r, const std::string& what) const {
    std::string where = "map " + map_.name + ", group " + g.name;
    if (r != nullptr) where += ", rule " + r->name + " (" + r->at.toString() + ")";
    throw Failure{where + ": " + what};
  }

  // Whether the input's structure is a FHIR one (http://hl7.org/fhir/StructureDefinition/...).
  bool fhirStructure(const Input& in) const {
    for (const auto& s : map_.structures) {
      if (!in.type.empty() && (s.alias == in.type || s.url == in.type)) {
        return s.url.rfind("http://hl7.org/fhir/StructureDefinition/", 0) == 0;
      }
    }
    return true;
  }

  std::string targetType(const Input& in) const {
    // An alias names a structure; its URL's last segment is the FHIR type.
    for (const auto& s : map_.structures) {
      if (!in.type.empty() && (s.alias == in.type || s.url == in.type)) return s.url.substr(s.url.rfind('/') + 1);
    }
    return in.type;
  }

  // `expr` is text of the map (its address names the place in the map, where the variables in
  // scope are always the same ones).
  fhirpath::Collection evaluate(const Group& g, const Rule* r, const std::string& expr, const fhirpath::Value& focus,
                                const Scope& scope) {
    auto prepared = cm_.prepared(expr, [&] {
      std::vector<std::string> names;
      for (const auto& [name, v] : scope) names.push_back(name);
      return names;
    });
    if (!prepared.isOk()) fail(g, r, "FHIRPath '" + expr + "': " + prepared.status().message());
    const CompiledMap::Prepared& compiled = **prepared;
    // One environment for the whole run: what resolve() fetches stays in its arena for as long
    // as the values that point into it.
    env_.variables.clear();
    for (const auto& name : compiled.variables) {
      auto it = scope.find(name);
      if (it != scope.end() && !it->second.target) env_.variables[name] = {it->second.source};
    }
    auto result = compiled.expression->evaluate(fhirpath::Collection{focus}, env_);
    if (!result.isOk()) fail(g, r, "FHIRPath '" + expr + "': " + result.status().message());
    return std::move(result).value();
  }

  // --- groups and rules --------------------------------------------------------------------
  const Group* findGroup(const std::string& name) const {
    for (const auto& g : map_.groups) {
      if (g.name == name) return &g;
    }
    return nullptr;
  }

  void runGroup(const Group& g, Scope& scope, int depth) {
    if (depth > 64) fail(g, nullptr, "groups call each other more than 64 deep");
    if (!g.extends.empty()) {
      const Group* base = findGroup(g.extends);
      if (base == nullptr) fail(g, nullptr, "extends unknown group '" + g.extends + "'");
      Scope inherited;
      for (std::size_t i = 0; i < base->inputs.size() && i < g.inputs.size(); ++i) {
        inherited.push(base->inputs[i].name, scope.at(g.inputs[i].name));
      }
      runGroup(*base, inherited, depth + 1);
    }
    for (const auto& r : g.rules) runRule(g, r, scope, depth);
  }

  void call(const Group& from, const Rule& r, const Group& g, const std::vector<Var>& args, int depth) {
    if (args.size() != g.inputs.size()) {
      fail(from, &r, "group " + g.name + " takes " + std::to_string(g.inputs.size()) + " arguments, given " +
                         std::to_string(args.size()));
    }
    Scope scope;
    for (std::size_t i = 0; i < args.size(); ++i) scope.push(g.inputs[i].name, args[i]);
    runGroup(g, scope, depth + 1);
  }

  fhirpath::Collection sourceValues(const Group& g, const Rule& r, const Source& s, const Scope& scope) {
    auto it = scope.find(s.context);
    if (it == scope.end()) fail(g, &r, "unknown variable '" + s.context + "'");
    if (it->second.target) fail(g, &r, "'" + s.context + "' is a target, used as a source");
    fhirpath::Collection values;
    if (s.element.empty()) {
      values.push_back(it->second.source);
    } else if (it->second.source.isNode()) {
      const fhir::Node* n = it->second.source.node();
      std::string stem = s.element;
      const fhir::TypeInfo* want = nullptr;
      if (n->type != nullptr) {
        if (const fhir::ElementDef* d = n->type->resolve(s.element, &want)) {
          stem = d->name;
          if (!d->choice) want = nullptr;
        }
      }
      for (const fhir::Node* c : n->childrenNamed(stem)) {
        if (want == nullptr || c->type == want) values.push_back(fhirpath::Value(c));
      }
    }
    if (!s.type.empty()) {
      std::erase_if(values, [&](const fhirpath::Value& v) {
        return !(v.isNode() && v.node()->type != nullptr && v.node()->type->isa(s.type)) && v.type().name != s.type;
      });
    }
    if (values.empty() && !s.default_value.empty()) {
      values = evaluate(g, &r, s.default_value, it->second.source, scope);
    }
    return values;
  }

  // The list mode, applied to the values the where clause kept (as the reference implementation does).
  void applyListMode(const Group& g, const Rule& r, const Source& s, fhirpath::Collection& values) const {
    if (s.list_mode == "first" && values.size() > 1) values.erase(values.begin() + 1, values.end());
    if (s.list_mode == "not_first" && !values.empty()) values.erase(values.begin());
    if (s.list_mode == "last" && values.size() > 1) values.erase(values.begin(), values.end() - 1);
    if (s.list_mode == "not_last" && !values.empty()) values.pop_back();
    if (s.list_mode == "only_one" && values.size() > 1) {
      fail(g, &r, s.context + "." + s.element + " has " + std::to_string(values.size()) + " values, only_one allowed");
    }
  }

  // A condition's result read as a Boolean, as FHIRPath reads a collection: empty is false, a
  // single Boolean is itself, anything else that is there is true.
  static bool truthy(const fhirpath::Collection& c) {
    if (c.empty()) return false;
    if (c.size() == 1 && c.front().kind() == fhirpath::Value::Kind::kBoolean) return c.front().asBoolean();
    if (c.size() == 1 && c.front().isNode() && c.front().node()->isPrimitive() && c.front().node()->value == "false") {
      return false;
    }
    return true;
  }

  void runRule(const Group& g, const Rule& r, Scope& scope, int depth) {
    std::size_t mark = scope.size();
    bindSources(g, r, 0, scope, depth);
    scope.truncate(mark);
  }

  // Every combination of the sources' values, each with its where/check/log.
  void bindSources(const Group& g, const Rule& r, std::size_t i, Scope& scope, int depth) {
    if (i == r.sources.size()) {
      act(g, r, scope, depth);
      return;
    }
    const Source& s = r.sources[i];
    fhirpath::Collection values = sourceValues(g, r, s, scope);
    const std::size_t mark = scope.size();
    if (!s.condition.empty()) {
      std::erase_if(values, [&](const fhirpath::Value& v) {
        if (!s.variable.empty()) scope.push(s.variable, Var{false, v, nullptr});
        bool keep = truthy(evaluate(g, &r, s.condition, v, scope));
        scope.truncate(mark);
        return !keep;
      });
    }
    applyListMode(g, r, s, values);
    for (const auto& v : values) {
      if (!s.variable.empty()) scope.push(s.variable, Var{false, v, nullptr});
      if (!s.check.empty() && !truthy(evaluate(g, &r, s.check, v, scope))) {
        fail(g, &r, "check failed: " + s.check);
      }
      if (!s.log.empty()) (void)evaluate(g, &r, s.log, v, scope);
      bindSources(g, r, i + 1, scope, depth);
      scope.truncate(mark);
    }
  }

  // The rule's targets, then its inner rules and groups, with the target variables bound on top
  // of `scope` (taken off by the caller's truncate).
  void act(const Group& g, const Rule& r, Scope& scope, int depth) {
    bool created_short_form = false;
    for (const auto& t : r.targets) created_short_form = target(g, r, t, scope) || created_short_form;
    for (const auto& child : r.rules) runRule(g, child, scope, depth);
    for (const auto& d : r.dependents) {
      const Group* callee = findGroup(d.name);
      if (callee == nullptr) fail(g, &r, "then calls unknown group '" + d.name + "'");
      std::vector<Var> args;
      for (const auto& v : d.variables) {
        auto it = scope.find(v);
        if (it == scope.end()) fail(g, &r, "then " + d.name + "(...): unknown variable '" + v + "'");
        args.push_back(it->second);
      }
      call(g, r, *callee, args, depth);
    }
    if (created_short_form) defaultGroup(g, r, scope, depth);
  }

  // The short form: the created target's content comes from the group for the two types, or,
  // for primitives, is the source's value.
  void defaultGroup(const Group& g, const Rule& r, const Scope& scope, int depth) {
    const Var& s = scope.at(r.sources.front().variable);
    const Var& t = scope.at(r.targets.front().variable);
    std::string stype = s.source.isNode() && s.source.node()->type != nullptr ? s.source.node()->type->name : "";
    std::string ttype = t.node->type != nullptr ? t.node->type->name : "";
    for (const auto& cand : map_.groups) {
      if (cand.type_mode == "none" || cand.inputs.size() != 2) continue;
      if (cand.inputs[0].type == stype && cand.inputs[1].type == ttype) {
        call(g, r, cand, {s, t}, depth);
        return;
      }
    }
    if (t.node->type != nullptr && t.node->type->isPrimitive()) {
      t.node->value = primitiveText(s.source);
      t.node->has_value = true;
      return;
    }
    if (s.source.isNode()) {
      copyInto(*t.node, *s.source.node());
      return;
    }
    fail(g, &r, "no group maps " + stype + " to " + ttype);
  }

  // --- targets -----------------------------------------------------------------------------
  // Returns whether this is the short form's created target (vvv).
  bool target(const Group& g, const Rule& r, const Target& t, Scope& scope) {
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
      if (made != nullptr && !t.variable.empty()) scope.push(t.variable, Var{true, fhirpath::Value::boolean(false), made});
      return false;
    }
    auto it = scope.find(t.context);
    if (it == scope.end()) fail(g, &r, "unknown variable '" + t.context + "'");
    if (!it->second.target) fail(g, &r, "'" + t.context + "' is a source, used as a target");
    TNode* parent = it->second.node;
    if (t.element.empty()) {
      // `tgt as x`, or `tgt = value` on a primitive target.
      if (p.kind == Produced::Kind::kValue) put(g, r, *parent, p.value);
      if (!t.variable.empty()) scope.push(t.variable, Var{true, fhirpath::Value::boolean(false), parent});
      return false;
    }
    // A primitive's value: v.value = ... (as the reference implementation reads it).
    if (t.element == "value" && parent->type != nullptr && parent->type->isPrimitive()) {
      if (p.kind == Produced::Kind::kValue) put(g, r, *parent, p.value);
      if (!t.variable.empty()) scope.push(t.variable, Var{true, fhirpath::Value::boolean(false), parent});
      return false;
    }
    // share: rules that name the same id fill one element.
    std::string share_key;
    if (!t.list_rule_id.empty()) {
      share_key = std::to_string(reinterpret_cast<std::uintptr_t>(parent)) + "|" + t.element + "|" + t.list_rule_id;
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

  // The FHIR type name a value would have in the target (for choice elements).
  static std::string valueType(const fhirpath::Value& v) {
    if (v.isNode()) return v.node()->type != nullptr ? v.node()->type->name : "";
    switch (v.kind()) {
      case fhirpath::Value::Kind::kBoolean: return "boolean";
      case fhirpath::Value::Kind::kInteger: return "integer";
      case fhirpath::Value::Kind::kDecimal: return "decimal";
      case fhirpath::Value::Kind::kDate: return "date";
      case fhirpath::Value::Kind::kDateTime: return "dateTime";
      case fhirpath::Value::Kind::kTime: return "time";
      case fhirpath::Value::Kind::kQuantity: return "Quantity";
      default: return "string";
    }
  }

  TNode* addChild(const Group& g, const Rule& r, TNode& parent, const std::string& element, const std::string& concrete,
                  bool reuse) {
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

  // Puts a value into a target element: a primitive's value, or a copy of a source node.
  void put(const Group& g, const Rule& r, TNode& at, const fhirpath::Value& v) {
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

  // --- transforms --------------------------------------------------------------------------
  fhirpath::Value param(const Group& g, const Rule& r, const Parameter& p, const Scope& scope) {
    switch (p.kind) {
      case Parameter::Kind::kString: return fhirpath::Value::string(p.value);
      case Parameter::Kind::kInteger: return fhirpath::Value::integer(std::stoll(p.value));
      case Parameter::Kind::kBoolean: return fhirpath::Value::boolean(p.value == "true");
      case Parameter::Kind::kDecimal: return fhirpath::Value::string(p.value);
      case Parameter::Kind::kId: break;
    }
    auto it = scope.find(p.value);
    if (it == scope.end()) fail(g, &r, "unknown variable '" + p.value + "'");
    if (it->second.target) {
      // A target used as a value (reference(tgt)): its id as a string.
      return fhirpath::Value::string(referenceOf(*it->second.node));
    }
    return it->second.source;
  }
  std::string text(const Group& g, const Rule& r, const Target& t, std::size_t i, const Scope& scope) {
    if (i >= t.parameters.size()) fail(g, &r, t.transform + " needs at least " + std::to_string(i + 1) + " parameters");
    return primitiveText(param(g, r, t.parameters[i], scope));
  }

  std::string newUuid() {
    return options_.uuid ? options_.uuid() : Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  }

  // Type/id of a target resource (given an id if it has none yet), or of a source resource.
  std::string referenceOf(TNode& n) {
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

  Produced transformValue(const Group& g, const Rule& r, const Target& t, const Scope& scope) {
    Produced p;
    const std::string& f = t.transform;
    auto value = [&](fhirpath::Value v) {
      p.kind = Produced::Kind::kValue;
      p.value = std::move(v);
      return p;
    };
    if (f == "create") {
      p.kind = Produced::Kind::kTarget;
      if (!t.parameters.empty()) p.type = text(g, r, t, 0, scope);
      return p;
    }
    if (f == "copy") {
      if (t.parameters.empty()) fail(g, &r, "copy needs a value");
      return value(param(g, r, t.parameters[0], scope));
    }
    if (f == "evaluate") {
      // evaluate(expr) or evaluate(v, expr)
      fhirpath::Value focus = fhirpath::Value(source_root_);
      const std::string* expr = nullptr;
      if (t.parameters.size() == 1) {
        expr = &t.parameters[0].value;
      } else if (t.parameters.size() >= 2) {
        focus = param(g, r, t.parameters[0], scope);
        expr = &t.parameters[1].value;
      } else {
        fail(g, &r, "evaluate needs an expression");
      }
      auto result = evaluate(g, &r, *expr, focus, scope);
      if (result.empty()) {
        p.kind = Produced::Kind::kNone;
        return p;
      }
      return value(result.front());
    }
    if (f == "truncate") {
      std::string s = text(g, r, t, 0, scope);
      std::size_t n = static_cast<std::size_t>(std::stoul(text(g, r, t, 1, scope)));
      return value(fhirpath::Value::string(s.substr(0, n)));
    }
    if (f == "append") {
      std::string s;
      for (std::size_t i = 0; i < t.parameters.size(); ++i) s += text(g, r, t, i, scope);
      return value(fhirpath::Value::string(s));
    }
    if (f == "escape") return value(fhirpath::Value::string(text(g, r, t, 0, scope)));
    if (f == "uuid") return value(fhirpath::Value::string(newUuid()));
    if (f == "cast") {
      std::string s = text(g, r, t, 0, scope);
      std::string to = t.parameters.size() > 1 ? text(g, r, t, 1, scope) : "string";
      if (to == "integer") return value(fhirpath::Value::integer(std::stoll(s)));
      if (to == "boolean") return value(fhirpath::Value::boolean(s == "true"));
      return value(fhirpath::Value::string(s));
    }
    if (f == "reference") {
      if (t.parameters.empty()) fail(g, &r, "reference needs a resource");
      const Parameter& prm = t.parameters[0];
      auto it = scope.find(prm.value);
      if (prm.kind == Parameter::Kind::kId && it != scope.end()) {
        if (it->second.target) return value(fhirpath::Value::string(referenceOf(*it->second.node)));
        const fhirpath::Value& v = it->second.source;
        if (v.isNode() && v.node()->isResource()) {
          return value(fhirpath::Value::string(v.node()->type->name + "/" + std::string(v.node()->childValue("id"))));
        }
      }
      fail(g, &r, "reference needs a resource variable");
    }
    if (f == "c" || f == "cc") return coding(g, r, t, scope, p);
    if (f == "id") return identifier(g, r, t, scope, p);
    if (f == "cp") return contactPoint(g, r, t, scope, p);
    if (f == "qty") return quantity(g, r, t, scope, p);
    if (f == "translate") return translate(g, r, t, scope, p);
    fail(g, &r, "the transform " + f + " is not supported by this engine");
  }

  // Complex results are built as a detached target node and copied in as a node value.
  Produced complex(const std::string& type, const std::vector<std::pair<std::string, std::string>>& fields) {
    const fhir::TypeInfo* ti = model_.type(type);
    fhir::Node n(type, ti, nullptr);
    for (const auto& [k, v] : fields) {
      if (!v.empty()) n.set(k, v);
    }
    arena_.push_back(std::move(n));
    Produced p;
    p.kind = Produced::Kind::kValue;
    p.value = fhirpath::Value(&arena_.back());
    return p;
  }
  Produced coding(const Group& g, const Rule& r, const Target& t, const Scope& scope, Produced) {
    std::string system = text(g, r, t, 0, scope);
    if (t.transform == "cc" && t.parameters.size() == 1) {
      return complex("CodeableConcept", {{"text", system}});
    }
    std::string code = text(g, r, t, 1, scope);
    std::string display = t.parameters.size() > 2 ? text(g, r, t, 2, scope) : "";
    if (t.transform == "c") return complex("Coding", {{"system", system}, {"code", code}, {"display", display}});
    const fhir::TypeInfo* ti = model_.type("CodeableConcept");
    fhir::Node cc("CodeableConcept", ti, nullptr);
    if (fhir::Node* c = cc.add("coding")) {
      c->set("system", system);
      c->set("code", code);
      if (!display.empty()) c->set("display", display);
    }
    arena_.push_back(std::move(cc));
    Produced p;
    p.kind = Produced::Kind::kValue;
    p.value = fhirpath::Value(&arena_.back());
    return p;
  }
  Produced identifier(const Group& g, const Rule& r, const Target& t, const Scope& scope, Produced) {
    return complex("Identifier", {{"system", text(g, r, t, 0, scope)}, {"value", text(g, r, t, 1, scope)}});
  }
  Produced contactPoint(const Group& g, const Rule& r, const Target& t, const Scope& scope, Produced) {
    std::string v = text(g, r, t, t.parameters.size() > 1 ? 1 : 0, scope);
    std::string system = t.parameters.size() > 1 ? text(g, r, t, 0, scope)
                         : v.find('@') != std::string::npos ? "email"
                                                             : "phone";
    return complex("ContactPoint", {{"system", system}, {"value", v}});
  }
  Produced quantity(const Group& g, const Rule& r, const Target& t, const Scope& scope, Produced) {
    if (t.parameters.size() == 1) {
      std::string s = text(g, r, t, 0, scope);
      auto sp = s.find(' ');
      return complex("Quantity", {{"value", s.substr(0, sp)}, {"unit", sp == std::string::npos ? "" : s.substr(sp + 1)}});
    }
    return complex("Quantity", {{"value", text(g, r, t, 0, scope)},
                                {"unit", text(g, r, t, 1, scope)},
                                {"system", t.parameters.size() > 2 ? text(g, r, t, 2, scope) : ""},
                                {"code", t.parameters.size() > 3 ? text(g, r, t, 3, scope) : ""}});
  }

  // translate(source, map, output): output code | system | display | coding | CodeableConcept.
  Produced translate(const Group& g, const Rule& r, const Target& t, const Scope& scope, Produced p) {
    if (t.parameters.size() < 3) fail(g, &r, "translate needs (source, map, output)");
    fhirpath::Value src = param(g, r, t.parameters[0], scope);
    std::string map_url = text(g, r, t, 1, scope);
    std::string output = text(g, r, t, 2, scope);
    std::string system, code;
    if (src.isNode() && src.node()->type != nullptr &&
        (src.node()->type->name == "Coding" || src.node()->type->name == "CodeableConcept")) {
      const fhir::Node* c = src.node()->type->name == "Coding" ? src.node() : src.node()->child("coding");
      if (c != nullptr) {
        system = std::string(c->childValue("system"));
        code = std::string(c->childValue("code"));
      }
    } else {
      code = primitiveText(src);
    }
    auto lookup = [this](const std::string& url) -> const fhir::Node* {
      if (auto it = cm_.concept_maps_.find(url); it != cm_.concept_maps_.end()) return &it->second;
      return options_.concept_map ? options_.concept_map(url) : nullptr;
    };
    if (map_url.empty() || (map_url.front() != '#' && lookup(map_url) == nullptr)) {
      fail(g, &r, "translate: no ConceptMap " + map_url);
    }
    auto hit = translateCode(map_, lookup, map_url, system, code);
    if (!hit) fail(g, &r, "translate: " + map_url + " has no mapping for " + (system.empty() ? "" : system + "|") + code);
    // A code the ConceptMap maps to nothing on purpose: no value, and the target is left out.
    if (hit->unmatched) return p;
    std::string to_system = hit->system, to_code = hit->code;
    if (output == "code") {
      p.kind = Produced::Kind::kValue;
      p.value = fhirpath::Value::string(to_code);
      return p;
    }
    if (output == "system") {
      p.kind = Produced::Kind::kValue;
      p.value = fhirpath::Value::string(to_system);
      return p;
    }
    if (output == "display") {
      p.kind = Produced::Kind::kValue;
      p.value = fhirpath::Value::string(hit->display);
      return p;
    }
    if (output == "coding") return complex("Coding", {{"system", to_system}, {"code", to_code}, {"display", hit->display}});
    if (output == "CodeableConcept") {
      Target tt;
      tt.transform = "cc";
      tt.parameters = {{Parameter::Kind::kString, to_system}, {Parameter::Kind::kString, to_code}};
      if (!hit->display.empty()) tt.parameters.push_back({Parameter::Kind::kString, hit->display});
      return coding(g, r, tt, scope, p);
    }
    fail(g, &r, "translate: output must be code, system, display, coding or CodeableConcept");
  }

  fhir::Node toNode() {
    if (root_.type == nullptr) return toUntyped(root_);
    auto node = toFhir(root_, model_);
    if (!node.isOk()) throw Failure{"map " + map_.name + ": " + node.status().message()};
    return std::move(node).value();
  }

  const CompiledMap& cm_;
  const Map& map_;
  const fhir::Model& model_;
  const TransformOptions& options_;
  const fhir::Node* source_root_ = nullptr;
  TNode root_;
  std::vector<std::unique_ptr<TNode>> detached_;
  std::deque<fhir::Node> arena_;
  fhirpath::Environment env_;
  std::map<std::string, TNode*> shared_;
};

core::Result<std::shared_ptr<const CompiledMap>> CompiledMap::compile(Map map, fhir::ModelPtr model, ConceptMaps concept_maps,
                                                                      bool more_concept_maps) {
  // Every group a rule or group names must exist.
  std::set<std::string> groups;
  for (const auto& g : map.groups) groups.insert(g.name);
  std::function<core::Status(const Group&, const Rule&)> check = [&](const Group& g, const Rule& r) -> core::Status {
    for (const auto& d : r.dependents) {
      if (!groups.count(d.name)) {
        return core::invalid(d.at.toString() + ": unknown group '" + d.name + "' (map " + map.name + ", group " + g.name + ")");
      }
    }
    for (const auto& child : r.rules) GW_RETURN_IF_ERROR(check(g, child));
    return core::Status::ok();
  };
  for (const auto& g : map.groups) {
    if (!g.extends.empty() && !groups.count(g.extends)) {
      return core::invalid(g.at.toString() + ": group " + g.name + " extends unknown group '" + g.extends + "'");
    }
    for (const auto& r : g.rules) GW_RETURN_IF_ERROR(check(g, r));
  }
  GW_RETURN_IF_ERROR(checkTypes(map, *model));
  GW_RETURN_IF_ERROR(checkConceptMaps(map, [&](const std::string& url) { return more_concept_maps || concept_maps.count(url) > 0; }));
  return std::shared_ptr<const CompiledMap>(new CompiledMap(std::move(map), std::move(model), std::move(concept_maps)));
}

core::Result<const CompiledMap::Prepared*> CompiledMap::prepared(
    const std::string& text, const std::function<std::vector<std::string>()>& scope_names) const {
  {
    std::shared_lock lock(prepared_mu_);
    if (auto it = prepared_.find(&text); it != prepared_.end()) return it->second.get();
  }
  auto p = std::make_unique<Prepared>();
  GW_ASSIGN_OR_RETURN(auto e, fhirpath::Expression::compile(withVariables(text, scope_names(), p->variables)));
  p->expression = std::make_unique<fhirpath::Expression>(std::move(e));
  std::unique_lock lock(prepared_mu_);
  return prepared_.try_emplace(&text, std::move(p)).first->second.get();
}

core::Result<fhir::Node> CompiledMap::transform(const fhir::Node& source, const TransformOptions& options) const {
  Run run(*this, options);
  try {
    return run.transform(source);
  } catch (const Failure& f) {
    return core::invalid(f.message);
  }
}

}  // namespace onedoor::fml
