#include "storage/sql_store.h"

#include <map>

#include <set>

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Exception.h>
#include <Poco/SharedLibrary.h>
#include <sqlite3.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/env.h"
#include "storage/migrations.h"
#include "storage/session_pool.h"
#include "storage/sql.h"
#include "storage/sql_search.h"

namespace onedoor::storage {
namespace {

const char* const kVersionColumns = kRecordColumns;

SqlValue optText(const std::optional<std::string>& v) { return v ? SqlValue(*v) : SqlValue(nullptr); }
SqlValue optReal(const std::optional<double>& v) { return v ? SqlValue(*v) : SqlValue(nullptr); }
SqlValue optInt(const std::optional<std::int64_t>& v) { return v ? SqlValue(*v) : SqlValue(nullptr); }

// Replaces the index rows of one resource.
core::Status writeIndex(Sql& sql, std::int64_t res, const std::string& type, const std::vector<search::IndexRow>& rows) {
  GW_RETURN_IF_ERROR(sql.exec("DELETE FROM search_index WHERE res = ?", {res}));
  for (const auto& r : rows) {
    GW_RETURN_IF_ERROR(sql.exec(
        "INSERT INTO search_index (res, rtype, param, s1, s2, s3, s4, s5, n1, n2, i1, i2) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {res, type, r.param, optText(r.s1), optText(r.s2), optText(r.s3), optText(r.s4), optText(r.s5),
         optReal(r.n1), optReal(r.n2), optInt(r.i1), optInt(r.i2)}));
  }
  return core::Status::ok();
}

class SqlWriteTx : public WriteTx {
 public:
  SqlWriteTx(Sql& sql, std::uint64_t& puts, std::set<std::string>& types) : sql_(sql), puts_(puts), types_(types) {}

  core::Result<std::optional<ResourceRecord>> current(const std::string& type,
                                                      const std::string& id) override {
    GW_ASSIGN_OR_RETURN(auto rows,
                        sql_.query(std::string("SELECT ") + kVersionColumns +
                                       " FROM resource_current c JOIN resource_version v ON "
                                       "v.seq = c.seq WHERE c.rtype = ? AND c.rid = ?",
                                   {type, id}));
    if (rows.empty()) return std::optional<ResourceRecord>();
    return std::optional<ResourceRecord>(toRecord(rows.front()));
  }

  Sql& sql() override { return sql_; }

  core::Status lock(const std::string& key) override {
    if (sql_.dialect() != Dialect::kPostgres) return core::Status::ok();
    return sql_.query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext(?))) AS held", {key}).status();
  }

  core::Status put(ResourceRecord& rec, const std::vector<search::IndexRow>& rows) override {
    types_.insert(rec.type);
    GW_ASSIGN_OR_RETURN(auto cur, sql_.query("SELECT version FROM resource_current WHERE rtype = ? "
                                             "AND rid = ?",
                                             {rec.type, rec.id}));
    std::int64_t expected = cur.empty() ? 1 : asInt(cur.front()[0]) + 1;
    if (rec.version != expected) {
      return core::Status(core::Code::kConflict,
                          "version conflict on " + rec.type + "/" + rec.id + ": expected version " +
                              std::to_string(expected) + ", got " + std::to_string(rec.version));
    }
    GW_ASSIGN_OR_RETURN(
        auto ins,
        sql_.query("INSERT INTO resource_version (rtype, rid, version, last_updated, "
                   "last_updated_ms, method, deleted, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                   "RETURNING seq",
                   {rec.type, rec.id, rec.version, rec.last_updated, rec.last_updated_ms,
                    rec.method, static_cast<std::int64_t>(rec.deleted ? 1 : 0), rec.json}));
    if (ins.empty()) return core::internal("insert returned no sequence number");
    rec.seq = asInt(ins.front()[0]);
    GW_ASSIGN_OR_RETURN(
        auto cur_row,
        sql_.query("INSERT INTO resource_current (rtype, rid, version, seq, deleted, last_updated_ms) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (rtype, rid) DO UPDATE SET version = "
                   "excluded.version, seq = excluded.seq, deleted = excluded.deleted, last_updated_ms = "
                   "excluded.last_updated_ms RETURNING res",
                   {rec.type, rec.id, rec.version, rec.seq, static_cast<std::int64_t>(rec.deleted ? 1 : 0),
                    rec.last_updated_ms}));
    if (cur_row.empty()) return core::internal("upsert returned no key");
    ++puts_;
    return writeIndex(sql_, asInt(cur_row.front()[0]), rec.type, rec.deleted ? std::vector<search::IndexRow>{} : rows);
  }

  core::Result<std::vector<ResourceRecord>> find(const search::SearchQuery& query, std::size_t limit) override {
    return runFind(sql_, query, limit);
  }

 private:
  Sql& sql_;
  std::uint64_t& puts_;
  std::set<std::string>& types_;  // types written in this batch
};

