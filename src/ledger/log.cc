// Log operations over a LogStorage (docs/formats/ledger.md §2.1, §5, §7).
//
// Every root, proof and tile is a fold of stored complete-subtree hashes: a range [begin, end)
// whose start is aligned to bit_ceil(end - begin) decomposes into at most log2(n) stored nodes,
// largest first. All ranges the RFC 6962 recursions produce have that property, so no
// operation except CheckIntegrity reads more than O(log n) hashes.
#include <algorithm>
#include <bit>
#include <map>

#include "ledger/internal.h"
#include "ledger/ledger.h"

namespace ipdx::ledger {
namespace {

using internal::SplitPoint;

struct Range {
  uint64_t begin;
  uint64_t end;
};

// Stored nodes whose right fold gives MTH(D[begin:end]).
void RangeNodes(uint64_t begin, uint64_t end, std::vector<NodeId>& out) {
  while (begin < end) {
    // Largest aligned power of two starting at `begin` that fits.
    uint64_t size = begin == 0 ? std::bit_floor(end - begin) : (begin & (~begin + 1));
    while (size > end - begin) size >>= 1;
    out.push_back(NodeId{static_cast<uint8_t>(std::countr_zero(size)), begin / size});
    begin += size;
  }
}

// Reads the hashes of `ranges` (each becoming one MTH) with a single storage call.
Result<std::vector<Hash>> RangeHashes(const LogStorage& storage, const std::vector<Range>& ranges) {
  std::vector<NodeId> ids;
  std::vector<size_t> counts;
  for (const Range& r : ranges) {
    const size_t before = ids.size();
    RangeNodes(r.begin, r.end, ids);
    counts.push_back(ids.size() - before);
  }
  IPDX_ASSIGN_OR_RETURN(std::vector<Hash> hashes, storage.ReadHashes(ids));
  if (hashes.size() != ids.size()) {
    return Status::Corruption("log storage returned " + std::to_string(hashes.size()) +
                              " hashes for " + std::to_string(ids.size()) + " nodes");
  }
  std::vector<Hash> out;
  out.reserve(ranges.size());
  size_t pos = 0;
  for (size_t count : counts) {
    Hash h = hashes[pos + count - 1];
    for (size_t i = count - 1; i-- > 0;) h = NodeHash(hashes[pos + i], h);
    out.push_back(h);
    pos += count;
  }
  return out;
}

Status CheckSize(const LogStorage& storage, uint64_t tree_size) {
  IPDX_ASSIGN_OR_RETURN(uint64_t stored, storage.TreeSize());
  if (tree_size > stored) {
    return Status::InvalidArgument("tree size " + std::to_string(tree_size) +
                                   " exceeds the log's size " + std::to_string(stored));
  }
  return Status::Ok();
}

// RFC 6962 PATH as ranges, leaf side first.
void PathRanges(uint64_t m, uint64_t begin, uint64_t end, std::vector<Range>& out) {
  if (end - begin <= 1) return;
  const uint64_t k = SplitPoint(end - begin);
  if (m - begin < k) {
    PathRanges(m, begin, begin + k, out);
    out.push_back({begin + k, end});
  } else {
    PathRanges(m, begin + k, end, out);
    out.push_back({begin, begin + k});
  }
}

// RFC 6962 SUBPROOF as ranges.
void SubproofRanges(uint64_t m, uint64_t begin, uint64_t end, bool complete,
                    std::vector<Range>& out) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (!complete) out.push_back({begin, end});
    return;
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubproofRanges(m, begin, begin + k, complete, out);
    out.push_back({begin + k, end});
  } else {
    SubproofRanges(m - k, begin + k, end, false, out);
    out.push_back({begin, begin + k});
  }
}

}  // namespace

