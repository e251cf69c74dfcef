#include "fhirpath/operators.h"

#include <algorithm>
#include <cctype>

namespace onedoor::fhirpath {
namespace {

using Kind = Value::Kind;

bool numeric(Kind k) { return k == Kind::kInteger || k == Kind::kDecimal; }
bool temporal(Kind k) { return k == Kind::kDate || k == Kind::kDateTime || k == Kind::kTime; }

Decimal asDec(const Value& v) {
  return v.kind() == Kind::kInteger ? Decimal::fromInt(v.asInteger()) : v.asDecimal();
}

std::string normalizeSpace(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool complexNode(const Value& v) {
  return v.isNode() && v.node()->type != nullptr && !v.node()->type->isPrimitive() &&
         !v.node()->type->isa("Quantity");
}

bool nodesEqual(const fhir::Node& a, const fhir::Node& b, bool equivalence);

bool childListsEqual(const fhir::Node& a, const fhir::Node& b, bool equivalence) {
  std::vector<const fhir::Node*> ca, cb;
  for (const auto& c : a.children) {
    if (c.name != "id" || equivalence == false) ca.push_back(&c);
  }
  for (const auto& c : b.children) {
    if (c.name != "id" || equivalence == false) cb.push_back(&c);
  }
  if (ca.size() != cb.size()) return false;
  for (std::size_t i = 0; i < ca.size(); ++i) {
    if (ca[i]->name != cb[i]->name || !nodesEqual(*ca[i], *cb[i], equivalence)) return false;
  }
  return true;
}

bool nodesEqual(const fhir::Node& a, const fhir::Node& b, bool equivalence) {
  if (a.has_value != b.has_value) return false;
  if (a.has_value) {
    Value va(&a), vb(&b);
    if (equivalence) {
      if (!itemsEquivalent(va, vb)) return false;
    } else {
      auto r = itemsEqual(va, vb);
      if (!r || !*r) return false;
    }
  }
  return childListsEqual(a, b, equivalence);
}

std::optional<bool> quantitiesEqual(const Quantity& a, const Quantity& b, bool equivalence) {
  auto x = toBase(a, equivalence);
  auto y = toBase(b, equivalence);
  if (!x || !y || !x->second.sameDimension(y->second)) return std::nullopt;
  if (equivalence) {
    int scale = std::min(a.value.scale(), b.value.scale());
    return x->first.withScale(scale).compare(y->first.withScale(scale)) == 0;
  }
  return x->first.compare(y->first) == 0;
}

}  // namespace

std::optional<bool> itemsEqual(const Value& a0, const Value& b0) {
  if (complexNode(a0) || complexNode(b0)) {
    if (!a0.isNode() || !b0.isNode()) return false;
    return nodesEqual(*a0.node(), *b0.node(), false);
  }
  auto sa = a0.system();
  auto sb = b0.system();
  if (!sa || !sb) return std::nullopt;
  const Value& a = *sa;
  const Value& b = *sb;
  Kind ka = a.kind(), kb = b.kind();
  if (numeric(ka) && numeric(kb)) return asDec(a).compare(asDec(b)) == 0;
  if (temporal(ka) && temporal(kb)) {
    if ((ka == Kind::kTime) != (kb == Kind::kTime)) return false;  // a time is never a date
    auto c = Temporal::compare(a.asTemporal(), b.asTemporal());
    if (!c) return std::nullopt;
    return *c == 0;
  }
  if (ka != kb) {
    if (ka == Kind::kQuantity && numeric(kb)) return std::nullopt;
    return false;
  }
  switch (ka) {
    case Kind::kBoolean: return a.asBoolean() == b.asBoolean();
    case Kind::kString: return a.asString() == b.asString();
    case Kind::kQuantity: return quantitiesEqual(a.asQuantity(), b.asQuantity(), false);
    case Kind::kTypeName: return a.asTypeName() == b.asTypeName();
    default: return false;
  }
}

bool itemsEquivalent(const Value& a0, const Value& b0) {
  if (complexNode(a0) || complexNode(b0)) {
    if (!a0.isNode() || !b0.isNode()) return false;
    return nodesEqual(*a0.node(), *b0.node(), true);
  }
  auto sa = a0.system();
  auto sb = b0.system();
  if (!sa || !sb) return false;
  const Value& a = *sa;
  const Value& b = *sb;
  Kind ka = a.kind(), kb = b.kind();
  if (numeric(ka) && numeric(kb)) {
    Decimal x = asDec(a), y = asDec(b);
    int scale = std::min(x.stripped().scale(), y.stripped().scale());
    return x.withScale(scale).compare(y.withScale(scale)) == 0;
  }
  if (temporal(ka) && temporal(kb)) {
    auto c = Temporal::compare(a.asTemporal(), b.asTemporal());
    return c && *c == 0;
  }
  if (ka != kb) return false;
  switch (ka) {
    case Kind::kBoolean: return a.asBoolean() == b.asBoolean();
    case Kind::kString: return normalizeSpace(a.asString()) == normalizeSpace(b.asString());
    case Kind::kQuantity: {
      auto r = quantitiesEqual(a.asQuantity(), b.asQuantity(), true);
      return r && *r;
    }
    case Kind::kTypeName: return a.asTypeName() == b.asTypeName();
    default: return false;
  }
}

std::optional<bool> collectionsEqual(const Collection& a, const Collection& b) {
  if (a.empty() || b.empty()) return std::nullopt;
  if (a.size() != b.size()) return false;
  bool unknown = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto r = itemsEqual(a[i], b[i]);
    if (!r) {
      unknown = true;
      continue;
    }
    if (!*r) return false;
  }
  if (unknown) return std::nullopt;
  return true;
}

bool collectionsEquivalent(const Collection& a, const Collection& b) {
  if (a.empty() && b.empty()) return true;
  if (a.size() != b.size()) return false;
  std::vector<bool> used(b.size(), false);
  for (const auto& x : a) {
    bool found = false;
    for (std::size_t j = 0; j < b.size() && !found; ++j) {
      if (!used[j] && itemsEquivalent(x, b[j])) {
        used[j] = true;
        found = true;
      }
    }
    if (!found) return false;
  }
  return true;
}

core::Result<std::optional<int>> compareItems(const Value& a0, const Value& b0) {
  auto sa = a0.system();
  auto sb = b0.system();
  if (!sa || !sb) return core::invalid("these values cannot be ordered");
  const Value& a = *sa;
  const Value& b = *sb;
  Kind ka = a.kind(), kb = b.kind();
  if (numeric(ka) && numeric(kb)) return std::optional<int>(asDec(a).compare(asDec(b)));
  if (temporal(ka) && temporal(kb)) {
    if ((ka == Kind::kTime) != (kb == Kind::kTime)) {
      return core::invalid("a Time cannot be compared with a Date or DateTime");
    }
    return Temporal::compare(a.asTemporal(), b.asTemporal());
  }
  if (ka == Kind::kString && kb == Kind::kString) {
    int c = a.asString().compare(b.asString());
    return std::optional<int>(c < 0 ? -1 : c > 0 ? 1 : 0);
  }
  if (ka == Kind::kQuantity && kb == Kind::kQuantity) {
    auto x = toBase(a.asQuantity(), false);
    auto y = toBase(b.asQuantity(), false);
    if (!x || !y || !x->second.sameDimension(y->second)) return std::optional<int>();
    return std::optional<int>(x->first.compare(y->first));
  }
  return core::invalid("values of these types cannot be ordered");
}

namespace {

std::optional<std::int64_t> checked(__int128 v) {
  if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

core::Result<std::optional<Value>> temporalPlus(const Temporal& t, const Quantity& q, int sign) {
  std::string unit = q.unit;
  if (!q.calendar) {
    static const std::pair<const char*, const char*> kUcum[] = {
        {"wk", "week"}, {"d", "day"}, {"h", "hour"}, {"min", "minute"}, {"s", "second"}, {"ms", "millisecond"}};
    bool found = false;
    for (const auto& [code, word] : kUcum) {
      if (unit == code) {
        unit = word;
        found = true;
      }
    }
    if (!found) {
      return core::invalid("a date/time cannot be moved by '" + q.unit +
                           "' (use a calendar duration such as 1 month or 1 year)");
    }
  }
  auto whole = q.value.truncated().toInt64();
  if (!whole) return std::optional<Value>();
  auto r = t.plus(sign * *whole, unit);
  if (!r) return std::optional<Value>();
  return std::optional<Value>(Value::temporal(*r));
}

}  // namespace

core::Result<std::optional<Value>> arithmetic(ArithOp op, const Value& a0, const Value& b0) {
  auto sa = a0.system();
  auto sb = b0.system();
  if (!sa || !sb) return core::invalid("arithmetic needs System values");
  const Value& a = *sa;
  const Value& b = *sb;
  Kind ka = a.kind(), kb = b.kind();
  using R = std::optional<Value>;
  if (op == ArithOp::kAdd && ka == Kind::kString && kb == Kind::kString) {
    return R(Value::string(a.asString() + b.asString()));
  }
  if (temporal(ka) && kb == Kind::kQuantity && (op == ArithOp::kAdd || op == ArithOp::kSub)) {
    return temporalPlus(a.asTemporal(), b.asQuantity(), op == ArithOp::kAdd ? 1 : -1);
  }
  if (ka == Kind::kInteger && kb == Kind::kInteger && op != ArithOp::kDiv) {
    __int128 x = a.asInteger(), y = b.asInteger();
    std::optional<std::int64_t> r;
    switch (op) {
      case ArithOp::kAdd: r = checked(x + y); break;
      case ArithOp::kSub: r = checked(x - y); break;
      case ArithOp::kMul: r = checked(x * y); break;
      case ArithOp::kIntDiv:
        if (y == 0) return R();
        r = checked(x / y);
        break;
      case ArithOp::kMod:
        if (y == 0) return R();
        r = checked(x % y);
        break;
      default: break;
    }
    return r ? R(Value::integer(*r)) : R();
  }
  if (numeric(ka) && numeric(kb)) {
    Decimal x = asDec(a), y = asDec(b);
    std::optional<Decimal> r;
    switch (op) {
      case ArithOp::kAdd: r = x + y; break;
      case ArithOp::kSub: r = x - y; break;
      case ArithOp::kMul: r = x * y; break;
      case ArithOp::kDiv: r = Decimal::divide(x, y); break;
      case ArithOp::kIntDiv: {
        auto q = Decimal::divide(x, y);
        if (!q) return R();
        auto i = q->truncated().toInt64();
        return i ? R(Value::integer(*i)) : R();
      }
      case ArithOp::kMod: {
        if (y.isZero()) return R();
        auto q = Decimal::divide(x, y);
        if (!q) return R();
        auto p = q->truncated() * y;
        if (!p) return R();
        r = x - *p;
        break;
      }
    }
    return r ? R(Value::decimal(*r)) : R();
  }
  if (ka == Kind::kQuantity || kb == Kind::kQuantity) {
    auto toQ = [](const Value& v) -> std::optional<Quantity> {
      if (v.kind() == Kind::kQuantity) return v.asQuantity();
      if (numeric(v.kind())) return Quantity{asDec(v), "1", false};
      return std::nullopt;
    };
    auto qa = toQ(a), qb = toQ(b);
    if (!qa || !qb) return core::invalid("a Quantity cannot be combined with this value");
    if (op == ArithOp::kMul) return R(multiply(*qa, *qb) ? std::optional<Value>(Value::quantity(*multiply(*qa, *qb))) : R());
    if (op == ArithOp::kDiv) {
      auto d = divide(*qa, *qb);
      return d ? R(Value::quantity(*d)) : R();
    }
    if (op == ArithOp::kAdd || op == ArithOp::kSub) {
      auto x = toBase(*qa, false), y = toBase(*qb, false);
      if (!x || !y || !x->second.sameDimension(y->second)) return R();
      if (qa->unit == qb->unit && qa->calendar == qb->calendar) {
        auto v = op == ArithOp::kAdd ? qa->value + qb->value : qa->value - qb->value;
        if (!v) return R();
        return R(Value::quantity({*v, qa->unit, qa->calendar}));
      }
      // Different units of one dimension: the right operand is converted to the left's unit.
      auto factor = toBase({Decimal::fromInt(1), qa->unit, qa->calendar}, false);
      if (!factor) return R();
      auto converted = Decimal::divide(y->first, factor->first, 12);
      if (!converted) return R();
      auto v = op == ArithOp::kAdd ? qa->value + converted->stripped() : qa->value - converted->stripped();
      if (!v) return R();
      return R(Value::quantity({*v, qa->unit, qa->calendar}));
    }
    return core::invalid("div and mod do not apply to quantities");
  }
  return core::invalid("this operator does not apply to these types");
}

namespace {

// A key that is equal for two items exactly when they are equal: for Strings, Integers,
// Decimals (by value: 1.0 and 1 share a key) and Booleans; nullopt for everything else.
std::optional<std::string> equalityKey(const Value& v) {
  if (v.isNode() && (v.node()->type == nullptr || !v.node()->type->isPrimitive())) return std::nullopt;
  auto s = v.system();
  if (!s) return std::nullopt;
  switch (s->kind()) {
    case Kind::kString: return "s" + s->asString();
    case Kind::kBoolean: return s->asBoolean() ? "bt" : "bf";
    case Kind::kInteger: return "n" + Decimal::fromInt(s->asInteger()).toString();
    case Kind::kDecimal: return "n" + s->asDecimal().stripped().toString();
    default: return std::nullopt;
  }
}

}  // namespace

DistinctAppender::DistinctAppender(Collection& into) : into_(into) {
  for (std::size_t i = 0; i < into_.size(); ++i) {
    auto k = equalityKey(into_[i]);
    if (k) {
      keys_.insert(*k);
    } else {
      others_.push_back(i);
    }
  }
}

void DistinctAppender::add(const Value& v) {
  if (auto k = equalityKey(v)) {
    if (keys_.insert(*std::move(k)).second) into_.push_back(v);
    return;
  }
  for (std::size_t i : others_) {
    auto r = itemsEqual(into_[i], v);
    if (r && *r) return;
  }
  others_.push_back(into_.size());
  into_.push_back(v);
}

bool containsEqual(const Collection& collection, const Value& value) {
  for (const auto& item : collection) {
    auto r = itemsEqual(item, value);
    if (r && *r) return true;
  }
  return false;
}

}  // namespace onedoor::fhirpath
