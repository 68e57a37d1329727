// The transparency log on the SQLite store: leaves commit with their record versions, proofs and
// the integrity check work over the stored hashes, and damage done behind the store's back is
// found (docs/formats/store.md, docs/formats/ledger.md).
#include "store/sqlite_log.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "common/hash.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace ipdx::store {
namespace {

namespace fs = std::filesystem;

model::Record MakeRecord(const std::string& number, const std::string& title = "A flash memory") {
  model::Record r;
  r.office = "US";
  r.number = number;
  r.kind = "B2";
  r.publication_date = "2015-01-20";
  r.language = "en";
  r.application = {"US", "13/168,776", "2011-06-24"};
  r.titles = {{"en", title}};
  r.source.format = "st96";
  r.source.file = "examples/PatentPublication.xml";
  r.source.sha256 = std::string(64, 'a');
  return r;
}

class SqliteLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ipdx_sqlite_log_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "ipdx.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> Open(const std::string& office = "US") {
    auto s = Store::OpenSqlite(path_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    if (!office.empty()) {
      EXPECT_TRUE((*s)->SetLocalPublisher(office).ok());
    }
    return std::move(s).value();
  }

  void RawExec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  // Flips the low bit of the entry byte `from_end` bytes before its end, behind the store's back.
  void FlipEntryBit(int64_t leaf, int from_end) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT entry FROM log_entries WHERE leaf_index = ?1", -1, &st,
                                 nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(st, 1, leaf);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    std::string entry(static_cast<const char*>(sqlite3_column_blob(st, 0)),
                      static_cast<size_t>(sqlite3_column_bytes(st, 0)));
    sqlite3_finalize(st);
    entry[entry.size() - static_cast<size_t>(from_end)] ^= 1;
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE log_entries SET entry = ?2 WHERE leaf_index = ?1", -1,
                                 &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(st, 1, leaf);
    sqlite3_bind_blob(st, 2, entry.data(), static_cast<int>(entry.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
  }

  static uint64_t Size(Store& s) {
    auto n = s.Log().TreeSize();
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : 0;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(SqliteLogTest, EachNewLocalVersionAppendsItsEntryAndNothingElseDoes) {
  auto store = Open();
  ASSERT_TRUE(store);
  model::Record r = MakeRecord("8936998");
  ASSERT_TRUE(store->PutRecord("US", &r).ok());
  EXPECT_EQ(Size(*store), 1u);
  model::Record same = MakeRecord("8936998");
  ASSERT_EQ(store->PutRecord("US", &same)->outcome, PutOutcome::kUnchanged);
  EXPECT_EQ(Size(*store), 1u) << "an unchanged document adds no leaf";
  model::Record changed = MakeRecord("8936998", "A flash memory, corrected");
  ASSERT_EQ(store->PutRecord("US", &changed)->outcome, PutOutcome::kUpdated);
  EXPECT_EQ(Size(*store), 2u);
  // A foreign copy is proven by its publisher's log, not this one.
  model::Record foreign = MakeRecord("8936998");
  ASSERT_TRUE(store->PutRecord("EP", &foreign).ok());
  EXPECT_EQ(Size(*store), 2u);

  // The entry names the version and carries the store's content hash, not the document.
  auto entries = store->Log().ReadEntries(0, 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  auto e = ledger::DecodeEntry((*entries)[1]);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->type, ledger::EntryType::kRecordVersion);
  EXPECT_EQ(e->publisher, "US");
  EXPECT_EQ(e->record_id, "US-8936998-B2");
  EXPECT_EQ(e->record_version, 2u);
  EXPECT_EQ(HexEncode(e->content_hash), changed.hash);
  EXPECT_EQ(HexEncode(e->content_hash), codec::ContentHash(changed));
  EXPECT_LT((*entries)[1].size(), 200u);

  auto leaf = store->FindRecordLeaf("US", "US-8936998-B2", 2);
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(*leaf, 1u);
  EXPECT_EQ(store->FindRecordLeaf("EP", "US-8936998-B2", 1).status().code(), StatusCode::kNotFound);
  auto counts = store->GetLogCounts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->tree_size, 2u);
  EXPECT_EQ(counts->record_versions, 2u);
  EXPECT_TRUE(store->CheckIntegrity().ok()) << store->CheckIntegrity().ToString();
  EXPECT_TRUE(ledger::CheckIntegrity(store->Log(), {}).ok());
}

TEST_F(SqliteLogTest, RollbackLeavesNoLeafAndCommitKeepsBoth) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Begin().ok());
    for (int i = 0; i < 5; ++i) {
      model::Record r = MakeRecord(std::to_string(9000000 + i));
      ASSERT_TRUE(store->PutRecord("US", &r).ok());
    }
    EXPECT_EQ(Size(*store), 5u) << "the open transaction sees its own leaves";
    ASSERT_TRUE(store->Rollback().ok());
    EXPECT_EQ(Size(*store), 0u);
    auto hashes = store->Log().ReadHashes(std::vector<ledger::NodeId>{{0, 0}});
    EXPECT_EQ(hashes.status().code(), StatusCode::kNotFound) << "no stored hash survives";
    EXPECT_EQ(*store->CountRecords(), 0u);

