#pragma once
// SQL for FHIR search over the search_index table: criteria, chains, _has, compartments, sort
// with keyset paging, counts and includes. Every value is a bound parameter.

#include <string>
#include <vector>

#include "search/query.h"
#include "storage/sql.h"
#include "storage/store.h"

namespace onedoor::storage {

struct SqlFragment {
  std::string sql;
  SqlParams params;
};

// " AND a.res IN (...) AND EXISTS (...) ..." for the criteria, on the resource_current alias
// `alias`; the most selective-looking criterion drives (looked up by key), the rest probe.
core::Status criteriaSql(const std::vector<search::Criterion>& criteria,
                         const std::vector<std::string>& types, const std::string& alias,
                         SqlFragment& out);

// True when the criteria include one that can drive the search by key (so the caller need not
// filter resource_current by type itself, which would invite a scan).
bool drivesByKey(const std::vector<search::Criterion>& criteria);

core::Result<SearchPage> runSearch(Sql& sql, const search::SearchQuery& query);
core::Result<std::vector<ResourceRecord>> runFind(Sql& sql, const search::SearchQuery& query,
                                                  std::size_t limit);

// The common record columns and their reader (shared with the store).
extern const char* const kRecordColumns;
ResourceRecord toRecord(const SqlRow& row);
core::Result<std::vector<ResourceRecord>> fetchRecords(Sql& sql, const std::vector<std::int64_t>& res);

}  // namespace onedoor::storage
