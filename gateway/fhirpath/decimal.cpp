#include "fhirpath/decimal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace onedoor::fhirpath {
namespace {

constexpr __int128 kLimit = static_cast<__int128>(1) << 120;  // headroom before overflow

__int128 pow10(int n) {
  __int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

// Rescales `m` from scale `from` to `to`, rounding half away from zero when reducing.
std::optional<__int128> rescale(__int128 m, int from, int to) {
  if (to == from) return m;
  if (to > from) {
    __int128 f = pow10(to - from);
    if (m > kLimit / f || m < -kLimit / f) return std::nullopt;
    return m * f;
  }
  __int128 f = pow10(from - to);
  __int128 q = m / f;
  __int128 r = m % f;
  if (r < 0) r = -r;
  if (r * 2 >= f) q += m < 0 ? -1 : 1;
  return q;
}

}  // namespace

std::optional<Decimal> Decimal::parse(std::string_view t) {
  std::size_t i = 0;
  bool neg = false;
  if (i < t.size() && (t[i] == '-' || t[i] == '+')) neg = t[i++] == '-';
  __int128 m = 0;
  int scale = 0;
  bool digits = false;
  bool frac = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c == '.' && !frac) {
      frac = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    digits = true;
    if (m > kLimit / 10) return std::nullopt;
    m = m * 10 + (c - '0');
    if (frac) ++scale;
  }
  if (!digits || (frac && t[i - 1] == '.')) return std::nullopt;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) eneg = t[i++] == '-';
    int e = 0;
    bool edigits = false;
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
      e = e * 10 + (t[i] - '0');
      edigits = true;
      if (e > 400) return std::nullopt;
    }
    if (!edigits) return std::nullopt;
    scale += eneg ? e : -e;
  }
  if (i != t.size()) return std::nullopt;
  if (scale < 0) {
    auto r = rescale(m, scale, 0);
    if (!r) return std::nullopt;
    m = *r;
    scale = 0;
  }
  if (scale > kMaxScale) {
    auto r = rescale(m, scale, kMaxScale);
    if (!r) return std::nullopt;
    m = *r;
    scale = kMaxScale;
  }
  return Decimal(neg ? -m : m, scale);
}

std::optional<Decimal> Decimal::fromDouble(double v, int significant) {
  if (!std::isfinite(v)) return std::nullopt;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*e", significant - 1, v);
  auto d = parse(buf);
  if (!d) return std::nullopt;
  return d->stripped();
}

std::string Decimal::toString() const {
  __int128 a = m_ < 0 ? -m_ : m_;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(a % 10)));
    a /= 10;
  } while (a > 0);
  if (scale_ > 0) {
    while (static_cast<int>(digits.size()) <= scale_) digits.insert(digits.begin(), '0');
    digits.insert(digits.end() - scale_, '.');
  }
  return (m_ < 0 ? "-" : "") + digits;
}

double Decimal::toDouble() const { return std::strtod(toString().c_str(), nullptr); }

bool Decimal::isInteger() const { return m_ % pow10(scale_) == 0; }

std::optional<std::int64_t> Decimal::toInt64() const {
  if (!isInteger()) return std::nullopt;
  __int128 v = m_ / pow10(scale_);
  if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

int Decimal::compare(const Decimal& o) const {
  int s = std::max(scale_, o.scale_);
  auto a = rescale(m_, scale_, s);
  auto b = rescale(o.m_, o.scale_, s);
  if (!a || !b) {
    double x = toDouble(), y = o.toDouble();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return *a < *b ? -1 : *a > *b ? 1 : 0;
}

Decimal Decimal::withScale(int scale) const {
  auto r = rescale(m_, scale_, scale);
  return r ? Decimal(*r, scale) : *this;
}

Decimal Decimal::truncated() const { return Decimal(m_ / pow10(scale_), 0); }

Decimal Decimal::floor() const {
  Decimal t = truncated();
  if (m_ < 0 && !isInteger()) t.m_ -= 1;
  return t;
}

Decimal Decimal::ceiling() const {
  Decimal t = truncated();
  if (m_ > 0 && !isInteger()) t.m_ += 1;
  return t;
}

Decimal Decimal::abs() const { return Decimal(m_ < 0 ? -m_ : m_, scale_); }
Decimal Decimal::negated() const { return Decimal(-m_, scale_); }

Decimal Decimal::stripped() const {
  Decimal d = *this;
  while (d.scale_ > 0 && d.m_ % 10 == 0) {
    d.m_ /= 10;
    --d.scale_;
  }
  return d;
}

std::optional<Decimal> operator+(const Decimal& a, const Decimal& b) {
  int s = std::max(a.scale_, b.scale_);
  auto x = rescale(a.m_, a.scale_, s);
  auto y = rescale(b.m_, b.scale_, s);
  if (!x || !y) return std::nullopt;
  return Decimal(*x + *y, s);
}

std::optional<Decimal> operator-(const Decimal& a, const Decimal& b) { return a + b.negated(); }

std::optional<Decimal> operator*(const Decimal& a, const Decimal& b) {
  Decimal x = a.stripped();
  Decimal y = b.stripped();
  if (x.m_ != 0 && y.m_ != 0) {
    __int128 ax = x.m_ < 0 ? -x.m_ : x.m_;
    __int128 ay = y.m_ < 0 ? -y.m_ : y.m_;
    if (ax > kLimit / ay) return std::nullopt;
  }
  Decimal r(x.m_ * y.m_, x.scale_ + y.scale_);
  if (r.scale_ > Decimal::kMaxScale) r = r.withScale(Decimal::kMaxScale);
  // Keep at least the precision of the more precise operand (1.2 * 1.8 = 2.16).
  int want = std::max(a.scale_, b.scale_);
  if (r.scale_ < want) r = r.withScale(want);
  return r;
}

std::optional<Decimal> Decimal::divide(const Decimal& a, const Decimal& b, int scale) {
  if (b.m_ == 0) return std::nullopt;
  if (scale < 0) scale = std::max({kDivisionScale, a.scale_, b.scale_});
  // a/b = (a.m * 10^k) / b.m at scale (a.scale + k - b.scale); pick k for the target scale + 1.
  int k = scale + 1 - a.scale_ + b.scale_;
  __int128 num = a.m_;
  if (k > 0) {
    auto r = rescale(num, 0, k);
    // Very large dividends cannot carry many places: give up places, not the result.
    while (!r && scale > 0) {
      --scale;
      --k;
      r = k > 0 ? rescale(num, 0, k) : std::optional<__int128>(k == 0 ? num : num / pow10(-k));
    }
    if (!r) return std::nullopt;
    num = *r;
  } else if (k < 0) {
    num = num / pow10(-k);
  }
  __int128 q = num / b.m_;  // at scale + 1
  Decimal r(q, scale + 1);
  return r.withScale(scale).stripped();
}

}  // namespace onedoor::fhirpath
