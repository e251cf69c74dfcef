#include "storage/statement_cache.h"

#include <sqlite3.h>

#include <cctype>

namespace onedoor::storage {
namespace {

core::Status sqliteError(sqlite3* db, int rc) {
  std::string text = sqlite3_errmsg(db);
  int primary = rc & 0xff;
  bool busy = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
  return core::Status(busy ? core::Code::kUnavailable : core::Code::kInternal, "storage error: " + text);
}

bool onlySpace(const char* p) {
  for (; p != nullptr && *p != '\0'; ++p) {
    if (std::isspace(static_cast<unsigned char>(*p)) == 0 && *p != ';') return false;
  }
  return true;
}

// Frees a one-off statement, or resets a cached one for its next use.
struct Finish {
  sqlite3_stmt* stmt;
  bool cached;
  ~Finish() {
    if (cached) {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    } else {
      sqlite3_finalize(stmt);
    }
  }
};

}  // namespace

StatementCache::~StatementCache() {
  for (auto& [text, stmt] : prepared_) sqlite3_finalize(stmt);
}

core::Result<std::size_t> StatementCache::run(std::string_view sql, const SqlParams& params, std::vector<SqlRow>* rows) {
  sqlite3_stmt* stmt = nullptr;
  bool cached = false;
  if (auto it = prepared_.find(std::string(sql)); it != prepared_.end()) {
    stmt = it->second;
    cached = true;
  } else {
    const char* tail = nullptr;
    bool keep = prepared_.size() < capacity_;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), keep ? SQLITE_PREPARE_PERSISTENT : 0,
                                &stmt, &tail);
    if (rc != SQLITE_OK) return sqliteError(db_, rc);
    if (stmt == nullptr || !onlySpace(tail)) {
      sqlite3_finalize(stmt);
      return core::Status(core::Code::kNotImplemented, "more than one statement");
    }
    if (keep) {
      prepared_.emplace(std::string(sql), stmt);
      cached = true;
    }
  }
  Finish finish{stmt, cached};
  int index = 0;
  for (const auto& p : params) {
    ++index;
    int rc = SQLITE_OK;
    if (const auto* i = std::get_if<std::int64_t>(&p)) {
      rc = sqlite3_bind_int64(stmt, index, *i);
    } else if (const auto* d = std::get_if<double>(&p)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&p)) {
      rc = sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
    } else {
      rc = sqlite3_bind_null(stmt, index);
    }
    if (rc != SQLITE_OK) return sqliteError(db_, rc);
  }
  int columns = sqlite3_column_count(stmt);
  while (true) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return sqliteError(db_, rc);
    if (rows == nullptr) continue;
    SqlRow row;
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_NULL:
          row.emplace_back(nullptr);
          break;
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT:
          row.emplace_back(sqlite3_column_double(stmt, c));
          break;
        default: {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.emplace_back(std::string(text != nullptr ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
    }
    rows->push_back(std::move(row));
  }
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

}  // namespace onedoor::storage
