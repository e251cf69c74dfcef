#include "config/gateway_config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "config/json_reader.h"
#include "fhirpath/expression.h"

namespace onedoor::config {
namespace {

void readIdentity(ObjectReader r, IdentityConfig& id) {
  static const std::vector<std::string> kFields = {"family", "given", "birthDate", "gender", "postcode", "phone"};
  auto known = [&](const std::string& f) { return std::find(kFields.begin(), kFields.end(), f) != kFields.end(); };
  const std::string kFieldList = "family, given, birthDate, gender, postcode, phone";
  r.boolean("enabled", id.enabled);
  r.string("strong_identifier", id.strong_identifier);
  bool rules = r.has("deterministic");
  r.objects("deterministic", [&](ObjectReader& rule) {
    IdentityRuleConfig rc;
    rule.string("name", rc.name, true);
    rule.stringList("fields", rc.fields, true);
    for (const auto& f : rc.fields) {
      if (!known(f)) rule.error("fields", "unknown field '" + f + "' (fields are " + kFieldList + ")");
    }
    if (rc.fields.size() < 2) rule.error("fields", "a deterministic rule needs at least two fields");
    rule.done();
    id.deterministic.push_back(std::move(rc));
  });
  if (!rules) id.deterministic = {{"name-birth-date-postcode", {"family", "given", "birthDate", "postcode"}}};
  if (r.has("weights")) {
    ObjectReader w = r.object("weights");
    for (const auto& f : kFields) {
      double v = 0;
      if (w.has(f) && w.number(f, v, false, 0, 100)) id.weights.emplace_back(f, v);
    }
    w.done();  // an unknown field is reported here, at its place
    double total = 0;
    for (const auto& [f, v] : id.weights) total += v;
    if (total <= 0) r.error("weights", "at least one field needs a weight above 0");
  } else {
    id.weights = {{"family", 0.25}, {"given", 0.2}, {"birthDate", 0.3}, {"gender", 0.05}, {"postcode", 0.2}};
  }
  r.number("auto_link", id.auto_link);
  r.number("review", id.review);
  if (id.review > id.auto_link) r.error("review", "the review threshold must not be above auto_link");
  r.u32("max_candidates", id.max_candidates, false, 1, 10000);
  r.done();
}


void readGpConnect(ObjectReader r, GpConnectConfig& g) {
  if (!r.valid()) return;
  r.string("ssp", g.ssp, true);
  r.string("asid", g.asid, true);
  r.string("ods", g.ods, true);
  r.string("organization_name", g.organization_name);
  r.string("certificate", g.certificate, true);
  r.string("private_key", g.private_key, true);
  r.string("ca_file", g.ca_file, true);
  r.string("map", g.map, true);
  r.u32("timeout_ms", g.timeout_ms, false, 100, 120000);
  if (!g.ssp.empty() && g.ssp.rfind("https://", 0) != 0) r.error("ssp", "the Spine Secure Proxy is reached over https only");
  r.objects("practices", [&](ObjectReader& p) {
    GpConnectPracticeConfig practice;
    p.string("ods", practice.ods, true);
    p.string("asid", practice.asid, true);
    p.string("fhir_base", practice.fhir_base, true);
    if (!practice.fhir_base.empty() && practice.fhir_base.rfind("https://", 0) != 0) {
      p.error("fhir_base", "a GP Connect FHIR base URL is https://...");
    }
    if (g.practice(practice.ods) != nullptr) p.error("ods", "practice '" + practice.ods + "' is listed twice");
    p.done();
    g.practices.push_back(std::move(practice));
  }, true);
  r.done();
}

bool isLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

GatewayConfigPtr build(const JsonConfigFile& file, Diagnostics& diags) {
  if (!file.ok()) return nullptr;
  auto cfg = std::make_shared<GatewayConfig>();
  cfg->source = file.name();
  cfg->base_dir = std::filesystem::absolute(file.name()).parent_path().string();
  ObjectReader root = file.root(diags);
  if (!root.valid()) return nullptr;

  ObjectReader server = root.object("server");
  ServerConfig& s = cfg->server;
  server.string("host", s.host);
  server.u32("port", s.port, false, 0, 65535);
  server.u64("max_body_bytes", s.max_body_bytes);
  server.u32("max_threads", s.max_threads, false, 2, 4096);
  server.u32("max_queued", s.max_queued, false, 1, 65536);
  server.u32("keep_alive_timeout_ms", s.keep_alive_timeout_ms, false, 0, 600000);
  server.u32("receive_timeout_ms", s.receive_timeout_ms, false, 100, 600000);
  server.string("base_url", s.base_url);
  server.boolean("allow_plain_http", s.allow_plain_http);
  ObjectReader tls = server.object("tls");
  tls.string("certificate", s.tls.certificate);
  tls.string("private_key", s.tls.private_key);
  tls.string("client_ca", s.tls.client_ca);
  tls.oneOf("client_certificates", s.tls.client_certificates, {"none", "optional", "required"});
  if (!s.tls.certificate.empty() && s.tls.private_key.empty()) tls.errorHere("'certificate' needs 'private_key'");
  if (s.tls.client_certificates != "none" && s.tls.client_ca.empty()) {
    tls.error("client_certificates", "client certificates need 'client_ca'");
  }
  tls.done();
  if (s.tls.certificate.empty() && !s.allow_plain_http) {
    server.errorHere("no TLS certificate and plain HTTP not allowed: the gateway would have no listener");
  }
  if (s.tls.certificate.empty() && !isLoopback(s.host)) {
    server.error("host", "plain HTTP is only allowed on a loopback address (host is " + s.host +
                             "); configure server.tls");
  }
  server.done();

  ObjectReader storage = root.object("storage");
  StorageConfig& st = cfg->storage;
  storage.oneOf("driver", st.driver, {"sqlite", "postgresql"});
  storage.string("sqlite_path", st.sqlite_path);
  storage.string("postgres_url", st.postgres_url);
  storage.u32("read_pool_size", st.read_pool_size, false, 1, 256);
  storage.u32("max_batch", st.max_batch, false, 1, 100000);
  if (st.driver == "postgresql" && st.postgres_url.empty()) {
    storage.errorHere("driver 'postgresql' needs 'postgres_url'");
  }
  storage.done();

  ObjectReader defs = root.object("definitions");
  defs.string("package_cache", cfg->definitions.package_cache);
  defs.string("cache_dir", cfg->definitions.cache_dir);
  defs.stringList("packages", cfg->definitions.packages);
  for (const auto& p : cfg->definitions.packages) {
    if (p.find('#') == std::string::npos) {
      defs.error("packages", "a package is written name#version (got " + p + ")");
    }
  }
  defs.done();

  ObjectReader limits = root.object("limits");
  LimitsConfig& l = cfg->limits;
  limits.u32("max_depth", l.max_depth, false, 4, 1000);
  limits.u32("max_count", l.max_count, false, 1, 100000);
  limits.u32("default_count", l.default_count, false, 1, 100000);
  limits.u32("max_bundle_entries", l.max_bundle_entries, false, 1, 1000000);
  limits.done();

  ObjectReader val = root.object("validation");
  ValidationConfig& v = cfg->validation;
  val.stringList("profiles", v.profiles);
  val.oneOf("on_write", v.on_write, {"off", "warn", "enforce"});
  val.objects("rules", [&](ObjectReader& r) {
    ValidationRule rule;
    r.string("type", rule.type);
    r.string("partner", rule.partner);
    r.oneOf("mode", rule.mode, {"off", "warn", "enforce"}, true);
    r.stringList("profiles", rule.profiles);
    r.done();
    v.rules.push_back(std::move(rule));
  });
  std::string unknown = "warning";
  val.oneOf("unknown_extensions", unknown, {"warning", "error"});
  v.unknown_extension_is_error = unknown == "error";
  val.done();

  root.objects("partners", [&](ObjectReader& r) {
    PartnerConfig p;
    r.string("id", p.id, true);
    r.string("name", p.name);
    r.string("ods", p.ods);
    r.oneOf("sector", p.sector, {"gp", "acute", "mental-health", "social-care", "vcfse", "auditor", "operator"}, true);
    r.stringList("purposes", p.purposes);
    r.stringList("scopes", p.scopes);
    r.objects("keys", [&](ObjectReader& k) {
      PartnerKey key;
      k.string("kid", key.kid, true);
      k.oneOf("alg", key.alg, {"RS384", "ES384"}, true);
      k.string("public_key", key.public_key, true);
      k.done();
      p.keys.push_back(std::move(key));
    });
    r.string("certificate_subject", p.certificate_subject);
    r.string("development_key", p.development_key);
    r.boolean("patient_facing", p.patient_facing);
    ObjectReader d = r.object("delivery");
    if (d.valid()) {
      DeliveryConfig& dc = p.delivery;
      d.oneOf("transport", dc.transport, {"fhir-message", "fhir-rest", "mllp", "http"}, true);
      d.string("endpoint", dc.endpoint, true);
      d.string("map", dc.map);
      d.string("content_type", dc.content_type);
      d.u32("timeout_ms", dc.timeout_ms, false, 100, 600000);
      d.u32("max_attempts", dc.max_attempts, false, 1, 1000);
      d.u32("backoff_initial_ms", dc.backoff_initial_ms, false, 10, 3600000);
      d.u32("backoff_max_ms", dc.backoff_max_ms, false, 10, 86400000);
      d.u32("breaker_failures", dc.breaker_failures, false, 1, 1000);
      d.u32("breaker_open_ms", dc.breaker_open_ms, false, 10, 3600000);
      bool url = dc.endpoint.rfind("http://", 0) == 0 || dc.endpoint.rfind("https://", 0) == 0;
      if (dc.transport == "mllp" && (url || dc.endpoint.find(':') == std::string::npos)) {
        d.error("endpoint", "an MLLP endpoint is host:port");
      } else if (dc.transport != "mllp" && !dc.transport.empty() && !url) {
        d.error("endpoint", "a " + dc.transport + " endpoint is an http:// or https:// URL");
      }
      if ((dc.transport == "mllp" || dc.transport == "http") && dc.map.empty()) {
        d.error("transport", dc.transport + " delivers the partner's own format: give the outbound 'map'");
      }
      if (dc.backoff_max_ms < dc.backoff_initial_ms) d.error("backoff_max_ms", "is less than backoff_initial_ms");
      d.done();
    }
    for (const auto& other : cfg->partners) {
      if (other.id == p.id) r.error("id", "partner id '" + p.id + "' is used twice");
    }
    r.done();
    cfg->partners.push_back(std::move(p));
  });
  root.objects("mllp", [&](ObjectReader& r) {
    MllpConfig m;
    r.string("host", m.host);
    r.u32("port", m.port, false, 0, 65535);
    r.string("partner", m.partner, true);
    r.string("map", m.map);
    r.u64("max_message_bytes", m.max_message_bytes);
    if (cfg->partner(m.partner) == nullptr) r.error("partner", "no partner '" + m.partner + "' is registered");
    if (!isLoopback(m.host)) r.error("host", "MLLP has no TLS here: listen on a loopback address behind a VPN or TLS tunnel");
    r.done();
    cfg->mllp.push_back(std::move(m));
  });
  root.objects("inbound", [&](ObjectReader& r) {
    InboundConfig in;
    r.string("partner", in.partner, true);
    r.string("content_type", in.content_type, true);
    r.oneOf("format", in.format, {"hl7v2", "csv", "json", "xml"}, true);
    r.string("map", in.map, true);
    if (cfg->partner(in.partner) == nullptr) r.error("partner", "no partner '" + in.partner + "' is registered");
    if (in.content_type.rfind("application/fhir", 0) == 0) {
      r.error("content_type", "FHIR content types are read as FHIR; give the partner's own type");
    }
    r.done();
    cfg->inbound.push_back(std::move(in));
  });
  root.objects("routes", [&](ObjectReader& r) {
    RouteConfig route;
    r.string("name", route.name, true);
    r.string("event", route.event, true);
    r.string("when", route.when);
    r.stringList("to", route.to);
    r.string("to_ods", route.to_ods);
    r.string("to_search", route.to_search);
    r.string("to_search_ods", route.to_search_ods);
    if (!route.to_search.empty()) {
      auto q = route.to_search.find('?');
      bool typed = q != std::string::npos && q > 0 && std::isupper(static_cast<unsigned char>(route.to_search[0])) != 0 &&
                   q + 1 < route.to_search.size();
      if (!typed) r.error("to_search", "a search is 'Type?parameters' (EpisodeOfCare?status=active&patient={patient})");
    }
    for (const auto& [key, expr] : {std::pair<const char*, const std::string*>{"when", &route.when}, {"to_ods", &route.to_ods},
                                    {"to_search_ods", &route.to_search_ods}}) {
      if (expr->empty()) continue;
      auto compiled = fhirpath::Expression::compile(*expr);
      if (!compiled.isOk()) r.error(key, "FHIRPath: " + compiled.status().message());
    }
    for (const auto& id : route.to) {
      const PartnerConfig* p = cfg->partner(id);
      if (p == nullptr) {
        r.error("to", "no partner '" + id + "' is registered");
      } else if (p->delivery.transport.empty()) {
        r.error("to", "partner '" + id + "' has no 'delivery' (transport and endpoint)");
      }
    }
    if (route.to.empty() && route.to_ods.empty() && route.to_search.empty()) {
      r.errorHere("a route needs 'to' (partner ids), 'to_ods' (FHIRPath) or 'to_search' (a search of the store)");
    }
    std::uint32_t line = 0, col = 0;
    route.at = r.file().name() + ":" + r.locationOf(line, col);
    r.done();
    cfg->routes.push_back(std::move(route));
  });
  ObjectReader workers = root.object("delivery");
  workers.u32("workers", cfg->delivery.workers, false, 1, 64);
  workers.u32("poll_ms", cfg->delivery.poll_ms, false, 10, 60000);
  workers.u32("lease_ms", cfg->delivery.lease_ms, false, 1000, 3600000);
  workers.u32("heartbeat_ms", cfg->delivery.heartbeat_ms, false, 100, 60000);
  workers.done();
  ObjectReader auth = root.object("auth");
  auth.boolean("required", cfg->auth.required);
  auth.string("signing_key", cfg->auth.signing_key);
  auth.string("issuer", cfg->auth.issuer);
  auth.string("token_url", cfg->auth.token_url);
  auth.u32("token_ttl_s", cfg->auth.token_ttl_s, false, 30, 3600);
  auth.u32("max_assertion_s", cfg->auth.max_assertion_s, false, 30, 300);
  auth.u32("clock_skew_s", cfg->auth.clock_skew_s, false, 0, 300);
  if (!cfg->auth.required && (!cfg->server.tls.certificate.empty() || !isLoopback(cfg->server.host))) {
    auth.error("required", "authentication, consent and audit can be turned off only on a loopback plain-HTTP "
                           "listener (development and benchmarks)");
  }
  if (cfg->auth.required && cfg->auth.signing_key.empty() && !cfg->partners.empty()) {
    auth.errorHere("partners need 'signing_key', the gateway's key for access tokens");
  }
  auth.done();
  ObjectReader login = root.object("nhs_login");
  if (login.valid()) {
    login.string("issuer", cfg->nhs_login.issuer, true);
    login.string("client_id", cfg->nhs_login.client_id, true);
    login.objects("keys", [&](ObjectReader& k) {
      PartnerKey key;
      k.string("kid", key.kid, true);
      k.oneOf("alg", key.alg, {"RS512", "RS384", "ES384"}, true);
      k.string("public_key", key.public_key, true);
      k.done();
      cfg->nhs_login.keys.push_back(std::move(key));
    }, true);
    login.done();
  }
  ObjectReader consent = root.object("consent");
  consent.string("policy", cfg->consent.policy);
  consent.done();
  ObjectReader audit = root.object("audit");
  audit.string("sqlite_path", cfg->audit.sqlite_path);
  audit.u32("checkpoint_every", cfg->audit.checkpoint_every, false, 1, 1000000);
  audit.u32("max_batch", cfg->audit.max_batch, false, 1, 100000);
  audit.done();

  readIdentity(root.object("identity"), cfg->identity);
  readGpConnect(root.object("gp_connect"), cfg->gp_connect);

  root.string("$comment", cfg->source);  // free text for humans; value ignored
  cfg->source = file.name();
  root.done();
  if (diags.hasErrors()) return nullptr;
  return cfg;
}

}  // namespace

const PartnerConfig* GatewayConfig::partner(std::string_view id) const {
  for (const auto& p : partners) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const GpConnectPracticeConfig* GpConnectConfig::practice(std::string_view ods_code) const {
  for (const auto& p : practices) {
    if (p.ods == ods_code) return &p;
  }
  return nullptr;
}

std::string GatewayConfig::resolvePath(const std::string& p) const {
  if (p.empty() || std::filesystem::path(p).is_absolute() || base_dir.empty()) return p;
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

std::string GatewayConfig::baseUrl() const {
  if (!server.base_url.empty()) return server.base_url;
  return (server.tls.certificate.empty() ? "http://" : "https://") + server.host + ":" + std::to_string(server.port) +
         "/fhir";
}

GatewayConfigPtr loadGatewayConfig(const std::string& path, Diagnostics& diags) {
  return build(JsonConfigFile::load(path, diags), diags);
}

GatewayConfigPtr parseGatewayConfig(const std::string& name, const std::string& text,
                                    Diagnostics& diags) {
  return build(JsonConfigFile::fromText(name, text, diags), diags);
}

}  // namespace onedoor::config
