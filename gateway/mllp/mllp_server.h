#pragma once
// MllpServer: the Minimal Lower Layer Protocol listener that HL7 v2 feeds use (TCP; each message
// framed as 0x0B message 0x1C 0x0D). Every complete frame is given to the handler, whose answer
// (an ACK) is sent back framed before the next frame is read, so a sender that waits for its ACK
// knows the message was handled. Bytes outside frames are skipped; a frame larger than the limit
// or a connection idle past the timeout is closed. Poco TCPServer: a thread per connection.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/gateway_config.h"
#include "core/status.h"

namespace onedoor::mllp {

// Handles one message (the frame's content); returns the ACK to send.
using MessageHandler = std::function<std::string(const std::string& message)>;

class MllpServer {
 public:
  static core::Result<std::unique_ptr<MllpServer>> start(const config::MllpConfig& config, MessageHandler handler);
  virtual ~MllpServer() = default;
  virtual std::uint16_t port() const = 0;
  virtual void stop() = 0;
};

constexpr char kStartBlock = 0x0B;
constexpr char kEndBlock = 0x1C;
constexpr char kCarriageReturn = 0x0D;

// The framed form of a message.
std::string frame(const std::string& message);

}  // namespace onedoor::mllp