    ASSERT_TRUE(store->Begin().ok());
    for (int i = 0; i < 3; ++i) {
      model::Record r = MakeRecord(std::to_string(9100000 + i));
      ASSERT_TRUE(store->PutRecord("US", &r).ok());
    }
    ASSERT_TRUE(store->Commit().ok());
  }
  auto reopened = Open();
  ASSERT_TRUE(reopened);
  EXPECT_EQ(Size(*reopened), 3u);
  EXPECT_EQ(*reopened->CountRecords(), 3u);
  EXPECT_TRUE(ledger::CheckIntegrity(reopened->Log(), {}).ok());
}

TEST_F(SqliteLogTest, ProofsFromStoredHashesMatchTheInMemoryLog) {
  auto store = Open();
  ASSERT_TRUE(store);
  ledger::MemoryLogStorage mem;
  ASSERT_TRUE(store->Begin().ok());
  for (int i = 0; i < 300; ++i) {
    model::Record r = MakeRecord(std::to_string(8000000 + i));
    ASSERT_TRUE(store->PutRecord("US", &r).ok());
  }
  ASSERT_TRUE(store->Commit().ok());
  auto entries = store->Log().ReadEntries(0, 1000);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 300u);
  for (const std::string& e : *entries) ASSERT_TRUE(ledger::Append(mem, e).ok());
  for (uint64_t size : {1u, 2u, 7u, 128u, 255u, 256u, 300u}) {
    auto a = ledger::TreeRoot(store->Log(), size);
    auto b = ledger::TreeRoot(mem, size);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b) << size;
  }
  const ledger::Hash root = *ledger::TreeRoot(store->Log(), 300);
  for (uint64_t leaf : {0u, 1u, 137u, 299u}) {
    auto proof = ledger::InclusionProof(store->Log(), leaf, 300);
    ASSERT_TRUE(proof.ok());
    EXPECT_TRUE(
        ledger::VerifyInclusion(leaf, 300, ledger::LeafHash((*entries)[leaf]), *proof, root).ok());
  }
  auto consistency = ledger::ConsistencyProof(store->Log(), 129, 300);
  ASSERT_TRUE(consistency.ok());
  EXPECT_TRUE(
      ledger::VerifyConsistency(129, 300, *ledger::TreeRoot(store->Log(), 129), root, *consistency)
          .ok());
  auto tile = ledger::ReadTile(store->Log(), {0, 0, 256}, 300);
  ASSERT_TRUE(tile.ok());
  EXPECT_EQ(tile->size(), 256u * 32);
  EXPECT_EQ(*tile, *ledger::ReadTile(mem, {0, 0, 256}, 300));
}

