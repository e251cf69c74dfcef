// Filtering and projection, types, tree navigation, iif, aggregate, trace, sort.
#include <algorithm>

#include "fhirpath/function_support.h"

namespace onedoor::fhirpath {
namespace {

constexpr std::size_t kMaxItems = 1000000;  // bound on repeat()/descendants() results

core::Result<Collection> fnWhere(Context& ctx, const Collection& in, const CallExpr& call) {
  Collection out;
  GW_RETURN_IF_ERROR(iterate(ctx, in, call, 0, [&](std::size_t i, const Collection& r) -> core::Result<bool> {
    GW_ASSIGN_OR_RETURN(auto b, singletonBoolean(call, r));
    if (b && *b) out.push_back(in[i]);
    return true;
  }));
  return out;
}

core::Result<Collection> fnSelect(Context& ctx, const Collection& in, const CallExpr& call) {
  Collection out;
  GW_RETURN_IF_ERROR(iterate(ctx, in, call, 0, [&](std::size_t, const Collection& r) -> core::Result<bool> {
    out.insert(out.end(), r.begin(), r.end());
    return true;
  }));
  return out;
}

core::Result<Collection> fnRepeat(Context& ctx, const Collection& in, const CallExpr& call) {
  Collection out;
  Collection frontier = in;
  while (!frontier.empty()) {
    Collection next;
    GW_RETURN_IF_ERROR(iterate(ctx, frontier, call, 0, [&](std::size_t, const Collection& r) -> core::Result<bool> {
      for (const auto& v : r) {
        if (!containsEqual(out, v)) {
          out.push_back(v);
          next.push_back(v);
        }
      }
      if (out.size() > kMaxItems) return evalError(call, "repeat() produced too many items");
      return true;
    }));
    frontier = std::move(next);
  }
  return out;
}

core::Result<Collection> fnOfType(Context& ctx, const Collection& in, const CallExpr& call) {
  if (!knownType(call.typeArg(), ctx.env.model)) return evalError(call, "unknown type '" + call.typeArg() + "'");
  Collection out;
  for (const auto& v : in) {
    if (isOfType(v, call.typeArg(), true, ctx.env.primitives_as_system_types)) out.push_back(v);
  }
  return out;
}

core::Result<Collection> fnIs(Context& ctx, const Collection& in, const CallExpr& call) {
  if (!knownType(call.typeArg(), ctx.env.model)) return evalError(call, "unknown type '" + call.typeArg() + "'");
  if (in.empty()) return Collection{};
  if (in.size() > 1) return evalError(call, "is() needs a single input item");
  return boolean(isOfType(in.front(), call.typeArg(), false, ctx.env.primitives_as_system_types));
}

core::Result<Collection> fnAs(Context& ctx, const Collection& in, const CallExpr& call) {
  if (!knownType(call.typeArg(), ctx.env.model)) return evalError(call, "unknown type '" + call.typeArg() + "'");
  if (in.empty()) return Collection{};
  if (in.size() > 1) {
    if (!ctx.env.primitives_as_system_types) return evalError(call, "as() needs a single input item");
    return fnOfType(ctx, in, call);  // R4 invariants (dom-3) use as() as a filter
  }
  return isOfType(in.front(), call.typeArg(), true, ctx.env.primitives_as_system_types) ? in : Collection{};
}

core::Result<Collection> fnType(Context&, const Collection& in, const CallExpr&) {
  Collection out;
  for (const auto& v : in) out.push_back(Value::typeName(v.type()));
  return out;
}

void collectChildren(const Value& v, Collection& out) {
  if (!v.isNode()) return;
  for (const auto& c : v.node()->children) {
    if (c.def != nullptr && c.def->xml_attr) continue;  // id / url attributes are not elements
    out.emplace_back(&c);
  }
}

core::Result<Collection> fnChildren(Context&, const Collection& in, const CallExpr&) {
  Collection out;
  for (const auto& v : in) collectChildren(v, out);
  return out;
}

core::Result<Collection> fnDescendants(Context&, const Collection& in, const CallExpr& call) {
  Collection out;
  Collection frontier;
  for (const auto& v : in) collectChildren(v, frontier);
  while (!frontier.empty()) {
    out.insert(out.end(), frontier.begin(), frontier.end());
    if (out.size() > kMaxItems) return evalError(call, "descendants() produced too many items");
    Collection next;
    for (const auto& v : frontier) collectChildren(v, next);
    frontier = std::move(next);
  }
  return out;
}

core::Result<Collection> iifBody(Context& ctx, const Collection& in, const CallExpr& call);

// iif() evaluates its arguments with $this bound to its single input item, if it has one.
core::Result<Collection> fnIif(Context& ctx, const Collection& in, const CallExpr& call) {
  if (in.size() > 1) return evalError(call, "iif() needs at most one input item");
  const Value* saved = ctx.this_item;
  if (in.size() == 1 && call.target() != nullptr) ctx.this_item = &in.front();
  auto r = iifBody(ctx, in, call);
  ctx.this_item = saved;
  return r;
}

core::Result<Collection> iifBody(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(Collection cond, call.evalArg(ctx, 0, in));
  if (cond.size() > 1) return evalError(call, "iif() criterion must be a single Boolean");
  if (cond.size() == 1) {
    auto s = cond.front().system();
    if (!s || s->kind() != Value::Kind::kBoolean) return evalError(call, "iif() criterion must be a Boolean");
  }
  GW_ASSIGN_OR_RETURN(auto b, singletonBoolean(call, cond));
  if (b && *b) return call.evalArg(ctx, 1, in);
  if (call.argCount() > 2) return call.evalArg(ctx, 2, in);
  return Collection{};
}

core::Result<Collection> fnAggregate(Context& ctx, const Collection& in, const CallExpr& call) {
  Collection total;
  if (call.argCount() > 1) {
    GW_ASSIGN_OR_RETURN(total, call.evalArg(ctx, 1, in));
  }
  const Collection* saved = ctx.total;
  ctx.total = &total;  // each step sees the previous step's result as $total
  core::Status st = iterate(ctx, in, call, 0, [&](std::size_t, const Collection& r) -> core::Result<bool> {
    total = r;
    return true;
  });
  ctx.total = saved;
  if (!st.isOk()) return st;
  return total;
}

core::Result<Collection> fnTrace(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto name, stringArg(ctx, call, 0, in));
  if (ctx.env.trace) {
    if (call.argCount() > 1) {
      Collection projected;
      GW_RETURN_IF_ERROR(iterate(ctx, in, call, 1, [&](std::size_t, const Collection& r) -> core::Result<bool> {
        projected.insert(projected.end(), r.begin(), r.end());
        return true;
      }));
      ctx.env.trace(name.value_or(""), projected);
    } else {
      ctx.env.trace(name.value_or(""), in);
    }
  }
  return in;
}

// sort(key, ...): ascending by each key; a key written -expr sorts descending.
core::Result<Collection> fnSort(Context& ctx, const Collection& in, const CallExpr& call) {
  struct Keyed {
    Value item;
    std::vector<std::optional<Value>> keys;
  };
  std::vector<Keyed> rows;
  for (const auto& v : in) rows.push_back({v, {}});
  std::vector<bool> descending;
  for (std::size_t k = 0; k < call.argCount(); ++k) {
    const Expr* key = &call.arg(k);
    const auto* neg = dynamic_cast<const UnaryExpr*>(key);
    descending.push_back(neg != nullptr && neg->op() == '-');
    if (descending.back()) key = &neg->operand();
    GW_RETURN_IF_ERROR(iterateExpr(ctx, in, *key, [&](std::size_t i, const Collection& r) -> core::Result<bool> {
      if (r.size() > 1) return evalError(call, "sort() keys must be single values");
      rows[i].keys.push_back(r.empty() ? std::nullopt : r.front().system());
      return true;
    }));
  }
  if (call.argCount() == 0) {
    for (auto& r : rows) r.keys.push_back(r.item.system());
    descending.push_back(false);
  }
  core::Status error;
  std::stable_sort(rows.begin(), rows.end(), [&](const Keyed& a, const Keyed& b) {
    for (std::size_t k = 0; k < a.keys.size(); ++k) {
      const auto& x = a.keys[k];
      const auto& y = b.keys[k];
      if (!x || !y) {
        if (!x && y) return true;
        if (x && !y) return false;
        continue;
      }
      auto c = compareItems(*x, *y);
      if (!c.isOk()) {
        error = c.status();
        return false;
      }
      if (!*c || **c == 0) continue;
      return descending[k] ? **c > 0 : **c < 0;
    }
    return false;
  });
  if (!error.isOk()) return evalError(call, error.message());
  Collection out;
  for (auto& r : rows) out.push_back(r.item);
  return out;
}

}  // namespace

std::vector<FunctionDef> filteringFunctions() {
  return {
      {"where", 1, 1, fnWhere},
      {"select", 1, 1, fnSelect},
      {"repeat", 1, 1, fnRepeat},
      {"ofType", 1, 1, fnOfType, true},
      {"is", 1, 1, fnIs, true},
      {"as", 1, 1, fnAs, true},
      {"type", 0, 0, fnType},
      {"children", 0, 0, fnChildren},
      {"descendants", 0, 0, fnDescendants},
      {"iif", 2, 3, fnIif},
      {"aggregate", 1, 2, fnAggregate},
      {"trace", 1, 2, fnTrace},
      {"sort", 0, 8, fnSort},
  };
}

}  // namespace onedoor::fhirpath
