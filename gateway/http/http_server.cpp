#include "http/http_server.h"

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

#include <mutex>

#include "core/env.h"
#include "http/exchange_handler.h"

namespace onedoor::http {
namespace {

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(const HttpHandlers& handlers, std::uint64_t max_body)
      : handlers_(handlers), max_body_(max_body) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    // Runs on the connection's pool thread: named once per thread.
    static thread_local const bool named = (core::nameThisThread("od-http"), true);
    (void)named;
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
      if (cfg_.tls.certificate.empty()) {
        socket_ = std::make_unique<Poco::Net::ServerSocket>(addr, 128);
      } else {
        // TLS 1.2 or later; client certificates verified against client_ca: not asked for
        // (none), checked when sent (optional), or demanded (required).
        Poco::Net::initializeSSL();
        using Ctx = Poco::Net::Context;
        Ctx::VerificationMode mode = cfg_.tls.client_certificates == "required"   ? Ctx::VERIFY_STRICT
                                     : cfg_.tls.client_certificates == "optional" ? Ctx::VERIFY_RELAXED
                                                                                  : Ctx::VERIFY_NONE;
        Ctx::Params params;
        params.privateKeyFile = cfg_.tls.private_key;
        params.certificateFile = cfg_.tls.certificate;
        params.caLocation = cfg_.tls.client_ca;
        params.verificationMode = mode;
        params.loadDefaultCAs = false;
        params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
        Poco::Net::Context::Ptr context = new Ctx(Ctx::TLSV1_2_SERVER_USE, params);
        context->disableProtocols(Ctx::PROTO_SSLV2 | Ctx::PROTO_SSLV3 | Ctx::PROTO_TLSV1 | Ctx::PROTO_TLSV1_1);
        // A partner's certificate is checked against client_ca and mapped to the partner by its
        // subject; Poco's extended verification would also match it with the address the partner
        // connects from, which a system's certificate does not name (with "required", every
        // partner would be refused at the handshake).
        context->enableExtendedCertificateVerification(false);
        socket_ = std::make_unique<Poco::Net::SecureServerSocket>(addr, 128, context);
      }
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
