#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "store/store_test_util.h"

namespace ipdx::store {
namespace {

namespace fs = std::filesystem;

// A record shaped like the real US 8,936,998 B2 front page (the WIPO ST.96 example instance).
model::Record MakeRecord(const std::string& office = "US", const std::string& number = "8936998",
                         const std::string& kind = "B2") {
  model::Record r;
  r.office = office;
  r.number = number;
  r.kind = kind;
  r.publication_date = "2015-01-20";
  r.grant_date = "2015-01-20";
  r.language = "en";
  r.application = {"US", "13/168,776", "2011-06-24"};
  r.titles = {{"en", "Flash memory storage system and method for reading data"}};
  r.abstracts = {{"en", "A storage system that reads data from flash memory."}};
  r.applicants = {{"Samsung Electronics Co., Ltd.", "KR", "Suwon-si"}};
  r.ipc = {"G06F 12/00"};
  r.source.format = "st96";
  r.source.file = "examples/PatentPublication.xml";
  r.source.offset = 0;
  r.source.sha256 = std::string(64, 'a');
  r.source.ingested_at = "2024-01-01T00:00:00Z";
  return r;
}

class StoreTest : public StoreFileTest {};

TEST_F(StoreTest, NewUnchangedUpdatedVersions) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  model::Record r = MakeRecord();
  auto put = store->PutRecord("US", &r);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->outcome, PutOutcome::kNew);
  EXPECT_EQ(put->version, 1);
  EXPECT_EQ(put->hash, codec::ContentHash(r));
  EXPECT_EQ(r.version, 1);
  EXPECT_EQ(r.hash, put->hash);

  // Same content from another file at another time: the hash ignores provenance.
  model::Record again = MakeRecord();
  again.source.file = "weekly/ipg150120.xml";
  again.source.offset = 123456;
  again.source.ingested_at = "2024-06-01T10:00:00Z";
  again.findings = {{"ST16-9", model::Severity::kWarning, "kind", "a warning"}};
  auto put2 = store->PutRecord("US", &again);
  ASSERT_TRUE(put2.ok()) << put2.status().ToString();
  EXPECT_EQ(put2->outcome, PutOutcome::kUnchanged);
  EXPECT_EQ(put2->version, 1);
  EXPECT_EQ(again.version, 1);

  model::Record changed = MakeRecord();
  changed.titles[0].text = "Flash memory storage system (corrected title)";
  auto put3 = store->PutRecord("US", &changed);
  ASSERT_TRUE(put3.ok()) << put3.status().ToString();
  EXPECT_EQ(put3->outcome, PutOutcome::kUpdated);
  EXPECT_EQ(put3->version, 2);
  EXPECT_NE(put3->hash, put->hash);

  auto cur = store->GetRecord("US-8936998-B2");
  ASSERT_TRUE(cur.ok()) << cur.status().ToString();
  EXPECT_EQ(cur->version, 2);
  EXPECT_EQ(cur->titles.at(0).text, "Flash memory storage system (corrected title)");
  EXPECT_EQ(cur->hash, put3->hash);
  EXPECT_EQ(cur->applicants, changed.applicants);

  auto v1 = store->GetRecord("US-8936998-B2", 1);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->titles.at(0).text, "Flash memory storage system and method for reading data");
  EXPECT_EQ(v1->source.file, "examples/PatentPublication.xml");

  EXPECT_EQ(store->GetRecord("US-8936998-B2", 3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetRecord("US-1-B1").status().code(), StatusCode::kNotFound);

  auto versions = store->ListVersions("US-8936998-B2");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].version, 1);
  EXPECT_EQ((*versions)[0].hash, put->hash);
  EXPECT_EQ((*versions)[1].version, 2);
  EXPECT_EQ((*versions)[1].hash, put3->hash);
  EXPECT_FALSE((*versions)[1].stored_at.empty());

  // Going back to the first content is a change too: a new version, never a rewind.
  model::Record back = MakeRecord();
  auto put4 = store->PutRecord("US", &back);
  ASSERT_TRUE(put4.ok());
  EXPECT_EQ(put4->outcome, PutOutcome::kUpdated);
  EXPECT_EQ(put4->version, 3);
  EXPECT_EQ(put4->hash, put->hash);

  EXPECT_TRUE(store->CheckIntegrity().ok()) << store->CheckIntegrity().ToString();
  EXPECT_EQ(*store->CountRecords(), 1u);
}

