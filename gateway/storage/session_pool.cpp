#include "storage/session_pool.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include <mutex>

namespace onedoor::storage {

void registerSqlite() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Both settings only apply before SQLite's first use; if something in the process used it
    // first (SQLITE_MISUSE), the defaults stay, which are as correct and only slower.
    (void)sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    Poco::Data::SQLite::Connector::registerConnector();
  });
}

SessionPool::Lease SessionPool::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || created_ < size_; });
  if (!idle_.empty()) {
    auto s = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(s));
  }
  ++created_;
  lock.unlock();
  try {
    Pooled p;
    p.session = std::make_unique<Poco::Data::Session>(factory_());
    p.cache = cacheFor(*p.session);
    return Lease(*this, std::move(p));
  } catch (...) {
    forget();
    throw;
  }
}

std::unique_ptr<StatementCache> SessionPool::cacheFor(Poco::Data::Session& session) {
  if (session.connector() != "sqlite") return nullptr;
  return std::make_unique<StatementCache>(Poco::Data::SQLite::Utility::dbHandle(session));
}

void SessionPool::release(Pooled s) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(s));
  }
  cv_.notify_one();
}

void SessionPool::forget() {
  {
    std::lock_guard lock(mu_);
    --created_;
  }
  cv_.notify_one();
}

}  // namespace onedoor::storage
