// SearchPool (search_pool.h). Opening a handle (Xapian tables, the ICU analyzer) costs
// milliseconds, so handles are kept and reused; Xapian reopens a read-only handle on the
// writer's newest commit at the start of each search.
#include "api/search_pool.h"

namespace ipdx::api {

SearchPool::SearchPool(std::string index_path, size_t max_handles)
    : path_(std::move(index_path)), max_handles_(max_handles == 0 ? 1 : max_handles) {}

Result<SearchPool::Lease> SearchPool::Acquire() {
  uint64_t generation = 0;
  {
    std::unique_lock lock(mu_);
    Waiter self;
    // A request that arrives while others wait queues behind them, even if a handle is free at
    // this instant (it is already promised to the oldest waiter).
    if (waiters_.empty() && !free_.empty()) {
      std::unique_ptr<search::Index> index = std::move(free_.back());
      free_.pop_back();
      return Lease(this, std::move(index), generation_);
    }
    if (waiters_.empty() && open_ < max_handles_) {
      ++open_;  // reserved; opened outside the lock
      generation = generation_;
    } else {
      waiters_.push_back(&self);
      self.cv.wait(lock, [&self] { return self.granted; });
      if (self.index != nullptr) return Lease(this, std::move(self.index), self.generation);
      generation = self.generation;  // a slot was reserved for us
    }
  }
  search::Index::Options options;
  options.read_only = true;
  Result<std::unique_ptr<search::Index>> index = search::Index::Open(path_, options);
  if (!index.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    GrantLocked();
    return index.status();
  }
  return Lease(this, std::move(index).value(), generation);
}

void SearchPool::GrantLocked() {
  while (!waiters_.empty() && (!free_.empty() || open_ < max_handles_)) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    if (!free_.empty()) {
      w->index = std::move(free_.back());
      free_.pop_back();
    } else {
      ++open_;  // the waiter opens a handle in this slot
    }
    w->generation = generation_;
    w->granted = true;
    // Under the lock: the waiter cannot leave wait() (and destroy its Waiter) before this returns.
    w->cv.notify_one();
  }
}

void SearchPool::Release(std::unique_ptr<search::Index> index, uint64_t generation) {
  {
    std::lock_guard lock(mu_);
    if (index != nullptr && generation == generation_) {
      free_.push_back(std::move(index));
    } else {
      --open_;
    }
    GrantLocked();
  }
  index.reset();  // a dropped handle closes outside the lock
}

std::optional<service::VerifiedIndex> SearchPool::verified() const {
  std::lock_guard lock(mu_);
  return verified_;
}

void SearchPool::SetVerified(std::optional<service::VerifiedIndex> verified) {
  std::lock_guard lock(mu_);
  verified_ = verified;
}

void SearchPool::Invalidate() {
  std::vector<std::unique_ptr<search::Index>> closing;
  {
    std::lock_guard lock(mu_);
    ++generation_;
    open_ -= free_.size();
    closing.swap(free_);
    verified_.reset();
    GrantLocked();  // slots freed: waiters open fresh handles
  }
}

size_t SearchPool::open_handles() const {
  std::lock_guard lock(mu_);
  return open_;
}

size_t SearchPool::waiting() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

}  // namespace ipdx::api
