// Subsetting and combining (https://hl7.org/fhirpath/N1/#subsetting).
#include "fhirpath/function_support.h"

namespace onedoor::fhirpath {
namespace {

core::Result<Collection> fnSingle(Context&, const Collection& in, const CallExpr& call) {
  if (in.size() > 1) return evalError(call, "single() found " + std::to_string(in.size()) + " items");
  return in;
}

core::Result<Collection> fnFirst(Context&, const Collection& in, const CallExpr&) {
  return in.empty() ? Collection{} : Collection{in.front()};
}

core::Result<Collection> fnLast(Context&, const Collection& in, const CallExpr&) {
  return in.empty() ? Collection{} : Collection{in.back()};
}

core::Result<Collection> fnTail(Context&, const Collection& in, const CallExpr&) {
  return in.size() <= 1 ? Collection{} : Collection(in.begin() + 1, in.end());
}

core::Result<Collection> fnSkip(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto n, integerArg(ctx, call, 0, in));
  if (!n) return Collection{};
  if (*n <= 0) return in;
  if (static_cast<std::size_t>(*n) >= in.size()) return Collection{};
  return Collection(in.begin() + *n, in.end());
}

core::Result<Collection> fnTake(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto n, integerArg(ctx, call, 0, in));
  if (!n || *n <= 0) return Collection{};
  if (static_cast<std::size_t>(*n) >= in.size()) return in;
  return Collection(in.begin(), in.begin() + *n);
}

core::Result<Collection> fnIntersect(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(Collection other, call.evalArg(ctx, 0, in));
  Collection out;
  for (const auto& v : in) {
    if (containsEqual(other, v) && !containsEqual(out, v)) out.push_back(v);
  }
  return out;
}

core::Result<Collection> fnExclude(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(Collection other, call.evalArg(ctx, 0, in));
  Collection out;
  for (const auto& v : in) {
    if (!containsEqual(other, v)) out.push_back(v);
  }
  return out;
}

core::Result<Collection> fnUnion(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(Collection other, call.evalArg(ctx, 0, in));
  Collection out;
  DistinctAppender append(out);
  for (const auto& v : in) append.add(v);
  for (const auto& v : other) append.add(v);
  return out;
}

core::Result<Collection> fnCombine(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(Collection other, call.evalArg(ctx, 0, in));
  Collection out = in;
  out.insert(out.end(), other.begin(), other.end());
  return out;
}

}  // namespace

std::vector<FunctionDef> subsettingFunctions() {
  return {
      {"single", 0, 0, fnSingle},       {"first", 0, 0, fnFirst},       {"last", 0, 0, fnLast},
      {"tail", 0, 0, fnTail},           {"skip", 1, 1, fnSkip},         {"take", 1, 1, fnTake},
      {"intersect", 1, 1, fnIntersect}, {"exclude", 1, 1, fnExclude},   {"union", 1, 1, fnUnion},
      {"combine", 1, 1, fnCombine},
  };
}

}  // namespace onedoor::fhirpath
