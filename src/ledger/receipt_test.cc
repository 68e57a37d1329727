// Log entries, receipts and the integrity check.
#include "ledger/test_util.h"

namespace ipdx::ledger {
namespace {

Entry RecordEntry(int i) {
  Entry e;
  e.type = EntryType::kRecordVersion;
  e.publisher = "US";
  e.record_id = "US-" + std::to_string(8936998 + i) + "-B2";
  e.record_version = 1 + i % 3;
  e.content_hash = Sha256("record content " + std::to_string(i));
  e.recorded_at = "2024-05-01T12:00:00Z";
  return e;
}

Entry EventEntry(RightsEventType type) {
  Entry e = RecordEntry(7);
  e.type = EntryType::kRightsEvent;
  e.record_version = 0;
  RightsEvent ev;
  ev.type = type;
  ev.effective_date = "2024-02-29";
  ev.parties = {"Acme Ltd.", "Société Générale"};
  ev.details = "recorded at reel 1234";
  e.event = ev;
  return e;
}

TEST(EntryTest, RoundTripAndExactBytes) {
  auto bytes = EncodeEntry(RecordEntry(0));
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  // version, type, "US", "US-8936998-B2", u32 1, 32-byte hash, timestamp.
  EXPECT_EQ(bytes->substr(0, 6), std::string("\x01\x01\x00\x02US", 6));
  EXPECT_EQ(bytes->size(), 2u + 4 + 15 + 4 + 32 + 22);
  auto back = DecodeEntry(*bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, RecordEntry(0));
  for (const RightsEventInfo& info : RightsEventTable()) {
    Entry e = EventEntry(info.type);
    auto b = EncodeEntry(e);
    ASSERT_TRUE(b.ok()) << info.name << ": " << b.status().ToString();
    auto d = DecodeEntry(*b);
    ASSERT_TRUE(d.ok()) << info.name;
    EXPECT_EQ(d->event->st27_code, info.default_code);
    EXPECT_EQ(d->event->st27_code[0], info.st27_category);
    EXPECT_EQ(*EncodeEntry(*d), *b);  // canonical
  }
  EXPECT_EQ(RightsEventTable().size(), 12u);
  EXPECT_EQ(RightsEventByName("security-interest")->st27_category, 'S');
  EXPECT_EQ(RightsEventByName("lapse")->default_code, "H13");
}

TEST(EntryTest, RejectsBadFields) {
  Entry e = EventEntry(RightsEventType::kOpposition);
  e.event->st27_code = "E11";  // pre-grant opposition is category E, not L
  EXPECT_FALSE(EncodeEntry(e).ok());
  e.event->st27_code = "L12";
  EXPECT_TRUE(EncodeEntry(e).ok());
  e.event->effective_date = "2023-02-29";
  EXPECT_FALSE(EncodeEntry(e).ok());
  Entry r = RecordEntry(1);
  r.publisher = "us";
  EXPECT_FALSE(EncodeEntry(r).ok());
  r = RecordEntry(1);
  r.record_version = 0;
  EXPECT_FALSE(EncodeEntry(r).ok());
  r = RecordEntry(1);
  r.record_id = "US-1\n-B2";
  EXPECT_FALSE(EncodeEntry(r).ok());

  const std::string good = *EncodeEntry(RecordEntry(2));
  EXPECT_FALSE(DecodeEntry(good + "x").ok());                       // trailing byte
  EXPECT_FALSE(DecodeEntry(good.substr(0, good.size() - 1)).ok());  // truncated
  std::string v2 = good;
  v2[0] = 2;
  EXPECT_FALSE(DecodeEntry(v2).ok());
}

struct TestLog {
  MemoryLogStorage storage;
  SignerKey key;
  std::vector<std::string> entries;
};

TestLog MakeLog(int n) {
  std::array<uint8_t, 32> seed{};
  seed[0] = 7;
  TestLog log{
      MemoryLogStorage{}, *SignerKey::FromSeed(DefaultOrigin("US"), KeyType::kEd25519, seed), {}};
  for (int i = 0; i < n; ++i) {
    std::string e =
        *EncodeEntry(i % 5 == 4 ? EventEntry(RightsEventType::kAssignment) : RecordEntry(i));
    EXPECT_EQ(*Append(log.storage, e), uint64_t(i));
    log.entries.push_back(e);
  }
  return log;
}

TEST(ReceiptTest, BuildAndVerifyOffline) {
  TestLog log = MakeLog(37);
  auto note = SignCheckpoint(log.storage, log.key);
  ASSERT_TRUE(note.ok());
  const std::vector<VerifierKey> trusted{log.key.verifier()};
  for (uint64_t i : {0u, 4u, 17u, 36u}) {
    auto r = BuildReceipt(log.storage, i, *note);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const std::string json = ReceiptToJson(*r);
    auto parsed = ReceiptFromJson(json);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    auto v = VerifyReceipt(*parsed, trusted);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(*EncodeEntry(v->entry), log.entries[i]);
    EXPECT_EQ(v->checkpoint.tree_size, 37u);
    EXPECT_EQ(parsed->key_name, "ipdx/US");
  }
  auto r = *BuildReceipt(log.storage, 17, *note);

  // Wrong key.
  auto other = SignerKey::Generate("ipdx/US", KeyType::kEd25519);
  auto wrong = VerifyReceipt(r, std::span(&other->verifier(), 1));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("wrong key"), std::string::npos);
  // Bad signature (checkpoint text altered: size changed).
  Receipt bad_sig = r;
  bad_sig.checkpoint.replace(bad_sig.checkpoint.find("\n37\n"), 4, "\n38\n");
  auto bs = VerifyReceipt(bad_sig, trusted);
  ASSERT_FALSE(bs.ok());
  EXPECT_NE(bs.status().message().find("bad signature"), std::string::npos);
  // Entry altered.
  Receipt bad_entry = r;
  bad_entry.entry.back() ^= 1;
  auto be = VerifyReceipt(bad_entry, trusted);
  ASSERT_FALSE(be.ok());
  EXPECT_NE(be.status().message().find("entry hash mismatch"), std::string::npos);
  // Entry and leaf hash altered consistently: the proof no longer leads to the root.
  bad_entry.leaf_hash = LeafHash(bad_entry.entry);
  auto bp = VerifyReceipt(bad_entry, trusted);
  ASSERT_FALSE(bp.ok());
  EXPECT_NE(bp.status().message().find("proof mismatch"), std::string::npos);
  Receipt bad_proof = r;
  bad_proof.inclusion_proof[0][5] ^= 4;
  EXPECT_EQ(VerifyReceipt(bad_proof, trusted).status().code(), StatusCode::kCorruption);
  EXPECT_FALSE(ReceiptFromJson("{\"format\":\"other\"}").ok());
  EXPECT_FALSE(ReceiptFromJson("not json").ok());
}

TEST(ReceiptTest, TlogProofTextMatchesDerivedVector) {
  const auto d = testing::LoadJson("signed_note_vectors.json")["derived_for_this_project"];
  const auto ref = testing::LoadJson("rfc6962_vectors.json");
  MemoryLogStorage s;
  for (const auto& hex : ref["reference_tree"]["leaf_inputs_hex"]) {
    ASSERT_TRUE(Append(s, testing::FromHex(hex.get<std::string>())).ok());
  }
  auto r = BuildReceipt(s, 3, d["checkpoint_size8_signed_and_cosigned"].get<std::string>());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReceiptToTlogProof(*r), d["tlog_proof_index3_size8"]);
  EXPECT_EQ(r->key_name, "example.org/ip-ledger-test");
}

