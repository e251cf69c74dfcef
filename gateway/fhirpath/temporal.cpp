#include "fhirpath/temporal.h"

#include <cstdio>
#include <ctime>

#include "core/calendar.h"

namespace onedoor::fhirpath {
namespace {

using core::daysFromCivil;
using core::daysInMonth;

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// Parses hh[:mm[:ss[.fff]]] at pos; returns the end position or npos.
std::size_t parseClock(std::string_view s, std::size_t pos, Temporal& t, bool hour_alone_ok) {
  if (!digits(s, pos, 2, t.hour) || t.hour > 23) return std::string_view::npos;
  pos += 2;
  t.precision = TemporalPrecision::kHour;
  if (pos >= s.size() || s[pos] != ':') return hour_alone_ok ? pos : std::string_view::npos;
  if (!digits(s, pos + 1, 2, t.minute) || t.minute > 59) return std::string_view::npos;
  pos += 3;
  t.precision = TemporalPrecision::kMinute;
  if (pos >= s.size() || s[pos] != ':') return pos;
  if (!digits(s, pos + 1, 2, t.second) || t.second > 59) return std::string_view::npos;
  pos += 3;
  t.precision = TemporalPrecision::kSecond;
  if (pos < s.size() && s[pos] == '.') {
    std::size_t end = pos + 1;
    int ms = 0, n = 0;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') {
      if (n < 3) ms = ms * 10 + (s[end] - '0');
      ++n;
      ++end;
    }
    if (n == 0) return std::string_view::npos;
    for (int k = n; k < 3; ++k) ms *= 10;
    t.millis = ms;
    t.precision = TemporalPrecision::kMillisecond;
    pos = end;
  }
  return pos;
}

std::size_t parseYmd(std::string_view s, Temporal& t) {
  if (!digits(s, 0, 4, t.year)) return std::string_view::npos;
  t.precision = TemporalPrecision::kYear;
  std::size_t pos = 4;
  if (pos < s.size() && s[pos] == '-') {
    if (!digits(s, pos + 1, 2, t.month) || t.month < 1 || t.month > 12) return std::string_view::npos;
    pos += 3;
    t.precision = TemporalPrecision::kMonth;
    if (pos < s.size() && s[pos] == '-') {
      if (!digits(s, pos + 1, 2, t.day) || t.day < 1 || t.day > daysInMonth(t.year, t.month)) {
        return std::string_view::npos;
      }
      pos += 3;
      t.precision = TemporalPrecision::kDay;
    }
  }
  return pos;
}

void civilFromDays(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yy + (m <= 2));
}

// Milliseconds since the epoch of the full value (missing parts at their minimum), in UTC when
// the value has a time zone.
std::int64_t instantMillis(const Temporal& t) {
  std::int64_t days = t.kind == Temporal::Kind::kTime ? 0 : daysFromCivil(t.year, t.month, t.day);
  std::int64_t ms = ((days * 24 + t.hour) * 60 + t.minute) * 60000 + t.second * 1000 + t.millis;
  if (t.has_tz) ms -= static_cast<std::int64_t>(t.tz_minutes) * 60000;
  return ms;
}

int unit(const Temporal& t, TemporalPrecision p) {
  switch (p) {
    case TemporalPrecision::kYear: return t.year;
    case TemporalPrecision::kMonth: return t.month;
    case TemporalPrecision::kDay: return t.day;
    case TemporalPrecision::kHour: return t.hour;
    case TemporalPrecision::kMinute: return t.minute;
    case TemporalPrecision::kSecond: return t.second * 1000 + t.millis;
    case TemporalPrecision::kMillisecond: return t.second * 1000 + t.millis;
  }
  return 0;
}

}  // namespace

std::optional<Temporal> Temporal::parseDate(std::string_view s) {
  Temporal t;
  t.kind = Kind::kDate;
  if (parseYmd(s, t) != s.size()) return std::nullopt;
  return t;
}

