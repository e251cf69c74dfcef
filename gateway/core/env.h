#pragma once
// Env: the gateway's access to time and randomness, so that tests can fix both (LevelDB's Env).
// The real Env is thread-safe; a FakeEnv is for single-test use.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace onedoor::core {

class Env {
 public:
  virtual ~Env() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  // A new UUID in lower-case canonical form: version 7 (RFC 9562) from the real Env, 48 bits of
  // Unix milliseconds then 74 random bits, so that ids made one after another sort together and
  // land on the same index pages of the store instead of a random page each.
  virtual std::string uuid() = 0;

  static std::shared_ptr<Env> real();
};

// FHIR instant with millisecond precision in UTC: 2026-11-23T15:20:05.123Z.
std::string formatInstant(std::chrono::system_clock::time_point t);
// RFC 7231 HTTP-date: Mon, 23 Nov 2026 15:20:05 GMT.
std::string formatHttpDate(std::int64_t epoch_ms);
// Milliseconds since the Unix epoch.
std::int64_t epochMillis(std::chrono::system_clock::time_point t);
// Names the calling thread for `top -H`, perf and gdb (at most 15 characters are kept).
void nameThisThread(const char* name);

class FakeEnv : public Env {
 public:
  explicit FakeEnv(std::chrono::system_clock::time_point start) : now_(start) {}
  std::chrono::system_clock::time_point now() const override { return now_; }
  std::string uuid() override;
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  std::chrono::system_clock::time_point now_;
  std::uint64_t counter_ = 0;
};

}  // namespace onedoor::core
