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

core::Result<std::shared_ptr<const Router>> Router::make(config::GatewayConfigPtr config, fhir::ModelPtr model,
                                                         std::shared_ptr<const search::SearchParamRegistry> registry) {
  std::shared_ptr<Router> r(new Router(config, model, std::move(registry)));
  for (const auto& rc : config->routes) {
    Route route;
    route.config = &rc;
    if (!rc.to_search.empty()) {
      auto q = r->query(rc, "Patient/example");
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

core::Result<search::SearchQuery> Router::query(const config::RouteConfig& route, const std::string& patient) const {
  const std::string& text = route.to_search;
  auto q = text.find('?');
  std::string type = text.substr(0, q);
  std::vector<std::pair<std::string, std::string>> params;
  for (std::size_t start = q + 1; start < text.size();) {
    auto amp = text.find('&', start);
    std::string pair = text.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    start = amp == std::string::npos ? text.size() : amp + 1;
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string value = eq == std::string::npos ? "" : pair.substr(eq + 1);
    for (auto at = value.find("{patient}"); at != std::string::npos; at = value.find("{patient}")) {
      value.replace(at, 9, patient);
    }
    params.emplace_back(pair.substr(0, eq), value);
  }
  search::QueryLimits limits;
  limits.default_count = 100;
  limits.max_count = 100;
  GW_ASSIGN_OR_RETURN(auto parsed, search::parseQuery(*registry_, *model_, {type}, params, false, limits));
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
        GW_ASSIGN_OR_RETURN(auto q, query(rc, patient));
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
