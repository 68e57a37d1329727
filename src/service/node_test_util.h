#pragma once
// Shared by the service tests: their input files, and a fresh temporary folder per test (removed
// afterwards) holding a node initialised for office US, opened as node_, and reopened on demand (a
// restart).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "service/service.h"

namespace ipdx::service {

// The real input files of the service tests (USPTO, EPO, ST.96 documents).
inline const std::filesystem::path kTestdata =
    std::filesystem::path(IPDX_SOURCE_DIR) / "src/service/testdata";

class TempNodeTest : public ::testing::Test {
 protected:
  // Creates the empty folder; InitAndOpen() makes the node (tests of Init itself skip it).
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::filesystem::temp_directory_path() /
            ("ipdx_service_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" +
             info->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    home_ = (root_ / "node").string();
  }
  void TearDown() override {
    node_.reset();
    std::filesystem::remove_all(root_);
  }

  void InitAndOpen() {
    ASSERT_TRUE(Node::Init(home_, {"US"}).ok());
    Reopen();
  }
  // Closes the node (if open) and opens it again from its folder, as a restarted process would.
  void Reopen() {
    node_.reset();
    auto node = Node::Open(home_);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    node_ = std::move(node).value();
  }

  std::filesystem::path root_;
  std::string home_;
  std::unique_ptr<Node> node_;
};

}  // namespace ipdx::service
