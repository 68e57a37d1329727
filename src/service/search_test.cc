// The search use-cases and the index-follows-store policy (service/search.h), on real nodes in
// temporary folders.
#include "service/search.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "codec/codec.h"
#include "service/node_test_util.h"

namespace ipdx::service {
namespace {

namespace fs = std::filesystem;

// Shaped like the real US 8,936,998 B2 front page (the WIPO ST.96 example instance).
model::Record MakeRecord(const std::string& number, const std::string& title) {
  model::Record r;
  r.office = "US";
  r.number = number;
  r.kind = "B2";
  r.publication_date = "2015-01-20";
  r.language = "en";
  r.application = {"US", "13168776", "2011-06-24"};
  r.titles = {{"en", title}};
  r.abstracts = {{"en", "A storage system that reads data from a flash memory device."}};
  r.claims = {{"en", {"A storage system comprising a flash memory controller."}}};
  r.applicants = {{"Samsung Electronics Co., Ltd.", "KR", ""}};
  r.ipc = {"G06F 12/00"};
  r.source.format = "json";
  r.source.sha256 = std::string(64, 'a');
  return r;
}

class SearchServiceTest : public TempNodeTest {
 protected:
  void SetUp() override {
    TempNodeTest::SetUp();
    InitAndOpen();
  }
  // Writes records straight into the store, as a component that does not index would.
  void PutDirect(const model::Record& record, const std::string& publisher = "US") {
    model::Record copy = record;
    ASSERT_TRUE(node_->store().PutRecord(publisher, &copy).ok());
  }
  SearchResponse MustSearch(const std::string& query) {
    search::SearchRequest request;
    request.query = query;
    request.limit = 100;
    auto response = Search(*node_, request);
    EXPECT_TRUE(response.ok()) << query << ": " << response.status().ToString();
    return response.ok() ? std::move(response).value() : SearchResponse{};
  }
  Result<IngestSummary> IngestTestdata() {
    IngestOptions options;
    options.paths = {(kTestdata / "us-application-v4-0-A1.xml").string(),
                     (kTestdata / "ep-application-v1-5-A2.xml").string(),
                     (kTestdata / "us-application-v4-5-A2.xml").string()};
    options.threads = 2;
    options.batch_size = 1;  // one store batch a document: the hook runs after each
    return Ingest(*node_, options);
  }
};

TEST_F(SearchServiceTest, IngestIndexesEveryCommittedBatch) {
  auto summary = IngestTestdata();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->accepted, 3u);
  EXPECT_TRUE(summary->index_warning.empty()) << summary->index_warning;
  // The index was written by ingest, so the first search needs no maintenance.
  SearchResponse all = MustSearch("NOT cc:JP");
  EXPECT_EQ(all.total, 3u);
  EXPECT_TRUE(all.notices.empty()) << all.notices.front().message;
  EXPECT_EQ(MustSearch("cc:EP").total, 1u);
  // The index state is the store's change sequence.
  auto index = search::Index::Open(node_->index_path(), {.read_only = true});
  ASSERT_TRUE(index.ok());
  EXPECT_EQ((*index)->State()->mark,
            "store-seq:" + std::to_string(*node_->store().ChangeSequence()));
}

TEST_F(SearchServiceTest, MissingIndexIsBuiltWithANotice) {
  PutDirect(MakeRecord("8936998", "Flash memory storage system"));
  SearchResponse r = MustSearch("ti:flash");
  ASSERT_EQ(r.total, 1u);
  EXPECT_EQ(r.hits[0].id, "US-8936998-B2");
  ASSERT_EQ(r.notices.size(), 1u);
  EXPECT_EQ(r.notices[0].action, IndexNotice::Action::kRebuilt);
  EXPECT_NE(r.notices[0].message.find("no index"), std::string::npos) << r.notices[0].message;
  // Second search: in step, nothing to say.
  EXPECT_TRUE(MustSearch("ti:flash").notices.empty());
}

TEST_F(SearchServiceTest, IndexBehindTheStoreIsCaughtUpNotSilentlyWrong) {
  PutDirect(MakeRecord("8936998", "Flash memory storage system"));
  ASSERT_EQ(MustSearch("ti:flash").total, 1u);
  // Written behind the index's back (another process, a killed ingest after the store commit).
  PutDirect(MakeRecord("9000001", "Flash translation layer"));
  PutDirect(MakeRecord("8936998", "Flash memory storage system, corrected title"));
  SearchResponse r = MustSearch("ti:flash");
  EXPECT_EQ(r.total, 2u);
  ASSERT_EQ(r.notices.size(), 1u);
  EXPECT_EQ(r.notices[0].action, IndexNotice::Action::kCaughtUp);
  EXPECT_EQ(r.notices[0].documents, 2u);
  EXPECT_EQ(MustSearch("ti:corrected").total, 1u);  // the new version replaced the old one
  // The same holds for a node opened later (a new process).
  PutDirect(MakeRecord("9000002", "Flash wear levelling"));
  Reopen();
  SearchResponse later = MustSearch("ti:flash");
  EXPECT_EQ(later.total, 3u);
  ASSERT_EQ(later.notices.size(), 1u);
  EXPECT_EQ(later.notices[0].action, IndexNotice::Action::kCaughtUp);
}

TEST_F(SearchServiceTest, DamagedIndexIsRebuilt) {
  PutDirect(MakeRecord("8936998", "Flash memory storage system"));
  PutDirect(MakeRecord("9000001", "Flash translation layer"));
  ASSERT_EQ(MustSearch("ti:flash").total, 2u);
  Reopen();  // close the index
  // Overwrite every table of the index with garbage of the same size.
  int damaged = 0;
  for (const auto& entry : fs::directory_iterator(node_->index_path())) {
    if (entry.path().extension() != ".glass") continue;
    const auto size = fs::file_size(entry.path());
    std::ofstream out(entry.path(), std::ios::binary | std::ios::trunc);
    out << std::string(static_cast<size_t>(size), '\x5a');
    ++damaged;
  }
  ASSERT_GT(damaged, 0);
  SearchResponse r = MustSearch("ti:flash");
  EXPECT_EQ(r.total, 2u);
  ASSERT_FALSE(r.notices.empty());
  EXPECT_EQ(r.notices.back().action, IndexNotice::Action::kRebuilt);
}

TEST_F(SearchServiceTest, IndexFromAnotherStoreIsRebuilt) {
  PutDirect(MakeRecord("8936998", "Flash memory storage system"));
  ASSERT_EQ(MustSearch("ti:flash").total, 1u);
  // An index that claims more than the store holds (the store was restored from a backup).
  node_->search_index_slot() = {};
  {
    auto index = search::Index::Open(node_->index_path());
    ASSERT_TRUE(index.ok());
    ASSERT_TRUE((*index)->Replace("US", MakeRecord("7777777", "Ghost flash record")).ok());
    ASSERT_TRUE((*index)->Commit("store-seq:99").ok());
  }
  Reopen();
  SearchResponse r = MustSearch("ti:flash");
  EXPECT_EQ(r.total, 1u);  // the ghost is gone
  ASSERT_EQ(r.notices.size(), 1u);
  EXPECT_EQ(r.notices[0].action, IndexNotice::Action::kRebuilt);
  EXPECT_NE(r.notices[0].message.find("ahead of the store"), std::string::npos);
}

TEST_F(SearchServiceTest, SameSequenceButDifferentCopiesIsRebuilt) {
  PutDirect(MakeRecord("8936998", "Flash memory storage system"));
  ASSERT_EQ(MustSearch("ti:flash").total, 1u);
  node_->search_index_slot() = {};
  {
    auto index = search::Index::Open(node_->index_path());
    ASSERT_TRUE(index.ok());
    ASSERT_TRUE((*index)->Replace("EP", MakeRecord("7777777", "Ghost flash record")).ok());
    ASSERT_TRUE((*index)->Commit("store-seq:1").ok());
  }
  Reopen();
  SearchResponse r = MustSearch("ti:flash");
  EXPECT_EQ(r.total, 1u);
  ASSERT_EQ(r.notices.size(), 1u);
  EXPECT_EQ(r.notices[0].action, IndexNotice::Action::kRebuilt);
}

TEST_F(SearchServiceTest, ReindexRebuildsWithProgress) {
  for (int i = 0; i < 30; ++i) {
    PutDirect(MakeRecord(std::to_string(9000000 + i), "Flash controller variant"));
  }
  uint64_t last_total = 0;
  uint64_t last_done = 0;
  auto summary = Reindex(*node_, [&](const ReindexProgress& p) {
    last_done = p.documents;
    last_total = p.total;
  });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->documents, 30u);
  EXPECT_EQ(last_done, 30u);
  EXPECT_EQ(last_total, 30u);
  SearchResponse r = MustSearch("ti:controller");
  EXPECT_EQ(r.total, 30u);
  EXPECT_TRUE(r.notices.empty());
}

