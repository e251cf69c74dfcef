#pragma once
// Temporal: FHIRPath Date, DateTime and Time values with partial precision (@2015, @2015-02-04T14,
// @T10:30) and an optional time-zone offset. Comparison follows FHIRPath: values compare up to the
// coarser precision and are incomparable (nullopt) when they agree that far but differ in
// precision. Seconds and milliseconds count as one precision. Value type.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace onedoor::fhirpath {

enum class TemporalPrecision : std::uint8_t {
  kYear = 1,
  kMonth,
  kDay,
  kHour,
  kMinute,
  kSecond,
  kMillisecond,
};

struct Temporal {
  enum class Kind : std::uint8_t { kDate, kDateTime, kTime };
  Kind kind = Kind::kDate;
  TemporalPrecision precision = TemporalPrecision::kYear;
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
  bool has_tz = false;
  int tz_minutes = 0;  // offset east of UTC

  // FHIR/FHIRPath lexical forms without '@': 2015-02-04, 2015-02-04T14:34:28.123+10:00, 14:34.
  static std::optional<Temporal> parseDate(std::string_view s);
  static std::optional<Temporal> parseDateTime(std::string_view s);  // also accepts a trailing 'T'
  static std::optional<Temporal> parseTime(std::string_view s);
  // FHIR primitives: date, dateTime, instant, time.
  static std::optional<Temporal> parseFhir(std::string_view fhir_type, std::string_view s);

  std::string toString() const;  // FHIR form, no '@'
  int precisionDigits() const;   // FHIRPath precision(): 4, 6, 8, 10, 12, 14, 17 (time: 2..9)

  // Three-way comparison per FHIRPath; nullopt when not comparable at these precisions.
  static std::optional<int> compare(const Temporal& a, const Temporal& b);
  // Adds `amount` of `unit` (year, month, week, day, hour, minute, second, millisecond).
  std::optional<Temporal> plus(std::int64_t amount, std::string_view unit) const;
  Temporal asDateTime() const;  // a Date widened to a DateTime of the same precision
};

}  // namespace onedoor::fhirpath
