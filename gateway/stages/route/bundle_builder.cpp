#include "stages/route/bundle_builder.h"

#include "core/env.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {

BundleBuilder::BundleBuilder(const fhir::Model& model, const std::string& type)
    : model_(model), bundle_(fhir::makeResource(*model.resourceType("Bundle"))) {
  bundle_.set("type", type);
}

void BundleBuilder::total(std::int64_t n) { bundle_.set("total", std::to_string(n)); }

void BundleBuilder::link(const std::string& relation, const std::string& url) {
  fhir::Node* l = bundle_.add("link");
  l->set("relation", relation);
  l->set("url", url);
}

fhir::Node* BundleBuilder::entry(fhir::Node resource, const std::string& full_url) {
  fhir::Node* e = bundle_.add("entry");
  if (!full_url.empty()) e->set("fullUrl", full_url);
  e->addResource("resource", std::move(resource));
  return e;
}

fhir::Node* BundleBuilder::emptyEntry() { return bundle_.add("entry"); }

core::Status BundleBuilder::historyEntry(const storage::ResourceRecord& rec, const std::string& base) {
  fhir::Node* e = bundle_.add("entry");
  e->set("fullUrl", base + "/" + rec.type + "/" + rec.id);
  if (!rec.deleted) {
    GW_ASSIGN_OR_RETURN(fhir::Node r, parseStored(model_, rec.json));
    e->addResource("resource", std::move(r));
  }
  fhir::Node* req = e->add("request");
  req->set("method", rec.method);
  req->set("url", rec.method == "POST" ? rec.type : rec.type + "/" + rec.id);
  fhir::Node* resp = e->add("response");
  resp->set("status", rec.deleted ? "204 No Content" : rec.version == 1 ? "201 Created" : "200 OK");
  resp->set("etag", etagFor(rec.version));
  resp->set("lastModified", rec.last_updated);
  return core::Status::ok();
}

std::string urlEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '|' || c == ',' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace onedoor::stages::route
