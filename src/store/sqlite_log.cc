// ledger::LogStorage on the store's SQLite database. Tables and their reasons:
// docs/formats/store.md ("The transparency log"); entry bytes: docs/formats/ledger.md.
#include "store/sqlite_log.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"

namespace ipdx::store::internal {

namespace {

std::optional<ledger::Hash> HexToHash(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  ledger::Hash out{};
  for (size_t i = 0; i < 32; ++i) {
    int v = 0;
    for (size_t j = 0; j < 2; ++j) {
      const char c = hex[2 * i + j];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    out[i] = static_cast<uint8_t>(v);
  }
  return out;
}

std::string KeyIdHex(uint32_t id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", id);
  return buf;
}

}  // namespace

// One use of a cached statement: resets and clears it on destruction, so no statement holds a
// read transaction open between calls.
class SqliteLogStorage::Stmt {
 public:
  Stmt(const SqliteLogStorage& owner, sqlite3_stmt* s) : owner_(owner), s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& Int(int i, int64_t v) {
    Check(sqlite3_bind_int64(s_, i, v));
    return *this;
  }
  Stmt& Text(int i, std::string_view v) {
    Check(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
  }
  Stmt& Blob(int i, std::string_view v) {
    Check(sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT));
    return *this;
  }
  Result<bool> Step() {
    if (rc_ != SQLITE_OK) return owner_.Fail(rc_, "binding a log parameter");
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return owner_.Fail(rc, sqlite3_sql(s_));
  }
  Status Run() {
    Result<bool> r = Step();
    return r.ok() ? Status::Ok() : r.status();
  }
  int64_t ColInt(int c) const { return sqlite3_column_int64(s_, c); }
  std::string ColText(int c) const {
    const void* p = sqlite3_column_blob(s_, c);
    if (p == nullptr) return {};
    return std::string(static_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(s_, c)));
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && rc_ == SQLITE_OK) rc_ = rc;
  }
  const SqliteLogStorage& owner_;
  sqlite3_stmt* s_;
  int rc_ = SQLITE_OK;
};

SqliteLogStorage::SqliteLogStorage(sqlite3* db, std::string path)
    : db_(db), path_(std::move(path)) {}

SqliteLogStorage::~SqliteLogStorage() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
}

Status SqliteLogStorage::Fail(int rc, std::string_view what) const {
  std::string msg = path_ + ": log: " + std::string(what) + ": " + sqlite3_errmsg(db_);
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CONSTRAINT:  // a duplicate leaf or node: the log and the writer disagree
      return Status::Corruption(std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(msg));
    default:
      return Status::IOError(std::move(msg));
  }
}

Result<sqlite3_stmt*> SqliteLogStorage::Prepare(const char* sql) const {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return Fail(rc, std::string("preparing ") + sql);
  }
  statements_.emplace(sql, raw);
  return raw;
}

Status SqliteLogStorage::Exec(const char* sql) const {
  IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(sql));
  return Stmt(*this, s).Run();
}

Result<uint64_t> SqliteLogStorage::TreeSize() const {
  IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        Prepare("SELECT coalesce(max(leaf_index) + 1, 0) FROM log_entries"));
  Stmt q(*this, s);
  IPDX_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return Status::Internal("log: no tree size");
  return static_cast<uint64_t>(q.ColInt(0));
}

std::optional<uint32_t> SqliteLogStorage::DataVersion() const {
  unsigned int v = 0;
  if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(v);
}

namespace {
// A leaf completes at most 63 nodes besides itself.
constexpr size_t kMaxAppendHashes = 64;
}  // namespace