TEST(IntegrityTest, CleanLogPasses) {
  TestLog log = MakeLog(300);
  ASSERT_TRUE(SignCheckpoint(log.storage, log.key).ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Append(log.storage, log.entries[i]).ok());
  ASSERT_TRUE(SignCheckpoint(log.storage, log.key).ok());
  EXPECT_TRUE(CheckIntegrity(log.storage, std::vector<VerifierKey>{log.key.verifier()}).ok());
  EXPECT_TRUE(CheckIntegrity(log.storage, {}).ok());
}

TEST(IntegrityTest, FlippedBitInEntryNamesTheLeaf) {
  TestLog log = MakeLog(300);
  ASSERT_TRUE(SignCheckpoint(log.storage, log.key).ok());
  std::string e = log.entries[123];
  e[10] ^= 0x01;
  log.storage.ReplaceEntryForTest(123, e);
  Status st = CheckIntegrity(log.storage, {});
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("leaf 123"), std::string::npos) << st.ToString();
  // Signing refuses nothing here (the stored hashes still match), but the check fails loudly.
}

TEST(IntegrityTest, FlippedBitInStoredHashIsReportedAndSigningRefuses) {
  TestLog log = MakeLog(300);
  ASSERT_TRUE(SignCheckpoint(log.storage, log.key).ok());
  Hash h = log.storage.ReadHashes(std::vector<NodeId>{{0, 200}}).value()[0];
  h[0] ^= 0x80;
  log.storage.ReplaceHashForTest({0, 200}, h);
  Status st = CheckIntegrity(log.storage, {});
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("leaf 200"), std::string::npos) << st.ToString();

  // A damaged node that the signed root depends on: signing refuses.
  Hash n = log.storage.ReadHashes(std::vector<NodeId>{{8, 0}}).value()[0];
  n[31] ^= 0x01;
  log.storage.ReplaceHashForTest({8, 0}, n);
  ASSERT_TRUE(Append(log.storage, log.entries[0]).ok());
  auto signed_again = SignCheckpoint(log.storage, log.key);
  EXPECT_EQ(signed_again.status().code(), StatusCode::kCorruption);
}

