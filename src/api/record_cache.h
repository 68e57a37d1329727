#pragma once
// Rendered record bodies (JSON or ST.96 XML) with their ETags, so a popular record is not read,
// decoded, encoded and hashed again for every request. Internal to api/.
//
// An entry is valid only at the store change sequence it was rendered at (store::Store::
// ChangeSequence): the caller reads the sequence first, then looks up; on a miss it reads the
// record (at that sequence or later) and stores the body under the sequence it read first. Any
// write to the store moves the sequence, so an entry can never be served for a newer store state
// (records are only ever added; a body rendered from a later state than its key is never looked
// up, since the sequence only grows). Least recently used entries go first when the total size
// passes `max_bytes`.
//
// Thread-safe.
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ipdx::api {

class RecordCache {
 public:
  struct Entry {
    std::string body;
    std::string etag;  // quoted, as sent
    std::string link;  // the Link header (version history), made once with the body
  };

  explicit RecordCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The entry for `key` rendered at `sequence`, or nullptr.
  std::shared_ptr<const Entry> Find(const std::string& key, uint64_t sequence);
  // Stores (or replaces) the entry for `key`. Entries larger than a quarter of the cache are not
  // kept.
  void Put(const std::string& key, uint64_t sequence, std::shared_ptr<const Entry> entry);

  size_t bytes() const;

 private:
  struct Slot {
    uint64_t sequence = 0;
    std::shared_ptr<const Entry> entry;
    std::list<std::string>::iterator lru;
    size_t bytes = 0;
  };
  void EvictLocked();

  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::list<std::string> lru_;  // most recently used first
  std::unordered_map<std::string, Slot> slots_;
  size_t bytes_ = 0;
};

}  // namespace ipdx::api
