// The SQLite implementation of store::Store. The schema, the settings and their reasons are in
// docs/formats/store.md; keep the two in step.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "codec/codec.h"
#include "common/clock.h"
#include "store/sqlite_log.h"
#include "store/sqlite_util.h"
#include "store/store.h"

namespace ipdx::store {
namespace {

// PRAGMA application_id: ASCII "ipdx".
constexpr int kApplicationId = 0x69706478;

// Forward migrations: kMigrations[n] takes the schema from version n to n+1. Never edit a
// migration that has shipped; add a new one and bump kSchemaVersion.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the first schema.
    R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE records (
  publisher        TEXT    NOT NULL,
  id               TEXT    NOT NULL,
  version          INTEGER NOT NULL CHECK (version >= 1),
  hash             TEXT    NOT NULL,
  office           TEXT    NOT NULL,
  number           TEXT    NOT NULL,
  kind             TEXT    NOT NULL,
  publication_date TEXT    NOT NULL,
  json             TEXT    NOT NULL,
  stored_at        TEXT    NOT NULL,
  source_file      TEXT    NOT NULL,
  source_offset    INTEGER NOT NULL,
  source_sha256    TEXT    NOT NULL,
  PRIMARY KEY (publisher, id, version)
);
CREATE TABLE current (
  publisher TEXT    NOT NULL,
  id        TEXT    NOT NULL,
  version   INTEGER NOT NULL,
  hash      TEXT    NOT NULL,
  PRIMARY KEY (publisher, id),
  FOREIGN KEY (publisher, id, version) REFERENCES records (publisher, id, version)
) WITHOUT ROWID;
CREATE INDEX current_by_id ON current (id, publisher);
CREATE TABLE ingest_runs (
  run_id      INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at  TEXT    NOT NULL,
  finished_at TEXT,
  status      TEXT    NOT NULL
              CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
  inputs      TEXT    NOT NULL,
  documents   INTEGER NOT NULL DEFAULT 0,
  accepted    INTEGER NOT NULL DEFAULT 0,
  updated     INTEGER NOT NULL DEFAULT 0,
  unchanged   INTEGER NOT NULL DEFAULT 0,
  rejected    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ingest_runs_by_status ON ingest_runs (status);
CREATE TABLE rejects (
  reject_id     INTEGER PRIMARY KEY,
  run_id        INTEGER REFERENCES ingest_runs (run_id),
  file          TEXT    NOT NULL,
  offset        INTEGER NOT NULL,
  source_sha256 TEXT    NOT NULL,
  id            TEXT    NOT NULL,
  format        TEXT    NOT NULL,
  rule          TEXT    NOT NULL,
  field         TEXT    NOT NULL,
  message       TEXT    NOT NULL,
  created_at    TEXT    NOT NULL,
  UNIQUE (source_sha256, rule)
);
CREATE INDEX rejects_by_run ON rejects (run_id);
)sql",
    // 1 -> 2: the transparency log (docs/formats/ledger.md). Migrate() then appends a leaf for
    // every version stored before it (store/sqlite_log.cc, Backfill).
    R"sql(
CREATE TABLE log_entries (
  leaf_index     INTEGER PRIMARY KEY CHECK (leaf_index >= 0),
  entry          BLOB    NOT NULL,
  entry_type     INTEGER NOT NULL CHECK (entry_type IN (1, 2)),
  publisher      TEXT    NOT NULL,
  record_id      TEXT    NOT NULL,
  record_version INTEGER NOT NULL
);
CREATE INDEX log_entries_by_record ON log_entries (record_id, publisher, record_version);
CREATE TABLE log_hashes (
  level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
  idx   INTEGER NOT NULL CHECK (idx >= 0),
  hash  BLOB    NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE log_checkpoints (
  tree_size INTEGER PRIMARY KEY CHECK (tree_size >= 0),
  note      TEXT    NOT NULL,
  stored_at TEXT    NOT NULL
);
CREATE TABLE log_cosignatures (
  tree_size INTEGER NOT NULL REFERENCES log_checkpoints (tree_size),
  key_name  TEXT    NOT NULL,
  key_id    TEXT    NOT NULL,
  timestamp INTEGER NOT NULL,
  PRIMARY KEY (tree_size, key_name, key_id)
) WITHOUT ROWID;
CREATE TABLE rights_events (
  leaf_index     INTEGER PRIMARY KEY REFERENCES log_entries (leaf_index),
  publisher      TEXT    NOT NULL,
  id             TEXT    NOT NULL,
  event_type     TEXT    NOT NULL,
  st27_code      TEXT    NOT NULL,
  effective_date TEXT    NOT NULL,
  recorded_at    TEXT    NOT NULL
);
CREATE INDEX rights_events_by_id ON rights_events (id, publisher);
)sql",
    // 2 -> 3: bearer tokens of the HTTP API (store/token_store.cc); only hashes are stored.
    R"sql(
CREATE TABLE api_tokens (
  token_id   TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  scopes     TEXT NOT NULL,
  sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
)sql",
    // 3 -> 4: examiners' decisions on classification suggestions (store/decision_store.cc).
    R"sql(
CREATE TABLE classification_decisions (
  decision_id   INTEGER PRIMARY KEY,
  id            TEXT    NOT NULL,
  symbol        TEXT    NOT NULL,
  decision      TEXT    NOT NULL CHECK (decision IN ('accept', 'reject')),
  by            TEXT    NOT NULL,
  model_version TEXT    NOT NULL,
  score         REAL    NOT NULL,
  decided_at    TEXT    NOT NULL
);
CREATE INDEX classification_decisions_by_id ON classification_decisions (id);
)sql",
    // 4 -> 5: exchange between offices (docs/formats/exchange.md): pinned peers with their sync
    // state, the mirror of the entries received from each peer's log, evidence against peers.
    R"sql(
CREATE TABLE peers (
  name            TEXT    PRIMARY KEY,
  url             TEXT    NOT NULL,
  office          TEXT    NOT NULL,
  origin          TEXT    NOT NULL UNIQUE,
  log_vkey        TEXT    NOT NULL UNIQUE,
  witness_vkey    TEXT    NOT NULL,
  added_at        TEXT    NOT NULL,
  cursor          INTEGER NOT NULL DEFAULT 0 CHECK (cursor >= 0),
  frontier        BLOB    NOT NULL DEFAULT x'',
  checkpoint_size INTEGER NOT NULL DEFAULT 0 CHECK (checkpoint_size >= 0),
  checkpoint      TEXT    NOT NULL DEFAULT '',
  last_sync_at    TEXT    NOT NULL DEFAULT '',
  last_error      TEXT    NOT NULL DEFAULT ''
);
CREATE TABLE peer_log (
  origin         TEXT    NOT NULL,
  leaf_index     INTEGER NOT NULL CHECK (leaf_index >= 0),
  entry          BLOB    NOT NULL,
  entry_type     INTEGER NOT NULL CHECK (entry_type IN (1, 2)),
  publisher      TEXT    NOT NULL,
  record_id      TEXT    NOT NULL,
  record_version INTEGER NOT NULL,
  PRIMARY KEY (origin, leaf_index)
) WITHOUT ROWID;
CREATE INDEX peer_log_events_by_id ON peer_log (record_id) WHERE entry_type = 2;
CREATE TABLE evidence (
  evidence_id       INTEGER PRIMARY KEY,
  peer              TEXT    NOT NULL,
  origin            TEXT    NOT NULL,
  kind              TEXT    NOT NULL,
  detected_at       TEXT    NOT NULL,
  message           TEXT    NOT NULL,
  checkpoint_before TEXT    NOT NULL,
  checkpoint_after  TEXT    NOT NULL
);
CREATE INDEX evidence_by_peer ON evidence (peer);
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion, "one migration per schema version");