TEST_F(SqliteLogTest, CheckpointsAreKeptWithTheirCosignatures) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto key = ledger::SignerKey::Generate("ipdx/US", ledger::KeyType::kEd25519);
  auto witness = ledger::SignerKey::Generate("witness.example", ledger::KeyType::kCosignatureV1);
  ASSERT_TRUE(key.ok() && witness.ok());
  auto empty = ledger::SignCheckpoint(store->Log(), *key);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  model::Record r = MakeRecord("8936998");
  ASSERT_TRUE(store->PutRecord("US", &r).ok());
  auto one = ledger::SignCheckpoint(store->Log(), *key);
  ASSERT_TRUE(one.ok());
  auto sizes = store->Log().CheckpointSizes();
  ASSERT_TRUE(sizes.ok());
  EXPECT_EQ(*sizes, (std::vector<uint64_t>{0, 1}));
  auto cosigned = ledger::AddCosignature(*one, key->verifier(), *witness, 1714560000);
  ASSERT_TRUE(cosigned.ok());
  ASSERT_TRUE(store->Log().StoreCheckpoint(1, *cosigned).ok());
  EXPECT_EQ(*store->Log().ReadCheckpoint(1), *cosigned);
  EXPECT_EQ(store->Log().ReadCheckpoint(5).status().code(), StatusCode::kNotFound);
  store.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT tree_size, key_name, timestamp FROM log_cosignatures",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), 1);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)), "witness.example");
  EXPECT_EQ(sqlite3_column_int64(st, 2), 1714560000);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
  auto again = Open();
  EXPECT_TRUE(
      ledger::CheckIntegrity(again->Log(), std::vector<ledger::VerifierKey>{key->verifier()}).ok());
}

// The log storage caches committed upper hashes (sqlite_log.h). The cache must never outlive a
// rollback or hide a stored hash edited behind the store's back.
TEST_F(SqliteLogTest, CachedUpperHashesNeverHideARollbackOrAnEditBehindTheStoresBack) {
  auto store = Open();
  ASSERT_TRUE(store);
  ledger::MemoryLogStorage mem;
  auto put = [&](int first, int count) {
    for (int i = first; i < first + count; ++i) {
      model::Record r = MakeRecord(std::to_string(i));
      ASSERT_TRUE(store->PutRecord("US", &r).ok());
    }
  };
  ASSERT_TRUE(store->Begin().ok());
  put(7000000, 64);
  ASSERT_TRUE(store->Commit().ok());
  const std::vector<ledger::NodeId> upper{{4, 0}, {4, 3}, {5, 1}, {6, 0}};
  auto before = store->Log().ReadHashes(upper);  // outside a transaction: cached
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  // A batch that rolls back after its reads never leaves a cached hash behind: the nodes of
  // leaves 64..127 are then written again from other entries.
  ASSERT_TRUE(store->Begin().ok());
  put(7100000, 64);
  const std::vector<ledger::NodeId> rolled{{4, 4}, {6, 1}};
  ASSERT_TRUE(store->Log().ReadHashes(rolled).ok());
  ASSERT_TRUE(store->Rollback().ok());
  ASSERT_TRUE(store->Begin().ok());
  put(7200000, 64);
  ASSERT_TRUE(store->Commit().ok());
  auto entries = store->Log().ReadEntries(0, 1000);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 128u);
  for (const std::string& e : *entries) ASSERT_TRUE(ledger::Append(mem, e).ok());
  EXPECT_EQ(*store->Log().ReadHashes(rolled), *mem.ReadHashes(rolled));
  EXPECT_EQ(*ledger::TreeRoot(store->Log(), 128), *ledger::TreeRoot(mem, 128));
  EXPECT_EQ(*store->Log().ReadHashes(upper), *before);

  // Another connection rewrites a cached node: the same open store reads the new bytes, and the
  // integrity check names the node.
  RawExec("UPDATE log_hashes SET hash = zeroblob(32) WHERE level = 4 AND idx = 3");
  auto after = store->Log().ReadHashes(upper);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)[1], ledger::Hash{});
  EXPECT_EQ((*after)[0], (*before)[0]);
  Status st = ledger::CheckIntegrity(store->Log(), {});
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("level 4, index 3"), std::string::npos) << st.message();
}

TEST_F(SqliteLogTest, RightsEventsAreLeavesAndListedFromTheLoggedBytes) {
  auto store = Open();
  ASSERT_TRUE(store);
  model::Record r = MakeRecord("8936998");
  ASSERT_TRUE(store->PutRecord("US", &r).ok());
  ledger::Entry e;
  e.type = ledger::EntryType::kRightsEvent;
  e.publisher = "US";
  e.record_id = "US-8936998-B2";
  e.record_version = 1;
  e.recorded_at = "2024-05-01T12:00:00Z";
  e.event = ledger::RightsEvent{ledger::RightsEventType::kAssignment,
                                "",
                                "2024-04-30",
                                {"Samsung Electronics Co., Ltd."},
                                "reel 12345 frame 1",
                                0};
  auto leaf = store->AppendRightsEvent(e);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  EXPECT_EQ(*leaf, 1u);
  auto listed = store->ListRightsEvents("US-8936998-B2");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].leaf_index, 1u);
  EXPECT_EQ((*listed)[0].entry.event->st27_code, "R14");  // decoding fills the default code
  EXPECT_EQ((*listed)[0].entry.event->parties, e.event->parties);
  EXPECT_TRUE(store->ListRightsEvents("US-1-B1")->empty());

  // A code from another ST.27 category is refused and leaves nothing behind.
  ledger::Entry bad = e;
  bad.event->st27_code = "F11";
  EXPECT_EQ(store->AppendRightsEvent(bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Size(*store), 2u);
  EXPECT_EQ(store->GetLogCounts()->rights_events, 1u);
}