class SqlStore : public Store {
 public:
  SqlStore(Dialect dialect, SessionPool::Factory factory, const StoreOptions& options)
      : dialect_(dialect),
        factory_(factory),
        readers_(factory, options.read_pool_size),
        max_batch_(options.max_batch) {}

  ~SqlStore() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

  core::Status start() {
    try {
      writer_session_ = std::make_unique<Poco::Data::Session>(factory_());
      writer_cache_ = SessionPool::cacheFor(*writer_session_);
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "cannot open the database: " + e.displayText());
    }
    Sql sql(*writer_session_, dialect_, writer_cache_.get());
    if (dialect_ == Dialect::kSqlite) {
      GW_RETURN_IF_ERROR(sql.exec("PRAGMA journal_mode=WAL"));
      GW_RETURN_IF_ERROR(sql.exec("PRAGMA synchronous=FULL"));
      // Each unit's savepoint copies the pages it changes into a statement journal: in memory (a
      // group commit's units touch a few hundred KiB at most) instead of a temporary file that
      // SQLite creates, writes page by page and deletes in every transaction past 64 KiB.
      GW_RETURN_IF_ERROR(sql.exec("PRAGMA temp_store=MEMORY"));
    }
    GW_RETURN_IF_ERROR(migrate(sql));
    if (dialect_ == Dialect::kSqlite) {
      // Fresh statistics for the data already there (none on a new database).
      (void)sql.exec("PRAGMA analysis_limit=1000");
      (void)sql.exec("ANALYZE");
    }
    writer_ = std::thread([this] {
      core::nameThisThread("od-store-write");
      writerLoop();
    });
    return core::Status::ok();
  }

  std::string driver() const override {
    return dialect_ == Dialect::kSqlite ? "sqlite" : "postgresql";
  }

  core::Result<std::optional<ResourceRecord>> read(const std::string& type,
                                                   const std::string& id) override {
    return one(std::string("SELECT ") + kVersionColumns +
                   " FROM resource_current c JOIN resource_version v ON v.seq = c.seq "
                   "WHERE c.rtype = ? AND c.rid = ?",
               {type, id});
  }

  core::Result<std::optional<ResourceRecord>> vread(const std::string& type, const std::string& id,
                                                    std::int64_t version) override {
    return one(std::string("SELECT ") + kVersionColumns +
                   " FROM resource_version v WHERE v.rtype = ? AND v.rid = ? AND v.version = ?",
               {type, id, version});
  }

  core::Result<HistoryPage> history(const HistoryQuery& q) override {
    std::string where = " WHERE 1 = 1";
    SqlParams params;
    if (!q.type.empty()) {
      where += " AND v.rtype = ?";
      params.emplace_back(q.type);
    }
    if (!q.id.empty()) {
      where += " AND v.rid = ?";
      params.emplace_back(q.id);
    }
    if (q.since_ms) {
      where += " AND v.last_updated_ms >= ?";
      params.emplace_back(*q.since_ms);
    }
    HistoryPage page;
    auto lease = readers_.acquire();
    Sql sql(*lease, dialect_, lease.cache());
    GW_ASSIGN_OR_RETURN(auto total,
                        sql.query("SELECT CAST(COUNT(*) AS INTEGER) FROM resource_version v" + where,
                                  params));
    page.total = total.empty() ? 0 : asInt(total.front()[0]);
    if (q.before_seq > 0) {
      where += " AND v.seq < ?";
      params.emplace_back(q.before_seq);
    }
    params.emplace_back(static_cast<std::int64_t>(q.count) + 1);
    GW_ASSIGN_OR_RETURN(auto rows, sql.query(std::string("SELECT ") + kVersionColumns +
                                                 " FROM resource_version v" + where +
                                                 " ORDER BY v.seq DESC LIMIT ?",
                                             params));
    for (const auto& r : rows) page.records.push_back(toRecord(r));
    if (page.records.size() > q.count) {
      page.records.pop_back();
      page.more = true;
    }
    return page;
  }

  using Store::write;
  core::Status write(const WriteUnit& unit, WriteMode mode) override {
    if (std::this_thread::get_id() == writer_.get_id()) {
      return core::internal("a write unit may not start another write");
    }
    Pending p{&unit, mode, {}};
    auto done = p.result.get_future();
    {
      std::lock_guard lock(mu_);
      if (stop_) return core::Status(core::Code::kUnavailable, "store is shutting down");
      queue_.push_back(&p);
    }
    cv_.notify_one();
    return done.get();
  }

  core::Result<SearchPage> search(const search::SearchQuery& query) override {
    try {
      auto lease = readers_.acquire();
      Sql sql(*lease, dialect_, lease.cache());
      return runSearch(sql, query);
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "database unreachable: " + e.displayText());
    }
  }

  core::Result<std::optional<std::string>> getMeta(const std::string& name) override {
    try {
      auto lease = readers_.acquire();
      Sql sql(*lease, dialect_, lease.cache());
      GW_ASSIGN_OR_RETURN(auto rows, sql.query("SELECT value FROM store_meta WHERE name = ?", {name}));
      if (rows.empty()) return std::optional<std::string>();
      return std::optional<std::string>(asString(rows.front()[0]));
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "database unreachable: " + e.displayText());
    }
  }

  core::Status setMeta(const std::string& name, const std::string& value) override {
    return write([&](WriteTx&) {
      Sql sql(*writer_session_, dialect_, writer_cache_.get());
      return sql.exec("INSERT INTO store_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                      {name, value});
    });
  }

  core::Result<bool> rememberOnce(const std::string& key, std::int64_t expires_ms, std::int64_t now_ms) override {
    bool first = false;
    GW_RETURN_IF_ERROR(write([&](WriteTx&) -> core::Status {
      Sql sql(*writer_session_, dialect_, writer_cache_.get());
      GW_RETURN_IF_ERROR(sql.exec("DELETE FROM once_keys WHERE expires_ms < ?", {now_ms}));
      GW_ASSIGN_OR_RETURN(auto rows, sql.query("SELECT 1 FROM once_keys WHERE key = ?", {key}));
      if (!rows.empty()) return core::Status::ok();
      // Another instance inserting the same key at once makes this fail: a replay either way.
      GW_RETURN_IF_ERROR(sql.exec("INSERT INTO once_keys (key, expires_ms) VALUES (?, ?)", {key, expires_ms}));
      first = true;
      return core::Status::ok();
    }));
    return first;
  }

  core::Status grantBreakGlass(const std::string& partner, const std::string& patient, std::int64_t expires_ms,
                               const std::string& reason) override {
    return write([&](WriteTx&) {
      Sql sql(*writer_session_, dialect_, writer_cache_.get());
      return sql.exec("INSERT INTO break_glass (partner, patient, expires_ms, reason) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT (partner, patient) DO UPDATE SET expires_ms = excluded.expires_ms, reason = excluded.reason",
                      {partner, patient, expires_ms, reason});
    });
  }

  core::Result<bool> hasBreakGlass(const std::string& partner, const std::string& patient, std::int64_t now_ms) override {
    try {
      auto lease = readers_.acquire();
      Sql sql(*lease, dialect_, lease.cache());
      GW_ASSIGN_OR_RETURN(auto rows, sql.query("SELECT 1 FROM break_glass WHERE partner = ? AND patient = ? AND expires_ms > ?",
                                               {partner, patient, now_ms}));
      return !rows.empty();
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "database unreachable: " + e.displayText());
    }
  }

  core::Status reindex(const std::function<std::vector<search::IndexRow>(const ResourceRecord&)>& index) override {
    std::int64_t after = 0;
    while (true) {
      std::vector<std::pair<std::int64_t, ResourceRecord>> batch;
      {
        auto lease = readers_.acquire();
        Sql sql(*lease, dialect_, lease.cache());
        GW_ASSIGN_OR_RETURN(auto rows, sql.query(std::string("SELECT c.res, ") + kRecordColumns +
                                                     " FROM resource_current c JOIN resource_version v ON v.seq = c.seq "
                                                     "WHERE c.res > ? AND c.deleted = 0 ORDER BY c.res LIMIT 500",
                                                 {after}));
        for (auto& r : rows) {
          std::int64_t res = asInt(r[0]);
          r.erase(r.begin());
          batch.emplace_back(res, toRecord(r));
        }
      }
      if (batch.empty()) return core::Status::ok();
      std::vector<std::vector<search::IndexRow>> rows;
      for (const auto& [res, rec] : batch) rows.push_back(index(rec));
      GW_RETURN_IF_ERROR(write([&](WriteTx&) {
        Sql sql(*writer_session_, dialect_, writer_cache_.get());
        for (std::size_t i = 0; i < batch.size(); ++i) {
          GW_RETURN_IF_ERROR(writeIndex(sql, batch[i].first, batch[i].second.type, rows[i]));
        }
        return core::Status::ok();
      }));
      after = batch.back().first;
    }
  }

  core::Result<InboundReceipt> recordInbound(const std::string& partner, const std::string& control_id,
                                             const std::string& format, const std::string& body,
                                             const std::string& status, const std::string& detail,
                                             std::int64_t received_ms) override {
    InboundReceipt receipt;
    const InboundMessage message{partner, control_id, format, body, status, detail, received_ms};
    GW_RETURN_IF_ERROR(write([&](WriteTx& tx) -> core::Status {
      GW_ASSIGN_OR_RETURN(receipt, keepInbound(tx, message));
      return core::Status::ok();
    }));
    return receipt;
  }

  std::optional<std::uint64_t> localWriteGeneration(const std::string& type) const override {
    // One SQLite file is served by one gateway process; a PostgreSQL database by several.
    if (dialect_ != Dialect::kSqlite) return std::nullopt;
    std::lock_guard lock(generations_mu_);
    auto it = generations_.find(type);
    return it == generations_.end() ? 0 : it->second;
  }

  core::Result<std::vector<SqlRow>> query(std::string_view text, const SqlParams& params) override {
    try {
      auto lease = readers_.acquire();
      Sql sql(*lease, dialect_, lease.cache());
      return sql.query(text, params);
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "database unreachable: " + e.displayText());
    }
  }

  core::Status ping() override {
    try {
      auto lease = readers_.acquire();
      Sql sql(*lease, dialect_, lease.cache());
      return sql.query("SELECT 1").status();
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "database unreachable: " + e.displayText());
    }
  }

 private:
  struct Pending {
    const WriteUnit* unit;
    WriteMode mode;
    std::promise<core::Status> result;
  };

  core::Result<std::optional<ResourceRecord>> one(const std::string& q, const SqlParams& params) {
    try {
      auto lease = readers_.acquire();
      Sql sql(*lease, dialect_, lease.cache());
      GW_ASSIGN_OR_RETURN(auto rows, sql.query(q, params));
      if (rows.empty()) return std::optional<ResourceRecord>();
      return std::optional<ResourceRecord>(toRecord(rows.front()));
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "database unreachable: " + e.displayText());
    }
  }

  void writerLoop() {
    while (true) {
      std::vector<Pending*> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty() && stop_) return;
        while (!queue_.empty() && batch.size() < max_batch_) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      runBatch(batch);
    }
  }

  void runBatch(const std::vector<Pending*>& batch) {
    Sql sql(*writer_session_, dialect_, writer_cache_.get());
    std::vector<core::Status> results(batch.size());
    std::set<std::string> written;
    core::Status begin = sql.exec(dialect_ == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    if (!begin.isOk()) {
      for (auto* p : batch) p->result.set_value(begin);
      return;
    }
    // SQLite counts the rows each statement changes: how a unit without a savepoint that failed
    // is known to have written nothing (PostgreSQL units always have their savepoint).
    sqlite3* db = dialect_ == Dialect::kSqlite ? Poco::Data::SQLite::Utility::dbHandle(*writer_session_) : nullptr;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const bool light = db != nullptr && batch[i]->mode == WriteMode::kChecksFirst;
      const sqlite3_int64 changes_before = light ? sqlite3_total_changes64(db) : 0;
      core::Status st = light ? core::Status::ok() : sql.exec("SAVEPOINT unit");
      if (st.isOk()) {
        SqlWriteTx tx(sql, puts_since_analyze_, written);
        try {
          st = (*batch[i]->unit)(tx);
        } catch (const Poco::Exception& e) {
          st = core::internal("write failed: " + e.displayText());
        } catch (const std::exception& e) {
          st = core::internal(std::string("write failed: ") + e.what());
        }
        if (light) {
          if (!st.isOk() && sqlite3_total_changes64(db) != changes_before) {
            abandonBatch(sql, batch, i, st);
            return;
          }
        } else {
          if (!st.isOk()) (void)sql.exec("ROLLBACK TO SAVEPOINT unit");
          core::Status rel = sql.exec("RELEASE SAVEPOINT unit");
          if (st.isOk() && !rel.isOk()) st = rel;
        }
      }
      results[i] = st;
    }
    core::Status commit = sql.exec("COMMIT");
    if (!commit.isOk()) {
      (void)sql.exec("ROLLBACK");
      for (auto& r : results) {
        if (r.isOk()) r = core::Status(core::Code::kUnavailable, "commit failed: " + commit.message());
      }
    }
    // Bumped after the commit and before anyone hears of it, so that a cache filled from a read
    // that began before this write never outlives it.
    if (!written.empty()) {
      std::lock_guard lock(generations_mu_);
      for (const auto& t : written) ++generations_[t];
    }
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->result.set_value(results[i]);
    maybeAnalyze(sql);
  }

  // A unit without a savepoint failed after writing: nothing of the batch may be committed. It
  // fails with its own error, the others as unavailable (nothing of them was written either).
  void abandonBatch(Sql& sql, const std::vector<Pending*>& batch, std::size_t failed, const core::Status& why) {
    (void)sql.exec("ROLLBACK");
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i]->result.set_value(i == failed ? why
                                             : core::Status(core::Code::kUnavailable,
                                                            "the write was rolled back with the writes it shared a commit "
                                                            "with (one of them failed half-way): try again"));
    }
  }

  // Keeps the query planner's statistics current as the data grows (SQLite has no autovacuum
  // analyze): whenever the resource versions written since the last run reach the threshold,
  // which doubles each time. analysis_limit keeps each run to a bounded sample.
  void maybeAnalyze(Sql& sql) {
    if (dialect_ != Dialect::kSqlite || puts_since_analyze_ < analyze_threshold_) return;
    (void)sql.exec("PRAGMA analysis_limit=1000");
    (void)sql.exec("ANALYZE");
    analyze_threshold_ = std::max<std::uint64_t>(analyze_threshold_ * 2, puts_since_analyze_);
    puts_since_analyze_ = 0;
  }

  Dialect dialect_;
  mutable std::mutex generations_mu_;
  std::map<std::string, std::uint64_t> generations_;
  SessionPool::Factory factory_;
  SessionPool readers_;
  std::uint32_t max_batch_;
  std::unique_ptr<Poco::Data::Session> writer_session_;
  std::unique_ptr<StatementCache> writer_cache_;  // after the session: destroyed first
  std::thread writer_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending*> queue_;
  bool stop_ = false;
  std::uint64_t puts_since_analyze_ = 0;  // writer thread only
  std::uint64_t analyze_threshold_ = 500;
};

