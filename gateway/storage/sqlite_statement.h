#pragma once
// SqliteStatement: one SQLite statement prepared once on a connection and run many times (bind,
// step, reset), for the hot paths where preparing a statement per call (as Poco::Data does)
// costs more than running it: the audit writer's inserts. The connection must outlive it; not
// thread-safe (one per connection, used by one thread).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace onedoor::storage {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Whether it prepared; else error() says why.
  bool ok() const { return stmt_ != nullptr; }
  const std::string& error() const { return error_; }

  // Placeholders are numbered from 1. Strings are copied by SQLite.
  SqliteStatement& bind(int index, std::int64_t value);
  SqliteStatement& bind(int index, const std::string& value);
  // Runs it to completion (an INSERT, UPDATE ...), then resets it for the next use.
  core::Status run();

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string error_;
};

}  // namespace onedoor::storage