TEST_F(SearchServiceTest, IngestWhileAnotherWriterHoldsTheIndexWarnsAndSearchCatchesUp) {
  auto other = search::Index::Open(node_->index_path());  // another process's writer
  ASSERT_TRUE(other.ok());
  auto summary = IngestTestdata();
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->accepted, 3u);  // the store is complete
  EXPECT_NE(summary->index_warning.find("not updated"), std::string::npos);
  // While the writer is held, a search says the index is behind.
  search::SearchRequest request;
  request.query = "NOT cc:JP";
  auto stale = Search(*node_, request);
  ASSERT_TRUE(stale.ok()) << stale.status().ToString();
  ASSERT_EQ(stale->notices.size(), 1u);
  EXPECT_EQ(stale->notices[0].action, IndexNotice::Action::kStale);
  other->reset();
  SearchResponse r = MustSearch("NOT cc:JP");
  EXPECT_EQ(r.total, 3u);
  EXPECT_EQ(r.notices.size(), 1u);
}

TEST_F(SearchServiceTest, IngestWithoutIndexLeavesItForTheNextSearch) {
  IngestOptions options;
  options.paths = {(kTestdata / "us-application-v4-0-A1.xml").string(),
                   (kTestdata / "ep-application-v1-5-A2.xml").string()};
  options.index = false;
  auto summary = Ingest(*node_, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->accepted, 2u);
  EXPECT_TRUE(summary->index_deferred);
  EXPECT_TRUE(summary->index_warning.empty());
  EXPECT_FALSE(fs::exists(node_->index_path()));  // nothing was indexed
  SearchResponse r = MustSearch("NOT cc:JP");
  EXPECT_EQ(r.total, 2u);
  ASSERT_EQ(r.notices.size(), 1u);
  EXPECT_EQ(r.notices[0].action, IndexNotice::Action::kRebuilt);
  // A later indexing ingest starts from there and leaves the index in step.
  options.paths = {(kTestdata / "us-application-v4-5-A2.xml").string()};
  options.index = true;
  summary = Ingest(*node_, options);
  ASSERT_TRUE(summary.ok());
  EXPECT_FALSE(summary->index_deferred);
  SearchResponse after = MustSearch("NOT cc:JP");
  EXPECT_EQ(after.total, 3u);
  EXPECT_TRUE(after.notices.empty());
}

