#pragma once
// What patient matching compares, normalised: the NHS number (check digit verified), names,
// birth date (partial dates allowed), sex, postcode and phone. Pure functions; no store, no Exchange.
// The NHS number facts are in ../../../../shared/DOMAIN.md §1 (modulus 11, weights 10..2).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/node.h"

namespace onedoor::stages::identity {

inline constexpr const char* kNhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";
// UK Core's extension on an NHS number identifier: how far it was traced (01: present and verified).
inline constexpr const char* kNhsNumberVerificationStatus =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";

// The ten digits of `text` with spaces and hyphens removed ("943 476 5919" → "9434765919"), or ""
// if anything else is there or the length is wrong.
std::string normaliseNhsNumber(std::string_view text);
// True when `text` normalises to ten digits whose modulus 11 check digit is right (a check
// value of 10 is never valid).
bool validNhsNumber(std::string_view text);

// A name for comparison: upper-case letters only, accents folded, apostrophes and spaces dropped,
// hyphens kept as separators of parts ("O'Neill" → "ONEILL", "Mary-Ann" → "MARY ANN").
std::string normaliseName(std::string_view name);
// A UK postcode in its canonical form ("ls14ap" → "LS1 4AP"), or "" if it is not one.
std::string normalisePostcode(std::string_view text);
// The outward code of a canonical postcode ("LS1 4AP" → "LS1").
std::string outwardCode(std::string_view canonical);
// Digits of a phone number, the UK trunk 0 for +44 ("+44 7700 900123" → "07700900123").
std::string normalisePhone(std::string_view text);
// Jaro-Winkler similarity of two strings, 0..1.
double jaroWinkler(std::string_view a, std::string_view b);

struct Demographics {
  std::string nhs_number;          // valid only; "" otherwise
  bool nhs_verified = false;       // UK Core verification status 01 (number present and verified)
  bool nhs_invalid = false;        // an NHS number was given but fails its check digit
  std::vector<std::string> family;  // every name's family part, normalised
  std::vector<std::string> given;   // first given name of each name, normalised
  std::string birth_date;          // as given: YYYY, YYYY-MM or YYYY-MM-DD
  std::string gender;
  std::vector<std::string> postcodes;  // canonical
  std::vector<std::string> phones;
};

// True when an NHS number `identifier` carries the verification status 01 (present and verified).
bool verifiedNhsNumber(const fhir::Node& identifier);

// Reads a Patient node. `strong_system` is the NHS number's identifier system.
Demographics demographicsOf(const fhir::Node& patient, const std::string& strong_system);

}  // namespace onedoor::stages::identity
