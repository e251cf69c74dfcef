#include "stages/deliver/router.h"

#include <algorithm>

namespace onedoor::stages::deliver {

std::string messageEvent(const fhir::Node& bundle) {
  const fhir::Node* entry = bundle.child("entry");
  const fhir::Node* header = entry != nullptr ? entry->child("resource") : nullptr;
  if (header == nullptr || header->type == nullptr || header->type->name != "MessageHeader") return "";
  const fhir::Node* coding = header->child("event");  // event[x]: eventCoding
  if (coding == nullptr || coding->type == nullptr || coding->type->name != "Coding") return "";
  std::string system(coding->childValue("system")), code(coding->childValue("code"));
  return system.empty() ? code : system + "|" + code;
}

core::Result<std::shared_ptr<const Router>> Router::make(config::GatewayConfigPtr config, fhir::ModelPtr model) {
  std::shared_ptr<Router> r(new Router(config, model));
  for (const auto& rc : config->routes) {
    Route route;
    route.config = &rc;
    for (auto [text, into] : {std::pair{&rc.when, &route.when}, std::pair{&rc.to_ods, &route.to_ods}}) {
      if (text->empty()) continue;
      auto e = fhirpath::Expression::compile(*text);
      if (!e.isOk()) return core::invalid(rc.at + ": route " + rc.name + ": " + e.status().message());
      *into = std::make_unique<fhirpath::Expression>(std::move(e).value());
    }
    r->routes_.push_back(std::move(route));
  }
  return std::shared_ptr<const Router>(std::move(r));
}

core::Result<std::vector<Recipient>> Router::recipients(const fhir::Node& bundle, const std::string& sender) const {
  std::string event = messageEvent(bundle);
  std::string code = event.substr(event.find('|') == std::string::npos ? 0 : event.find('|') + 1);
  std::vector<Recipient> out;
  auto add = [&](const config::PartnerConfig* p, const std::string& route) {
    if (p == nullptr || p->id == sender || p->delivery.transport.empty()) return;
    if (std::none_of(out.begin(), out.end(), [&](const Recipient& x) { return x.partner == p; })) out.push_back({p, route});
  };
  for (const auto& route : routes_) {
    const config::RouteConfig& rc = *route.config;
    if (rc.event != event && rc.event != code) continue;
    fhirpath::Environment env;
    env.model = model_.get();
    if (route.when) {
      auto v = route.when->evaluate(bundle, env);
      if (!v.isOk()) return core::invalid(rc.at + ": route " + rc.name + ": 'when': " + v.status().message());
      bool yes = v->size() == 1 && v->front().kind() == fhirpath::Value::Kind::kBoolean && v->front().asBoolean();
      if (!yes) continue;
    }
    for (const auto& id : rc.to) add(config_->partner(id), rc.name);
    if (route.to_ods) {
      auto v = route.to_ods->evaluate(bundle, env);
      if (!v.isOk()) return core::invalid(rc.at + ": route " + rc.name + ": 'to_ods': " + v.status().message());
      for (const auto& item : *v) {
        std::string ods = item.isNode() ? item.node()->value : item.toDisplayString().value_or("");
        for (const auto& p : config_->partners) {
          if (!ods.empty() && p.ods == ods) add(&p, rc.name);
        }
      }
    }
  }
  return out;
}

}  // namespace onedoor::stages::deliver
