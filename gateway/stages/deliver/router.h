#pragma once
// The routing table (config `routes`) applied to a FHIR message: which partners a message Bundle
// goes to. A route matches on the MessageHeader's event and an optional FHIRPath condition on the
// Bundle; its recipients are partner ids and the partners whose ODS code a FHIRPath expression on
// the Bundle gives (the patient's registered practice ...). Only partners with a delivery
// transport receive anything; the sender never receives its own message.
// Built at start-up (expressions compiled once); thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "config/gateway_config.h"
#include "core/status.h"
#include "fhir/model.h"
#include "fhir/node.h"
#include "fhirpath/expression.h"

namespace onedoor::stages::deliver {

struct Recipient {
  const config::PartnerConfig* partner = nullptr;
  std::string route;  // the route's name
};

// The message's event: MessageHeader.eventCoding as system|code (and code alone); "" if absent.
std::string messageEvent(const fhir::Node& bundle);

class Router {
 public:
  static core::Result<std::shared_ptr<const Router>> make(config::GatewayConfigPtr config, fhir::ModelPtr model);

  // The recipients of `bundle` (a message Bundle), sent by partner `sender`. An error says which
  // route's expression failed, where it is in the config.
  core::Result<std::vector<Recipient>> recipients(const fhir::Node& bundle, const std::string& sender) const;

 private:
  struct Route {
    const config::RouteConfig* config = nullptr;
    std::unique_ptr<fhirpath::Expression> when;
    std::unique_ptr<fhirpath::Expression> to_ods;
  };
  Router(config::GatewayConfigPtr config, fhir::ModelPtr model) : config_(std::move(config)), model_(std::move(model)) {}
  config::GatewayConfigPtr config_;
  fhir::ModelPtr model_;
  std::vector<Route> routes_;
};

}  // namespace onedoor::stages::deliver
