#pragma once
// Schema migrations, embedded from storage/migrations/<dialect>/NNN_name.sql at build time and
// applied in order at start-up; schema_migrations records what has run.

#include <string>
#include <vector>

#include "core/status.h"
#include "storage/sql.h"

namespace onedoor::storage {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

const std::vector<Migration>& migrations(Dialect dialect);  // generated (migrations_embedded.cpp)

// Applies every migration not yet recorded, each in its own transaction.
core::Status migrate(Sql& sql);

}  // namespace onedoor::storage
