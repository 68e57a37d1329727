// store::DecisionStore on SQLite: the classification_decisions table (docs/classification.md,
// schema version 4). A connection of its own on the store's database file, like the token store,
// so the classifier's bookkeeping needs no change to the record store's class; WAL lets it read
// while ingest writes.
#include <sqlite3.h>

#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"

namespace ipdx::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// The first schema version with the classification_decisions table.
constexpr int kDecisionsSchemaVersion = 4;

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Status Error(sqlite3* db, int rc, const std::string& what) {
  std::string msg = what + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(msg));
    case SQLITE_CONSTRAINT:
      return Status::InvalidArgument(std::move(msg));
    default:
      return Status::IOError(std::move(msg));
  }
}

std::string Text(sqlite3_stmt* s, int col) {
  const unsigned char* p = sqlite3_column_text(s, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(s, col)));
}

class SqliteDecisionStore final : public DecisionStore {
 public:
  explicit SqliteDecisionStore(DbPtr db) : db_(std::move(db)) {}

  Result<int64_t> PutDecision(const DecisionRow& row) override {
    if (row.id.empty() || row.symbol.empty() || row.by.empty()) {
      return Status::InvalidArgument("PutDecision: id, symbol and examiner name are required");
    }
    if (row.decision != "accept" && row.decision != "reject") {
      return Status::InvalidArgument("PutDecision: decision must be accept or reject, not '" +
                                     row.decision + "'");
    }
    IPDX_ASSIGN_OR_RETURN(
        StmtPtr s,
        Prepare("INSERT INTO classification_decisions (id, symbol, decision, by, "
                "model_version, score, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    Bind(s.get(), 1, row.id);
    Bind(s.get(), 2, row.symbol);
    Bind(s.get(), 3, row.decision);
    Bind(s.get(), 4, row.by);
    Bind(s.get(), 5, row.model_version);
    (void)sqlite3_bind_double(s.get(), 6, row.score);
    Bind(s.get(), 7, row.decided_at.empty() ? NowUtc() : row.decided_at);
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) return Error(db_.get(), rc, "recording the decision on " + row.id);
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.get()));
  }

  Result<std::vector<DecisionRow>> ListDecisions(const std::string& id) override {
    IPDX_ASSIGN_OR_RETURN(
        StmtPtr s, Prepare("SELECT decision_id, id, symbol, decision, by, model_version, score, "
                           "decided_at FROM classification_decisions WHERE ?1 = '' OR id = ?1 "
                           "ORDER BY decision_id"));
    Bind(s.get(), 1, id);
    std::vector<DecisionRow> out;
    for (;;) {
      int rc = sqlite3_step(s.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Error(db_.get(), rc, "listing classification decisions");
      DecisionRow row;
      row.decision_id = sqlite3_column_int64(s.get(), 0);
      row.id = Text(s.get(), 1);
      row.symbol = Text(s.get(), 2);
      row.decision = Text(s.get(), 3);
      row.by = Text(s.get(), 4);
      row.model_version = Text(s.get(), 5);
      row.score = sqlite3_column_double(s.get(), 6);
      row.decided_at = Text(s.get(), 7);
      out.push_back(std::move(row));
    }
    return out;
  }

  Status CheckSchema(const std::string& path) {
    IPDX_ASSIGN_OR_RETURN(StmtPtr s, Prepare("PRAGMA user_version"));
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) return Error(db_.get(), rc, path + ": reading the schema version");
    if (sqlite3_column_int64(s.get(), 0) < kDecisionsSchemaVersion) {
      return Status::FailedPrecondition(path + ": store schema has no classification decisions");
    }
    return Status::Ok();
  }

 private:
  Result<StmtPtr> Prepare(const char* sql) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), sql, -1, &raw, nullptr);
    StmtPtr s(raw);
    if (rc != SQLITE_OK) return Error(db_.get(), rc, std::string("preparing ") + sql);
    return s;
  }
  static void Bind(sqlite3_stmt* s, int i, const std::string& v) {
    // Binding a valid index only fails for out-of-memory, which the step then reports.
    (void)sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }

  DbPtr db_;
};

}  // namespace

Result<std::unique_ptr<DecisionStore>> DecisionStore::OpenSqlite(const std::string& path) {
  // Store::OpenSqlite checks that the file is an ipdx store and migrates its schema.
  { IPDX_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::OpenSqlite(path)); }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return Error(db.get(), rc, "opening the decision store " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  auto decisions = std::make_unique<SqliteDecisionStore>(std::move(db));
  IPDX_RETURN_IF_ERROR(decisions->CheckSchema(path));
  return std::unique_ptr<DecisionStore>(std::move(decisions));
}

}  // namespace ipdx::store
