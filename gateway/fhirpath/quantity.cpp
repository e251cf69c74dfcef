#include "fhirpath/quantity.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace onedoor::fhirpath {
namespace {

enum Dim { kM, kG, kS, kK, kMol, kCd, kC, kRad };

struct Atom {
  const char* factor;  // decimal, in base units
  std::array<int, 8> dims;
  bool metric;         // takes prefixes
};

const std::map<std::string, Atom, std::less<>>& atoms() {
  static const std::map<std::string, Atom, std::less<>> k = {
      {"1", {"1", {}, false}},
      {"m", {"1", {1, 0, 0, 0, 0, 0, 0, 0}, true}},
      {"g", {"1", {0, 1, 0, 0, 0, 0, 0, 0}, true}},
      {"s", {"1", {0, 0, 1, 0, 0, 0, 0, 0}, true}},
      {"K", {"1", {0, 0, 0, 1, 0, 0, 0, 0}, true}},
      {"mol", {"602213670000000000000000", {0, 0, 0, 0, 1, 0, 0, 0}, true}},
      {"cd", {"1", {0, 0, 0, 0, 0, 1, 0, 0}, true}},
      {"C", {"1", {0, 0, 0, 0, 0, 0, 1, 0}, true}},
      {"rad", {"1", {0, 0, 0, 0, 0, 0, 0, 1}, true}},
      {"sr", {"1", {0, 0, 0, 0, 0, 0, 0, 2}, true}},
      {"L", {"0.001", {3, 0, 0, 0, 0, 0, 0, 0}, true}},
      {"l", {"0.001", {3, 0, 0, 0, 0, 0, 0, 0}, true}},
      {"Hz", {"1", {0, 0, -1, 0, 0, 0, 0, 0}, true}},
      {"N", {"1000", {1, 1, -2, 0, 0, 0, 0, 0}, true}},
      {"Pa", {"1000", {-1, 1, -2, 0, 0, 0, 0, 0}, true}},
      {"J", {"1000", {2, 1, -2, 0, 0, 0, 0, 0}, true}},
      {"W", {"1000", {2, 1, -3, 0, 0, 0, 0, 0}, true}},
      {"A", {"1", {0, 0, -1, 0, 0, 0, 1, 0}, true}},
      {"V", {"1000", {2, 1, -2, 0, 0, 0, -1, 0}, true}},
      {"bar", {"100000000", {-1, 1, -2, 0, 0, 0, 0, 0}, true}},
      {"eq", {"602213670000000000000000", {0, 0, 0, 0, 1, 0, 0, 0}, true}},
      {"osm", {"602213670000000000000000", {0, 0, 0, 0, 1, 0, 0, 0}, true}},
      {"kat", {"602213670000000000000000", {0, 0, -1, 0, 1, 0, 0, 0}, true}},
      {"U", {"10036894500000000", {0, 0, -1, 0, 1, 0, 0, 0}, true}},
      {"cal", {"4184", {2, 1, -2, 0, 0, 0, 0, 0}, true}},
      {"m[Hg]", {"133322000", {-1, 1, -2, 0, 0, 0, 0, 0}, true}},
      {"m[H2O]", {"9806650", {-1, 1, -2, 0, 0, 0, 0, 0}, true}},
      {"min", {"60", {0, 0, 1, 0, 0, 0, 0, 0}, false}},
      {"h", {"3600", {0, 0, 1, 0, 0, 0, 0, 0}, false}},
      {"d", {"86400", {0, 0, 1, 0, 0, 0, 0, 0}, false}},
      {"wk", {"604800", {0, 0, 1, 0, 0, 0, 0, 0}, false}},
      {"mo", {"2629800", {0, 0, 1, 0, 0, 0, 0, 0}, false}},
      {"a", {"31557600", {0, 0, 1, 0, 0, 0, 0, 0}, false}},
      {"%", {"0.01", {}, false}},
      {"[ppm]", {"0.000001", {}, false}},
      {"[ppb]", {"0.000000001", {}, false}},
      {"[lb_av]", {"453.59237", {0, 1, 0, 0, 0, 0, 0, 0}, false}},
      {"[oz_av]", {"28.349523125", {0, 1, 0, 0, 0, 0, 0, 0}, false}},
      {"[in_i]", {"0.0254", {1, 0, 0, 0, 0, 0, 0, 0}, false}},
      {"[ft_i]", {"0.3048", {1, 0, 0, 0, 0, 0, 0, 0}, false}},
      {"[yd_i]", {"0.9144", {1, 0, 0, 0, 0, 0, 0, 0}, false}},
      {"[mi_i]", {"1609.344", {1, 0, 0, 0, 0, 0, 0, 0}, false}},
      {"[gal_us]", {"0.003785411784", {3, 0, 0, 0, 0, 0, 0, 0}, false}},
      {"[foz_us]", {"0.0000295735295625", {3, 0, 0, 0, 0, 0, 0, 0}, false}},
      {"[pi]", {"3.1415926535897932384626433832795028841971693993751058209749445923", {}, false}},
      {"deg", {"0.0174532925199432957692369076848861271344287188854172545609719144", {0, 0, 0, 0, 0, 0, 0, 1}, false}},
      {"[degF]", {"0.5555555555555555555555555555", {0, 0, 0, 1, 0, 0, 0, 0}, false}},
  };
  return k;
}

const std::map<std::string, const char*, std::less<>>& prefixes() {
  static const std::map<std::string, const char*, std::less<>> k = {
      {"Y", "1000000000000000000000000"}, {"Z", "1000000000000000000000"},
      {"E", "1000000000000000000"}, {"P", "1000000000000000"}, {"T", "1000000000000"},
      {"G", "1000000000"}, {"M", "1000000"}, {"k", "1000"}, {"h", "100"}, {"da", "10"},
      {"d", "0.1"}, {"c", "0.01"}, {"m", "0.001"}, {"u", "0.000001"}, {"n", "0.000000001"},
      {"p", "0.000000000001"}, {"f", "0.000000000000001"}, {"a", "0.000000000000000001"},
      {"z", "0.000000000000000000001"}, {"y", "0.000000000000000000000001"},
  };
  return k;
}

Decimal dec(const char* s) { return *Decimal::parse(s); }

std::optional<Decimal> mul(const Decimal& a, const Decimal& b) {
  auto r = a * b;
  if (!r) return std::nullopt;
  return r->scale() > Decimal::kMaxScale ? r->withScale(Decimal::kMaxScale) : *r;
}

// Raises an atom's info to an integer exponent.
std::optional<UnitInfo> power(const UnitInfo& u, int e) {
  UnitInfo out;
  out.arbitrary = u.arbitrary;
  for (int i = 0; i < 8; ++i) out.dims[static_cast<std::size_t>(i)] = u.dims[static_cast<std::size_t>(i)] * e;
  Decimal f = Decimal::fromInt(1);
  for (int i = 0; i < (e < 0 ? -e : e); ++i) {
    auto r = mul(f, u.factor);
    if (!r) return std::nullopt;
    f = *r;
  }
  if (e < 0) {
    auto r = Decimal::divide(Decimal::fromInt(1), f, 24);
    if (!r) return std::nullopt;
    f = *r;
  }
  out.factor = f;
  return out;
}

std::optional<UnitInfo> simpleUnit(std::string_view s) {
  // Annotations ({beats}) are dimensionless; "10*3" style factors are numbers.
  if (s.empty()) return std::nullopt;
  if (s.front() == '{' && s.back() == '}') return UnitInfo{};
  if (auto star = s.find('*'); star != std::string_view::npos && s.substr(0, star) == "10") {
    int e = std::atoi(std::string(s.substr(star + 1)).c_str());
    UnitInfo u;
    u.factor = Decimal::fromInt(1);
    for (int i = 0; i < (e < 0 ? -e : e); ++i) u.factor = *mul(u.factor, Decimal::fromInt(10));
    if (e < 0) u.factor = *Decimal::divide(Decimal::fromInt(1), u.factor, 24);
    return u;
  }
  if (std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    UnitInfo u;
    u.factor = *Decimal::parse(s);
    return u;
  }
  // Strip a trailing annotation (mg{total}).
  if (auto brace = s.find('{'); brace != std::string_view::npos && s.back() == '}') s = s.substr(0, brace);
  // Exponent: trailing digits with optional sign, unless the atom itself ends with them.
  int exp = 1;
  std::size_t end = s.size();
  while (end > 0 && std::isdigit(static_cast<unsigned char>(s[end - 1]))) --end;
  std::size_t sign = end;
  if (sign > 0 && (s[sign - 1] == '-' || s[sign - 1] == '+')) --sign;
  std::string_view base = s;
  if (end < s.size() && sign > 0 && s[sign - 1] != ']') {
    base = s.substr(0, sign);
    exp = std::atoi(std::string(s.substr(sign)).c_str());
  } else if (end < s.size() && sign > 0 && s[sign - 1] == ']') {
    base = s.substr(0, sign);
    exp = std::atoi(std::string(s.substr(sign)).c_str());
  }
  auto fromAtom = [&](const Atom& a, const Decimal& prefix) -> std::optional<UnitInfo> {
    UnitInfo u;
    u.dims = a.dims;
    auto f = mul(dec(a.factor), prefix);
    if (!f) return std::nullopt;
    u.factor = *f;
    return power(u, exp);
  };
  const auto& table = atoms();
  if (auto it = table.find(base); it != table.end()) return fromAtom(it->second, Decimal::fromInt(1));
  for (const auto& [p, f] : prefixes()) {
    if (base.size() > p.size() && base.substr(0, p.size()) == p) {
      auto it = table.find(base.substr(p.size()));
      if (it != table.end() && it->second.metric) return fromAtom(it->second, dec(f));
    }
  }
  if (base.size() > 2 && base.front() == '[' && base.back() == ']') {
    UnitInfo u;  // an arbitrary unit ([iU], [arb'U] ...): compares only with itself
    u.arbitrary = std::string(base);
    return power(u, exp);
  }
  return std::nullopt;
}

std::optional<UnitInfo> combine(const UnitInfo& a, const UnitInfo& b, int sign) {
  UnitInfo out;
  for (std::size_t i = 0; i < 8; ++i) out.dims[i] = a.dims[i] + sign * b.dims[i];
  if (!a.arbitrary.empty() || !b.arbitrary.empty()) {
    out.arbitrary = a.arbitrary + (sign > 0 ? "." : "/") + b.arbitrary;
  }
  auto f = sign > 0 ? mul(a.factor, b.factor) : Decimal::divide(a.factor, b.factor, 24);
  if (!f) return std::nullopt;
  out.factor = *f;
  return out;
}

// term := ['/'] component (('.' | '/') component)*, with parentheses.
std::optional<UnitInfo> parseTerm(std::string_view s, std::size_t& pos) {
  UnitInfo acc;
  int sign = 1;
  if (pos < s.size() && s[pos] == '/') {
    sign = -1;
    ++pos;
  }
  while (true) {
    std::optional<UnitInfo> comp;
    if (pos < s.size() && s[pos] == '(') {
      ++pos;
      comp = parseTerm(s, pos);
      if (!comp || pos >= s.size() || s[pos] != ')') return std::nullopt;
      ++pos;
    } else {
      std::size_t start = pos;
      int depth = 0;
      while (pos < s.size()) {
        char c = s[pos];
        if (c == '[' || c == '{') ++depth;
        if (c == ']' || c == '}') --depth;
        if (depth == 0 && (c == '.' || c == '/' || c == ')')) break;
        ++pos;
      }
      comp = simpleUnit(s.substr(start, pos - start));
    }
    if (!comp) return std::nullopt;
    auto next = combine(acc, *comp, sign);
    if (!next) return std::nullopt;
    acc = *next;
    if (pos >= s.size() || s[pos] == ')') return acc;
    sign = s[pos] == '/' ? -1 : 1;
    ++pos;
  }
}

const char* ucumForCalendar(std::string_view u, bool equivalence) {
  if (u == "week") return "wk";
  if (u == "day") return "d";
  if (u == "hour") return "h";
  if (u == "minute") return "min";
  if (u == "second") return "s";
  if (u == "millisecond") return "ms";
  if (equivalence && u == "year") return "a";
  if (equivalence && u == "month") return "mo";
  return nullptr;
}

}  // namespace

