// Ledger use-cases on a real node: the log key made by init, checkpoints after ingest and events,
// receipts verified offline, consistency between checkpoints, and tampering found.
#include "service/ledger.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "service/node_test_util.h"
#include "service/service.h"

namespace ipdx::service {
namespace {

namespace fs = std::filesystem;

class LedgerServiceTest : public TempNodeTest {
 protected:
  // Ingests the two real USPTO applications; returns the number of records stored.
  uint64_t IngestUs() {
    IngestOptions opt;
    opt.paths = {(kTestdata / "us-application-v4-0-A1.xml").string(),
                 (kTestdata / "us-application-v4-5-A2.xml").string()};
    opt.threads = 1;
    auto sum = Ingest(*node_, opt);
    EXPECT_TRUE(sum.ok()) << sum.status().ToString();
    if (!sum.ok()) return 0;
    EXPECT_FALSE(sum->checkpoint.empty());
    return sum->accepted;
  }

  std::string FirstId() {
    auto page = node_->store().ListRecords("", 1);
    EXPECT_TRUE(page.ok() && !page->empty());
    return page.ok() && !page->empty() ? page->front().Id() : std::string();
  }

  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((fs::path(home_) / "ipdx.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
};

TEST_F(LedgerServiceTest, InitCreatesAPrivateKeyAndTheFirstCheckpoint) {
  InitAndOpen();
  const fs::path key = fs::path(home_) / "keys/node.key";
  struct stat sb {};
  ASSERT_EQ(::stat(key.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  std::ifstream pub(fs::path(home_) / "keys/node.pub");
  std::string vkey;
  std::getline(pub, vkey);
  EXPECT_EQ(vkey, LogPublicKey(*node_));
  EXPECT_EQ(vkey.rfind("ipdx/US+", 0), 0u) << vkey;

  auto cp = LatestCheckpoint(*node_);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->checkpoint.origin, "ipdx/US");
  EXPECT_EQ(cp->checkpoint.tree_size, 0u);
  EXPECT_EQ(cp->checkpoint.root, ledger::EmptyRoot());

  // A key others can read is refused, with the fix in the message.
  node_.reset();
  fs::permissions(key, fs::perms::group_read, fs::perm_options::add);
  auto refused = Node::Open(home_);
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("chmod 600"), std::string::npos);
}

TEST_F(LedgerServiceTest, KeyAndOriginRulesForExistingNodes) {
  InitAndOpen();
  node_.reset();
  // A lost key of a log that has signed checkpoints must be restored, not replaced.
  fs::rename(fs::path(home_) / "keys", root_ / "keys.bak");
  auto lost = Node::Open(home_);
  EXPECT_EQ(lost.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(lost.status().message().find("restore"), std::string::npos);
  // A node that never signed (made before the ledger existed) gets a key on first open.
  Sql("DELETE FROM log_checkpoints");
  Reopen();
  EXPECT_TRUE(fs::exists(fs::path(home_) / "keys/node.key"));
  EXPECT_TRUE(LatestCheckpoint(*node_).ok());
  // The origin of a log never changes.
  node_.reset();
  std::ofstream(fs::path(home_) / "ipdx.toml", std::ios::app) << "";
  {
    std::ifstream in(fs::path(home_) / "ipdx.toml");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string toml = ss.str();
    toml.replace(toml.find("log_origin = \"ipdx/US\""), 22, "log_origin = \"example.org/US\"");
    std::ofstream(fs::path(home_) / "ipdx.toml", std::ios::trunc) << toml;
  }
  auto renamed = Node::Open(home_);
  EXPECT_EQ(renamed.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(renamed.status().message().find("never changes"), std::string::npos);

  // A configured origin is the key's name and the checkpoints' origin.
  const std::string other = (root_ / "other").string();
  NodeConfig config{"EP", "ipdx.example.org/EP"};
  ASSERT_TRUE(Node::Init(other, config).ok());
  auto node = Node::Open(other);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ((*node)->log_key().name(), "ipdx.example.org/EP");
  EXPECT_EQ(LatestCheckpoint(**node)->checkpoint.origin, "ipdx.example.org/EP");
}

TEST_F(LedgerServiceTest, IngestSignsACheckpointAndReceiptsVerifyOffline) {
  InitAndOpen();
  const uint64_t stored = IngestUs();
  ASSERT_EQ(stored, 2u);
  auto cp = LatestCheckpoint(*node_);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->checkpoint.tree_size, 2u);

  const std::string id = FirstId();
  auto receipt = RecordReceipt(*node_, id);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(receipt->tree_size, 2u);
  const std::string json = ledger::ReceiptToJson(*receipt);

  // Offline: only the JSON and the vkey text.
  auto keys = ParseTrustedKeys("# the office's log key\n" + LogPublicKey(*node_) + "\n");
  ASSERT_TRUE(keys.ok());
  auto verified = VerifyReceiptJson(json, *keys);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->entry.record_id, id);
  EXPECT_EQ(verified->entry.record_version, 1u);

  // Another office's key does not vouch for it.
  auto stranger = ledger::SignerKey::Generate("ipdx/US", ledger::KeyType::kEd25519);
  std::vector<ledger::VerifierKey> wrong{stranger->verifier()};
  EXPECT_EQ(VerifyReceiptJson(json, wrong).status().code(), StatusCode::kPermissionDenied);

  auto on_node = VerifyRecord(*node_, id);
  ASSERT_TRUE(on_node.ok()) << on_node.status().ToString();
  EXPECT_EQ(RecordReceipt(*node_, "US-1-B1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(RecordReceipt(*node_, id, 7).status().code(), StatusCode::kNotFound);

  auto report = CheckLog(*node_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->counts.tree_size, 2u);
  EXPECT_EQ(report->records_checked, 2u);

  // Re-ingesting the same files adds no leaf and signs nothing new.
  EXPECT_EQ(IngestUs(), 0u);
  auto sizes = node_->store().Log().CheckpointSizes();
  EXPECT_EQ(*sizes, (std::vector<uint64_t>{0, 2}));
}

TEST_F(LedgerServiceTest, RightsEventsAreLoggedCheckpointedAndProvedConsistent) {
  InitAndOpen();
  ASSERT_EQ(IngestUs(), 2u);
  const std::string id = FirstId();
  std::vector<RightsEventInput> events = {
      {id, "grant", "", "2024-03-05", {}, "", 0},
      {id, "assignment", "", "2024-04-30", {"Acme Patents LLC"}, "reel 1 frame 2", 0},
  };
  auto added = AddRightsEvents(*node_, events);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_EQ(added->events.size(), 2u);
  EXPECT_EQ(added->events[0].leaf_index, 2u);
  EXPECT_EQ(added->checkpoint.checkpoint.tree_size, 4u);
  EXPECT_TRUE(added->checkpoint.is_new);

  auto listed = ListRightsEvents(*node_, id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].entry.event->st27_code, "F11");
  EXPECT_EQ((*listed)[1].entry.event->st27_code, "R14");
  EXPECT_EQ((*listed)[1].entry.event->parties, std::vector<std::string>{"Acme Patents LLC"});
  EXPECT_EQ((*listed)[1].entry.record_version, 1u);

  auto receipt = LeafReceipt(*node_, 3);
  ASSERT_TRUE(receipt.ok());
  std::vector<ledger::VerifierKey> keys{node_->log_key().verifier()};
  auto verified = ledger::VerifyReceipt(*receipt, keys);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->entry.event->type, ledger::RightsEventType::kAssignment);

  // Refused events leave nothing behind.
  std::vector<RightsEventInput> bad_type = {{id, "mortgage", "", "2024-01-01", {}, "", 0}};
  EXPECT_EQ(AddRightsEvents(*node_, bad_type).status().code(), StatusCode::kInvalidArgument);
  std::vector<RightsEventInput> bad_code = {{id, "grant", "R14", "2024-01-01", {}, "", 0}};
  EXPECT_EQ(AddRightsEvents(*node_, bad_code).status().code(), StatusCode::kInvalidArgument);
  std::vector<RightsEventInput> bad_date = {{id, "lapse", "", "2024-02-30", {}, "", 0}};
  EXPECT_EQ(AddRightsEvents(*node_, bad_date).status().code(), StatusCode::kInvalidArgument);
  std::vector<RightsEventInput> unknown = {{"US-1-B1", "grant", "", "2024-01-01", {}, "", 0}};
  EXPECT_EQ(AddRightsEvents(*node_, unknown).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*node_->store().Log().TreeSize(), 4u);

  // Any two kept checkpoints are consistent.
  auto proof = ProveConsistency(*node_, 2, 4);
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  EXPECT_TRUE(ledger::VerifyConsistency(2, 4, proof->old_checkpoint.checkpoint.root,
                                        proof->new_checkpoint.checkpoint.root, proof->proof)
                  .ok());
  EXPECT_TRUE(ProveConsistency(*node_, 2, 0).ok());
  EXPECT_EQ(ProveConsistency(*node_, 3, 4).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ProveConsistency(*node_, 4, 2).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LedgerServiceTest, TamperingIsFoundByTheChecks) {
  InitAndOpen();
  ASSERT_EQ(IngestUs(), 2u);
  const std::string id = FirstId();
  node_.reset();
  // A record rewritten behind ipdx's back (JSON and the hash column left alone).
  Sql("UPDATE records SET json = replace(json, '\"titles\":[{', "
      "'\"titles\":[{\"text\":\"forged\",\"lang\":\"en\"},{') WHERE id = '" +
      id + "'");
  Reopen();
  auto verify = VerifyRecord(*node_, id);
  EXPECT_EQ(verify.status().code(), StatusCode::kCorruption) << verify.status().ToString();
  auto check = CheckLog(*node_);
  EXPECT_EQ(check.status().code(), StatusCode::kCorruption);
  EXPECT_NE(check.status().message().find("leaf"), std::string::npos) << check.status().message();

  // A stored node hash changed: the cheap start-up check refuses to serve the log.
  node_.reset();
  Sql("UPDATE log_hashes SET hash = zeroblob(32) WHERE level = 1 AND idx = 0");
  Reopen();
  Status quick = QuickCheckLog(*node_);
  EXPECT_EQ(quick.code(), StatusCode::kCorruption);
  EXPECT_NE(quick.message().find("ipdx log check"), std::string::npos) << quick.message();
  EXPECT_EQ(RecordReceipt(*node_, id).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace ipdx::service
