// The classification decision table: append, list per id and in full, validation, schema.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/store.h"

namespace ipdx::store {
namespace {

namespace fs = std::filesystem;

class DecisionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ipdx_decisions_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "ipdx.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string path_;
};

TEST_F(DecisionStoreTest, AppendAndList) {
  auto store = DecisionStore::OpenSqlite(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  DecisionRow a{0, "US-8936998-B2", "G06F 12/00", "accept", "A. Examiner", "v1", 0.83, ""};
  auto id_a = (*store)->PutDecision(a);
  ASSERT_TRUE(id_a.ok()) << id_a.status().ToString();
  DecisionRow b{0, "US-8936998-B2", "G11C", "reject", "B. Examiner", "", 0, "2026-01-02T03:04:05Z"};
  auto id_b = (*store)->PutDecision(b);
  ASSERT_TRUE(id_b.ok());
  EXPECT_GT(*id_b, *id_a);
  ASSERT_TRUE(
      (*store)->PutDecision({0, "EP-1000000-A1", "A61K", "accept", "C", "v1", 0.5, ""}).ok());

  auto rows = (*store)->ListDecisions("US-8936998-B2");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].decision_id, *id_a);
  EXPECT_EQ((*rows)[0].symbol, "G06F 12/00");
  EXPECT_EQ((*rows)[0].by, "A. Examiner");
  EXPECT_EQ((*rows)[0].model_version, "v1");
  EXPECT_DOUBLE_EQ((*rows)[0].score, 0.83);
  EXPECT_EQ((*rows)[0].decided_at.size(), 20u);  // filled: 2026-11-25T14:00:00Z
  EXPECT_EQ((*rows)[1].decision, "reject");
  EXPECT_EQ((*rows)[1].decided_at, "2026-01-02T03:04:05Z");
  auto all = (*store)->ListDecisions("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);

  // Reopening keeps them; the record store sees the same schema version.
  store->reset();
  auto again = DecisionStore::OpenSqlite(path_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->ListDecisions("")->size(), 3u);
  auto records = Store::OpenSqlite(path_);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(*(*records)->SchemaVersion(), kSchemaVersion);
  EXPECT_TRUE((*records)->CheckIntegrity().ok());
}

TEST_F(DecisionStoreTest, RejectsIncompleteDecisions) {
  auto store = DecisionStore::OpenSqlite(path_);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->PutDecision({0, "", "A61K", "accept", "x", "", 0, ""}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->PutDecision({0, "US-1-B1", "", "accept", "x", "", 0, ""}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->PutDecision({0, "US-1-B1", "A61K", "accept", "", "", 0, ""}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->PutDecision({0, "US-1-B1", "A61K", "maybe", "x", "", 0, ""}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE((*store)->ListDecisions("")->empty());
}

TEST_F(DecisionStoreTest, NotAnIpdxStore) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("not a database at all, just text that is long enough to fill a header...", f);
    std::fclose(f);
  }
  EXPECT_FALSE(DecisionStore::OpenSqlite(path_).ok());
}

}  // namespace
}  // namespace ipdx::store