Result<const ledger::MerkleFrontier*> SqliteLogStorage::CurrentFrontier() {
  // Only inside a write transaction: the write lock is held, so the last read saw the latest
  // commit and nobody but this connection can change the log until it ends.
  if (sqlite3_txn_state(db_, "main") != SQLITE_TXN_WRITE) return nullptr;
  const std::optional<uint32_t> version = DataVersion();
  if (!version) return nullptr;
  if (frontier_ && frontier_version_ == version) return &*frontier_;
  frontier_.reset();
  IPDX_ASSIGN_OR_RETURN(uint64_t size, TreeSize());
  std::vector<ledger::NodeId> ids;  // one node per set bit of size, largest first
  for (int level = 63; level >= 0; --level) {
    if (((size >> level) & 1) != 0) {
      ids.push_back({static_cast<uint8_t>(level), (size >> level) - 1});
    }
  }
  IPDX_ASSIGN_OR_RETURN(std::vector<ledger::Hash> roots, ReadHashes(ids));
  std::string bytes;
  for (const ledger::Hash& h : roots) bytes.append(reinterpret_cast<const char*>(h.data()), 32);
  IPDX_ASSIGN_OR_RETURN(ledger::MerkleFrontier loaded,
                        ledger::MerkleFrontier::FromBytes(size, bytes));
  frontier_ = std::move(loaded);
  frontier_version_ = version;
  return &*frontier_;
}

Result<uint64_t> SqliteLogStorage::AppendLeaf(uint64_t leaf_index, std::string_view entry,
                                              std::span<const ledger::StoredHash> hashes) {
  // The queryable columns come from the entry bytes themselves, so they cannot disagree.
  auto decoded = ledger::DecodeEntry(entry);
  if (!decoded.ok())
    return decoded.status().WithContext("appending leaf " + std::to_string(leaf_index));
  if (hashes.size() > kMaxAppendHashes) {
    return Status::InvalidArgument("appending leaf " + std::to_string(leaf_index) + " with " +
                                   std::to_string(hashes.size()) + " hashes");
  }
  // All or nothing. Inside the caller's transaction (ingest's batches) without a savepoint of
  // its own: with the store's 64 KiB pages, a savepoint copies every page that it changes (the
  // entry's, the index's and the hashes' leaf pages, ~3.5 a leaf) into the statement journal,
  // a temporary file: 230 KB of writes a leaf, more CPU than everything else in an append
  // (bench/README.md, ledger section). So the rows are single-row INSERTs (a multi-row INSERT
  // also needs that journal) and a failure deletes the rows this call wrote. Outside a
  // transaction the savepoint is the (one-leaf) transaction.
  const bool own_transaction = sqlite3_get_autocommit(db_) != 0;
  if (own_transaction) IPDX_RETURN_IF_ERROR(Exec("SAVEPOINT log_append"));
  bool entry_written = false;
  size_t hashes_written = 0;
  auto body = [&]() -> Status {
    IPDX_ASSIGN_OR_RETURN(uint64_t size, TreeSize());
    if (leaf_index != size) {
      return Status::FailedPrecondition("append at leaf " + std::to_string(leaf_index) +
                                        " but the log holds " + std::to_string(size));
    }
    {
      IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                            Prepare("INSERT INTO log_entries (leaf_index, entry, entry_type, "
                                    "publisher, record_id, record_version) VALUES (?1, ?2, ?3, "
                                    "?4, ?5, ?6)"));
      Stmt q(*this, s);
      q.Int(1, static_cast<int64_t>(leaf_index))
          .Blob(2, entry)
          .Int(3, static_cast<int64_t>(decoded->type))
          .Text(4, decoded->publisher)
          .Text(5, decoded->record_id)
          .Int(6, decoded->record_version);
      IPDX_RETURN_IF_ERROR(q.Run());
      entry_written = true;
    }
    IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                          Prepare("INSERT INTO log_hashes (level, idx, hash) VALUES (?1, ?2, ?3)"));
    for (const ledger::StoredHash& h : hashes) {
      Stmt q(*this, s);
      q.Int(1, h.id.level)
          .Int(2, static_cast<int64_t>(h.id.index))
          .Blob(3, std::string_view(reinterpret_cast<const char*>(h.hash.data()), h.hash.size()));
      IPDX_RETURN_IF_ERROR(q.Run());
      ++hashes_written;
    }
    return Status::Ok();
  };
  Status st = body();
  if (!st.ok()) {
    frontier_.reset();
    if (own_transaction) {
      (void)Exec("ROLLBACK TO log_append");
      (void)Exec("RELEASE log_append");
    } else if (sqlite3_get_autocommit(db_) == 0) {  // SQLite did not roll back on its own
      Status undo = UndoAppend(leaf_index, entry_written, hashes.first(hashes_written));
      if (!undo.ok()) {
        return st.WithContext("appending leaf " + std::to_string(leaf_index) +
                              "; undoing its partial writes also failed (" + undo.ToString() +
                              "): roll the transaction back");
      }
    }
    return st;
  }
  if (own_transaction) IPDX_RETURN_IF_ERROR(Exec("RELEASE log_append"));
  // Keep the frontier only when it described the tree this leaf extends, in the same state of
  // the database (no commit in between).
  if (frontier_ && frontier_->size() == leaf_index && frontier_version_ == DataVersion() &&
      !hashes.empty()) {
    frontier_->Append(hashes[0].hash);
  } else {
    frontier_.reset();
  }
  return leaf_index;
}

