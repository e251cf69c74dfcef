#pragma once
// ExchangeHandler: one HTTP request → one Exchange through the pipeline → one HTTP response.

#include <Poco/Net/HTTPRequestHandler.h>

#include "http/http_server.h"

namespace onedoor::http {

class ExchangeHandler : public Poco::Net::HTTPRequestHandler {
 public:
  ExchangeHandler(const HttpHandlers& handlers, std::uint64_t max_body)
      : handlers_(handlers), max_body_(max_body) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  const HttpHandlers& handlers_;
  std::uint64_t max_body_;
};

}  // namespace onedoor::http
