// GET /metadata: a CapabilityStatement generated from what the engine supports, never written
// by hand (https://hl7.org/fhir/R4/capabilitystatement.html).
#include "core/env.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {

const std::vector<std::string>& typeInteractions() {
  static const std::vector<std::string> k = {"read", "vread", "update", "patch", "delete",
                                             "history-instance", "history-type", "create",
                                             "search-type"};
  return k;
}

const std::vector<std::string>& systemInteractions() {
  static const std::vector<std::string> k = {"transaction", "batch", "history-system", "search-system"};
  return k;
}

void RestEngine::capabilities(core::Exchange& ex) const {
  fhir::Node cs = fhir::makeResource(*model_->resourceType("CapabilityStatement"));
  cs.set("status", "active");
  cs.set("date", core::formatInstant(env_->now()).substr(0, 10));
  cs.set("publisher", "OneDoor");
  cs.set("kind", "instance");
  fhir::Node* software = cs.add("software");
  software->set("name", "OneDoor FHIR gateway");
  software->set("version", ONEDOOR_VERSION);
  fhir::Node* impl = cs.add("implementation");
  impl->set("description", "OneDoor integrated care gateway");
  impl->set("url", config_.base_url);
  cs.set("fhirVersion", "4.0.1");
  for (const char* f : {"application/fhir+json", "application/fhir+xml", "json", "xml"}) {
    fhir::Node* format = cs.add("format");
    format->value = f;
    format->has_value = true;
  }
  fhir::Node* rest = cs.add("rest");
  rest->set("mode", "server");
  for (const fhir::TypeInfo* t : model_->resourceTypes()) {
    fhir::Node* r = rest->add("resource");
    r->set("type", t->name);
    for (const auto& i : typeInteractions()) r->add("interaction")->set("code", i);
    r->set("versioning", "versioned-update");
    r->set("readHistory", "true");
    r->set("updateCreate", "true");
    r->set("conditionalCreate", "true");
    r->set("conditionalRead", "not-supported");
    r->set("conditionalUpdate", "true");
    r->set("conditionalDelete", "single");
    for (const search::SearchParam* p : indexer_->registry().forType(t->name)) {
      if (p->type == search::ParamType::kSpecial) continue;
      if (p->type == search::ParamType::kReference) r->add("searchInclude")->value = t->name + ":" + p->code;
    }
    for (auto& inc : r->children) {
      if (inc.name == "searchInclude") inc.has_value = true;
    }
    for (const search::SearchParam* p : indexer_->registry().forType(t->name)) {
      if (p->type == search::ParamType::kSpecial) continue;
      fhir::Node* sp = r->add("searchParam");
      sp->set("name", p->code);
      if (!p->url.empty()) sp->set("definition", p->url);
      sp->set("type", std::string(search::paramTypeName(p->type)));
    }
    if (t->name == "Patient" && identity_) {
      for (const char* op : {"match", "merge", "unmerge"}) {
        fhir::Node* o = r->add("operation");
        o->set("name", op);
        o->set("definition", std::string(op) == "match" ? "http://hl7.org/fhir/OperationDefinition/Patient-match"
                                                        : config_.base_url + "/OperationDefinition/Patient-" + op);
      }
    }
    if (t->name == "Patient" && gp_connect_) {
      fhir::Node* o = r->add("operation");
      o->set("name", "gpc.getstructuredrecord");
      o->set("definition", "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-GetStructuredRecord-Operation-1");
    }
  }
  for (const auto& i : systemInteractions()) rest->add("interaction")->set("code", i);
  ex.response.status = 200;
  ex.response.resource = std::move(cs);
}

}  // namespace onedoor::stages::route
