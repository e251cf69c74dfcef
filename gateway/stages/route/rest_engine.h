#pragma once
// RestEngine: carries out FHIR RESTful interactions against the Store — read, vread, create,
// update, delete, history, batch and transaction — and builds their responses. It knows the FHIR
// REST rules (versions, ETags, Prefer, _summary) but nothing of HTTP transport.
// Built at start-up; thread-safe (all state is immutable or in the Store).

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/env.h"
#include "core/exchange.h"
#include "fhir/model.h"
#include "fhir/node.h"
#include "search/indexer.h"
#include "search/query.h"
#include "fml/engine.h"
#include "stages/deliver/gp_connect.h"
#include "stages/deliver/messaging.h"
#include "stages/parse/rest_url.h"
#include "stages/identity/resolver.h"
#include "stages/validate/validate_stage.h"
#include "storage/audit_store.h"
#include "storage/store.h"

namespace onedoor::stages::route {

struct RestConfig {
  std::string base_url;  // e.g. http://127.0.0.1:8080/fhir
  std::uint32_t default_count = 50;
  std::uint32_t max_count = 1000;
  std::uint32_t max_bundle_entries = 5000;
};

// The outcome of one write inside a transaction.
struct WriteResult {
  storage::ResourceRecord record;
  int status = 0;                    // 201 created, 200 updated/deleted
  std::optional<fhir::Node> resource;  // as stored (absent for a delete)
  std::string identity;              // a Patient create linked to an existing Patient: how (for a header)
};

// What patient matching decided for a Patient being created (docs/identity.md).
struct IdentityDecision {
  std::string patient;  // the existing Patient it is the same person as; "" = a new Patient
  identity::Comparison comparison;
  struct Review {
    std::string patient;
    identity::Comparison comparison;
  };
  std::vector<Review> review;  // possible matches, for a person to decide
};

// Parses AuditEvent search parameters (patient, agent, entity, date, action, outcome, purpose,
// break-glass, _count, _cursor) into an audit store query; shared with `onedoor audit query`.
core::Result<storage::AuditQuery> auditQuery(const std::vector<std::pair<std::string, std::string>>& params,
                                             std::uint32_t max_count);

// A FHIR message accepted: kept with its deliveries (or found to be a duplicate).
struct AcceptedMessage {
  std::string response;     // what the sender was answered (the first time, for a duplicate)
  bool duplicate = false;   // processed before: nothing kept or delivered again
  std::string stored_id;    // Bundle/<id> it is kept as
  std::size_t deliveries = 0;
  std::vector<std::string> patients;
};

class RestEngine {
 public:
  RestEngine(fhir::ModelPtr model, std::shared_ptr<storage::Store> store,
             std::shared_ptr<core::Env> env, std::shared_ptr<const search::Indexer> indexer,
             RestConfig config);

  // Carries out exchange.fhir.interaction and sets exchange.response.
  void handle(core::Exchange& ex) const;

  // Building blocks, each run inside a write unit.
  core::Result<WriteResult> create(storage::WriteTx& tx, fhir::Node resource,
                                   const std::string& assigned_id) const;
  core::Result<WriteResult> update(storage::WriteTx& tx, fhir::Node resource,
                                   const std::string& id,
                                   const std::optional<std::int64_t>& if_match,
                                   const std::string& method = "PUT") const;
  core::Result<WriteResult> remove(storage::WriteTx& tx, const std::string& type,
                                   const std::string& id) const;