Result<uint64_t> Append(LogStorage& storage, std::string_view entry) {
  if (entry.size() > kMaxEntryBytes) {
    return Status::InvalidArgument("log entry of " + std::to_string(entry.size()) +
                                   " bytes exceeds the 65,535-byte limit");
  }
  IPDX_ASSIGN_OR_RETURN(uint64_t n, storage.TreeSize());
  // Leaf n completes one node per trailing one bit of n; their left siblings are stored.
  std::vector<NodeId> left_ids;
  for (uint8_t level = 0; ((n >> level) & 1) == 1; ++level) {
    left_ids.push_back(NodeId{level, (n >> level) - 1});
  }
  std::vector<Hash> lefts;
  if (!left_ids.empty()) {
    IPDX_ASSIGN_OR_RETURN(lefts, storage.ReadHashes(left_ids));
    if (lefts.size() != left_ids.size()) return Status::Corruption("log storage: short read");
  }
  std::vector<StoredHash> hashes;
  Hash h = LeafHash(entry);
  hashes.push_back({NodeId{0, n}, h});
  for (size_t i = 0; i < lefts.size(); ++i) {
    h = NodeHash(lefts[i], h);
    const auto level = static_cast<uint8_t>(i + 1);
    hashes.push_back({NodeId{level, n >> level}, h});
  }
  return storage.AppendLeaf(n, entry, hashes);
}

Result<Hash> TreeRoot(const LogStorage& storage, uint64_t tree_size) {
  IPDX_RETURN_IF_ERROR(CheckSize(storage, tree_size));
  if (tree_size == 0) return EmptyRoot();
  IPDX_ASSIGN_OR_RETURN(std::vector<Hash> h, RangeHashes(storage, {{0, tree_size}}));
  return h[0];
}

Result<std::vector<Hash>> InclusionProof(const LogStorage& storage, uint64_t leaf_index,
                                         uint64_t tree_size) {
  if (leaf_index >= tree_size) {
    return Status::InvalidArgument("inclusion proof: leaf index " + std::to_string(leaf_index) +
                                   " not below tree size " + std::to_string(tree_size));
  }
  IPDX_RETURN_IF_ERROR(CheckSize(storage, tree_size));
  std::vector<Range> ranges;
  PathRanges(leaf_index, 0, tree_size, ranges);
  if (ranges.empty()) return std::vector<Hash>{};
  return RangeHashes(storage, ranges);
}

Result<std::vector<Hash>> ConsistencyProof(const LogStorage& storage, uint64_t old_size,
                                           uint64_t new_size) {
  if (old_size == 0 || old_size > new_size) {
    return Status::InvalidArgument("consistency proof: need 0 < old size <= new size, got " +
                                   std::to_string(old_size) + " and " + std::to_string(new_size));
  }
  IPDX_RETURN_IF_ERROR(CheckSize(storage, new_size));
  std::vector<Range> ranges;
  SubproofRanges(old_size, 0, new_size, true, ranges);
  if (ranges.empty()) return std::vector<Hash>{};
  return RangeHashes(storage, ranges);
}

Result<std::string> ReadTile(const LogStorage& storage, const TileId& tile, uint64_t tree_size) {
  if (tile.level > 63 || tile.width == 0 || tile.width > 256) {
    return Status::InvalidArgument("tile " + TilePath(tile) + ": level or width out of range");
  }
  IPDX_RETURN_IF_ERROR(CheckSize(storage, tree_size));
  const unsigned height = 8u * tile.level;
  const uint64_t nodes = height >= 64 ? 0 : tree_size >> height;  // hashes at this level
  const uint64_t full_tiles = nodes / 256;
  const bool exists = tile.index < full_tiles ? tile.width == 256
                                              : (tile.index == full_tiles && tile.width < 256 &&
                                                 tile.width == nodes % 256);
  if (!exists) {
    return Status::NotFound("tile " + TilePath(tile) + " does not exist for tree size " +
                            std::to_string(tree_size));
  }
  std::vector<NodeId> ids;
  ids.reserve(tile.width);
  for (uint64_t i = 0; i < tile.width; ++i) {
    ids.push_back(NodeId{static_cast<uint8_t>(height), tile.index * 256 + i});
  }
  IPDX_ASSIGN_OR_RETURN(std::vector<Hash> hashes, storage.ReadHashes(ids));
  std::string out;
  out.reserve(hashes.size() * 32);
  for (const Hash& h : hashes) out.append(internal::AsChars(h));
  return out;
}