// Picks, per publication id, the copy GetRecord returns: the office named in the id, then the
// local publisher (?2), then the smallest publisher code. Office codes never contain '-'.
constexpr const char* kChoosePublisherSql =
    "SELECT publisher FROM current WHERE id = ?1 ORDER BY "
    "CASE WHEN publisher = substr(id, 1, instr(id, '-') - 1) THEN 0 "
    "WHEN publisher = ?2 THEN 1 ELSE 2 END, publisher LIMIT 1";

using internal::DbPtr;
using internal::SqliteStatus;
using internal::StmtPtr;

// One use of a cached prepared statement: binds, steps, reads columns, and on destruction resets
// the statement and clears its bindings, so a cached statement never holds a read transaction
// open or carries values into its next use. A bind failure is kept and reported by Step().
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& Bind(int i, std::string_view v) {
    Check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
  }
  // Binds without SQLite's copy: `v` must stay alive and unchanged until this Query is gone
  // (its destructor clears the bindings). For large values such as the record JSON.
  Query& BindNoCopy(int i, std::string_view v) {
    Check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8));
    return *this;
  }
  Query& Bind(int i, int64_t v) {
    Check(sqlite3_bind_int64(stmt_, i, v));
    return *this;
  }
  Query& BindBlob(int i, std::string_view v) {
    Check(sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT));
    return *this;
  }
  Query& BindNull(int i) {
    Check(sqlite3_bind_null(stmt_, i));
    return *this;
  }

  // True when a row is available, false when done.
  Result<bool> Step() {
    if (bind_rc_ != SQLITE_OK) return SqliteStatus(db_, bind_rc_, "binding a parameter");
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteStatus(db_, rc, sqlite3_sql(stmt_));
  }
  // Runs a statement that returns no rows (or whose rows are ignored).
  Status Run() {
    Result<bool> r = Step();
    return r.ok() ? Status::Ok() : r.status();
  }

  std::string Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    if (p == nullptr) return {};
    return std::string(static_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

// The liveness of an ingest run: the process running it holds an exclusive lock (flock) on
// "<database>.run-<id>.lock" from StartRun to FinishRun. The kernel drops the lock when that
// process ends, however it ends, so a "running" run whose lock can be taken (or whose file is
// gone) was interrupted, and one whose lock is held is still running in some process. Locks
// belong to open files, so another connection of the same process also sees the run as live.
class RunLock {
 public:
  RunLock() = default;
  explicit RunLock(int fd) : fd_(fd) {}
  ~RunLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  RunLock(RunLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  RunLock& operator=(RunLock&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  bool Valid() const { return fd_ >= 0; }

  static std::string PathFor(const std::string& db_path, int64_t run_id) {
    return db_path + ".run-" + std::to_string(run_id) + ".lock";
  }
  // Creates and locks the run's file; an invalid lock when the file system refuses.
  static RunLock Acquire(const std::string& db_path, int64_t run_id) {
    const int fd = ::open(PathFor(db_path, run_id).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return RunLock();
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return RunLock();
    }
    return RunLock(fd);
  }
  // Whether some process holds the lock of the run (false when the file does not exist).
  static bool HeldElsewhere(const std::string& db_path, int64_t run_id) {
    const int fd = ::open(PathFor(db_path, run_id).c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return held;
  }

 private:
  int fd_ = -1;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(DbPtr db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}

  Status Init();

  Status SetLocalPublisher(const std::string& publisher) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;
  Result<PutResult> PutRecord(const std::string& publisher, model::Record* record) override;
  Result<PutResult> PutEncodedRecord(const std::string& publisher, model::Record* record,
                                     codec::EncodedRecord* encoded) override;
  Result<model::Record> GetRecord(const std::string& id, std::optional<int> version) override;
  Result<model::Record> GetRecordFrom(const std::string& publisher, const std::string& id,
                                      std::optional<int> version) override;
  Result<std::vector<VersionInfo>> ListVersions(const std::string& id) override;
  Result<std::vector<model::Record>> ListRecords(const std::string& after_id,
                                                 size_t limit) override;
  Result<uint64_t> CountRecords() override;
  Result<uint64_t> ChangeSequence() override;
  std::optional<ChangeTokenBytes> ChangeToken() override;
  Result<uint64_t> CountCopies() override;
  Result<std::vector<CopyChange>> ListCurrentSince(uint64_t after_sequence, size_t limit) override;
  Status PutReject(const RejectRow& reject) override;
  Result<std::vector<RejectRow>> ListRejects(std::optional<int64_t> run_id, size_t limit) override;
  Result<int64_t> StartRun(const std::string& inputs) override;
  Status FinishRun(const IngestRun& run) override;
  Status UpdateRun(const IngestRun& run) override;
  Result<std::vector<IngestRun>> ListRuns(size_t limit) override;
  Result<int> SchemaVersion() override;
  Status SetReadMapBytes(uint64_t bytes) override;
  Status CheckIntegrity() override;
  ledger::LogStorage& Log() override { return *log_; }
  Result<uint64_t> FindRecordLeaf(const std::string& publisher, const std::string& id,
                                  int version) override {
    return log_->FindRecordLeaf(publisher, id, version);
  }
  Result<uint64_t> AppendRightsEvent(const ledger::Entry& entry) override {
    return log_->AppendRightsEvent(entry);
  }
  Result<std::vector<LoggedEvent>> ListRightsEvents(const std::string& id) override;
  Result<LogCounts> GetLogCounts() override { return log_->Counts(); }
  Result<std::string> GetRecordJson(const std::string& publisher, const std::string& id,
                                    int version) override;
  Result<uint64_t> CountCopiesFrom(const std::string& publisher) override;
  Status AddPeer(const PeerRow& peer) override;
  Status UpdatePeer(const PeerRow& peer) override;
  Status RemovePeer(const std::string& name) override;
  Result<std::optional<PeerRow>> GetPeer(const std::string& name) override;
  Result<std::vector<PeerRow>> ListPeers() override;
  Result<bool> PutPeerEntry(const std::string& origin, uint64_t leaf_index,
                            std::string_view entry) override;
  Result<std::vector<std::string>> ReadPeerEntries(const std::string& origin, uint64_t start,
                                                   uint64_t count) override;
  Result<int64_t> PutEvidence(const EvidenceRow& evidence) override;
  Result<std::vector<EvidenceRow>> ListEvidence(const std::string& peer) override;

 private:
  // A Query over the cached statement for `sql`, preparing it on first use.
  Result<std::unique_ptr<Query>> Prepare(const char* sql);
  // Runs SQL without parameters (several statements allowed), for DDL and pragmas.
  Status Exec(const char* sql);
  // Runs one parameterless statement through the statement cache (hot paths).
  Status RunCached(const char* sql);
  Result<int64_t> PragmaInt(const char* sql);
  Status Migrate();
  Result<std::string> ChoosePublisher(const std::string& id);
  Status WriteRun(const IngestRun& run, bool finish);
  Status PutRecordInner(const std::string& publisher, model::Record* record,
                        codec::EncodedRecord* encoded, PutResult* out);

  DbPtr db_;  // destroyed after cache_ (declared first): statements are finalized before close
  std::string path_;
  std::unordered_map<std::string, StmtPtr> cache_;
  std::string local_publisher_;
  // Locks of the runs this store started and has not finished (RunLock).
  std::map<int64_t, RunLock> run_locks_;
  // The first page of the connection's WAL index (shared memory, mapped by SQLite and unmapped
  // when the connection closes), found by ChangeToken on first use; null until then.
  const volatile uint8_t* wal_index_ = nullptr;
  // The log on the same connection; declared after db_, so destroyed (statements finalized)
  // before the connection closes.
  std::unique_ptr<internal::SqliteLogStorage> log_;
};

Result<std::unique_ptr<Query>> SqliteStore::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return SqliteStatus(db_.get(), rc, std::string("preparing ") + sql);
    it = cache_.emplace(sql, std::move(stmt)).first;
  }
  return std::make_unique<Query>(db_.get(), it->second.get());
}

Status SqliteStore::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  Status s = SqliteStatus(nullptr, rc, msg);
  return {s.code(), path_ + ": " + msg};
}

Status SqliteStore::RunCached(const char* sql) {
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare(sql));
  return q->Run();
}

