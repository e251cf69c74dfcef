#pragma once
// GP Connect Access Record Structured through the Spine Secure Proxy (scenario S10): this gateway
// as an accredited consumer asks a GP practice for a patient's structured record. The request goes
// to {ssp}/{practice's FHIR base}/Patient/$gpc.getstructuredrecord over mutual TLS (the client
// certificate the SSP checks), with the SSP's headers (Ssp-TraceID, Ssp-From, Ssp-To,
// Ssp-InteractionID) and GP Connect's unsigned JWT of audit and provenance claims (the requesting
// practitioner, organisation and device; reason_for_request directcare). The answer is the
// practice's STU3 Bundle, as it came. Thread-safe: one TLS context, a session per call.

#include <Poco/Net/Context.h>

#include <cstdint>
#include <memory>
#include <string>

#include "config/gateway_config.h"
#include "core/status.h"
#include "fhir/node.h"

namespace onedoor::stages::deliver {

inline constexpr const char* kGpcStructuredInteraction =
    "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";

// The person asking, for the JWT's requesting_practitioner (GP Connect requires an SDS user id).
struct RequestingPractitioner {
  std::string sds_user_id;
  std::string sds_role_profile_id;  // may be empty
  std::string family;
  std::string given;
};

// The Parameters' patientNHSNumber (1..1: an Identifier with the NHS number system and a valid
// number), or 400 naming the parameter.
core::Result<std::string> patientNhsNumber(const fhir::Node& parameters);

struct GpcRequest {
  const config::GpConnectPracticeConfig* practice = nullptr;
  std::string parameters_json;  // the Parameters body (the same JSON in STU3 and R4)
  RequestingPractitioner practitioner;
  std::string trace_id;         // Ssp-TraceID: a UUID, also in the gateway's audit record
};

struct GpcAnswer {
  int status = 0;     // the practice's (or the SSP's) HTTP status; 0 when none came
  std::string body;   // what it answered
  std::string error;  // why there is no answer (connection, TLS, timeout)
};

class GpConnectClient {
 public:
  // The TLS context is made now: a certificate, key or CA file that cannot be loaded is an error
  // naming it. `issuer`: this gateway's base URL (the JWT's iss).
  static core::Result<std::unique_ptr<GpConnectClient>> create(const config::GatewayConfig& config, std::string issuer);

  GpcAnswer getStructuredRecord(const GpcRequest& request, std::int64_t now_s) const;
  // The JWT sent with `request`: unsigned (alg none), as GP Connect specifies.
  std::string jwt(const GpcRequest& request, std::int64_t now_s) const;

 private:
  GpConnectClient(config::GpConnectConfig config, std::string issuer, Poco::Net::Context::Ptr context)
      : config_(std::move(config)), issuer_(std::move(issuer)), context_(std::move(context)) {}
  config::GpConnectConfig config_;
  std::string issuer_;
  Poco::Net::Context::Ptr context_;
};

}  // namespace onedoor::stages::deliver
