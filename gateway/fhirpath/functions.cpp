// The function table and the helpers the functions share.
#include <unordered_map>

#include "fhirpath/function_support.h"

namespace onedoor::fhirpath {

const FunctionDef* findFunction(std::string_view name) {
  static const auto* table = [] {
    auto* t = new std::unordered_map<std::string_view, FunctionDef>();
    for (auto group : {existenceFunctions, filteringFunctions, subsettingFunctions, conversionFunctions,
                       stringFunctions, mathFunctions, fhirFunctions, temporalFunctions}) {
      for (const auto& f : group()) t->emplace(f.name, f);
    }
    return t;
  }();
  auto it = table->find(name);
  return it == table->end() ? nullptr : &it->second;
}

core::Result<Collection> CallExpr::evalArg(Context& ctx, std::size_t i, const Collection& input) const {
  (void)input;
  if (ctx.this_item != nullptr) return args_[i]->eval(ctx, Collection{*ctx.this_item});
  static const Collection kEmpty;
  return args_[i]->eval(ctx, ctx.root != nullptr ? *ctx.root : kEmpty);
}

core::Status iterate(Context& ctx, const Collection& input, const CallExpr& call, std::size_t arg,
                     const std::function<core::Result<bool>(std::size_t, const Collection&)>& each) {
  return iterateExpr(ctx, input, call.arg(arg), each);
}

core::Status iterateExpr(Context& ctx, const Collection& input, const Expr& expr,
                         const std::function<core::Result<bool>(std::size_t, const Collection&)>& each) {
  const Value* saved_this = ctx.this_item;
  std::int64_t saved_index = ctx.index;
  core::Status status;
  for (std::size_t i = 0; i < input.size(); ++i) {
    ctx.this_item = &input[i];
    ctx.index = static_cast<std::int64_t>(i);
    Collection focus{input[i]};
    auto r = expr.eval(ctx, focus);
    if (!r.isOk()) {
      status = r.status();
      break;
    }
    auto go_on = each(i, *r);
    if (!go_on.isOk()) {
      status = go_on.status();
      break;
    }
    if (!*go_on) break;
  }
  ctx.this_item = saved_this;
  ctx.index = saved_index;
  return status;
}

core::Result<std::optional<Value>> singleInput(const CallExpr& call, const Collection& input) {
  if (input.empty()) return std::optional<Value>();
  if (input.size() > 1) {
    return evalError(call, call.name() + "() needs a single input item (got " +
                               std::to_string(input.size()) + ")");
  }
  auto v = input.front().system();
  if (!v) return evalError(call, call.name() + "() cannot use a " + input.front().type().name);
  return std::optional<Value>(*v);
}

core::Result<std::optional<Value>> valueArg(Context& ctx, const CallExpr& call, std::size_t i,
                                            const Collection& input) {
  GW_ASSIGN_OR_RETURN(Collection c, call.evalArg(ctx, i, input));
  if (c.empty()) return std::optional<Value>();
  if (c.size() > 1) return evalError(call, call.name() + "(): argument " + std::to_string(i + 1) + " must be a single value");
  auto v = c.front().system();
  if (!v) return evalError(call, call.name() + "(): argument " + std::to_string(i + 1) + " has the wrong type");
  return std::optional<Value>(*v);
}

core::Result<std::optional<std::string>> stringArg(Context& ctx, const CallExpr& call, std::size_t i,
                                                   const Collection& input) {
  GW_ASSIGN_OR_RETURN(auto v, valueArg(ctx, call, i, input));
  if (!v) return std::optional<std::string>();
  if (v->kind() != Value::Kind::kString) {
    return evalError(call, call.name() + "(): argument " + std::to_string(i + 1) + " must be a String");
  }
  return std::optional<std::string>(v->asString());
}

core::Result<std::optional<std::int64_t>> integerArg(Context& ctx, const CallExpr& call, std::size_t i,
                                                     const Collection& input) {
  GW_ASSIGN_OR_RETURN(auto v, valueArg(ctx, call, i, input));
  if (!v) return std::optional<std::int64_t>();
  if (v->kind() != Value::Kind::kInteger) {
    return evalError(call, call.name() + "(): argument " + std::to_string(i + 1) + " must be an Integer");
  }
  return std::optional<std::int64_t>(v->asInteger());
}

}  // namespace onedoor::fhirpath
