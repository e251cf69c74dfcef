// batch and transaction Bundles (https://hl7.org/fhir/R4/http.html#transaction).
// A transaction is one write unit: conditional matches, id assignment, reference rewriting and
// the writes themselves all happen inside it, so it is all or nothing.
#include <algorithm>
#include <map>

#include "fhir/operation_outcome.h"
#include "stages/parse/rest_url.h"
#include "stages/route/bundle_builder.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {
namespace {

using core::Interaction;
using Params = std::vector<std::pair<std::string, std::string>>;

struct EntryPlan {
  std::size_t index = 0;
  std::string method;
  core::FhirRequest request;
  Params query;               // conditional criteria or search parameters
  std::string if_none_exist;  // conditional create
  std::optional<fhir::Node> resource;
  std::string full_url;
  std::optional<std::int64_t> if_match;
  std::string id;             // the id this entry writes (decided in the unit)
  bool skip = false;          // conditional create that matched: nothing to write
  std::optional<IdentityDecision> identity;  // a Patient create: whom it was matched to
  // Outcome
  int status = 0;
  storage::ResourceRecord record;
  std::optional<fhir::Node> out_resource;
  core::Status error;
};

int order(const std::string& method) {
  if (method == "DELETE") return 0;
  if (method == "POST") return 1;
  if (method == "PUT" || method == "PATCH") return 2;
  return 3;
}

std::string statusText(int status) {
  switch (status) {
    case 200: return "200 OK";
    case 201: return "201 Created";
    case 204: return "204 No Content";
    default: return std::to_string(status);
  }
}

core::Status atEntry(const EntryPlan& p, const core::Status& st) {
  return core::Status(st.code(), "entry " + std::to_string(p.index) + ": " + st.message(),
                      "Bundle.entry[" + std::to_string(p.index) + "]");
}

bool isRead(const EntryPlan& p) {
  auto i = p.request.interaction;
  return i == Interaction::kRead || i == Interaction::kVread || i == Interaction::kSearchType;
}

}  // namespace

