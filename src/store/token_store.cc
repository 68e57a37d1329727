// store::TokenStore on SQLite: the api_tokens table (docs/formats/store.md, schema version 3).
// A connection of its own on the store's database file, so the HTTP server can check tokens
// without taking the lock that serialises record writes; WAL lets it read while ingest writes.
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
// The first schema version with the api_tokens table.
constexpr int kTokensSchemaVersion = 3;

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
      return Status::AlreadyExists(std::move(msg));
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

class SqliteTokenStore final : public TokenStore {
 public:
  explicit SqliteTokenStore(DbPtr db) : db_(std::move(db)) {}

  Status PutToken(const TokenRow& row) override {
    if (row.token_id.empty() || row.sha256.size() != 64 || row.scopes.empty()) {
      return Status::InvalidArgument("PutToken: token id, scopes and a hex SHA-256 are required");
    }
    IPDX_ASSIGN_OR_RETURN(StmtPtr s, Prepare("INSERT INTO api_tokens (token_id, name, scopes, "
                                             "sha256, created_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
    Bind(s.get(), 1, row.token_id);
    Bind(s.get(), 2, row.name);
    Bind(s.get(), 3, row.scopes);
    Bind(s.get(), 4, row.sha256);
    Bind(s.get(), 5, row.created_at.empty() ? NowUtc() : row.created_at);
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) return Error(db_.get(), rc, "storing token " + row.token_id);
    return Status::Ok();
  }

  Result<TokenRow> GetToken(const std::string& token_id) override {
    IPDX_ASSIGN_OR_RETURN(StmtPtr s, Prepare("SELECT token_id, name, scopes, sha256, created_at, "
                                             "revoked_at FROM api_tokens WHERE token_id = ?1"));
    Bind(s.get(), 1, token_id);
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return Status::NotFound("no token " + token_id);
    if (rc != SQLITE_ROW) return Error(db_.get(), rc, "reading token " + token_id);
    return Row(s.get());
  }

  Status RevokeToken(const std::string& token_id) override {
    IPDX_ASSIGN_OR_RETURN(StmtPtr s, Prepare("UPDATE api_tokens SET revoked_at = "
                                             "coalesce(revoked_at, ?2) WHERE token_id = ?1"));
    Bind(s.get(), 1, token_id);
    Bind(s.get(), 2, NowUtc());
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) return Error(db_.get(), rc, "revoking token " + token_id);
    if (sqlite3_changes(db_.get()) == 0) return Status::NotFound("no token " + token_id);
    return Status::Ok();
  }

  Result<std::vector<TokenRow>> ListTokens() override {
    IPDX_ASSIGN_OR_RETURN(StmtPtr s,
                          Prepare("SELECT token_id, name, scopes, sha256, created_at, revoked_at "
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

  Status CheckSchema(const std::string& path) {
    IPDX_ASSIGN_OR_RETURN(StmtPtr s, Prepare("PRAGMA user_version"));
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) return Error(db_.get(), rc, path + ": reading the schema version");
    if (sqlite3_column_int64(s.get(), 0) < kTokensSchemaVersion) {
      return Status::FailedPrecondition(path + ": store schema has no token table");
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
    // Binding a valid index of a prepared statement only fails for out-of-memory, which the step
    // then reports.
    (void)sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  static TokenRow Row(sqlite3_stmt* s) {
    return TokenRow{Text(s, 0), Text(s, 1), Text(s, 2), Text(s, 3), Text(s, 4), Text(s, 5)};
  }

  DbPtr db_;
};

}  // namespace

Result<std::unique_ptr<TokenStore>> TokenStore::OpenSqlite(const std::string& path) {
  // Store::OpenSqlite checks that the file is an ipdx store and migrates its schema; the token
  // connection then works on a schema it knows.
  { IPDX_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::OpenSqlite(path)); }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return Error(db.get(), rc, "opening the token store " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  auto tokens = std::make_unique<SqliteTokenStore>(std::move(db));
  IPDX_RETURN_IF_ERROR(tokens->CheckSchema(path));
  return std::unique_ptr<TokenStore>(std::move(tokens));
}

}  // namespace ipdx::store
