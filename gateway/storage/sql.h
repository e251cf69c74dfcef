#pragma once
// Sql: a narrow wrapper over one Poco::Data session that speaks in Status and plain values. It is
// the only place that touches Poco::Data's binding API and converts its exceptions. Statements are
// written with `?` placeholders; the PostgreSQL dialect rewrites them to $1, $2 ...
// Given the session's StatementCache (SQLite), statements are prepared once per session and run
// through SQLite's own API; without one, through Poco::Data.
// Not thread-safe: one Sql per session per thread.

#include <Poco/Data/Session.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"

namespace onedoor::storage {

enum class Dialect : std::uint8_t { kSqlite, kPostgres };

using SqlValue = std::variant<std::nullptr_t, std::int64_t, double, std::string>;
using SqlRow = std::vector<SqlValue>;
using SqlParams = std::vector<SqlValue>;

std::int64_t asInt(const SqlValue& v);
std::string asString(const SqlValue& v);
bool isNull(const SqlValue& v);

class StatementCache;

class Sql {
 public:
  Sql(Poco::Data::Session& session, Dialect dialect, StatementCache* cache = nullptr)
      : session_(session), dialect_(dialect), cache_(cache) {}

  core::Status exec(std::string_view sql, const SqlParams& params = {});
  // Rows affected by an INSERT/UPDATE/DELETE.
  core::Result<std::size_t> update(std::string_view sql, const SqlParams& params = {});
  core::Result<std::vector<SqlRow>> query(std::string_view sql, const SqlParams& params = {});
  Dialect dialect() const { return dialect_; }
  // The statement text for this dialect (placeholders rewritten).
  std::string text(std::string_view sql) const;

 private:
  Poco::Data::Session& session_;
  Dialect dialect_;
  StatementCache* cache_;
};

}  // namespace onedoor::storage
