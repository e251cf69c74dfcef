// create, update and delete, plain and conditional (https://hl7.org/fhir/R4/http.html#create).
// Each interaction is one write unit: a conditional one decides and writes in the same
// transaction, so parallel requests with the same condition cannot both create.
#include <algorithm>

#include "fhir/codec.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {
namespace {

// Sets id, meta.versionId and meta.lastUpdated: the server owns them.
void stamp(fhir::Node& resource, const std::string& id, std::int64_t version,
           const std::string& instant) {
  resource.set("id", id);
  fhir::Node* meta = resource.child("meta");
  if (meta == nullptr) meta = resource.add("meta");
  meta->set("versionId", std::to_string(version));
  meta->set("lastUpdated", instant);
}

storage::ResourceRecord newRecord(core::Env& env, const std::string& type, const std::string& id,
                                  std::int64_t version, const std::string& method) {
  storage::ResourceRecord rec;
  auto now = env.now();
  rec.type = type;
  rec.id = id;
  rec.version = version;
  rec.last_updated = core::formatInstant(now);
  rec.last_updated_ms = core::epochMillis(now);
  rec.method = method;
  return rec;
}

std::optional<std::int64_t> ifMatch(const core::Exchange& ex, core::Status& error) {
  auto h = ex.request.headers.get("if-match");
  if (!h) return std::nullopt;
  auto v = versionFromEtag(*h);
  if (!v) error = core::invalid("If-Match must be a version ETag such as W/\"3\"");
  return v;
}

core::Status tooMany(const std::string& what) {
  return core::Status(core::Code::kPrecondition, "the condition of this conditional " + what +
                                                     " matches more than one resource");
}

}  // namespace

core::Result<std::vector<storage::ResourceRecord>> RestEngine::matches(
    storage::WriteTx& tx, const std::string& type,
    const std::vector<std::pair<std::string, std::string>>& params) const {
  if (params.empty()) return core::invalid("a conditional interaction needs search parameters");
  GW_ASSIGN_OR_RETURN(search::SearchQuery q, parseSearch(type, params, false));
  if (!q.sort.empty() || !q.includes.empty()) {
    return core::invalid("a condition may only hold search criteria");
  }
  // Other gateways on the same database decide the same condition one at a time.
  GW_RETURN_IF_ERROR(tx.lock(type == "Patient" ? "identity:Patient" : "conditional:" + type));
  GW_ASSIGN_OR_RETURN(auto found, tx.find(q, type == "Patient" ? 10 : 2));
  if (type != "Patient") return found;
  // A Patient merged into another stands for its replacement.
  std::vector<storage::ResourceRecord> out;
  for (auto& found_rec : found) {
    GW_ASSIGN_OR_RETURN(auto rec, identity::followReplacement(std::move(found_rec), *model_, [&](const std::string& id) {
                          return tx.current("Patient", id);
                        }));
    bool seen = std::any_of(out.begin(), out.end(), [&](const storage::ResourceRecord& r) { return r.id == rec.id; });
    if (!seen) out.push_back(std::move(rec));
  }
  if (out.size() > 2) out.resize(2);
  return out;
}

core::Result<WriteResult> RestEngine::create(storage::WriteTx& tx, fhir::Node resource,
                                             const std::string& assigned_id) const {
  if (identity_ && resource.type->name == "Patient") {
    GW_ASSIGN_OR_RETURN(auto decision, resolvePatient(tx, resource));
    return writePatient(tx, std::move(resource), assigned_id.empty() ? env_->uuid() : assigned_id, decision);
  }
  return createRecord(tx, std::move(resource), assigned_id);
}

RestEngine::PreparedCreate RestEngine::prepareCreate(fhir::Node resource, const std::string& assigned_id) const {
  std::string id = assigned_id.empty() ? env_->uuid() : assigned_id;
  PreparedCreate p;
  p.write.record = newRecord(*env_, resource.type->name, id, 1, "POST");
  stamp(resource, id, 1, p.write.record.last_updated);
  p.write.record.json = fhir::writeJson(resource);
  p.rows = indexer_->rows(resource);
  p.write.status = 201;
  p.write.resource = std::move(resource);
  return p;
}

core::Status RestEngine::putPrepared(storage::WriteTx& tx, PreparedCreate& prepared) const {
  return tx.put(prepared.write.record, prepared.rows);
}

core::Result<WriteResult> RestEngine::createRecord(storage::WriteTx& tx, fhir::Node resource,
                                                   const std::string& assigned_id) const {
  PreparedCreate prepared = prepareCreate(std::move(resource), assigned_id);
  GW_RETURN_IF_ERROR(putPrepared(tx, prepared));
  return std::move(prepared.write);
}

