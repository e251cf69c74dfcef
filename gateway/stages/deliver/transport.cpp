#include "stages/deliver/transport.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <map>
#include <memory>
#include <sstream>

#include "hl7v2/message.h"
#include "mllp/mllp_server.h"

namespace onedoor::stages::deliver {

namespace {

using Sessions = std::map<std::string, std::unique_ptr<Poco::Net::HTTPClientSession>>;

// One kept-alive connection per worker thread and endpoint (deliveries to a partner come in runs);
// a connection the receiver closed is opened again by Poco on the next request.
Sessions& sessions() {
  thread_local Sessions s;
  return s;
}

std::string sessionKey(const Poco::URI& uri) { return uri.getScheme() + "://" + uri.getHost() + ":" + std::to_string(uri.getPort()); }

// After a failure the next attempt starts on a new connection.
void dropSession(const std::string& url) {
  try {
    sessions().erase(sessionKey(Poco::URI(url)));
  } catch (const Poco::Exception&) {
    // a URL that does not parse has no session
  }
}

SendResult httpPost(const config::DeliveryConfig& d, const std::string& url, const std::string& content_type,
                    const OutboxEntry& m) {
  SendResult r;
  try {
    Poco::URI uri(url);
    auto& session = sessions()[sessionKey(uri)];
    if (!session) {
      if (uri.getScheme() == "https") {
        static const Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_STRICT, 9, true);
        session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
      } else {
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
      }
      session->setKeepAlive(true);
    }
    session->setTimeout(Poco::Timespan(static_cast<long>(d.timeout_ms) * 1000));
    // The target as configured ($process-message stays as written; Poco::URI would encode the $).
    std::size_t scheme = url.find("://");
    std::size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    std::string target = slash == std::string::npos ? "/" : url.substr(slash);
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, target, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    req.setContentType(content_type);
    req.setContentLength(static_cast<std::streamsize>(m.body.size()));
    req.set("Idempotency-Key", m.message_id);
    req.set("X-Request-ID", m.message_id);
    if (!m.correlation_id.empty()) req.set("X-Correlation-Id", m.correlation_id);
    req.set("Accept", "application/fhir+json");
    session->sendRequest(req) << m.body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    std::string answer;
    Poco::StreamCopier::copyToString(in, answer, 4096);
    int status = static_cast<int>(resp.getStatus());
    if (status >= 200 && status < 300) {
      r.delivered = true;
      return r;
    }
    r.error = "HTTP " + std::to_string(status) + " " + resp.getReason() + (answer.empty() ? "" : ": " + answer.substr(0, 300));
    r.permanent = status >= 400 && status < 500 && status != 408 && status != 429;
  } catch (const Poco::Exception& e) {
    r.error = e.displayText();
    dropSession(url);
  } catch (const std::exception& e) {
    r.error = e.what();
    dropSession(url);
  }
  return r;
}

SendResult mllpSend(const config::DeliveryConfig& d, const OutboxEntry& m) {
  SendResult r;
  try {
    Poco::Net::SocketAddress address(d.endpoint);
    Poco::Net::StreamSocket socket;
    Poco::Timespan timeout(static_cast<long>(d.timeout_ms) * 1000);
    socket.connect(address, timeout);
    socket.setReceiveTimeout(timeout);
    socket.setSendTimeout(timeout);
    std::string framed = mllp::frame(m.body);
    socket.sendBytes(framed.data(), static_cast<int>(framed.size()));
    std::string answer;
    char buf[4096];
    while (answer.find(mllp::kEndBlock) == std::string::npos) {
      int n = socket.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      answer.append(buf, static_cast<std::size_t>(n));
      if (answer.size() > 1024 * 1024) break;
    }
    std::size_t start = answer.find(mllp::kStartBlock), end = answer.find(mllp::kEndBlock);
    if (start == std::string::npos || end == std::string::npos || end < start) {
      r.error = "MLLP: no framed acknowledgement";
      return r;
    }
    auto ack = hl7v2::parse(answer.substr(start + 1, end - start - 1));
    if (!ack.isOk()) {
      r.error = "MLLP: the acknowledgement does not read: " + ack.status().message();
      return r;
    }
    std::string code = ack->value("MSA-1");
    if (code == "AA" || code == "CA") {
      r.delivered = true;
      return r;
    }
    r.error = "MLLP " + code + (ack->value("MSA-3").empty() ? "" : ": " + ack->value("MSA-3"));
    r.permanent = code == "AR" || code == "CR";
  } catch (const Poco::Exception& e) {
    r.error = e.displayText();
  }
  return r;
}

}  // namespace

SendResult send(const config::DeliveryConfig& d, const OutboxEntry& m) {
  if (d.transport == "mllp") return mllpSend(d, m);
  std::string url = d.endpoint;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (d.transport == "fhir-message") return httpPost(d, url + "/$process-message", "application/fhir+json", m);
  return httpPost(d, url, m.content_type, m);
}

}  // namespace onedoor::stages::deliver
