#include "storage/session_pool.h"

namespace onedoor::storage {

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
    return Lease(*this, std::make_unique<Poco::Data::Session>(factory_()));
  } catch (...) {
    forget();
    throw;
  }
}

void SessionPool::release(std::unique_ptr<Poco::Data::Session> s) {
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
