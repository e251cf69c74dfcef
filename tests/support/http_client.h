#pragma once
// A small blocking HTTP client for integration tests (Poco::Net::HTTPClientSession): a real
// socket to the real server.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace onedoor::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const;
};

// HTTPS: the server is verified against `ca_file` (and its name, 127.0.0.1); a client
// certificate is sent when one is given.
struct ClientTls {
  std::string ca_file;
  std::string certificate;
  std::string private_key;
};

class HttpClient {
 public:
  // `token`: sent as "Authorization: Bearer" unless a request sets its own Authorization.
  explicit HttpClient(std::uint16_t port, std::string token = "", std::optional<ClientTls> tls = std::nullopt)
      : port_(port), token_(std::move(token)), tls_(std::move(tls)) {}
  HttpResponse request(const std::string& method, const std::string& path,
                       const std::string& body = "",
                       const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResponse get(const std::string& path,
                   const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return request("GET", path, "", headers);
  }
  // POST/PUT of FHIR JSON.
  HttpResponse send(const std::string& method, const std::string& path, const std::string& json,
                    const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  std::uint16_t port_;
  std::string token_;
  std::optional<ClientTls> tls_;
};

}  // namespace onedoor::testing
