// Runs the real ipdx binary the way scripts and operators do, and checks exit codes, output and
// what the node holds afterwards.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ipdx-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    home_ = dir_ / "node";
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunResult Run(const std::vector<std::string>& args, bool with_home = true) {
    return with_home ? ipdx::testing::RunIpdxAt(home_, args, dir_)
                     : ipdx::testing::RunIpdx(args, dir_);
  }

  // Copies the first sample file under data/sample/SUB matching `suffix` into the temp dir.
  fs::path Sample(const std::string& sub, const std::string& suffix) {
    fs::path root = fs::path(IPDX_SOURCE_DIR) / "data" / "sample" / sub;
    std::vector<fs::path> found;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file() && e.path().string().ends_with(suffix)) found.push_back(e.path());
    }
    std::sort(found.begin(), found.end());
    EXPECT_FALSE(found.empty()) << "no " << suffix << " under " << root;
    if (found.empty()) return {};
    return found.front();
  }

  void Init() {
    auto r = Run({"init", "--office", "US"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  fs::path dir_;
  fs::path home_;
};

TEST_F(CliTest, InitCreatesNodeAndRefusesTwice) {
  Init();
  EXPECT_TRUE(fs::exists(home_ / "ipdx.toml"));
  auto again = Run({"init", "--office", "US"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("error"), std::string::npos);
}

TEST_F(CliTest, InitRejectsUnknownOfficeCode) {
  auto r = Run({"init", "--office", "QQ"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("QQ"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(home_ / "ipdx.toml"));
}

TEST_F(CliTest, CommandsOnMissingNodeExplainInit) {
  auto r = Run({"list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("init"), std::string::npos) << r.err;
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({"no-such-command"}).exit_code, 2);
  Init();
  EXPECT_EQ(Run({"ingest"}).exit_code, 2);
  auto missing = Run({"ingest", (dir_ / "does-not-exist.xml").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("does-not-exist.xml"), std::string::npos) << missing.err;
}

TEST_F(CliTest, IngestShowListExportAndReingest) {
  Init();
  fs::path st96 = Sample("st96", ".xml");
  auto r = Run({"ingest", "--json", st96.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["documents"], 1);
  EXPECT_EQ(summary["accepted"], 1);
  EXPECT_EQ(summary["rejected"], 0);

  // The WIPO ST.96 example is the real US 8,936,998 B2; other spellings of the id work too.
  for (const std::string id : {"US-8936998-B2", "US8936998B2", "US 8,936,998 B2"}) {
    auto show = Run({"show", id});
    ASSERT_EQ(show.exit_code, 0) << id << ": " << show.err;
    auto rec = nlohmann::json::parse(show.out);
    EXPECT_EQ(rec["id"], "US-8936998-B2");
    EXPECT_EQ(rec["version"], 1);
    EXPECT_EQ(rec["hash"].get<std::string>().size(), 64u);
  }
  auto xml = Run({"show", "US-8936998-B2", "--format", "st96"});
  ASSERT_EQ(xml.exit_code, 0);
  EXPECT_NE(xml.out.find("PatentPublication"), std::string::npos);
  EXPECT_NE(xml.out.find("8936998"), std::string::npos);

  auto notfound = Run({"show", "US-1-B1"});
  EXPECT_EQ(notfound.exit_code, 2);

  auto list = Run({"list", "--json"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(list.out)["total"], 1);

  // Same content again: unchanged, still version 1.
  auto again = Run({"ingest", "--json", st96.string()});
  ASSERT_EQ(again.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(again.out)["unchanged"], 1);

  // Export both formats.
  for (const std::string f : {"json", "st96"}) {
    fs::path out = dir_ / ("export-" + f);
    auto ex = Run({"export", "--format", f, "--out", out.string()});
    ASSERT_EQ(ex.exit_code, 0) << ex.err;
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(out)) {
      (void)e;
      ++n;
    }
    EXPECT_EQ(n, 1u) << f;
  }
}

TEST_F(CliTest, ChangedContentBecomesNewVersion) {
  Init();
  fs::path st96 = Sample("st96", ".xml");
  std::string text = ReadFile(st96);
  ASSERT_EQ(Run({"ingest", st96.string()}).exit_code, 0);
  // Change one word of the title text: a new version, the old one kept.
  size_t pos = text.find("InventionTitle ");
  ASSERT_NE(pos, std::string::npos);
  size_t close = text.find('>', pos);
  text.insert(close + 1, "Improved ");
  fs::path changed = dir_ / "changed.xml";
  std::ofstream(changed, std::ios::binary) << text;
  auto r = Run({"ingest", "--json", changed.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["updated"], 1);
  auto versions = Run({"versions", "--json", "US-8936998-B2"});
  ASSERT_EQ(versions.exit_code, 0);
  auto v = nlohmann::json::parse(versions.out);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_NE(v[0]["hash"], v[1]["hash"]);
  auto old = Run({"show", "US-8936998-B2", "--version", "1"});
  ASSERT_EQ(old.exit_code, 0);
  EXPECT_EQ(old.out.find("Improved "), std::string::npos);
  auto cur = Run({"show", "US-8936998-B2"});
  EXPECT_NE(cur.out.find("Improved "), std::string::npos);
}

TEST_F(CliTest, RejectsAreReportedWithRuleAndExitThree) {
  Init();
  fs::path in = dir_ / "in";
  fs::create_directories(in);
  fs::copy_file(Sample("st96", ".xml"), in / "good.xml");
  std::ofstream(in / "xxe.xml") << "<?xml version=\"1.0\"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "
                                   "\"file:///etc/passwd\">]>\n<r>&x;</r>\n";
  std::ofstream(in / "truncated.xml") << "<?xml version=\"1.0\"?>\n<us-patent-grant><us-bibl";
  auto r = Run({"ingest", "--json", in.string()});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  auto s = nlohmann::json::parse(r.out);
  EXPECT_EQ(s["documents"], 3);
  EXPECT_EQ(s["accepted"], 1);
  EXPECT_EQ(s["rejected"], 2);
  EXPECT_EQ(s["rejected_by_rule"]["XML-XXE"], 1);
  ASSERT_EQ(s["rejects"].size(), 2u);
  for (const auto& rej : s["rejects"]) {
    EXPECT_FALSE(rej["rule"].get<std::string>().empty());
    EXPECT_FALSE(rej["message"].get<std::string>().empty());
    EXPECT_NE(rej["file"].get<std::string>().find(in.string()), std::string::npos);
  }
  // The XXE document is the one rejected as XML-XXE (not just somewhere in the list).
  size_t xxe_rejects = 0;
  for (const auto& rej : s["rejects"]) {
    if (rej["file"].get<std::string>().ends_with("xxe.xml")) {
      ++xxe_rejects;
      EXPECT_EQ(rej["rule"], "XML-XXE");
    }
  }
  EXPECT_EQ(xxe_rejects, 1u);
  auto rejects = Run({"rejects", "--json"});
  ASSERT_EQ(rejects.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(rejects.out).size(), 2u);
  // The passwd file never reaches the store.
  auto list = Run({"list", "--json"});
  EXPECT_EQ(list.out.find("root:"), std::string::npos);
  auto runs = Run({"runs", "--json"});
  auto runs_json = nlohmann::json::parse(runs.out);
  ASSERT_EQ(runs_json.size(), 1u);
  EXPECT_EQ(runs_json[0]["status"], "finished");
  EXPECT_EQ(runs_json[0]["rejected"], 2);
}

}  // namespace