std::optional<Temporal> Temporal::parseDateTime(std::string_view s) {
  Temporal t;
  t.kind = Kind::kDateTime;
  std::size_t pos = parseYmd(s, t);
  if (pos == std::string_view::npos) return std::nullopt;
  if (pos == s.size()) return t;
  if (s[pos] != 'T') return std::nullopt;
  ++pos;
  if (pos == s.size()) return t;  // @2015T: a DateTime at year precision
  if (t.precision != TemporalPrecision::kDay) return std::nullopt;
  pos = parseClock(s, pos, t, true);
  if (pos == std::string_view::npos) return std::nullopt;
  if (pos == s.size()) return t;
  if (s[pos] == 'Z' && pos + 1 == s.size()) {
    t.has_tz = true;
    return t;
  }
  int hh = 0, mm = 0;
  if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && digits(s, pos + 1, 2, hh) &&
      s[pos + 3] == ':' && digits(s, pos + 4, 2, mm) && hh <= 14 && mm <= 59) {
    t.has_tz = true;
    t.tz_minutes = (hh * 60 + mm) * (s[pos] == '-' ? -1 : 1);
    return t;
  }
  return std::nullopt;
}

std::optional<Temporal> Temporal::parseTime(std::string_view s) {
  Temporal t;
  t.kind = Kind::kTime;
  t.year = 0;
  if (parseClock(s, 0, t, true) != s.size()) return std::nullopt;
  return t;
}

std::optional<Temporal> Temporal::parseFhir(std::string_view type, std::string_view s) {
  if (type == "date") return parseDate(s);
  if (type == "time") return parseTime(s);
  if (type == "dateTime" || type == "instant") {
    if (!s.empty() && s.back() == 'T') return std::nullopt;
    return parseDateTime(s);
  }
  return std::nullopt;
}

std::string Temporal::toString() const {
  char buf[64];
  std::string out;
  if (kind != Kind::kTime) {
    std::snprintf(buf, sizeof buf, "%04d", year);
    out += buf;
    if (precision >= TemporalPrecision::kMonth) {
      std::snprintf(buf, sizeof buf, "-%02d", month);
      out += buf;
    }
    if (precision >= TemporalPrecision::kDay) {
      std::snprintf(buf, sizeof buf, "-%02d", day);
      out += buf;
    }
    if (kind == Kind::kDate || precision < TemporalPrecision::kHour) return out;
    out += 'T';
  }
  std::snprintf(buf, sizeof buf, "%02d", hour);
  out += buf;
  if (precision >= TemporalPrecision::kMinute) {
    std::snprintf(buf, sizeof buf, ":%02d", minute);
    out += buf;
  }
  if (precision >= TemporalPrecision::kSecond) {
    std::snprintf(buf, sizeof buf, ":%02d", second);
    out += buf;
  }
  if (precision >= TemporalPrecision::kMillisecond) {
    std::snprintf(buf, sizeof buf, ".%03d", millis);
    out += buf;
  }
  if (has_tz && kind == Kind::kDateTime) {
    if (tz_minutes == 0) {
      out += 'Z';
    } else {
      int a = tz_minutes < 0 ? -tz_minutes : tz_minutes;
      std::snprintf(buf, sizeof buf, "%c%02d:%02d", tz_minutes < 0 ? '-' : '+', a / 60, a % 60);
      out += buf;
    }
  }
  return out;
}

int Temporal::precisionDigits() const {
  static constexpr int kDateDigits[] = {0, 4, 6, 8, 10, 12, 14, 17};
  static constexpr int kTimeDigits[] = {0, 0, 0, 0, 2, 4, 6, 9};
  int p = static_cast<int>(precision);
  return kind == Kind::kTime ? kTimeDigits[p] : kDateDigits[p];
}

Temporal Temporal::asDateTime() const {
  Temporal t = *this;
  if (t.kind == Kind::kDate) t.kind = Kind::kDateTime;
  return t;
}