// The ingest path (the content hash and JSON made ahead by codec::EncodeForStore) stores exactly
// what PutRecord stores: same outcomes, versions, hashes, stored JSON and log leaves.
TEST_F(StoreTest, PutEncodedRecordStoresWhatPutRecordStores) {
  auto plain = Open();
  ASSERT_NE(plain, nullptr);
  auto other = Store::OpenSqlite((dir_ / "encoded.db").string());
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto& encoded_store = *other;
  ASSERT_TRUE(plain->SetLocalPublisher("US").ok());
  ASSERT_TRUE(encoded_store->SetLocalPublisher("US").ok());

  model::Record changed = MakeRecord();
  // Long enough for EncodeForStore to hash it from the record JSON rather than escape it again.
  changed.descriptions = {
      {"en", std::string(300, 'x') + " \"quoted\"\tand\\ more " + std::string(300, 'y')}};
  const std::vector<model::Record> inputs = {MakeRecord(), MakeRecord(), changed, MakeRecord()};
  const PutOutcome want[] = {PutOutcome::kNew, PutOutcome::kUnchanged, PutOutcome::kUpdated,
                             PutOutcome::kUpdated};
  for (size_t i = 0; i < inputs.size(); ++i) {
    model::Record a = inputs[i];
    model::Record b = inputs[i];
    auto put_a = plain->PutRecord("US", &a);
    codec::EncodedRecord encoded = codec::EncodeForStore(b);
    auto put_b = encoded_store->PutEncodedRecord("US", &b, &encoded);
    ASSERT_TRUE(put_a.ok()) << put_a.status().ToString();
    ASSERT_TRUE(put_b.ok()) << put_b.status().ToString();
    EXPECT_EQ(put_b->outcome, want[i]) << i;
    EXPECT_EQ(put_a->outcome, put_b->outcome) << i;
    EXPECT_EQ(put_a->version, put_b->version) << i;
    EXPECT_EQ(put_a->hash, put_b->hash) << i;
    EXPECT_EQ(b.version, put_b->version) << i;
    EXPECT_EQ(b.hash, put_b->hash) << i;
    auto json_a = plain->GetRecordJson("US", "US-8936998-B2", put_a->version);
    auto json_b = encoded_store->GetRecordJson("US", "US-8936998-B2", put_b->version);
    ASSERT_TRUE(json_a.ok() && json_b.ok());
    EXPECT_EQ(*json_a, *json_b) << i;
    EXPECT_EQ(*json_b, codec::ToJson(b)) << i;
  }
  auto counts_a = plain->GetLogCounts();
  auto counts_b = encoded_store->GetLogCounts();
  ASSERT_TRUE(counts_a.ok() && counts_b.ok());
  EXPECT_EQ(counts_b->tree_size, 3u);
  EXPECT_EQ(counts_a->tree_size, counts_b->tree_size);
  EXPECT_TRUE(encoded_store->CheckIntegrity().ok());
}

