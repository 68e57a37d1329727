// Log operations over a LogStorage (docs/formats/ledger.md §2.1, §5, §7).
//
// Every root, proof and tile is a fold of stored complete-subtree hashes: a range [begin, end)
// whose start is aligned to bit_ceil(end - begin) decomposes into at most log2(n) stored nodes,
// largest first. All ranges the RFC 6962 recursions produce have that property, so no
// operation except CheckIntegrity reads more than O(log n) hashes.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
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

Status CheckSize(const LogStorage& storage, uint64_t tree_size) {
  IPDX_ASSIGN_OR_RETURN(uint64_t stored, storage.TreeSize());
  if (tree_size > stored) {
    return Status::InvalidArgument("tree size " + std::to_string(tree_size) +
                                   " exceeds the log's size " + std::to_string(stored));
  }
  return Status::Ok();
}

// What RangeHashes reads for a range whose last node has two leaves.
enum class TwoLeafNodes {
  kStored,  // the stored level-1 node: roots, so that the start-up check (which compares the
            // root folded from stored nodes with the signed one) sees a damaged top node
  kLeaves,  // its two leaf hashes: proofs (see below)
};

// Reads the hashes of `ranges` (each becoming one MTH) of the tree of `tree_size` leaves with a
// single storage call, which also checks that the log holds that many leaves. The hashes are
// folded in place: hashes[i] becomes the MTH of range i.
Result<std::vector<Hash>> RangeHashes(const LogStorage& storage, uint64_t tree_size,
                                      std::span<const Range> ranges, TwoLeafNodes two_leaf) {
  std::vector<NodeId> ids;
  ids.reserve(3 * 64);
  std::array<size_t, 2 * 64 + 1> counts{};  // RFC 6962 recursions give <= 2 * 64 ranges
  if (ranges.size() > counts.size()) return Status::Internal("log: too many ranges");
  for (size_t r = 0; r < ranges.size(); ++r) {
    const size_t before = ids.size();
    RangeNodes(ranges[r].begin, ranges[r].end, ids);
    // For a proof, a range's last node, when it has two leaves, is read as those two leaves:
    // the right fold below hashes them first, so the range's hash is the same. They lie next to
    // the other low nodes of the proof (an inclusion proof's leaf sibling), and a storage that
    // reads nearby nodes of a level with one seek (sqlite_log.cc) then needs one seek for the
    // lowest two levels instead of two, which costs more than the extra SHA-256.
    if (two_leaf == TwoLeafNodes::kLeaves && ids.back().level == 1) {
      const uint64_t first_leaf = ids.back().index * 2;
      ids.back() = NodeId{0, first_leaf};
      ids.push_back(NodeId{0, first_leaf + 1});
    }
    counts[r] = ids.size() - before;
  }
  IPDX_ASSIGN_OR_RETURN(std::vector<Hash> hashes, storage.ReadHashesAtSize(tree_size, ids));
  if (hashes.size() != ids.size()) {
    return Status::Corruption("log storage returned " + std::to_string(hashes.size()) +
                              " hashes for " + std::to_string(ids.size()) + " nodes");
  }
  size_t pos = 0;
  for (size_t r = 0; r < ranges.size(); ++r) {
    const size_t count = counts[r];
    Hash h = hashes[pos + count - 1];
    for (size_t i = count - 1; i-- > 0;) h = NodeHash(hashes[pos + i], h);
    hashes[r] = h;  // r <= pos: every range has at least one node
    pos += count;
  }
  hashes.resize(ranges.size());
  return hashes;
}

