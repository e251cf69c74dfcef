#include "storage/audit_store.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Data/SQLite/Utility.h>
#include <openssl/evp.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <optional>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/env.h"
#include "storage/session_pool.h"
#include "storage/sql.h"
#include "storage/sqlite_statement.h"
#include "storage/statement_cache.h"

namespace onedoor::storage {
namespace {

const std::string kGenesis(64, '0');

// The audit schema. Triggers make the tables append-only for anyone going through SQLite; the
// hash chain and signed checkpoints catch whoever edits the file itself.
constexpr const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS audit_event (seq INTEGER PRIMARY KEY, recorded_ms INTEGER NOT NULL, "
    "partner TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL, purpose TEXT NOT NULL, "
    "break_glass INTEGER NOT NULL, body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_event_time ON audit_event (recorded_ms)",
    "CREATE INDEX IF NOT EXISTS audit_event_partner ON audit_event (partner, recorded_ms)",
    "CREATE TABLE IF NOT EXISTS audit_ref (seq INTEGER NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_ref_key ON audit_ref (kind, ref, seq)",
    "CREATE TABLE IF NOT EXISTS audit_checkpoint (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, "
    "signed_ms INTEGER NOT NULL, signature TEXT NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_ref_no_update BEFORE UPDATE ON audit_ref "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_ref_no_delete BEFORE DELETE ON audit_ref "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
};

std::string base64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << bytes;
  enc.close();
  return out.str();
}

std::string unbase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder dec(in);
  std::ostringstream out;
  out << dec.rdbuf();
  return out.str();
}

// What a checkpoint signs: the sequence number and the chain hash there.
std::string checkpointBytes(std::int64_t seq, const std::string& hash) {
  return "onedoor-audit-checkpoint\n" + std::to_string(seq) + "\n" + hash;
}

class SqliteAuditStore : public AuditStore {
 public:
  SqliteAuditStore(std::string path, AuditStoreOptions options) : path_(std::move(path)), options_(std::move(options)) {}

