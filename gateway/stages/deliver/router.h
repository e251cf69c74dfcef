#pragma once
// The routing table (config `routes`) applied to a FHIR message: which partners a message Bundle
// goes to. A route matches on the MessageHeader's event and an optional FHIRPath condition on the
// Bundle; its recipients are partner ids and the partners whose ODS code a FHIRPath expression on
// the Bundle gives (the patient's registered practice ...), or that a search of the store finds
// for the message's patients (partners with an open episode of care). Only partners with a delivery
// transport receive anything; the sender never receives its own message.
// Built at start-up (expressions compiled once); thread-safe.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/gateway_config.h"
#include "core/status.h"
#include "fhir/model.h"
#include "fhir/node.h"
#include "fhirpath/expression.h"
#include "search/query.h"
#include "search/search_param.h"

namespace onedoor::stages::deliver {

struct Recipient {
  const config::PartnerConfig* partner = nullptr;
  std::string route;  // the route's name
};

// The message's event: MessageHeader.eventCoding as system|code (and code alone); "" if absent.
std::string messageEvent(const fhir::Node& bundle);

// Runs a search of the store for a route's to_search: the resources it matches.
using RouteSearch = std::function<core::Result<std::vector<fhir::Node>>(const search::SearchQuery& query)>;

class Router {
 public:
  // Each route's to_search is parsed against `registry` here (with a sample patient), so that
  // an unknown parameter stops the start with the route's place in the config.
  static core::Result<std::shared_ptr<const Router>> make(config::GatewayConfigPtr config, fhir::ModelPtr model,
                                                          std::shared_ptr<const search::SearchParamRegistry> registry);

  // The recipients of `bundle` (a message Bundle), sent by partner `sender`, about `patients`
  // (Patient/<id>, for to_search), searching with `search`. An error says which route's
  // expression or search failed, where it is in the config.
  core::Result<std::vector<Recipient>> recipients(const fhir::Node& bundle, const std::string& sender,
                                                  const std::vector<std::string>& patients,
                                                  const RouteSearch& search) const;

 private:
  struct Route {
    const config::RouteConfig* config = nullptr;
    std::unique_ptr<fhirpath::Expression> when;
    std::unique_ptr<fhirpath::Expression> to_ods;
    std::unique_ptr<fhirpath::Expression> to_search_ods;
    // to_search split once: its type, and its parameters with `{patient}` still in them.
    std::string search_type;
    std::vector<std::pair<std::string, std::string>> search_params;
  };
  Router(config::GatewayConfigPtr config, fhir::ModelPtr model, std::shared_ptr<const search::SearchParamRegistry> registry)
      : config_(std::move(config)), model_(std::move(model)), registry_(std::move(registry)) {}
  // The search of `route` for `patient`.
  core::Result<search::SearchQuery> query(const Route& route, const std::string& patient) const;
  void addByOds(const fhirpath::Collection& values, const std::string& route,
                const std::function<void(const config::PartnerConfig*, const std::string&)>& add) const;
  config::GatewayConfigPtr config_;
  fhir::ModelPtr model_;
  std::shared_ptr<const search::SearchParamRegistry> registry_;
  std::vector<Route> routes_;
};

}  // namespace onedoor::stages::deliver
