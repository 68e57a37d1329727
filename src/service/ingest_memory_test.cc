// The memory bounds of ingest (service/search.h, "Memory bound of the indexing"): the search index
// commits on the text buffered since its last commit, not on a document count, and the copies
// read back from the store for indexing come in pages bounded by text. Observed from outside,
// without timing or RSS: what a second, read-only handle sees committed, and the Node's slot.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "service/node_test_util.h"
#include "service/search.h"
#include "service/service.h"

namespace ipdx::service {
namespace {

namespace fs = std::filesystem;

class IngestMemoryTest : public TempNodeTest {
 protected:
  void SetUp() override {
    TempNodeTest::SetUp();
    InitAndOpen();
    // A real application (USPTO XML v4.5) as decoded by ingest: the text of the large documents.
    auto splitter =
        codec::DocumentSplitter::Open((kTestdata / "us-application-v4-5-A2.xml").string());
    ASSERT_TRUE(splitter.ok()) << splitter.status().ToString();
    auto raw = (*splitter)->Next();
    ASSERT_TRUE(raw.ok() && raw->has_value());
    codec::Decoded decoded = codec::Decode(**raw);
    ASSERT_TRUE(decoded.record.has_value());
    real_ = std::move(*decoded.record);
    ASSERT_FALSE(real_.descriptions.empty());
    ASSERT_GT(real_.descriptions.front().text.size(), 1000u);
  }

  // The real record under another number, its description repeated to about `text_bytes`; with
  // 0, a bibliographic record (no description, no claims).
  model::Record Copy(int number, size_t text_bytes) {
    model::Record r = real_;
    r.number = std::to_string(20990000 + number);
    r.kind = "A1";
    if (text_bytes == 0) {
      r.descriptions.clear();
      r.claims.clear();
      return r;
    }
    const std::string unit = real_.descriptions.front().text + "\n";
    std::string description;
    while (description.size() + unit.size() <= text_bytes) description += unit;
    r.descriptions = {{"en", description.empty() ? unit : description}};
    return r;
  }

  // Writes the records in one store transaction (as one ingest batch) and returns the store's
  // change sequence after each.
  std::vector<uint64_t> PutBatch(const std::vector<model::Record>& records) {
    std::vector<uint64_t> sequences;
    EXPECT_TRUE(node_->store().Begin().ok());
    for (const model::Record& record : records) {
      model::Record copy = record;
      auto put = node_->store().PutRecord("US", &copy);
      EXPECT_TRUE(put.ok()) << put.status().ToString();
      auto sequence = node_->store().ChangeSequence();
      EXPECT_TRUE(sequence.ok());
      sequences.push_back(sequence.ok() ? *sequence : 0);
    }
    EXPECT_TRUE(node_->store().Commit().ok());
    return sequences;
  }

  // What another process would see: the index's committed state.
  search::IndexState Committed() {
    auto reader = search::Index::Open(node_->index_path(), {.read_only = true});
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return {};
    auto state = (*reader)->State();
    EXPECT_TRUE(state.ok());
    return state.ok() ? *state : search::IndexState{};
  }

