#pragma once
// A blocking pool of database sessions: a request thread waits for a free session instead of
// failing, as Poco's SessionPool would when exhausted. Thread-safe.

#include <Poco/Data/Session.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace onedoor::storage {

class SessionPool {
 public:
  using Factory = std::function<Poco::Data::Session()>;
  SessionPool(Factory factory, std::size_t size) : factory_(std::move(factory)), size_(size) {}

  class Lease {
   public:
    Lease(SessionPool& pool, std::unique_ptr<Poco::Data::Session> s)
        : pool_(&pool), session_(std::move(s)) {}
    Lease(Lease&& o) noexcept = default;
    ~Lease() {
      if (session_) pool_->release(std::move(session_));
    }
    Poco::Data::Session& operator*() { return *session_; }
    // Drops a session that failed (it will be re-created on demand).
    void discard() {
      session_.reset();
      pool_->forget();
    }

   private:
    SessionPool* pool_;
    std::unique_ptr<Poco::Data::Session> session_;
  };

  // Throws what the factory throws (Poco::Exception) when a new session cannot be opened.
  Lease acquire();

 private:
  void release(std::unique_ptr<Poco::Data::Session> s);
  void forget();

  Factory factory_;
  std::size_t size_;
  std::size_t created_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Poco::Data::Session>> idle_;
};

}  // namespace onedoor::storage
