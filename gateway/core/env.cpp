#include "core/env.h"

#include <openssl/rand.h>
#include <pthread.h>

#include <cstdio>
#include <cstring>
#include <ctime>

namespace onedoor::core {
namespace {

std::string formatUuid(const unsigned char b[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t at = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++at;  // the dashes of 8-4-4-4-12
    out[at++] = kHex[b[i] >> 4];
    out[at++] = kHex[b[i] & 0x0F];
  }
  return out;
}

// `width` decimal digits of v, zero-padded, at `at`.
void putDigits(char* at, std::int64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// The UTC calendar date and time of epoch_ms by arithmetic (std::chrono's civil calendar):
// gmtime_r takes glibc's time-zone lock, which every request thread would contend for.
struct UtcTime {
  int year;
  unsigned month, day, hour, minute, second, millis, weekday;
};

UtcTime utcTime(std::int64_t epoch_ms) {
  using namespace std::chrono;
  sys_time<milliseconds> t{milliseconds{epoch_ms}};
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<milliseconds> hms{t - day};
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
          static_cast<unsigned>(hms.hours().count()), static_cast<unsigned>(hms.minutes().count()),
          static_cast<unsigned>(hms.seconds().count()), static_cast<unsigned>(hms.subseconds().count()),
          weekday{day}.c_encoding()};
}

class RealEnv : public Env {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  std::string uuid() override {
    // OpenSSL's CSPRNG, drawn 4 KiB at a time per thread: one call per UUID takes locks that
    // every request thread and the store's writer contend for.
    thread_local unsigned char pool[4096];
    thread_local std::size_t used = sizeof pool;
    if (used + 16 > sizeof pool) {
      if (RAND_bytes(pool, sizeof pool) != 1) {
        // OpenSSL's CSPRNG failing means the process cannot be trusted to make identifiers.
        std::abort();
      }
      used = 0;
    }
    unsigned char b[16];
    std::memcpy(b, pool + used, sizeof b);
    std::memset(pool + used, 0, sizeof b);  // each draw used once
    used += sizeof b;
    auto ms = static_cast<std::uint64_t>(epochMillis(now()));
    for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x70);
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
    return formatUuid(b);
  }
};

}  // namespace

std::shared_ptr<Env> Env::real() {
  static auto env = std::make_shared<RealEnv>();
  return env;
}

std::string formatInstant(std::chrono::system_clock::time_point t) {
  UtcTime u = utcTime(epochMillis(t));
  std::string out = "0000-00-00T00:00:00.000Z";
  putDigits(&out[0], u.year, 4);
  putDigits(&out[5], u.month, 2);
  putDigits(&out[8], u.day, 2);
  putDigits(&out[11], u.hour, 2);
  putDigits(&out[14], u.minute, 2);
  putDigits(&out[17], u.second, 2);
  putDigits(&out[20], u.millis, 3);
  return out;
}

std::string formatHttpDate(std::int64_t epoch_ms) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  UtcTime u = utcTime(epoch_ms);
  std::string out = "Sun, 00 Jan 0000 00:00:00 GMT";
  out.replace(0, 3, kDays[u.weekday]);
  putDigits(&out[5], u.day, 2);
  out.replace(8, 3, kMonths[u.month - 1]);
  putDigits(&out[12], u.year, 4);
  putDigits(&out[17], u.hour, 2);
  putDigits(&out[20], u.minute, 2);
  putDigits(&out[23], u.second, 2);
  return out;
}

std::int64_t epochMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string FakeEnv::uuid() {
  unsigned char b[16] = {};
  std::uint64_t c = ++counter_;
  for (int i = 0; i < 8; ++i) b[15 - i] = static_cast<unsigned char>(c >> (8 * i));
  b[6] = 0x40;
  b[8] = 0x80;
  return formatUuid(b);
}

void nameThisThread(const char* name) {
  char shortened[16];
  std::snprintf(shortened, sizeof shortened, "%s", name);
  (void)pthread_setname_np(pthread_self(), shortened);
}

}  // namespace onedoor::core
