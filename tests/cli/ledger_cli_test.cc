// The transparency log through the real ipdx binary: ingest -> checkpoint -> receipt -> offline
// verify; a flipped bit in a receipt; a leaf tampered in the SQLite file behind ipdx's back; a
// consistency proof between two checkpoints; rights events.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
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

const fs::path kTestdata = fs::path(IPDX_SOURCE_DIR) / "src/service/testdata";

class LedgerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ipdx-ledger-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    home_ = dir_ / "node";
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  RunResult Run(const std::vector<std::string>& args, bool with_home = true) {
    return with_home ? ipdx::testing::RunIpdxAt(home_, args, dir_)
                     : ipdx::testing::RunIpdx(args, dir_);
  }

  // init + ingest of the two real USPTO applications.
  void InitAndIngest() {
    ASSERT_EQ(Run({"init", "--office", "US"}).exit_code, 0);
    RunResult ing = Run({"ingest", (kTestdata / "us-application-v4-0-A1.xml").string(),
                         (kTestdata / "us-application-v4-5-A2.xml").string()});
    ASSERT_EQ(ing.exit_code, 0) << ing.err;
  }

  std::string FirstId() {
    RunResult list = Run({"list", "--json"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    auto j = nlohmann::json::parse(list.out, nullptr, false);
    if (j.is_discarded() || j["records"].empty()) {
      ADD_FAILURE() << "no records listed: " << list.out;
      return "";
    }
    return j["records"][0]["id"].get<std::string>();
  }

  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((home_ / "ipdx.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  fs::path dir_;
  fs::path home_;
};

TEST_F(LedgerCliTest, IngestCheckpointReceiptAndOfflineVerify) {
  InitAndIngest();
  struct stat sb {};
  ASSERT_EQ(::stat((home_ / "keys/node.key").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);

  RunResult cp = Run({"log", "checkpoint"});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  EXPECT_EQ(cp.out.rfind("ipdx/US\n2\n", 0), 0u) << cp.out;
  EXPECT_NE(cp.out.find("\n\n\u2014 ipdx/US "), std::string::npos) << cp.out;

  RunResult key = Run({"log", "key"});
  ASSERT_EQ(key.exit_code, 0);
  const std::string vkey = key.out.substr(0, key.out.find('\n'));
  EXPECT_EQ(vkey.rfind("ipdx/US+", 0), 0u);
  EXPECT_EQ(vkey + "\n", ReadFile(home_ / "keys/node.pub"));

  const std::string id = FirstId();
  const fs::path receipt = dir_ / "receipt.json";
  RunResult rc = Run({"receipt", id, "--out", receipt.string()});
  ASSERT_EQ(rc.exit_code, 0) << rc.err;
  auto j = nlohmann::json::parse(ReadFile(receipt));
  EXPECT_EQ(j["format"], "ipdx-receipt/1");
  EXPECT_EQ(j["tree_size"], 2);

  // Offline: no --home, only the receipt and the key, given as text and as a file.
  fs::copy_file(home_ / "keys/node.pub", dir_ / "office.pub");
  fs::remove_all(dir_ / "elsewhere");
  RunResult ok =
      Run({"--home", (dir_ / "elsewhere").string(), "verify", receipt.string(), "--key", vkey},
          /*with_home=*/false);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("VALID: " + id + " version 1"), std::string::npos) << ok.out;
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere")) << "offline verify must not create a node";
  RunResult ok_file = Run({"--home", (dir_ / "elsewhere").string(), "verify", receipt.string(),
                           "--key", (dir_ / "office.pub").string()},
                          /*with_home=*/false);
  EXPECT_EQ(ok_file.exit_code, 0) << ok_file.err;

  // A flipped bit in the entry: invalid, with the reason.
  std::string text = ReadFile(receipt);
  const size_t entry_at = text.find("\"entry\": \"") + 12;
  text[entry_at] = text[entry_at] == 'A' ? 'B' : 'A';
  std::ofstream(dir_ / "flipped.json", std::ios::binary) << text;
  RunResult bad = Run({"verify", (dir_ / "flipped.json").string(), "--key", vkey});
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("INVALID"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("entry hash mismatch"), std::string::npos) << bad.err;

  // Another office's key: invalid, naming the problem.
  ASSERT_EQ(Run({"--home", (dir_ / "other").string(), "init", "--office", "EP"}, false).exit_code,
            0);
  RunResult wrong =
      Run({"verify", receipt.string(), "--key", (dir_ / "other/keys/node.pub").string()});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("INVALID"), std::string::npos) << wrong.err;

  // On the node: the record, its receipt and the stored document agree.
  RunResult on_node = Run({"verify", id});
  EXPECT_EQ(on_node.exit_code, 0) << on_node.err;
  RunResult inclusion = Run({"log", "prove", "--inclusion", id});
  EXPECT_EQ(inclusion.exit_code, 0) << inclusion.err;
  EXPECT_EQ(inclusion.out.rfind("c2sp.org/tlog-proof@v1\n", 0), 0u) << inclusion.out;
}

TEST_F(LedgerCliTest, TamperedLeafIsReportedWithItsIndex) {
  InitAndIngest();
  RunResult clean = Run({"log", "check"});
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_NE(clean.out.find("log OK: 2 leaves"), std::string::npos) << clean.out;

  // Flip one bit of leaf 1's entry, as an attacker with the database file would.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((home_ / "ipdx.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT entry FROM log_entries WHERE leaf_index = 1", -1, &st,
                                 nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    std::string entry(static_cast<const char*>(sqlite3_column_blob(st, 0)),
                      static_cast<size_t>(sqlite3_column_bytes(st, 0)));
    sqlite3_finalize(st);
    entry[entry.size() - 30] ^= 0x01;  // inside the content hash
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE log_entries SET entry = ?1 WHERE leaf_index = 1", -1,
                                 &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(st, 1, entry.data(), static_cast<int>(entry.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  RunResult check = Run({"log", "check"});
  EXPECT_EQ(check.exit_code, 1) << check.out;
  EXPECT_NE(check.err.find("leaf 1"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("FAILED"), std::string::npos) << check.err;
}

TEST_F(LedgerCliTest, RewrittenRecordFailsVerifyAndCheck) {
  InitAndIngest();
  const std::string id = FirstId();
  Sql("UPDATE records SET json = replace(json, '\"titles\":[{', "
      "'\"titles\":[{\"text\":\"forged\",\"lang\":\"en\"},{') WHERE id = '" +
      id + "'");
  RunResult verify = Run({"verify", id});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.err.find("changed behind ipdx's back"), std::string::npos) << verify.err;
  RunResult check = Run({"log", "check"});
  EXPECT_EQ(check.exit_code, 1);
}

TEST_F(LedgerCliTest, EventsAndConsistencyBetweenCheckpoints) {
  InitAndIngest();
  const std::string id = FirstId();
  RunResult add = Run({"event", "add", id, "--type", "assignment", "--date", "2024-04-30",
                       "--party", "Acme Patents LLC", "--details", "reel 1 frame 2"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_NE(add.out.find("as leaf 2"), std::string::npos) << add.out;
  RunResult bad = Run({"event", "add", id, "--type", "mortgage", "--date", "2024-04-30"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("security-interest"), std::string::npos) << bad.err;

  RunResult list = Run({"event", "list", id, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto events = nlohmann::json::parse(list.out);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["event"]["st27_code"], "R14");
  EXPECT_EQ(events[0]["event"]["parties"][0], "Acme Patents LLC");
  EXPECT_EQ(events[0]["leaf_index"], 2);

  RunResult proof = Run({"log", "prove", "--consistency", "2", "3", "--json"});
  ASSERT_EQ(proof.exit_code, 0) << proof.err;
  auto p = nlohmann::json::parse(proof.out);
  EXPECT_EQ(p["old_size"], 2);
  EXPECT_EQ(p["new_size"], 3);
  EXPECT_FALSE(p["proof"].empty());
  RunResult unsigned_size = Run({"log", "prove", "--consistency", "1", "3"});
  EXPECT_EQ(unsigned_size.exit_code, 2);

  const fs::path receipt = dir_ / "event.json";
  ASSERT_EQ(Run({"receipt", "--leaf", "2", "--out", receipt.string()}).exit_code, 0);
  RunResult ok = Run({"verify", receipt.string()});  // key from HOME/keys/node.pub
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("assignment event of " + id), std::string::npos) << ok.out;
}

}  // namespace
