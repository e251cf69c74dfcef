#pragma once
// Value normalisation shared by indexing and querying, so that both sides agree.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "fhirpath/temporal.h"

namespace onedoor::search {

// Case- and accent-insensitive form for string search: lower-case, Latin diacritics removed,
// whitespace runs collapsed and trimmed.
std::string normalizeString(std::string_view s);

// The window of instants a date/dateTime/instant value covers, in ms since the epoch (UTC;
// values without a zone are read as UTC): [low, high] inclusive.
std::pair<std::int64_t, std::int64_t> dateRange(const fhirpath::Temporal& t);

constexpr std::int64_t kMinDate = -62135596800000LL;  // 0001-01-01
constexpr std::int64_t kMaxDate = 253402300799999LL;  // 9999-12-31T23:59:59.999

}  // namespace onedoor::search