core::Result<WriteResult> RestEngine::update(storage::WriteTx& tx, fhir::Node resource,
                                             const std::string& id,
                                             const std::optional<std::int64_t>& if_match,
                                             const std::string& method) const {
  const std::string type = resource.type->name;
  GW_ASSIGN_OR_RETURN(auto current, tx.current(type, id));
  if (if_match) {
    if (!current || current->deleted || current->version != *if_match) {
      return core::Status(core::Code::kPrecondition,
                          "If-Match names version " + std::to_string(*if_match) + " but " + type +
                              "/" + id + " is at " +
                              (current ? "version " + std::to_string(current->version)
                                       : std::string("no version")));
    }
  }
  std::int64_t version = current ? current->version + 1 : 1;
  WriteResult w;
  w.record = newRecord(*env_, type, id, version, method);
  stamp(resource, id, version, w.record.last_updated);
  w.record.json = fhir::writeJson(resource);
  GW_RETURN_IF_ERROR(tx.put(w.record, indexer_->rows(resource)));
  w.status = !current || current->deleted ? 201 : 200;
  w.resource = std::move(resource);
  return w;
}

core::Result<WriteResult> RestEngine::remove(storage::WriteTx& tx, const std::string& type,
                                             const std::string& id) const {
  GW_ASSIGN_OR_RETURN(auto current, tx.current(type, id));
  WriteResult w;
  if (!current || current->deleted) {
    // Deleting what is not there succeeds and writes nothing (idempotent delete).
    if (current) w.record = *current;
    w.status = 204;
    return w;
  }
  w.record = newRecord(*env_, type, id, current->version + 1, "DELETE");
  w.record.deleted = true;
  GW_RETURN_IF_ERROR(tx.put(w.record, {}));
  w.status = 200;
  return w;
}

void RestEngine::createInteraction(core::Exchange& ex) const {
  fhir::Node resource = std::move(*ex.fhir.resource);
  auto condition = ex.request.headers.get("if-none-exist");
  core::Result<WriteResult> result = core::Status::ok();
  // A resource that no condition or patient matching decides is made ready (JSON, search index
  // rows) before the write unit: the single writer then only stores it.
  std::optional<PreparedCreate> prepared;
  if (!condition && !(identity_ && resource.type->name == "Patient")) prepared = prepareCreate(std::move(resource), "");
  core::Status st = store_->write([&](storage::WriteTx& tx) -> core::Status {
    if (prepared) {
      GW_RETURN_IF_ERROR(putPrepared(tx, *prepared));
      result = std::move(prepared->write);
      return core::Status::ok();
    }
    if (condition) {
      GW_ASSIGN_OR_RETURN(auto params, splitQuery(*condition));
      GW_ASSIGN_OR_RETURN(auto found, matches(tx, resource.type->name, params));
      if (found.size() > 1) return tooMany("create");
      if (found.size() == 1) {
        WriteResult existing;
        existing.record = found.front();
        existing.status = 200;
        result = existing;
        return core::Status::ok();
      }
    }
    result = create(tx, std::move(resource), "");
    return result.status();
  }, prepared ? storage::WriteMode::kChecksFirst : storage::WriteMode::kAnyTime);
  if (!st.isOk()) return ex.fail(st);
  respondWithWrite(ex, *result);
}

void RestEngine::updateInteraction(core::Exchange& ex) const {
  core::Status bad;
  auto expected = ifMatch(ex, bad);
  if (!bad.isOk()) return ex.fail(bad);
  fhir::Node resource = std::move(*ex.fhir.resource);
  std::string body_id(resource.childValue("id"));
  core::Result<WriteResult> result = core::Status::ok();
  core::Status st = store_->write([&](storage::WriteTx& tx) -> core::Status {
    std::string id = ex.fhir.id;
    if (ex.fhir.conditional) {
      GW_ASSIGN_OR_RETURN(auto found, matches(tx, ex.fhir.type, ex.request.conditionParams()));
      if (found.size() > 1) return tooMany("update");
      if (found.size() == 1) {
        id = found.front().id;
        if (!body_id.empty() && body_id != id) {
          return core::invalid("the resource id does not match the resource the condition found",
                               ex.fhir.type + ".id");
        }
      } else if (identity_ && ex.fhir.type == "Patient") {
        // An upsert of a Patient no identifier found yet: matched like a create, so that the
        // person's record from another partner takes this partner's identifier.
        result = create(tx, std::move(resource), body_id);
        return result.status();
      } else {
        id = body_id.empty() ? env_->uuid() : body_id;
      }
    }
    GW_RETURN_IF_ERROR(keepServerOwned(tx, resource, id));
    result = update(tx, std::move(resource), id, expected);
    return result.status();
  });
  if (!st.isOk()) return ex.fail(st);
  respondWithWrite(ex, *result);
}

void RestEngine::deleteInteraction(core::Exchange& ex) const {
  core::Result<WriteResult> result = core::Status::ok();
  core::Status st = store_->write([&](storage::WriteTx& tx) -> core::Status {
    std::string id = ex.fhir.id;
    if (ex.fhir.conditional) {
      GW_ASSIGN_OR_RETURN(auto found, matches(tx, ex.fhir.type, ex.request.conditionParams()));
      if (found.size() > 1) return tooMany("delete");
      if (found.empty()) {
        WriteResult none;
        none.status = 204;
        result = none;
        return core::Status::ok();
      }
      id = found.front().id;
    }
    result = remove(tx, ex.fhir.type, id);
    return result.status();
  });
  if (!st.isOk()) return ex.fail(st);
  if (result->status == 204) {
    ex.response.status = 204;
    return;
  }
  respondWithWrite(ex, *result);
}

}  // namespace onedoor::stages::route