Result<int64_t> SqliteStore::PragmaInt(const char* sql) {
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare(sql));
  IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
  if (!row) return Status::Internal(std::string("no result from ") + sql);
  return q->Int(0);
}

Status SqliteStore::Init() {
  sqlite3_extended_result_codes(db_.get(), 1);
  sqlite3_busy_timeout(db_.get(), internal::kBusyTimeoutMs);

  // Look before touching anything: a foreign or newer database must be left exactly as it is.
  // Reading the header is also where SQLite notices a file that is not a database.
  IPDX_ASSIGN_OR_RETURN(int64_t app_id, PragmaInt("PRAGMA application_id"));
  IPDX_ASSIGN_OR_RETURN(int64_t user_version, PragmaInt("PRAGMA user_version"));
  IPDX_ASSIGN_OR_RETURN(int64_t tables, PragmaInt("SELECT count(*) FROM sqlite_master"));
  if (app_id != 0 && app_id != kApplicationId) {
    return Status::FailedPrecondition(path_ + " is an SQLite database of another application (" +
                                      "application_id " + std::to_string(app_id) +
                                      "), not an ipdx store");
  }
  if (user_version > kSchemaVersion) {
    return Status::FailedPrecondition(
        path_ + ": store schema version " + std::to_string(user_version) +
        " was written by a newer ipdx; this binary knows schema version " +
        std::to_string(kSchemaVersion) + ". Upgrade ipdx to open it.");
  }
  if (user_version == 0 && tables > 0) {
    return Status::FailedPrecondition(path_ +
                                      " is an SQLite database without an ipdx schema "
                                      "(user_version 0, " +
                                      std::to_string(tables) + " objects); not an ipdx store");
  }

  // Page size of a new store (it is fixed when the first page is written, so this must come
  // before WAL mode; on an existing store it changes nothing). Most bytes are record JSON of
  // 10-500 KB in overflow chains: 64 KiB pages cut the pages, WAL frames and write calls per
  // record sixteenfold, which took a quarter off ingest's system time in bench/run-ingest.
  IPDX_RETURN_IF_ERROR(Exec("PRAGMA page_size = 65536"));
  // journal_mode answers with the mode in force; anything but "wal" (a file system without
  // shared memory, an in-memory path) would silently lose the concurrency and crash guarantees.
  {
    IPDX_ASSIGN_OR_RETURN(auto q, Prepare("PRAGMA journal_mode = WAL"));
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row || q->Text(0) != "wal") {
      return Status::IOError(path_ + ": cannot switch the database to WAL mode (got '" +
                             (row ? q->Text(0) : std::string()) + "')");
    }
  }
  IPDX_RETURN_IF_ERROR(Exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"));
  // Proofs and roots read O(log n) nodes scattered over the log_hashes b-tree. The 64 KiB pages
  // leave SQLite's default 2 MB page cache 31 pages, so at a million leaves nearly every node
  // read copied a 64 KiB page from the OS with pread: 13,000 inclusion proofs per CPU second in
  // bench/run-ledger, 52,000 with reads from a memory map (48,000 with a 256 MB page cache, which
  // every connection would hold privately). The map is address space, not memory: its pages are
  // the OS page cache's, shared with every other connection; record reads use it too. Failing to
  // set it only costs speed; writes still go through the WAL, so durability is unchanged. Bulk
  // writers turn it off for their run (service/ingest.cc).
  (void)SetReadMapBytes(kDefaultReadMapBytes);
  log_ = std::make_unique<internal::SqliteLogStorage>(db_.get(), path_);
  IPDX_RETURN_IF_ERROR(Migrate());
  // Runs left "running" by a process that ended (RunLock) are interrupted; a run whose process
  // still holds its lock (an ingest beside a starting server) is left alone.
  std::vector<int64_t> running;
  {
    IPDX_ASSIGN_OR_RETURN(auto q,
                          Prepare("SELECT run_id FROM ingest_runs WHERE status = 'running'"));
    for (;;) {
      IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) break;
      running.push_back(q->Int(0));
    }
  }
  for (int64_t run_id : running) {
    if (RunLock::HeldElsewhere(path_, run_id)) continue;
    // "AND status = 'running'": a run that finished meanwhile keeps its status.
    IPDX_ASSIGN_OR_RETURN(auto q, Prepare("UPDATE ingest_runs SET status = 'interrupted', "
                                          "finished_at = NULL WHERE run_id = ?1 AND "
                                          "status = 'running'"));
    q->Bind(1, run_id);
    IPDX_RETURN_IF_ERROR(q->Run());
    ::unlink(RunLock::PathFor(path_, run_id).c_str());
  }
  // Read back the office recorded by an earlier SetLocalPublisher so GetRecord prefers it even
  // when the caller opens the store without declaring it.
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare("SELECT value FROM meta WHERE key = 'local_publisher'"));
  IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
  if (row) local_publisher_ = q->Text(0);
  return Status::Ok();
}

