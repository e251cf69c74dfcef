#include "support/test_receiver.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <thread>

namespace onedoor::testing {

class TestReceiver::Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(TestReceiver& r) : r_(r) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    Received got;
    got.method = req.getMethod();
    got.path = req.getURI();
    got.content_type = req.getContentType();
    got.idempotency_key = req.get("Idempotency-Key", "");
    got.correlation_id = req.get("X-Correlation-Id", "");
    Poco::StreamCopier::copyToString(req.stream(), got.body);
    std::chrono::milliseconds hang{0};
    {
      std::lock_guard lock(r_.mu_);
      hang = r_.hang_;
    }
    if (hang.count() > 0) std::this_thread::sleep_for(hang);
    int status = r_.next(got.body, got.idempotency_key);
    got.answered = status;
    {
      std::lock_guard lock(r_.mu_);
      r_.received_.push_back(got);
    }
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType("application/fhir+json");
    std::string body = status < 300 ? R"({"resourceType": "OperationOutcome", "issue": [{"severity": "information", "code": "informational"}]})"
                                    : R"({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception"}]})";
    resp.setContentLength(static_cast<std::streamsize>(body.size()));
    resp.send() << body;
  }

 private:
  TestReceiver& r_;
};

class TestReceiver::Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(TestReceiver& r) : r_(r) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(r_);
  }

 private:
  TestReceiver& r_;
};

TestReceiver::TestReceiver() { start(); }

TestReceiver::~TestReceiver() { stop(); }

std::string TestReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void TestReceiver::start() {
  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress("127.0.0.1", port_), true);
  socket.listen(64);
  port_ = socket.address().port();
  auto params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  params->setKeepAlive(false);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *pool_, socket, params);
  server_->start();
}

void TestReceiver::stop() {
  if (server_) {
    server_->stopAll(true);
    server_.reset();
    pool_->joinAll();
  }
}

void TestReceiver::answer(std::vector<int> statuses, int otherwise) {
  std::lock_guard lock(mu_);
  statuses_.assign(statuses.begin(), statuses.end());
  otherwise_ = otherwise;
}

void TestReceiver::refuse(const std::string& text) {
  std::lock_guard lock(mu_);
  refuse_ = text;
}

void TestReceiver::hang(std::chrono::milliseconds d) {
  std::lock_guard lock(mu_);
  hang_ = d;
}

int TestReceiver::next(const std::string& body, const std::string& key) {
  std::lock_guard lock(mu_);
  if (!key.empty() && taken_.count(key)) return 200;  // idempotent: already taken
  int status = otherwise_;
  if (!refuse_.empty() && body.find(refuse_) != std::string::npos) {
    status = 400;
  } else if (!statuses_.empty()) {
    status = statuses_.front();
    statuses_.pop_front();
  }
  if (status >= 200 && status < 300) taken_.insert(key);
  return status;
}

std::vector<TestReceiver::Received> TestReceiver::received() const {
  std::lock_guard lock(mu_);
  return received_;
}

std::size_t TestReceiver::taken() const {
  std::lock_guard lock(mu_);
  return taken_.size();
}

bool TestReceiver::waitTaken(std::size_t n, std::chrono::milliseconds timeout) const {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (taken() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return taken() >= n;
}

}  // namespace onedoor::testing
