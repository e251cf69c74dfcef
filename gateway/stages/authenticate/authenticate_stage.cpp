#include "stages/authenticate/authenticate_stage.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "stages/parse/parse_stage.h"

namespace onedoor::stages::authenticate {
namespace {

void json(core::Exchange& ex, int status, const std::string& body) {
  ex.response = core::Response{};
  ex.response.status = status;
  ex.response.body = body;
  ex.response.content_type = "application/json";
  ex.response.headers.set("Cache-Control", "no-store");
  ex.response.headers.set("Pragma", "no-cache");
}

std::string oauthError(const TokenError& e) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("error");
  w.String(e.error.c_str());
  w.Key("error_description");
  w.String(e.description.c_str());
  w.EndObject();
  return sb.GetString();
}

void unauthorized(core::Exchange& ex, const std::string& why) {
  ex.fail(core::Status(core::Code::kUnauthenticated, why));
  ex.response.headers.set("WWW-Authenticate", "Bearer realm=\"onedoor\", error=\"invalid_token\"");
}

// A certificate subject as a sorted list of its attributes, so that "/O=Trust/CN=app" (OpenSSL's
// one-line form), "O=Trust,CN=app" and "CN=app, O=Trust" compare equal.
std::string normalSubject(const std::string& subject) {
  std::vector<std::string> parts;
  std::string cur;
  auto flush = [&] {
    auto b = cur.find_first_not_of(' '), e = cur.find_last_not_of(' ');
    if (b != std::string::npos) parts.push_back(cur.substr(b, e - b + 1));
    cur.clear();
  };
  for (char c : subject) {
    if (c == '/' || c == ',') {
      flush();
    } else {
      cur += c;
    }
  }
  flush();
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

}  // namespace

core::Result<core::Flow> AuthenticateStage::run(core::Exchange& ex) {
  if (ex.request.endpoint == "auth") return tokenEndpoint(ex);
  // A message from a partner's own MLLP feed: the listener belongs to that partner (config), and
  // the feed's principal is set by it, not by a token. Only the MLLP listener makes such exchanges.
  if (ex.request.transport == "mllp" && ex.principal.authenticated) return core::Flow::kContinue;
  const std::string& path = ex.request.path;
  if (path == "/.well-known/smart-configuration") return discovery(ex);
  bool open = path == "/metadata" && (ex.request.method == "GET" || ex.request.method == "HEAD");

  std::string subject = ex.request.client_certificate_subject;
  const config::PartnerConfig* by_certificate = nullptr;
  if (!subject.empty()) {
    ex.principal.certificate_subject = subject;
    for (const auto& p : config_->partners) {
      if (!p.certificate_subject.empty() && normalSubject(p.certificate_subject) == normalSubject(subject)) {
        by_certificate = &p;
      }
    }
    if (by_certificate == nullptr) {
      unauthorized(ex, "the client certificate (subject " + subject + ") belongs to no registered partner");
      return core::Flow::kRespond;
    }
  }
  auto header = ex.request.headers.get("Authorization");
  if (!header) {
    if (open) return core::Flow::kContinue;
    unauthorized(ex, "this request needs a bearer token (see /auth/token)");
    return core::Flow::kRespond;
  }
  if (header->size() < 8 || !core::sameName(header->substr(0, 7), "Bearer ")) {
    unauthorized(ex, "the Authorization header must be 'Bearer <token>'");
    return core::Flow::kRespond;
  }
  auto grant = tokens_->verify(header->substr(7));
  if (!grant.isOk()) {
    unauthorized(ex, grant.status().message());
    return core::Flow::kRespond;
  }
  const config::PartnerConfig* partner = config_->partner(grant->partner);
  if (by_certificate != nullptr && by_certificate != partner) {
    unauthorized(ex, "the access token was issued to another client than the certificate's");
    return core::Flow::kRespond;
  }
  core::Principal& p = ex.principal;
  p.authenticated = true;
  p.partner = partner->id;
  p.sector = partner->sector;
  p.ods = partner->ods;
  p.scopes = grant->scopes;
  p.token_id = grant->jti;
  // Purpose of use: this request's header, else the token's, else treatment (or, for a partner
  // that may not claim treatment, such as an auditor, the first purpose it may claim); always one
  // the partner may claim.
  std::string purpose = ex.request.headers.get("X-Purpose-Of-Use").value_or(grant->purpose);
  if (purpose.empty()) {
    bool treats = std::find(partner->purposes.begin(), partner->purposes.end(), "TREAT") != partner->purposes.end();
    purpose = treats || partner->purposes.empty() ? "TREAT" : partner->purposes.front();
  }
  p.purpose = purpose;
  if (std::find(partner->purposes.begin(), partner->purposes.end(), purpose) == partner->purposes.end()) {
    ex.fail(core::Status(core::Code::kForbidden, "purpose of use " + purpose + " is not one this client may claim"));
    return core::Flow::kRespond;
  }
  // A patient-facing service acting for a person signed in with NHS login.
  if (auto id_token = ex.request.headers.get("NHSD-User-Identity")) {
    if (!partner->patient_facing || nhs_login_ == nullptr) {
      ex.fail(core::Status(core::Code::kForbidden, nhs_login_ == nullptr
                                                       ? "this gateway takes no NHS login ID tokens (nhs_login is not configured)"
                                                       : "partner " + partner->id + " is not a patient-facing service: it may "
                                                             "not act for a person (NHSD-User-Identity)"));
      return core::Flow::kRespond;
    }
    auto person = nhs_login_->verify(*id_token);
    if (!person.isOk()) {
      unauthorized(ex, person.status().message());
      return core::Flow::kRespond;
    }
    p.patient_nhs_number = person->nhs_number;
    p.patient_proofing = person->proofing_level;
    p.patient_subject = person->subject;
  }
  return core::Flow::kContinue;
}

core::Flow AuthenticateStage::tokenEndpoint(core::Exchange& ex) const {
  if (ex.request.method != "POST") {
    json(ex, 405, R"({"error":"invalid_request","error_description":"the token endpoint takes POST"})");
    return core::Flow::kRespond;
  }
  auto ctype = ex.request.headers.get("Content-Type");
  if (!ctype || ctype->find("application/x-www-form-urlencoded") == std::string::npos) {
    json(ex, 400, oauthError({400, "invalid_request", "the body must be application/x-www-form-urlencoded"}));
    return core::Flow::kRespond;
  }
  auto form = parse::parseForm(ex.request.body);
  if (!form.isOk()) {
    json(ex, 400, oauthError({400, "invalid_request", form.status().message()}));
    return core::Flow::kRespond;
  }
  std::string partner;
  TokenError error;
  auto r = tokens_->exchange(*form, partner, error);
  ex.principal.partner = partner;  // as claimed: the audit names who tried
  if (!r) {
    json(ex, error.http_status, oauthError(error));
    return core::Flow::kRespond;
  }
  ex.principal.authenticated = true;
  if (const auto* p = config_->partner(partner)) {
    ex.principal.sector = p->sector;
    ex.principal.ods = p->ods;
  }
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("access_token");
  w.String(r->access_token.c_str());
  w.Key("token_type");
  w.String("bearer");
  w.Key("expires_in");
  w.Int64(r->expires_in);
  w.Key("scope");
  w.String(r->scope.c_str());
  w.EndObject();
  json(ex, 200, sb.GetString());
  return core::Flow::kRespond;
}

core::Flow AuthenticateStage::discovery(core::Exchange& ex) const {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("token_endpoint");
  w.String(tokens_->tokenUrl().c_str());
  w.Key("token_endpoint_auth_methods_supported");
  w.StartArray();
  w.String("private_key_jwt");
  w.EndArray();
  w.Key("token_endpoint_auth_signing_alg_values_supported");
  w.StartArray();
  w.String("RS384");
  w.String("ES384");
  w.EndArray();
  w.Key("grant_types_supported");
  w.StartArray();
  w.String("client_credentials");
  w.EndArray();
  w.Key("scopes_supported");
  w.StartArray();
  for (const char* s : {"system/*.rs", "system/*.cruds", "system/*.read", "system/*.write"}) w.String(s);
  w.EndArray();
  w.Key("capabilities");
  w.StartArray();
  w.String("client-confidential-asymmetric");
  w.EndArray();
  w.EndObject();
  json(ex, 200, sb.GetString());
  ex.response.headers.set("Cache-Control", "max-age=3600");
  return core::Flow::kRespond;
}

}  // namespace onedoor::stages::authenticate