Status SqliteStore::Migrate() {
  for (;;) {
    // BEGIN IMMEDIATE takes the write lock, so two processes opening a new store at once migrate
    // it once: the second re-reads user_version after the first committed.
    IPDX_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Result<int64_t> uv = PragmaInt("PRAGMA user_version");
    Result<int64_t> tables = PragmaInt("SELECT count(*) FROM sqlite_master");
    if (!uv.ok() || !tables.ok()) {
      (void)Exec("ROLLBACK");
      return !uv.ok() ? uv.status() : tables.status();
    }
    if (*uv >= kSchemaVersion) return Exec("COMMIT");
    if (*uv == 0 && *tables > 0) {
      (void)Exec("ROLLBACK");
      return Status::FailedPrecondition(path_ + " is not an ipdx store (tables without a schema)");
    }
    std::string sql = kMigrations[*uv];
    sql += "PRAGMA user_version = " + std::to_string(*uv + 1) + ";";
    if (*uv == 0) sql += "PRAGMA application_id = " + std::to_string(kApplicationId) + ";";
    Status s = Exec(sql.c_str());
    if (s.ok() && *uv == 1) {
      // Versions stored before the log existed get their leaves now, in the same transaction.
      std::string publisher;
      {
        auto q = Prepare("SELECT value FROM meta WHERE key = 'local_publisher'");
        Result<bool> row = q.ok() ? (*q)->Step() : Result<bool>(q.status());
        if (!row.ok()) {
          s = row.status();
        } else if (*row) {
          publisher = (*q)->Text(0);
        }
      }
      if (s.ok() && !publisher.empty()) s = log_->Backfill(publisher);
    }
    if (s.ok()) s = Exec("COMMIT");
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s.WithContext("migrating the store schema from version " + std::to_string(*uv));
    }
  }
}

Status SqliteStore::SetLocalPublisher(const std::string& publisher) {
  if (publisher.empty()) return Status::InvalidArgument("empty local publisher");
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare("SELECT value FROM meta WHERE key = 'local_publisher'"));
  IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
  if (row) {
    std::string recorded = q->Text(0);
    if (recorded != publisher) {
      return Status::FailedPrecondition(
          path_ + " belongs to office " + recorded + ", not " + publisher +
          ": local records are keyed by the node's office, which cannot change");
    }
  } else {
    IPDX_ASSIGN_OR_RETURN(auto ins, Prepare("INSERT INTO meta (key, value) "
                                            "VALUES ('local_publisher', ?1)"));
    ins->Bind(1, publisher);
    // Versions stored before the office was declared get their log leaves with it.
    IPDX_RETURN_IF_ERROR(RunCached("SAVEPOINT set_publisher"));
    Status s = ins->Run();
    if (s.ok()) s = log_->Backfill(publisher);
    if (!s.ok()) {
      (void)RunCached("ROLLBACK TO set_publisher");
      (void)RunCached("RELEASE set_publisher");
      return s;
    }
    IPDX_RETURN_IF_ERROR(RunCached("RELEASE set_publisher"));
  }
  local_publisher_ = publisher;
  return Status::Ok();
}

Status SqliteStore::Begin() {
  if (sqlite3_get_autocommit(db_.get()) == 0) {
    return Status::FailedPrecondition("Begin: a transaction is already open");
  }
  // IMMEDIATE: take the write lock now, so a concurrent writer makes us wait (busy_timeout) at
  // the start instead of failing half-way through a batch.
  return Exec("BEGIN IMMEDIATE");
}

Status SqliteStore::Commit() {
  if (sqlite3_get_autocommit(db_.get()) != 0) {
    return Status::FailedPrecondition("Commit: no transaction is open");
  }
  return Exec("COMMIT");
}

Status SqliteStore::Rollback() {
  // SQLite may already have rolled back on its own (after SQLITE_FULL, an I/O error); then there
  // is nothing left to do.
  if (sqlite3_get_autocommit(db_.get()) != 0) return Status::Ok();
  return Exec("ROLLBACK");
}

Result<PutResult> SqliteStore::PutRecord(const std::string& publisher, model::Record* record) {
  return PutEncodedRecord(publisher, record, nullptr);
}

Result<PutResult> SqliteStore::PutEncodedRecord(const std::string& publisher, model::Record* record,
                                                codec::EncodedRecord* encoded) {
  if (publisher.empty()) return Status::InvalidArgument("PutRecord: empty publisher");
  if (record->office.empty() || record->number.empty()) {
    return Status::InvalidArgument("PutRecord: record without office or number ('" + record->Id() +
                                   "')");
  }
  // A savepoint makes the two writes (the version and the current pointer) atomic also when the
  // caller has not opened a transaction, and nests inside one when it has.
  IPDX_RETURN_IF_ERROR(RunCached("SAVEPOINT put_record"));
  PutResult out;
  const size_t head_bytes = encoded != nullptr ? encoded->json.size() : 0;
  Status s = PutRecordInner(publisher, record, encoded, &out);
  if (!s.ok()) {
    if (encoded != nullptr) encoded->json.resize(head_bytes);  // as it was: a retry may reuse it
    (void)RunCached("ROLLBACK TO put_record");
    (void)RunCached("RELEASE put_record");
    return s.WithContext("storing " + record->Id() + " from " + publisher);
  }
  IPDX_RETURN_IF_ERROR(RunCached("RELEASE put_record"));
  return out;
}

Status SqliteStore::PutRecordInner(const std::string& publisher, model::Record* record,
                                   codec::EncodedRecord* encoded, PutResult* out) {
  const std::string id = record->Id();
  const std::string hash = encoded != nullptr ? encoded->hash : codec::ContentHash(*record);
  int current_version = 0;
  {
    IPDX_ASSIGN_OR_RETURN(
        auto q, Prepare("SELECT version, hash FROM current WHERE publisher = ?1 AND id = ?2"));
    q->Bind(1, publisher).Bind(2, id);
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (row) {
      current_version = static_cast<int>(q->Int(0));
      if (q->Text(1) == hash) {
        record->version = current_version;
        record->hash = hash;
        *out = {PutOutcome::kUnchanged, current_version, hash};
        return Status::Ok();
      }
    }
  }
  record->version = current_version + 1;
  record->hash = hash;
  std::string own_json;
  if (encoded != nullptr) {
    codec::FinishJson(&encoded->json, record->version, hash);
  } else {
    own_json = codec::ToJson(*record);
  }
  const std::string& json = encoded != nullptr ? encoded->json : own_json;
  {
    IPDX_ASSIGN_OR_RETURN(
        auto q, Prepare("INSERT INTO records (publisher, id, version, hash, office, number, kind, "
                        "publication_date, json, stored_at, source_file, source_offset, "
                        "source_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                        "?12, ?13)"));
    q->Bind(1, publisher)
        .Bind(2, id)
        .Bind(3, int64_t{record->version})
        .Bind(4, hash)
        .Bind(5, record->office)
        .Bind(6, record->number)
        .Bind(7, record->kind)
        .Bind(8, record->publication_date)
        .BindNoCopy(9, json)  // outlives q
        .Bind(10, NowUtcIso8601())
        .Bind(11, record->source.file)
        .Bind(12, static_cast<int64_t>(record->source.offset))
        .Bind(13, record->source.sha256);
    IPDX_RETURN_IF_ERROR(q->Run());
  }
  {
    IPDX_ASSIGN_OR_RETURN(
        auto q, Prepare("INSERT INTO current (publisher, id, version, hash) VALUES (?1, ?2, ?3, "
                        "?4) ON CONFLICT (publisher, id) DO UPDATE SET version = excluded.version, "
                        "hash = excluded.hash"));
    q->Bind(1, publisher).Bind(2, id).Bind(3, int64_t{record->version}).Bind(4, hash);
    IPDX_RETURN_IF_ERROR(q->Run());
  }
  // The version's log leaf, in the same savepoint (docs/formats/ledger.md §1).
  if (publisher == local_publisher_) {
    IPDX_RETURN_IF_ERROR(
        log_->AppendRecordVersion(publisher, id, record->version, hash, NowUtcIso8601()).status());
  }
  *out = {current_version == 0 ? PutOutcome::kNew : PutOutcome::kUpdated, record->version, hash};
  return Status::Ok();
}

Result<std::string> SqliteStore::ChoosePublisher(const std::string& id) {
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare(kChoosePublisherSql));
  q->Bind(1, id).Bind(2, local_publisher_);
  IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
  if (!row) return Status::NotFound("no record " + id);
  return q->Text(0);
}

