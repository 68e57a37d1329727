#pragma once
// Read-only search::Index handles lent to one request at a time, so searches run in parallel
// beside the Node (service/search.h, "searches on read-only handles"). Internal to api/.
//
// The pool also keeps the last index state the Node verified in step with the store
// (service::VerifiedIndex): a handle is used only when the service says its committed state is
// that one (or, while the Node is busy writing, a consistent later one, with a notice). Handles
// are opened lazily, at most `max_handles` at once (more would only compete for the same cores);
// a request that finds none free waits, in arrival order: a returned handle goes to the request
// that has waited longest, so under a load beyond the cores every search waits about as long as
// the others instead of some waiting indefinitely. Invalidate() drops every handle (after a
// rebuild swapped the index folder, or when a handle reported an error), so the next request
// opens a fresh one.
//
// Thread-safe. The pool must outlive its leases.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "search/search.h"
#include "service/search.h"

namespace ipdx::api {

class SearchPool {
 public:
  class Lease {
   public:
    Lease(SearchPool* pool, std::unique_ptr<search::Index> index, uint64_t generation)
        : pool_(pool), index_(std::move(index)), generation_(generation) {}
    ~Lease() {
      if (pool_ != nullptr) pool_->Release(std::move(index_), generation_);
    }
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)),
          index_(std::move(other.index_)),
          generation_(other.generation_) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    search::Index& operator*() { return *index_; }
    // Drops the handle instead of returning it (it reported an error).
    void Discard() { index_.reset(); }

   private:
    SearchPool* pool_;
    std::unique_ptr<search::Index> index_;
    uint64_t generation_;
  };

  SearchPool(std::string index_path, size_t max_handles);

  // A handle, opened read-only if none is free. Errors of search::Index::Open (NotFound when
  // there is no index yet, Corruption ...).
  Result<Lease> Acquire();

  // The state the Node last verified (nullopt: none; search on the Node).
  std::optional<service::VerifiedIndex> verified() const;
  void SetVerified(std::optional<service::VerifiedIndex> verified);
  // Closes every free handle and makes leased ones close when returned; forgets the verified
  // state.
  void Invalidate();

  size_t open_handles() const;  // for tests
  size_t waiting() const;       // requests waiting for a handle (for tests)

 private:
  // A request waiting for a handle; lives on its stack, queued in waiters_ (under mu_).
  struct Waiter {
    std::condition_variable cv;
    bool granted = false;
    std::unique_ptr<search::Index> index;  // a handle passed on; null: open one (slot reserved)
    uint64_t generation = 0;
  };
  void Release(std::unique_ptr<search::Index> index, uint64_t generation);
  // Hands free handles and open slots to the longest waiting requests (under mu_).
  void GrantLocked();

  const std::string path_;
  const size_t max_handles_;
  mutable std::mutex mu_;
  std::deque<Waiter*> waiters_;  // oldest first
  std::vector<std::unique_ptr<search::Index>> free_;
  size_t open_ = 0;  // free + leased
  uint64_t generation_ = 0;
  std::optional<service::VerifiedIndex> verified_;
};

}  // namespace ipdx::api
