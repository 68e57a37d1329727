#include "store/sqlite_util.h"

#include <ctime>
#include <utility>

#include "store/store.h"

namespace ipdx::store::internal {

Status SqliteStatus(sqlite3* db, int rc, std::string_view what, StatusCode on_constraint) {
  std::string msg(what);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(msg));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
      return Status::IOError(std::move(msg));
    case SQLITE_AUTH:
      return Status::PermissionDenied(std::move(msg));
    case SQLITE_CONSTRAINT:
      return Status(on_constraint, std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

Result<StmtPtr> Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  StmtPtr s(raw);
  if (rc != SQLITE_OK) return SqliteStatus(db, rc, std::string("preparing ") + sql);
  return s;
}

void BindText(sqlite3_stmt* s, int index, std::string_view value) {
  (void)sqlite3_bind_text64(s, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

std::string ColumnText(sqlite3_stmt* s, int col) {
  const unsigned char* p = sqlite3_column_text(s, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(s, col)));
}

Result<DbPtr> OpenSideConnection(const std::string& path, std::string_view what,
                                 int64_t min_schema_version) {
  { IPDX_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::OpenSqlite(path)); }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(db.get(), rc, "opening the " + std::string(what) + " " + path);
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  IPDX_ASSIGN_OR_RETURN(StmtPtr s, Prepare(db.get(), "PRAGMA user_version"));
  rc = sqlite3_step(s.get());
  if (rc != SQLITE_ROW) return SqliteStatus(db.get(), rc, path + ": reading the schema version");
  if (sqlite3_column_int64(s.get(), 0) < min_schema_version) {
    return Status::FailedPrecondition(path + ": store schema has no " + std::string(what) +
                                      " table");
  }
  return db;
}

}  // namespace ipdx::store::internal