Result<model::Record> SqliteStore::GetRecord(const std::string& id, std::optional<int> version) {
  IPDX_ASSIGN_OR_RETURN(std::string publisher, ChoosePublisher(id));
  return GetRecordFrom(publisher, id, version);
}

Result<model::Record> SqliteStore::GetRecordFrom(const std::string& publisher,
                                                 const std::string& id,
                                                 std::optional<int> version) {
  const char* sql =
      version ? "SELECT json, version, hash FROM records WHERE publisher = ?1 AND id = ?2 AND "
                "version = ?3"
              : "SELECT r.json, r.version, r.hash FROM current c JOIN records r ON r.publisher = "
                "c.publisher AND r.id = c.id AND r.version = c.version WHERE c.publisher = ?1 AND "
                "c.id = ?2";
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare(sql));
  q->Bind(1, publisher).Bind(2, id);
  if (version) q->Bind(3, int64_t{*version});
  IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
  if (!row) {
    return Status::NotFound("no record " + id + " from publisher " + publisher +
                            (version ? " at version " + std::to_string(*version) : ""));
  }
  const int stored_version = static_cast<int>(q->Int(1));
  Result<model::Record> rec = codec::FromJson(q->Text(0));
  if (!rec.ok()) {
    return Status::Corruption(path_ + ": stored JSON of " + id + " version " +
                              std::to_string(stored_version) + " from " + publisher +
                              " does not parse: " + rec.status().message());
  }
  // The columns are authoritative for version and hash (the JSON carries copies).
  rec->version = stored_version;
  rec->hash = q->Text(2);
  return rec;
}

Result<std::vector<VersionInfo>> SqliteStore::ListVersions(const std::string& id) {
  IPDX_ASSIGN_OR_RETURN(std::string publisher, ChoosePublisher(id));
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare("SELECT version, hash, stored_at, source_file FROM "
                                        "records WHERE publisher = ?1 AND id = ?2 ORDER BY "
                                        "version"));
  q->Bind(1, publisher).Bind(2, id);
  std::vector<VersionInfo> out;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    out.push_back({static_cast<int>(q->Int(0)), q->Text(1), q->Text(2), q->Text(3)});
  }
  return out;
}

Result<std::vector<model::Record>> SqliteStore::ListRecords(const std::string& after_id,
                                                            size_t limit) {
  std::vector<std::string> ids;
  {
    // current_by_id makes this an index range scan: cost is the page, not the table.
    IPDX_ASSIGN_OR_RETURN(
        auto q, Prepare("SELECT DISTINCT id FROM current WHERE id > ?1 ORDER BY id LIMIT ?2"));
    q->Bind(1, after_id).Bind(2, static_cast<int64_t>(limit));
    for (;;) {
      IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) break;
      ids.push_back(q->Text(0));
    }
  }
  std::vector<model::Record> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    IPDX_ASSIGN_OR_RETURN(model::Record r, GetRecord(id, std::nullopt));
    out.push_back(std::move(r));
  }
  return out;
}

Result<uint64_t> SqliteStore::CountRecords() {
  IPDX_ASSIGN_OR_RETURN(int64_t n, PragmaInt("SELECT count(DISTINCT id) FROM current"));
  return static_cast<uint64_t>(n);
}

Result<uint64_t> SqliteStore::ChangeSequence() {
  IPDX_ASSIGN_OR_RETURN(int64_t sequence, PragmaInt("SELECT coalesce(max(rowid), 0) FROM records"));
  return static_cast<uint64_t>(sequence);
}

std::optional<Store::ChangeTokenBytes> SqliteStore::ChangeToken() {
  // Inside a transaction this connection's own uncommitted rows count for ChangeSequence but not
  // for the header, which moves only at commit.
  if (sqlite3_get_autocommit(db_.get()) == 0) return std::nullopt;
  constexpr size_t kHeader = sizeof(ChangeTokenBytes::bytes);
  if (wal_index_ == nullptr) {
    // The connection's WAL index is its VFS's shared memory, region 0 of which starts with the
    // header; Init's reads in WAL mode have mapped it, so this finds the mapping SQLite uses (it
    // never maps or extends anything: bExtend 0).
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
        file == nullptr || file->pMethods == nullptr || file->pMethods->iVersion < 2 ||
        file->pMethods->xShmMap == nullptr) {
      return std::nullopt;
    }
    volatile void* region = nullptr;
    if (file->pMethods->xShmMap(file, 0, 32 * 1024, 0, &region) != SQLITE_OK || region == nullptr) {
      return std::nullopt;
    }
    wal_index_ = static_cast<const volatile uint8_t*>(region);
  }
  // SQLite's writer stores the second copy, then (after a barrier) the first; a reader that finds
  // both copies equal has a header no writer was half-way through (walIndexTryHdr does the same).
  // The region is page aligned, so the header is read in 8-byte words.
  const auto* words = reinterpret_cast<const volatile uint64_t*>(wal_index_);
  constexpr size_t kWords = kHeader / sizeof(uint64_t);
  std::array<uint64_t, 2 * kWords> copies;
  for (size_t i = 0; i < kWords; ++i) copies[i] = words[i];
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (size_t i = kWords; i < 2 * kWords; ++i) copies[i] = words[i];
  ChangeTokenBytes first;
  ChangeTokenBytes second;
  std::memcpy(first.bytes.data(), copies.data(), kHeader);
  std::memcpy(second.bytes.data(), copies.data() + kWords, kHeader);
  constexpr size_t kIsInit = 12;  // nonzero once the header describes the WAL
  if (first != second || first.bytes[kIsInit] == 0) return std::nullopt;
  return first;
}

Result<uint64_t> SqliteStore::CountCopies() {
  IPDX_ASSIGN_OR_RETURN(int64_t copies, PragmaInt("SELECT count(*) FROM current"));
  return static_cast<uint64_t>(copies);
}

