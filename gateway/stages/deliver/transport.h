#pragma once
// Sending one outbox message to a partner's endpoint, by the partner's transport:
//   fhir-message  POST {endpoint}/$process-message, the message Bundle (application/fhir+json)
//   fhir-rest     POST {endpoint}, a transaction Bundle of the message's resources
//   http          POST {endpoint}, the body in the partner's own format (its content type)
//   mllp          the HL7 v2 message framed over TCP to host:port; the ACK's MSA-1 decides
// HTTP carries the message id as Idempotency-Key (and X-Request-ID) so that a receiver can
// recognise a retry. TLS (https) verifies the server against the system's CAs. Each send is
// bounded by the partner's timeout. HTTP connections are kept alive, one per calling thread and
// endpoint. Thread-safe (no shared state).

#include <string>

#include "config/gateway_config.h"
#include "stages/deliver/outbox.h"

namespace onedoor::stages::deliver {

struct SendResult {
  bool delivered = false;
  bool permanent = false;  // the receiver refused this message for good (HTTP 4xx but 408/429, MLLP AR)
  std::string error;       // why not, for the outbox and the operator
};

SendResult send(const config::DeliveryConfig& delivery, const OutboxEntry& message);

}  // namespace onedoor::stages::deliver