// RFC 6962 PATH as ranges, leaf side first: the recursion unrolled from the root down, then
// reversed.
void PathRanges(uint64_t m, uint64_t begin, uint64_t end, std::vector<Range>& out) {
  const size_t first = out.size();
  while (end - begin > 1) {
    const uint64_t k = SplitPoint(end - begin);
    if (m - begin < k) {
      out.push_back({begin + k, end});
      end = begin + k;
    } else {
      out.push_back({begin, begin + k});
      begin += k;
    }
  }
  std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
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

// One attempt of Append: the left siblings from the storage's frontier when it offers one
// (`use_frontier`), read from storage otherwise.
Result<uint64_t> AppendOnce(LogStorage& storage, std::string_view entry, const Hash& leaf_hash,
                            bool use_frontier, bool& used_frontier) {
  const MerkleFrontier* frontier = nullptr;
  if (use_frontier) {
    IPDX_ASSIGN_OR_RETURN(frontier, storage.CurrentFrontier());
  }
  used_frontier = frontier != nullptr;
  uint64_t n = 0;
  // Leaf n completes one node per trailing one bit of n (at most 63); lefts[l] is the left
  // sibling at level l.
  std::array<Hash, 64> lefts;
  size_t carries = 0;
  if (frontier != nullptr) {
    n = frontier->size();
    carries = static_cast<size_t>(std::countr_one(n));
    const std::span<const Hash> roots = frontier->hashes();  // smallest subtree last
    if (carries > roots.size()) return Status::Internal("log: frontier of the wrong shape");
    for (size_t l = 0; l < carries; ++l) lefts[l] = roots[roots.size() - 1 - l];
  } else {
    IPDX_ASSIGN_OR_RETURN(n, storage.TreeSize());
    carries = static_cast<size_t>(std::countr_one(n));
    if (carries > 0) {
      std::array<NodeId, 64> left_ids;
      for (size_t l = 0; l < carries; ++l) {
        left_ids[l] = NodeId{static_cast<uint8_t>(l), (n >> l) - 1};
      }
      IPDX_ASSIGN_OR_RETURN(std::vector<Hash> read,
                            storage.ReadHashes(std::span(left_ids.data(), carries)));
      if (read.size() != carries) return Status::Corruption("log storage: short read");
      std::copy(read.begin(), read.end(), lefts.begin());
    }
  }
  std::array<StoredHash, 65> hashes;
  Hash h = leaf_hash;
  hashes[0] = {NodeId{0, n}, h};
  for (size_t l = 0; l < carries; ++l) {
    h = NodeHash(lefts[l], h);
    const auto level = static_cast<uint8_t>(l + 1);
    hashes[l + 1] = {NodeId{level, n >> level}, h};
  }
  return storage.AppendLeaf(n, entry, std::span(hashes.data(), carries + 1));
}

}  // namespace

Result<std::vector<Hash>> LogStorage::ReadHashesAtSize(uint64_t tree_size,
                                                       std::span<const NodeId> ids) const {
  IPDX_RETURN_IF_ERROR(CheckSize(*this, tree_size));
  return ReadHashes(ids);
}

Result<uint64_t> Append(LogStorage& storage, std::string_view entry) {
  if (entry.size() > kMaxEntryBytes) {
    return Status::InvalidArgument("log entry of " + std::to_string(entry.size()) +
                                   " bytes exceeds the 65,535-byte limit");
  }
  const Hash leaf_hash = LeafHash(entry);
  bool used_frontier = false;
  Result<uint64_t> leaf = AppendOnce(storage, entry, leaf_hash, true, used_frontier);
  // A frontier that went stale (a rolled-back savepoint) is refused by AppendLeaf, which writes
  // nothing then; the second attempt reads the tree from storage.
  if (!leaf.ok() && used_frontier && leaf.status().code() == StatusCode::kFailedPrecondition) {
    leaf = AppendOnce(storage, entry, leaf_hash, false, used_frontier);
  }
  return leaf;
}

Result<Hash> TreeRoot(const LogStorage& storage, uint64_t tree_size) {
  if (tree_size == 0) {
    IPDX_RETURN_IF_ERROR(CheckSize(storage, tree_size));
    return EmptyRoot();
  }
  const Range whole{0, tree_size};
  IPDX_ASSIGN_OR_RETURN(std::vector<Hash> h,
                        RangeHashes(storage, tree_size, {&whole, 1}, TwoLeafNodes::kStored));
  return h[0];
}

Result<std::vector<Hash>> InclusionProof(const LogStorage& storage, uint64_t leaf_index,
                                         uint64_t tree_size) {
  if (leaf_index >= tree_size) {
    return Status::InvalidArgument("inclusion proof: leaf index " + std::to_string(leaf_index) +
                                   " not below tree size " + std::to_string(tree_size));
  }
  std::vector<Range> ranges;
  ranges.reserve(64);
  PathRanges(leaf_index, 0, tree_size, ranges);
  if (ranges.empty()) {
    IPDX_RETURN_IF_ERROR(CheckSize(storage, tree_size));
    return std::vector<Hash>{};
  }
  return RangeHashes(storage, tree_size, ranges, TwoLeafNodes::kLeaves);
}

Result<std::vector<Hash>> ConsistencyProof(const LogStorage& storage, uint64_t old_size,
                                           uint64_t new_size) {
  if (old_size == 0 || old_size > new_size) {
    return Status::InvalidArgument("consistency proof: need 0 < old size <= new size, got " +
                                   std::to_string(old_size) + " and " + std::to_string(new_size));
  }
  std::vector<Range> ranges;
  ranges.reserve(2 * 64);
  SubproofRanges(old_size, 0, new_size, true, ranges);
  if (ranges.empty()) {
    IPDX_RETURN_IF_ERROR(CheckSize(storage, new_size));
    return std::vector<Hash>{};
  }
  return RangeHashes(storage, new_size, ranges, TwoLeafNodes::kLeaves);
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