Result<std::string> ReadEntryBundle(const LogStorage& storage, uint64_t index, uint16_t width,
                                    uint64_t tree_size) {
  if (width == 0 || width > 256) return Status::InvalidArgument("entry bundle: width out of range");
  IPDX_RETURN_IF_ERROR(CheckSize(storage, tree_size));
  const uint64_t full = tree_size / 256;
  const bool exists =
      index < full ? width == 256 : (index == full && width < 256 && width == tree_size % 256);
  if (!exists) {
    return Status::NotFound(EntryBundlePath(index, width) + " does not exist for tree size " +
                            std::to_string(tree_size));
  }
  IPDX_ASSIGN_OR_RETURN(std::vector<std::string> entries, storage.ReadEntries(index * 256, width));
  if (entries.size() != width) {
    return Status::Corruption("log storage: entries of bundle " + EntryBundlePath(index, width) +
                              " are missing");
  }
  std::string out;
  for (const std::string& e : entries) {
    if (e.size() > kMaxEntryBytes) return Status::Corruption("stored entry exceeds 65,535 bytes");
    internal::PutU16(out, static_cast<uint16_t>(e.size()));
    out += e;
  }
  return out;
}

Result<std::vector<std::string>> ParseEntryBundle(std::string_view bundle) {
  internal::ByteReader r(bundle);
  std::vector<std::string> out;
  while (!r.AtEnd()) {
    uint16_t len = 0;
    std::string_view e;
    if (!r.U16(len) || !r.Bytes(len, e)) {
      return Status::InvalidArgument("entry bundle truncated at byte " +
                                     std::to_string(r.position()));
    }
    out.emplace_back(e);
  }
  return out;
}