std::optional<std::string> calendarUnit(std::string_view w) {
  static constexpr std::string_view kUnits[] = {"year", "month", "week", "day", "hour", "minute", "second", "millisecond"};
  for (auto u : kUnits) {
    if (w == u || (w.size() == u.size() + 1 && w.back() == 's' && w.substr(0, u.size()) == u)) {
      return std::string(u);
    }
  }
  return std::nullopt;
}

std::string Quantity::toString() const {
  if (calendar) {
    bool one = value.compare(Decimal::fromInt(1)) == 0;
    return value.toString() + " " + unit + (one ? "" : "s");
  }
  return value.toString() + " '" + unit + "'";
}

std::optional<UnitInfo> parseUcum(std::string_view unit) {
  if (unit.empty()) return UnitInfo{};
  std::size_t pos = 0;
  auto u = parseTerm(unit, pos);
  if (!u || pos != unit.size()) return std::nullopt;
  return u;
}

std::optional<std::pair<Decimal, UnitInfo>> toBase(const Quantity& q, bool equivalence) {
  std::optional<UnitInfo> info;
  if (q.calendar) {
    const char* ucum = ucumForCalendar(q.unit, equivalence);
    if (ucum == nullptr) {
      // year and month only compare with each other under '=': express them in months.
      UnitInfo u;
      u.arbitrary = "calendar-month";
      u.factor = Decimal::fromInt(q.unit == "year" ? 12 : 1);
      info = u;
    } else {
      info = parseUcum(ucum);
    }
  } else {
    info = parseUcum(q.unit);
  }
  if (!info) return std::nullopt;
  auto v = mul(q.value, info->factor);
  if (!v) return std::nullopt;
  UnitInfo dims = *info;
  dims.factor = Decimal::fromInt(1);
  return std::make_pair(*v, dims);
}