std::optional<int> Temporal::compare(const Temporal& a0, const Temporal& b0) {
  Temporal a = a0.kind == Kind::kDate && b0.kind == Kind::kDateTime ? a0.asDateTime() : a0;
  Temporal b = b0.kind == Kind::kDate && a0.kind == Kind::kDateTime ? b0.asDateTime() : b0;
  if ((a.kind == Kind::kTime) != (b.kind == Kind::kTime)) return std::nullopt;
  // Time zones: both known → compare instants at the common precision; one known → only
  // comparable when the answer does not depend on the zone (not attempted: incomparable).
  if (a.has_tz != b.has_tz && a.precision >= TemporalPrecision::kHour &&
      b.precision >= TemporalPrecision::kHour) {
    return std::nullopt;
  }
  auto pa = a.precision == TemporalPrecision::kMillisecond ? TemporalPrecision::kSecond : a.precision;
  auto pb = b.precision == TemporalPrecision::kMillisecond ? TemporalPrecision::kSecond : b.precision;
  if (a.has_tz && b.has_tz && pa >= TemporalPrecision::kHour && pb >= TemporalPrecision::kHour) {
    // Normalise both to UTC, then compare field by field.
    auto norm = [](Temporal t) {
      std::int64_t ms = instantMillis(t);
      std::int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
      std::int64_t rest = ms - days * 86400000;
      civilFromDays(days, t.year, t.month, t.day);
      t.hour = static_cast<int>(rest / 3600000);
      t.minute = static_cast<int>(rest / 60000 % 60);
      t.second = static_cast<int>(rest / 1000 % 60);
      t.millis = static_cast<int>(rest % 1000);
      t.tz_minutes = 0;
      return t;
    };
    a = norm(a);
    b = norm(b);
  }
  TemporalPrecision start = a.kind == Kind::kTime ? TemporalPrecision::kHour : TemporalPrecision::kYear;
  TemporalPrecision common = std::min(pa, pb);
  for (auto p = start; p <= common; p = static_cast<TemporalPrecision>(static_cast<int>(p) + 1)) {
    int x = unit(a, p), y = unit(b, p);
    if (x != y) return x < y ? -1 : 1;
    if (p == TemporalPrecision::kSecond) break;
  }
  if (pa != pb) return std::nullopt;
  return 0;
}

std::optional<Temporal> Temporal::plus(std::int64_t amount, std::string_view u) const {
  Temporal t = *this;
  if (u == "year" || u == "month") {
    if (kind == Kind::kTime) return std::nullopt;
    std::int64_t months = static_cast<std::int64_t>(t.year) * 12 + (t.month - 1) +
                          (u == "year" ? amount * 12 : amount);
    if (months < 0 || months > 9999 * 12 + 11) return std::nullopt;
    t.year = static_cast<int>(months / 12);
    t.month = static_cast<int>(months % 12) + 1;
    if (t.precision >= TemporalPrecision::kDay) t.day = std::min(t.day, daysInMonth(t.year, t.month));
    return t;
  }
  std::int64_t ms_per = u == "week" ? 7 * 86400000LL
                        : u == "day" ? 86400000LL
                        : u == "hour" ? 3600000LL
                        : u == "minute" ? 60000LL
                        : u == "second" ? 1000LL
                        : u == "millisecond" ? 1LL
                                             : 0;
  if (ms_per == 0) return std::nullopt;
  if (kind == Kind::kTime) {
    std::int64_t ms = ((static_cast<std::int64_t>(t.hour) * 60 + t.minute) * 60 + t.second) * 1000 + t.millis;
    ms = ((ms + amount * ms_per) % 86400000 + 86400000) % 86400000;
    t.hour = static_cast<int>(ms / 3600000);
    t.minute = static_cast<int>(ms / 60000 % 60);
    t.second = static_cast<int>(ms / 1000 % 60);
    t.millis = static_cast<int>(ms % 1000);
    return t;
  }
  // Calendar arithmetic below the value's precision is dropped (@2014 + 2 days = @2014).
  if (t.precision < TemporalPrecision::kDay) return t;
  std::int64_t days = daysFromCivil(t.year, t.month, t.day);
  std::int64_t ms = ((days * 24 + t.hour) * 60 + t.minute) * 60000 + t.second * 1000LL + t.millis;
  ms += amount * ms_per;
  std::int64_t d = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  std::int64_t rest = ms - d * 86400000;
  civilFromDays(d, t.year, t.month, t.day);
  if (t.year < 1 || t.year > 9999) return std::nullopt;
  if (kind == Kind::kDateTime) {
    t.hour = static_cast<int>(rest / 3600000);
    t.minute = static_cast<int>(rest / 60000 % 60);
    t.second = static_cast<int>(rest / 1000 % 60);
    t.millis = static_cast<int>(rest % 1000);
  }
  return t;
}

}  // namespace onedoor::fhirpath