Result<std::vector<CopyChange>> SqliteStore::ListCurrentSince(uint64_t after_sequence,
                                                              size_t limit) {
  // A range scan of records by rowid; each row is kept only if it is its copy's current version.
  IPDX_ASSIGN_OR_RETURN(
      auto q, Prepare("SELECT r.rowid, r.publisher, r.id, r.version, r.hash, r.json FROM records r "
                      "JOIN current c ON c.publisher = r.publisher AND c.id = r.id AND c.version "
                      "= r.version WHERE r.rowid > ?1 ORDER BY r.rowid LIMIT ?2"));
  q->Bind(1, static_cast<int64_t>(after_sequence)).Bind(2, static_cast<int64_t>(limit));
  std::vector<CopyChange> out;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    CopyChange change;
    change.sequence = static_cast<uint64_t>(q->Int(0));
    change.publisher = q->Text(1);
    Result<model::Record> rec = codec::FromJson(q->Text(5));
    if (!rec.ok()) {
      return Status::Corruption(path_ + ": stored JSON of " + q->Text(2) + " version " +
                                std::to_string(q->Int(3)) + " from " + change.publisher +
                                " does not parse: " + rec.status().message());
    }
    change.record = std::move(rec).value();
    change.record.version = static_cast<int>(q->Int(3));
    change.record.hash = q->Text(4);
    out.push_back(std::move(change));
  }
  return out;
}

Status SqliteStore::PutReject(const RejectRow& reject) {
  if (reject.source_sha256.empty() || reject.rule.empty()) {
    return Status::InvalidArgument("PutReject: source_sha256 and rule are required (file " +
                                   reject.file + ")");
  }
  IPDX_ASSIGN_OR_RETURN(
      auto q,
      Prepare("INSERT INTO rejects (run_id, file, offset, source_sha256, id, format, rule, field, "
              "message, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
              "ON CONFLICT (source_sha256, rule) DO UPDATE SET run_id = excluded.run_id, "
              "file = excluded.file, offset = excluded.offset, id = excluded.id, "
              "format = excluded.format, field = excluded.field, message = excluded.message, "
              "created_at = excluded.created_at"));
  if (reject.run_id > 0) {
    q->Bind(1, reject.run_id);
  } else {
    q->BindNull(1);
  }
  q->Bind(2, reject.file)
      .Bind(3, static_cast<int64_t>(reject.offset))
      .Bind(4, reject.source_sha256)
      .Bind(5, reject.id)
      .Bind(6, reject.format)
      .Bind(7, reject.rule)
      .Bind(8, reject.field)
      .Bind(9, reject.message)
      .Bind(10, reject.created_at.empty() ? NowUtcIso8601() : reject.created_at);
  return q->Run().WithContext("storing the reject of " + reject.file + " at offset " +
                              std::to_string(reject.offset));
}

Result<std::vector<RejectRow>> SqliteStore::ListRejects(std::optional<int64_t> run_id,
                                                        size_t limit) {
  IPDX_ASSIGN_OR_RETURN(
      auto q, Prepare("SELECT run_id, file, offset, source_sha256, id, format, rule, field, "
                      "message, created_at FROM rejects WHERE ?1 IS NULL OR run_id = ?1 "
                      "ORDER BY reject_id LIMIT ?2"));
  if (run_id) {
    q->Bind(1, *run_id);
  } else {
    q->BindNull(1);
  }
  q->Bind(2, static_cast<int64_t>(limit));
  std::vector<RejectRow> out;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    RejectRow r;
    r.run_id = q->IsNull(0) ? 0 : q->Int(0);
    r.file = q->Text(1);
    r.offset = static_cast<uint64_t>(q->Int(2));
    r.source_sha256 = q->Text(3);
    r.id = q->Text(4);
    r.format = q->Text(5);
    r.rule = q->Text(6);
    r.field = q->Text(7);
    r.message = q->Text(8);
    r.created_at = q->Text(9);
    out.push_back(std::move(r));
  }
  return out;
}

Result<int64_t> SqliteStore::StartRun(const std::string& inputs) {
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare("INSERT INTO ingest_runs (started_at, status, inputs) "
                                        "VALUES (?1, 'running', ?2)"));
  q->Bind(1, NowUtcIso8601()).Bind(2, inputs);
  // The row and its lock appear together: other connections see the row only once the
  // savepoint is released, and by then the lock is held (RunLock).
  IPDX_RETURN_IF_ERROR(RunCached("SAVEPOINT start_run"));
  Status inserted = q->Run();
  if (!inserted.ok()) {
    (void)RunCached("ROLLBACK TO start_run");
    (void)RunCached("RELEASE start_run");
    return inserted;
  }
  const int64_t run_id = sqlite3_last_insert_rowid(db_.get());
  RunLock lock = RunLock::Acquire(path_, run_id);
  if (lock.Valid()) run_locks_[run_id] = std::move(lock);
  IPDX_RETURN_IF_ERROR(RunCached("RELEASE start_run"));
  return run_id;
}

Status SqliteStore::WriteRun(const IngestRun& run, bool finish) {
  const char* sql =
      finish ? "UPDATE ingest_runs SET status = ?2, finished_at = ?3, documents = ?4, "
               "accepted = ?5, updated = ?6, unchanged = ?7, rejected = ?8 WHERE run_id = ?1"
             : "UPDATE ingest_runs SET status = 'running', finished_at = NULL, documents = ?4, "
               "accepted = ?5, updated = ?6, unchanged = ?7, rejected = ?8 WHERE run_id = ?1";
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare(sql));
  q->Bind(1, run.run_id);
  if (finish) {
    const std::string status = run.status.empty() ? "finished" : run.status;
    if (status != "finished" && status != "failed" && status != "interrupted") {
      return Status::InvalidArgument("FinishRun: status '" + status +
                                     "' is not finished, failed or interrupted");
    }
    q->Bind(2, status);
    if (status == "interrupted") {
      q->BindNull(3);
    } else {
      q->Bind(3, run.finished_at.empty() ? NowUtcIso8601() : run.finished_at);
    }
  }
  q->Bind(4, static_cast<int64_t>(run.documents))
      .Bind(5, static_cast<int64_t>(run.accepted))
      .Bind(6, static_cast<int64_t>(run.updated))
      .Bind(7, static_cast<int64_t>(run.unchanged))
      .Bind(8, static_cast<int64_t>(run.rejected));
  IPDX_RETURN_IF_ERROR(q->Run());
  if (sqlite3_changes(db_.get()) == 0) {
    return Status::NotFound("no ingest run " + std::to_string(run.run_id));
  }
  return Status::Ok();
}

Status SqliteStore::FinishRun(const IngestRun& run) {
  IPDX_RETURN_IF_ERROR(WriteRun(run, /*finish=*/true));
  // The status is written first: a run is never without both its lock and a final status.
  if (auto it = run_locks_.find(run.run_id); it != run_locks_.end()) {
    ::unlink(RunLock::PathFor(path_, run.run_id).c_str());
    run_locks_.erase(it);
  }
  return Status::Ok();
}
Status SqliteStore::UpdateRun(const IngestRun& run) { return WriteRun(run, /*finish=*/false); }

