// ledger::LogStorage on the store's SQLite database. Tables and their reasons:
// docs/formats/store.md ("The transparency log"); entry bytes: docs/formats/ledger.md.
#include "store/sqlite_log.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>
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
    : db_(db), path_(std::move(path)) {
  // Proofs and roots read O(log n) nodes scattered over the log_hashes b-tree. The store's 64 KiB
  // pages (sqlite_store.cc) leave SQLite's default 2 MB page cache 31 pages, so at a million
  // leaves nearly every node read copied a 64 KiB page from the OS with pread: 13,000 inclusion
  // proofs per CPU second in bench/run-ledger, 52,000 with reads from a memory map (48,000 with a
  // 256 MB page cache, which every connection would hold privately). The map is address space,
  // not memory: pages are the OS page cache's, shared with every other connection. It is set on
  // the store's connection, so record reads use it too; failing to set it only costs speed.
  // Writes still go through the WAL, so durability is unchanged.
  sqlite3_exec(db_, "PRAGMA mmap_size = 1073741824", nullptr, nullptr, nullptr);
}

SqliteLogStorage::~SqliteLogStorage() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
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
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return Fail(rc, std::string("preparing ") + sql);
  }
  cache_.emplace(sql, raw);
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

Result<uint64_t> SqliteLogStorage::AppendLeaf(uint64_t leaf_index, std::string_view entry,
                                              std::span<const ledger::StoredHash> hashes) {
  // The queryable columns come from the entry bytes themselves, so they cannot disagree.
  auto decoded = ledger::DecodeEntry(entry);
  if (!decoded.ok())
    return decoded.status().WithContext("appending leaf " + std::to_string(leaf_index));
  IPDX_ASSIGN_OR_RETURN(uint64_t size, TreeSize());
  if (leaf_index != size) {
    return Status::FailedPrecondition("append at leaf " + std::to_string(leaf_index) +
                                      " but the log holds " + std::to_string(size));
  }
  IPDX_RETURN_IF_ERROR(Exec("SAVEPOINT log_append"));
  auto body = [&]() -> Status {
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
    }
    IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s,
                          Prepare("INSERT INTO log_hashes (level, idx, hash) VALUES (?1, ?2, ?3)"));
    for (const ledger::StoredHash& h : hashes) {
      Stmt q(*this, s);
      q.Int(1, h.id.level)
          .Int(2, static_cast<int64_t>(h.id.index))
          .Blob(3, std::string_view(reinterpret_cast<const char*>(h.hash.data()), h.hash.size()));
      IPDX_RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  };
  Status st = body();
  if (!st.ok()) {
    (void)Exec("ROLLBACK TO log_append");
    (void)Exec("RELEASE log_append");
    return st;
  }
  IPDX_RETURN_IF_ERROR(Exec("RELEASE log_append"));
  return leaf_index;
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
// Nodes at this level and above are cached: 1/32 of the stored hashes (about 3 % of a million
// leaves' 2 million rows fit in a few MB), yet two thirds of the nodes of a proof or root in a
// tree of a million leaves, and every node that many proofs share.
constexpr uint8_t kCachedLevel = 4;
constexpr size_t kMaxCachedHashes = size_t{1} << 18;
// level < 64 and, for level >= 6, index < 2^58.
uint64_t CacheKey(const ledger::NodeId& id) { return uint64_t{id.level} << 58 | id.index; }
}  // namespace

Status SqliteLogStorage::RevalidateHashCache() const {
  // PRAGMA data_version runs in a read transaction of its own, so it sees every commit by another
  // connection up to now (a cheaper file-control read only sees those up to the last statement).
  // This connection's own commits do not change it: they only add nodes, never cached before.
  IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare("PRAGMA data_version"));
  Stmt q(*this, s);
  IPDX_ASSIGN_OR_RETURN(bool row, q.Step());
  const int64_t version = row ? q.ColInt(0) : -1;
  if (version < 0 || version != hash_cache_data_version_) {
    hash_cache_.clear();
    hash_cache_data_version_ = version;
  }
  return Status::Ok();
}

