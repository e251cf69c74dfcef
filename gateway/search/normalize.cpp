#include "search/normalize.h"

#include <cctype>

#include "core/calendar.h"

namespace onedoor::search {
namespace {

using core::daysFromCivil;
using core::daysInMonth;

// Base letters for U+00C0..U+017F (Latin-1 Supplement letters and Latin Extended-A).
constexpr const char* kFold =
    "aaaaaaaceeeeiiii"  // C0-CF
    "dnooooo ouuuuyts"  // D0-DF (D7 is ×, DF ß→s)
    "aaaaaaaceeeeiiii"  // E0-EF
    "dnooooo ouuuuyty"  // F0-FF (F7 is ÷)
    "aaaaaaccccccccdd"  // 100-10F
    "ddeeeeeeeeeegggg"  // 110-11F
    "gggghhhhiiiiiiii"  // 120-12F
    "iijjjjkkklllllll"  // 130-13F
    "lllnnnnnnnnnoooo"  // 140-14F
    "oooorrrrrrssssss"  // 150-15F
    "ssttttttuuuuuuuu"  // 160-16F
    "uuuuwwyyyzzzzzzs";  // 170-17F

std::int64_t millis(int y, int mo, int d, int h, int mi, int s, int ms) {
  return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL + s * 1000LL + ms;
}

}  // namespace

std::string normalizeString(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    char32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xC0 && c < 0xE0 && i + 1 < s.size()) {
      cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
      len = 2;
    }
    if (cp < 0x80) {
      if (std::isspace(static_cast<int>(cp))) {
        space = !out.empty();
      } else {
        if (space) out += ' ';
        space = false;
        out += static_cast<char>(std::tolower(static_cast<int>(cp)));
      }
    } else {
      if (space) out += ' ';
      space = false;
      if (cp >= 0xC0 && cp <= 0x17F && kFold[cp - 0xC0] != ' ') {
        out += kFold[cp - 0xC0];
      } else {
        out.append(s.substr(i, len));
        if (len == 1) {  // copy the rest of a longer UTF-8 sequence untouched
          while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) {
            out += s[i + len];
            ++len;
          }
        }
      }
    }
    i += len;
  }
  return out;
}

std::pair<std::int64_t, std::int64_t> dateRange(const fhirpath::Temporal& t) {
  using P = fhirpath::TemporalPrecision;
  int y = t.year, mo = t.precision >= P::kMonth ? t.month : 1, d = t.precision >= P::kDay ? t.day : 1;
  int h = t.precision >= P::kHour ? t.hour : 0, mi = t.precision >= P::kMinute ? t.minute : 0;
  int s = t.precision >= P::kSecond ? t.second : 0, ms = t.precision >= P::kMillisecond ? t.millis : 0;
  std::int64_t low = millis(y, mo, d, h, mi, s, ms);
  std::int64_t high;
  switch (t.precision) {
    case P::kYear: high = millis(y + 1, 1, 1, 0, 0, 0, 0) - 1; break;
    case P::kMonth: high = millis(y, mo, daysInMonth(y, mo), 0, 0, 0, 0) + 86400000LL - 1; break;
    case P::kDay: high = low + 86400000LL - 1; break;
    case P::kHour: high = low + 3600000LL - 1; break;
    case P::kMinute: high = low + 60000LL - 1; break;
    case P::kSecond: high = low + 999; break;
    default: high = low; break;
  }
  if (t.has_tz) {
    low -= t.tz_minutes * 60000LL;
    high -= t.tz_minutes * 60000LL;
  }
  return {low, high};
}

}  // namespace onedoor::search
