#include "http/http_server.h"

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

#include <mutex>

#include "http/exchange_handler.h"

namespace onedoor::http {
namespace {

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(const HttpHandlers& handlers, std::uint64_t max_body)
      : handlers_(handlers), max_body_(max_body) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new ExchangeHandler(handlers_, max_body_);
  }

 private:
  const HttpHandlers& handlers_;
  std::uint64_t max_body_;
};

class PocoHttpServer : public HttpServer {
 public:
  explicit PocoHttpServer(const config::ServerConfig& cfg)
      : cfg_(cfg), pool_(2, static_cast<int>(cfg.max_threads)) {}

  core::Status bind() {
    try {
      Poco::Net::SocketAddress addr(cfg_.host, static_cast<Poco::UInt16>(cfg_.port));
      socket_ = std::make_unique<Poco::Net::ServerSocket>(addr, 128);
      port_ = socket_->address().port();
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "cannot listen on " + cfg_.host + ":" +
                                                        std::to_string(cfg_.port) + ": " +
                                                        e.displayText());
    }
    return core::Status::ok();
  }

  core::Status start(HttpHandlers handlers) override {
    handlers_ = std::move(handlers);
    const config::ServerConfig& cfg = cfg_;
    try {
      auto* params = new Poco::Net::HTTPServerParams;
      params->setMaxThreads(static_cast<int>(cfg.max_threads));
      params->setMaxQueued(static_cast<int>(cfg.max_queued));
      params->setKeepAlive(cfg.keep_alive_timeout_ms > 0);
      params->setKeepAliveTimeout(Poco::Timespan(static_cast<long>(cfg.keep_alive_timeout_ms) * 1000));
      params->setTimeout(Poco::Timespan(static_cast<long>(cfg.receive_timeout_ms) * 1000));
      params->setMaxKeepAliveRequests(10000);
      server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(handlers_, cfg.max_body_bytes),
                                                        pool_, *socket_, params);
      server_->start();
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "cannot listen on " + cfg.host + ":" +
                                                        std::to_string(cfg.port) + ": " +
                                                        e.displayText());
    }
    return core::Status::ok();
  }

  ~PocoHttpServer() override { stop(); }

  std::uint16_t port() const override { return port_; }

  void stop() override {
    std::lock_guard lock(mu_);
    if (server_) {
      server_->stopAll(true);
      server_.reset();
      pool_.joinAll();
    }
  }

 private:
  config::ServerConfig cfg_;
  HttpHandlers handlers_;
  Poco::ThreadPool pool_;
  std::unique_ptr<Poco::Net::ServerSocket> socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::uint16_t port_ = 0;
  std::mutex mu_;
};

}  // namespace

core::Result<std::unique_ptr<HttpServer>> bindHttpServer(const config::ServerConfig& config) {
  auto server = std::make_unique<PocoHttpServer>(config);
  GW_RETURN_IF_ERROR(server->bind());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace onedoor::http