  ~SqliteAuditStore() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (writer_session_ && head_seq_ > last_checkpoint_) (void)signHead();
  }

  core::Status open() {
    try {
      writer_session_ = std::make_unique<Poco::Data::Session>("SQLite", path_);
      reader_session_ = std::make_unique<Poco::Data::Session>("SQLite", path_);
      Sql w(*writer_session_, Dialect::kSqlite);
      GW_RETURN_IF_ERROR(w.exec("PRAGMA busy_timeout=10000"));
      // A new log gets 8 KiB pages: an AuditEvent is about 2 KB, and two do not fit a 4 KiB page
      // (three fit in 8 KiB), so each commit writes a third less. An existing log keeps its pages.
      GW_RETURN_IF_ERROR(w.exec("PRAGMA page_size=8192"));
      GW_RETURN_IF_ERROR(w.exec("PRAGMA journal_mode=WAL"));
      GW_RETURN_IF_ERROR(w.exec("PRAGMA synchronous=FULL"));
      for (const char* stmt : kSchema) GW_RETURN_IF_ERROR(w.exec(stmt));
      // The inserts every record makes, prepared once for the writer thread.
      sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(*writer_session_);
      insert_event_ = std::make_unique<SqliteStatement>(
          db, "INSERT INTO audit_event (seq, recorded_ms, partner, action, outcome, purpose, break_glass, body, "
              "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      insert_ref_ = std::make_unique<SqliteStatement>(db, "INSERT INTO audit_ref (seq, kind, ref) VALUES (?, ?, ?)");
      // The statements of every batch (BEGIN, the head, COMMIT) prepared once too.
      writer_cache_ = std::make_unique<StatementCache>(db);
      if (!insert_event_->ok() || !insert_ref_->ok()) {
        return core::Status(core::Code::kUnavailable, "audit store: cannot prepare inserts: " + insert_event_->error() +
                                                          insert_ref_->error());
      }
      Sql r(*reader_session_, Dialect::kSqlite);
      GW_RETURN_IF_ERROR(r.exec("PRAGMA busy_timeout=10000"));
      GW_ASSIGN_OR_RETURN(auto rows, w.query("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"));
      if (!rows.empty()) {
        head_seq_ = asInt(rows.front()[0]);
        head_hash_ = asString(rows.front()[1]);
      }
      GW_ASSIGN_OR_RETURN(auto cp, w.query("SELECT MAX(seq) FROM audit_checkpoint"));
      if (!cp.empty() && !isNull(cp.front()[0])) last_checkpoint_ = asInt(cp.front()[0]);
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "cannot open the audit store " + path_ + ": " + e.displayText());
    }
    writer_ = std::thread([this] {
      core::nameThisThread("od-audit-write");
      writerLoop();
    });
    return core::Status::ok();
  }

  core::Result<std::int64_t> append(std::string json, AuditFacts facts) override {
    auto pending = std::make_shared<Pending>();
    pending->json = std::move(json);
    pending->facts = std::move(facts);
    auto done = pending->promise.get_future();
    {
      std::lock_guard lock(mu_);
      if (stopping_) return core::Status(core::Code::kUnavailable, "the audit store is closing");
      queue_.push_back(pending);
    }
    cv_.notify_one();
    return done.get();
  }

  std::function<core::Status()> appendLater(std::vector<AuditEntry> entries) override {
    auto done = std::make_shared<std::vector<std::future<core::Result<std::int64_t>>>>();
    done->reserve(entries.size());
    {
      std::lock_guard lock(mu_);
      if (stopping_) return [] { return core::Status(core::Code::kUnavailable, "the audit store is closing"); };
      for (auto& e : entries) {
        auto pending = std::make_shared<Pending>();
        pending->json = std::move(e.json);
        pending->facts = std::move(e.facts);
        done->push_back(pending->promise.get_future());
        queue_.push_back(std::move(pending));
      }
    }
    cv_.notify_one();
    // Waits once; later calls give the same answer.
    auto answer = std::make_shared<std::optional<core::Status>>();
    return [done, answer] {
      if (!*answer) {
        core::Status first = core::Status::ok();
        for (auto& d : *done) {
          auto r = d.get();
          if (!r.isOk() && first.isOk()) first = r.status();
        }
        *answer = first;
      }
      return **answer;
    };
  }

  core::Result<std::vector<AuditRecord>> search(const AuditQuery& q) override {
    std::string sql = "SELECT seq, recorded_ms, body, prev_hash, hash FROM audit_event WHERE seq > ?";
    SqlParams params{q.after_seq};
    if (!q.patient.empty()) {
      sql += " AND seq IN (SELECT seq FROM audit_ref WHERE kind = 'patient' AND ref = ?)";
      params.emplace_back(q.patient);
    }
    if (!q.entity.empty()) {
      sql += " AND seq IN (SELECT seq FROM audit_ref WHERE kind = 'entity' AND ref = ?)";
      params.emplace_back(q.entity);
    }
    if (!q.label.empty()) {
      sql += " AND seq IN (SELECT seq FROM audit_ref WHERE kind = 'label' AND ref = ?)";
      params.emplace_back(q.label);
    }
    if (!q.agent.empty()) {
      sql += " AND partner = ?";
      params.emplace_back(q.agent);
    }
    auto anyOf = [&](const char* column, const std::vector<std::string>& values) {
      if (values.empty()) return;
      sql += std::string(" AND ") + column + " IN (";
      for (std::size_t i = 0; i < values.size(); ++i) {
        sql += i ? ", ?" : "?";
        params.emplace_back(values[i]);
      }
      sql += ")";
    };
    anyOf("action", q.actions);
    anyOf("outcome", q.outcomes);
    anyOf("purpose", q.purposes);
    for (const auto& [op, ms] : q.dates) {
      const char* cmp = op == "gt" ? ">" : op == "ge" ? ">=" : op == "lt" ? "<" : "<=";
      sql += std::string(" AND recorded_ms ") + cmp + " ?";
      params.emplace_back(ms);
    }
    if (q.break_glass_only) sql += " AND break_glass = 1";
    sql += " ORDER BY seq LIMIT ?";
    params.emplace_back(static_cast<std::int64_t>(q.limit));
    std::lock_guard lock(read_mu_);
    try {
      Sql r(*reader_session_, Dialect::kSqlite);
      GW_ASSIGN_OR_RETURN(auto rows, r.query(sql, params));
      std::vector<AuditRecord> out;
      for (const auto& row : rows) {
        out.push_back({asInt(row[0]), asInt(row[1]), asString(row[2]), asString(row[3]), asString(row[4])});
      }
      return out;
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "audit store unreachable: " + e.displayText());
    }
  }

  core::Result<AuditVerification> verify() override {
    std::lock_guard lock(read_mu_);
    AuditVerification v;
    try {
      Sql r(*reader_session_, Dialect::kSqlite);
      GW_ASSIGN_OR_RETURN(auto cps, r.query("SELECT seq, hash, signature FROM audit_checkpoint ORDER BY seq"));
      std::size_t next_cp = 0;
      std::int64_t expect = 1;
      std::string prev = kGenesis;
      std::int64_t after = 0;
      auto fail = [&](std::int64_t seq, std::string problem) {
        v.ok = false;
        v.first_bad_seq = seq;
        v.problem = std::move(problem);
      };
      while (v.ok) {
        GW_ASSIGN_OR_RETURN(auto rows, r.query("SELECT seq, body, prev_hash, hash FROM audit_event WHERE seq > ? "
                                               "ORDER BY seq LIMIT 1000", {after}));
        if (rows.empty()) break;
        for (const auto& row : rows) {
          std::int64_t seq = asInt(row[0]);
          std::string body = asString(row[1]), prev_hash = asString(row[2]), hash = asString(row[3]);
          after = seq;
          if (seq > expect) {
            fail(expect, "record " + std::to_string(expect) + " was removed (the sequence jumps to " +
                             std::to_string(seq) + ")");
            break;
          }
          if (seq < expect) {
            fail(seq, "record " + std::to_string(seq) + " is out of sequence (inserted)");
            break;
          }
          if (prev_hash != prev) {
            fail(seq, "record " + std::to_string(seq) + " does not chain to the record before it (a record was inserted or removed there)");
            break;
          }
          if (auditHash(prev_hash, seq, body) != hash) {
            fail(seq, "record " + std::to_string(seq) + " was altered (its content does not match its hash)");
            break;
          }
          while (next_cp < cps.size() && asInt(cps[next_cp][0]) == seq) {
            std::string cp_hash = asString(cps[next_cp][1]);
            std::string sig = unbase64(asString(cps[next_cp][2]));
            if (cp_hash != hash) {
              fail(seq, "the checkpoint at record " + std::to_string(seq) + " signed another chain (records up to it were altered, inserted or removed)");
              break;
            }
            if (!options_.verify || !options_.verify(checkpointBytes(seq, cp_hash), sig)) {
              fail(seq, "the checkpoint at record " + std::to_string(seq) + " has no valid signature");
              break;
            }
            ++v.checkpoints;
            ++next_cp;
          }
          if (!v.ok) break;
          prev = hash;
          ++v.records;
          ++expect;
        }
      }
      if (v.ok && next_cp < cps.size()) {
        std::int64_t seq = asInt(cps[next_cp][0]);
        fail(v.records + 1, "records " + std::to_string(v.records + 1) + " to " + std::to_string(seq) +
                                " were removed (a checkpoint signed record " + std::to_string(seq) + ")");
      }
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, "audit store unreachable: " + e.displayText());
    }
    return v;
  }

  core::Status checkpoint() override {
    auto pending = std::make_shared<Pending>();
    pending->checkpoint_only = true;
    auto done = pending->promise.get_future();
    {
      std::lock_guard lock(mu_);
      queue_.push_back(pending);
    }
    cv_.notify_one();
    return done.get().status();
  }

  std::pair<std::int64_t, std::string> head() const override {
    std::lock_guard lock(mu_);
    return {head_seq_, head_hash_};
  }

 private:
  struct Pending {
    std::string json;
    AuditFacts facts;
    bool checkpoint_only = false;
    std::promise<core::Result<std::int64_t>> promise;
  };

  void writerLoop() {
    while (true) {
      std::vector<std::shared_ptr<Pending>> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_) return;
        while (!queue_.empty() && batch.size() < options_.max_batch) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      writeBatch(batch);
    }
  }

  void writeBatch(const std::vector<std::shared_ptr<Pending>>& batch) {
    std::int64_t seq = 0;
    std::string hash = kGenesis;
    std::vector<std::int64_t> seqs;
    core::Status st = core::Status::ok();
    bool force_checkpoint = false;
    try {
      Sql w(*writer_session_, Dialect::kSqlite, writer_cache_.get());
      st = w.exec("BEGIN IMMEDIATE");
      // The head is read under the write lock: another process (the CLI, a second gateway) may
      // have appended since this one last did.
      if (st.isOk()) {
        auto rows = w.query("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1");
        if (!rows.isOk()) {
          st = rows.status();
        } else if (!rows->empty()) {
          seq = asInt(rows->front()[0]);
          hash = asString(rows->front()[1]);
        }
        auto cp = w.query("SELECT MAX(seq) FROM audit_checkpoint");
        if (cp.isOk() && !cp->empty() && !isNull(cp->front()[0])) last_checkpoint_ = asInt(cp->front()[0]);
      }
      for (const auto& p : batch) {
        if (!st.isOk()) break;
        if (p->checkpoint_only) {
          force_checkpoint = true;
          seqs.push_back(seq);
          continue;
        }
        std::string prev = hash;
        ++seq;
        hash = auditHash(prev, seq, p->json);
        const AuditFacts& f = p->facts;
        st = insert_event_->bind(1, seq)
                 .bind(2, f.recorded_ms)
                 .bind(3, f.partner)
                 .bind(4, f.action)
                 .bind(5, f.outcome)
                 .bind(6, f.purpose)
                 .bind(7, static_cast<std::int64_t>(f.break_glass ? 1 : 0))
                 .bind(8, p->json)
                 .bind(9, prev)
                 .bind(10, hash)
                 .run();
        auto refs = [&](const std::vector<std::string>& values, const std::string& kind) {
          for (const auto& v : values) {
            if (st.isOk()) st = insert_ref_->bind(1, seq).bind(2, kind).bind(3, v).run();
          }
        };
        refs(f.patients, "patient");
        refs(f.entities, "entity");
        refs(f.labels, "label");
        seqs.push_back(seq);
      }
      bool due = options_.sign && (force_checkpoint || seq - last_checkpoint_ >= options_.checkpoint_every);
      if (st.isOk() && due && seq > last_checkpoint_) st = insertCheckpoint(w, seq, hash);
      st = st.isOk() ? w.exec("COMMIT") : st;
      if (!st.isOk()) (void)w.exec("ROLLBACK");
    } catch (const Poco::Exception& e) {
      st = core::Status(core::Code::kUnavailable, "audit store write failed: " + e.displayText());
      try {
        Sql w(*writer_session_, Dialect::kSqlite);
        (void)w.exec("ROLLBACK");
      } catch (const Poco::Exception&) {
      }
    }
    if (st.isOk()) {
      std::lock_guard lock(mu_);
      head_seq_ = seq;
      head_hash_ = hash;
      if (options_.sign && (force_checkpoint || seq - last_checkpoint_ >= options_.checkpoint_every) && seq > last_checkpoint_) {
        last_checkpoint_ = seq;
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (st.isOk()) {
        batch[i]->promise.set_value(seqs[i]);
      } else {
        batch[i]->promise.set_value(st);
      }
    }
  }

  core::Status insertCheckpoint(Sql& w, std::int64_t seq, const std::string& hash) {
    std::string signature = base64(options_.sign(checkpointBytes(seq, hash)));
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return w.exec("INSERT INTO audit_checkpoint (seq, hash, signed_ms, signature) VALUES (?, ?, ?, ?)",
                  {seq, hash, static_cast<std::int64_t>(now), signature});
  }

  core::Status signHead() {
    if (!options_.sign || head_seq_ == 0) return core::Status::ok();
    try {
      Sql w(*writer_session_, Dialect::kSqlite);
      return insertCheckpoint(w, head_seq_, head_hash_);
    } catch (const Poco::Exception& e) {
      return core::Status(core::Code::kUnavailable, e.displayText());
    }
  }

  std::string path_;
  AuditStoreOptions options_;
  std::unique_ptr<Poco::Data::Session> writer_session_;
  std::unique_ptr<SqliteStatement> insert_event_;  // writer thread only
  std::unique_ptr<SqliteStatement> insert_ref_;
  std::unique_ptr<StatementCache> writer_cache_;  // writer thread only; before the session goes
  std::unique_ptr<Poco::Data::Session> reader_session_;
  mutable std::mutex mu_;
  std::mutex read_mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool stopping_ = false;
  std::thread writer_;
  std::int64_t head_seq_ = 0;
  std::string head_hash_;
  std::int64_t last_checkpoint_ = 0;
};

}  // namespace

std::string auditHash(const std::string& prev_hash, std::int64_t seq, const std::string& json) {
  // OpenSSL's SHA-256 (several times faster than Poco's own on this path).
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  std::string middle = "\n" + std::to_string(seq) + "\n";
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), prev_hash.data(), prev_hash.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), middle.data(), middle.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), json.data(), json.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1) {
    throw std::runtime_error("OpenSSL cannot compute SHA-256");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * size, '0');
  for (unsigned int i = 0; i < size; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

core::Result<std::unique_ptr<AuditStore>> AuditStore::openSqlite(const std::string& path, AuditStoreOptions options) {
  registerSqlite();
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  auto store = std::make_unique<SqliteAuditStore>(path, std::move(options));
  GW_RETURN_IF_ERROR(store->open());
  return std::unique_ptr<AuditStore>(std::move(store));
}

}  // namespace onedoor::storage