Result<std::vector<IngestRun>> SqliteStore::ListRuns(size_t limit) {
  IPDX_ASSIGN_OR_RETURN(
      auto q, Prepare("SELECT run_id, started_at, finished_at, status, inputs, documents, "
                      "accepted, updated, unchanged, rejected FROM ingest_runs "
                      "ORDER BY run_id DESC LIMIT ?1"));
  q->Bind(1, static_cast<int64_t>(limit));
  std::vector<IngestRun> out;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    IngestRun r;
    r.run_id = q->Int(0);
    r.started_at = q->Text(1);
    r.finished_at = q->Text(2);
    r.status = q->Text(3);
    r.inputs = q->Text(4);
    r.documents = static_cast<uint64_t>(q->Int(5));
    r.accepted = static_cast<uint64_t>(q->Int(6));
    r.updated = static_cast<uint64_t>(q->Int(7));
    r.unchanged = static_cast<uint64_t>(q->Int(8));
    r.rejected = static_cast<uint64_t>(q->Int(9));
    out.push_back(std::move(r));
  }
  return out;
}

Result<int> SqliteStore::SchemaVersion() {
  IPDX_ASSIGN_OR_RETURN(int64_t v, PragmaInt("PRAGMA user_version"));
  return static_cast<int>(v);
}

Status SqliteStore::SetReadMapBytes(uint64_t bytes) {
  const std::string sql = "PRAGMA mmap_size = " + std::to_string(bytes);
  return Exec(sql.c_str());
}

Status SqliteStore::CheckIntegrity() {
  {
    IPDX_ASSIGN_OR_RETURN(auto q, Prepare("PRAGMA integrity_check"));
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) return Status::Internal("PRAGMA integrity_check returned nothing");
    if (q->Text(0) != "ok") return Status::Corruption(path_ + ": integrity_check: " + q->Text(0));
  }
  {
    IPDX_ASSIGN_OR_RETURN(auto q, Prepare("PRAGMA foreign_key_check"));
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (row) {
      return Status::Corruption(path_ + ": foreign key violation in table " + q->Text(0) +
                                " (rowid " + q->Text(1) + ") referring to " + q->Text(2));
    }
  }
  struct Check {
    const char* sql;
    const char* what;
  };
  static constexpr Check kChecks[] = {
      {"SELECT c.publisher || ' ' || c.id FROM current c LEFT JOIN records r ON r.publisher = "
       "c.publisher AND r.id = c.id AND r.version = c.version WHERE r.hash IS NULL OR r.hash <> "
       "c.hash LIMIT 1",
       "current row does not match its version's hash"},
      {"SELECT c.publisher || ' ' || c.id FROM current c WHERE c.version <> (SELECT max(version) "
       "FROM records r WHERE r.publisher = c.publisher AND r.id = c.id) LIMIT 1",
       "current row is not the highest version"},
      {"SELECT r.publisher || ' ' || r.id FROM records r WHERE NOT EXISTS (SELECT 1 FROM current "
       "c WHERE c.publisher = r.publisher AND c.id = r.id) LIMIT 1",
       "record versions without a current row"},
      {"SELECT publisher || ' ' || id FROM records GROUP BY publisher, id HAVING min(version) <> 1 "
       "OR max(version) <> count(*) LIMIT 1",
       "record versions are not 1..N without gaps"},
      {"SELECT r.publisher || ' ' || r.id || ' version ' || r.version FROM records r WHERE "
       "r.publisher = (SELECT value FROM meta WHERE key = 'local_publisher') AND NOT EXISTS "
       "(SELECT 1 FROM log_entries l WHERE l.entry_type = 1 AND l.record_id = r.id AND "
       "l.publisher = r.publisher AND l.record_version = r.version) LIMIT 1",
       "local record version without a log leaf"},
      {"SELECT 'leaf ' || l.leaf_index FROM log_entries l WHERE l.entry_type = 1 AND NOT EXISTS "
       "(SELECT 1 FROM records r WHERE r.publisher = l.publisher AND r.id = l.record_id AND "
       "r.version = l.record_version) LIMIT 1",
       "log leaf of a record version that is not stored"},
  };
  for (const Check& c : kChecks) {
    IPDX_ASSIGN_OR_RETURN(auto q, Prepare(c.sql));
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (row) return Status::Corruption(path_ + ": " + c.what + ": " + q->Text(0));
  }
  return Status::Ok();
}

Result<std::vector<LoggedEvent>> SqliteStore::ListRightsEvents(const std::string& id) {
  IPDX_ASSIGN_OR_RETURN(std::vector<LoggedEvent> out, log_->ListRightsEvents(id));
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare("SELECT origin, leaf_index, entry FROM peer_log WHERE "
                                        "record_id = ?1 AND entry_type = 2 ORDER BY origin, "
                                        "leaf_index"));
  q->Bind(1, id);
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    const auto leaf = static_cast<uint64_t>(q->Int(1));
    auto entry = ledger::DecodeEntry(q->Blob(2));
    if (!entry.ok()) {
      return Status::Corruption(path_ + ": rights event at leaf " + std::to_string(leaf) +
                                " of peer log " + q->Text(0) + ": " + entry.status().message());
    }
    out.push_back({leaf, std::move(entry).value()});
  }
  return out;
}

Result<std::string> SqliteStore::GetRecordJson(const std::string& publisher, const std::string& id,
                                               int version) {
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare("SELECT json FROM records WHERE publisher = ?1 AND id = ?2 "
                                        "AND version = ?3"));
  q->Bind(1, publisher).Bind(2, id).Bind(3, int64_t{version});
  IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
  if (!row) {
    return Status::NotFound("no record " + id + " version " + std::to_string(version) +
                            " from publisher " + publisher);
  }
  return q->Text(0);
}

Result<uint64_t> SqliteStore::CountCopiesFrom(const std::string& publisher) {
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare("SELECT count(*) FROM current WHERE publisher = ?1"));
  q->Bind(1, publisher);
  IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
  return row ? static_cast<uint64_t>(q->Int(0)) : 0;
}

namespace {
constexpr const char* kPeerColumns =
    "name, url, office, origin, log_vkey, witness_vkey, added_at, cursor, frontier, "
    "checkpoint_size, checkpoint, last_sync_at, last_error";

PeerRow ReadPeerRow(const Query& q) {
  PeerRow p;
  p.name = q.Text(0);
  p.url = q.Text(1);
  p.office = q.Text(2);
  p.origin = q.Text(3);
  p.log_vkey = q.Text(4);
  p.witness_vkey = q.Text(5);
  p.added_at = q.Text(6);
  p.cursor = static_cast<uint64_t>(q.Int(7));
  p.frontier = q.Blob(8);
  p.checkpoint_size = static_cast<uint64_t>(q.Int(9));
  p.checkpoint = q.Text(10);
  p.last_sync_at = q.Text(11);
  p.last_error = q.Text(12);
  return p;
}
}  // namespace