TEST_F(StoreTest, TwoPublishersOfTheSameIdAreKeptApart) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->SetLocalPublisher("DE").ok());

  model::Record from_us = MakeRecord("EP", "1234567", "A1");
  model::Record from_de = MakeRecord("EP", "1234567", "A1");
  from_de.titles.push_back({"de", "Flash-Speichersystem"});
  auto a = store->PutRecord("US", &from_us);
  auto b = store->PutRecord("DE", &from_de);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->outcome, PutOutcome::kNew);
  EXPECT_EQ(b->outcome, PutOutcome::kNew);  // not an update of the US copy
  EXPECT_EQ(b->version, 1);

  // No copy from EP: the local publisher (DE) wins over US.
  auto got = store->GetRecord("EP-1234567-A1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->hash, b->hash);

  // The office named in the id wins over everyone.
  model::Record from_ep = MakeRecord("EP", "1234567", "A1");
  from_ep.titles.push_back({"fr", "Système de stockage"});
  auto c = store->PutRecord("EP", &from_ep);
  ASSERT_TRUE(c.ok());
  got = store->GetRecord("EP-1234567-A1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->hash, c->hash);
  EXPECT_EQ(got->titles.back().lang, "fr");

  auto us_copy = store->GetRecordFrom("US", "EP-1234567-A1");
  ASSERT_TRUE(us_copy.ok());
  EXPECT_EQ(us_copy->hash, a->hash);
  EXPECT_EQ(store->GetRecordFrom("JP", "EP-1234567-A1").status().code(), StatusCode::kNotFound);

  EXPECT_EQ(*store->CountRecords(), 1u);
  auto list = store->ListRecords("", 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].hash, c->hash);
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

TEST_F(StoreTest, LocalPublisherCannotChange) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->SetLocalPublisher("US").ok());
    EXPECT_TRUE(store->SetLocalPublisher("US").ok());
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Status s = store->SetLocalPublisher("EP");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("belongs to office US"), std::string::npos) << s.message();
}

TEST_F(StoreTest, RejectsAreDeduplicatedBySourceHashAndRule) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto run1 = store->StartRun("a.xml");
  ASSERT_TRUE(run1.ok());
  RejectRow r;
  r.run_id = *run1;
  r.file = "a.xml";
  r.offset = 10;
  r.source_sha256 = std::string(64, 'b');
  r.id = "US-123-B9";
  r.format = "uspto-grant-v4.5";
  r.rule = "ST16-1";
  r.field = "kind";
  r.message = "kind code 'B9' is not an ST.16 kind of US";
  ASSERT_TRUE(store->PutReject(r).ok());

  auto run2 = store->StartRun("b.xml");
  ASSERT_TRUE(run2.ok());
  RejectRow again = r;
  again.run_id = *run2;
  again.file = "b.xml";
  again.offset = 99;
  ASSERT_TRUE(store->PutReject(again).ok());

  auto all = store->ListRejects(std::nullopt, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].run_id, *run2);
  EXPECT_EQ((*all)[0].file, "b.xml");
  EXPECT_EQ((*all)[0].offset, 99u);
  EXPECT_EQ((*all)[0].message, r.message);
  EXPECT_FALSE((*all)[0].created_at.empty());

  // Another rule on the same document is another reject.
  RejectRow other = again;
  other.rule = "ST2-1";
  other.field = "publication_date";
  ASSERT_TRUE(store->PutReject(other).ok());
  EXPECT_EQ(store->ListRejects(std::nullopt, 100)->size(), 2u);
  EXPECT_EQ(store->ListRejects(*run1, 100)->size(), 0u);
  EXPECT_EQ(store->ListRejects(*run2, 100)->size(), 2u);
  EXPECT_EQ(store->ListRejects(std::nullopt, 1)->size(), 1u);

  RejectRow bad;
  bad.file = "c.xml";
  EXPECT_EQ(store->PutReject(bad).code(), StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, KeysetPaginationVisitsEveryIdOnce) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Begin().ok());
  std::set<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    model::Record r = MakeRecord("US", std::to_string(9000000 + i * 7), "B1");
    ASSERT_TRUE(store->PutRecord("US", &r).ok());
    expected.insert(r.Id());
  }
  // A second publisher's copy of some ids must not appear twice.
  for (int i = 0; i < 5; ++i) {
    model::Record r = MakeRecord("US", std::to_string(9000000 + i * 7), "B1");
    ASSERT_TRUE(store->PutRecord("EP", &r).ok());
  }
  ASSERT_TRUE(store->Commit().ok());
  EXPECT_EQ(*store->CountRecords(), 25u);

  std::vector<std::string> seen;
  std::string after;
  std::vector<size_t> page_sizes;
  for (;;) {
    auto page = store->ListRecords(after, 10);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    if (page->empty()) break;
    page_sizes.push_back(page->size());
    for (const auto& r : *page) {
      if (!seen.empty()) {
        EXPECT_LT(seen.back(), r.Id());
      }
      seen.push_back(r.Id());
    }
    after = page->back().Id();
  }
  EXPECT_EQ(page_sizes, (std::vector<size_t>{10, 10, 5}));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
  EXPECT_EQ(seen.size(), expected.size());
}

