#include "storage/migrations.h"

#include <algorithm>
#include <ctime>

namespace onedoor::storage {
namespace {

// Splits a migration into statements at semicolons that end a line; comments are dropped.
std::vector<std::string> statements(const std::string& sql) {
  std::vector<std::string> out;
  std::string current;
  std::size_t pos = 0;
  while (pos < sql.size()) {
    std::size_t eol = sql.find('\n', pos);
    std::string line = sql.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    pos = eol == std::string::npos ? sql.size() : eol + 1;
    std::size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line.compare(first, 2, "--") == 0) continue;
    current += line;
    current += '\n';
    std::size_t last = line.find_last_not_of(" \t\r");
    if (line[last] == ';') {
      out.push_back(current);
      current.clear();
    }
  }
  if (current.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(current);
  return out;
}

}  // namespace

namespace {

core::Status migrateLocked(Sql& sql) {
  GW_RETURN_IF_ERROR(sql.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
  GW_ASSIGN_OR_RETURN(auto rows, sql.query("SELECT version FROM schema_migrations"));
  std::vector<std::int64_t> applied;
  for (const auto& r : rows) applied.push_back(asInt(r[0]));
  for (const Migration& m : migrations(sql.dialect())) {
    if (std::find(applied.begin(), applied.end(), m.version) != applied.end()) continue;
    GW_RETURN_IF_ERROR(sql.exec(sql.dialect() == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN"));
    core::Status st;
    for (const std::string& s : statements(m.sql)) {
      st = sql.exec(s);
      if (!st.isOk()) break;
    }
    if (st.isOk()) {
      std::time_t now = std::time(nullptr);
      st = sql.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    {static_cast<std::int64_t>(m.version), m.name, std::to_string(now)});
    }
    if (!st.isOk()) {
      (void)sql.exec("ROLLBACK");
      return core::internal("migration " + std::to_string(m.version) + " (" + m.name +
                            ") failed: " + st.message());
    }
    GW_RETURN_IF_ERROR(sql.exec("COMMIT"));
  }
  return core::Status::ok();
}

}  // namespace

core::Status migrate(Sql& sql) {
  if (sql.dialect() != Dialect::kPostgres) return migrateLocked(sql);  // SQLite: BEGIN IMMEDIATE serialises
  // Several gateways starting at once on one PostgreSQL database: one migrates, the others wait
  // for it and then find nothing left to do.
  constexpr std::int64_t kMigrationLock = 0x4f6e65446f6f72;  // "OneDoor"
  GW_RETURN_IF_ERROR(sql.query("SELECT pg_advisory_lock(?)", {kMigrationLock}).status());
  core::Status st = migrateLocked(sql);
  (void)sql.query("SELECT pg_advisory_unlock(?)", {kMigrationLock});
  return st;
}

}  // namespace onedoor::storage