Status SqliteLogStorage::UndoAppend(uint64_t leaf_index, bool entry_written,
                                    std::span<const ledger::StoredHash> hashes_written) {
  if (entry_written) {
    IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                          Prepare("DELETE FROM log_entries WHERE leaf_index = ?1"));
    IPDX_RETURN_IF_ERROR(Stmt(*this, s).Int(1, static_cast<int64_t>(leaf_index)).Run());
  }
  IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        Prepare("DELETE FROM log_hashes WHERE level = ?1 AND idx = ?2"));
  for (const ledger::StoredHash& h : hashes_written) {
    IPDX_RETURN_IF_ERROR(
        Stmt(*this, s).Int(1, h.id.level).Int(2, static_cast<int64_t>(h.id.index)).Run());
  }
  return Status::Ok();
}

Result<std::vector<std::string>> SqliteLogStorage::ReadEntries(uint64_t start,
                                                               uint64_t count) const {
  IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        Prepare("SELECT leaf_index, entry FROM log_entries WHERE leaf_index >= ?1 "
                                "ORDER BY leaf_index LIMIT ?2"));
  Stmt q(*this, s);
  q.Int(1, static_cast<int64_t>(start)).Int(2, static_cast<int64_t>(count));
  std::vector<std::string> out;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    // A gap ends the run: the caller sees fewer entries than asked (a missing leaf).
    if (static_cast<uint64_t>(q.ColInt(0)) != start + out.size()) break;
    out.push_back(q.ColText(1));
  }
  return out;
}

namespace {
// 16 MB of hashes (the hash map this replaced held 2^18 nodes in about as much memory).
constexpr size_t kMaxCachedHashes = size_t{1} << 19;
constexpr uint64_t kCacheChunk = 256;
// Levels 0 and 1 are three quarters of the tree and rarely shared between proofs.
constexpr uint8_t kLowestCachedLevel = 2;

// The lowest level whose nodes, with all above, fit the budget (64: none).
uint8_t MinCachedLevel(uint64_t tree_size) {
  for (uint8_t level = kLowestCachedLevel; level < 64; ++level) {
    uint64_t total = 0;
    for (uint8_t l = level; l < 64; ++l) {
      total += ((tree_size >> l) + kCacheChunk - 1) / kCacheChunk * kCacheChunk;
    }
    if (total <= kMaxCachedHashes) return level;
  }
  return 64;
}

}  // namespace

void SqliteLogStorage::ResetCache(uint64_t tree_size) const {
  cache_tree_size_ = tree_size;
  cache_min_level_ = MinCachedLevel(tree_size);
  cache_.assign(cache_min_level_ < 64 ? 64 - cache_min_level_ : 0, {});
  cache_present_.assign(cache_.size(), {});
}

bool SqliteLogStorage::Cacheable(const ledger::NodeId& id) const {
  // Only nodes of the tree the last read saw, so that the cache stays within its budget.
  return id.level >= cache_min_level_ && id.level < 64 && id.index < (cache_tree_size_ >> id.level);
}