TEST_F(SqliteLogTest, TamperedLeafIsFoundWithItsIndexAndAMissingLeafByTheStoreCheck) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Begin().ok());
    for (int i = 0; i < 20; ++i) {
      model::Record r = MakeRecord(std::to_string(7000000 + i));
      ASSERT_TRUE(store->PutRecord("US", &r).ok());
    }
    ASSERT_TRUE(store->Commit().ok());
  }
  // Flip one bit of the content hash inside entry 13 (the hash ends 22 bytes before the end:
  // then comes recorded_at, a u16 length and 20 bytes).
  FlipEntryBit(13, 23);
  {
    auto store = Open();
    ASSERT_TRUE(store);
    Status st = ledger::CheckIntegrity(store->Log(), {});
    EXPECT_EQ(st.code(), StatusCode::kCorruption);
    EXPECT_NE(st.message().find("leaf 13"), std::string::npos) << st.message();
  }
  RawExec(
      "DELETE FROM log_hashes WHERE level = 0 AND idx = 19; DELETE FROM log_entries WHERE "
      "leaf_index = 19");
  auto store = Open();
  ASSERT_TRUE(store);
  Status st = store->CheckIntegrity();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("without a log leaf"), std::string::npos) << st.message();
}

TEST_F(SqliteLogTest, StoresWrittenBeforeTheLogGetTheirLeavesOnMigration) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    for (int i = 0; i < 4; ++i) {
      model::Record r = MakeRecord(std::to_string(6000000 + i));
      ASSERT_TRUE(store->PutRecord("US", &r).ok());
    }
    model::Record v2 = MakeRecord("6000001", "second version");
    ASSERT_TRUE(store->PutRecord("US", &v2).ok());
  }
  // Turn it into a schema-1 store: only the tables of the first schema are left.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                                 "IN ('meta', 'records', 'current', 'ingest_runs', 'rejects', "
                                 "'sqlite_sequence')",
                                 -1, &st, nullptr),
              SQLITE_OK);
    std::vector<std::string> later;
    while (sqlite3_step(st) == SQLITE_ROW) {
      later.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    // Children first: rights_events and log_cosignatures refer to other log tables.
    std::sort(later.begin(), later.end(), [](const std::string& a, const std::string& b) {
      return (a == "rights_events" || a == "log_cosignatures") >
             (b == "rights_events" || b == "log_cosignatures");
    });
    std::string sql = "PRAGMA foreign_keys = OFF;";
    for (const std::string& t : later) sql += "DROP TABLE " + t + ";";
    RawExec(sql + "PRAGMA user_version = 1;");
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->SchemaVersion(), kSchemaVersion);
  EXPECT_EQ(Size(*store), 5u);
  EXPECT_TRUE(store->CheckIntegrity().ok()) << store->CheckIntegrity().ToString();
  EXPECT_TRUE(ledger::CheckIntegrity(store->Log(), {}).ok());
  auto leaf = store->FindRecordLeaf("US", "US-6000001-B2", 2);
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(*leaf, 4u) << "leaves follow the order the versions were written";
}

