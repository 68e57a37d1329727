// `ipdx verify --witness-key ... --min-witnesses K` through the real binary: a receipt of node A
// whose checkpoint carries a cosignature by node B's witness key (keys/witness.key, made by init)
// is VALID 1-of-1, a usage error when more witnesses are required than keys given, and INVALID
// (exit 1) when fewer of the given witnesses cosigned than required.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "ledger/ledger.h"
#include "run_ipdx.h"

namespace {

namespace fs = std::filesystem;
using ipdx::testing::ReadFile;
using ipdx::testing::RunIpdx;
using ipdx::testing::RunIpdxAt;

class WitnessCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ipdx_witness_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(WitnessCliTest, KOfNWitnesses) {
  const fs::path a = dir_ / "a", b = dir_ / "b", c = dir_ / "c";
  ASSERT_EQ(RunIpdx({"--home", a.string(), "init", "--office", "US"}, dir_).exit_code, 0);
  ASSERT_EQ(RunIpdx({"--home", b.string(), "init", "--office", "EP"}, dir_).exit_code, 0);
  ASSERT_EQ(RunIpdx({"--home", c.string(), "init", "--office", "JP"}, dir_).exit_code, 0);
  for (const fs::path& home : {a, b, c}) {
    ASSERT_TRUE(fs::exists(home / "keys" / "witness.key")) << home;
    ASSERT_TRUE(fs::exists(home / "keys" / "witness.pub")) << home;
  }
  const std::string doc =
      (fs::path(IPDX_SOURCE_DIR) / "src/service/testdata/us-application-v4-0-A1.xml").string();
  auto ingest = RunIpdxAt(a, {"ingest", doc}, dir_);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  // The receipt of leaf 0 (the record just ingested).
  const fs::path receipt_path = dir_ / "receipt.json";
  auto receipt = RunIpdxAt(a, {"receipt", "--leaf", "0", "--out", receipt_path.string()}, dir_);
  ASSERT_EQ(receipt.exit_code, 0) << receipt.err;

  // B cosigns A's checkpoint (what sync does after verifying it) and the receipt carries it.
  auto json = nlohmann::json::parse(ReadFile(receipt_path));
  const std::string checkpoint = json["checkpoint"].get<std::string>();
  auto a_key = ipdx::ledger::VerifierKey::Parse(
      ReadFile(a / "keys" / "node.pub").substr(0, ReadFile(a / "keys" / "node.pub").find('\n')));
  ASSERT_TRUE(a_key.ok());
  auto b_witness = ipdx::ledger::ReadPrivateKeyFile((b / "keys" / "witness.key").string());
  ASSERT_TRUE(b_witness.ok()) << b_witness.status().ToString();
  auto cosigned = ipdx::ledger::AddCosignature(checkpoint, *a_key, *b_witness, 1700000000);
  ASSERT_TRUE(cosigned.ok());
  json["checkpoint"] = *cosigned;
  const fs::path witnessed = dir_ / "witnessed.json";
  std::ofstream(witnessed) << json.dump(2);

  const std::string a_pub = (a / "keys" / "node.pub").string();
  const std::string b_wit = (b / "keys" / "witness.pub").string();
  const std::string c_wit = (c / "keys" / "witness.pub").string();
  // 1 of 1.
  auto one = RunIpdx({"verify", witnessed.string(), "--key", a_pub, "--witness-key", b_wit,
                      "--min-witnesses", "1"},
                     dir_);
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("VALID"), std::string::npos);
  EXPECT_NE(one.out.find("Cosigned by 1"), std::string::npos) << one.out;
  // 2 required of 1 key: cannot be met (usage).
  auto two_of_one = RunIpdx({"verify", witnessed.string(), "--key", a_pub, "--witness-key", b_wit,
                             "--min-witnesses", "2"},
                            dir_);
  EXPECT_EQ(two_of_one.exit_code, 2) << two_of_one.err;
  // 2 required of 2 keys, only B cosigned: INVALID.
  auto two_of_two = RunIpdx({"verify", witnessed.string(), "--key", a_pub, "--witness-key", b_wit,
                             "--witness-key", c_wit, "--min-witnesses", "2"},
                            dir_);
  EXPECT_EQ(two_of_two.exit_code, 1) << two_of_two.err;
  EXPECT_NE(two_of_two.err.find("INVALID"), std::string::npos) << two_of_two.err;
  EXPECT_NE(two_of_two.err.find("1 of the required 2"), std::string::npos) << two_of_two.err;
  // The original receipt (no cosignature) with a witness required: INVALID.
  auto none =
      RunIpdx({"verify", receipt_path.string(), "--key", a_pub, "--witness-key", b_wit}, dir_);
  EXPECT_EQ(none.exit_code, 1) << none.err;
  // C's cosignature does not count for B: only the keys given are trusted.
  auto wrong =
      RunIpdx({"verify", witnessed.string(), "--key", a_pub, "--witness-key", c_wit}, dir_);
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  // JSON output lists the witnesses.
  auto as_json = RunIpdx(
      {"verify", witnessed.string(), "--key", a_pub, "--witness-key", b_wit, "--json"}, dir_);
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  auto out = nlohmann::json::parse(as_json.out);
  ASSERT_EQ(out["witnesses"].size(), 1u);
  EXPECT_EQ(out["witnesses"][0], "ipdx/EP/witness");
}

}  // namespace