const ledger::Hash* SqliteLogStorage::CachedSlot(const ledger::NodeId& id) const {
  if (!Cacheable(id)) return nullptr;
  const std::vector<bool>& present = cache_present_[id.level - cache_min_level_];
  if (id.index >= present.size() || !present[id.index]) return nullptr;
  return &cache_[id.level - cache_min_level_][id.index];
}

bool SqliteLogStorage::CachedHash(const ledger::NodeId& id, ledger::Hash& out) const {
  const ledger::Hash* slot = CachedSlot(id);
  if (slot == nullptr) return false;
  out = *slot;
  return true;
}

void SqliteLogStorage::StoreCached(uint8_t level, uint64_t index, const ledger::Hash& hash) const {
  if (!Cacheable({level, index})) return;
  std::vector<ledger::Hash>& hashes = cache_[level - cache_min_level_];
  std::vector<bool>& present = cache_present_[level - cache_min_level_];
  if (index >= hashes.size()) {
    const uint64_t size = (index / kCacheChunk + 1) * kCacheChunk;
    hashes.resize(size);
    present.resize(size);
  }
  hashes[index] = hash;
  present[index] = true;
}

Result<std::vector<ledger::Hash>> SqliteLogStorage::ReadHashes(
    std::span<const ledger::NodeId> ids) const {
  return ReadHashesImpl(std::nullopt, ids);
}

Result<std::vector<ledger::Hash>> SqliteLogStorage::ReadHashesAtSize(
    uint64_t tree_size, std::span<const ledger::NodeId> ids) const {
  return ReadHashesImpl(tree_size, ids);
}

