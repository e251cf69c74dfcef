#pragma once
// SqlStore: the Store over SQL through Poco::Data, for SQLite (WAL, synchronous=FULL) and
// PostgreSQL. Reads use a blocking pool of sessions; all writes go through one writer thread
// that groups concurrent units into one transaction (group commit).

#include <memory>
#include <string>

#include "core/status.h"
#include "storage/store.h"

namespace onedoor::storage {

struct StoreOptions {
  std::uint32_t read_pool_size = 8;
  std::uint32_t max_batch = 256;
};

// Opens (creating if needed, and migrating) the SQLite database at `path`.
core::Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path,
                                                     const StoreOptions& options);
// Loads and registers Poco's PostgreSQL connector (once; kept out of the link, see sql_store.cpp).
core::Status loadPostgresConnector();
// Opens (and migrates) the PostgreSQL database named by a libpq connection string.
core::Result<std::unique_ptr<Store>> openPostgresStore(const std::string& url,
                                                       const StoreOptions& options);

}  // namespace onedoor::storage
