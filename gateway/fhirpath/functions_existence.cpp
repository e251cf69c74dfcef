// Existence functions (https://hl7.org/fhirpath/N1/#existence) and not().
#include "fhirpath/function_support.h"

namespace onedoor::fhirpath {
namespace {

core::Result<Collection> fnEmpty(Context&, const Collection& in, const CallExpr&) { return boolean(in.empty()); }

core::Result<Collection> fnExists(Context& ctx, const Collection& in, const CallExpr& call) {
  if (call.argCount() == 0) return boolean(!in.empty());
  bool any = false;
  GW_RETURN_IF_ERROR(iterate(ctx, in, call, 0, [&](std::size_t, const Collection& r) -> core::Result<bool> {
    GW_ASSIGN_OR_RETURN(auto b, singletonBoolean(call, r));
    if (b && *b) any = true;
    return !any;
  }));
  return boolean(any);
}

core::Result<Collection> fnAll(Context& ctx, const Collection& in, const CallExpr& call) {
  bool all = true;
  GW_RETURN_IF_ERROR(iterate(ctx, in, call, 0, [&](std::size_t, const Collection& r) -> core::Result<bool> {
    GW_ASSIGN_OR_RETURN(auto b, singletonBoolean(call, r));
    if (!b || !*b) all = false;
    return all;
  }));
  return boolean(all);
}

// allTrue/anyTrue/allFalse/anyFalse: the input must hold Booleans only.
core::Result<Collection> booleans(const CallExpr& call, const Collection& in, bool want, bool all) {
  bool result = all;
  for (const auto& v : in) {
    auto s = v.system();
    if (!s || s->kind() != Value::Kind::kBoolean) {
      return evalError(call, call.name() + "() needs a collection of Booleans");
    }
    bool match = s->asBoolean() == want;
    if (all && !match) result = false;
    if (!all && match) result = true;
  }
  return boolean(result);
}

core::Result<Collection> fnAllTrue(Context&, const Collection& in, const CallExpr& c) { return booleans(c, in, true, true); }
core::Result<Collection> fnAnyTrue(Context&, const Collection& in, const CallExpr& c) { return booleans(c, in, true, false); }
core::Result<Collection> fnAllFalse(Context&, const Collection& in, const CallExpr& c) { return booleans(c, in, false, true); }
core::Result<Collection> fnAnyFalse(Context&, const Collection& in, const CallExpr& c) { return booleans(c, in, false, false); }

core::Result<Collection> fnSubsetOf(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(Collection other, call.evalArg(ctx, 0, in));
  for (const auto& v : in) {
    if (!containsEqual(other, v)) return boolean(false);
  }
  return boolean(true);
}

core::Result<Collection> fnSupersetOf(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(Collection other, call.evalArg(ctx, 0, in));
  for (const auto& v : other) {
    if (!containsEqual(in, v)) return boolean(false);
  }
  return boolean(true);
}

core::Result<Collection> fnCount(Context&, const Collection& in, const CallExpr&) {
  return one(Value::integer(static_cast<std::int64_t>(in.size())));
}

core::Result<Collection> fnDistinct(Context&, const Collection& in, const CallExpr&) {
  Collection out;
  DistinctAppender append(out);
  for (const auto& v : in) append.add(v);
  return out;
}

core::Result<Collection> fnIsDistinct(Context&, const Collection& in, const CallExpr&) {
  Collection seen;
  DistinctAppender append(seen);
  for (const auto& v : in) append.add(v);
  return boolean(seen.size() == in.size());
}

core::Result<Collection> fnNot(Context&, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto b, singletonBoolean(call, in));
  if (!b) return Collection{};
  return boolean(!*b);
}

}  // namespace

std::vector<FunctionDef> existenceFunctions() {
  return {
      {"empty", 0, 0, fnEmpty},         {"exists", 0, 1, fnExists},     {"all", 1, 1, fnAll},
      {"allTrue", 0, 0, fnAllTrue},     {"anyTrue", 0, 0, fnAnyTrue},   {"allFalse", 0, 0, fnAllFalse},
      {"anyFalse", 0, 0, fnAnyFalse},   {"subsetOf", 1, 1, fnSubsetOf}, {"supersetOf", 1, 1, fnSupersetOf},
      {"count", 0, 0, fnCount},         {"distinct", 0, 0, fnDistinct}, {"isDistinct", 0, 0, fnIsDistinct},
      {"not", 0, 0, fnNot},
  };
}

}  // namespace onedoor::fhirpath
