// now(), today(), timeOfDay(), and the 2.1 precision functions: precision(), lowBoundary(),
// highBoundary(), comparable().
#include <ctime>

#include "fhirpath/function_support.h"

namespace onedoor::fhirpath {
namespace {

using Kind = Value::Kind;

Temporal nowTemporal(Context& ctx) {
  if (!ctx.env.now) ctx.env.now = std::chrono::system_clock::now();  // fixed for the evaluation
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.env.now->time_since_epoch()).count();
  ms += static_cast<long long>(ctx.env.local_offset_minutes) * 60000;
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  Temporal t;
  t.kind = Temporal::Kind::kDateTime;
  t.precision = TemporalPrecision::kMillisecond;
  t.year = tm.tm_year + 1900;
  t.month = tm.tm_mon + 1;
  t.day = tm.tm_mday;
  t.hour = tm.tm_hour;
  t.minute = tm.tm_min;
  t.second = tm.tm_sec;
  t.millis = static_cast<int>(ms % 1000);
  t.has_tz = true;
  t.tz_minutes = ctx.env.local_offset_minutes;
  return t;
}

core::Result<Collection> fnNow(Context& ctx, const Collection&, const CallExpr&) {
  return one(Value::temporal(nowTemporal(ctx)));
}

core::Result<Collection> fnToday(Context& ctx, const Collection&, const CallExpr&) {
  Temporal t = nowTemporal(ctx);
  t.kind = Temporal::Kind::kDate;
  t.precision = TemporalPrecision::kDay;
  t.has_tz = false;
  return one(Value::temporal(t));
}

core::Result<Collection> fnTimeOfDay(Context& ctx, const Collection&, const CallExpr&) {
  Temporal t = nowTemporal(ctx);
  t.kind = Temporal::Kind::kTime;
  t.has_tz = false;
  return one(Value::temporal(t));
}

core::Result<Collection> fnPrecision(Context&, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, singleInput(call, in));
  if (!v) return Collection{};
  switch (v->kind()) {
    case Kind::kDecimal: return one(Value::integer(v->asDecimal().scale()));
    case Kind::kInteger: return one(Value::integer(0));
    case Kind::kDate:
    case Kind::kDateTime:
    case Kind::kTime: return one(Value::integer(v->asTemporal().precisionDigits()));
    default: return evalError(call, "precision() applies to decimals and dates");
  }
}

std::optional<TemporalPrecision> precisionFor(Temporal::Kind kind, std::int64_t digits) {
  if (kind == Temporal::Kind::kTime) {
    switch (digits) {
      case 2: return TemporalPrecision::kHour;
      case 4: return TemporalPrecision::kMinute;
      case 6: return TemporalPrecision::kSecond;
      case 9: return TemporalPrecision::kMillisecond;
      default: return std::nullopt;
    }
  }
  switch (digits) {
    case 4: return TemporalPrecision::kYear;
    case 6: return TemporalPrecision::kMonth;
    case 8: return TemporalPrecision::kDay;
    case 10: return kind == Temporal::Kind::kDate ? std::nullopt : std::optional(TemporalPrecision::kHour);
    case 12: return kind == Temporal::Kind::kDate ? std::nullopt : std::optional(TemporalPrecision::kMinute);
    case 14: return kind == Temporal::Kind::kDate ? std::nullopt : std::optional(TemporalPrecision::kSecond);
    case 17: return kind == Temporal::Kind::kDate ? std::nullopt : std::optional(TemporalPrecision::kMillisecond);
    default: return std::nullopt;
  }
}

