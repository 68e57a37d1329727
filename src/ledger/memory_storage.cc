// MemoryLogStorage: the LogStorage contract on plain vectors, for tests and tools.
#include "ledger/ledger.h"

namespace ipdx::ledger {

Result<uint64_t> MemoryLogStorage::TreeSize() const { return uint64_t{entries_.size()}; }

Result<uint64_t> MemoryLogStorage::AppendLeaf(uint64_t leaf_index, std::string_view entry,
                                              std::span<const StoredHash> hashes) {
  if (leaf_index != entries_.size()) {
    return Status::FailedPrecondition("append at leaf " + std::to_string(leaf_index) +
                                      " but the log holds " + std::to_string(entries_.size()));
  }
  // Validate every hash position before changing anything: all or nothing.
  for (const StoredHash& h : hashes) {
    const size_t have = h.id.level < levels_.size() ? levels_[h.id.level].size() : 0;
    if (h.id.index != have) {
      return Status::InvalidArgument("stored hash (" + std::to_string(h.id.level) + ", " +
                                     std::to_string(h.id.index) + ") is not the next node");
    }
  }
  entries_.emplace_back(entry);
  for (const StoredHash& h : hashes) {
    if (h.id.level >= levels_.size()) levels_.resize(h.id.level + 1);
    levels_[h.id.level].push_back(h.hash);
  }
  return leaf_index;
}

Result<std::vector<std::string>> MemoryLogStorage::ReadEntries(uint64_t start,
                                                               uint64_t count) const {
  std::vector<std::string> out;
  for (uint64_t i = start; i < entries_.size() && i - start < count; ++i) {
    out.push_back(entries_[i]);
  }
  return out;
}

Result<std::vector<Hash>> MemoryLogStorage::ReadHashes(std::span<const NodeId> ids) const {
  std::vector<Hash> out;
  out.reserve(ids.size());
  for (const NodeId& id : ids) {
    if (id.level >= levels_.size() || id.index >= levels_[id.level].size()) {
      return Status::NotFound("no stored hash for node (" + std::to_string(id.level) + ", " +
                              std::to_string(id.index) + ")");
    }
    out.push_back(levels_[id.level][id.index]);
  }
  return out;
}

Status MemoryLogStorage::StoreCheckpoint(uint64_t tree_size, std::string_view signed_note) {
  checkpoints_[tree_size] = std::string(signed_note);
  return Status::Ok();
}

Result<std::string> MemoryLogStorage::ReadCheckpoint(uint64_t tree_size) const {
  auto it = checkpoints_.find(tree_size);
  if (it == checkpoints_.end()) {
    return Status::NotFound("no checkpoint of size " + std::to_string(tree_size));
  }
  return it->second;
}

Result<std::vector<uint64_t>> MemoryLogStorage::CheckpointSizes() const {
  std::vector<uint64_t> out;
  for (const auto& [size, note] : checkpoints_) out.push_back(size);
  return out;
}

void MemoryLogStorage::ReplaceEntryForTest(uint64_t leaf_index, std::string entry) {
  if (leaf_index < entries_.size()) entries_[leaf_index] = std::move(entry);
}

void MemoryLogStorage::ReplaceHashForTest(NodeId id, const Hash& hash) {
  if (id.level < levels_.size() && id.index < levels_[id.level].size()) {
    levels_[id.level][id.index] = hash;
  }
}

void MemoryLogStorage::DropLastEntryForTest() {
  if (!entries_.empty()) entries_.pop_back();
}

size_t MemoryLogStorage::stored_hash_count() const {
  size_t n = 0;
  for (const auto& level : levels_) n += level.size();
  return n;
}

}  // namespace ipdx::ledger