Status SqliteStore::AddPeer(const PeerRow& peer) {
  if (peer.name.empty() || peer.origin.empty() || peer.log_vkey.empty()) {
    return Status::InvalidArgument("AddPeer: name, origin and log key are required");
  }
  {
    IPDX_ASSIGN_OR_RETURN(auto q, Prepare("SELECT name FROM peers WHERE name = ?1 OR origin = ?2 "
                                          "OR log_vkey = ?3 LIMIT 1"));
    q->Bind(1, peer.name).Bind(2, peer.origin).Bind(3, peer.log_vkey);
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (row) {
      return Status::AlreadyExists("peer " + q->Text(0) + " already pins the name " + peer.name +
                                   ", the origin " + peer.origin + " or its log key");
    }
  }
  IPDX_ASSIGN_OR_RETURN(
      auto q, Prepare("INSERT INTO peers (name, url, office, origin, log_vkey, witness_vkey, "
                      "added_at, cursor, frontier, checkpoint_size, checkpoint, last_sync_at, "
                      "last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                      "?13)"));
  q->Bind(1, peer.name)
      .Bind(2, peer.url)
      .Bind(3, peer.office)
      .Bind(4, peer.origin)
      .Bind(5, peer.log_vkey)
      .Bind(6, peer.witness_vkey)
      .Bind(7, peer.added_at.empty() ? NowUtcIso8601() : peer.added_at)
      .Bind(8, static_cast<int64_t>(peer.cursor))
      .BindBlob(9, peer.frontier)
      .Bind(10, static_cast<int64_t>(peer.checkpoint_size))
      .Bind(11, peer.checkpoint)
      .Bind(12, peer.last_sync_at)
      .Bind(13, peer.last_error);
  return q->Run().WithContext("pinning peer " + peer.name);
}

Status SqliteStore::UpdatePeer(const PeerRow& peer) {
  IPDX_ASSIGN_OR_RETURN(
      auto q, Prepare("UPDATE peers SET cursor = ?2, frontier = ?3, checkpoint_size = ?4, "
                      "checkpoint = ?5, last_sync_at = ?6, last_error = ?7 WHERE name = ?1"));
  q->Bind(1, peer.name)
      .Bind(2, static_cast<int64_t>(peer.cursor))
      .BindBlob(3, peer.frontier)
      .Bind(4, static_cast<int64_t>(peer.checkpoint_size))
      .Bind(5, peer.checkpoint)
      .Bind(6, peer.last_sync_at)
      .Bind(7, peer.last_error);
  IPDX_RETURN_IF_ERROR(q->Run());
  if (sqlite3_changes(db_.get()) == 0) return Status::NotFound("no peer " + peer.name);
  return Status::Ok();
}

Status SqliteStore::RemovePeer(const std::string& name) {
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare("DELETE FROM peers WHERE name = ?1"));
  q->Bind(1, name);
  IPDX_RETURN_IF_ERROR(q->Run());
  if (sqlite3_changes(db_.get()) == 0) return Status::NotFound("no peer " + name);
  return Status::Ok();
}

Result<std::optional<PeerRow>> SqliteStore::GetPeer(const std::string& name) {
  static const std::string sql =
      std::string("SELECT ") + kPeerColumns + " FROM peers WHERE name = ?1";
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare(sql.c_str()));
  q->Bind(1, name);
  IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
  if (!row) return std::optional<PeerRow>();
  return std::optional<PeerRow>(ReadPeerRow(*q));
}

Result<std::vector<PeerRow>> SqliteStore::ListPeers() {
  static const std::string sql =
      std::string("SELECT ") + kPeerColumns + " FROM peers ORDER BY name";
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare(sql.c_str()));
  std::vector<PeerRow> out;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    out.push_back(ReadPeerRow(*q));
  }
  return out;
}

Result<bool> SqliteStore::PutPeerEntry(const std::string& origin, uint64_t leaf_index,
                                       std::string_view entry) {
  auto decoded = ledger::DecodeEntry(entry);
  if (!decoded.ok()) {
    return decoded.status().WithContext("mirroring leaf " + std::to_string(leaf_index) + " of " +
                                        origin);
  }
  {
    IPDX_ASSIGN_OR_RETURN(
        auto q, Prepare("SELECT entry FROM peer_log WHERE origin = ?1 AND leaf_index = ?2"));
    q->Bind(1, origin).Bind(2, static_cast<int64_t>(leaf_index));
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (row) {
      if (q->Blob(0) == entry) return false;
      return Status::Corruption("leaf " + std::to_string(leaf_index) + " of " + origin +
                                " differs from the entry mirrored earlier");
    }
  }
  IPDX_ASSIGN_OR_RETURN(
      auto q, Prepare("INSERT INTO peer_log (origin, leaf_index, entry, entry_type, publisher, "
                      "record_id, record_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  q->Bind(1, origin)
      .Bind(2, static_cast<int64_t>(leaf_index))
      .BindBlob(3, entry)
      .Bind(4, static_cast<int64_t>(decoded->type))
      .Bind(5, decoded->publisher)
      .Bind(6, decoded->record_id)
      .Bind(7, int64_t{decoded->record_version});
  IPDX_RETURN_IF_ERROR(q->Run());
  return true;
}

Result<std::vector<std::string>> SqliteStore::ReadPeerEntries(const std::string& origin,
                                                              uint64_t start, uint64_t count) {
  IPDX_ASSIGN_OR_RETURN(auto q, Prepare("SELECT leaf_index, entry FROM peer_log WHERE origin = ?1 "
                                        "AND leaf_index >= ?2 ORDER BY leaf_index LIMIT ?3"));
  q->Bind(1, origin).Bind(2, static_cast<int64_t>(start)).Bind(3, static_cast<int64_t>(count));
  std::vector<std::string> out;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    if (static_cast<uint64_t>(q->Int(0)) != start + out.size()) break;
    out.push_back(q->Blob(1));
  }
  return out;
}

Result<int64_t> SqliteStore::PutEvidence(const EvidenceRow& e) {
  IPDX_ASSIGN_OR_RETURN(
      auto q, Prepare("INSERT INTO evidence (peer, origin, kind, detected_at, message, "
                      "checkpoint_before, checkpoint_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  q->Bind(1, e.peer)
      .Bind(2, e.origin)
      .Bind(3, e.kind)
      .Bind(4, e.detected_at.empty() ? NowUtcIso8601() : e.detected_at)
      .Bind(5, e.message)
      .Bind(6, e.checkpoint_before)
      .Bind(7, e.checkpoint_after);
  IPDX_RETURN_IF_ERROR(q->Run().WithContext("storing evidence against " + e.peer));
  return sqlite3_last_insert_rowid(db_.get());
}

Result<std::vector<EvidenceRow>> SqliteStore::ListEvidence(const std::string& peer) {
  IPDX_ASSIGN_OR_RETURN(
      auto q, Prepare("SELECT evidence_id, peer, origin, kind, detected_at, message, "
                      "checkpoint_before, checkpoint_after FROM evidence WHERE ?1 = '' OR peer = "
                      "?1 ORDER BY evidence_id"));
  q->Bind(1, peer);
  std::vector<EvidenceRow> out;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) break;
    EvidenceRow e;
    e.evidence_id = q->Int(0);
    e.peer = q->Text(1);
    e.origin = q->Text(2);
    e.kind = q->Text(3);
    e.detected_at = q->Text(4);
    e.message = q->Text(5);
    e.checkpoint_before = q->Text(6);
    e.checkpoint_after = q->Text(7);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::OpenSqlite(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) {
    return Status::InvalidArgument("store path must be a file path, got '" + path + "'");
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(db.get(), rc, "opening the store " + path);
  }
  auto store = std::make_unique<SqliteStore>(std::move(db), path);
  IPDX_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace ipdx::store
