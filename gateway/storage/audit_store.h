#pragma once
// AuditStore: the append-only audit log, kept apart from clinical data (its own SQLite file).
// Every record has a monotonic sequence number and is hash-chained: hash = SHA-256 over the
// previous record's hash, the sequence number and the record's canonical JSON. Every
// `checkpoint_every` records (and when the store closes) the chain head is signed with the
// gateway's key. Triggers refuse UPDATE and DELETE. append() returns only once the record is
// durable; concurrent appends share one commit. verify() walks the chain and names the first
// record altered, removed or inserted. Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace onedoor::storage {

// The searchable facts of an audit record, stored beside its JSON.
struct AuditFacts {
  std::int64_t recorded_ms = 0;
  std::string partner;  // agent: the partner id ("" when unauthenticated)
  std::string action;   // C R U D E
  std::string outcome;  // 0 4 8 12
  std::string purpose;  // v3 PurposeOfUse code
  bool break_glass = false;
  std::vector<std::string> patients;  // Patient/<id>
  std::vector<std::string> entities;  // every resource reference the record names
  std::vector<std::string> labels;    // security label codes of those resources (PSY, R ...)
};

// A record to append: its JSON and facts.
struct AuditEntry {
  std::string json;
  AuditFacts facts;
};

struct AuditRecord {
  std::int64_t seq = 0;
  std::int64_t recorded_ms = 0;
  std::string json;
  std::string prev_hash;
  std::string hash;
};

// A search of the log; empty fields do not filter.
struct AuditQuery {
  std::string patient;  // Patient/<id>
  std::string agent;    // partner id
  std::string entity;   // a resource reference
  std::string label;    // a security label code on a named resource (PSY: "mental health record")
  std::vector<std::pair<std::string, std::int64_t>> dates;  // (ge|gt|le|lt, epoch ms) bounds
  std::vector<std::string> actions;
  std::vector<std::string> outcomes;
  std::vector<std::string> purposes;
  bool break_glass_only = false;
  std::int64_t after_seq = 0;  // paging: records after this sequence number
  std::size_t limit = 100;
};

struct AuditVerification {
  bool ok = true;
  std::int64_t records = 0;
  std::int64_t checkpoints = 0;
  std::int64_t first_bad_seq = 0;  // where the first problem is
  std::string problem;             // what it is: altered, removed, inserted, truncated, bad signature
};

struct AuditStoreOptions {
  std::uint32_t max_batch = 256;
  std::uint32_t checkpoint_every = 1000;
  // Signs / verifies a checkpoint's bytes (the gateway's key); without `sign` no checkpoints.
  std::function<std::string(const std::string&)> sign;
  std::function<bool(const std::string&, const std::string&)> verify;
};

class AuditStore {
 public:
  static core::Result<std::unique_ptr<AuditStore>> openSqlite(const std::string& path, AuditStoreOptions options);
  virtual ~AuditStore() = default;

  // Appends a record (its JSON and facts); returns when it is durable, with its sequence number.
  virtual core::Result<std::int64_t> append(std::string json, AuditFacts facts) = 0;
  // Appends several records, in order, sharing commits; returns when all are durable (the first
  // failure otherwise).
  core::Status appendAll(std::vector<AuditEntry> entries) { return appendLater(std::move(entries))(); }
  // The same, in two steps: queues the records and returns at once; the function returned waits
  // until they are durable (the first failure otherwise; called again, the same answer). Lets a
  // caller overlap the audit log's commit with its own. One thread calls it.
  virtual std::function<core::Status()> appendLater(std::vector<AuditEntry> entries) = 0;
  virtual core::Result<std::vector<AuditRecord>> search(const AuditQuery& query) = 0;
  // Walks the whole chain and every checkpoint.
  virtual core::Result<AuditVerification> verify() = 0;
  // Signs the chain head now (also done every checkpoint_every records and on close).
  virtual core::Status checkpoint() = 0;
  // The head: last sequence number and hash.
  virtual std::pair<std::int64_t, std::string> head() const = 0;
};

// SHA-256 of the record at `seq` chained to `prev_hash`, hex.
std::string auditHash(const std::string& prev_hash, std::int64_t seq, const std::string& json);

}  // namespace onedoor::storage