TEST_F(SqliteLogTest, VersionsStoredBeforeTheOfficeWasDeclaredGetLeavesWithIt) {
  auto store = Open(/*office=*/"");
  ASSERT_TRUE(store);
  model::Record r = MakeRecord("5000000");
  ASSERT_TRUE(store->PutRecord("US", &r).ok());
  EXPECT_EQ(Size(*store), 0u);
  ASSERT_TRUE(store->SetLocalPublisher("US").ok());
  EXPECT_EQ(Size(*store), 1u);
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

// A record-version entry for raw log tests: record `n`, content `content`.
std::string RawEntry(int n, const std::string& content = "v1") {
  ledger::Entry e;
  e.publisher = "US";
  e.record_id = "US-" + std::to_string(n) + "-B2";
  e.record_version = 1;
  e.content_hash = Sha256(e.record_id + content);
  e.recorded_at = "2026-11-25T12:00:00Z";
  auto bytes = ledger::EncodeEntry(e);
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : std::string();
}

// Appends keep the frontier of the tree in memory inside a write transaction (sqlite_log.h). It
// must never be used after a savepoint that appended was rolled back, nor after another
// connection appended in between, even when the tree then has the size the frontier expects.
TEST_F(SqliteLogTest, AppendFrontierNeverOutlivesARolledBackSavepointOrAnotherWriter) {
  { ASSERT_TRUE(Open()); }  // the schema
  sqlite3* a = nullptr;
  sqlite3* b = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &a), SQLITE_OK);
  ASSERT_EQ(sqlite3_open(path_.c_str(), &b), SQLITE_OK);
  auto exec = [](sqlite3* db, const char* sql) {
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  };
  exec(a, "PRAGMA busy_timeout = 10000");
  exec(b, "PRAGMA busy_timeout = 10000");
  {
    internal::SqliteLogStorage log_a(a, path_);
    internal::SqliteLogStorage log_b(b, path_);
    ledger::MemoryLogStorage mem;  // what the log must hold
    auto append = [&](ledger::LogStorage& log, int n, bool kept) {
      auto leaf = ledger::Append(log, RawEntry(n));
      ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
      if (kept) {
        ASSERT_TRUE(ledger::Append(mem, RawEntry(n)).ok());
        EXPECT_EQ(*leaf, *mem.TreeSize() - 1);
      }
    };
    exec(a, "BEGIN IMMEDIATE");
    for (int n = 0; n < 5; ++n) append(log_a, n, true);
    // A rolled-back savepoint inside the transaction: the tree is shorter than the frontier.
    exec(a, "SAVEPOINT sp");
    append(log_a, 100, false);
    append(log_a, 101, false);
    exec(a, "ROLLBACK TO sp; RELEASE sp");
    append(log_a, 5, true);
    // Again, and then the transaction commits: connection a's frontier says 8 leaves, the
    // database holds 6.
    exec(a, "SAVEPOINT sp");
    append(log_a, 200, false);
    append(log_a, 201, false);
    exec(a, "ROLLBACK TO sp; RELEASE sp; COMMIT");
    // Another connection brings the log to 8 leaves with other entries.
    exec(b, "BEGIN IMMEDIATE");
    append(log_b, 6, true);
    append(log_b, 7, true);
    exec(b, "COMMIT");
    exec(a, "BEGIN IMMEDIATE");
    // Leaf 15 completes node (4, 0), whose left half (3, 0) is leaves 0..7.
    for (int n = 8; n < 17; ++n) append(log_a, n, true);
    exec(a, "COMMIT");

    ASSERT_EQ(*log_a.TreeSize(), 17u);
    EXPECT_TRUE(ledger::CheckIntegrity(log_a, {}).ok())
        << ledger::CheckIntegrity(log_a, {}).ToString();
    for (uint64_t size = 1; size <= 17; ++size) {
      EXPECT_EQ(*ledger::TreeRoot(log_a, size), *ledger::TreeRoot(mem, size)) << size;
      EXPECT_EQ(*ledger::TreeRoot(log_b, size), *ledger::TreeRoot(mem, size)) << size;
    }
  }
  sqlite3_close(a);
  sqlite3_close(b);
}