Status CheckIntegrity(const LogStorage& storage, std::span<const VerifierKey> log_keys) {
  IPDX_ASSIGN_OR_RETURN(uint64_t size, storage.TreeSize());
  IPDX_ASSIGN_OR_RETURN(std::vector<uint64_t> checkpoint_sizes, storage.CheckpointSizes());
  std::sort(checkpoint_sizes.begin(), checkpoint_sizes.end());

  // Checkpoints first: what was signed is the reference; a log shorter than a signed size has
  // lost leaves.
  std::map<uint64_t, Hash> signed_roots;
  for (uint64_t cp_size : checkpoint_sizes) {
    IPDX_ASSIGN_OR_RETURN(std::string note, storage.ReadCheckpoint(cp_size));
    std::string text;
    if (!log_keys.empty()) {
      auto opened = OpenNote(note, log_keys);
      if (!opened.ok()) {
        return Status::Corruption("stored checkpoint of size " + std::to_string(cp_size) + ": " +
                                  opened.status().message());
      }
      text = opened->note.text;
    } else {
      IPDX_ASSIGN_OR_RETURN(Note parsed, ParseNote(note));
      text = parsed.text;
    }
    auto cp = ParseCheckpoint(text);
    if (!cp.ok() || cp->tree_size != cp_size) {
      return Status::Corruption("stored checkpoint of size " + std::to_string(cp_size) +
                                " is not a checkpoint of that size");
    }
    signed_roots[cp_size] = cp->root;
  }
  if (!checkpoint_sizes.empty() && checkpoint_sizes.back() > size) {
    return Status::Corruption("log holds " + std::to_string(size) +
                              " entries but a signed checkpoint commits to " +
                              std::to_string(checkpoint_sizes.back()) +
                              ": first missing leaf index " + std::to_string(size));
  }

  constexpr uint64_t kBatch = 4096;
  std::vector<std::pair<int, Hash>> stack;  // compact range of [0, i)
  uint64_t last_good_checkpoint = 0;
  auto next_cp = signed_roots.begin();
  auto check_checkpoint = [&](uint64_t n) -> Status {
    if (next_cp == signed_roots.end() || next_cp->first != n) return Status::Ok();
    Hash root = EmptyRoot();
    if (!stack.empty()) {
      root = stack.back().second;
      for (size_t j = stack.size() - 1; j-- > 0;) root = NodeHash(stack[j].second, root);
    }
    if (root != next_cp->second) {
      return Status::Corruption(
          "root recomputed from stored entries at size " + std::to_string(n) +
          " differs from the signed checkpoint: the first bad leaf index is in [" +
          std::to_string(last_good_checkpoint) + ", " + std::to_string(n) + ")");
    }
    last_good_checkpoint = n;
    ++next_cp;
    return Status::Ok();
  };
  IPDX_RETURN_IF_ERROR(check_checkpoint(0));

  for (uint64_t start = 0; start < size; start += kBatch) {
    const uint64_t count = std::min(kBatch, size - start);
    IPDX_ASSIGN_OR_RETURN(std::vector<std::string> entries, storage.ReadEntries(start, count));
    if (entries.size() != count) {
      return Status::Corruption("leaf " + std::to_string(start + entries.size()) +
                                ": entry missing from log storage (tree size " +
                                std::to_string(size) + ")");
    }
    // Recompute leaves and every node they complete, then compare with storage in one read.
    std::vector<NodeId> ids;
    std::vector<Hash> expected;
    for (uint64_t k = 0; k < count; ++k) {
      const uint64_t i = start + k;
      std::pair<int, Hash> cur{0, LeafHash(entries[k])};
      ids.push_back(NodeId{0, i});
      expected.push_back(cur.second);
      while (!stack.empty() && stack.back().first == cur.first) {
        cur = {cur.first + 1, NodeHash(stack.back().second, cur.second)};
        stack.pop_back();
        ids.push_back(NodeId{static_cast<uint8_t>(cur.first),
                             (i + 1 - (uint64_t{1} << cur.first)) >> cur.first});
        expected.push_back(cur.second);
      }
      stack.push_back(cur);
    }
    auto stored = storage.ReadHashes(ids);
    if (!stored.ok() || stored->size() != ids.size()) {
      return Status::Corruption("log storage lacks stored hashes for leaves [" +
                                std::to_string(start) + ", " + std::to_string(start + count) + ")" +
                                (stored.ok() ? "" : ": " + stored.status().message()));
    }
    for (size_t j = 0; j < ids.size(); ++j) {
      if ((*stored)[j] == expected[j]) continue;
      const NodeId& id = ids[j];
      const uint64_t first = id.index << id.level;
      if (id.level == 0) {
        return Status::Corruption("leaf " + std::to_string(first) +
                                  ": stored entry does not hash to the stored leaf hash");
      }
      return Status::Corruption("stored node (level " + std::to_string(id.level) + ", index " +
                                std::to_string(id.index) + ") covering leaves [" +
                                std::to_string(first) + ", " +
                                std::to_string(first + (uint64_t{1} << id.level)) +
                                ") differs from the hash recomputed from its entries");
    }
    // Roots at checkpoint sizes inside this batch need the stack at that point: replay cheaply
    // by checking only at batch ends and, for sizes inside, recomputing from stored hashes that
    // were just verified.
    while (next_cp != signed_roots.end() && next_cp->first <= start + count) {
      if (next_cp->first == start + count) {
        IPDX_RETURN_IF_ERROR(check_checkpoint(start + count));
        continue;
      }
      IPDX_ASSIGN_OR_RETURN(Hash root, TreeRoot(storage, next_cp->first));
      if (root != next_cp->second) {
        return Status::Corruption(
            "root recomputed from stored entries at size " + std::to_string(next_cp->first) +
            " differs from the signed checkpoint: the first bad leaf index is in [" +
            std::to_string(last_good_checkpoint) + ", " + std::to_string(next_cp->first) + ")");
      }
      last_good_checkpoint = next_cp->first;
      ++next_cp;
    }
  }
  return Status::Ok();
}

}  // namespace ipdx::ledger
