#pragma once
// Decimal: an exact base-10 number (mantissa × 10^-scale) for FHIRPath and FHIR decimals, so that
// 0.1 + 0.2 = 0.3 and 1.50 keeps its two places. Addition, subtraction and multiplication are
// exact; division keeps kDivisionScale places. Value type.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace onedoor::fhirpath {

class Decimal {
 public:
  static constexpr int kMaxScale = 28;
  static constexpr int kDivisionScale = 8;

  Decimal() = default;
  static Decimal fromInt(std::int64_t v) { return Decimal(v, 0); }
  // Parses -?digits(.digits)?([eE][+-]?digits)?; nullopt when malformed or out of range.
  static std::optional<Decimal> parse(std::string_view text);
  static std::optional<Decimal> fromDouble(double v, int significant = 15);

  std::string toString() const;
  double toDouble() const;
  int scale() const { return scale_; }
  bool isInteger() const;  // no fractional part
  bool isZero() const { return m_ == 0; }
  bool negative() const { return m_ < 0; }
  std::optional<std::int64_t> toInt64() const;  // only when isInteger() and in range
  // -1, 0, 1 by value (1.0 == 1.00).
  int compare(const Decimal& o) const;
  Decimal withScale(int scale) const;     // rounds half away from zero, or pads
  Decimal truncated() const;              // toward zero, scale 0
  Decimal floor() const;
  Decimal ceiling() const;
  Decimal abs() const;
  Decimal negated() const;
  Decimal stripped() const;               // without trailing fractional zeros

  friend std::optional<Decimal> operator+(const Decimal& a, const Decimal& b);
  friend std::optional<Decimal> operator-(const Decimal& a, const Decimal& b);
  friend std::optional<Decimal> operator*(const Decimal& a, const Decimal& b);
  // Division with kDivisionScale places (or more for operands with more); nullopt for / 0.
  static std::optional<Decimal> divide(const Decimal& a, const Decimal& b, int scale = -1);

  __int128 mantissa() const { return m_; }
  Decimal(__int128 m, int scale) : m_(m), scale_(scale) {}

 private:
  __int128 m_ = 0;
  int scale_ = 0;
};

}  // namespace onedoor::fhirpath
