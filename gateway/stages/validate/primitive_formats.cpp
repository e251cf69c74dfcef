#include "stages/validate/primitive_formats.h"

namespace onedoor::stages::validate {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }
// \s as the definitions' (ECMAScript, byte-wise) regexes mean it.
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Reads exactly n digits at p into v.
bool digits(std::string_view s, std::size_t& p, int n, int& v) {
  if (p + static_cast<std::size_t>(n) > s.size()) return false;
  v = 0;
  for (int i = 0; i < n; ++i) {
    if (!digit(s[p])) return false;
    v = v * 10 + (s[p++] - '0');
  }
  return true;
}

bool lit(std::string_view s, std::size_t& p, char c) {
  if (p >= s.size() || s[p] != c) return false;
  ++p;
  return true;
}

// hh:mm:ss(.f+)? with hh 00-23, mm 00-59, ss 00-60.
bool clock(std::string_view s, std::size_t& p) {
  int h = 0, m = 0, sec = 0;
  if (!digits(s, p, 2, h) || h > 23 || !lit(s, p, ':') || !digits(s, p, 2, m) || m > 59 || !lit(s, p, ':') ||
      !digits(s, p, 2, sec) || sec > 60) {
    return false;
  }
  if (p < s.size() && s[p] == '.') {
    ++p;
    std::size_t start = p;
    while (p < s.size() && digit(s[p])) ++p;
    if (p == start) return false;
  }
  return true;
}

// Z or +hh:mm / -hh:mm with hh 00-13 (any minutes) or exactly 14:00.
bool zone(std::string_view s, std::size_t& p) {
  if (lit(s, p, 'Z')) return true;
  if (p >= s.size() || (s[p] != '+' && s[p] != '-')) return false;
  ++p;
  int h = 0, m = 0;
  if (!digits(s, p, 2, h) || !lit(s, p, ':') || !digits(s, p, 2, m) || m > 59) return false;
  return h <= 13 || (h == 14 && m == 0);
}

enum class Temporal { kDate, kDateTime, kInstant };

bool temporal(std::string_view s, Temporal kind) {
  std::size_t p = 0;
  int y = 0, mo = 0, d = 0;
  if (!digits(s, p, 4, y) || y == 0) return false;
  if (p == s.size()) return kind != Temporal::kInstant;
  if (!lit(s, p, '-') || !digits(s, p, 2, mo) || mo < 1 || mo > 12) return false;
  if (p == s.size()) return kind != Temporal::kInstant;
  if (!lit(s, p, '-') || !digits(s, p, 2, d) || d < 1 || d > 31) return false;
  if (p == s.size()) return kind != Temporal::kInstant;
  if (kind == Temporal::kDate || !lit(s, p, 'T')) return false;
  return clock(s, p) && zone(s, p) && p == s.size();
}

bool number(std::string_view s, bool sign, bool fraction, bool exponent) {
  std::size_t p = 0;
  if (sign && p < s.size() && s[p] == '-') ++p;
  if (p >= s.size() || !digit(s[p])) return false;
  if (s[p] == '0') {
    ++p;
  } else {
    while (p < s.size() && digit(s[p])) ++p;
  }
  if (fraction && p < s.size() && s[p] == '.') {
    ++p;
    std::size_t start = p;
    while (p < s.size() && digit(s[p])) ++p;
    if (p == start) return false;
  }
  if (exponent && p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
    ++p;
    if (p < s.size() && (s[p] == '+' || s[p] == '-')) ++p;
    std::size_t start = p;
    while (p < s.size() && digit(s[p])) ++p;
    if (p == start) return false;
  }
  return p == s.size();
}

bool base64(std::string_view s) {
  // (\s*([0-9a-zA-Z+/=]){4}\s*)+ : groups of four, spaces only between groups.
  std::size_t in_group = 0, groups = 0;
  for (char c : s) {
    if (space(c)) {
      if (in_group != 0) return false;
      continue;
    }
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || digit(c) || c == '+' || c == '/' || c == '=';
    if (!ok) return false;
    if (++in_group == 4) {
      in_group = 0;
      ++groups;
    }
  }
  return in_group == 0 && groups > 0;
}

bool oid(std::string_view s) {
  constexpr std::string_view kPrefix = "urn:oid:";
  if (s.substr(0, kPrefix.size()) != kPrefix) return false;
  s.remove_prefix(kPrefix.size());
  if (s.empty() || s[0] < '0' || s[0] > '2') return false;
  std::size_t p = 1, arcs = 0;
  while (p < s.size()) {
    if (s[p++] != '.' || p >= s.size() || !digit(s[p])) return false;
    if (s[p] == '0') {
      ++p;
    } else {
      while (p < s.size() && digit(s[p])) ++p;
    }
    ++arcs;
  }
  return arcs > 0;
}

bool uuid(std::string_view s) {
  constexpr std::string_view kPrefix = "urn:uuid:";
  if (s.substr(0, kPrefix.size()) != kPrefix || s.size() != kPrefix.size() + 36) return false;
  s.remove_prefix(kPrefix.size());
  for (std::size_t i = 0; i < 36; ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !(digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::optional<bool> primitiveFormatOk(std::string_view type, std::string_view v) {
  if (type == "string" || type == "markdown") {
    // [ \r\n\t\S]+ : anything but vertical tab and form feed, not empty.
    if (v.empty()) return false;
    for (char c : v) {
      if (c == '\v' || c == '\f') return false;
    }
    return true;
  }
  if (type == "code") {
    // [^\s]+(\s[^\s]+)* : no space at either end, never two together.
    if (v.empty() || space(v.front()) || space(v.back())) return false;
    for (std::size_t i = 1; i < v.size(); ++i) {
      if (space(v[i]) && space(v[i - 1])) return false;
    }
    return true;
  }
  if (type == "id") {
    if (v.empty() || v.size() > 64) return false;
    for (char c : v) {
      if (!(digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '.')) return false;
    }
    return true;
  }
  if (type == "uri" || type == "url" || type == "canonical") {
    for (char c : v) {
      if (space(c)) return false;
    }
    return true;
  }
  if (type == "date") return temporal(v, Temporal::kDate);
  if (type == "dateTime") return temporal(v, Temporal::kDateTime);
  if (type == "instant") return temporal(v, Temporal::kInstant);
  if (type == "time") {
    std::size_t p = 0;
    return clock(v, p) && p == v.size();
  }
  if (type == "decimal") return number(v, true, true, true);
  if (type == "integer") return number(v, true, false, false);
  if (type == "unsignedInt") return number(v, false, false, false);
  if (type == "positiveInt") return number(v, false, false, false) && v != "0";
  if (type == "boolean") return v == "true" || v == "false";
  if (type == "base64Binary") return base64(v);
  if (type == "oid") return oid(v);
  if (type == "uuid") return uuid(v);
  return std::nullopt;
}

}  // namespace onedoor::stages::validate