TEST_F(StoreTest, RollbackDiscardsTheBatch) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Begin().ok());
  EXPECT_EQ(store->Begin().code(), StatusCode::kFailedPrecondition);
  model::Record r = MakeRecord();
  ASSERT_TRUE(store->PutRecord("US", &r).ok());
  ASSERT_TRUE(store->Rollback().ok());
  EXPECT_EQ(store->GetRecord(r.Id()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Commit().code(), StatusCode::kFailedPrecondition);
  // After the rollback the same record is new again.
  model::Record r2 = MakeRecord();
  auto put = store->PutRecord("US", &r2);
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->outcome, PutOutcome::kNew);
}

TEST_F(StoreTest, ReopenKeepsDataAndMarksRunningRunsInterrupted) {
  std::string hash;
  int64_t run_id = 0, finished_id = 0;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    model::Record r = MakeRecord();
    auto put = store->PutRecord("US", &r);
    ASSERT_TRUE(put.ok());
    hash = put->hash;
    auto done = store->StartRun("x.xml");
    ASSERT_TRUE(done.ok());
    finished_id = *done;
    IngestRun fin;
    fin.run_id = finished_id;
    fin.status = "finished";
    fin.documents = 3;
    fin.accepted = 1;
    fin.unchanged = 1;
    fin.rejected = 1;
    ASSERT_TRUE(store->FinishRun(fin).ok());

    auto run = store->StartRun("a.xml\nb/");
    ASSERT_TRUE(run.ok());
    run_id = *run;
    IngestRun progress;
    progress.run_id = run_id;
    progress.documents = 7;
    progress.accepted = 7;
    ASSERT_TRUE(store->UpdateRun(progress).ok());
    // The store is dropped without FinishRun, as a killed process would.
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto r = store->GetRecord("US-8936998-B2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hash, hash);
  EXPECT_EQ(r->applicants.at(0).country, "KR");

  auto runs = store->ListRuns(10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].run_id, run_id);  // newest first
  EXPECT_EQ((*runs)[0].status, "interrupted");
  EXPECT_EQ((*runs)[0].inputs, "a.xml\nb/");
  EXPECT_EQ((*runs)[0].documents, 7u);
  EXPECT_TRUE((*runs)[0].finished_at.empty());
  EXPECT_EQ((*runs)[1].run_id, finished_id);
  EXPECT_EQ((*runs)[1].status, "finished");
  EXPECT_EQ((*runs)[1].rejected, 1u);
  EXPECT_FALSE((*runs)[1].finished_at.empty());

  IngestRun missing;
  missing.run_id = 12345;
  EXPECT_EQ(store->FinishRun(missing).code(), StatusCode::kNotFound);
  IngestRun bad_status;
  bad_status.run_id = run_id;
  bad_status.status = "running";
  EXPECT_EQ(store->FinishRun(bad_status).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store->SchemaVersion(), kSchemaVersion);

  // A live ingest that another process marked interrupted re-marks itself with its next batch.
  IngestRun progress;
  progress.run_id = run_id;
  progress.documents = 9;
  ASSERT_TRUE(store->UpdateRun(progress).ok());
  EXPECT_EQ((*store->ListRuns(1))[0].status, "running");
  EXPECT_EQ((*store->ListRuns(1))[0].documents, 9u);
}

