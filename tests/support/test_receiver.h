#pragma once
// A partner's endpoint for delivery tests: a real HTTP server on 127.0.0.1 that records every
// request it gets and answers as the test says (a status per request in turn, then a default;
// or hanging for a while). It can be stopped and started again on the same port (a partner down
// for a while). Requests with an Idempotency-Key it already answered 2xx are answered 200 again
// and counted once, as an idempotent receiver would.

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace onedoor::testing {

class TestReceiver {
 public:
  struct Received {
    std::string method;
    std::string path;
    std::string content_type;
    std::string idempotency_key;
    std::string correlation_id;  // X-Correlation-Id
    std::string body;
    int answered = 0;
  };
  TestReceiver();
  ~TestReceiver();
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/fhir") const;
  void start();  // on the same port as before
  void stop();

  // Statuses for the next requests, in turn; then `otherwise`.
  void answer(std::vector<int> statuses, int otherwise = 200);
  // Answer 400 to a body containing `text` (a message it can never take).
  void refuse(const std::string& text);
  void hang(std::chrono::milliseconds d);

  std::vector<Received> received() const;
  // Distinct idempotency keys answered with 2xx: the messages it took.
  std::size_t taken() const;
  // Waits until taken() >= n (true) or the timeout passes (false).
  bool waitTaken(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  class Handler;
  class Factory;
  int next(const std::string& body, const std::string& key);
  std::uint16_t port_ = 0;
  // Its own threads (not Poco's default pool, a static that may be gone when a static receiver stops).
  std::unique_ptr<Poco::ThreadPool> pool_ = std::make_unique<Poco::ThreadPool>(2, 8);
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  mutable std::mutex mu_;
  std::deque<int> statuses_;
  int otherwise_ = 200;
  std::string refuse_;
  std::chrono::milliseconds hang_{0};
  std::vector<Received> received_;
  std::set<std::string> taken_;
};

}  // namespace onedoor::testing
