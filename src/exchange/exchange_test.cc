// Unit tests of the exchange module: the Merkle frontier against the ledger's tree roots, zstd and
// its decompression-bomb limit, node information, and change batches built from a real store of
// sample records (data/sample/), verified, and refused when mutated.
#include "exchange/exchange.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "codec/codec.h"

namespace ipdx::exchange {
namespace {

namespace fs = std::filesystem;

// ---- frontier ----------------------------------------------------------------------------------

TEST(MerkleFrontierTest, RootEqualsTreeRootForEverySize) {
  ledger::MemoryLogStorage log;
  ledger::MerkleFrontier frontier;
  EXPECT_EQ(frontier.Root(), ledger::EmptyRoot());
  for (int n = 1; n <= 300; ++n) {
    const std::string entry = "entry " + std::to_string(n);
    ASSERT_TRUE(ledger::Append(log, entry).ok());
    frontier.Append(ledger::LeafHash(entry));
    auto root = ledger::TreeRoot(log, static_cast<uint64_t>(n));
    ASSERT_TRUE(root.ok());
    ASSERT_EQ(frontier.Root(), *root) << "size " << n;
    EXPECT_EQ(frontier.ToBytes().size(), 32u * static_cast<size_t>(__builtin_popcountll(n)));
  }
}

TEST(MerkleFrontierTest, SplitsAndPersistenceGiveTheSameRoots) {
  ledger::MemoryLogStorage log;
  std::vector<ledger::Hash> leaves;
  for (int i = 0; i < 1100; ++i) {
    const std::string entry = "leaf-" + std::to_string(i * 7919);
    ASSERT_TRUE(ledger::Append(log, entry).ok());
    leaves.push_back(ledger::LeafHash(entry));
  }
  std::mt19937 rng(42);
  for (int trial = 0; trial < 40; ++trial) {
    // Random batch boundaries; the frontier goes through bytes at each one (as it is persisted).
    ledger::MerkleFrontier f;
    uint64_t pos = 0;
    while (pos < leaves.size()) {
      const uint64_t step = 1 + rng() % 130;
      const uint64_t end = std::min<uint64_t>(leaves.size(), pos + step);
      for (; pos < end; ++pos) f.Append(leaves[pos]);
      auto again = ledger::MerkleFrontier::FromBytes(f.size(), f.ToBytes());
      ASSERT_TRUE(again.ok());
      f = *again;
      auto root = ledger::TreeRoot(log, pos);
      ASSERT_TRUE(root.ok());
      ASSERT_EQ(f.Root(), *root) << "trial " << trial << " size " << pos;
    }
  }
}

TEST(MerkleFrontierTest, FromBytesRefusesTheWrongNumberOfHashes) {
  EXPECT_FALSE(ledger::MerkleFrontier::FromBytes(3, std::string(32, 'x')).ok());
  EXPECT_FALSE(ledger::MerkleFrontier::FromBytes(0, std::string(1, 'x')).ok());
  EXPECT_TRUE(ledger::MerkleFrontier::FromBytes(4, std::string(32, 'x')).ok());
}

// ---- zstd --------------------------------------------------------------------------------------

TEST(ZstdTest, RoundTrip) {
  std::string data;
  for (int i = 0; i < 20000; ++i) data += "{\"n\":" + std::to_string(i) + ",\"t\":\"text\"}";
  const std::string z = ZstdCompress(data);
  EXPECT_LT(z.size(), data.size() / 5);
  auto back = ZstdDecompress(z, data.size());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, data);
  auto empty = ZstdDecompress(ZstdCompress(""), 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
}

TEST(ZstdTest, DecompressionBombIsRefused) {
  const std::string zeros(64 << 20, '\0');
  const std::string z = ZstdCompress(zeros, 19);
  ASSERT_LT(z.size(), 64u << 10);       // a small body ...
  auto r = ZstdDecompress(z, 1 << 20);  // ... that would be 64 MiB
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("limit"), std::string::npos);
}

TEST(ZstdTest, GarbageAndTruncationAreErrors) {
  EXPECT_FALSE(ZstdDecompress("not zstd at all", 1000).ok());
  EXPECT_FALSE(ZstdDecompress("", 1000).ok());
  const std::string z = ZstdCompress(std::string(10000, 'a') + std::string(10000, 'b'));
  EXPECT_FALSE(ZstdDecompress(z.substr(0, z.size() - 3), 100000).ok());
}

// ---- node information --------------------------------------------------------------------------

class NodeInfoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = ledger::SignerKey::Generate("ipdx/EP", ledger::KeyType::kEd25519);
    auto wit = ledger::SignerKey::Generate("ipdx/EP/witness", ledger::KeyType::kCosignatureV1);
    ASSERT_TRUE(log.ok() && wit.ok());
    log_vkey_ = log->verifier().ToString();
    witness_vkey_ = wit->verifier().ToString();
  }
  std::string Json(const std::string& office, const std::string& origin, const std::string& log,
                   const std::string& witness) {
    std::string keys = "{\"use\":\"log\",\"vkey\":\"" + log + "\"}";
    if (!witness.empty()) keys += ",{\"use\":\"witness\",\"vkey\":\"" + witness + "\"}";
    return "{\"office\":\"" + office + "\",\"logOrigin\":\"" + origin +
           "\",\"software\":{\"version\":\"0.1.0\"},\"publicKeys\":[" + keys + "]}";
  }
  std::string log_vkey_, witness_vkey_;
};