  // Validation of writes the validate stage cannot see (a patch's result), as it would validate
  // them: the issues, and whether they stop the write (set at start-up).
  using WriteValidator = std::function<validate::WriteCheck(const fhir::Node& resource, const std::string& partner)>;
  void setWriteValidator(WriteValidator v) { write_validator_ = std::move(v); }
  // Patient identity (set at start-up when the config's identity.enabled).
  void setIdentity(std::shared_ptr<const identity::Resolver> resolver) { identity_ = std::move(resolver); }
  bool identityEnabled() const { return identity_ != nullptr; }
  // Matches a Patient about to be created against the stored ones, inside the write (other
  // gateways sharing the database wait: a lock held to the commit).
  core::Result<IdentityDecision> resolvePatient(storage::WriteTx& tx, const fhir::Node& patient) const;
  // Writes a Patient as `decision` says: a new Patient `new_id` (with review entries for possible
  // matches), or the existing one it was matched to, absorbing the incoming identifiers and details.
  core::Result<WriteResult> writePatient(storage::WriteTx& tx, fhir::Node patient, const std::string& new_id,
                                         const IdentityDecision& decision) const;
  // Merges Patient `source` into `target` (Patient.link both ways, `source` inactive, references
  // to `source` repointed and remembered), or undoes the last merge of `source`. `by` is who asked.
  // An update of a Patient keeps what the server owns: other partners' identifiers (systems the
  // update does not carry) and the merge links. Nothing for other types.
  // `kept`, when given, receives the Patient as it is kept now (no type when there is none).
  core::Status keepServerOwned(storage::WriteTx& tx, fhir::Node& resource, const std::string& id,
                               fhir::Node* kept = nullptr) const;
  // Answers how many resources were repointed.
  core::Result<std::size_t> mergePatients(storage::WriteTx& tx, const std::string& source, const std::string& target,
                                          const std::string& by) const;
  core::Status unmergePatient(storage::WriteTx& tx, const std::string& source) const;

  // Parses search parameters for a type against the registry (400 on unknown ones unless lenient).
  core::Result<search::SearchQuery> parseSearch(const std::string& type,
                                                const std::vector<std::pair<std::string, std::string>>& params,
                                                bool lenient) const;
  // Conditional interactions: the current matches of search criteria for `type`, seen from
  // inside the write transaction.
  core::Result<std::vector<storage::ResourceRecord>> matches(
      storage::WriteTx& tx, const std::string& type,
      const std::vector<std::pair<std::string, std::string>>& params) const;

  // The audit log searched through AuditEvent (set at start-up, before the engine is shared).
  void setAuditStore(std::shared_ptr<storage::AuditStore> audit) { audit_ = std::move(audit); }
  // Routing and delivery of FHIR messages (set at start-up, before the engine is shared).
  void setMessaging(std::shared_ptr<const deliver::Messaging> messaging) { messaging_ = std::move(messaging); }
  // GP Connect (scenario S10): the client, the STU3-to-R4 map (and its URL, for what the answer
  // says) and the practices by ODS code (set at start-up, before the engine is shared).
  void setGpConnect(std::shared_ptr<const deliver::GpConnectClient> client, fml::CompiledMapPtr map, std::string map_url,
                    std::function<const config::GpConnectPracticeConfig*(const std::string& ods)> practices) {
    gp_connect_ = std::move(client);
    gp_map_ = std::move(map);
    gp_map_url_ = std::move(map_url);
    gp_practices_ = std::move(practices);
  }
  // Keeps message `bundle` from `sender` with the deliveries the routing table and consent give,
  // and `response(now)` as its answer, in one transaction; a message id seen before from that
  // sender is a duplicate, answered as before. Then wakes the delivery workers and audits each
  // recipient's decision. For $process-message and messages mapped from other formats.
  // `keep_with`, when given, runs first inside that transaction (what a transport keeps of the
  // message beside it); it does not run when nothing is written. `entry_persons`, when given, is
  // who the message's Patient entries are (core::Exchange::entry_persons), not looked up again.
  // `request_id`, the sender's X-Request-Id: one it used before for another message is 409
  // (BaRS REC_CONFLICT); the same message sent again is answered as the first time.
  struct AcceptOptions {
    storage::WriteUnit keep_with;
    const std::vector<core::IncomingPerson>* entry_persons = nullptr;
    std::string request_id;
    std::string correlation_id;  // sent with each delivery (X-Correlation-Id)
  };
  core::Result<AcceptedMessage> acceptMessage(const fhir::Node& bundle, const std::string& sender,
                                              const std::string& message_id,
                                              const std::function<std::string(const std::string& now)>& response,
                                              const AcceptOptions& options) const;
  core::Result<AcceptedMessage> acceptMessage(const fhir::Node& bundle, const std::string& sender,
                                              const std::string& message_id,
                                              const std::function<std::string(const std::string& now)>& response) const {
    return acceptMessage(bundle, sender, message_id, response, AcceptOptions{});
  }

  const fhir::Model& model() const { return *model_; }
  const search::Indexer& indexer() const { return *indexer_; }
  const RestConfig& config() const { return config_; }
  core::Env& env() const { return *env_; }
  storage::Store& store() const { return *store_; }

