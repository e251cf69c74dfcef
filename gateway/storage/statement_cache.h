#pragma once
// StatementCache: the SQLite statements one connection has prepared, kept by their text and run
// again (bind, step, reset) instead of being prepared per call as Poco::Data does: preparing
// costs more than running the short statements the store, the outbox and the consent look-ups
// issue thousands of times a second. Bounded: past `capacity` texts (search SQL varies with the
// query), a statement is prepared, run once and finalized. It must be destroyed before its
// connection closes. Not thread-safe: it goes with its session, used by one thread at a time.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "storage/sql.h"

struct sqlite3;
struct sqlite3_stmt;

namespace onedoor::storage {

class StatementCache {
 public:
  explicit StatementCache(sqlite3* db, std::size_t capacity = 256) : db_(db), capacity_(capacity) {}
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // Runs one statement with `params`; its rows when `rows` is not null. Returns the rows it
  // changed (INSERT, UPDATE, DELETE). kNotImplemented when `sql` holds more than one statement:
  // the caller runs it another way.
  core::Result<std::size_t> run(std::string_view sql, const SqlParams& params, std::vector<SqlRow>* rows);

 private:
  sqlite3* db_;
  std::size_t capacity_;
  std::unordered_map<std::string, sqlite3_stmt*> prepared_;
};

}  // namespace onedoor::storage
