// tlog-tiles paths, tile contents and entry bundles against tests/ledger-vectors/ and the real
// Sunlight tiles of the 300-leaf mirror log.
#include "ledger/test_util.h"

namespace ipdx::ledger {
namespace {

using testing::FromHex;
using testing::LoadJson;

TEST(TilesTest, Paths) {
  const auto v = LoadJson("tlog_tiles_vectors.json");
  for (const auto& c : v["tile_paths"]) {
    TileId t{c["level"].get<uint8_t>(), c["index"].get<uint64_t>(), c["width"].get<uint16_t>()};
    EXPECT_EQ(TilePath(t), c["path"]);
  }
  for (const auto& c : v["entry_bundle_paths_for_seq_and_size"]) {
    auto p = EntryBundlePathForLeaf(c["seq"], c["tree_size"]);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, c["path"]) << c["seq"] << "/" << c["tree_size"];
  }
  for (const auto& c : v["parse_tile_path_vectors"]["valid"]) {
    auto t = ParseTilePath(c["level"].get<std::string>(), c["index"].get<std::string>());
    ASSERT_TRUE(t.ok()) << c["index"];
    EXPECT_EQ(t->index, c["want_index"].get<uint64_t>());
    const int want_partial = c["want_partial"];
    EXPECT_EQ(t->width, want_partial == 0 ? 256 : want_partial);
  }
  for (const auto& c : v["parse_tile_path_vectors"]["invalid"]) {
    EXPECT_FALSE(ParseTilePath(c[0].get<std::string>(), c[1].get<std::string>()).ok())
        << c[0] << " " << c[1];
  }
}

TEST(TilesTest, TilesForSize) {
  const auto v = LoadJson("tlog_tiles_vectors.json");
  for (const auto& [size, tiles] : v["tiles_for_size"].items()) {
    std::vector<std::string> got;
    for (const TileId& t : TilesForSize(std::stoull(size))) got.push_back(TilePath(t));
    EXPECT_EQ(got, tiles.get<std::vector<std::string>>()) << size;
  }
  // size 70,000: 273 full + partial(112) at L0, 1 full + partial(17) at L1, partial(1) at L2.
  const auto t = TilesForSize(70000);
  ASSERT_EQ(t.size(), 274u + 2 + 1);
  EXPECT_EQ(t[273], (TileId{0, 273, 112}));
  EXPECT_EQ(t[275], (TileId{1, 1, 17}));
  EXPECT_EQ(t[276], (TileId{2, 0, 1}));
}

TEST(TilesTest, ContentsMatchSunlightTiles) {
  const auto v = LoadJson("tlog_tiles_vectors.json");
  MemoryLogStorage s;
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(Append(s, "record " + std::to_string(i)).ok());
  for (const auto& [path, hex] : v["record_tree_300_tiles_hex"].items()) {
    bool found = false;
    for (const TileId& t : TilesForSize(300)) {
      if (TilePath(t) != path) continue;
      found = true;
      auto bytes = ReadTile(s, t, 300);
      ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
      EXPECT_EQ(*bytes, FromHex(hex.get<std::string>())) << path;
    }
    EXPECT_TRUE(found) << path;
  }
  // The real Sunlight mirror tiles, byte for byte.
  const auto dir = testing::VectorDir() /
                   "upstream/sunlight-skylight-testdata/cmd/skylight/testdata/witness/mirror/"
                   "000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706";
  for (const TileId& t : TilesForSize(300)) {
    const std::string want = testing::ReadFile(dir / TilePath(t));
    ASSERT_FALSE(want.empty()) << TilePath(t);
    EXPECT_EQ(*ReadTile(s, t, 300), want) << TilePath(t);
  }
  // Partial tiles exist only for widths implied by the size; nothing beyond the tree.
  EXPECT_EQ(ReadTile(s, TileId{0, 1, 43}, 300).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadTile(s, TileId{0, 2, 256}, 300).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ReadTile(s, TileId{0, 1, 43}, 299).ok());
  EXPECT_FALSE(ReadTile(s, TileId{0, 0, 256}, 301).ok());
}

TEST(TilesTest, EntryBundles) {
  const auto v = LoadJson("tlog_tiles_vectors.json")["entry_bundle_encoding_example"];
  MemoryLogStorage s;
  for (const auto& e : v["entries_ascii"]) ASSERT_TRUE(Append(s, e.get<std::string>()).ok());
  auto bundle = ReadEntryBundle(s, 0, 2, 2);
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(*bundle, FromHex(v["bundle_hex"].get<std::string>()));
  auto entries = ParseEntryBundle(*bundle);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(*entries, v["entries_ascii"].get<std::vector<std::string>>());
  EXPECT_FALSE(ParseEntryBundle(bundle->substr(0, bundle->size() - 1)).ok());
  EXPECT_FALSE(ReadEntryBundle(s, 0, 1, 2).ok());
  // Entries over 65,535 bytes cannot be logged.
  EXPECT_FALSE(Append(s, std::string(65536, 'x')).ok());
  EXPECT_TRUE(Append(s, std::string(65535, 'x')).ok());
}

}  // namespace
}  // namespace ipdx::ledger