  model::Record real_;
};

TEST_F(IngestMemoryTest, IndexTextBytesCountsTheAnalysedText) {
  const model::Record small = Copy(1, 0);
  const model::Record large = Copy(2, 300 * 1024);
  EXPECT_GT(IndexTextBytes(large), 300u * 1024 - real_.descriptions.front().text.size() - 1);
  EXPECT_LT(IndexTextBytes(small), 8u * 1024);
  size_t claims = 0;
  for (const model::ClaimSet& set : large.claims) {
    for (const std::string& claim : set.claims) claims += claim.size();
  }
  ASSERT_GT(claims, 0u);
  EXPECT_GE(IndexTextBytes(large) - IndexTextBytes(small),
            large.descriptions.front().text.size() + claims);
  // Identifiers and classifications alone still count (tiny records are not free).
  EXPECT_GE(IndexTextBytes(model::Record{}), 1024u);
}

TEST_F(IngestMemoryTest, IndexCommitsOnBufferedTextForAFewLargeDocuments) {
  // Five documents of ~400 KB text in one store batch, a budget of 1 MiB and pages of one copy:
  // the index must commit inside the batch, right after the third document (3 x 400 KB >= 1 MiB),
  // although five documents are far below the document bound.
  std::vector<model::Record> large;
  for (int i = 0; i < 5; ++i) large.push_back(Copy(i, 400 * 1024));
  const uint64_t each = IndexTextBytes(large[0]);
  ASSERT_LT(2 * each, 1u << 20);
  ASSERT_GE(3 * each, 1u << 20);
  const std::vector<uint64_t> sequences = PutBatch(large);

  IndexCommitBudget budget;
  budget.text_bytes = 1 << 20;
  budget.documents = 1000;
  budget.page_bytes = 1;  // one copy read back at a time
  IngestSummary summary;
  IndexCommittedBatch(*node_, &summary, budget);
  ASSERT_TRUE(summary.index_warning.empty()) << summary.index_warning;

  search::IndexState committed = Committed();
  EXPECT_EQ(committed.documents, 3u);
  EXPECT_EQ(committed.mark, "store-seq:" + std::to_string(sequences[2]));
  const SearchIndexSlot& slot = node_->search_index_slot();
  EXPECT_EQ(slot.pending, 2u);
  EXPECT_EQ(slot.pending_text_bytes, IndexTextBytes(large[3]) + IndexTextBytes(large[4]));

  // Many small documents stay below the text budget: no commit, however many batches come.
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<model::Record> small;
    for (int i = 0; i < 10; ++i) small.push_back(Copy(100 + batch * 10 + i, 0));
    PutBatch(small);
    IndexCommittedBatch(*node_, &summary, budget);
    ASSERT_TRUE(summary.index_warning.empty()) << summary.index_warning;
  }
  EXPECT_EQ(Committed().documents, 3u);
  EXPECT_EQ(node_->search_index_slot().pending, 32u);

  // The end of the ingest commits the rest, up to the store's sequence.
  FinishIndexing(*node_, &summary);
  ASSERT_TRUE(summary.index_warning.empty()) << summary.index_warning;
  committed = Committed();
  EXPECT_EQ(committed.documents, 35u);
  EXPECT_EQ(committed.mark, "store-seq:" + std::to_string(*node_->store().ChangeSequence()));
  auto found = Search(*node_, {.query = "pn:US-20990004-A1"});
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->total, 1u);
  EXPECT_TRUE(found->notices.empty());
}

TEST_F(IngestMemoryTest, PagesOfLargeDocumentsAreBoundedByTextAndCommitInside) {
  // Documents of ~0.5 MiB text and pages of 1.25 MiB: at most two copies a page, so the commit
  // comes within a page of the budget instead of after a page of up to 1000 copies.
  std::vector<model::Record> large;
  for (int i = 0; i < 8; ++i) large.push_back(Copy(i, 512 * 1024));
  ASSERT_LT(IndexTextBytes(large[0]), 640u * 1024);
  PutBatch(large);
  IndexCommitBudget budget;
  budget.text_bytes = 1280u * 1024;
  budget.page_bytes = 1280u * 1024;
  IngestSummary summary;
  IndexCommittedBatch(*node_, &summary, budget);
  ASSERT_TRUE(summary.index_warning.empty()) << summary.index_warning;
  // Pages of 1, 2 (commit after 3: 1.5 MiB), 2, 2 (commit after 7), 1: one left pending.
  EXPECT_EQ(Committed().documents, 7u);
  EXPECT_EQ(node_->search_index_slot().pending, 1u);
  EXPECT_LT(node_->search_index_slot().pending_text_bytes, budget.text_bytes);
  FinishIndexing(*node_, &summary);
  EXPECT_EQ(Committed().documents, 8u);
}

TEST_F(IngestMemoryTest, DocumentBoundCommitsRunsOfTinyRecords) {
  std::vector<model::Record> small;
  for (int i = 0; i < 40; ++i) small.push_back(Copy(i, 0));
  PutBatch(small);
  IndexCommitBudget budget;
  budget.documents = 10;
  IngestSummary summary;
  IndexCommittedBatch(*node_, &summary, budget);
  ASSERT_TRUE(summary.index_warning.empty()) << summary.index_warning;
  // Pages of 1, 2, 4, 8 (15: commit), 16 (commit at 31), then 9 pending.
  EXPECT_EQ(Committed().documents, 31u);
  EXPECT_EQ(node_->search_index_slot().pending, 9u);
}

}  // namespace
}  // namespace ipdx::service
