// Running a search: the matching set, ordered by _sort keys with keyset paging, the count and
// the includes.
#include <algorithm>
#include <map>
#include <set>

#include "storage/sql_search.h"

namespace onedoor::storage {

const char* const kRecordColumns =
    "v.rtype, v.rid, v.version, v.last_updated, v.last_updated_ms, v.method, v.deleted, v.body, "
    "v.seq";

ResourceRecord toRecord(const SqlRow& r) {
  ResourceRecord rec;
  rec.type = asString(r[0]);
  rec.id = asString(r[1]);
  rec.version = asInt(r[2]);
  rec.last_updated = asString(r[3]);
  rec.last_updated_ms = asInt(r[4]);
  rec.method = asString(r[5]);
  rec.deleted = asInt(r[6]) != 0;
  rec.json = asString(r[7]);
  rec.seq = asInt(r[8]);
  return rec;
}

core::Result<std::vector<ResourceRecord>> fetchRecords(Sql& sql, const std::vector<std::int64_t>& res) {
  std::vector<ResourceRecord> out;
  if (res.empty()) return out;
  std::map<std::int64_t, ResourceRecord> by_res;
  for (std::size_t start = 0; start < res.size(); start += 500) {
    std::string q = std::string("SELECT c.res, ") + kRecordColumns +
                    " FROM resource_current c JOIN resource_version v ON v.seq = c.seq WHERE c.res IN (";
    SqlParams params;
    for (std::size_t i = start; i < std::min(res.size(), start + 500); ++i) {
      q += i > start ? ", ?" : "?";
      params.emplace_back(res[i]);
    }
    q += ")";
    GW_ASSIGN_OR_RETURN(auto rows, sql.query(q, params));
    for (auto& r : rows) {
      std::int64_t key = asInt(r[0]);
      r.erase(r.begin());
      by_res.emplace(key, toRecord(r));
    }
  }
  for (auto id : res) {
    auto it = by_res.find(id);
    if (it != by_res.end()) out.push_back(it->second);
  }
  return out;
}

namespace {

using search::ParamType;

constexpr double kHigh = 9.0e18;
const std::string kHighString = "\xF4\x8F\xBF\xBF";

// The ORDER BY expression of a sort key, never NULL (missing values sort last).
std::string sortExpr(const search::SortKey& k, SqlParams& params) {
  if (k.code == "_id") return "c.rid";
  if (k.code == "_lastUpdated") return "c.last_updated_ms";
  std::string column;
  bool text = true;
  switch (k.param->type) {
    case ParamType::kString: column = "s1"; break;
    case ParamType::kToken: column = "s2"; break;
    case ParamType::kReference: column = "s3"; break;
    case ParamType::kUri: column = "s1"; break;
    case ParamType::kDate: column = k.descending ? "i2" : "i1"; text = false; break;
    default: column = "n1"; text = false; break;
  }
  params.emplace_back(k.code);
  std::string agg = k.descending ? "MAX" : "MIN";
  std::string missing = text ? (k.descending ? "''" : "?") : (k.descending ? "-9.0e18" : "9.0e18");
  std::string sub = "(SELECT " + agg + "(s." + column + ") FROM search_index s WHERE s.res = c.res AND s.param = ?)";
  if (text && !k.descending) {
    params.emplace_back(kHighString);
  }
  return "COALESCE(" + sub + ", " + missing + ")";
}

// Cursor: direction ('n' next / 'p' previous), then the sort values and res of the row it
// continues from, each typed (s: string, n: number), joined by \x1f and base64url-encoded.
std::string b64url(const std::string& in) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += {k[(v >> 18) & 63], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    if (i + 1 < in.size()) out += k[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> unb64url(const std::string& in) {
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '-' ? 62 : c == '_' ? 63 : -1;
    if (v < 0) return std::nullopt;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xFF);
    }
  }
  return out;
}

struct Cursor {
  bool previous = false;
  std::vector<SqlValue> keys;
  std::int64_t res = 0;
};

bool numericKey(const search::SortKey& k) {
  if (k.code == "_lastUpdated") return true;
  if (k.code == "_id" || k.param == nullptr) return false;
  auto t = k.param->type;
  return t == ParamType::kDate || t == ParamType::kNumber || t == ParamType::kQuantity;
}

std::string encodeCursor(bool previous, const SqlRow& row, const std::vector<search::SortKey>& sort) {
  std::string s(previous ? "p" : "n");
  for (std::size_t i = 0; i < sort.size(); ++i) {
    const SqlValue& v = row[2 + i];
    s += '\x1f';
    if (!numericKey(sort[i])) {
      s += "s" + asString(v);
    } else {
      // Database drivers may hand computed columns back as text: read the number from either.
      double d = std::holds_alternative<double>(v)         ? std::get<double>(v)
                 : std::holds_alternative<std::int64_t>(v) ? static_cast<double>(std::get<std::int64_t>(v))
                                                           : std::strtod(asString(v).c_str(), nullptr);
      char buf[64];
      std::snprintf(buf, sizeof buf, "n%.17g", d);
      s += buf;
    }
  }
  s += '\x1f';
  s += std::to_string(asInt(row[0]));
  return b64url(s);
}

core::Result<Cursor> decodeCursor(const std::string& text, std::size_t nkeys) {
  auto raw = unb64url(text);
  core::Status bad = core::invalid("_cursor is not a cursor this search gave out", "_cursor");
  if (!raw || raw->empty()) return bad;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto sep = raw->find('\x1f', start);
    parts.push_back(raw->substr(start, sep == std::string::npos ? std::string::npos : sep - start));
    if (sep == std::string::npos) break;
    start = sep + 1;
  }
  if (parts.size() != nkeys + 2 || (parts[0] != "n" && parts[0] != "p")) return bad;
  Cursor c;
  c.previous = parts[0] == "p";
  for (std::size_t i = 1; i <= nkeys; ++i) {
    if (parts[i].empty()) return bad;
    if (parts[i][0] == 's') {
      c.keys.emplace_back(parts[i].substr(1));
    } else {
      c.keys.emplace_back(std::strtod(parts[i].c_str() + 1, nullptr));
    }
  }
  char* end = nullptr;
  c.res = std::strtoll(parts.back().c_str(), &end, 10);
  if (end == parts.back().c_str() || *end != '\0') return bad;
  return c;
}

