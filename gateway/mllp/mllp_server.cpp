#include "mllp/mllp_server.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>

#include "core/env.h"

namespace onedoor::mllp {

std::string frame(const std::string& message) {
  std::string out;
  out.reserve(message.size() + 3);
  out += kStartBlock;
  out += message;
  out += kEndBlock;
  out += kCarriageReturn;
  return out;
}

namespace {

class Connection : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& s, const MessageHandler& handler, std::uint64_t max_bytes)
      : Poco::Net::TCPServerConnection(s), handler_(handler), max_bytes_(max_bytes) {}

  void run() override {
    core::nameThisThread("od-mllp");
    Poco::Net::StreamSocket& sock = socket();
    sock.setReceiveTimeout(Poco::Timespan(60, 0));
    std::string buffer, message;
    bool in_frame = false;
    char chunk[8192];
    try {
      while (true) {
        int n = sock.receiveBytes(chunk, sizeof chunk);
        if (n <= 0) return;  // closed by the sender
        for (int i = 0; i < n; ++i) {
          char c = chunk[i];
          if (!in_frame) {
            if (c == kStartBlock) {
              in_frame = true;
              message.clear();
            }
            continue;  // noise between frames
          }
          if (c == kEndBlock) {
            in_frame = false;
            std::string ack = frame(handler_(message));
            sock.sendBytes(ack.data(), static_cast<int>(ack.size()));
            continue;  // the trailing CR, if any, is noise between frames
          }
          if (c == kStartBlock) {  // a new frame before the old one ended: the old one is lost
            message.clear();
            continue;
          }
          message += c;
          if (message.size() > max_bytes_) return;  // too large: the connection is closed
        }
      }
    } catch (const Poco::Exception&) {
      // timeout or reset: the connection ends; the sender resends what was not acknowledged
    }
  }

 private:
  const MessageHandler& handler_;
  std::uint64_t max_bytes_;
};

class Factory : public Poco::Net::TCPServerConnectionFactory {
 public:
  Factory(MessageHandler handler, std::uint64_t max_bytes) : handler_(std::move(handler)), max_bytes_(max_bytes) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& s) override {
    return new Connection(s, handler_, max_bytes_);
  }

 private:
  MessageHandler handler_;
  std::uint64_t max_bytes_;
};

class PocoMllpServer : public MllpServer {
 public:
  core::Status start(const config::MllpConfig& cfg, MessageHandler handler) {
    try {
      Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(cfg.host, static_cast<Poco::UInt16>(cfg.port)), 64);
      port_ = socket.address().port();
      auto* params = new Poco::Net::TCPServerParams;
      params->setMaxThreads(16);
      server_ = std::make_unique<Poco::Net::TCPServer>(new Factory(std::move(handler), cfg.max_message_bytes), socket,
                                                       params);
      server_->start();
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "cannot listen for MLLP on " + cfg.host + ":" +
                                                        std::to_string(cfg.port) + ": " + e.displayText());
    }
    return core::Status::ok();
  }
  std::uint16_t port() const override { return port_; }
  void stop() override {
    if (server_) server_->stop();
  }
  ~PocoMllpServer() override { stop(); }

 private:
  std::unique_ptr<Poco::Net::TCPServer> server_;
  std::uint16_t port_ = 0;
};

}  // namespace

core::Result<std::unique_ptr<MllpServer>> MllpServer::start(const config::MllpConfig& config, MessageHandler handler) {
  auto s = std::make_unique<PocoMllpServer>();
  GW_RETURN_IF_ERROR(s->start(config, std::move(handler)));
  return std::unique_ptr<MllpServer>(std::move(s));
}

}  // namespace onedoor::mllp
