// store::TokenStore on SQLite: the api_tokens table (docs/formats/store.md, schema version 3).
// A connection of its own on the store's database file, so the HTTP server can check tokens
// without taking the lock that serialises record writes; WAL lets it read while ingest writes.
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

// The first schema version with the api_tokens table.
constexpr int kTokensSchemaVersion = 3;

using internal::BindText;
using internal::ColumnText;
using internal::DbPtr;
using internal::StmtPtr;

Status Error(sqlite3* db, int rc, const std::string& what) {
  return internal::SqliteStatus(db, rc, what, StatusCode::kAlreadyExists);
}

class SqliteTokenStore final : public TokenStore {
 public:
  explicit SqliteTokenStore(DbPtr db) : db_(std::move(db)) {}

  Status PutToken(const TokenRow& row) override {
    if (row.token_id.empty() || row.sha256.size() != 64 || row.scopes.empty()) {
      return Status::InvalidArgument("PutToken: token id, scopes and a hex SHA-256 are required");
    }
    IPDX_ASSIGN_OR_RETURN(StmtPtr s,
                          internal::Prepare(db_.get(),
                                            "INSERT INTO api_tokens (token_id, name, scopes, "
                                            "sha256, created_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
    BindText(s.get(), 1, row.token_id);
    BindText(s.get(), 2, row.name);
    BindText(s.get(), 3, row.scopes);
    BindText(s.get(), 4, row.sha256);
    BindText(s.get(), 5, row.created_at.empty() ? NowUtcIso8601() : row.created_at);
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) return Error(db_.get(), rc, "storing token " + row.token_id);
    return Status::Ok();
  }

  Result<TokenRow> GetToken(const std::string& token_id) override {
    IPDX_ASSIGN_OR_RETURN(StmtPtr s,
                          internal::Prepare(db_.get(),
                                            "SELECT token_id, name, scopes, sha256, created_at, "
                                            "revoked_at FROM api_tokens WHERE token_id = ?1"));
    BindText(s.get(), 1, token_id);
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return Status::NotFound("no token " + token_id);
    if (rc != SQLITE_ROW) return Error(db_.get(), rc, "reading token " + token_id);
    return Row(s.get());
  }

  Status RevokeToken(const std::string& token_id) override {
    IPDX_ASSIGN_OR_RETURN(StmtPtr s,
                          internal::Prepare(db_.get(),
                                            "UPDATE api_tokens SET revoked_at = "
                                            "coalesce(revoked_at, ?2) WHERE token_id = ?1"));
    BindText(s.get(), 1, token_id);
    BindText(s.get(), 2, NowUtcIso8601());
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) return Error(db_.get(), rc, "revoking token " + token_id);
    if (sqlite3_changes(db_.get()) == 0) return Status::NotFound("no token " + token_id);
    return Status::Ok();
  }

  Result<std::vector<TokenRow>> ListTokens() override {
    IPDX_ASSIGN_OR_RETURN(
        StmtPtr s,
        internal::Prepare(db_.get(),
                          "SELECT token_id, name, scopes, sha256, created_at, revoked_at "
                          "FROM api_tokens ORDER BY created_at, token_id"));
    std::vector<TokenRow> out;
    for (;;) {
      int rc = sqlite3_step(s.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Error(db_.get(), rc, "listing tokens");
      out.push_back(Row(s.get()));
    }
    return out;
  }

 private:
  static TokenRow Row(sqlite3_stmt* s) {
    return TokenRow{ColumnText(s, 0), ColumnText(s, 1), ColumnText(s, 2),
                    ColumnText(s, 3), ColumnText(s, 4), ColumnText(s, 5)};
  }

  DbPtr db_;
};

}  // namespace

Result<std::unique_ptr<TokenStore>> TokenStore::OpenSqlite(const std::string& path) {
  IPDX_ASSIGN_OR_RETURN(DbPtr db,
                        internal::OpenSideConnection(path, "token store", kTokensSchemaVersion));
  return std::unique_ptr<TokenStore>(std::make_unique<SqliteTokenStore>(std::move(db)));
}

}  // namespace ipdx::store