Result<std::vector<ledger::Hash>> SqliteLogStorage::ReadHashesImpl(
    std::optional<uint64_t> need_size, std::span<const ledger::NodeId> ids) const {
  // A proof or root needs O(log n) nodes (about 20 at a million leaves) and the stored size. Each
  // statement costs more than its b-tree seeks (step, reset, bindings, and outside a transaction
  // a read transaction of its own: file locks, WAL read mark), so one statement answers all of
  // it: the size and up to kMaxArms index ranges on the primary key (a run of nearby nodes of one
  // level not cached, or the 256-node chunk of the upper levels that holds a node not yet cached),
  // joined by UNION ALL, each row carrying its arm (-1: the size). The cache (sqlite_log.h) is
  // used only outside transactions: inside one, nothing is cached or served from the cache, so
  // appends and a rolled-back batch never meet it. It is checked against the data version that
  // the statement's own read transaction sees, so it costs no statement of its own.
  //
  // What a proof costs at a million leaves is mostly memory latency, not instructions: a seek
  // into a 64 KiB page of the memory-mapped database is some twenty cache and TLB misses, a
  // cached upper node one. So nodes of one level at most kNearbyNodes apart share one range (an
  // inclusion proof's leaf sibling and the two leaves under its level-1 sibling: one seek, not
  // two; ledger's log.cc asks for those leaves), and cached hashes are prefetched while the
  // statement runs and copied after it. bench/README.md (ledger section) has the numbers.
  constexpr size_t kMaxArms = 32;
  constexpr uint64_t kNearbyNodes = 4;
  // Larger indices are never stored (idx is a signed 64-bit column) and keep `end` bindable.
  constexpr uint64_t kMaxIndex = uint64_t{std::numeric_limits<int64_t>::max()} - 1;
  // The statement text for each number of arms, built once; the statement cache is keyed by
  // these pointers.
  static const std::array<std::string, kMaxArms + 1> kSql = [] {
    std::array<std::string, kMaxArms + 1> sql;
    for (size_t k = 0; k <= kMaxArms; ++k) {
      sql[k] = "SELECT -1, 0, coalesce(max(leaf_index) + 1, 0) FROM log_entries";
      for (size_t i = 0; i < k; ++i) {
        sql[k] += " UNION ALL SELECT " + std::to_string(i) +
                  ", idx, hash FROM log_hashes WHERE level = ?" + std::to_string(3 * i + 1) +
                  " AND idx >= ?" + std::to_string(3 * i + 2) + " AND idx < ?" +
                  std::to_string(3 * i + 3);
      }
    }
    return sql;
  }();
  // Where each id's hash comes from.
  enum Source : uint8_t {
    kFromArm,       // a row of its arm (read_arm_of_[i]), kept in read_rows_
    kCachedAfter,   // the cache, once the chunk that an arm of this statement reads is stored
    kCachedBefore,  // the cache as it was before the statement (prefetched while it runs)
    kNeverStored,   // an index no stored node can have: NotFound
  };
  const bool outside_transaction = sqlite3_get_autocommit(db_) != 0;
  std::vector<ReadArm>& arms = read_arms_;
  std::vector<uint8_t>& source = read_source_;
  std::vector<uint32_t>& arm_of = read_arm_of_;
  source.resize(ids.size());
  arm_of.resize(ids.size());
  for (int attempt = 0;; ++attempt) {
    // A third plan (the database changed twice during the reads) goes without the cache.
    const bool use_cache = outside_transaction && attempt < 2 && DataVersion().has_value();
    arms.clear();
    std::array<uint32_t, 64> level_arm;  // the last node arm of each level
    level_arm.fill(UINT32_MAX);
    size_t chunk_arms_begin = SIZE_MAX;  // chunk arms are searched from the first one
    bool planned_cached = false;  // some node is taken from the cache as it was before the read
    bool any_from_cache = false;  // some node is taken from the cache after the read
    for (size_t i = 0; i < ids.size(); ++i) {
      const ledger::NodeId& id = ids[i];
      if (use_cache && Cacheable(id)) {
        any_from_cache = true;
        if (const ledger::Hash* cached = CachedSlot(id)) {
          __builtin_prefetch(cached);
          source[i] = kCachedBefore;
          planned_cached = true;
          continue;
        }
        source[i] = kCachedAfter;
        const uint64_t begin = id.index / kCacheChunk * kCacheChunk;
        bool planned = false;
        for (size_t c = chunk_arms_begin; c < arms.size() && !planned; ++c) {
          planned = arms[c].chunk && arms[c].level == id.level && arms[c].begin == begin;
        }
        if (!planned) {
          chunk_arms_begin = std::min(chunk_arms_begin, arms.size());
          arms.push_back({id.level, begin, begin + kCacheChunk, true, 0});
        }
        continue;
      }
      if (id.index > kMaxIndex) {
        source[i] = kNeverStored;
        continue;
      }
      source[i] = kFromArm;
      if (id.level < 64 && level_arm[id.level] != UINT32_MAX) {
        ReadArm& near = arms[level_arm[id.level]];
        if (id.index + kNearbyNodes >= near.begin && id.index < near.end + kNearbyNodes) {
          near.begin = std::min(near.begin, id.index);
          near.end = std::max(near.end, id.index + 1);
          arm_of[i] = level_arm[id.level];
          continue;
        }
      }
      arm_of[i] = static_cast<uint32_t>(arms.size());
      if (id.level < 64) level_arm[id.level] = static_cast<uint32_t>(arms.size());
      arms.push_back({id.level, id.index, id.index + 1, false, 0});
    }
    // The rows of node arms, arm after arm.
    size_t rows = 0;
    for (ReadArm& a : arms) {
      if (a.chunk) continue;
      a.row_pos = rows;
      rows += a.end - a.begin;
    }
    read_rows_.resize(rows);
    read_row_present_.assign(rows, 0);

    bool restart = false;
    size_t start = 0;
    // At least one statement, also when every node was cached: it reads the size and starts the
    // read transaction whose data version validates the cache.
    do {
      const size_t k = std::min(kMaxArms, arms.size() - start);
      IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(kSql[k].c_str()));
      Stmt q(*this, s);
      for (size_t i = 0; i < k; ++i) {
        const ReadArm& a = arms[start + i];
        const auto at = static_cast<int>(3 * i);
        q.Int(at + 1, a.level)
            .Int(at + 2, static_cast<int64_t>(a.begin))
            .Int(at + 3, static_cast<int64_t>(a.end));
      }
      for (bool first_row = true;; first_row = false) {
        IPDX_ASSIGN_OR_RETURN(bool row, q.Step());
        if (first_row && start == 0 && use_cache) {
          // The read transaction of this statement has begun: its data version says whether
          // anything was committed since the cache was filled.
          const std::optional<uint32_t> version = DataVersion();
          if (!version || version != cache_version_) {
            ResetCache(cache_tree_size_);
            cache_version_ = version;
            if (planned_cached) {
              restart = true;  // some nodes would come from the stale cache: plan again
              break;
            }
          }
        }
        if (!row) break;
        const int64_t pos = q.ColInt(0);
        if (pos == -1) {
          const auto stored = static_cast<uint64_t>(q.ColInt(2));
          if (start != 0) continue;
          if (need_size && *need_size > stored) {
            return Status::InvalidArgument("tree size " + std::to_string(*need_size) +
                                           " exceeds the log's size " + std::to_string(stored));
          }
          if (use_cache && stored != cache_tree_size_) {
            // The cache covers the tree this read sees; when its lowest level changes with the
            // size, what was planned from the cache is planned again.
            const bool same_levels = MinCachedLevel(stored) == cache_min_level_;
            if (same_levels) {
              cache_tree_size_ = stored;
            } else {
              ResetCache(stored);
              if (any_from_cache) {
                restart = true;
                break;
              }
            }
          }
          continue;
        }
        if (pos < 0 || static_cast<size_t>(pos) >= k)
          return Status::Internal("log: bad row position");
        const ReadArm& a = arms[start + static_cast<size_t>(pos)];
        const auto index = static_cast<uint64_t>(q.ColInt(1));
        const void* blob = sqlite3_column_blob(s, 2);
        if (blob == nullptr || sqlite3_column_bytes(s, 2) != 32) {
          return Status::Corruption(path_ + ": stored hash of node (" + std::to_string(a.level) +
                                    ", " + std::to_string(index) + ") is not 32 bytes");
        }
        if (index < a.begin || index >= a.end) return Status::Internal("log: row out of range");
        if (a.chunk) {
          ledger::Hash h;
          std::memcpy(h.data(), blob, 32);
          StoreCached(a.level, index, h);
        } else {
          const size_t at = a.row_pos + static_cast<size_t>(index - a.begin);
          std::memcpy(read_rows_[at].data(), blob, 32);
          read_row_present_[at] = 1;
        }
      }
      if (restart) break;
      start += k;
    } while (start < arms.size());
    if (!restart) break;
  }
  std::vector<ledger::Hash> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    bool found = false;
    if (source[i] == kFromArm) {
      const ReadArm& a = arms[arm_of[i]];
      const size_t at = a.row_pos + static_cast<size_t>(ids[i].index - a.begin);
      found = read_row_present_[at] != 0;
      if (found) out[i] = read_rows_[at];
    } else if (source[i] != kNeverStored) {
      found = CachedHash(ids[i], out[i]);
    }
    if (!found) {
      return Status::NotFound("no stored hash for node (" + std::to_string(ids[i].level) + ", " +
                              std::to_string(ids[i].index) + ")");
    }
  }
  return out;
}