void RestEngine::bundle(core::Exchange& ex) const {
  fhir::Node& input = *ex.fhir.resource;
  std::string type(input.childValue("type"));
  bool transaction = type == "transaction";
  if (!transaction && type != "batch") {
    return ex.fail(core::invalid("only batch and transaction Bundles can be processed (got type '" +
                                     type + "')",
                                 "Bundle.type"));
  }
  std::vector<EntryPlan> plans;
  std::size_t index = 0;
  for (fhir::Node& e : input.children) {
    if (e.name != "entry") continue;
    EntryPlan p;
    p.index = index++;
    const fhir::Node* req = e.child("request");
    p.full_url = std::string(e.childValue("fullUrl"));
    if (fhir::Node* r = e.child("resource")) {
      fhir::Node res(r->type->name, r->type, nullptr);
      res.children = std::move(r->children);
      p.resource = std::move(res);
    }
    if (req == nullptr) {
      p.error = core::invalid("entry has no request");
      plans.push_back(std::move(p));
      continue;
    }
    p.method = std::string(req->childValue("method"));
    std::string url(req->childValue("url"));
    p.if_none_exist = std::string(req->childValue("ifNoneExist"));
    if (auto im = req->childValue("ifMatch"); !im.empty()) p.if_match = versionFromEtag(std::string(im));
    std::string path = url, query;
    if (auto q = path.find('?'); q != std::string::npos) {
      query = path.substr(q + 1);
      path = path.substr(0, q);
    }
    if (path.rfind(config_.base_url + "/", 0) == 0) path = path.substr(config_.base_url.size());
    p.error = parse::interpret(*model_, p.method, "/" + path, !query.empty(), p.request);
    if (p.error.isOk() && !query.empty()) {
      auto split = splitQuery(query);
      if (!split.isOk()) p.error = split.status();
      else p.query = std::move(split).value();
    }
    if (p.error.isOk()) {
      Interaction i = p.request.interaction;
      bool needs_resource = i == Interaction::kCreate || i == Interaction::kUpdate;
      if (i == Interaction::kBatch) p.error = core::invalid("Bundles cannot nest batch entries");
      else if (needs_resource && !p.resource) p.error = core::invalid("entry needs a resource");
      else if (needs_resource && p.resource->type->name != p.request.type)
        p.error = core::invalid("entry resource type does not match its request URL");
      else if (i == Interaction::kUpdate && !p.request.conditional && p.resource->childValue("id") != p.request.id)
        p.error = core::invalid("entry resource id does not match its request URL");
      else if (i != Interaction::kCreate && i != Interaction::kUpdate && i != Interaction::kDelete && !isRead(p))
        p.error = core::Status(core::Code::kNotImplemented,
                               std::string(core::interactionName(i)) + " is not supported in a Bundle entry");
    }
    plans.push_back(std::move(p));
  }
  if (plans.size() > config_.max_bundle_entries) {
    return ex.fail(core::Status(core::Code::kTooLarge, "the Bundle has more entries than the limit of " +
                                                           std::to_string(config_.max_bundle_entries)));
  }

  // A Patient entry that makes a new resource is matched now, so that references to the entry
  // point at the Patient it becomes.
  auto matchPatient = [&](storage::WriteTx& tx, EntryPlan& p) -> core::Status {
    if (!identityEnabled() || p.request.type != "Patient" || !p.resource) return core::Status::ok();
    GW_ASSIGN_OR_RETURN(p.identity, resolvePatient(tx, *p.resource));
    if (!p.identity->patient.empty()) p.id = p.identity->patient;
    return core::Status::ok();
  };
  // Decides the id each write entry targets (conditional ones search inside the transaction).
  auto decide = [&](storage::WriteTx& tx, EntryPlan& p) -> core::Status {
    Interaction i = p.request.interaction;
    if (i == Interaction::kCreate) {
      if (!p.if_none_exist.empty()) {
        GW_ASSIGN_OR_RETURN(auto params, splitQuery(p.if_none_exist));
        GW_ASSIGN_OR_RETURN(auto found, matches(tx, p.request.type, params));
        if (found.size() > 1) return core::Status(core::Code::kPrecondition, "ifNoneExist matches more than one resource");
        if (found.size() == 1) {
          p.skip = true;
          p.id = found.front().id;
          p.status = 200;
          p.record = found.front();
          return core::Status::ok();
        }
      }
      p.id = env_->uuid();
      GW_RETURN_IF_ERROR(matchPatient(tx, p));
    } else if (i == Interaction::kUpdate || i == Interaction::kDelete) {
      p.id = p.request.id;
      if (p.request.conditional) {
        GW_ASSIGN_OR_RETURN(auto found, matches(tx, p.request.type, p.query));
        if (found.size() > 1) return core::Status(core::Code::kPrecondition, "the condition matches more than one resource");
        if (found.size() == 1) {
          p.id = found.front().id;
        } else if (i == Interaction::kDelete) {
          p.skip = true;
          p.status = 204;
        } else {
          std::string body_id(p.resource->childValue("id"));
          p.id = body_id.empty() ? env_->uuid() : body_id;
          GW_RETURN_IF_ERROR(matchPatient(tx, p));
        }
      }
    }
    return core::Status::ok();
  };
  auto apply = [&](storage::WriteTx& tx, EntryPlan& p) -> core::Status {
    if (p.skip) return core::Status::ok();
    core::Result<WriteResult> r = core::Status::ok();
    if (p.identity) {
      r = writePatient(tx, std::move(*p.resource), p.id, *p.identity);
      if (!r.isOk()) return r.status();
      p.status = r->identity.empty() ? 201 : 200;
      p.record = r->record;
      p.out_resource = std::move(r->resource);
      return core::Status::ok();
    }
    if (p.request.interaction == Interaction::kUpdate) GW_RETURN_IF_ERROR(keepServerOwned(tx, *p.resource, p.id));
    switch (p.request.interaction) {
      case Interaction::kCreate: r = createRecord(tx, std::move(*p.resource), p.id); break;
      case Interaction::kUpdate: r = update(tx, std::move(*p.resource), p.id, p.if_match); break;
      case Interaction::kDelete: r = remove(tx, p.request.type, p.id); break;
      default: return core::internal("not a write");
    }
    if (!r.isOk()) return r.status();
    p.status = r->status;
    p.record = r->record;
    p.out_resource = std::move(r->resource);
    return core::Status::ok();
  };
  auto readEntry = [&](EntryPlan& p) -> core::Status {
    if (p.request.interaction == Interaction::kSearchType) {
      GW_ASSIGN_OR_RETURN(search::SearchQuery q, parseSearch(p.request.type, p.query, false));
      GW_ASSIGN_OR_RETURN(auto page, store_->search(q));
      BundleBuilder sb(*model_, "searchset");
      if (page.total) sb.total(*page.total);
      for (const auto& rec : page.matches) {
        GW_ASSIGN_OR_RETURN(fhir::Node node, parseStored(*model_, rec.json));
        sb.entry(std::move(node), config_.base_url + "/" + rec.type + "/" + rec.id)->add("search")->set("mode", "match");
      }
      p.status = 200;
      p.out_resource = sb.take();
      return core::Status::ok();
    }
    core::Result<std::optional<storage::ResourceRecord>> rec =
        p.request.interaction == Interaction::kVread
            ? store_->vread(p.request.type, p.request.id, std::atoll(p.request.vid.c_str()))
            : store_->read(p.request.type, p.request.id);
    if (!rec.isOk()) return rec.status();
    if (!*rec) return core::Status(core::Code::kNotFound, p.request.type + "/" + p.request.id + " is not known");
    if ((*rec)->deleted) return core::Status(core::Code::kGone, p.request.type + "/" + p.request.id + " has been deleted");
    GW_ASSIGN_OR_RETURN(fhir::Node node, parseStored(*model_, (*rec)->json));
    p.status = 200;
    p.record = **rec;
    p.out_resource = std::move(node);
    return core::Status::ok();
  };
  // Rewrites urn:uuid / fullUrl references to the ids decided, and conditional references
  // (Patient?identifier=...) to the one resource they match.
  auto rewrite = [&](storage::WriteTx& tx, EntryPlan& p, const std::map<std::string, std::string>& ids) -> core::Status {
    if (!p.resource) return core::Status::ok();
    core::Status st;
    fhir::forEachReference(*p.resource, [&](fhir::Node& ref) {
      if (!st.isOk()) return;
      if (auto it = ids.find(ref.value); it != ids.end()) {
        ref.value = it->second;
        return;
      }
      auto q = ref.value.find('?');
      if (q == std::string::npos) return;
      std::string target = ref.value.substr(0, q);
      if (target.find("://") != std::string::npos) return;
      if (model_->resourceType(target) == nullptr) return;
      auto params = splitQuery(ref.value.substr(q + 1));
      if (!params.isOk()) {
        st = params.status();
        return;
      }
      auto found = matches(tx, target, *params);
      if (!found.isOk()) {
        st = found.status();
      } else if (found->size() != 1) {
        st = core::Status(core::Code::kPrecondition, "the conditional reference " + ref.value + " matches " +
                                                         std::to_string(found->size()) + " resources (it must match one)");
      } else {
        ref.value = target + "/" + found->front().id;
      }
    });
    return st;
  };

  if (transaction) {
    for (const auto& p : plans) {
      if (!p.error.isOk()) return ex.fail(atEntry(p, p.error));
    }
    std::map<std::string, std::size_t> targets;
    for (const auto& p : plans) {
      if (!p.request.id.empty() && !isRead(p)) {
        std::string key = p.request.type + "/" + p.request.id;
        if (!targets.emplace(key, p.index).second) {
          return ex.fail(atEntry(p, core::invalid("two entries of one transaction change " + key)));
        }
      }
    }
    std::vector<EntryPlan*> ordered;
    for (auto& p : plans) ordered.push_back(&p);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const EntryPlan* a, const EntryPlan* b) { return order(a->method) < order(b->method); });
    core::Status st = store_->write([&](storage::WriteTx& tx) -> core::Status {
      std::map<std::string, std::string> ids;
      for (EntryPlan* p : ordered) {
        if (isRead(*p)) continue;
        core::Status s = decide(tx, *p);
        if (!s.isOk()) return atEntry(*p, s);
        if (!p->full_url.empty() && !p->id.empty()) ids[p->full_url] = p->request.type + "/" + p->id;
      }
      for (EntryPlan* p : ordered) {
        core::Status s = rewrite(tx, *p, ids);
        if (!s.isOk()) return atEntry(*p, s);
      }
      for (EntryPlan* p : ordered) {
        if (isRead(*p)) continue;
        core::Status s = apply(tx, *p);
        if (!s.isOk()) return atEntry(*p, s);
      }
      return core::Status::ok();
    });
    if (!st.isOk()) return ex.fail(st);
    for (EntryPlan* p : ordered) {
      if (!isRead(*p)) continue;
      core::Status s = readEntry(*p);
      if (!s.isOk()) return ex.fail(atEntry(*p, s));
    }
  } else {
    for (auto& p : plans) {
      if (!p.error.isOk()) continue;
      if (isRead(p)) {
        p.error = readEntry(p);
        continue;
      }
      p.error = store_->write([&](storage::WriteTx& tx) -> core::Status {
        GW_RETURN_IF_ERROR(decide(tx, p));
        GW_RETURN_IF_ERROR(rewrite(tx, p, {}));
        return apply(tx, p);
      });
    }
  }

  BundleBuilder b(*model_, transaction ? "transaction-response" : "batch-response");
  bool minimal = ex.fhir.prefer_return == "minimal";
  for (auto& p : plans) {
    fhir::Node* e = b.emptyEntry();
    if (!p.error.isOk()) {
      fhir::Node* resp = e->add("response");
      resp->set("status", std::to_string(core::httpStatus(p.error.code())));
      core::Issue issue;
      issue.code = std::string(core::issueType(p.error.code()));
      issue.message = p.error.message();
      resp->addResource("outcome", fhir::operationOutcome(*model_, {issue}));
      continue;
    }
    if (p.out_resource && (!minimal || isRead(p))) {
      if (p.record.version > 0) e->set("fullUrl", config_.base_url + "/" + p.record.type + "/" + p.record.id);
      e->addResource("resource", std::move(*p.out_resource));
    }
    fhir::Node* resp = e->add("response");
    resp->set("status", statusText(p.status));
    if (p.record.version > 0 && !p.record.deleted) {
      resp->set("location", p.record.type + "/" + p.record.id + "/_history/" + std::to_string(p.record.version));
    }
    if (p.record.version > 0) {
      resp->set("etag", etagFor(p.record.version));
      resp->set("lastModified", p.record.last_updated);
    }
  }
  ex.response.status = 200;
  ex.response.resource = b.take();
}

}  // namespace onedoor::stages::route
