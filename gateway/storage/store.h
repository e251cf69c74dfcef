#pragma once
// Store: the gateway's storage interface. Nothing above it may assume SQLite: the same interface
// is served by SQLite (one process, the embedded default) and PostgreSQL (several gateway
// instances over one server).
//
// Writes are units of work run inside one database transaction. Units submitted concurrently are
// grouped into a single commit (group commit); each unit runs in its own savepoint, so one unit's
// failure leaves the others intact (see WriteMode for units that need none). `write` returns only
// once the commit is durable.
// Thread-safe: every method may be called from any request thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "search/index_row.h"
#include "search/query.h"
#include "storage/sql.h"

namespace onedoor::storage {

struct ResourceRecord {
  std::string type;
  std::string id;
  std::int64_t version = 0;
  std::string last_updated;       // FHIR instant, as written into meta.lastUpdated
  std::int64_t last_updated_ms = 0;
  std::string method;             // POST | PUT | PATCH | DELETE (history request.method)
  bool deleted = false;
  std::string json;               // the stored resource (FHIR JSON); empty when deleted
  std::int64_t seq = 0;           // commit order across the whole store
};

// The work a unit does, inside its transaction. Valid only during the unit; not thread-safe.
class WriteTx {
 public:
  virtual ~WriteTx() = default;
  // The current version of a resource (possibly a deletion), seeing this transaction's writes.
  virtual core::Result<std::optional<ResourceRecord>> current(const std::string& type,
                                                              const std::string& id) = 0;
  // Appends `record` as the new current version and replaces the resource's search index with
  // `rows` (none for a deletion). record.version must be the current version + 1 (1 for a new
  // resource), else kConflict. Fills record.seq.
  virtual core::Status put(ResourceRecord& record, const std::vector<search::IndexRow>& rows) = 0;
  // Current, non-deleted resources matching `query` (criteria only), at most `limit`, seeing this
  // transaction's writes: what conditional create/update/delete decide on.
  virtual core::Result<std::vector<ResourceRecord>> find(const search::SearchQuery& query,
                                                         std::size_t limit) = 0;
  // Holds `key` until the transaction ends, against other gateways sharing the database (a
  // PostgreSQL advisory lock), so that decide-then-write units with the same key (conditional
  // writes, patient matching) run one at a time. SQLite has one writer: nothing to do.
  virtual core::Status lock(const std::string& key) {
    (void)key;
    return core::Status::ok();
  }
  // The transaction's own SQL, for the tables other parts of the gateway keep beside the
  // resources (the outbox, processed messages) and must change in the same commit.
  virtual Sql& sql() = 0;
};

using WriteUnit = std::function<core::Status(WriteTx&)>;

// How a write unit may fail.
enum class WriteMode {
  // It may fail after it has written something: it runs in a savepoint of its own, undone alone.
  kAnyTime,
  // Every check that can fail comes before its first write; a failure after that can only be
  // the database's own. On SQLite it runs without a savepoint (copying each page it touches into
  // a savepoint journal is a large part of a small unit's cost). Should it fail after writing all
  // the same, the whole group commit is rolled back and every unit in it fails as unavailable
  // (to be tried again): never half a unit written.
  kChecksFirst,
};

struct HistoryQuery {
  std::string type;                     // empty: system history
  std::string id;                       // empty: type or system history
  std::optional<std::int64_t> since_ms;  // _since
  std::int64_t before_seq = 0;          // paging cursor: only versions with seq < before_seq
  std::uint32_t count = 50;
};

struct HistoryPage {
  std::vector<ResourceRecord> records;  // newest first
  std::int64_t total = 0;               // matching versions, ignoring the cursor
  bool more = false;                    // another page follows
};

struct SearchPage {
  std::vector<ResourceRecord> matches;   // this page, in order
  std::vector<ResourceRecord> included;  // _include / _revinclude results
  std::optional<std::int64_t> total;     // absent when _total=none
  std::string next_cursor;               // empty: no next page
  std::string prev_cursor;               // empty: no previous page
};

class Store {
 public:
  virtual ~Store() = default;
  virtual std::string driver() const = 0;
  // The current version, or nullopt if the resource never existed. A deleted resource returns a
  // record with deleted = true.
  virtual core::Result<std::optional<ResourceRecord>> read(const std::string& type,
                                                           const std::string& id) = 0;
  virtual core::Result<std::optional<ResourceRecord>> vread(const std::string& type,
                                                            const std::string& id,
                                                            std::int64_t version) = 0;
  virtual core::Result<HistoryPage> history(const HistoryQuery& query) = 0;
  // Runs `unit` in a transaction; returns the unit's status once it is durably committed (or its
  // error, with nothing of it written).
  virtual core::Status write(const WriteUnit& unit, WriteMode mode) = 0;
  core::Status write(const WriteUnit& unit) { return write(unit, WriteMode::kAnyTime); }
  // Runs a search: criteria, sort, keyset paging (query.cursor) and includes.
  virtual core::Result<SearchPage> search(const search::SearchQuery& query) = 0;
  // Small named values kept with the data (the search-parameter fingerprint ...).
  virtual core::Result<std::optional<std::string>> getMeta(const std::string& name) = 0;
  virtual core::Status setMeta(const std::string& name, const std::string& value) = 0;
  // Recomputes the search index of every current resource with `index`, in batches.
  virtual core::Status reindex(
      const std::function<std::vector<search::IndexRow>(const ResourceRecord&)>& index) = 0;
  // Records `key` until `expires_ms`: true the first time, false while it is recorded and not
  // expired (a replayed token id). Expired keys are dropped as new ones arrive. Durable.
  virtual core::Result<bool> rememberOnce(const std::string& key, std::int64_t expires_ms, std::int64_t now_ms) = 0;
  // Break-glass grants: emergency access of a partner to a patient until expires_ms.
  virtual core::Status grantBreakGlass(const std::string& partner, const std::string& patient, std::int64_t expires_ms,
                                       const std::string& reason) = 0;
  virtual core::Result<bool> hasBreakGlass(const std::string& partner, const std::string& patient, std::int64_t now_ms) = 0;
  // Keeps a message received in another format (HL7 v2 ...) as it came, durably; a message with
  // a partner and control id already kept is not kept again (`duplicate`). keepInbound (below)
  // does the same inside a write unit.
  struct InboundReceipt {
    std::int64_t seq = 0;
    bool duplicate = false;
  };
  virtual core::Result<InboundReceipt> recordInbound(const std::string& partner, const std::string& control_id,
                                                     const std::string& format, const std::string& body,
                                                     const std::string& status, const std::string& detail,
                                                     std::int64_t received_ms) = 0;
  // A read-only statement on a reader session (outbox listings, metrics), outside any write.
  virtual core::Result<std::vector<SqlRow>> query(std::string_view sql, const SqlParams& params = {}) = 0;
  // Checks that the database answers.
  virtual core::Status ping() = 0;
  // A number that changes after every committed write of a resource of `type`, for caches of
  // what is read from the store; nullopt when other processes may write the same database
  // (PostgreSQL shared by several gateways), where nothing may be cached.
  virtual std::optional<std::uint64_t> localWriteGeneration(const std::string& type) const {
    (void)type;
    return std::nullopt;
  }
};

// A message received in another format, as it came, and what became of it.
struct InboundMessage {
  std::string partner;
  std::string control_id;
  std::string format;  // hl7v2 ...
  std::string body;
  std::string status;  // received | mapped | error
  std::string detail;
  std::int64_t received_ms = 0;
};

// Keeps `message` in the unit's transaction, as Store::recordInbound does in one of its own: with
// the FHIR message it was mapped to, both are kept or neither.
core::Result<Store::InboundReceipt> keepInbound(WriteTx& tx, const InboundMessage& message);

}  // namespace onedoor::storage