// Inside the caller's transaction an append has no savepoint of its own (sqlite_log.cc): when a
// hash cannot be written, the rows already written for that leaf are deleted again and the
// transaction goes on.
TEST_F(SqliteLogTest, AFailedAppendInsideATransactionLeavesNothingBehind) {
  { ASSERT_TRUE(Open()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  auto exec = [&](const char* sql) {
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  };
  {
    internal::SqliteLogStorage log(db, path_);
    ASSERT_TRUE(ledger::Append(log, RawEntry(0)).ok());
    // A stray node (1, 0): leaf 1 writes its entry and its leaf hash, then fails on that node.
    exec("INSERT INTO log_hashes (level, idx, hash) VALUES (1, 0, zeroblob(32))");
    exec("BEGIN IMMEDIATE");
    auto failed = ledger::Append(log, RawEntry(1));
    EXPECT_EQ(failed.status().code(), StatusCode::kCorruption) << failed.status().ToString();
    EXPECT_EQ(sqlite3_get_autocommit(db), 0) << "the caller's transaction is still open";
    EXPECT_EQ(*log.TreeSize(), 1u);
    EXPECT_TRUE(log.ReadEntries(1, 1)->empty());
    EXPECT_EQ(log.ReadHashes(std::vector<ledger::NodeId>{{0, 1}}).status().code(),
              StatusCode::kNotFound);
    exec("DELETE FROM log_hashes WHERE level = 1 AND idx = 0");
    auto leaf = ledger::Append(log, RawEntry(1));
    ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
    EXPECT_EQ(*leaf, 1u);
    exec("COMMIT");
    ledger::MemoryLogStorage mem;
    ASSERT_TRUE(ledger::Append(mem, RawEntry(0)).ok());
    ASSERT_TRUE(ledger::Append(mem, RawEntry(1)).ok());
    EXPECT_EQ(*ledger::TreeRoot(log, 2), *ledger::TreeRoot(mem, 2));
    EXPECT_TRUE(ledger::CheckIntegrity(log, {}).ok());
    EXPECT_EQ(ledger::InclusionProof(log, 0, 3).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(ledger::TreeRoot(log, 3).status().message(), "tree size 3 exceeds the log's size 2");
  }
  sqlite3_close(db);
}

// Node reads outside a transaction merge runs of consecutive nodes into one range and take the
// upper levels from a cache filled 256 nodes at a time (sqlite_log.cc); either way every node
// comes back in the order asked, and a node that is not stored is NotFound by name.
TEST_F(SqliteLogTest, NodeReadsByRunAndByCacheChunkMatchTheInMemoryLog) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Begin().ok());
  for (int i = 0; i < 600; ++i) {
    model::Record r = MakeRecord(std::to_string(4000000 + i));
    ASSERT_TRUE(store->PutRecord("US", &r).ok());
  }
  ASSERT_TRUE(store->Commit().ok());
  ledger::MemoryLogStorage mem;
  auto entries = store->Log().ReadEntries(0, 1000);
  ASSERT_TRUE(entries.ok());
  for (const std::string& e : *entries) ASSERT_TRUE(ledger::Append(mem, e).ok());
  // A run of leaves, upper nodes out of order and twice, another run, in one call.
  std::vector<ledger::NodeId> ids;
  for (uint64_t i = 250; i < 300; ++i) ids.push_back({0, i});
  ids.insert(ids.end(), {{5, 17}, {2, 3}, {9, 0}, {2, 3}, {4, 36}, {1, 299}, {1, 7}});
  for (uint64_t i = 20; i < 30; ++i) ids.push_back({2, i});
  for (int round = 0; round < 2; ++round) {  // cold cache, then warm
    auto got = store->Log().ReadHashes(ids);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, *mem.ReadHashes(ids)) << "round " << round;
  }
  for (const ledger::NodeId& missing :
       std::vector<ledger::NodeId>{{0, 600}, {2, 150}, {6, 9}, {40, 0}}) {
    std::vector<ledger::NodeId> with = {{0, 598}, {0, 599}, missing, {3, 1}};
    auto got = store->Log().ReadHashes(with);
    EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
    EXPECT_NE(got.status().message().find("(" + std::to_string(missing.level) + ", " +
                                          std::to_string(missing.index) + ")"),
              std::string::npos)
        << got.status().message();
  }
  for (uint64_t size : {1u, 255u, 256u, 257u, 512u, 599u, 600u}) {
    EXPECT_EQ(*ledger::TreeRoot(store->Log(), size), *ledger::TreeRoot(mem, size)) << size;
  }
  EXPECT_EQ(ledger::TreeRoot(store->Log(), 601).status().message(),
            "tree size 601 exceeds the log's size 600");
}