TEST_F(StoreTest, NewerSchemaVersionIsFailedPreconditionAndLeftAlone) {
  { ASSERT_NE(Open(), nullptr); }
  RawExec("PRAGMA user_version = 99");
  auto s = Store::OpenSqlite(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition) << s.status().ToString();
  EXPECT_NE(s.status().message().find("99"), std::string::npos);
  EXPECT_NE(s.status().message().find("newer ipdx"), std::string::npos);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 99);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(StoreTest, ForeignDatabaseIsRefused) {
  RawExec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
  auto s = Store::OpenSqlite(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition) << s.status().ToString();

  RawExec("PRAGMA application_id = 1234");
  s = Store::OpenSqlite(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition) << s.status().ToString();
  EXPECT_NE(s.status().message().find("another application"), std::string::npos);
}

TEST_F(StoreTest, GarbageFileIsCorruption) {
  {
    std::ofstream f(path_, std::ios::binary);
    for (int i = 0; i < 512; ++i) f << "this is not an SQLite database. ";
  }
  auto s = Store::OpenSqlite(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCorruption) << s.status().ToString();
}

TEST_F(StoreTest, MissingFolderIsIOErrorAndMemoryPathIsRefused) {
  auto s = Store::OpenSqlite((dir_ / "no" / "such" / "ipdx.db").string());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIOError) << s.status().ToString();
  EXPECT_EQ(Store::OpenSqlite(":memory:").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, CheckIntegrityFindsATamperedCurrentRow) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    model::Record r = MakeRecord();
    ASSERT_TRUE(store->PutRecord("US", &r).ok());
    ASSERT_TRUE(store->CheckIntegrity().ok());
  }
  RawExec("UPDATE current SET hash = 'deadbeef'");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Status s = store->CheckIntegrity();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("US-8936998-B2"), std::string::npos) << s.message();
}

TEST_F(StoreTest, RecordWithoutIdentityIsRefused) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  model::Record r = MakeRecord();
  r.number.clear();
  EXPECT_EQ(store->PutRecord("US", &r).status().code(), StatusCode::kInvalidArgument);
  model::Record ok = MakeRecord();
  EXPECT_EQ(store->PutRecord("", &ok).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store->CountRecords(), 0u);
}

TEST_F(StoreTest, ChangeSequenceAndListCurrentSinceFollowEveryWrite) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->ChangeSequence(), 0u);
  EXPECT_EQ(*store->CountCopies(), 0u);
  model::Record a = MakeRecord("US", "8936998", "B2");
  model::Record b = MakeRecord("EP", "1234567", "A1");
  ASSERT_TRUE(store->PutRecord("US", &a).ok());
  ASSERT_TRUE(store->PutRecord("US", &b).ok());
  model::Record a_copy = MakeRecord("US", "8936998", "B2");
  ASSERT_TRUE(store->PutRecord("EP", &a_copy).ok());  // another publisher's copy
  EXPECT_EQ(*store->CountCopies(), 3u);
  const uint64_t sequence = *store->ChangeSequence();
  EXPECT_EQ(sequence, 3u);

  // Unchanged content writes nothing and does not move the mark.
  model::Record same = MakeRecord("US", "8936998", "B2");
  ASSERT_EQ(store->PutRecord("US", &same)->outcome, PutOutcome::kUnchanged);
  EXPECT_EQ(*store->ChangeSequence(), sequence);

  auto all = store->ListCurrentSince(0, 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].publisher, "US");
  EXPECT_EQ((*all)[0].record.Id(), "US-8936998-B2");
  EXPECT_EQ((*all)[2].publisher, "EP");
  EXPECT_LT((*all)[0].sequence, (*all)[1].sequence);

  // A new version supersedes the old one: listed once, with its new sequence.
  model::Record changed = MakeRecord("US", "8936998", "B2");
  changed.titles = {{"en", "Flash memory storage system, second version"}};
  ASSERT_EQ(store->PutRecord("US", &changed)->outcome, PutOutcome::kUpdated);
  auto since = store->ListCurrentSince(sequence, 100);
  ASSERT_TRUE(since.ok());
  ASSERT_EQ(since->size(), 1u);
  EXPECT_EQ((*since)[0].record.version, 2);
  EXPECT_EQ((*since)[0].record.titles[0].text, "Flash memory storage system, second version");
  EXPECT_EQ(*store->CountCopies(), 3u);
  EXPECT_EQ(*store->ChangeSequence(), 4u);
  auto everything = store->ListCurrentSince(0, 100);
  EXPECT_EQ(everything->size(), 3u);  // the superseded version is not listed
  // Paging by the last sequence visits every copy once.
  auto first = store->ListCurrentSince(0, 2);
  ASSERT_EQ(first->size(), 2u);
  auto rest = store->ListCurrentSince(first->back().sequence, 2);
  ASSERT_EQ(rest->size(), 1u);
}