namespace {

std::string joinUnits(const Quantity& a, const Quantity& b, char op) {
  auto part = [](const Quantity& q) {
    std::string u = q.calendar ? (ucumForCalendar(q.unit, true) ? ucumForCalendar(q.unit, true) : q.unit) : q.unit;
    bool simple = u.find_first_of("./") == std::string::npos;
    return simple ? u : "(" + u + ")";
  };
  if (b.unit == "1" && !b.calendar) return a.unit;
  if (a.unit == "1" && !a.calendar && op == '.') return b.unit;
  return part(a) + op + part(b);
}

}  // namespace

std::optional<Quantity> multiply(const Quantity& a, const Quantity& b) {
  auto v = a.value * b.value;
  if (!v) return std::nullopt;
  Quantity out;
  out.value = *v;
  out.unit = joinUnits(a, b, '.');
  if (!parseUcum(out.unit)) return std::nullopt;
  return out;
}

std::optional<Quantity> divide(const Quantity& a, const Quantity& b) {
  auto v = Decimal::divide(a.value, b.value);
  if (!v) return std::nullopt;
  Quantity out;
  out.value = *v;
  out.unit = joinUnits(a, b, '/');
  auto info = parseUcum(out.unit);
  if (!info) return std::nullopt;
  if (info->dims == std::array<int, 8>{} && info->arbitrary.empty() &&
      info->factor.compare(Decimal::fromInt(1)) == 0) {
    out.unit = "1";
  }
  return out;
}

}  // namespace onedoor::fhirpath
