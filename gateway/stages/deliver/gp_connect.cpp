#include "stages/deliver/gp_connect.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/URI.h>

#include <sstream>

#include "stages/identity/demographics.h"

namespace onedoor::stages::deliver {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::streamsize kMaxAnswerBytes = 64 << 20;

Object::Ptr identifier(const std::string& system, const std::string& value) {
  Object::Ptr i = new Object;
  i->set("system", system);
  i->set("value", value);
  return i;
}

Object::Ptr practitionerClaim(const RequestingPractitioner& p) {
  Object::Ptr r = new Object;
  r->set("resourceType", "Practitioner");
  r->set("id", p.sds_user_id);
  Array::Ptr ids = new Array;
  ids->add(identifier("https://fhir.nhs.uk/Id/sds-user-id", p.sds_user_id));
  if (!p.sds_role_profile_id.empty()) ids->add(identifier("https://fhir.nhs.uk/Id/sds-role-profile-id", p.sds_role_profile_id));
  r->set("identifier", ids);
  Object::Ptr name = new Object;
  name->set("family", p.family);
  Array::Ptr given = new Array;
  if (!p.given.empty()) given->add(p.given);
  name->set("given", given);
  Array::Ptr names = new Array;
  names->add(name);
  r->set("name", names);
  return r;
}

}  // namespace

core::Result<std::string> patientNhsNumber(const fhir::Node& parameters) {
  std::size_t index = 0;
  for (const fhir::Node* p : parameters.childrenNamed("parameter")) {
    const std::string where = "Parameters.parameter[" + std::to_string(index++) + "]";
    if (p->childValue("name") != "patientNHSNumber") continue;
    const fhir::Node* id = p->child("value");  // a choice, kept under its stem
    if (id == nullptr || id->type == nullptr || id->type->name != "Identifier" ||
        id->childValue("system") != identity::kNhsNumberSystem) {
      return core::invalid("patientNHSNumber is an Identifier with system " + std::string(identity::kNhsNumberSystem), where);
    }
    std::string value(id->childValue("value"));
    if (!identity::validNhsNumber(value)) {
      return core::invalid("'" + value + "' is not a valid NHS number (ten digits, the last a check digit)",
                           where + ".valueIdentifier.value");
    }
    return value;
  }
  return core::invalid("the Parameters need patientNHSNumber (the patient's NHS number)", "Parameters");
}

core::Result<std::unique_ptr<GpConnectClient>> GpConnectClient::create(const config::GatewayConfig& config,
                                                                       std::string issuer) {
  const config::GpConnectConfig& g = config.gp_connect;
  try {
    // TLS 1.2 or later; the SSP verified against ca_file only, this gateway known by its certificate.
    Poco::Net::initializeSSL();
    using Ctx = Poco::Net::Context;
    Ctx::Params params;
    params.privateKeyFile = config.resolvePath(g.private_key);
    params.certificateFile = config.resolvePath(g.certificate);
    params.caLocation = config.resolvePath(g.ca_file);
    params.verificationMode = Ctx::VERIFY_STRICT;
    params.loadDefaultCAs = false;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    Poco::Net::Context::Ptr context = new Ctx(Ctx::TLSV1_2_CLIENT_USE, params);
    context->disableProtocols(Ctx::PROTO_SSLV2 | Ctx::PROTO_SSLV3 | Ctx::PROTO_TLSV1 | Ctx::PROTO_TLSV1_1);
    config::GpConnectConfig resolved = g;
    return std::unique_ptr<GpConnectClient>(new GpConnectClient(std::move(resolved), std::move(issuer), context));
  } catch (const Poco::Exception& e) {
    return core::invalid("gp_connect: the client certificate, its key or the CA file cannot be loaded (" +
                         config.resolvePath(g.certificate) + ", " + config.resolvePath(g.private_key) + ", " +
                         config.resolvePath(g.ca_file) + "): " + e.displayText());
  }
}

std::string GpConnectClient::jwt(const GpcRequest& request, std::int64_t now_s) const {
  Poco::JWT::Token token;
  token.setType("JWT");
  token.setIssuer(issuer_);
  token.setSubject(request.practitioner.sds_user_id);
  token.setAudience(request.practice->fhir_base);
  token.setIssuedAt(Poco::Timestamp::fromEpochTime(now_s));
  token.setExpiration(Poco::Timestamp::fromEpochTime(now_s + 300));
  Object& claims = token.payload();
  claims.set("reason_for_request", "directcare");
  claims.set("requested_scope", "patient/*.read");
  Object::Ptr device = new Object;
  device->set("resourceType", "Device");
  Array::Ptr device_ids = new Array;
  device_ids->add(identifier("https://onedoor.dev/Id/device", config_.asid));
  device->set("identifier", device_ids);
  device->set("model", "OneDoor gateway");
  device->set("version", ONEDOOR_VERSION);
  claims.set("requesting_device", device);
  Object::Ptr org = new Object;
  org->set("resourceType", "Organization");
  org->set("id", config_.ods);
  Array::Ptr org_ids = new Array;
  org_ids->add(identifier("https://fhir.nhs.uk/Id/ods-organization-code", config_.ods));
  org->set("identifier", org_ids);
  org->set("name", config_.organization_name.empty() ? config_.ods : config_.organization_name);
  claims.set("requesting_organization", org);
  claims.set("requesting_practitioner", practitionerClaim(request.practitioner));
  // Poco's Signer will not sign with "none"; an unsigned token is its header and claims and an
  // empty signature, which is what the Token serialises to.
  token.setAlgorithm(Poco::JWT::Signer::ALGO_NONE);
  return token.toString();
}

GpcAnswer GpConnectClient::getStructuredRecord(const GpcRequest& request, std::int64_t now_s) const {
  GpcAnswer answer;
  try {
    Poco::URI ssp(config_.ssp);
    Poco::Net::HTTPSClientSession session(ssp.getHost(), ssp.getPort(), context_);
    session.setTimeout(Poco::Timespan(static_cast<long>(config_.timeout_ms) * 1000));
    // The SSP is a forward proxy: the provider's URL follows the proxy's own path.
    std::string base = ssp.getPath();
    if (!base.empty() && base.back() == '/') base.pop_back();
    std::string target = base + "/" + request.practice->fhir_base + "/Patient/$gpc.getstructuredrecord";
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, target, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("application/fhir+json;charset=utf-8");
    req.set("Accept", "application/fhir+json");
    req.set("Ssp-TraceID", request.trace_id);
    req.set("Ssp-From", config_.asid);
    req.set("Ssp-To", request.practice->asid);
    req.set("Ssp-InteractionID", kGpcStructuredInteraction);
    req.set("Authorization", "Bearer " + jwt(request, now_s));
    req.setContentLength(static_cast<std::streamsize>(request.parameters_json.size()));
    session.sendRequest(req) << request.parameters_json;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    answer.status = static_cast<int>(resp.getStatus());
    char buf[65536];
    while (in) {
      in.read(buf, sizeof buf);
      answer.body.append(buf, static_cast<std::size_t>(in.gcount()));
      if (static_cast<std::streamsize>(answer.body.size()) > kMaxAnswerBytes) {
        answer.status = 0;
        answer.body.clear();
        answer.error = "the practice's answer is larger than 64 MiB";
        break;
      }
    }
  } catch (const Poco::Exception& e) {
    answer.status = 0;
    answer.error = e.displayText();
  }
  return answer;
}

}  // namespace onedoor::stages::deliver
