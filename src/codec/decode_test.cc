// Decode's provenance: the source hash is computed once and given for records and rejects.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "codec/codec.h"
#include "common/hash.h"

namespace ipdx::codec {
namespace {

TEST(DecodeTest, SourceHashIsGivenForRejectsAndMatchesTheRecord) {
  RawDocument bad;
  bad.bytes = "<?xml version=\"1.0\"?>\n<r>&unknown;</r>\n";
  bad.file = "bad.xml";
  Decoded rejected = Decode(bad);
  EXPECT_FALSE(rejected.record.has_value());
  EXPECT_EQ(rejected.source_sha256, Sha256Hex(bad.bytes));

  std::ifstream in(std::string(IPDX_SOURCE_DIR) + "/data/sample/st96/PatentPublication_Example.xml",
                   std::ios::binary);
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  RawDocument good;
  good.bytes = ss.str();
  good.file = "st96.xml";
  Decoded accepted = Decode(good);
  ASSERT_TRUE(accepted.record.has_value());
  EXPECT_EQ(accepted.source_sha256, Sha256Hex(good.bytes));
  EXPECT_EQ(accepted.record->source.sha256, accepted.source_sha256);
}

}  // namespace
}  // namespace ipdx::codec