Status SqliteLogStorage::StoreCheckpoint(uint64_t tree_size, std::string_view signed_note) {
  // Cosignature lines (76-byte blobs: key id, timestamp, signature) are also indexed so that
  // witness status can be queried without parsing notes.
  IPDX_ASSIGN_OR_RETURN(ledger::Note note, ledger::ParseNote(signed_note));
  IPDX_RETURN_IF_ERROR(Exec("SAVEPOINT log_checkpoint"));
  auto body = [&]() -> Status {
    {
      IPDX_ASSIGN_OR_RETURN(
          sqlite3_stmt * s,
          Prepare("INSERT INTO log_checkpoints (tree_size, note, stored_at) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (tree_size) DO UPDATE SET note = excluded.note"));
      Stmt q(*this, s);
      q.Int(1, static_cast<int64_t>(tree_size)).Text(2, signed_note).Text(3, NowUtcIso8601());
      IPDX_RETURN_IF_ERROR(q.Run());
    }
    IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                          Prepare("INSERT OR IGNORE INTO log_cosignatures (tree_size, key_name, "
                                  "key_id, timestamp) VALUES (?1, ?2, ?3, ?4)"));
    for (const ledger::NoteSignature& sig : note.signatures) {
      auto ts = ledger::CosignatureTimestamp(sig);
      if (!ts.ok()) continue;  // the log's own signature
      Stmt q(*this, s);
      q.Int(1, static_cast<int64_t>(tree_size))
          .Text(2, sig.key_name)
          .Text(3, KeyIdHex(sig.key_id))
          .Int(4, static_cast<int64_t>(*ts));
      IPDX_RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  };
  Status st = body();
  if (!st.ok()) {
    (void)Exec("ROLLBACK TO log_checkpoint");
    (void)Exec("RELEASE log_checkpoint");
    return st;
  }
  return Exec("RELEASE log_checkpoint");
}