TEST_F(NodeInfoTest, ParsesOfficeOriginAndKeys) {
  auto info = ParseNodeInfo(Json("EP", "ipdx/EP", log_vkey_, witness_vkey_));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->office, "EP");
  EXPECT_EQ(info->origin, "ipdx/EP");
  EXPECT_EQ(info->log_vkey, log_vkey_);
  EXPECT_EQ(info->witness_vkey, witness_vkey_);
  EXPECT_EQ(info->software_version, "0.1.0");
  auto no_witness = ParseNodeInfo(Json("EP", "ipdx/EP", log_vkey_, ""));
  ASSERT_TRUE(no_witness.ok());
  EXPECT_TRUE(no_witness->witness_vkey.empty());
}

TEST_F(NodeInfoTest, ErrorsNameTheProblem) {
  auto expect_error = [](const std::string& json, const std::string& needle) {
    auto r = ParseNodeInfo(json);
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  expect_error("not json", "not JSON");
  expect_error("[1,2]", "not a JSON object");
  expect_error(R"({"logOrigin":"ipdx/EP","publicKeys":[]})", "office");
  expect_error(R"({"office":"EP","publicKeys":[]})", "logOrigin");
  expect_error(R"({"office":"EP","logOrigin":"ipdx/EP"})", "publicKeys");
  expect_error(R"({"office":"EP","logOrigin":"ipdx/EP","publicKeys":[]})", "use \"log\"");
  expect_error(Json("EP", "ipdx/EP", "ipdx/EP+00000000+AQ==", ""), "log key does not parse");
  expect_error(Json("EP", "ipdx/DE", log_vkey_, ""), "not the log origin");
  expect_error(Json("EP", "ipdx/EP", log_vkey_, log_vkey_), "cosignature/v1");
  expect_error(Json("EP", "ipdx/EP/witness", witness_vkey_, ""), "Ed25519");
}

TEST_F(NodeInfoTest, FingerprintIsSha256OfTheVkeyText) {
  auto key = ledger::VerifierKey::Parse(log_vkey_);
  ASSERT_TRUE(key.ok());
  const std::string fp = KeyFingerprint(*key);
  EXPECT_EQ(fp.rfind("SHA256:", 0), 0u);
  EXPECT_EQ(fp.size(), 7u + 43u);  // unpadded base64 of 32 bytes
  auto other = ledger::VerifierKey::Parse(witness_vkey_);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(KeyFingerprint(*other), fp);
}

// ---- change batches from a real store -----------------------------------------------------------

class BatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ipdx_exchange_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto store = store::Store::OpenSqlite((dir_ / "ipdx.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    ASSERT_TRUE(store_->SetLocalPublisher("EP").ok());
    auto key = ledger::SignerKey::Generate("ipdx/EP", ledger::KeyType::kEd25519);
    ASSERT_TRUE(key.ok());
    key_ = *key;
    // Real records: the DOCDB and CN/JP samples, then a second version of the first few (a
    // changed title) and a rights event, so the log mixes new records, versions and events.
    for (const char* folder : {"data/sample/docdb", "data/sample/cn-jp"}) {
      for (const auto& f : fs::directory_iterator(fs::path(IPDX_SOURCE_DIR) / folder)) {
        auto split = codec::DocumentSplitter::Open(f.path().string());
        ASSERT_TRUE(split.ok());
        for (;;) {
          auto doc = (*split)->Next();
          ASSERT_TRUE(doc.ok());
          if (!doc->has_value()) break;
          codec::Decoded d = codec::Decode(**doc);
          if (!d.record) continue;
          records_.push_back(*d.record);
        }
      }
    }
    ASSERT_GE(records_.size(), 6u);
    for (model::Record r : records_) ASSERT_TRUE(store_->PutRecord("EP", &r).ok());
    ASSERT_TRUE(ledger::SignCheckpoint(store_->Log(), key_).ok());
    first_size_ = *store_->Log().TreeSize();
    for (size_t i = 0; i < 3; ++i) {
      model::Record r = records_[i];
      r.titles.push_back({"en", "Second version " + std::to_string(i)});
      ASSERT_TRUE(store_->PutRecord("EP", &r).ok());
    }
    ledger::Entry ev;
    ev.type = ledger::EntryType::kRightsEvent;
    ev.publisher = "EP";
    ev.record_id = records_[0].Id();
    ev.record_version = 2;
    ev.recorded_at = "2024-05-01T12:00:00Z";
    ev.event = ledger::RightsEvent{ledger::RightsEventType::kGrant, "", "2024-04-30", {}, "", 0};
    ASSERT_TRUE(store_->AppendRightsEvent(ev).ok());
    ASSERT_TRUE(ledger::SignCheckpoint(store_->Log(), key_).ok());
    size_ = *store_->Log().TreeSize();
    trust_ = {"EP", "ipdx/EP", key_.verifier()};
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  ChangeBatch Fetch(const PeerSyncState& state, size_t limit, uint64_t tree_size = 0) {
    ChangeRequest req;
    req.after = state.cursor;
    req.limit = limit;
    req.known = state.checkpoint_size;
    req.tree_size = tree_size;
    auto json = BuildChangeBatch(*store_, req);
    EXPECT_TRUE(json.ok()) << json.status().ToString();
    if (!json.ok()) return {};
    auto batch = ParseChangeBatch(*json);
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    return batch.ok() ? *batch : ChangeBatch{};
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  ledger::SignerKey key_;
  std::vector<model::Record> records_;
  uint64_t first_size_ = 0, size_ = 0;
  PeerTrust trust_;
};

TEST_F(BatchTest, BuildParseFormatRoundTrip) {
  ChangeBatch b = Fetch({}, 4);
  EXPECT_EQ(b.origin, "ipdx/EP");
  EXPECT_EQ(b.after, 0u);
  EXPECT_EQ(b.next, 4u);
  EXPECT_EQ(b.tree_size, size_);
  ASSERT_EQ(b.entries.size(), 4u);
  EXPECT_FALSE(b.consistency.empty());
  for (size_t i = 0; i < b.entries.size(); ++i) {
    EXPECT_EQ(b.entries[i].leaf, i);
    auto rec = codec::FromJson(b.entries[i].record_json);
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(rec->Id(), records_[i].Id());
  }
  // Format and Parse are inverse up to the record JSON's member order.
  const std::string once = FormatChangeBatch(b);
  auto again = ParseChangeBatch(once);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(FormatChangeBatch(*again), once);
  // The tail batch carries the rights event without a record and no consistency proof.
  ChangeBatch tail = Fetch({.cursor = size_ - 1}, 10);
  ASSERT_EQ(tail.entries.size(), 1u);
  EXPECT_TRUE(tail.entries[0].record_json.empty());
  EXPECT_TRUE(tail.consistency.empty());
  EXPECT_EQ(tail.next, size_);
}

TEST_F(BatchTest, RequestsOutOfRangeAreInvalid) {
  ChangeRequest req;
  req.after = size_ + 1;
  EXPECT_EQ(BuildChangeBatch(*store_, req).status().code(), StatusCode::kInvalidArgument);
  req.after = 0;
  req.limit = 0;
  EXPECT_EQ(BuildChangeBatch(*store_, req).status().code(), StatusCode::kInvalidArgument);
  req.limit = 10;
  req.known = 3;  // no checkpoint of size 3
  EXPECT_EQ(BuildChangeBatch(*store_, req).status().code(), StatusCode::kInvalidArgument);
  req.known = 0;
  req.tree_size = 5;
  EXPECT_EQ(BuildChangeBatch(*store_, req).status().code(), StatusCode::kInvalidArgument);
  req.after = size_;
  req.tree_size = 0;
  auto empty = BuildChangeBatch(*store_, req);
  ASSERT_TRUE(empty.ok());
  auto b = ParseChangeBatch(*empty);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->entries.empty());
}

TEST_F(BatchTest, VerifiesInEveryBatchSizeUpToTheCheckpoint) {
  for (size_t limit : {1u, 2u, 3u, 5u, 1000u}) {
    PeerSyncState state;
    uint64_t records = 0;
    for (int guard = 0; guard < 1000; ++guard) {
      ChangeBatch b = Fetch(state, limit);
      std::string kind;
      auto v = VerifyChangeBatch(b, trust_, state, &kind);
      ASSERT_TRUE(v.ok()) << "limit " << limit << ": " << v.status().ToString();
      for (const auto& r : v->records) records += r.has_value();
      state = v->state;
      if (state.cursor == state.checkpoint_size) break;
    }
    EXPECT_EQ(state.cursor, size_);
    EXPECT_EQ(records, size_ - 1);  // every leaf but the rights event
  }
}

TEST_F(BatchTest, KnownCheckpointIsLinkedToTheNewOne) {
  // Sync to the first checkpoint only (a pinned tree size), then ask again: the batch proves
  // that the new checkpoint extends the old one.
  PeerSyncState state;
  while (state.cursor < first_size_ || state.checkpoint_size == 0) {
    ChangeBatch b = Fetch(state, 2, first_size_);
    auto v = VerifyChangeBatch(b, trust_, state, nullptr);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    state = v->state;
  }
  ASSERT_EQ(state.checkpoint_size, first_size_);
  ChangeBatch b = Fetch(state, 1);
  EXPECT_EQ(b.known, first_size_);
  EXPECT_FALSE(b.known_consistency.empty());
  auto v = VerifyChangeBatch(b, trust_, state, nullptr);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  // A wrong known proof is an inconsistency.
  b.known_consistency[0][0] ^= 1;
  std::string kind;
  auto bad = VerifyChangeBatch(b, trust_, state, &kind);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(kind, "inconsistent");
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
}

TEST_F(BatchTest, MutationsAreRefusedWithTheRightKind) {
  const ChangeBatch good = Fetch({}, 6);
  auto refuse = [&](ChangeBatch b, const std::string& expected_kind, StatusCode code) {
    std::string kind;
    auto v = VerifyChangeBatch(b, trust_, {}, &kind);
    ASSERT_FALSE(v.ok()) << expected_kind;
    EXPECT_EQ(kind, expected_kind) << v.status().ToString();
    EXPECT_EQ(v.status().code(), code) << v.status().ToString();
  };
  {
    ChangeBatch b = good;
    b.entries[2].entry[5] ^= 0x20;
    refuse(b, "tampered-entry", StatusCode::kCorruption);
  }
  {
    ChangeBatch b = good;
    auto rec = codec::FromJson(b.entries[1].record_json);
    ASSERT_TRUE(rec.ok());
    rec->titles.push_back({"en", "A title the publisher never logged"});
    b.entries[1].record_json = codec::ToJson(*rec);
    refuse(b, "tampered-record", StatusCode::kCorruption);
  }
  {
    ChangeBatch b = good;
    b.entries[1].record_json = b.entries[0].record_json;  // another record under this entry
    refuse(b, "tampered-record", StatusCode::kCorruption);
  }
  {
    ChangeBatch b = good;
    b.entries[3].record_json.clear();
    refuse(b, "tampered-record", StatusCode::kCorruption);
  }
  {
    ChangeBatch b = good;
    b.consistency[0][7] ^= 1;
    refuse(b, "tampered-entry", StatusCode::kCorruption);
  }
  {
    // The same origin, signed by another key.
    auto other = ledger::SignerKey::Generate("ipdx/EP", ledger::KeyType::kEd25519);
    ASSERT_TRUE(other.ok());
    auto note = ledger::ParseNote(good.checkpoint);
    ASSERT_TRUE(note.ok());
    auto resigned = ledger::SignNote(note->text, std::span<const ledger::SignerKey>(&*other, 1));
    ASSERT_TRUE(resigned.ok());
    ChangeBatch b = good;
    b.checkpoint = *resigned;
    refuse(b, "bad-signature", StatusCode::kPermissionDenied);
  }
  {
    // A peer that is pinned as another office cannot publish EP's entries.
    PeerTrust other = trust_;
    other.office = "DE";
    std::string kind;
    auto v = VerifyChangeBatch(good, other, {}, &kind);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(kind, "tampered-entry");
  }
  {
    ChangeBatch b = good;
    b.after = 1;
    std::string kind;
    auto v = VerifyChangeBatch(b, trust_, {}, &kind);
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(kind.empty());
  }
}

TEST_F(BatchTest, RollbackAndForkAgainstTheLastCheckpoint) {
  PeerSyncState synced;
  while (synced.checkpoint_size == 0 || synced.cursor < synced.checkpoint_size) {
    auto v = VerifyChangeBatch(Fetch(synced, 1000), trust_, synced, nullptr);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    synced = v->state;
  }
  // An older checkpoint after a newer one: rollback.
  {
    PeerSyncState state = synced;
    ChangeBatch b = Fetch({}, 1, first_size_);
    b.after = state.cursor;
    b.entries.clear();
    b.next = b.tree_size;  // keep the shape valid
    std::string kind;
    auto v = VerifyChangeBatch(b, trust_, state, &kind);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(kind, "rollback");
  }
  // The same size with another root, signed by the same key: fork.
  {
    auto note = ledger::ParseNote(synced.checkpoint);
    ASSERT_TRUE(note.ok());
    auto cp = ledger::ParseCheckpoint(note->text);
    ASSERT_TRUE(cp.ok());
    cp->root[0] ^= 1;
    auto forged = ledger::SignNote(ledger::FormatCheckpoint(*cp),
                                   std::span<const ledger::SignerKey>(&key_, 1));
    ASSERT_TRUE(forged.ok());
    ChangeBatch b;
    b.origin = "ipdx/EP";
    b.after = b.next = b.tree_size = synced.cursor;
    b.checkpoint = *forged;
    std::string kind;
    auto v = VerifyChangeBatch(b, trust_, synced, &kind);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(kind, "fork");
  }
}

TEST_F(BatchTest, RandomByteMutationsNeverCrash) {
  ChangeRequest req;
  req.limit = 4;
  auto json = BuildChangeBatch(*store_, req);
  ASSERT_TRUE(json.ok());
  std::mt19937 rng(7);
  int accepted = 0;
  for (int i = 0; i < 300; ++i) {
    std::string m = *json;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) m[rng() % m.size()] = static_cast<char>(rng() % 256);
    if (rng() % 5 == 0) m.resize(rng() % m.size());
    auto b = ParseChangeBatch(m);
    if (!b.ok()) continue;
    auto v = VerifyChangeBatch(*b, trust_, {}, nullptr);
    accepted += v.ok();
  }
  // A flip inside insignificant places (white space does not exist; a digit of a JSON number in
  // a record field is hashed) is almost never harmless; whatever passed must be the original.
  EXPECT_LE(accepted, 30);
}

}  // namespace
}  // namespace ipdx::exchange
