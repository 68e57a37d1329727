// RecordCache (record_cache.h): an LRU list of keys beside a hash map of slots.
#include "api/record_cache.h"

namespace ipdx::api {

std::shared_ptr<const RecordCache::Entry> RecordCache::Find(const std::string& key,
                                                            uint64_t sequence) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(key);
  if (it == slots_.end() || it->second.sequence != sequence) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.entry;
}

void RecordCache::Put(const std::string& key, uint64_t sequence,
                      std::shared_ptr<const Entry> entry) {
  const size_t bytes = entry->body.size() + entry->etag.size() + 2 * key.size() + 128;
  if (bytes > max_bytes_ / 4) return;
  std::lock_guard lock(mu_);
  auto [it, inserted] = slots_.try_emplace(key);
  Slot& slot = it->second;
  if (inserted) {
    lru_.push_front(key);
    slot.lru = lru_.begin();
  } else {
    if (slot.sequence > sequence) return;  // a newer rendering is already there
    bytes_ -= slot.bytes;
    lru_.splice(lru_.begin(), lru_, slot.lru);
  }
  slot.sequence = sequence;
  slot.entry = std::move(entry);
  slot.bytes = bytes;
  bytes_ += bytes;
  EvictLocked();
}

void RecordCache::EvictLocked() {
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto it = slots_.find(lru_.back());
    bytes_ -= it->second.bytes;
    slots_.erase(it);
    lru_.pop_back();
  }
}

size_t RecordCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace ipdx::api
