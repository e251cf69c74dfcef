// onedoor keygen --out DIR NAME...   and   onedoor token --config FILE --partner ID
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <rapidjson/document.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "app/cli_options.h"
#include "app/command.h"
#include "app/gateway.h"
#include "stages/authenticate/keys.h"
#include "stages/authenticate/token_service.h"

namespace onedoor::app {

int keygenCommand(const std::vector<std::string>& args) {
  CliOptions opts("keygen", "--out DIR NAME...",
                  "Generates an EC P-384 key pair per NAME (NAME.key.pem, NAME.pub.pem in DIR) for development: "
                  "the gateway's signing key and the sample partners' keys. Existing keys are kept. Never use these "
                  "files outside a development machine.");
  opts.value("out", "folder for the PEM files", "DIR", true);
  if (!opts.parse(args)) return opts.exitCode();
  if (opts.positional().empty()) {
    std::cerr << "onedoor keygen: name at least one key\n";
    return 2;
  }
  std::filesystem::path dir = opts.get("out");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (const auto& name : opts.positional()) {
    auto priv = dir / (name + ".key.pem"), pub = dir / (name + ".pub.pem");
    if (std::filesystem::exists(priv)) continue;
    auto key = stages::authenticate::JwtKey::generateEc(priv.string(), pub.string());
    if (!key.isOk()) {
      std::cerr << "onedoor keygen: " << key.status().message() << "\n";
      return 1;
    }
    std::filesystem::permissions(priv, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace, ec);
    std::cout << "generated " << priv.string() << " and " << pub.string() << "\n";
  }
  return 0;
}

int tokenCommand(const std::vector<std::string>& args) {
  CliOptions opts("token", "--config FILE --partner ID [--scope SCOPES] [--purpose CODE]",
                  "Signs a client assertion with the partner's development key and exchanges it at the running "
                  "gateway's token endpoint (SMART Backend Services); prints the access token, for trying the API "
                  "with curl: curl -H \"Authorization: Bearer $(onedoor token ...)\" ...");
  opts.value("config", "gateway configuration (JSON)", "FILE", true);
  opts.value("partner", "the partner id (its development_key signs)", "ID", true);
  opts.value("scope", "scopes to ask for (space-separated; default: all the partner may have)", "SCOPES");
  opts.value("purpose", "purpose of use to claim (a v3 PurposeOfUse code)", "CODE");
  opts.value("url", "the token endpoint (default: from the configuration)", "URL");
  opts.value("ca", "CA bundle to verify an HTTPS gateway with (default: the system's)", "FILE");
  if (!opts.parse(args)) return opts.exitCode();
  config::Diagnostics diags;
  auto cfg = config::loadGatewayConfig(opts.get("config"), diags);
  std::cerr << diags.toString();
  if (!cfg) return 1;
  const config::PartnerConfig* partner = cfg->partner(opts.get("partner"));
  if (partner == nullptr) {
    std::cerr << "onedoor token: no partner '" << opts.get("partner") << "' in " << opts.get("config") << "\n";
    return 1;
  }
  if (partner->development_key.empty()) {
    std::cerr << "onedoor token: partner " << partner->id << " has no development_key\n";
    return 1;
  }
  auto key = stages::authenticate::JwtKey::load(partner->keys.empty() ? "ES384" : partner->keys.front().alg,
                                                cfg->resolvePath(partner->development_key), true);
  if (!key.isOk()) {
    std::cerr << "onedoor token: " << key.status().message() << "\n";
    return 1;
  }
  std::string url = opts.get("url", stages::authenticate::tokenUrlFor(*cfg, cfg->baseUrl()));
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto assertion = stages::authenticate::TokenService::clientAssertion(*partner, **key, url, now, core::Env::real()->uuid());
  if (!assertion.isOk()) {
    std::cerr << "onedoor token: " << assertion.status().message() << "\n";
    return 1;
  }
  try {
    Poco::URI uri(url);
    if (uri.getScheme() != "http" && uri.getScheme() != "https") {
      std::cerr << "onedoor token: the token URL must be http(s): " << url << "\n";
      return 1;
    }
    Poco::Net::HTMLForm form;
    form.set("grant_type", "client_credentials");
    form.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    form.set("client_assertion", *assertion);
    if (opts.has("scope")) form.set("scope", opts.get("scope"));
    if (opts.has("purpose")) form.set("purpose_of_use", opts.get("purpose"));
    std::ostringstream body;
    form.write(body);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      // The gateway's certificate is verified against --ca (or the system's CAs) and its name.
      Poco::Net::initializeSSL();
      Poco::Net::Context::Params params;
      params.caLocation = opts.get("ca");
      params.loadDefaultCAs = !opts.has("ca");
      params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), ctx);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("application/x-www-form-urlencoded");
    req.setContentLength64(static_cast<Poco::Int64>(body.str().size()));
    session->sendRequest(req) << body.str();
    Poco::Net::HTTPResponse resp;
    std::string text;
    Poco::StreamCopier::copyToString(session->receiveResponse(resp), text);
    rapidjson::Document d;
    d.Parse(text.c_str());
    if (resp.getStatus() != 200 || !d.IsObject() || !d.HasMember("access_token")) {
      std::cerr << "onedoor token: the token endpoint refused: " << text << "\n";
      return 1;
    }
    std::cout << d["access_token"].GetString() << "\n";
  } catch (const Poco::Exception& e) {
    std::cerr << "onedoor token: cannot reach " << url << " (is the gateway running?): " << e.displayText() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace onedoor::app
