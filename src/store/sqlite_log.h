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

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ledger/ledger.h"
#include "store/store.h"

namespace ipdx::store::internal {

class SqliteLogStorage final : public ledger::LogStorage {
 public:
  // Also maps the database file into memory for reads (PRAGMA mmap_size, connection-wide; see
  // sqlite_log.cc).
  SqliteLogStorage(sqlite3* db, std::string path);
  ~SqliteLogStorage() override;
  SqliteLogStorage(const SqliteLogStorage&) = delete;
  SqliteLogStorage& operator=(const SqliteLogStorage&) = delete;

  Result<uint64_t> TreeSize() const override;
  Result<uint64_t> AppendLeaf(uint64_t leaf_index, std::string_view entry,
                              std::span<const ledger::StoredHash> hashes) override;
  Result<std::vector<std::string>> ReadEntries(uint64_t start, uint64_t count) const override;
  Result<std::vector<ledger::Hash>> ReadHashes(std::span<const ledger::NodeId> ids) const override;
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

  // Hashes of committed upper nodes (see ReadHashes in sqlite_log.cc).
  bool CachedHash(const ledger::NodeId& id, ledger::Hash& out) const;
  Status RevalidateHashCache() const;

  sqlite3* db_;
  std::string path_;
  mutable std::unordered_map<const char*, sqlite3_stmt*> cache_;
  // Committed complete-subtree hashes at level >= kCachedLevel (4), key level << 58 | index. Filled
  // only from reads outside any transaction (so nothing that a rollback can undo is kept) and
  // cleared when another connection commits (PRAGMA data_version) and when full; never written
  // from AppendLeaf. Stored nodes never change in a correct log; the clearing keeps a
  // database edited behind ipdx's back from being hidden by the cache.
  mutable std::unordered_map<uint64_t, ledger::Hash> hash_cache_;
  mutable int64_t hash_cache_data_version_ = -1;
};

}  // namespace ipdx::store::internal
