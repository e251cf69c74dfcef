#include "http/exchange_handler.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SecureStreamSocketImpl.h>
#include <Poco/Net/X509Certificate.h>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <istream>

#include "core/env.h"
#include "core/exchange.h"
#include "http/response_writer.h"
#include "stages/parse/rest_url.h"

namespace onedoor::http {
namespace {

constexpr std::string_view kFhirBase = "/fhir";

// A client's X-Request-Id (or X-Correlation-Id) is echoed when it is safe to log: 1-200 visible
// ASCII characters.
bool usableRequestId(const std::string& id) {
  if (id.empty() || id.size() > 200) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

// How much of an over-limit body we still read and discard, so that a client that sends it
// all before reading sees the 413 rather than a reset connection (as a lingering close would).
constexpr std::uint64_t kDrainLimit = 16u << 20;

void drain(std::istream& in, std::uint64_t limit) {
  char buf[16384];
  for (std::uint64_t seen = 0; in && seen < limit; seen += static_cast<std::uint64_t>(in.gcount())) {
    in.read(buf, sizeof buf);
  }
}

core::Status readBody(Poco::Net::HTTPServerRequest& req, std::uint64_t max, std::string& body) {
  core::Status too_large(core::Code::kTooLarge,
                         "the request body is larger than the limit of " + std::to_string(max) + " bytes");
  std::istream& in = req.stream();
  if (req.hasContentLength() && req.getContentLength64() > static_cast<Poco::Int64>(max)) {
    if (req.getContentLength64() <= static_cast<Poco::Int64>(max + kDrainLimit)) drain(in, kDrainLimit);
    return too_large;
  }
  char buf[16384];
  while (in) {
    in.read(buf, sizeof buf);
    body.append(buf, static_cast<std::size_t>(in.gcount()));
    if (body.size() > max) {
      body.clear();
      drain(in, kDrainLimit);
      return too_large;
    }
  }
  return core::Status::ok();
}

// The subject of the client's TLS certificate, verified by the handshake; "" when none.
std::string clientCertificateSubject(Poco::Net::HTTPServerRequest& req) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  if (impl == nullptr) return {};
  // A plain socket has no certificate (checked without the exception Poco would throw).
  Poco::Net::StreamSocket socket = impl->socket();
  if (dynamic_cast<Poco::Net::SecureStreamSocketImpl*>(socket.impl()) == nullptr) return {};
  try {
    Poco::Net::SecureStreamSocket secure(socket);
    if (secure.havePeerCertificate()) return secure.peerCertificate().subjectName();
  } catch (const Poco::Exception&) {
    // the handshake failed or the peer sent no certificate
  }
  return {};
}

void plain(core::Exchange& ex, int status, std::string json) {
  ex.response.status = status;
  ex.response.body = std::move(json);
  ex.response.content_type = "application/json";
}

}  // namespace

void ExchangeHandler::handleRequest(Poco::Net::HTTPServerRequest& req,
                                    Poco::Net::HTTPServerResponse& resp) {
  core::Exchange ex(*handlers_.model);
  bool head = req.getMethod() == "HEAD";
  try {
    auto rid = req.get("X-Request-Id", "");
    ex.request_id = usableRequestId(rid) ? rid : core::Env::real()->uuid();
    if (auto cid = req.get("X-Correlation-Id", ""); usableRequestId(cid)) ex.correlation_id = cid;
    ex.request.method = req.getMethod();
    ex.request.remote_address = req.clientAddress().toString();
    ex.request.client_certificate_subject = clientCertificateSubject(req);
    for (const auto& [k, v] : req) ex.request.headers.add(k, v);

    std::string uri = req.getURI();
    std::string raw_path = uri.substr(0, uri.find('?'));
    std::string raw_query = uri.find('?') == std::string::npos ? "" : uri.substr(uri.find('?') + 1);
    core::Status st = core::Status::ok();
    if (raw_path == "/health") {
      plain(ex, 200, R"({"status":"pass"})");
    } else if (raw_path == "/metrics") {
      // Counts only, no patient data; still for the operator's own host (a scraper on loopback).
      if (!req.clientAddress().host().isLoopback() || !handlers_.metrics) {
        ex.fail(core::Status(core::Code::kNotFound, "no such endpoint; the FHIR API is under /fhir"));
      } else {
        ex.response.status = 200;
        ex.response.body = handlers_.metrics->render(handlers_.more_metrics ? handlers_.more_metrics() : "");
        ex.response.content_type = "text/plain; version=0.0.4";
      }
    } else if (raw_path == "/ready") {
      core::Status r = handlers_.ready ? handlers_.ready() : core::Status::ok();
      plain(ex, r.isOk() ? 200 : 503,
            r.isOk() ? R"({"status":"pass"})" : R"({"status":"fail"})");
    } else if (raw_path == "/auth/token") {
      ex.request.endpoint = "auth";
      ex.request.path = raw_path;
      st = readBody(req, max_body_, ex.request.body);
      if (!st.isOk()) {
        ex.fail(st);
      } else {
        handlers_.fhir->run(ex);
      }
    } else if (raw_path.rfind(kFhirBase, 0) != 0 ||
               (raw_path.size() > kFhirBase.size() && raw_path[kFhirBase.size()] != '/')) {
      ex.fail(core::Status(core::Code::kNotFound, "no such endpoint; the FHIR API is under /fhir"));
    } else {
      ex.request.path = raw_path.substr(kFhirBase.size());
      for (std::size_t start = 0; start < raw_query.size() && st.isOk();) {
        auto amp = raw_query.find('&', start);
        std::string pair = raw_query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        start = amp == std::string::npos ? raw_query.size() : amp + 1;
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        std::string k = pair.substr(0, eq);
        std::string v = eq == std::string::npos ? "" : pair.substr(eq + 1);
        for (char& c : k) c = c == '+' ? ' ' : c;
        for (char& c : v) c = c == '+' ? ' ' : c;
        auto dk = stages::parse::percentDecode(k);
        auto dv = stages::parse::percentDecode(v);
        if (!dk.isOk() || !dv.isOk()) {
          st = core::invalid("malformed query string");
          break;
        }
        ex.request.query.emplace_back(std::move(dk).value(), std::move(dv).value());
      }
      if (st.isOk()) st = readBody(req, max_body_, ex.request.body);
      if (!st.isOk()) {
        ex.fail(st);
        if (st.code() == core::Code::kTooLarge) resp.setKeepAlive(false);
      } else {
        handlers_.fhir->run(ex);
      }
    }
  } catch (const std::exception& e) {
    ex.fail(core::internal(std::string("unexpected failure: ") + e.what()));
  }
  if (handlers_.metrics && !ex.request.path.empty()) {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - ex.started).count();
    handlers_.metrics->observe(ex.response.status, seconds, ex.audit.decision);
  }
  try {
    writeResponse(ex, head, resp);
  } catch (const std::exception&) {
    // The client went away while we answered; nothing more can be sent.
  }
}

}  // namespace onedoor::http
