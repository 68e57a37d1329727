#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "service/service.h"

namespace ipdx::service {
namespace {

namespace fs = std::filesystem;

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ipdx_node_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    home_ = (root_ / "node").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  static std::string Slurp(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  void WriteConfig(const std::string& text) {
    std::ofstream(fs::path(home_) / "ipdx.toml") << text;
  }

  fs::path root_;
  std::string home_;
};

TEST_F(NodeTest, InitThenOpen) {
  ASSERT_TRUE(Node::Init(home_, {"US"}).ok());
  EXPECT_TRUE(fs::exists(fs::path(home_) / "ipdx.db"));
  const std::string toml = Slurp(fs::path(home_) / "ipdx.toml");
  EXPECT_NE(toml.find("office = \"US\""), std::string::npos) << toml;
  EXPECT_NE(toml.find("format_version = 1"), std::string::npos) << toml;
  // No temporary file is left behind.
  for (const auto& e : fs::directory_iterator(home_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }

  auto node = Node::Open(home_);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ((*node)->config().office, "US");
  EXPECT_EQ((*node)->home(), home_);
  EXPECT_EQ(*(*node)->store().CountRecords(), 0u);
}

TEST_F(NodeTest, InitNormalisesTheOfficeCode) {
  ASSERT_TRUE(Node::Init(home_, {" ep"}).ok());
  auto node = Node::Open(home_);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ((*node)->config().office, "EP");
}

TEST_F(NodeTest, InitRefusesAnExistingNode) {
  ASSERT_TRUE(Node::Init(home_, {"US"}).ok());
  Status s = Node::Init(home_, {"EP"});
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  // The first node is untouched.
  EXPECT_EQ((*Node::Open(home_))->config().office, "US");
}

TEST_F(NodeTest, InitRefusesUnknownAndFormerOfficeCodes) {
  Status unknown = Node::Init(home_, {"QQ"});
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument) << unknown.ToString();
  EXPECT_NE(unknown.message().find("'QQ'"), std::string::npos);
  Status former = Node::Init(home_, {"SU"});  // Soviet Union: a former ST.3 code
  EXPECT_EQ(former.code(), StatusCode::kInvalidArgument) << former.ToString();
  EXPECT_NE(former.message().find("former"), std::string::npos) << former.message();
  EXPECT_FALSE(fs::exists(fs::path(home_) / "ipdx.toml"));
}

TEST_F(NodeTest, OpenOfAPlainFolderSaysHowToInit) {
  fs::create_directories(home_);
  auto node = Node::Open(home_);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(node.status().message(), home_ +
                                         " is not an ipdx node (no ipdx.toml); run: ipdx --home " +
                                         home_ + " init --office CC");
  EXPECT_FALSE(fs::exists(fs::path(home_) / "ipdx.db"));  // nothing was created
}

TEST_F(NodeTest, OpenRefusesANewerFormat) {
  ASSERT_TRUE(Node::Init(home_, {"US"}).ok());
  WriteConfig("format_version = 2\noffice = \"US\"\n");
  auto node = Node::Open(home_);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(node.status().message().find("newer ipdx"), std::string::npos);
}

TEST_F(NodeTest, OpenRefusesAChangedOffice) {
  ASSERT_TRUE(Node::Init(home_, {"US"}).ok());
  WriteConfig("format_version = 1\noffice = \"EP\"\n");
  auto node = Node::Open(home_);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), StatusCode::kFailedPrecondition) << node.status().ToString();
  EXPECT_NE(node.status().message().find("belongs to office US"), std::string::npos);
}

TEST_F(NodeTest, OpenReportsTomlSyntaxErrorsWithTheLine) {
  ASSERT_TRUE(Node::Init(home_, {"US"}).ok());
  WriteConfig("format_version = 1\noffice = \"US\n");
  auto node = Node::Open(home_);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(node.status().message().find("ipdx.toml:2:"), std::string::npos)
      << node.status().message();
}

TEST_F(NodeTest, OpenRefusesAMissingDatabase) {
  ASSERT_TRUE(Node::Init(home_, {"US"}).ok());
  fs::remove(fs::path(home_) / "ipdx.db");
  auto node = Node::Open(home_);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(node.status().message().find("ipdx.db is missing"), std::string::npos);
  EXPECT_FALSE(fs::exists(fs::path(home_) / "ipdx.db"));
}

}  // namespace
}  // namespace ipdx::service