core::Result<std::unique_ptr<Store>> open(Dialect dialect, SessionPool::Factory factory,
                                          const StoreOptions& options) {
  auto store = std::make_unique<SqlStore>(dialect, std::move(factory), options);
  GW_RETURN_IF_ERROR(store->start());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace

core::Result<Store::InboundReceipt> keepInbound(WriteTx& tx, const InboundMessage& m) {
  Store::InboundReceipt receipt;
  Sql& sql = tx.sql();
  GW_ASSIGN_OR_RETURN(auto rows, sql.query("SELECT seq FROM inbound_message WHERE partner = ? AND control_id = ?",
                                           {m.partner, m.control_id}));
  if (!rows.empty()) {
    receipt.seq = asInt(rows.front()[0]);
    receipt.duplicate = true;
    return receipt;
  }
  GW_ASSIGN_OR_RETURN(auto ins, sql.query("INSERT INTO inbound_message (partner, control_id, received_ms, format, "
                                          "body, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                                          {m.partner, m.control_id, m.received_ms, m.format, m.body, m.status, m.detail}));
  if (ins.empty()) return core::internal("insert returned no sequence number");
  receipt.seq = asInt(ins.front()[0]);
  return receipt;
}

core::Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path,
                                                     const StoreOptions& options) {
  registerSqlite();
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return core::Status(core::Code::kUnavailable,
                        "cannot create the data folder " + parent.string() + ": " + ec.message());
  }
  auto factory = [path] {
    Poco::Data::Session s("SQLite", path);
    Sql sql(s, Dialect::kSqlite);
    // Readers and the writer both wait (bounded) for a lock instead of failing at once.
    (void)sql.exec("PRAGMA busy_timeout=10000");
    (void)sql.exec("PRAGMA foreign_keys=ON");
    // Reads through a memory map and a larger page cache: searches touch many index pages.
    (void)sql.exec("PRAGMA mmap_size=268435456");
    (void)sql.exec("PRAGMA cache_size=-32768");
    return s;
  };
  return open(Dialect::kSqlite, factory, options);
}

// The PostgreSQL connector (and libpq with its Kerberos, LDAP and TLS dependencies) is loaded
// only when a PostgreSQL store is opened: linking it would make every `onedoor` command, even a
// one-shot convert, pay for loading a dozen libraries it does not use.
core::Status loadPostgresConnector() {
  static std::once_flag once;
  static core::Status status;
  std::call_once(once, [] {
    try {
      static Poco::SharedLibrary library("libPocoDataPostgreSQL.so.80");
      auto* registerConnector = reinterpret_cast<void (*)()>(
          library.getSymbol("_ZN4Poco4Data10PostgreSQL9Connector17registerConnectorEv"));
      registerConnector();
    } catch (const Poco::Exception& e) {
      status = core::Status(core::Code::kUnavailable,
                            "cannot load the PostgreSQL connector (libpoco-dev): " + e.displayText());
    }
  });
  return status;
}

core::Result<std::unique_ptr<Store>> openPostgresStore(const std::string& url,
                                                       const StoreOptions& options) {
  GW_RETURN_IF_ERROR(loadPostgresConnector());
  auto factory = [url] {
    Poco::Data::Session s("PostgreSQL", url);
    // The server's notices ("already exists, skipping") are not for the gateway's log.
    (void)Sql(s, Dialect::kPostgres).exec("SET client_min_messages TO warning");
    return s;
  };
  return open(Dialect::kPostgres, factory, options);
}

}  // namespace onedoor::storage
