// `ipdx search|similar|reindex` end to end: the real binary on a node built from the bundled
// sample corpus (data/sample), checking exit codes, JSON shape and index maintenance messages.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_ipdx.h"

namespace fs = std::filesystem;

namespace {

using ipdx::testing::ReadFile;
using ipdx::testing::RunResult;

class SearchCliTest : public ::testing::Test {
 protected:
  // One node for the whole suite: ingesting the sample corpus takes a few seconds.
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/ipdx-search-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new fs::path(tmpl);
    ASSERT_EQ(Run({"init", "--office", "US"}).exit_code, 0);
    RunResult ingest = Run({"ingest", (fs::path(IPDX_SOURCE_DIR) / "data/sample/uspto").string()});
    ASSERT_TRUE(ingest.exit_code == 0 || ingest.exit_code == 3) << ingest.err;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  static RunResult Run(const std::vector<std::string>& args) {
    return ipdx::testing::RunIpdxAt(*dir_ / "node", args, *dir_);
  }

  static fs::path* dir_;
};

fs::path* SearchCliTest::dir_ = nullptr;

TEST_F(SearchCliTest, JsonHasTheDocumentedShape) {
  RunResult r = Run({"search", "--json", "--facets", "--limit", "3", "motor"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j["total"].is_number());
  EXPECT_GE(j["total"].get<int>(), 3);
  ASSERT_EQ(j["hits"].size(), 3u);
  for (const auto& hit : j["hits"]) {
    EXPECT_TRUE(hit["id"].is_string());
    EXPECT_GT(hit["score"].get<double>(), 0);
    EXPECT_TRUE(hit["title"].is_string());
    EXPECT_NE(hit["snippet"].get<std::string>(), "");
    EXPECT_FALSE(hit["highlights"].empty());
  }
  ASSERT_TRUE(j["facets"]["office"].is_array());
  EXPECT_EQ(j["facets"]["office"][0]["value"], "US");
  EXPECT_TRUE(j.find("notices") == j.end()) << r.out;  // ingest kept the index in step
}

TEST_F(SearchCliTest, PaginationAndDateSort) {
  auto first = nlohmann::json::parse(Run({"search", "--json", "--limit", "2", "motor"}).out);
  auto second = nlohmann::json::parse(
      Run({"search", "--json", "--limit", "2", "--offset", "2", "motor"}).out);
  ASSERT_EQ(first["hits"].size(), 2u);
  ASSERT_FALSE(second["hits"].empty());
  EXPECT_NE(first["hits"][0]["id"], second["hits"][0]["id"]);
  EXPECT_NE(first["hits"][1]["id"], second["hits"][0]["id"]);
  auto by_date = nlohmann::json::parse(
      Run({"search", "--json", "--sort", "date", "--limit", "50", "pd:2000.."}).out);
  ASSERT_GE(by_date["hits"].size(), 2u);
  for (size_t i = 1; i < by_date["hits"].size(); ++i) {
    EXPECT_GE(by_date["hits"][i - 1]["publication_date"].get<std::string>(),
              by_date["hits"][i]["publication_date"].get<std::string>());
  }
}

TEST_F(SearchCliTest, BadQueryPointsAtThePositionAndExits2) {
  RunResult r = Run({"search", "ti:(motor OR"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("position 12"), std::string::npos) << r.err;
  // The query, then a caret under position 12.
  EXPECT_NE(r.err.find("  ti:(motor OR\n              ^\n"), std::string::npos) << r.err;
  RunResult field = Run({"search", "xx:motor"});
  EXPECT_EQ(field.exit_code, 2);
  EXPECT_NE(field.err.find("unknown field 'xx'"), std::string::npos);
}

TEST_F(SearchCliTest, SimilarByIdAndByTextWithFilter) {
  auto list = nlohmann::json::parse(Run({"search", "--json", "--limit", "1", "motor"}).out);
  const std::string id = list["hits"][0]["id"];
  RunResult r = Run({"similar", "--json", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_FALSE(j["hits"].empty());
  for (const auto& hit : j["hits"]) EXPECT_NE(hit["id"], id);
  RunResult text = Run({"similar", "--json", "--filter", "pd<2010", "--text",
                        "an electric motor driving the wheels of a vehicle"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const auto filtered = nlohmann::json::parse(text.out);  // outlives the loop below
  for (const auto& hit : filtered["hits"]) {
    EXPECT_LT(hit["publication_date"].get<std::string>(), "2010");
  }
  EXPECT_EQ(Run({"similar", "US-1-B1"}).exit_code, 2);
  EXPECT_EQ(Run({"similar"}).exit_code, 2);
}

TEST_F(SearchCliTest, ReindexAndDamagedIndexRecovery) {
  const std::string before = Run({"search", "--json", "motor"}).out;
  RunResult re = Run({"reindex"});
  ASSERT_EQ(re.exit_code, 0) << re.err;
  EXPECT_NE(re.out.find("Reindexed"), std::string::npos);
  EXPECT_EQ(Run({"search", "--json", "motor"}).out, before);
  // Damage the index: the next search says it rebuilt it and answers the same.
  for (const auto& entry : fs::directory_iterator(*dir_ / "node" / "index")) {
    if (entry.path().extension() != ".glass") continue;
    std::ofstream(entry.path(), std::ios::binary | std::ios::trunc) << "not a xapian table";
  }
  RunResult after = Run({"search", "--json", "motor"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_NE(after.err.find("search index rebuilt"), std::string::npos) << after.err;
  auto a = nlohmann::json::parse(after.out);
  auto b = nlohmann::json::parse(before);
  EXPECT_EQ(a["total"], b["total"]);
  EXPECT_EQ(a["hits"], b["hits"]);
}

TEST_F(SearchCliTest, IngestNoIndexLeavesTheIndexToTheNextSearch) {
  const fs::path home = *dir_ / "bulk";
  auto run = [&](const std::vector<std::string>& args) {
    return ipdx::testing::RunIpdxAt(home, args, *dir_);
  };
  ASSERT_EQ(run({"init", "--office", "EP"}).exit_code, 0);
  RunResult ingest = run({"ingest", "--json", "--no-index",
                          (fs::path(IPDX_SOURCE_DIR) / "data/sample/uspto").string()});
  ASSERT_TRUE(ingest.exit_code == 0 || ingest.exit_code == 3) << ingest.err;
  auto summary = nlohmann::json::parse(ingest.out);
  EXPECT_EQ(summary["index"], "deferred");
  EXPECT_GT(summary["accepted"].get<int>(), 0);
  EXPECT_FALSE(fs::exists(home / "index"));
  // The first search builds the index, says so, and finds what the indexing node finds.
  RunResult first = run({"search", "--json", "motor"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("search index rebuilt"), std::string::npos) << first.err;
  auto a = nlohmann::json::parse(first.out);
  auto b = nlohmann::json::parse(Run({"search", "--json", "motor"}).out);
  EXPECT_EQ(a["total"], b["total"]);
  // The default ingest reports the index as updated.
  RunResult again =
      Run({"ingest", "--json", (fs::path(IPDX_SOURCE_DIR) / "data/sample/uspto").string()});
  EXPECT_EQ(nlohmann::json::parse(again.out)["index"], "updated") << again.out;
}

}  // namespace
