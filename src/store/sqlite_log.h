#pragma once
// The node's transparency log on the store's SQLite database: ledger::LogStorage over the tables
// log_entries, log_hashes, log_checkpoints, log_cosignatures and rights_events
// (docs/formats/store.md, schema version 2). Internal to src/store/.
//
// Ownership: borrows the connection of the SqliteStore that owns it; destroyed before the
// connection is closed. Threads: externally synchronised with that store (one thread at a time).
// Transactions: every write runs inside a savepoint, so it joins the store's open transaction (a
// record version and its leaf commit together) and is still atomic without one.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ledger/ledger.h"
#include "store/store.h"

namespace ipdx::store::internal {

class SqliteLogStorage final : public ledger::LogStorage {
 public:
  // Reads are fastest through the store's memory map of the file (set by the store at open,
  // Store::SetReadMapBytes).
  SqliteLogStorage(sqlite3* db, std::string path);
  ~SqliteLogStorage() override;
  SqliteLogStorage(const SqliteLogStorage&) = delete;
  SqliteLogStorage& operator=(const SqliteLogStorage&) = delete;

  Result<uint64_t> TreeSize() const override;
  Result<uint64_t> AppendLeaf(uint64_t leaf_index, std::string_view entry,
                              std::span<const ledger::StoredHash> hashes) override;
  Result<std::vector<std::string>> ReadEntries(uint64_t start, uint64_t count) const override;
  Result<std::vector<ledger::Hash>> ReadHashes(std::span<const ledger::NodeId> ids) const override;
  // One statement: the stored size and the hashes not in the cache (sqlite_log.cc).
  Result<std::vector<ledger::Hash>> ReadHashesAtSize(
      uint64_t tree_size, std::span<const ledger::NodeId> ids) const override;
  // Inside a write transaction only: the frontier kept from the last appends of this connection,
  // reloaded (one TreeSize and one ReadHashes) when the database changed in between.
  Result<const ledger::MerkleFrontier*> CurrentFrontier() override;
  Status StoreCheckpoint(uint64_t tree_size, std::string_view signed_note) override;
  Result<std::string> ReadCheckpoint(uint64_t tree_size) const override;
  Result<std::vector<uint64_t>> CheckpointSizes() const override;

  // Appends the record-version entry of a stored version (`hex_hash` is the store's lower-case
  // hex content hash). Returns the leaf index.
  Result<uint64_t> AppendRecordVersion(const std::string& publisher, const std::string& id,
                                       int version, const std::string& hex_hash,
                                       const std::string& recorded_at);
  // Appends a rights-event entry and its rights_events row, all or nothing.
  Result<uint64_t> AppendRightsEvent(const ledger::Entry& entry);
  Result<uint64_t> FindRecordLeaf(const std::string& publisher, const std::string& id,
                                  int version) const;
  Result<std::vector<LoggedEvent>> ListRightsEvents(const std::string& id) const;
  Result<LogCounts> Counts() const;

  // Appends a leaf for every version of `publisher` in `records` that has none, in rowid (write)
  // order, with its stored_at as recorded_at: the migration of stores written before the log.
  Status Backfill(const std::string& publisher);

 private:
  class Stmt;
  Result<sqlite3_stmt*> Prepare(const char* sql) const;
  Status Exec(const char* sql) const;
  Status Fail(int rc, std::string_view what) const;

  // SQLITE_FCNTL_DATA_VERSION of the main database: changes with every commit, of this
  // connection or another, as seen by the current (or last) read; nullopt when unavailable.
  std::optional<uint32_t> DataVersion() const;

  // Deletes the rows of a failed AppendLeaf inside the caller's transaction.
  Status UndoAppend(uint64_t leaf_index, bool entry_written,
                    std::span<const ledger::StoredHash> hashes_written);

  // The committed upper levels of the tree (see ReadHashesImpl in sqlite_log.cc).
  bool CachedHash(const ledger::NodeId& id, ledger::Hash& out) const;
  // The cached hash of `id`, or nullptr; valid until the cache changes.
  const ledger::Hash* CachedSlot(const ledger::NodeId& id) const;
  bool Cacheable(const ledger::NodeId& id) const;
  void StoreCached(uint8_t level, uint64_t index, const ledger::Hash& hash) const;
  // Empties the cache and fits its lowest level to a tree of `tree_size` leaves.
  void ResetCache(uint64_t tree_size) const;
  // ReadHashes, and with `need_size` also the size check of ReadHashesAtSize, in one statement.
  Result<std::vector<ledger::Hash>> ReadHashesImpl(std::optional<uint64_t> need_size,
                                                   std::span<const ledger::NodeId> ids) const;

  sqlite3* db_;
  std::string path_;
  mutable std::unordered_map<const char*, sqlite3_stmt*> statements_;
  // Committed complete-subtree hashes of the upper levels: level >= cache_min_level_, chosen
  // from the tree size so that they are at most kMaxCachedHashes (16 MB); at a million leaves,
  // levels 2 and up (500,000 nodes), all of a proof's nodes but its lowest two levels (which it
  // reads as three leaf hashes from one range: ReadHashesImpl, ledger's log.cc). Read 256 at a time
  // (one aligned chunk of a level, as a tile) with the nodes a proof needs: the upper levels are
  // warm after a few hundred proofs, level 2 (977 chunks at a million leaves) after tens of
  // thousands; filling all of it costs about as much CPU as 20,000 warm proofs. Filled only from
  // reads outside any transaction (so nothing that a rollback can undo is kept), cleared when the
  // database changed (DataVersion(): any commit, this connection's included) and when the tree
  // outgrows the budget; never written from AppendLeaf. Stored nodes never change in a correct log;
  // the clearing keeps a database edited behind ipdx's back from being hidden by the cache.
  mutable uint8_t cache_min_level_ = 64;                  // 64: nothing cached
  mutable uint64_t cache_tree_size_ = 0;                  // the stored size the last read saw
  mutable std::vector<std::vector<ledger::Hash>> cache_;  // [level - min][index]
  mutable std::vector<std::vector<bool>> cache_present_;
  mutable std::optional<uint32_t> cache_version_;

  // Scratch of ReadHashesImpl, kept between calls so that a proof allocates only its result.
  struct ReadArm {
    uint8_t level;
    uint64_t begin;  // nodes [begin, end) of `level`
    uint64_t end;
    bool chunk;      // a cache chunk (rows go to the cache) or nodes asked for (rows to read_rows_)
    size_t row_pos;  // node arms: where node `begin` goes in read_rows_
  };
  mutable std::vector<ReadArm> read_arms_;
  mutable std::vector<uint8_t> read_source_;   // per id: where its hash comes from
  mutable std::vector<uint32_t> read_arm_of_;  // per id read by a node arm: that arm
  mutable std::vector<ledger::Hash> read_rows_;
  mutable std::vector<uint8_t> read_row_present_;

  // The frontier of the stored tree as of DataVersion() == frontier_version_, kept by AppendLeaf
  // so that appends read nothing (CurrentFrontier). Reset when an append fails or when its leaf
  // index is not the frontier's size (a rolled-back savepoint); reloaded when the data version
  // changed (a commit: another connection may have appended).
  std::optional<ledger::MerkleFrontier> frontier_;
  std::optional<uint32_t> frontier_version_;
};

}  // namespace ipdx::store::internal
