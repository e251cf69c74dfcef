#include "fhir/compare.h"

#include "fhir/xhtml.h"

#include <cstdlib>

namespace onedoor::fhir {
namespace {

// A decimal as (sign, significant digits, exponent of the last digit): "1.0e0" and "1.0" are the
// same value at the same precision, "1.50" and "1.5" are not.
std::string decimalKey(const std::string& v) {
  std::size_t i = 0;
  std::string sign;
  if (i < v.size() && (v[i] == '-' || v[i] == '+')) sign = v[i++] == '-' ? "-" : "";
  std::string digits;
  long exp = 0;
  bool frac = false;
  for (; i < v.size() && v[i] != 'e' && v[i] != 'E'; ++i) {
    if (v[i] == '.') {
      frac = true;
      continue;
    }
    if (v[i] < '0' || v[i] > '9') return v;
    digits += v[i];
    if (frac) --exp;
  }
  if (i < v.size()) exp += std::strtol(v.c_str() + i + 1, nullptr, 10);
  std::size_t nz = digits.find_first_not_of('0');
  digits = nz == std::string::npos ? "" : digits.substr(nz);
  if (digits.empty()) sign.clear();
  return sign + digits + "e" + std::to_string(exp);
}

bool eq(const Node& a, const Node& b, const std::string& path, std::string* diff) {
  auto fail = [&](const std::string& why) {
    if (diff != nullptr) *diff = path + ": " + why;
    return false;
  };
  if (a.name != b.name) return fail("name " + a.name + " vs " + b.name);
  if (a.type != b.type) {
    return fail("type " + (a.type ? a.type->name : "-") + " vs " + (b.type ? b.type->name : "-"));
  }
  if (a.has_value != b.has_value) return fail("value present in one only");
  if (a.has_value && a.value != b.value) {
    bool xhtml = a.type != nullptr && a.type->name == "xhtml";
    bool decimal = a.type != nullptr && a.type->name == "decimal";
    if (decimal && decimalKey(a.value) == decimalKey(b.value)) {
      // same value and precision
    } else if (!xhtml || canonicalXhtml(a.value) != canonicalXhtml(b.value)) {
      return fail(xhtml ? "narrative differs" : "value '" + a.value + "' vs '" + b.value + "'");
    }
  }
  if (a.children.size() != b.children.size()) {
    return fail("child count " + std::to_string(a.children.size()) + " vs " +
                std::to_string(b.children.size()));
  }
  for (std::size_t i = 0; i < a.children.size(); ++i) {
    if (!eq(a.children[i], b.children[i], path + "." + a.children[i].jsonName() + "#" +
                                              std::to_string(i), diff)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool canonicalEqual(const Node& a, const Node& b, std::string* diff) {
  return eq(a, b, a.name, diff);
}

}  // namespace onedoor::fhir
