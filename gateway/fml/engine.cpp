#include "fml/engine.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>
#include <vector>

#include "fhirpath/expression.h"
#include "fml/checker.h"
#include "fml/run.h"
#include "fml/target_tree.h"

namespace onedoor::fml {

std::string primitiveText(const fhirpath::Value& v) {
  if (v.isNode()) {
    const fhir::Node* n = v.node();
    return n->has_value ? n->value : std::string();
  }
  return v.toDisplayString().value_or("");
}

namespace {

// Variables are written bare in map expressions (`item.answer`), as the reference
// implementation resolves them; they become %variables here. `used` gets the variables the
// expression reads (bare or written %name).
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
      while (j < expr.size() &&
             (std::isalnum(static_cast<unsigned char>(expr[j])) || expr[j] == '_'))
        ++j;
      std::string id = expr.substr(i, j - i);
      std::size_t k = out.find_last_not_of(" \t");
      bool after_dot = k != std::string::npos && (out[k] == '.' || out[k] == '%');
      bool call = j < expr.size() && expr[j] == '(';
      if (!after_dot && !call && std::find(scope.begin(), scope.end(), id) != scope.end()) {
        out += '%';
        if (std::find(used.begin(), used.end(), id) == used.end()) used.push_back(id);
      }
      // %name written out: a variable the expression reads.
      if (k != std::string::npos && out[k] == '%' &&
          std::find(used.begin(), used.end(), id) == used.end())
        used.push_back(id);
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

fhir::Node Run::transform(const fhir::Node& source) {
  const Group& g = map_.groups.front();
  const Input* src = nullptr;
  const Input* tgt = nullptr;
  for (const auto& in : g.inputs) {
    if (in.mode == "source" && src == nullptr) src = &in;
    if (in.mode == "target" && tgt == nullptr) tgt = &in;
  }
  if (src == nullptr || tgt == nullptr)
    fail(g, nullptr, "the first group needs a source and a target input");
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

void Run::fail(const Group& g, const Rule* r, const std::string& what) const {
  std::string where = "map " + map_.name + ", group " + g.name;
  if (r != nullptr) where += ", rule " + r->name + " (" + r->at.toString() + ")";
  throw RunFailure{where + ": " + what};
}

bool Run::fhirStructure(const Input& in) const {
  for (const auto& s : map_.structures) {
    if (!in.type.empty() && (s.alias == in.type || s.url == in.type)) {
      return s.url.rfind("http://hl7.org/fhir/StructureDefinition/", 0) == 0;
    }
  }
  return true;
}

std::string Run::targetType(const Input& in) const {
  // An alias names a structure; its URL's last segment is the FHIR type.
  for (const auto& s : map_.structures) {
    if (!in.type.empty() && (s.alias == in.type || s.url == in.type))
      return s.url.substr(s.url.rfind('/') + 1);
  }
  return in.type;
}

fhirpath::Collection Run::evaluate(const Group& g, const Rule* r, const std::string& expr,
                                   const fhirpath::Value& focus, const Scope& scope) {
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

const Group* Run::findGroup(const std::string& name) const {
  for (const auto& g : map_.groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

void Run::runGroup(const Group& g, Scope& scope, int depth) {
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

void Run::call(const Group& from, const Rule& r, const Group& g, const std::vector<Var>& args,
               int depth) {
  if (args.size() != g.inputs.size()) {
    fail(from, &r,
         "group " + g.name + " takes " + std::to_string(g.inputs.size()) + " arguments, given " +
             std::to_string(args.size()));
  }
  Scope scope;
  for (std::size_t i = 0; i < args.size(); ++i) scope.push(g.inputs[i].name, args[i]);
  runGroup(g, scope, depth + 1);
}

fhirpath::Collection Run::sourceValues(const Group& g, const Rule& r, const Source& s,
                                       const Scope& scope) {
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
      return !(v.isNode() && v.node()->type != nullptr && v.node()->type->isa(s.type)) &&
             v.type().name != s.type;
    });
  }
  if (values.empty() && !s.default_value.empty()) {
    values = evaluate(g, &r, s.default_value, it->second.source, scope);
  }
  return values;
}

void Run::applyListMode(const Group& g, const Rule& r, const Source& s,
                        fhirpath::Collection& values) const {
  if (s.list_mode == "first" && values.size() > 1) values.erase(values.begin() + 1, values.end());
  if (s.list_mode == "not_first" && !values.empty()) values.erase(values.begin());
  if (s.list_mode == "last" && values.size() > 1) values.erase(values.begin(), values.end() - 1);
  if (s.list_mode == "not_last" && !values.empty()) values.pop_back();
  if (s.list_mode == "only_one" && values.size() > 1) {
    fail(g, &r,
         s.context + "." + s.element + " has " + std::to_string(values.size()) +
             " values, only_one allowed");
  }
}

bool Run::truthy(const fhirpath::Collection& c) {
  if (c.empty()) return false;
  if (c.size() == 1 && c.front().kind() == fhirpath::Value::Kind::kBoolean)
    return c.front().asBoolean();
  if (c.size() == 1 && c.front().isNode() && c.front().node()->isPrimitive() &&
      c.front().node()->value == "false") {
    return false;
  }
  return true;
}

void Run::runRule(const Group& g, const Rule& r, Scope& scope, int depth) {
  std::size_t mark = scope.size();
  bindSources(g, r, 0, scope, depth);
  scope.truncate(mark);
}

void Run::bindSources(const Group& g, const Rule& r, std::size_t i, Scope& scope, int depth) {
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

void Run::act(const Group& g, const Rule& r, Scope& scope, int depth) {
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

void Run::defaultGroup(const Group& g, const Rule& r, const Scope& scope, int depth) {
  const Var& s = scope.at(r.sources.front().variable);
  const Var& t = scope.at(r.targets.front().variable);
  std::string stype =
      s.source.isNode() && s.source.node()->type != nullptr ? s.source.node()->type->name : "";
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

fhir::Node Run::toNode() {
  if (root_.type == nullptr) return toUntyped(root_);
  auto node = toFhir(root_, model_);
  if (!node.isOk()) throw RunFailure{"map " + map_.name + ": " + node.status().message()};
  return std::move(node).value();
}

core::Result<std::shared_ptr<const CompiledMap>> CompiledMap::compile(Map map, fhir::ModelPtr model,
                                                                      ConceptMaps concept_maps,
                                                                      bool more_concept_maps) {
  // Every group a rule or group names must exist.
  std::set<std::string> groups;
  for (const auto& g : map.groups) groups.insert(g.name);
  std::function<core::Status(const Group&, const Rule&)> check =
      [&](const Group& g, const Rule& r) -> core::Status {
    for (const auto& d : r.dependents) {
      if (!groups.count(d.name)) {
        return core::invalid(d.at.toString() + ": unknown group '" + d.name + "' (map " + map.name +
                             ", group " + g.name + ")");
      }
    }
    for (const auto& child : r.rules) GW_RETURN_IF_ERROR(check(g, child));
    return core::Status::ok();
  };
  for (const auto& g : map.groups) {
    if (!g.extends.empty() && !groups.count(g.extends)) {
      return core::invalid(g.at.toString() + ": group " + g.name + " extends unknown group '" +
                           g.extends + "'");
    }
    for (const auto& r : g.rules) GW_RETURN_IF_ERROR(check(g, r));
  }
  GW_RETURN_IF_ERROR(checkTypes(map, *model));
  GW_RETURN_IF_ERROR(checkConceptMaps(map, [&](const std::string& url) {
    return more_concept_maps || concept_maps.count(url) > 0;
  }));
  return std::shared_ptr<const CompiledMap>(
      new CompiledMap(std::move(map), std::move(model), std::move(concept_maps)));
}

core::Result<const CompiledMap::Prepared*> CompiledMap::prepared(
    const std::string& text, const std::function<std::vector<std::string>()>& scope_names) const {
  {
    std::shared_lock lock(prepared_mu_);
    if (auto it = prepared_.find(&text); it != prepared_.end()) return it->second.get();
  }
  auto p = std::make_unique<Prepared>();
  GW_ASSIGN_OR_RETURN(
      auto e, fhirpath::Expression::compile(withVariables(text, scope_names(), p->variables)));
  p->expression = std::make_unique<fhirpath::Expression>(std::move(e));
  std::unique_lock lock(prepared_mu_);
  return prepared_.try_emplace(&text, std::move(p)).first->second.get();
}

core::Result<fhir::Node> CompiledMap::transform(const fhir::Node& source,
                                                const TransformOptions& options) const {
  Run run(*this, options);
  try {
    return run.transform(source);
  } catch (const RunFailure& f) {
    return core::invalid(f.message);
  }
}

}  // namespace onedoor::fml
