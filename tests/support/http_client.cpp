#include "support/http_client.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <memory>
#include <sstream>

namespace onedoor::testing {

std::string HttpResponse::header(const std::string& name) const {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), ::tolower);
  auto it = headers.find(n);
  return it == headers.end() ? "" : it->second;
}

HttpResponse HttpClient::request(const std::string& method, const std::string& path,
                                 const std::string& body,
                                 const std::vector<std::pair<std::string, std::string>>& headers) {
  std::unique_ptr<Poco::Net::HTTPClientSession> owned;
  if (tls_) {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Params params;
    params.caLocation = tls_->ca_file;
    params.certificateFile = tls_->certificate;
    params.privateKeyFile = tls_->private_key;
    params.loadDefaultCAs = false;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    owned = std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", port_, ctx);
  } else {
    owned = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port_);
  }
  Poco::Net::HTTPClientSession& session = *owned;
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!token_.empty() && !req.has("Authorization")) req.set("Authorization", "Bearer " + token_);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.setContentLength64(static_cast<Poco::Int64>(body.size()));
  }
  std::ostream& os = session.sendRequest(req);
  os << body;
  Poco::Net::HTTPResponse resp;
  std::istream& is = session.receiveResponse(resp);
  HttpResponse out;
  out.status = resp.getStatus();
  for (const auto& [k, v] : resp) {
    std::string n = k;
    std::transform(n.begin(), n.end(), n.begin(), ::tolower);
    out.headers[n] = v;
  }
  std::ostringstream ss;
  Poco::StreamCopier::copyStream(is, ss);
  out.body = ss.str();
  return out;
}

HttpResponse HttpClient::send(const std::string& method, const std::string& path,
                              const std::string& json,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  auto h = headers;
  h.emplace_back("Content-Type", "application/fhir+json");
  return request(method, path, json, h);
}

}  // namespace onedoor::testing