// Proofs from the store (one statement, nearby nodes of a level read with one seek, the lowest
// two levels from leaf hashes, the upper levels from the cache) equal the in-memory log's, which
// merkle_test.cc checks against the RFC 6962 definitions, and verify against roots folded from
// the leaf hashes independently of any storage: with the cache cold (just after commits), warm,
// and bypassed inside a transaction; at sizes around powers of two and of every residue mod 4.
TEST_F(SqliteLogTest, ProofsAtManySizesMatchTheReferenceWithTheCacheColdWarmAndBypassed) {
  auto store = Open();
  ASSERT_TRUE(store);
  ledger::LogStorage& log = store->Log();
  ledger::MemoryLogStorage mem;
  std::vector<ledger::Hash> leaves;
  constexpr int kLeaves = 1100;  // enough for cached levels (2 and up) with several chunks
  for (int start = 0; start < kLeaves; start += 97) {  // odd batches: many partial chunks
    ASSERT_TRUE(store->Begin().ok());
    for (int i = start; i < std::min(kLeaves, start + 97); ++i) {
      const std::string e = RawEntry(5000000 + i);
      ASSERT_TRUE(ledger::Append(log, e).ok());
      ASSERT_TRUE(ledger::Append(mem, e).ok());
      leaves.push_back(ledger::LeafHash(e));
    }
    ASSERT_TRUE(store->Commit().ok());
  }
  std::mt19937_64 rng(20261126);
  const std::vector<uint64_t> sizes = {1,   2,    3,    4,    5,    6,    7,    8,
                                       9,   10,   11,   14,   255,  256,  257,  258,
                                       510, 1022, 1023, 1024, 1025, 1026, 1099, 1100};
  auto root_of = [&](uint64_t size) {
    return ledger::RootFromLeafHashes(std::span(leaves).first(size));
  };
  auto check = [&](const std::string& phase) {
    for (uint64_t size : sizes) {
      SCOPED_TRACE(phase + ", size " + std::to_string(size));
      const ledger::Hash root = root_of(size);
      auto got_root = ledger::TreeRoot(log, size);
      ASSERT_TRUE(got_root.ok()) << got_root.status().ToString();
      EXPECT_EQ(*got_root, root);
      std::vector<uint64_t> probes;
      if (size <= 14) {
        for (uint64_t m = 0; m < size; ++m) probes.push_back(m);
      } else {
        probes = {0, 1, 2, 3, size - 4, size - 3, size - 2, size - 1};
        for (int j = 0; j < 40; ++j) probes.push_back(rng() % size);
      }
      for (uint64_t m : probes) {
        auto proof = ledger::InclusionProof(log, m, size);
        ASSERT_TRUE(proof.ok()) << m << ": " << proof.status().ToString();
        EXPECT_EQ(*proof, *ledger::InclusionProof(mem, m, size)) << "leaf " << m;
        EXPECT_TRUE(ledger::VerifyInclusion(m, size, leaves[m], *proof, root).ok()) << "leaf " << m;
      }
      std::vector<uint64_t> olds = {1, size};
      for (int j = 0; j < 12; ++j) olds.push_back(1 + rng() % size);
      for (uint64_t old : olds) {
        auto proof = ledger::ConsistencyProof(log, old, size);
        ASSERT_TRUE(proof.ok()) << old << ": " << proof.status().ToString();
        EXPECT_EQ(*proof, *ledger::ConsistencyProof(mem, old, size)) << "old size " << old;
        EXPECT_TRUE(ledger::VerifyConsistency(old, size, root_of(old), root, *proof).ok())
            << "old size " << old;
      }
    }
  };
  check("cold cache");
  check("warm cache");
  ASSERT_TRUE(store->Begin().ok());
  check("inside a transaction");
  ASSERT_TRUE(store->Rollback().ok());
  EXPECT_EQ(ledger::InclusionProof(log, 3, 1101).status().message(),
            "tree size 1101 exceeds the log's size 1100");
}

