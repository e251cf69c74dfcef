#include "storage/sqlite_statement.h"

#include <sqlite3.h>

namespace onedoor::storage {

SqliteStatement::SqliteStatement(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) !=
      SQLITE_OK) {
    error_ = sqlite3_errmsg(db);
    stmt_ = nullptr;
  }
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, const std::string& value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

core::Status SqliteStatement::run() {
  int rc = sqlite3_step(stmt_);
  core::Status st = rc == SQLITE_DONE || rc == SQLITE_ROW
                        ? core::Status::ok()
                        : core::Status(core::Code::kUnavailable, std::string("SQLite: ") + sqlite3_errmsg(db_));
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  return st;
}

}  // namespace onedoor::storage
