#pragma once
// Quantity values and UCUM unit arithmetic for the common units of clinical data: metric
// prefixes on the SI base and derived units, time (s min h d wk mo a), avoirdupois and inch-pound
// units, %, and annotations. Units are compared by dimension after conversion to base units.
// Calendar durations (year, month, week, day, hour, minute, second, millisecond) are FHIRPath
// keywords, distinct from UCUM codes ('a', 'mo' ...): year/month never equal 'a'/'mo' under '='.

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "fhirpath/decimal.h"

namespace onedoor::fhirpath {

struct Quantity {
  Decimal value;
  std::string unit = "1";  // a UCUM code, or a calendar keyword (singular: "day")
  bool calendar = false;   // unit is a calendar keyword

  std::string toString() const;  // 4.5 'mg', 3 days
};

// A calendar keyword from a literal (days, day, weeks ...) in its singular form, or nullopt.
std::optional<std::string> calendarUnit(std::string_view word);

// A UCUM unit reduced to base units: value_in_base = value * factor; dims are exponents of
// m, g, s, K, mol, cd, C, rad, and an index for arbitrary units ([iU] ...).
struct UnitInfo {
  Decimal factor = Decimal::fromInt(1);
  std::array<int, 8> dims{};
  std::string arbitrary;  // non-empty for units that only compare with themselves
  bool sameDimension(const UnitInfo& o) const { return dims == o.dims && arbitrary == o.arbitrary; }
};

std::optional<UnitInfo> parseUcum(std::string_view unit);

// The quantity in base units for comparison; `equivalence` maps year/month to 'a'/'mo'.
std::optional<std::pair<Decimal, UnitInfo>> toBase(const Quantity& q, bool equivalence);

// Product/quotient of two quantities with the combined unit.
std::optional<Quantity> multiply(const Quantity& a, const Quantity& b);
std::optional<Quantity> divide(const Quantity& a, const Quantity& b);

}  // namespace onedoor::fhirpath