Result<std::string> SqliteLogStorage::ReadCheckpoint(uint64_t tree_size) const {
  IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        Prepare("SELECT note FROM log_checkpoints WHERE tree_size = ?1"));
  Stmt q(*this, s);
  q.Int(1, static_cast<int64_t>(tree_size));
  IPDX_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return Status::NotFound("no checkpoint of size " + std::to_string(tree_size));
  return q.ColText(0);
}

Result<std::vector<uint64_t>> SqliteLogStorage::CheckpointSizes() const {
  IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        Prepare("SELECT tree_size FROM log_checkpoints ORDER BY tree_size"));
  Stmt q(*this, s);
  std::vector<uint64_t> out;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(static_cast<uint64_t>(q.ColInt(0)));
  }
  return out;
}

Result<uint64_t> SqliteLogStorage::AppendRecordVersion(const std::string& publisher,
                                                       const std::string& id, int version,
                                                       const std::string& hex_hash,
                                                       const std::string& recorded_at) {
  std::optional<ledger::Hash> hash = HexToHash(hex_hash);
  if (!hash) {
    return Status::Corruption(path_ + ": content hash of " + id + " version " +
                              std::to_string(version) + " is not 64 lower-case hex digits");
  }
  ledger::Entry e;
  e.type = ledger::EntryType::kRecordVersion;
  e.publisher = publisher;
  e.record_id = id;
  e.record_version = static_cast<uint32_t>(version);
  e.content_hash = *hash;
  e.recorded_at = recorded_at;
  IPDX_ASSIGN_OR_RETURN(std::string bytes, ledger::EncodeEntry(e));
  return ledger::Append(*this, bytes);
}

Result<uint64_t> SqliteLogStorage::AppendRightsEvent(const ledger::Entry& entry) {
  if (entry.type != ledger::EntryType::kRightsEvent || !entry.event) {
    return Status::InvalidArgument("AppendRightsEvent: not a rights-event entry");
  }
  IPDX_ASSIGN_OR_RETURN(std::string bytes, ledger::EncodeEntry(entry));
  IPDX_RETURN_IF_ERROR(Exec("SAVEPOINT log_event"));
  auto body = [&]() -> Result<uint64_t> {
    IPDX_ASSIGN_OR_RETURN(uint64_t leaf, ledger::Append(*this, bytes));
    const ledger::RightsEventInfo& info = ledger::RightsEventInfoFor(entry.event->type);
    IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                          Prepare("INSERT INTO rights_events (leaf_index, publisher, id, "
                                  "event_type, st27_code, effective_date, recorded_at) VALUES "
                                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    Stmt q(*this, s);
    q.Int(1, static_cast<int64_t>(leaf))
        .Text(2, entry.publisher)
        .Text(3, entry.record_id)
        .Text(4, info.name)
        .Text(5, entry.event->st27_code.empty() ? std::string(info.default_code)
                                                : entry.event->st27_code)
        .Text(6, entry.event->effective_date)
        .Text(7, entry.recorded_at);
    IPDX_RETURN_IF_ERROR(q.Run());
    return leaf;
  };
  Result<uint64_t> leaf = body();
  if (!leaf.ok()) {
    (void)Exec("ROLLBACK TO log_event");
    (void)Exec("RELEASE log_event");
    return leaf.status();
  }
  IPDX_RETURN_IF_ERROR(Exec("RELEASE log_event"));
  return leaf;
}

Result<uint64_t> SqliteLogStorage::FindRecordLeaf(const std::string& publisher,
                                                  const std::string& id, int version) const {
  IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        Prepare("SELECT leaf_index FROM log_entries WHERE record_id = ?1 AND "
                                "publisher = ?2 AND record_version = ?3 AND entry_type = 1 "
                                "ORDER BY leaf_index LIMIT 1"));
  Stmt q(*this, s);
  q.Text(1, id).Text(2, publisher).Int(3, version);
  IPDX_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    return Status::NotFound("no log leaf for " + id + " version " + std::to_string(version) +
                            " published by " + publisher);
  }
  return static_cast<uint64_t>(q.ColInt(0));
}

