// Math functions (https://hl7.org/fhirpath/N1/#math).
#include <cmath>

#include "fhirpath/function_support.h"

namespace onedoor::fhirpath {
namespace {

using Kind = Value::Kind;

// The single input as an Integer or Decimal (a Quantity too where `quantity` allows it).
core::Result<std::optional<Value>> number(const CallExpr& call, const Collection& in, bool quantity = false) {
  GW_ASSIGN_OR_RETURN(auto v, singleInput(call, in));
  if (!v) return std::optional<Value>();
  bool ok = v->kind() == Kind::kInteger || v->kind() == Kind::kDecimal || (quantity && v->kind() == Kind::kQuantity);
  if (!ok) return evalError(call, call.name() + "() applies to numbers");
  return v;
}

core::Result<std::optional<Value>> numberArg(Context& ctx, const CallExpr& call, std::size_t i, const Collection& in) {
  GW_ASSIGN_OR_RETURN(auto v, valueArg(ctx, call, i, in));
  if (v && v->kind() != Kind::kInteger && v->kind() != Kind::kDecimal) {
    return evalError(call, call.name() + "(): the argument must be a number");
  }
  return v;
}

Decimal dec(const Value& v) {
  return v.kind() == Kind::kInteger ? Decimal::fromInt(v.asInteger()) : v.asDecimal();
}

Collection fromDouble(double d) {
  auto r = Decimal::fromDouble(d);
  return r ? one(Value::decimal(*r)) : Collection{};
}

core::Result<Collection> fnAbs(Context&, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, number(call, in, true));
  if (!v) return Collection{};
  if (v->kind() == Kind::kInteger) return one(Value::integer(std::llabs(v->asInteger())));
  if (v->kind() == Kind::kQuantity) {
    Quantity q = v->asQuantity();
    q.value = q.value.abs();
    return one(Value::quantity(q));
  }
  return one(Value::decimal(v->asDecimal().abs()));
}

template <int Kind>  // 0 ceiling, 1 floor, 2 truncate
core::Result<Collection> fnRoundish(Context&, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, number(call, in));
  if (!v) return Collection{};
  if (v->kind() == Value::Kind::kInteger) return one(*v);
  Decimal d = dec(*v);
  Decimal r = Kind == 0 ? d.ceiling() : Kind == 1 ? d.floor() : d.truncated();
  auto i = r.toInt64();
  return i ? one(Value::integer(*i)) : Collection{};
}

core::Result<Collection> fnRound(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, number(call, in));
  if (!v) return Collection{};
  std::int64_t places = 0;
  if (call.argCount() > 0) {
    GW_ASSIGN_OR_RETURN(auto p, integerArg(ctx, call, 0, in));
    if (!p) return Collection{};
    if (*p < 0 || *p > Decimal::kMaxScale) return evalError(call, "round() precision must be 0 to 28");
    places = *p;
  }
  return one(Value::decimal(dec(*v).withScale(static_cast<int>(places))));
}

template <int Kind>  // 0 exp, 1 ln, 2 sqrt
core::Result<Collection> fnUnary(Context&, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, number(call, in));
  if (!v) return Collection{};
  double x = dec(*v).toDouble();
  if (Kind == 1 && x <= 0) return Collection{};
  if (Kind == 2 && x < 0) return Collection{};
  return fromDouble(Kind == 0 ? std::exp(x) : Kind == 1 ? std::log(x) : std::sqrt(x));
}

core::Result<Collection> fnLog(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, number(call, in));
  GW_ASSIGN_OR_RETURN(auto base, numberArg(ctx, call, 0, in));
  if (!v || !base) return Collection{};
  double x = dec(*v).toDouble(), b = dec(*base).toDouble();
  if (x <= 0 || b <= 0 || b == 1) return Collection{};
  return fromDouble(std::log(x) / std::log(b));
}

core::Result<Collection> fnPower(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, number(call, in));
  GW_ASSIGN_OR_RETURN(auto e, numberArg(ctx, call, 0, in));
  if (!v || !e) return Collection{};
  if (v->kind() == Kind::kInteger && e->kind() == Kind::kInteger && e->asInteger() >= 0) {
    __int128 r = 1;
    for (std::int64_t i = 0; i < e->asInteger(); ++i) {
      r *= v->asInteger();
      if (r > INT64_MAX || r < INT64_MIN) return Collection{};
    }
    return one(Value::integer(static_cast<std::int64_t>(r)));
  }
  double r = std::pow(dec(*v).toDouble(), dec(*e).toDouble());
  if (!std::isfinite(r)) return Collection{};
  return fromDouble(r);
}

}  // namespace

std::vector<FunctionDef> mathFunctions() {
  return {
      {"abs", 0, 0, fnAbs},           {"ceiling", 0, 0, fnRoundish<0>}, {"floor", 0, 0, fnRoundish<1>},
      {"truncate", 0, 0, fnRoundish<2>}, {"round", 0, 1, fnRound},     {"exp", 0, 0, fnUnary<0>},
      {"ln", 0, 0, fnUnary<1>},       {"sqrt", 0, 0, fnUnary<2>},       {"log", 1, 1, fnLog},
      {"power", 1, 1, fnPower},
  };
}

}  // namespace onedoor::fhirpath
