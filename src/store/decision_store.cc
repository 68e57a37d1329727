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

#include "common/clock.h"
#include "store/sqlite_util.h"
#include "store/store.h"

namespace ipdx::store {
namespace {

// The first schema version with the classification_decisions table.
constexpr int kDecisionsSchemaVersion = 4;

using internal::BindText;
using internal::ColumnText;
using internal::DbPtr;
using internal::StmtPtr;

Status Error(sqlite3* db, int rc, const std::string& what) {
  return internal::SqliteStatus(db, rc, what, StatusCode::kInvalidArgument);
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
        internal::Prepare(db_.get(),
                          "INSERT INTO classification_decisions (id, symbol, decision, by, "
                          "model_version, score, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    BindText(s.get(), 1, row.id);
    BindText(s.get(), 2, row.symbol);
    BindText(s.get(), 3, row.decision);
    BindText(s.get(), 4, row.by);
    BindText(s.get(), 5, row.model_version);
    (void)sqlite3_bind_double(s.get(), 6, row.score);
    BindText(s.get(), 7, row.decided_at.empty() ? NowUtcIso8601() : row.decided_at);
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) return Error(db_.get(), rc, "recording the decision on " + row.id);
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.get()));
  }

  Result<std::vector<DecisionRow>> ListDecisions(const std::string& id) override {
    IPDX_ASSIGN_OR_RETURN(
        StmtPtr s,
        internal::Prepare(db_.get(),
                          "SELECT decision_id, id, symbol, decision, by, model_version, score, "
                          "decided_at FROM classification_decisions WHERE ?1 = '' OR id = ?1 "
                          "ORDER BY decision_id"));
    BindText(s.get(), 1, id);
    std::vector<DecisionRow> out;
    for (;;) {
      int rc = sqlite3_step(s.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Error(db_.get(), rc, "listing classification decisions");
      DecisionRow row;
      row.decision_id = sqlite3_column_int64(s.get(), 0);
      row.id = ColumnText(s.get(), 1);
      row.symbol = ColumnText(s.get(), 2);
      row.decision = ColumnText(s.get(), 3);
      row.by = ColumnText(s.get(), 4);
      row.model_version = ColumnText(s.get(), 5);
      row.score = sqlite3_column_double(s.get(), 6);
      row.decided_at = ColumnText(s.get(), 7);
      out.push_back(std::move(row));
    }
    return out;
  }

 private:
  DbPtr db_;
};

}  // namespace

Result<std::unique_ptr<DecisionStore>> DecisionStore::OpenSqlite(const std::string& path) {
  IPDX_ASSIGN_OR_RETURN(DbPtr db, internal::OpenSideConnection(path, "classification decisions",
                                                               kDecisionsSchemaVersion));
  return std::unique_ptr<DecisionStore>(std::make_unique<SqliteDecisionStore>(std::move(db)));
}

}  // namespace ipdx::store
