// `ipdx classifier train|eval|decisions` and `ipdx classify` through the real binary: too little
// data, training on the node's records plus the bundled labelled data, evaluation, suggestions for
// a text, a record and a file, and examiners' decisions used by the next training.
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

const fs::path kSource(IPDX_SOURCE_DIR);

class ClassifyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ipdx-classify-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    home_ = dir_ / "node";
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunResult Run(const std::vector<std::string>& args) {
    return ipdx::testing::RunIpdxAt(home_, args, dir_);
  }

  std::vector<std::string> TrainArgs() {
    return {"classifier",
            "train",
            "--epochs",
            "5",
            "--json",
            "--extra-data",
            (kSource / "data/classify/patentsberta_claims_cpc.jsonl").string(),
            "--extra-data",
            (kSource / "data/classify/mini_labelled_corpus.jsonl").string()};
  }

  fs::path dir_;
  fs::path home_;
};

TEST_F(ClassifyCliTest, TrainEvaluateSuggestDecide) {
  ASSERT_EQ(Run({"init", "--office", "US"}).exit_code, 0);
  RunResult ingest = Run({"ingest", (kSource / "data/sample/uspto").string()});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;

  // The sample corpus alone is too small; the message says what is needed.
  RunResult small = Run({"classifier", "train"});
  EXPECT_EQ(small.exit_code, 2);
  EXPECT_NE(small.err.find("too little data"), std::string::npos) << small.err;
  EXPECT_NE(small.err.find("--extra-data"), std::string::npos) << small.err;
  RunResult untrained = Run({"classify", "--text", "a wheeled hand truck"});
  EXPECT_EQ(untrained.exit_code, 2);
  EXPECT_NE(untrained.err.find("ipdx classifier train"), std::string::npos) << untrained.err;

  RunResult train = Run(TrainArgs());
  ASSERT_EQ(train.exit_code, 0) << train.err;
  auto report = nlohmann::json::parse(train.out);
  EXPECT_EQ(report["version"], "v1");
  EXPECT_EQ(report["level"], "subclass");
  EXPECT_EQ(report["seed"], 42);
  EXPECT_GT(report["training_documents"].get<int>(), 700);
  EXPECT_GT(report["test_documents"].get<int>(), 100);
  EXPECT_GT(report["data"]["node_classified"].get<int>(), 10);
  EXPECT_TRUE(fs::exists(home_ / "models" / "v1" / "manifest.tsv"));

  RunResult eval = Run({"classifier", "eval", "--json"});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  auto ev = nlohmann::json::parse(eval.out);
  EXPECT_EQ(ev["version"], "v1");
  EXPECT_EQ(ev["test_documents"], report["test_documents"]);
  EXPECT_EQ(ev["training_documents"], report["training_documents"]);
  ASSERT_EQ(ev["rows"].size(), 8u);
  for (const auto& row : ev["rows"]) {
    EXPECT_EQ(row["documents"], ev["test_documents"]);
    EXPECT_GE(row["three_guesses"].get<double>(), row["top_prediction"].get<double>());
  }
  RunResult table = Run({"classifier", "eval"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("three-guesses"), std::string::npos);
  EXPECT_NE(table.out.find("majority"), std::string::npos);

  RunResult text = Run({"classify", "--json", "--text",
                        "A hand truck with two wheels, a frame and a handle for moving loads."});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  auto s = nlohmann::json::parse(text.out);
  EXPECT_EQ(s["model_version"], "v1");
  ASSERT_EQ(s["suggestions"].size(), 5u);
  EXPECT_GE(s["suggestions"][0]["score"].get<double>(), s["suggestions"][1]["score"].get<double>());
  EXPECT_FALSE(s["reasons"]["similar_documents"].empty());
  EXPECT_FALSE(s["reasons"]["terms"].empty());

  RunResult record = Run({"classify", "--json", "--limit", "3", "US-11147202-B2"});
  ASSERT_EQ(record.exit_code, 0) << record.err;
  auto r = nlohmann::json::parse(record.out);
  EXPECT_EQ(r["id"], "US-11147202-B2");
  EXPECT_FALSE(r["current"].empty());
  EXPECT_EQ(r["suggestions"].size(), 3u);
  for (const auto& n : r["reasons"]["similar_documents"]) EXPECT_NE(n["id"], "US-11147202-B2");

  fs::path claim = dir_ / "claim.txt";
  std::ofstream(claim) << "1. A wireless communication method in which a base station allocates "
                          "radio resources to a user equipment.\n";
  RunResult file = Run({"classify", claim.string()});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_NE(file.out.find("Suggestions (model v1, subclass level)"), std::string::npos) << file.out;
  EXPECT_NE(file.out.find("Most similar classified documents"), std::string::npos);

  EXPECT_EQ(Run({"classify", "US-1-B1"}).exit_code, 2);
  EXPECT_EQ(Run({"classify"}).exit_code, 2);

  // Decisions.
  RunResult nobody = Run({"classify", "--accept", "G06F 3/01", "US-11147202-B2"});
  EXPECT_EQ(nobody.exit_code, 2);
  EXPECT_NE(nobody.err.find("--by"), std::string::npos);
  RunResult bad = Run({"classify", "--accept", "nonsense", "US-11147202-B2", "--by", "J"});
  EXPECT_EQ(bad.exit_code, 2);
  RunResult accept =
      Run({"classify", "--accept", "G06F 3/01", "US-11147202-B2", "--by", "Jane Examiner"});
  ASSERT_EQ(accept.exit_code, 0) << accept.err;
  EXPECT_NE(accept.out.find("Jane Examiner accepted G06F 3/01 for US-11147202-B2"),
            std::string::npos)
      << accept.out;
  ASSERT_EQ(
      Run({"classify", "--reject", "B62B", "US-11147202-B2", "--by", "Jane Examiner"}).exit_code,
      0);
  RunResult listed = Run({"classifier", "decisions", "--json", "US-11147202-B2"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto decisions = nlohmann::json::parse(listed.out);
  ASSERT_EQ(decisions.size(), 2u);
  EXPECT_EQ(decisions[0]["decision"], "accept");
  EXPECT_EQ(decisions[0]["symbol"], "G06F 3/01");
  EXPECT_EQ(decisions[0]["model_version"], "v1");
  EXPECT_EQ(decisions[1]["decision"], "reject");

  // The next training uses them and becomes v2.
  RunResult again = Run(TrainArgs());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto second = nlohmann::json::parse(again.out);
  EXPECT_EQ(second["version"], "v2");
  EXPECT_EQ(second["data"]["confirmed_symbols"], 1);
  EXPECT_GE(second["data"]["rejected_symbols"].get<int>(), 1);
  EXPECT_EQ(second["confirmed_symbols"], 1);
}

}  // namespace
