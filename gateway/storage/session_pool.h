#pragma once
// A blocking pool of database sessions: a request thread waits for a free session instead of
// failing, as Poco's SessionPool would when exhausted. A SQLite session comes with the cache of
// the statements prepared on it. Thread-safe.

#include <Poco/Data/Session.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "storage/statement_cache.h"

namespace onedoor::storage {

// Registers Poco's SQLite connector, once per process, after setting SQLite up for how the stores
// use it: each connection is used by one thread at a time (a pool lease, a writer thread, a reader
// behind a lock), so SQLite's own per-connection mutexes are off; and so is its memory accounting,
// which takes a process-wide mutex on every allocation. Call it before opening any SQLite session.
void registerSqlite();

class SessionPool {
 public:
  using Factory = std::function<Poco::Data::Session()>;
  SessionPool(Factory factory, std::size_t size) : factory_(std::move(factory)), size_(size) {}

  // A session and its statement cache (declared after it: destroyed first).
  struct Pooled {
    std::unique_ptr<Poco::Data::Session> session;
    std::unique_ptr<StatementCache> cache;
  };
  // A session's statement cache when it is SQLite, else null.
  static std::unique_ptr<StatementCache> cacheFor(Poco::Data::Session& session);

  class Lease {
   public:
    Lease(SessionPool& pool, Pooled s) : pool_(&pool), pooled_(std::move(s)) {}
    Lease(Lease&& o) noexcept = default;
    ~Lease() {
      if (pooled_.session) pool_->release(std::move(pooled_));
    }
    Poco::Data::Session& operator*() { return *pooled_.session; }
    // The session's statement cache; null for a PostgreSQL session.
    StatementCache* cache() { return pooled_.cache.get(); }
    // Drops a session that failed (it will be re-created on demand).
    void discard() {
      pooled_.cache.reset();
      pooled_.session.reset();
      pool_->forget();
    }

   private:
    SessionPool* pool_;
    Pooled pooled_;
  };

  // Throws what the factory throws (Poco::Exception) when a new session cannot be opened.
  Lease acquire();

 private:
  void release(Pooled s);
  void forget();

  Factory factory_;
  std::size_t size_;
  std::size_t created_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pooled> idle_;
};

}  // namespace onedoor::storage
