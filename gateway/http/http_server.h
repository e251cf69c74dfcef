#pragma once
// HttpServer: the gateway's HTTP listener (Poco::Net::HTTPServer), the only Poco::Net user. It maps
// each HTTP request onto an Exchange, runs the pipeline and writes the response. Also serves
// /health (liveness) and /ready (readiness). Started once; stop() is thread-safe.

#include <functional>
#include <memory>
#include <string>

#include "config/gateway_config.h"
#include "core/metrics.h"
#include "core/pipeline.h"
#include "core/status.h"
#include "fhir/model.h"

namespace onedoor::http {

struct HttpHandlers {
  std::shared_ptr<const core::Pipeline> fhir;  // requests under /fhir
  fhir::ModelPtr model;
  std::function<core::Status()> ready;         // /ready: OK when the store and definitions answer
  std::shared_ptr<core::Metrics> metrics;      // counted per request; GET /metrics (loopback clients only)
  std::function<std::string()> more_metrics;   // lines other parts add to /metrics
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // The bound port (the real one when the configuration asked for port 0).
  virtual std::uint16_t port() const = 0;
  // Starts serving; call once.
  virtual core::Status start(HttpHandlers handlers) = 0;
  virtual void stop() = 0;
};

// Binds the listening socket (so the port is known before the pipeline is built).
core::Result<std::unique_ptr<HttpServer>> bindHttpServer(const config::ServerConfig& config);

}  // namespace onedoor::http
