#include "core/env.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstring>
#include <ctime>

namespace onedoor::core {
namespace {

std::string formatUuid(const unsigned char b[16]) {
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
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
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return out;
}

std::string formatHttpDate(std::int64_t epoch_ms) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
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

}  // namespace onedoor::core
