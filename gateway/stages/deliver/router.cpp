#include "stages/deliver/router.h"

#include <algorithm>

#include "stages/parse/rest_url.h"

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

core::Result<std::shared_ptr<const Router>> Router::make(config::GatewayConfigPtr config, fhir::ModelPtr model,
                                                         std::shared_ptr<const search::SearchParamRegistry> registry) {
  std::shared_ptr<Router> r(new Router(config, model, std::move(registry)));
  for (const auto& rc : config->routes) {
    Route route;
    route.config = &rc;
    if (!rc.to_search.empty()) {
      auto mark = rc.to_search.find('?');  // checked at load: Type?parameters
      route.search_type = rc.to_search.substr(0, mark);
      auto params = parse::splitQuery(rc.to_search.substr(mark + 1));
      if (!params.isOk()) return core::invalid(rc.at + ": route " + rc.name + ": 'to_search': " + params.status().message());
      route.search_params = std::move(params).value();
      auto q = r->query(route, "Patient/example");
      if (!q.isOk()) return core::invalid(rc.at + ": route " + rc.name + ": 'to_search': " + q.status().message());
    }
    for (auto [text, into] : {std::pair{&rc.when, &route.when}, std::pair{&rc.to_ods, &route.to_ods},
                              std::pair{rc.to_search.empty() ? nullptr : &rc.to_search_ods, &route.to_search_ods}}) {
      if (text == nullptr) continue;
      if (text->empty()) continue;
      auto e = fhirpath::Expression::compile(*text);
      if (!e.isOk()) return core::invalid(rc.at + ": route " + rc.name + ": " + e.status().message());
      *into = std::make_unique<fhirpath::Expression>(std::move(e).value());
    }
    r->routes_.push_back(std::move(route));
  }
  return std::shared_ptr<const Router>(std::move(r));
}

core::Result<search::SearchQuery> Router::query(const Route& route, const std::string& patient) const {
  auto params = route.search_params;
  for (auto& [name, value] : params) {
    for (auto at = value.find("{patient}"); at != std::string::npos; at = value.find("{patient}", at + patient.size())) {
      value.replace(at, 9, patient);
    }
  }
  search::QueryLimits limits;
  limits.default_count = 100;
  limits.max_count = 100;
  GW_ASSIGN_OR_RETURN(auto parsed, search::parseQuery(*registry_, *model_, {route.search_type}, params, false, limits));
  parsed.total = "none";
  return parsed;
}

void Router::addByOds(const fhirpath::Collection& values, const std::string& route,
                      const std::function<void(const config::PartnerConfig*, const std::string&)>& add) const {
  for (const auto& item : values) {
    std::string ods = item.isNode() ? item.node()->value : item.toDisplayString().value_or("");
    for (const auto& p : config_->partners) {
      if (!ods.empty() && p.ods == ods) add(&p, route);
    }
  }
}

core::Result<std::vector<Recipient>> Router::recipients(const fhir::Node& bundle, const std::string& sender,
                                                        const std::vector<std::string>& patients,
                                                        const RouteSearch& search) const {
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
      addByOds(*v, rc.name, add);
    }
    if (route.to_search_ods && search) {
      for (const auto& patient : patients) {
        GW_ASSIGN_OR_RETURN(auto q, query(route, patient));
        auto found = search(q);
        if (!found.isOk()) return core::invalid(rc.at + ": route " + rc.name + ": 'to_search': " + found.status().message());
        for (const auto& match : *found) {
          auto v = route.to_search_ods->evaluate(match, env);
          if (!v.isOk()) return core::invalid(rc.at + ": route " + rc.name + ": 'to_search_ods': " + v.status().message());
          addByOds(*v, rc.name, add);
        }
      }
    }
  }
  return out;
}

}  // namespace onedoor::stages::deliver