TEST_F(SearchServiceTest, IndexFarBehindIsRebuiltRatherThanCaughtUp) {
  PutDirect(MakeRecord("8936998", "Flash memory storage system"));
  ASSERT_EQ(MustSearch("ti:flash").total, 1u);
  // 1,200 changes behind an index of one record (a bulk load with --no-index).
  ASSERT_TRUE(node_->store().Begin().ok());
  for (int i = 0; i < 1200; ++i) {
    PutDirect(MakeRecord(std::to_string(9100000 + i), "Flash block erase scheduling"));
  }
  ASSERT_TRUE(node_->store().Commit().ok());
  SearchResponse r = MustSearch("ti:erase");
  EXPECT_EQ(r.total, 1200u);
  ASSERT_EQ(r.notices.size(), 1u);
  EXPECT_EQ(r.notices[0].action, IndexNotice::Action::kRebuilt);
  EXPECT_NE(r.notices[0].message.find("quicker than catching up"), std::string::npos)
      << r.notices[0].message;
  EXPECT_EQ(r.notices[0].documents, 1201u);
  // A few changes behind an index that large is caught up, not rebuilt.
  PutDirect(MakeRecord("9200000", "Flash garbage collection"));
  SearchResponse small = MustSearch("ti:flash");
  EXPECT_EQ(small.total, 1202u);
  ASSERT_EQ(small.notices.size(), 1u);
  EXPECT_EQ(small.notices[0].action, IndexNotice::Action::kCaughtUp);
}

TEST_F(SearchServiceTest, BadQueryHasPositionAndNoIndexWork) {
  search::SearchRequest request;
  request.query = "ti:(flash OR";
  search::QueryError error;
  auto r = Search(*node_, request, &error);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(error.position, 12u);
  EXPECT_FALSE(fs::exists(node_->index_path()));
}

TEST_F(SearchServiceTest, SimilarFromIdAndTextWithFilter) {
  PutDirect(MakeRecord("8936998", "Flash memory storage system"));
  model::Record near = MakeRecord("9000001", "Flash memory controller reading pages");
  PutDirect(near);
  model::Record far = MakeRecord("9000002", "Hydraulic brake for a tractor");
  far.abstracts = {{"en", "A hydraulic brake acting on the rear wheels of a tractor."}};
  far.claims = {{"en", {"A tractor brake comprising a hydraulic cylinder."}}};
  far.publication_date = "2010-05-04";
  PutDirect(far);
  search::SimilarRequest by_id;
  by_id.id = "US-8936998-B2";
  auto r = Similar(*node_, by_id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->hits.empty());
  EXPECT_EQ(r->hits[0].id, "US-9000001-B2");
  for (const search::Hit& hit : r->hits) EXPECT_NE(hit.id, "US-8936998-B2");

  search::SimilarRequest by_text;
  by_text.text = "a brake with a hydraulic cylinder on a tractor";
  by_text.restrict_query = "pd<2012";
  auto t = Similar(*node_, by_text);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->hits.size(), 1u);
  EXPECT_EQ(t->hits[0].id, "US-9000002-B2");

  search::SimilarRequest missing;
  missing.id = "US-1-B1";
  EXPECT_EQ(Similar(*node_, missing).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ipdx::service