// Whether this process has the database file mapped into memory (/proc/self/maps names it).
bool DatabaseMapped(const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  const std::string name = std::filesystem::canonical(path).string();
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() >= name.size() &&
        line.compare(line.size() - name.size(), name.size(), name) == 0) {
      return true;
    }
  }
  return false;
}

// Reads go through a memory map by default; SetReadMapBytes(0) (ingest) unmaps the file at the
// next transaction and reads still work; the default maps it again.
TEST_F(StoreTest, ReadMapCanBeTurnedOffAndOn) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  model::Record r = MakeRecord();
  ASSERT_TRUE(store->PutRecord("US", &r).ok());
  // Closing checkpoints the WAL into the database file, which is what the map covers.
  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->GetRecord(r.Id()).ok());
  EXPECT_TRUE(DatabaseMapped(path_));

  ASSERT_TRUE(store->SetReadMapBytes(0).ok());
  auto read = store->GetRecord(r.Id());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->hash, r.hash);
  EXPECT_FALSE(DatabaseMapped(path_));

  ASSERT_TRUE(store->SetReadMapBytes(Store::kDefaultReadMapBytes).ok());
  ASSERT_TRUE(store->GetRecord(r.Id()).ok());
  EXPECT_TRUE(DatabaseMapped(path_));
}

// A run still held by a live store (another connection; in production another process, e.g. an
// ingest beside a starting server) stays "running" when the store is opened again; once its
// store is gone without FinishRun, the next open marks it interrupted and removes its lock file.
// A finished run leaves no lock file.
TEST_F(StoreTest, OnlyRunsOfEndedProcessesAreMarkedInterrupted) {
  // The statuses of the runs, newest first, as a store opened now sees them.
  const auto statuses_on_open = [this] {
    std::vector<std::string> out;
    auto store = Open();
    if (store == nullptr) return out;
    auto runs = store->ListRuns(10);
    EXPECT_TRUE(runs.ok()) << runs.status().ToString();
    if (runs.ok()) {
      for (const IngestRun& r : *runs) out.push_back(r.status);
    }
    return out;
  };
  auto ingest = Open();
  ASSERT_NE(ingest, nullptr);
  auto finished = ingest->StartRun("done.xml");
  ASSERT_TRUE(finished.ok());
  const std::string finished_lock = path_ + ".run-" + std::to_string(*finished) + ".lock";
  EXPECT_TRUE(std::filesystem::exists(finished_lock));
  IngestRun fin;
  fin.run_id = *finished;
  ASSERT_TRUE(ingest->FinishRun(fin).ok());
  EXPECT_FALSE(std::filesystem::exists(finished_lock));

  auto run = ingest->StartRun("big.xml");
  ASSERT_TRUE(run.ok());
  const std::string lock = path_ + ".run-" + std::to_string(*run) + ".lock";
  // A server opening the store while the ingest is live.
  EXPECT_EQ(statuses_on_open(), (std::vector<std::string>{"running", "finished"}));
  ingest.reset();  // ends without FinishRun, as a killed process would
  EXPECT_TRUE(std::filesystem::exists(lock));
  EXPECT_EQ(statuses_on_open(), (std::vector<std::string>{"interrupted", "finished"}));
  EXPECT_FALSE(std::filesystem::exists(lock));
}

}  // namespace
}  // namespace ipdx::store
