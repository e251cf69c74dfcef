// Shared pieces of the REST engine: dispatch, ETags, and turning records into responses.
#include <cctype>

#include "fhir/codec.h"
#include "fhir/operation_outcome.h"
#include "fhir/summary.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {

using core::Interaction;

RestEngine::RestEngine(fhir::ModelPtr model, std::shared_ptr<storage::Store> store,
                       std::shared_ptr<core::Env> env, std::shared_ptr<const search::Indexer> indexer,
                       RestConfig config)
    : model_(std::move(model)),
      store_(std::move(store)),
      env_(std::move(env)),
      indexer_(std::move(indexer)),
      config_(std::move(config)) {}

std::string etagFor(std::int64_t version) { return "W/\"" + std::to_string(version) + "\""; }

std::optional<std::int64_t> versionFromEtag(const std::string& etag) {
  std::string_view v = etag;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.substr(0, 2) == "W/") v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 18) return std::nullopt;
  for (char c : v) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::stoll(std::string(v));
}

core::Result<fhir::Node> parseStored(const fhir::Model& model, const std::string& json) {
  fhir::ReadResult r = fhir::readJson(model, json);
  if (!r.ok()) {
    return core::internal("a stored resource no longer parses: " +
                          (r.issues.empty() ? std::string() : r.issues.front().message));
  }
  return std::move(r.resource);
}

void RestEngine::handle(core::Exchange& ex) const {
  if (ex.fhir.type == "AuditEvent") return auditLog(ex);
  if (ex.fhir.interaction == Interaction::kOperation && ex.fhir.operation == "transform") return transformOperation(ex);
  if (ex.fhir.interaction == Interaction::kOperation && ex.fhir.operation == "process-message") return processMessage(ex);
  if (ex.fhir.isOutboxOperation()) return outboxAdmin(ex);
  if (ex.fhir.interaction == Interaction::kOperation && ex.fhir.operation == "stratified-count") return stratifiedCount(ex);
  if (ex.fhir.interaction == Interaction::kOperation && ex.fhir.type == "Patient") {
    if (ex.fhir.operation == "match") return matchOperation(ex);
    if (ex.fhir.operation == "gpc.getstructuredrecord") return gpConnectRecord(ex);
    if (ex.fhir.operation == "merge" || ex.fhir.operation == "unmerge") return mergeOperation(ex);
  }
  switch (ex.fhir.interaction) {
    case Interaction::kRead: return read(ex);
    case Interaction::kVread: return vread(ex);
    case Interaction::kCreate: return createInteraction(ex);
    case Interaction::kUpdate: return updateInteraction(ex);
    case Interaction::kDelete: return deleteInteraction(ex);
    case Interaction::kPatch: return patchInteraction(ex);
    case Interaction::kHistoryInstance:
    case Interaction::kHistoryType:
    case Interaction::kHistorySystem: return history(ex);
    case Interaction::kBatch: return bundle(ex);
    case Interaction::kCapabilities: return capabilities(ex);
    case Interaction::kSearchType:
    case Interaction::kSearchSystem:
    case Interaction::kSearchCompartment: return search(ex);
    default:
      ex.fail(core::Status(core::Code::kNotImplemented,
                           std::string(core::interactionName(ex.fhir.interaction)) +
                               " is not supported by this server"));
  }
}

void RestEngine::respondWithRecord(core::Exchange& ex, const storage::ResourceRecord& rec) const {
  ex.response.status = 200;
  ex.response.headers.set("ETag", etagFor(rec.version));
  ex.response.headers.set("Last-Modified", core::formatHttpDate(rec.last_updated_ms));
  bool filtered = !ex.fhir.summary.empty() || !ex.fhir.elements.empty();
  if (!filtered) {
    ex.response.raw_json = rec.json;
    return;
  }
  auto node = parseStored(*model_, rec.json);
  if (!node.isOk()) {
    ex.fail(node.status());
    return;
  }
  if (!ex.fhir.summary.empty() && ex.fhir.summary != "count") {
    fhir::applySummary(*node, ex.fhir.summary);
  }
  fhir::applyElements(*node, ex.fhir.elements);
  ex.response.resource = std::move(node).value();
}

void RestEngine::respondWithWrite(core::Exchange& ex, const WriteResult& w) const {
  const storage::ResourceRecord& rec = w.record;
  ex.response.status = w.status;
  ex.response.headers.set("ETag", etagFor(rec.version));
  ex.response.headers.set("Last-Modified", core::formatHttpDate(rec.last_updated_ms));
  if (!rec.deleted) {
    ex.response.headers.set("Location", config_.base_url + "/" + rec.type + "/" + rec.id +
                                            "/_history/" + std::to_string(rec.version));
  }
  // Issues found on the way (validation in warn mode) are counted in a header and listed in
  // full when the client prefers an OperationOutcome.
  if (!w.identity.empty()) ex.response.headers.set("X-OneDoor-Identity", w.identity);
  if (!ex.issues().empty()) ex.response.headers.set("X-Validation-Issues", std::to_string(ex.issues().size()));
  const std::string& prefer = ex.fhir.prefer_return;
  if (prefer == "minimal") return;
  // A Patient matched to the one kept for that person: the answer says so and shows no more of
  // the kept record than the partner sent (a read of the Location is decided by consent).
  bool linked = !w.identity.empty();
  if (prefer == "OperationOutcome" || rec.deleted || linked) {
    core::Issue info;
    info.severity = core::Severity::kInformation;
    info.code = "informational";
    info.message = std::string(rec.deleted ? "Deleted " : linked ? "Matched to the person's record: updated " : w.status == 201 ? "Created " : "Updated ") +
                   rec.type + "/" + rec.id + " (version " + std::to_string(rec.version) + ")";
    core::Issues all = ex.issues();
    all.insert(all.begin(), info);
    ex.response.resource = fhir::operationOutcome(*model_, all);
    return;
  }
  ex.response.raw_json = rec.json;
}

}  // namespace onedoor::stages::route