TEST(IntegrityTest, SigningRefusesNewLeavesWithWrongHashes) {
  TestLog log = MakeLog(20);
  ASSERT_TRUE(SignCheckpoint(log.storage, log.key).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Append(log.storage, log.entries[i]).ok());
  log.storage.ReplaceEntryForTest(25, log.entries[0] + "x");
  auto note = SignCheckpoint(log.storage, log.key);
  ASSERT_FALSE(note.ok());
  EXPECT_NE(note.status().message().find("leaf 25"), std::string::npos) << note.status().ToString();
}

TEST(IntegrityTest, MissingLeafIsReported) {
  TestLog log = MakeLog(50);
  ASSERT_TRUE(SignCheckpoint(log.storage, log.key).ok());
  log.storage.DropLastEntryForTest();
  Status st = CheckIntegrity(log.storage, {});
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("first missing leaf index 49"), std::string::npos) << st.ToString();
}

TEST(IntegrityTest, ConsistentlyRewrittenLogFailsAgainstCheckpoint) {
  TestLog log = MakeLog(40);
  ASSERT_TRUE(SignCheckpoint(log.storage, log.key).ok());  // size 40
  MemoryLogStorage rewritten;  // same entries except leaf 45, all hashes recomputed
  for (int i = 0; i < 60; ++i) {
    const std::string e = i < 40 ? log.entries[i] : *EncodeEntry(RecordEntry(i));
    if (i >= 40) {
      ASSERT_TRUE(Append(log.storage, e).ok());
    }
    ASSERT_TRUE(Append(rewritten, i == 45 ? *EncodeEntry(RecordEntry(1000)) : e).ok());
  }
  ASSERT_TRUE(SignCheckpoint(log.storage, log.key).ok());  // size 60
  const std::vector<uint64_t> sizes = *log.storage.CheckpointSizes();
  ASSERT_EQ(sizes, (std::vector<uint64_t>{40, 60}));
  for (uint64_t size : sizes) {
    ASSERT_TRUE(rewritten.StoreCheckpoint(size, *log.storage.ReadCheckpoint(size)).ok());
  }
  Status st = CheckIntegrity(rewritten, std::vector<VerifierKey>{log.key.verifier()});
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("[40, 60)"), std::string::npos) << st.ToString();
  // A checkpoint signed by another key is not accepted as the log's.
  auto other = SignerKey::Generate("ipdx/US", KeyType::kEd25519);
  EXPECT_EQ(CheckIntegrity(log.storage, std::span(&other->verifier(), 1)).code(),
            StatusCode::kCorruption);
}

}  // namespace
}  // namespace ipdx::ledger