bool SqliteLogStorage::CachedHash(const ledger::NodeId& id, ledger::Hash& out) const {
  if (id.level < kCachedLevel) return false;
  auto it = hash_cache_.find(CacheKey(id));
  if (it == hash_cache_.end()) return false;
  out = it->second;
  return true;
}

Result<std::vector<ledger::Hash>> SqliteLogStorage::ReadHashes(
    std::span<const ledger::NodeId> ids) const {
  // A proof or root needs O(log n) nodes (about 25 at a million leaves). Read one statement a
  // node, the statement overhead (step, reset, bindings) cost more than the b-tree seeks, so the
  // nodes that are not cached are read up to kMaxBatch at a time by one UNION ALL of point
  // lookups on the primary key, each row carrying its position. Upper nodes come from the cache
  // (sqlite_log.h), used only outside transactions: inside one, nothing is cached or served from
  // the cache, so appends and a rolled-back batch never meet it. Together, in bench/run-ledger
  // (CPU time): inclusion proofs from 27,000/s to 107,000/s at 100,000 leaves; at a million
  // leaves, with the memory map of the constructor, from 15,000/s to 58,000/s.
  constexpr size_t kMaxBatch = 32;
  // The statement text for each batch size, built once; the statement cache is keyed by these
  // pointers.
  static const std::array<std::string, kMaxBatch + 1> kSql = [] {
    std::array<std::string, kMaxBatch + 1> sql;
    for (size_t k = 1; k <= kMaxBatch; ++k) {
      for (size_t i = 0; i < k; ++i) {
        if (i > 0) sql[k] += " UNION ALL ";
        sql[k] += "SELECT " + std::to_string(i) + ", hash FROM log_hashes WHERE level = ?" +
                  std::to_string(2 * i + 1) + " AND idx = ?" + std::to_string(2 * i + 2);
      }
    }
    return sql;
  }();
  const bool use_cache = sqlite3_get_autocommit(db_) != 0;
  if (use_cache) IPDX_RETURN_IF_ERROR(RevalidateHashCache());
  std::vector<ledger::Hash> out(ids.size());
  std::vector<size_t> missing;  // positions in `ids` to read
  missing.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!use_cache || !CachedHash(ids[i], out[i])) missing.push_back(i);
  }
  for (size_t start = 0; start < missing.size(); start += kMaxBatch) {
    const size_t k = std::min(kMaxBatch, missing.size() - start);
    IPDX_ASSIGN_OR_RETURN(sqlite3_stmt * s, Prepare(kSql[k].c_str()));
    Stmt q(*this, s);
    for (size_t i = 0; i < k; ++i) {
      const ledger::NodeId& id = ids[missing[start + i]];
      q.Int(static_cast<int>(2 * i + 1), id.level)
          .Int(static_cast<int>(2 * i + 2), static_cast<int64_t>(id.index));
    }
    std::array<bool, kMaxBatch> seen{};
    for (;;) {
      IPDX_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      const int64_t pos = q.ColInt(0);
      if (pos < 0 || static_cast<size_t>(pos) >= k)
        return Status::Internal("log: bad row position");
      const size_t at = missing[start + static_cast<size_t>(pos)];
      const ledger::NodeId& id = ids[at];
      const void* blob = sqlite3_column_blob(s, 1);
      if (blob == nullptr || sqlite3_column_bytes(s, 1) != 32) {
        return Status::Corruption(path_ + ": stored hash of node (" + std::to_string(id.level) +
                                  ", " + std::to_string(id.index) + ") is not 32 bytes");
      }
      std::memcpy(out[at].data(), blob, 32);
      seen[static_cast<size_t>(pos)] = true;
      if (use_cache && id.level >= kCachedLevel) {
        if (hash_cache_.size() >= kMaxCachedHashes) hash_cache_.clear();
        hash_cache_.emplace(CacheKey(id), out[at]);
      }
    }
    for (size_t i = 0; i < k; ++i) {
      if (!seen[i]) {
        const ledger::NodeId& id = ids[missing[start + i]];
        return Status::NotFound("no stored hash for node (" + std::to_string(id.level) + ", " +
                                std::to_string(id.index) + ")");
      }
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