// ReadHashes plans one range a run of nearby nodes of a level, in whatever order and with
// whatever repeats the ids come; the answer is still the hashes of exactly the ids asked for, in
// their order, and the first id that is not stored is the one NotFound names.
TEST_F(SqliteLogTest, ReadsOfNearbyNodesInAnyOrderMatchTheInMemoryLog) {
  auto store = Open();
  ASSERT_TRUE(store);
  ledger::LogStorage& log = store->Log();
  ledger::MemoryLogStorage mem;
  ASSERT_TRUE(store->Begin().ok());
  for (int i = 0; i < 300; ++i) {
    const std::string e = RawEntry(6000000 + i);
    ASSERT_TRUE(ledger::Append(log, e).ok());
    ASSERT_TRUE(ledger::Append(mem, e).ok());
  }
  ASSERT_TRUE(store->Commit().ok());
  std::mt19937_64 rng(7);
  int missing = 0;
  for (int round = 0; round < 400; ++round) {
    const bool in_transaction = round % 3 == 2;
    if (in_transaction) {
      ASSERT_TRUE(store->Begin().ok());
    }
    std::vector<ledger::NodeId> ids;
    const size_t count = 1 + rng() % 12;
    const uint64_t center = rng() % 310;
    for (size_t j = 0; j < count; ++j) {
      ledger::NodeId id;
      const uint64_t pick = rng() % 20;
      id.level = pick < 12 ? 0 : pick < 16 ? 1 : static_cast<uint8_t>(pick - 14);  // 0..5
      const uint64_t near = (center >> id.level) + rng() % 9;
      id.index = near >= 4 ? near - 4 : near;
      if (rng() % 50 == 0) id.index = UINT64_MAX - rng() % 2;
      if (rng() % 60 == 0) id.level = 40;
      ids.push_back(id);
      if (rng() % 5 == 0) ids.push_back(ids[rng() % ids.size()]);  // a repeat
    }
    auto want = mem.ReadHashes(ids);
    auto got = log.ReadHashes(ids);
    ASSERT_EQ(got.ok(), want.ok()) << "round " << round << ": " << got.status().ToString();
    if (want.ok()) {
      EXPECT_EQ(*got, *want) << "round " << round;
    } else {
      ++missing;
      EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
      EXPECT_EQ(got.status().message(), want.status().message()) << "round " << round;
    }
    if (in_transaction) {
      ASSERT_TRUE(store->Rollback().ok());
    }
  }
  EXPECT_GT(missing, 20);  // the rounds did ask for nodes that are not stored
}

// Proofs take the level-1 sibling from its two leaf hashes (ledger's log.cc), so a damaged stored
// level-1 node no longer shows in a proof; roots still fold the stored node (the start-up check
// compares them with the signed root), and the integrity check compares every stored node with
// what the entries give and names it.
TEST_F(SqliteLogTest, ADamagedLevelOneNodeShowsInRootsAndIsNamedByTheCheck) {
  auto store = Open();
  ASSERT_TRUE(store);
  ledger::LogStorage& log = store->Log();
  std::vector<ledger::Hash> leaves;
  ASSERT_TRUE(store->Begin().ok());
  for (int i = 0; i < 20; ++i) {
    const std::string e = RawEntry(6100000 + i);
    ASSERT_TRUE(ledger::Append(log, e).ok());
    leaves.push_back(ledger::LeafHash(e));
  }
  ASSERT_TRUE(store->Commit().ok());
  EXPECT_TRUE(ledger::CheckIntegrity(log, {}).ok());
  RawExec("UPDATE log_hashes SET hash = zeroblob(32) WHERE level = 1 AND idx = 3");
  auto proof = ledger::InclusionProof(log, 4, 20);  // sibling nodes (0, 5), (1, 3), (2, 0), ...
  ASSERT_TRUE(proof.ok());
  ASSERT_GE(proof->size(), 2u);
  EXPECT_EQ((*proof)[1], ledger::NodeHash(leaves[6], leaves[7]));
  EXPECT_TRUE(
      ledger::VerifyInclusion(4, 20, leaves[4], *proof, ledger::RootFromLeafHashes(leaves)).ok());
  RawExec("UPDATE log_hashes SET hash = zeroblob(32) WHERE level = 1 AND idx = 4");
  const ledger::Hash root10 = ledger::RootFromLeafHashes(std::span(leaves).first(10));
  EXPECT_NE(*ledger::TreeRoot(log, 10), root10);  // nodes (3, 0) and (1, 4)
  auto proof10 = ledger::InclusionProof(log, 0, 10);
  ASSERT_TRUE(proof10.ok());
  EXPECT_TRUE(ledger::VerifyInclusion(0, 10, leaves[0], *proof10, root10).ok());
  Status st = ledger::CheckIntegrity(log, {});
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("level 1, index 3"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace ipdx::store
