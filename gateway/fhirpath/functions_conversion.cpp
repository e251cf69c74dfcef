// Conversion functions (https://hl7.org/fhirpath/N1/#conversion).
#include <algorithm>
#include <cctype>
#include <regex>

#include "fhirpath/function_support.h"

namespace onedoor::fhirpath {
namespace {

using Kind = Value::Kind;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::optional<Value> toBoolean(const Value& v) {
  switch (v.kind()) {
    case Kind::kBoolean: return v;
    case Kind::kInteger:
      if (v.asInteger() == 1) return Value::boolean(true);
      if (v.asInteger() == 0) return Value::boolean(false);
      return std::nullopt;
    case Kind::kDecimal:
      if (v.asDecimal().compare(Decimal::fromInt(1)) == 0) return Value::boolean(true);
      if (v.asDecimal().isZero()) return Value::boolean(false);
      return std::nullopt;
    case Kind::kString: {
      std::string s = lower(v.asString());
      if (s == "true" || s == "t" || s == "yes" || s == "y" || s == "1" || s == "1.0") return Value::boolean(true);
      if (s == "false" || s == "f" || s == "no" || s == "n" || s == "0" || s == "0.0") return Value::boolean(false);
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::optional<Value> toInteger(const Value& v) {
  switch (v.kind()) {
    case Kind::kInteger: return v;
    case Kind::kBoolean: return Value::integer(v.asBoolean() ? 1 : 0);
    case Kind::kString: {
      static const std::regex kInt(R"([+-]?\d+)");
      if (!std::regex_match(v.asString(), kInt)) return std::nullopt;
      auto d = Decimal::parse(v.asString());
      if (!d) return std::nullopt;
      auto i = d->toInt64();
      return i ? std::optional<Value>(Value::integer(*i)) : std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::optional<Value> toDecimal(const Value& v) {
  switch (v.kind()) {
    case Kind::kDecimal: return v;
    case Kind::kInteger: return Value::decimal(Decimal::fromInt(v.asInteger()));
    case Kind::kBoolean: return Value::decimal(Decimal::fromInt(v.asBoolean() ? 1 : 0).withScale(1));
    case Kind::kString: {
      static const std::regex kDec(R"([+-]?\d+(\.\d+)?)");
      if (!std::regex_match(v.asString(), kDec)) return std::nullopt;
      auto d = Decimal::parse(v.asString());
      return d ? std::optional<Value>(Value::decimal(*d)) : std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::optional<Value> toQuantityValue(const Value& v, const std::optional<std::string>& unit) {
  std::optional<Quantity> q;
  switch (v.kind()) {
    case Kind::kQuantity: q = v.asQuantity(); break;
    case Kind::kInteger:
    case Kind::kDecimal: {
      auto d = toDecimal(v);
      q = Quantity{d->asDecimal(), "1", false};
      break;
    }
    case Kind::kBoolean: q = Quantity{Decimal::fromInt(v.asBoolean() ? 1 : 0).withScale(1), "1", false}; break;
    case Kind::kString: {
      static const std::regex kQ(R"(([+-]?\d+(?:\.\d+)?)\s*(?:'([^']+)'|([a-zA-Z]+))?)");
      std::smatch m;
      if (!std::regex_match(v.asString(), m, kQ)) return std::nullopt;
      Quantity r;
      r.value = *Decimal::parse(m[1].str());
      if (m[2].matched) {
        r.unit = m[2].str();
        if (!parseUcum(r.unit)) return std::nullopt;
      } else if (m[3].matched) {
        auto cal = calendarUnit(m[3].str());
        if (!cal) return std::nullopt;
        r.unit = *cal;
        r.calendar = true;
      }
      q = r;
      break;
    }
    default: return std::nullopt;
  }
  if (!q) return std::nullopt;
  if (unit && *unit != q->unit) {
    // Convert to the requested unit when the dimensions agree.
    Quantity target{Decimal::fromInt(1), *unit, false};
    if (auto cal = calendarUnit(*unit)) target = Quantity{Decimal::fromInt(1), *cal, true};
    auto from = toBase(*q, false);
    auto to = toBase(target, false);
    if (!from || !to || !from->second.sameDimension(to->second)) return std::nullopt;
    auto v2 = Decimal::divide(from->first, to->first, 12);
    if (!v2) return std::nullopt;
    return Value::quantity(Quantity{v2->stripped(), target.unit, target.calendar});
  }
  return Value::quantity(*q);
}

std::optional<Value> toStringValue(const Value& v) {
  auto s = v.toDisplayString();
  return s ? std::optional<Value>(Value::string(*s)) : std::nullopt;
}

std::optional<Value> toTemporal(const Value& v, Temporal::Kind kind) {
  if (v.kind() == Kind::kString) {
    std::optional<Temporal> t = kind == Temporal::Kind::kDate       ? Temporal::parseDate(v.asString())
                                : kind == Temporal::Kind::kDateTime ? Temporal::parseDateTime(v.asString())
                                                                    : Temporal::parseTime(v.asString());
    if (!t && kind == Temporal::Kind::kDate) {
      // A DateTime string converts to its date part.
      auto dt = Temporal::parseDateTime(v.asString());
      if (dt) {
        t = *dt;
        t->kind = Temporal::Kind::kDate;
        t->precision = std::min(t->precision, TemporalPrecision::kDay);
        t->has_tz = false;
      }
    }
    return t ? std::optional<Value>(Value::temporal(*t)) : std::nullopt;
  }
  if (v.kind() == Kind::kDate && kind == Temporal::Kind::kDateTime) return Value::temporal(v.asTemporal().asDateTime());
  if (v.kind() == Kind::kDateTime && kind == Temporal::Kind::kDate) {
    Temporal t = v.asTemporal();
    t.kind = Temporal::Kind::kDate;
    t.precision = std::min(t.precision, TemporalPrecision::kDay);
    t.has_tz = false;
    return Value::temporal(t);
  }
  if ((v.kind() == Kind::kDate && kind == Temporal::Kind::kDate) ||
      (v.kind() == Kind::kDateTime && kind == Temporal::Kind::kDateTime) ||
      (v.kind() == Kind::kTime && kind == Temporal::Kind::kTime)) {
    return v;
  }
  return std::nullopt;
}

using Converter = std::optional<Value> (*)(const Value&);

template <Converter F>
core::Result<Collection> to(Context&, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, singleInput(call, in));
  if (!v) return Collection{};
  auto r = F(*v);
  return r ? Collection{*r} : Collection{};
}

template <Converter F>
core::Result<Collection> convertsTo(Context&, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, singleInput(call, in));
  if (!v) return Collection{};
  return boolean(F(*v).has_value());
}

std::optional<Value> toDate(const Value& v) { return toTemporal(v, Temporal::Kind::kDate); }
std::optional<Value> toDateTime(const Value& v) { return toTemporal(v, Temporal::Kind::kDateTime); }
std::optional<Value> toTime(const Value& v) { return toTemporal(v, Temporal::Kind::kTime); }

core::Result<Collection> fnToQuantity(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto v, singleInput(call, in));
  if (!v) return Collection{};
  std::optional<std::string> unit;
  if (call.argCount() > 0) {
    GW_ASSIGN_OR_RETURN(unit, stringArg(ctx, call, 0, in));
  }
  auto r = toQuantityValue(*v, unit);
  return r ? Collection{*r} : Collection{};
}

core::Result<Collection> fnConvertsToQuantity(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto r, fnToQuantity(ctx, in, call));
  if (in.empty()) return Collection{};
  return boolean(!r.empty());
}

}  // namespace

std::vector<FunctionDef> conversionFunctions() {
  return {
      {"toBoolean", 0, 0, to<toBoolean>},      {"convertsToBoolean", 0, 0, convertsTo<toBoolean>},
      {"toInteger", 0, 0, to<toInteger>},      {"convertsToInteger", 0, 0, convertsTo<toInteger>},
      {"toDecimal", 0, 0, to<toDecimal>},      {"convertsToDecimal", 0, 0, convertsTo<toDecimal>},
      {"toString", 0, 0, to<toStringValue>},   {"convertsToString", 0, 0, convertsTo<toStringValue>},
      {"toDate", 0, 0, to<toDate>},            {"convertsToDate", 0, 0, convertsTo<toDate>},
      {"toDateTime", 0, 0, to<toDateTime>},    {"convertsToDateTime", 0, 0, convertsTo<toDateTime>},
      {"toTime", 0, 0, to<toTime>},            {"convertsToTime", 0, 0, convertsTo<toTime>},
      {"toQuantity", 0, 1, fnToQuantity},      {"convertsToQuantity", 0, 1, fnConvertsToQuantity},
  };
}

}  // namespace onedoor::fhirpath