 private:
  void auditLog(core::Exchange& ex) const;
  // rest_outbox.cpp: $outbox, $outbox-replay, $outbox-discard for operators.
  void outboxAdmin(core::Exchange& ex) const;
  // A new resource `resource` with id `id` (a fresh one if empty), no identity matching.
  core::Result<WriteResult> createRecord(storage::WriteTx& tx, fhir::Node resource, const std::string& id) const;
  // The same in two steps: made ready outside the write unit (id, meta, JSON, search index
  // rows), then stored inside it, so that the single writer does no more than store.
  struct PreparedCreate {
    WriteResult write;
    std::vector<search::IndexRow> rows;
  };
  PreparedCreate prepareCreate(fhir::Node resource, const std::string& id) const;
  core::Status putPrepared(storage::WriteTx& tx, PreparedCreate& prepared) const;
  // NHS numbers with a valid check digit written as ten digits.
  void canonicalNhsNumbers(fhir::Node& patient) const;
  // The identifier system of the strong key (the NHS number).
  std::string strongSystem() const;
  // rest_identity.cpp: POST Patient/$match, Patient/$merge, Patient/$unmerge.
  void matchOperation(core::Exchange& ex) const;
  void mergeOperation(core::Exchange& ex) const;
  // rest_patch.cpp: PATCH with JSON Patch or FHIRPath Patch, by id or conditional.
  void patchInteraction(core::Exchange& ex) const;
  // rest_messaging.cpp: the Patients a message carries, upserted by identifier or matched, and
  // the merges it asks for (Patient.link replaces), inside the message's write.
  // Whether keepMessagePatients has Patients to keep (it may then fail after writing).
  bool carriesPatients(const fhir::Node& bundle) const;
  core::Status keepMessagePatients(storage::WriteTx& tx, const fhir::Node& bundle, const std::string& sender,
                                   std::vector<std::string>& patients) const;
  // rest_transform.cpp: POST StructureMap/{id}/$transform.
  void transformOperation(core::Exchange& ex) const;
  // rest_messaging.cpp: POST $process-message.
  void processMessage(core::Exchange& ex) const;
  void gpConnectRecord(core::Exchange& ex) const;
  void stratifiedCount(core::Exchange& ex) const;
  void read(core::Exchange& ex) const;
  void vread(core::Exchange& ex) const;
  void createInteraction(core::Exchange& ex) const;
  void updateInteraction(core::Exchange& ex) const;
  void deleteInteraction(core::Exchange& ex) const;
  void history(core::Exchange& ex) const;
  void bundle(core::Exchange& ex) const;
  void capabilities(core::Exchange& ex) const;
  void search(core::Exchange& ex) const;

  // Sets a response for a stored record: body per Prefer, ETag, Last-Modified, Location.
  void respondWithWrite(core::Exchange& ex, const WriteResult& w) const;
  // Sets a 200 response with a stored resource, applying _summary/_elements.
  void respondWithRecord(core::Exchange& ex, const storage::ResourceRecord& rec) const;

  fhir::ModelPtr model_;
  std::shared_ptr<storage::Store> store_;
  std::shared_ptr<storage::AuditStore> audit_;
  std::shared_ptr<const deliver::Messaging> messaging_;
  std::shared_ptr<const deliver::GpConnectClient> gp_connect_;
  fml::CompiledMapPtr gp_map_;
  std::string gp_map_url_;
  std::function<const config::GpConnectPracticeConfig*(const std::string& ods)> gp_practices_;
  std::shared_ptr<core::Env> env_;
  std::shared_ptr<const search::Indexer> indexer_;
  std::shared_ptr<const identity::Resolver> identity_;
  WriteValidator write_validator_;
  RestConfig config_;
};

// W/"3" from 3, and back; nullopt if `etag` is not a weak or strong version tag.
std::string etagFor(std::int64_t version);
std::optional<std::int64_t> versionFromEtag(const std::string& etag);
// Splits "a=1&b=2" (percent-encoded) into pairs.
using parse::splitQuery;
// Parses stored JSON (trusted) back into a Node.
core::Result<fhir::Node> parseStored(const fhir::Model& model, const std::string& json);

}  // namespace onedoor::stages::route
