#include "stages/identity/demographics.h"

#include <algorithm>
#include <cctype>

namespace onedoor::stages::identity {
namespace {

// Base letters of U+00C0..U+00FF (Latin-1 letters with accents); '?' where there is none.
constexpr const char* kLatin1 = "AAAAAAACEEEEIIIIDNOOOOO?OUUUUYTSAAAAAAACEEEEIIIIDNOOOOO?OUUUUYTY";

bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

void addUnique(std::vector<std::string>& v, std::string s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

}  // namespace

std::string normaliseNhsNumber(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (isDigit(c)) {
      digits += c;
    } else if (c != ' ' && c != '-') {
      return "";
    }
  }
  return digits.size() == 10 ? digits : "";
}

bool validNhsNumber(std::string_view text) {
  std::string n = normaliseNhsNumber(text);
  if (n.empty()) return false;
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (n[i] - '0') * (10 - i);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  return check != 10 && check == n[9] - '0';
}

std::string normaliseName(std::string_view name) {
  std::string out;
  bool gap = false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    char letter = 0;
    if (c < 0x80) {
      char u = static_cast<char>(std::toupper(c));
      if (isUpper(u)) {
        letter = u;
      } else if (u == '-' || u == ' ') {
        gap = !out.empty();  // a hyphen or space separates the parts of a name
        continue;
      } else {
        continue;  // apostrophes, dots, digits: dropped
      }
    } else if (c == 0xC3 && i + 1 < name.size()) {
      // U+00C0..U+00FF in UTF-8: C3 80..C3 BF.
      auto next = static_cast<unsigned char>(name[++i]);
      if (next >= 0x80 && next <= 0xBF && kLatin1[next - 0x80] != '?') letter = kLatin1[next - 0x80];
      if (letter == 0) continue;
    } else {
      continue;  // other scripts are not folded; the bytes do not take part in comparison
    }
    if (gap) out += ' ';
    gap = false;
    out += letter;
  }
  return out;
}

std::string normalisePostcode(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c == ' ') continue;
    char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!isUpper(u) && !isDigit(u)) return "";
    s += u;
  }
  // Outward code 2-4 characters (letter first), inward code digit + two letters.
  if (s.size() < 5 || s.size() > 7) return "";
  std::string in = s.substr(s.size() - 3), out = s.substr(0, s.size() - 3);
  if (!isDigit(in[0]) || !isUpper(in[1]) || !isUpper(in[2]) || !isUpper(out[0])) return "";
  bool has_digit = std::any_of(out.begin(), out.end(), isDigit);
  if (!has_digit) return "";
  return out + " " + in;
}

std::string outwardCode(std::string_view canonical) {
  auto sp = canonical.find(' ');
  return std::string(sp == std::string_view::npos ? canonical : canonical.substr(0, sp));
}

std::string normalisePhone(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (isDigit(c)) digits += c;
  }
  if (digits.rfind("44", 0) == 0 && text.find('+') != std::string_view::npos) digits = "0" + digits.substr(2);
  return digits.size() >= 6 ? digits : "";
}

double jaroWinkler(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return 0;
  if (a == b) return 1;
  std::size_t window = std::max(a.size(), b.size()) / 2;
  window = window > 0 ? window - 1 : 0;
  std::vector<bool> am(a.size()), bm(b.size());
  double matches = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::size_t lo = i > window ? i - window : 0, hi = std::min(b.size(), i + window + 1);
    for (std::size_t j = lo; j < hi; ++j) {
      if (bm[j] || a[i] != b[j]) continue;
      am[i] = bm[j] = true;
      ++matches;
      break;
    }
  }
  if (matches == 0) return 0;
  double transpositions = 0;
  for (std::size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!am[i]) continue;
    while (!bm[j]) ++j;
    if (a[i] != b[j]) ++transpositions;
    ++j;
  }
  double jaro = (matches / a.size() + matches / b.size() + (matches - transpositions / 2) / matches) / 3;
  std::size_t prefix = 0;
  while (prefix < 4 && prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  return jaro + prefix * 0.1 * (1 - jaro);
}

bool verifiedNhsNumber(const fhir::Node& identifier) {
  for (const fhir::Node* ext : identifier.childrenNamed("extension")) {
    if (ext->childValue("url") != kNhsNumberVerificationStatus) continue;
    if (const fhir::Node* cc = ext->child("value")) {
      for (const fhir::Node* coding : cc->childrenNamed("coding")) {
        if (coding->childValue("code") == "01") return true;
      }
    }
  }
  return false;
}

Demographics demographicsOf(const fhir::Node& patient, const std::string& strong_system) {
  Demographics d;
  for (const fhir::Node* id : patient.childrenNamed("identifier")) {
    if (id->childValue("system") != strong_system) continue;
    std::string value(id->childValue("value"));
    if (!validNhsNumber(value)) {
      d.nhs_invalid = true;
      continue;
    }
    const bool verified = verifiedNhsNumber(*id);
    // A verified number wins over an unverified one.
    if (d.nhs_number.empty() || (verified && !d.nhs_verified)) {
      d.nhs_number = normaliseNhsNumber(value);
      d.nhs_verified = verified;
    }
  }
  for (const fhir::Node* name : patient.childrenNamed("name")) {
    if (name->childValue("use") == "old") continue;
    addUnique(d.family, normaliseName(name->childValue("family")));
    auto given = name->childrenNamed("given");
    if (!given.empty()) addUnique(d.given, normaliseName(given.front()->value));
  }
  d.birth_date = std::string(patient.childValue("birthDate"));
  d.gender = std::string(patient.childValue("gender"));
  for (const fhir::Node* address : patient.childrenNamed("address")) {
    if (address->childValue("use") == "old") continue;
    addUnique(d.postcodes, normalisePostcode(address->childValue("postalCode")));
  }
  for (const fhir::Node* telecom : patient.childrenNamed("telecom")) {
    if (telecom->childValue("system") == "phone") addUnique(d.phones, normalisePhone(telecom->childValue("value")));
  }
  return d;
}

}  // namespace onedoor::stages::identity
