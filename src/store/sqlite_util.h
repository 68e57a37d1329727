#pragma once
// Internal to store/: the SQLite plumbing shared by the main store and the side stores (tokens,
// decisions) that open their own connection on the same database file. Not part of the
// module contract (see store.h).
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ipdx::store::internal {

inline constexpr int kBusyTimeoutMs = 5000;

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Maps an SQLite result code to the closed set of Status codes. A constraint violation maps to
// `on_constraint`: Internal in the main store (a bug there), a user-facing code in side stores.
Status SqliteStatus(sqlite3* db, int rc, std::string_view what,
                    StatusCode on_constraint = StatusCode::kInternal);

Result<StmtPtr> Prepare(sqlite3* db, const char* sql);

// Binding a valid index of a prepared statement only fails for out-of-memory, which the next
// step reports; so binds return nothing.
void BindText(sqlite3_stmt* s, int index, std::string_view value);
std::string ColumnText(sqlite3_stmt* s, int col);

// Opens a side connection on the store at `path` for a table that exists from schema version
// `min_schema_version` on. Store::OpenSqlite runs first, so the file is checked to be an ipdx
// store and migrated; `what` names the side store in errors ("token store").
Result<DbPtr> OpenSideConnection(const std::string& path, std::string_view what,
                                 int64_t min_schema_version);

}  // namespace ipdx::store::internal