// (k1, ..., res) after (or before) the cursor row, honouring each key's direction.
std::string keyset(const std::vector<search::SortKey>& sort, const Cursor& cur, bool forward, SqlParams& params) {
  std::string sql = "(";
  std::size_t n = sort.size();
  for (std::size_t i = 0; i <= n; ++i) {
    if (i) sql += " OR ";
    sql += "(";
    for (std::size_t j = 0; j < i; ++j) {
      sql += "q.k" + std::to_string(j) + " = ? AND ";
      params.push_back(cur.keys[j]);
    }
    if (i < n) {
      // Forward over an ascending key, or backward over a descending one, goes up.
      bool greater = forward != sort[i].descending;
      sql += "q.k" + std::to_string(i) + (greater ? " > ?" : " < ?");
      params.push_back(cur.keys[i]);
    } else {
      sql += forward ? "q.res > ?" : "q.res < ?";
      params.emplace_back(cur.res);
    }
    sql += ")";
  }
  return sql + ")";
}

core::Status includes(Sql& sql, const search::SearchQuery& q, SearchPage& page) {
  std::set<std::pair<std::string, std::string>> have;
  for (const auto& r : page.matches) have.emplace(r.type, r.id);
  std::vector<ResourceRecord> frontier = page.matches;
  for (int round = 0; round < 4 && !frontier.empty(); ++round) {
    std::vector<std::int64_t> found;
    std::map<std::string, std::vector<std::string>> by_type;
    for (const auto& r : frontier) by_type[r.type].push_back(r.id);
    for (const auto& inc : q.includes) {
      if (round > 0 && !inc.iterate) continue;
      if (!inc.reverse) {
        auto ids = by_type.find(inc.source_type);
        if (ids == by_type.end()) continue;
        std::string s = "SELECT t.res FROM search_index i JOIN resource_current s ON s.res = i.res JOIN resource_current t "
                        "ON t.rtype = i.s1 AND t.rid = i.s2 AND t.deleted = 0 WHERE s.rtype = ? AND i.param = ? AND s.rid IN (";
        SqlParams p{inc.source_type, inc.param};
        for (std::size_t k = 0; k < ids->second.size(); ++k) {
          s += k ? ", ?" : "?";
          p.emplace_back(ids->second[k]);
        }
        s += ")";
        if (!inc.target_type.empty()) {
          s += " AND i.s1 = ?";
          p.emplace_back(inc.target_type);
        }
        GW_ASSIGN_OR_RETURN(auto rows, sql.query(s, p));
        for (const auto& r : rows) found.push_back(asInt(r[0]));
      } else {
        for (const auto& [type, ids] : by_type) {
          if (!inc.target_type.empty() && inc.target_type != type) continue;
          std::string s = "SELECT i.res FROM search_index i JOIN resource_current c ON c.res = i.res AND c.deleted = 0 "
                          "WHERE i.rtype = ? AND i.param = ? AND i.s1 = ? AND i.s2 IN (";
          SqlParams p{inc.source_type, inc.param, type};
          for (std::size_t k = 0; k < ids.size(); ++k) {
            s += k ? ", ?" : "?";
            p.emplace_back(ids[k]);
          }
          s += ")";
          GW_ASSIGN_OR_RETURN(auto rows, sql.query(s, p));
          for (const auto& r : rows) found.push_back(asInt(r[0]));
        }
      }
    }
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    if (found.size() > 1000) found.resize(1000);
    GW_ASSIGN_OR_RETURN(auto records, fetchRecords(sql, found));
    frontier.clear();
    for (auto& r : records) {
      if (!have.emplace(r.type, r.id).second) continue;
      frontier.push_back(r);
      page.included.push_back(std::move(r));
    }
  }
  return core::Status::ok();
}

}  // namespace