std::optional<Temporal> temporalBoundary(Temporal t, std::int64_t digits, bool high) {
  // An hour without minutes is not a FHIR value; treat it as hh:00.
  if (t.precision == TemporalPrecision::kHour && t.kind != Temporal::Kind::kDate) t.precision = TemporalPrecision::kMinute;
  auto target = precisionFor(t.kind, digits);
  if (!target) return std::nullopt;
  auto fill = [&](TemporalPrecision p) { return t.precision < p && *target >= p; };
  if (fill(TemporalPrecision::kMonth)) t.month = high ? 12 : 1;
  if (fill(TemporalPrecision::kDay)) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (t.year % 4 == 0 && t.year % 100 != 0) || t.year % 400 == 0;
    t.day = high ? (t.month == 2 && leap ? 29 : kDays[t.month - 1]) : 1;
  }
  if (fill(TemporalPrecision::kHour)) t.hour = high ? 23 : 0;
  if (fill(TemporalPrecision::kMinute)) t.minute = high ? 59 : 0;
  if (fill(TemporalPrecision::kSecond)) t.second = high ? 59 : 0;
  if (fill(TemporalPrecision::kMillisecond)) t.millis = high ? 999 : 0;
  t.precision = *target;
  if (t.kind == Temporal::Kind::kDateTime && *target >= TemporalPrecision::kHour && !t.has_tz) {
    t.has_tz = true;  // the widest offsets bound the instant
    t.tz_minutes = high ? -12 * 60 : 14 * 60;
  }
  if (t.kind == Temporal::Kind::kDateTime && *target <= TemporalPrecision::kDay) {
    t.kind = Temporal::Kind::kDate;
    t.has_tz = false;
  }
  return t;
}

std::optional<Decimal> decimalBoundary(const Decimal& d, int input_scale, std::int64_t places, bool high) {
  if (places < 0 || places > Decimal::kMaxScale) return std::nullopt;
  Decimal half(5, input_scale + 1);  // half a unit in the last place
  auto v = high ? d + half : d - half;
  if (!v) return std::nullopt;
  int p = static_cast<int>(places);
  if (p >= v->scale()) return v->withScale(p);
  // Reduce to `places`, away from the value (floor for the low end, ceiling for the high end).
  Decimal scaled(v->mantissa(), v->scale() - p);
  Decimal whole = high ? scaled.ceiling() : scaled.floor();
  return Decimal(whole.mantissa(), p);
}

template <bool High>
core::Result<Collection> fnBoundary(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, singleInput(call, in));
  if (!v) return Collection{};
  std::optional<std::int64_t> places;
  if (call.argCount() > 0) {
    GW_ASSIGN_OR_RETURN(places, integerArg(ctx, call, 0, in));
    if (!places) return Collection{};
  }
  switch (v->kind()) {
    case Kind::kInteger:
    case Kind::kDecimal: {
      Decimal d = v->kind() == Kind::kInteger ? Decimal::fromInt(v->asInteger()) : v->asDecimal();
      auto r = decimalBoundary(d, d.scale(), places.value_or(8), High);
      return r ? one(Value::decimal(*r)) : Collection{};
    }
    case Kind::kQuantity: {
      Quantity q = v->asQuantity();
      auto r = decimalBoundary(q.value, q.value.scale(), places.value_or(8), High);
      if (!r) return Collection{};
      q.value = *r;
      return one(Value::quantity(q));
    }
    case Kind::kDate:
    case Kind::kDateTime:
    case Kind::kTime: {
      const Temporal& t = v->asTemporal();
      std::int64_t digits = places.value_or(t.kind == Temporal::Kind::kDate ? 8 : t.kind == Temporal::Kind::kTime ? 9 : 17);
      auto r = temporalBoundary(t, digits, High);
      return r ? one(Value::temporal(*r)) : Collection{};
    }
    default: return evalError(call, call.name() + "() applies to numbers, quantities and dates");
  }
}

core::Result<Collection> fnComparable(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, singleInput(call, in));
  GW_ASSIGN_OR_RETURN(auto o, valueArg(ctx, call, 0, in));
  if (!v || !o) return Collection{};
  if (v->kind() != Kind::kQuantity || o->kind() != Kind::kQuantity) return evalError(call, "comparable() takes quantities");
  auto a = toBase(v->asQuantity(), false);
  auto b = toBase(o->asQuantity(), false);
  return boolean(a && b && a->second.sameDimension(b->second));
}

}  // namespace

std::vector<FunctionDef> temporalFunctions() {
  return {
      {"now", 0, 0, fnNow},
      {"today", 0, 0, fnToday},
      {"timeOfDay", 0, 0, fnTimeOfDay},
      {"precision", 0, 0, fnPrecision},
      {"lowBoundary", 0, 1, fnBoundary<false>},
      {"highBoundary", 0, 1, fnBoundary<true>},
      {"comparable", 1, 1, fnComparable},
  };
}

}  // namespace onedoor::fhirpath