Result<std::vector<LoggedEvent>> SqliteLogStorage::ListRightsEvents(const std::string& id) const {
  IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        Prepare("SELECT e.leaf_index, l.entry FROM rights_events e LEFT JOIN "
                                "log_entries l ON l.leaf_index = e.leaf_index WHERE e.id = ?1 "
                                "ORDER BY e.leaf_index"));
  Stmt q(*this, s);
  q.Text(1, id);
  std::vector<LoggedEvent> out;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    const auto leaf = static_cast<uint64_t>(q.ColInt(0));
    // Shown from the logged bytes, never from the index columns: what is listed is what is signed.
    auto entry = ledger::DecodeEntry(q.ColText(1));
    if (!entry.ok()) {
      return Status::Corruption(path_ + ": rights event at leaf " + std::to_string(leaf) + ": " +
                                entry.status().message());
    }
    out.push_back({leaf, std::move(entry).value()});
  }
  return out;
}

Result<LogCounts> SqliteLogStorage::Counts() const {
  IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                        Prepare("SELECT (SELECT coalesce(max(leaf_index) + 1, 0) FROM "
                                "log_entries), (SELECT count(*) FROM log_entries WHERE entry_type "
                                "= 1), (SELECT count(*) FROM log_entries WHERE entry_type = 2), "
                                "(SELECT count(*) FROM log_checkpoints)"));
  Stmt q(*this, s);
  IPDX_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return Status::Internal("log: no counts");
  LogCounts c;
  c.tree_size = static_cast<uint64_t>(q.ColInt(0));
  c.record_versions = static_cast<uint64_t>(q.ColInt(1));
  c.rights_events = static_cast<uint64_t>(q.ColInt(2));
  c.checkpoints = static_cast<uint64_t>(q.ColInt(3));
  return c;
}

Status SqliteLogStorage::Backfill(const std::string& publisher) {
  struct Row {
    std::string id;
    int version;
    std::string hash;
    std::string stored_at;
  };
  std::vector<Row> rows;
  {
    IPDX_ASSIGN_OR_RETURN(
        sqlite3_stmt * s,
        Prepare("SELECT r.id, r.version, r.hash, r.stored_at FROM records r WHERE r.publisher = "
                "?1 AND NOT EXISTS (SELECT 1 FROM log_entries l WHERE l.entry_type = 1 AND "
                "l.record_id = r.id AND l.publisher = r.publisher AND l.record_version = "
                "r.version) ORDER BY r.rowid"));
    Stmt q(*this, s);
    q.Text(1, publisher);
    for (;;) {
      IPDX_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      rows.push_back({q.ColText(0), static_cast<int>(q.ColInt(1)), q.ColText(2), q.ColText(3)});
    }
  }
  for (const Row& r : rows) {
    IPDX_RETURN_IF_ERROR(
        AppendRecordVersion(publisher, r.id, r.version, r.hash, r.stored_at)
            .status()
            .WithContext("adding the log leaf of a version stored before the log"));
  }
  return Status::Ok();
}

}  // namespace ipdx::store::internal