core::Result<SearchPage> runSearch(Sql& sql, const search::SearchQuery& q) {
  SqlFragment where;
  where.sql = "c.deleted = 0 AND ";
  if (q.types.empty() || drivesByKey(q.criteria)) {
    // A driving criterion already restricts the types through search_index; repeating the
    // filter here would tempt the planner into scanning resource_current by type.
    where.sql += "1 = 1";
  } else if (q.types.size() == 1) {
    where.sql += "c.rtype = ?";
    where.params.emplace_back(q.types.front());
  } else {
    where.sql += "c.rtype IN (";
    for (std::size_t i = 0; i < q.types.size(); ++i) {
      where.sql += i ? ", ?" : "?";
      where.params.emplace_back(q.types[i]);
    }
    where.sql += ")";
  }
  GW_RETURN_IF_ERROR(criteriaSql(q.criteria, q.types, "c", where));

  SearchPage page;
  if (q.total != "none") {
    GW_ASSIGN_OR_RETURN(auto rows, sql.query("SELECT COUNT(*) FROM resource_current c WHERE " + where.sql, where.params));
    page.total = rows.empty() ? 0 : asInt(rows.front()[0]);
  }
  if (q.count == 0) return page;

  SqlParams params;
  std::string select = "SELECT c.res AS res, c.rid AS rid";
  for (std::size_t i = 0; i < q.sort.size(); ++i) {
    select += ", " + sortExpr(q.sort[i], params) + " AS k" + std::to_string(i);
  }
  select += " FROM resource_current c WHERE " + where.sql;
  params.insert(params.end(), where.params.begin(), where.params.end());
  std::optional<Cursor> cursor;
  if (!q.cursor.empty()) {
    GW_ASSIGN_OR_RETURN(Cursor c, decodeCursor(q.cursor, q.sort.size()));
    cursor = c;
  }
  bool backwards = cursor && cursor->previous;
  std::string outer = "SELECT q.res, q.rid";
  for (std::size_t i = 0; i < q.sort.size(); ++i) outer += ", q.k" + std::to_string(i);
  outer += " FROM (" + select + ") q";
  if (cursor) outer += " WHERE " + keyset(q.sort, *cursor, !backwards, params);
  outer += " ORDER BY ";
  for (std::size_t i = 0; i < q.sort.size(); ++i) {
    bool desc = q.sort[i].descending != backwards;
    outer += "q.k" + std::to_string(i) + (desc ? " DESC, " : " ASC, ");
  }
  outer += backwards ? "q.res DESC" : "q.res ASC";
  outer += " LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(q.count) + 1);
  GW_ASSIGN_OR_RETURN(auto rows, sql.query(outer, params));
  bool more = rows.size() > q.count;
  if (more) rows.pop_back();
  if (backwards) std::reverse(rows.begin(), rows.end());
  std::vector<std::int64_t> res;
  for (const auto& r : rows) res.push_back(asInt(r[0]));
  GW_ASSIGN_OR_RETURN(page.matches, fetchRecords(sql, res));
  if (!rows.empty()) {
    bool has_next = backwards ? true : more;
    bool has_prev = backwards ? more : cursor.has_value();
    if (has_next) page.next_cursor = encodeCursor(false, rows.back(), q.sort);
    if (has_prev) page.prev_cursor = encodeCursor(true, rows.front(), q.sort);
  }
  if (!q.includes.empty()) GW_RETURN_IF_ERROR(includes(sql, q, page));
  return page;
}

core::Result<std::vector<ResourceRecord>> runFind(Sql& sql, const search::SearchQuery& q, std::size_t limit) {
  SqlFragment where;
  where.sql = "SELECT c.res FROM resource_current c WHERE c.deleted = 0";
  if (!drivesByKey(q.criteria)) {
    where.sql += " AND c.rtype = ?";
    where.params.emplace_back(q.types.empty() ? std::string() : q.types.front());
  }
  GW_RETURN_IF_ERROR(criteriaSql(q.criteria, q.types, "c", where));
  where.sql += " ORDER BY c.res LIMIT ?";
  where.params.emplace_back(static_cast<std::int64_t>(limit));
  GW_ASSIGN_OR_RETURN(auto rows, sql.query(where.sql, where.params));
  std::vector<std::int64_t> res;
  for (const auto& r : rows) res.push_back(asInt(r[0]));
  return fetchRecords(sql, res);
}

}  // namespace onedoor::storage
