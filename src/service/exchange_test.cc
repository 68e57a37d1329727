// Exchange between in-process nodes of different offices: a direct PeerTransport calls
// BuildChangeBatch on the publisher's store (compressed as on the wire), so sync, witnessing and
// bundles run their real code on real sample records without a network.
#include "service/exchange.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "service/ledger.h"
#include "service/search.h"

namespace ipdx::service {
namespace {

namespace fs = std::filesystem;

const fs::path kSource(IPDX_SOURCE_DIR);

exchange::NodeInfo InfoOf(const Node& node) {
  return {node.config().office, node.log_key().name(), node.log_key().verifier().ToString(),
          WitnessPublicKey(node), "test"};
}

// Serves `publisher`'s feed in process. Hooks let tests fail or tamper with a batch.
class DirectTransport final : public exchange::PeerTransport {
 public:
  explicit DirectTransport(Node& publisher) : publisher_(publisher) {}
  Result<exchange::NodeInfo> GetNodeInfo() override { return InfoOf(publisher_); }
  Result<std::string> GetChanges(const exchange::ChangeRequest& request) override {
    ++calls;
    if (fail_on_call == calls) return Status::Unavailable("connection reset (test)");
    exchange::ChangeRequest r = request;
    r.tree_size = pin_tree_size;
    IPDX_ASSIGN_OR_RETURN(std::string json, exchange::BuildChangeBatch(publisher_.store(), r));
    if (tamper) {
      auto batch = exchange::ParseChangeBatch(json);
      if (!batch.ok()) return batch.status();
      tamper(*batch);
      json = exchange::FormatChangeBatch(*batch);
    }
    const std::string wire = exchange::ZstdCompress(json);
    bytes_ += wire.size();
    return exchange::ZstdDecompress(wire, exchange::kMaxBatchBytes);
  }
  Status PostCosignature(std::string_view cosigned) override {
    return AcceptCosignature(publisher_, cosigned).status();
  }
  uint64_t bytes_received() const override { return bytes_; }

  int calls = 0;
  int fail_on_call = 0;
  uint64_t pin_tree_size = 0;
  std::function<void(exchange::ChangeBatch&)> tamper;

 private:
  Node& publisher_;
  uint64_t bytes_ = 0;
};

class ExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ipdx_exchange_service_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override {
    nodes_.clear();
    fs::remove_all(root_);
  }

  Node& Make(const std::string& name, const std::string& office) {
    const std::string home = (root_ / name).string();
    EXPECT_TRUE(Node::Init(home, {office}).ok());
    return Open(name);
  }
  Node& Open(const std::string& name) {
    auto node = Node::Open((root_ / name).string());
    EXPECT_TRUE(node.ok()) << node.status().ToString();
    nodes_.push_back(std::move(node).value());
    return *nodes_.back();
  }

  static IngestSummary IngestPaths(Node& node, std::vector<std::string> paths) {
    IngestOptions opt;
    for (std::string& p : paths) p = (kSource / p).string();
    opt.paths = std::move(paths);
    opt.threads = 1;
    auto sum = Ingest(node, opt);
    EXPECT_TRUE(sum.ok()) << sum.status().ToString();
    return sum.ok() ? *sum : IngestSummary{};
  }

  // A (US) holds the USPTO samples; B (EP) pins A; A pins B (to accept its cosignatures).
  void MakeUsAndEp() {
    a_ = &Make("a", "US");
    b_ = &Make("b", "EP");
    auto sum =
        IngestPaths(*a_, {"data/sample/uspto", "src/service/testdata/us-application-v4-0-A1.xml",
                          "src/service/testdata/us-application-v4-5-A2.xml"});
    a_records_ = sum.accepted;
    ASSERT_GE(a_records_, 3u);
    ASSERT_TRUE(AddPeer(*b_, "us", "", InfoOf(*a_)).ok());
    ASSERT_TRUE(AddPeer(*a_, "ep", "", InfoOf(*b_)).ok());
  }

  uint64_t CopiesFrom(Node& node, const std::string& office) {
    auto n = node.store().CountCopiesFrom(office);
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : 0;
  }

  fs::path root_;
  std::vector<std::unique_ptr<Node>> nodes_;
  Node* a_ = nullptr;
  Node* b_ = nullptr;
  uint64_t a_records_ = 0;
};

TEST_F(ExchangeTest, PeersArePinnedOnceAndValidated) {
  MakeUsAndEp();
  EXPECT_EQ(AddPeer(*b_, "us2", "", InfoOf(*a_)).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(AddPeer(*b_, "us", "", InfoOf(*a_)).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(AddPeer(*b_, "me", "", InfoOf(*b_)).code(), StatusCode::kInvalidArgument);
  Node& c = Make("c", "JP");
  EXPECT_EQ(AddPeer(*b_, "bad name!", "", InfoOf(c)).code(), StatusCode::kInvalidArgument);
  auto peers = ListPeers(*b_);
  ASSERT_TRUE(peers.ok());
  ASSERT_EQ(peers->size(), 1u);
  EXPECT_EQ((*peers)[0].office, "US");
  EXPECT_EQ((*peers)[0].fingerprint, exchange::KeyFingerprint(a_->log_key().verifier()));
  EXPECT_EQ(GetPeer(*b_, "nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(RemovePeer(*b_, "nope").code(), StatusCode::kNotFound);
  // The witness key exists, is a cosignature key and is kept across opens.
  EXPECT_EQ(a_->witness_key().type(), ledger::KeyType::kCosignatureV1);
  EXPECT_TRUE(fs::exists(root_ / "a" / "keys" / "witness.key"));
  EXPECT_EQ((fs::status(root_ / "a" / "keys" / "witness.key").permissions() &
             (fs::perms::group_all | fs::perms::others_all)),
            fs::perms::none);
  const std::string before = WitnessPublicKey(*a_);
  Node& again = Open("a");
  EXPECT_EQ(WitnessPublicKey(again), before);
}

TEST_F(ExchangeTest, FullThenIncrementalSyncStoresIndexesAndWitnesses) {
  MakeUsAndEp();
  DirectTransport t(*a_);
  SyncOptions opt;
  opt.batch_entries = 2;
  std::vector<SyncProgress> progress;
  opt.on_progress = [&](const SyncProgress& p) { progress.push_back(p); };
  auto r = SyncPeer(*b_, "us", t, opt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto a_size = a_->store().Log().TreeSize();
  ASSERT_TRUE(a_size.ok());
  EXPECT_EQ(r->from_cursor, 0u);
  EXPECT_EQ(r->to_cursor, *a_size);
  EXPECT_EQ(r->records, a_records_);
  EXPECT_EQ(CopiesFrom(*b_, "US"), a_records_);
  EXPECT_FALSE(progress.empty());
  EXPECT_GT(r->bytes, 0u);
  EXPECT_TRUE(r->index_warning.empty()) << r->index_warning;
  // The copies are A's records, byte for byte in content.
  auto list = a_->store().ListRecords("", 100);
  ASSERT_TRUE(list.ok());
  for (const model::Record& rec : *list) {
    auto copy = b_->store().GetRecordFrom("US", rec.Id());
    ASSERT_TRUE(copy.ok()) << rec.Id();
    EXPECT_EQ(copy->hash, rec.hash);
    EXPECT_EQ(copy->version, rec.version);
  }
  // Search on B finds A's record, with A as publisher.
  search::SearchRequest q;
  q.query = "pn:\"" + (*list)[0].Id() + "\"";
  auto found = Search(*b_, q);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_GE(found->hits.size(), 1u);
  EXPECT_EQ(found->hits[0].publisher, "US");

  // Witnessing: B cosigned A's checkpoint and A kept the cosignature.
  EXPECT_TRUE(r->cosigned) << r->cosign_error;
  auto latest = LatestCheckpoint(*a_);
  ASSERT_TRUE(latest.ok());
  std::vector<ledger::VerifierKey> witnesses{b_->witness_key().verifier()};
  auto ok1 = CheckWitnesses(latest->note, witnesses, 1);
  EXPECT_TRUE(ok1.ok()) << ok1.status().ToString();
  EXPECT_EQ(CheckWitnesses(latest->note, witnesses, 2).status().code(),
            StatusCode::kInvalidArgument);
  Node& c = Make("c", "JP");
  witnesses.push_back(c.witness_key().verifier());
  EXPECT_EQ(CheckWitnesses(latest->note, witnesses, 2).status().code(),
            StatusCode::kPermissionDenied);
  auto peer = GetPeer(*b_, "us");
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(peer->cursor, *a_size);
  EXPECT_EQ(peer->lag, 0u);
  EXPECT_EQ(peer->records, a_records_);
  EXPECT_TRUE(peer->last_error.empty());

  // Incremental: A ingests more and adds a rights event; B gets exactly the new leaves.
  auto more = IngestPaths(*a_, {"data/sample/st96"});
  ASSERT_GE(more.accepted, 1u);
  RightsEventInput ev;
  ev.id = (*list)[0].Id();
  ev.type = "grant";
  ev.effective_date = "2024-04-30";
  ASSERT_TRUE(AddRightsEvents(*a_, std::span<const RightsEventInput>(&ev, 1)).ok());
  auto r2 = SyncPeer(*b_, "us", t, opt);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->from_cursor, *a_size);
  EXPECT_EQ(r2->records, more.accepted);
  EXPECT_EQ(r2->events, 1u);
  EXPECT_EQ(CopiesFrom(*b_, "US"), a_records_ + more.accepted);
  auto events = ListRightsEvents(*b_, ev.id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].entry.publisher, "US");
  // Nothing new: one empty round, no error.
  auto r3 = SyncPeer(*b_, "us", t, opt);
  ASSERT_TRUE(r3.ok()) << r3.status().ToString();
  EXPECT_EQ(r3->entries, 0u);
  // B's own log holds none of A's entries; B's records stay B's.
  auto b_log = b_->store().GetLogCounts();
  ASSERT_TRUE(b_log.ok());
  EXPECT_EQ(b_log->tree_size, 0u);
  EXPECT_TRUE(b_->store().CheckIntegrity().ok());
}

TEST_F(ExchangeTest, WireBytesAreAFractionOfTheRecordJson) {
  // The goal: bytes on the wire at most 30% of the records' JSON size (default batches).
  a_ = &Make("a", "US");
  b_ = &Make("b", "EP");
  auto sum = IngestPaths(*a_, {"data/sample/uspto", "data/sample/epo/grant", "data/sample/cn-jp"});
  ASSERT_GE(sum.accepted, 5u);
  ASSERT_TRUE(AddPeer(*b_, "us", "", InfoOf(*a_)).ok());
  DirectTransport t(*a_);
  auto r = SyncPeer(*b_, "us", t, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  uint64_t json_bytes = 0;
  auto list = a_->store().ListRecords("", 1000);
  ASSERT_TRUE(list.ok());
  for (const model::Record& rec : *list) {
    auto json = a_->store().GetRecordJson("US", rec.Id(), rec.version);
    ASSERT_TRUE(json.ok());
    json_bytes += json->size();
  }
  const double ratio = static_cast<double>(r->bytes) / static_cast<double>(json_bytes);
  std::printf("wire bytes %llu for %llu records of %llu JSON bytes: %.1f%%\n",
              static_cast<unsigned long long>(r->bytes),
              static_cast<unsigned long long>(r->records),
              static_cast<unsigned long long>(json_bytes), 100 * ratio);
  EXPECT_LE(ratio, 0.30);
}

TEST_F(ExchangeTest, ResumeAfterAFailureLosesAndDoublesNothing) {
  MakeUsAndEp();
  DirectTransport t(*a_);
  t.fail_on_call = 2;
  SyncOptions opt;
  opt.batch_entries = 1;
  auto r = SyncPeer(*b_, "us", t, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  auto peer = GetPeer(*b_, "us");
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(peer->cursor, 1u);
  EXPECT_FALSE(peer->last_error.empty());
  EXPECT_EQ(peer->evidence, 0u);
  EXPECT_EQ(CopiesFrom(*b_, "US"), 1u);
  // A new process resumes from the stored cursor.
  nodes_.pop_back();  // b
  nodes_.pop_back();  // a ... reopen both
  a_ = &Open("a");
  b_ = &Open("b");
  DirectTransport t2(*a_);
  auto r2 = SyncPeer(*b_, "us", t2, opt);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->from_cursor, 1u);
  EXPECT_EQ(r2->records, a_records_ - 1);
  EXPECT_EQ(CopiesFrom(*b_, "US"), a_records_);
  auto list = b_->store().ListRecords("", 100);
  ASSERT_TRUE(list.ok());
  for (const model::Record& rec : *list) {
    auto versions = b_->store().ListVersions(rec.Id());
    ASSERT_TRUE(versions.ok());
    EXPECT_EQ(versions->size(), 1u) << rec.Id();
  }
  // Removing and pinning again re-reads the feed from 0 without doubling anything.
  ASSERT_TRUE(RemovePeer(*b_, "us").ok());
  EXPECT_EQ(CopiesFrom(*b_, "US"), a_records_);
  ASSERT_TRUE(AddPeer(*b_, "us", "", InfoOf(*a_)).ok());
  auto r3 = SyncPeer(*b_, "us", t2, opt);
  ASSERT_TRUE(r3.ok()) << r3.status().ToString();
  EXPECT_EQ(r3->records, 0u);
  EXPECT_TRUE(b_->store().CheckIntegrity().ok());
}

class RefusalTest : public ExchangeTest {
 protected:
  // B synced A once; `t` then misbehaves; the refusal must keep evidence and nothing else.
  void ExpectRefused(DirectTransport& t, const std::string& kind, StatusCode code) {
    const uint64_t copies = CopiesFrom(*b_, "US");
    auto before = GetPeer(*b_, "us");
    ASSERT_TRUE(before.ok());
    SyncOptions opt;
    opt.batch_entries = 3;
    auto r = SyncPeer(*b_, "us", t, opt);
    ASSERT_FALSE(r.ok()) << kind;
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(kind), std::string::npos) << r.status().ToString();
    auto ev = ListEvidence(*b_, "us");
    ASSERT_TRUE(ev.ok());
    ASSERT_FALSE(ev->empty());
    EXPECT_EQ(ev->back().kind, kind);
    EXPECT_EQ(ev->back().checkpoint_before, before->checkpoint);
    EXPECT_FALSE(ev->back().checkpoint_after.empty());
    auto after = GetPeer(*b_, "us");
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->cursor, before->cursor);
    EXPECT_EQ(after->checkpoint, before->checkpoint);
    EXPECT_FALSE(after->last_error.empty());
    EXPECT_EQ(CopiesFrom(*b_, "US"), copies);
  }
};

TEST_F(RefusalTest, TamperedRecordEntryAndBadSignature) {
  MakeUsAndEp();
  IngestPaths(*a_, {"data/sample/st96"});
  {
    DirectTransport t(*a_);
    t.tamper = [](exchange::ChangeBatch& b) {
      for (auto& e : b.entries) {
        if (e.record_json.empty()) continue;
        auto rec = codec::FromJson(e.record_json);
        if (!rec.ok()) continue;
        rec->abstracts.push_back({"en", "Inserted by a man in the middle."});
        e.record_json = codec::ToJson(*rec);
        break;
      }
    };
    ExpectRefused(t, "tampered-record", StatusCode::kCorruption);
  }
  {
    DirectTransport t(*a_);
    t.tamper = [](exchange::ChangeBatch& b) {
      if (b.entries.size() > 1) b.entries[1].entry[10] ^= 0x01;
    };
    ExpectRefused(t, "tampered-entry", StatusCode::kCorruption);
  }
  {
    DirectTransport t(*a_);
    auto other = ledger::SignerKey::Generate(a_->log_key().name(), ledger::KeyType::kEd25519);
    ASSERT_TRUE(other.ok());
    t.tamper = [&](exchange::ChangeBatch& b) {
      auto note = ledger::ParseNote(b.checkpoint);
      ASSERT_TRUE(note.ok());
      auto resigned = ledger::SignNote(note->text, std::span<const ledger::SignerKey>(&*other, 1));
      ASSERT_TRUE(resigned.ok());
      b.checkpoint = *resigned;
    };
    ExpectRefused(t, "bad-signature", StatusCode::kPermissionDenied);
  }
  // After all that, an honest feed still syncs completely.
  DirectTransport honest(*a_);
  auto r = SyncPeer(*b_, "us", honest, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto peer = GetPeer(*b_, "us");
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(peer->evidence, 3u);
  EXPECT_TRUE(peer->last_error.empty());
}

TEST_F(RefusalTest, Rollback) {
  MakeUsAndEp();
  auto first = LatestCheckpoint(*a_);
  ASSERT_TRUE(first.ok());
  IngestPaths(*a_, {"data/sample/st96"});
  DirectTransport t(*a_);
  ASSERT_TRUE(SyncPeer(*b_, "us", t, {}).ok());
  DirectTransport old(*a_);
  old.pin_tree_size = first->checkpoint.tree_size;  // serves the older checkpoint
  ExpectRefused(old, "rollback", StatusCode::kCorruption);
}

TEST_F(RefusalTest, ForkFromACopiedKey) {
  // A and A' share the key files (copied before any ingest) and ingest different data of the
  // same size: two checkpoints of one size with different roots.
  a_ = &Make("a", "US");
  nodes_.clear();
  fs::copy(root_ / "a", root_ / "a2", fs::copy_options::recursive);
  a_ = &Open("a");
  Node& a2 = Open("a2");
  b_ = &Make("b", "EP");
  ASSERT_TRUE(AddPeer(*b_, "us", "", InfoOf(*a_)).ok());
  auto s1 = IngestPaths(*a_, {"src/service/testdata/us-application-v4-0-A1.xml"});
  auto s2 = IngestPaths(a2, {"src/service/testdata/us-application-v4-5-A2.xml"});
  ASSERT_EQ(s1.accepted, 1u);
  ASSERT_EQ(s2.accepted, 1u);
  ASSERT_EQ(a_->log_key().verifier().ToString(), a2.log_key().verifier().ToString());
  DirectTransport t(*a_);
  ASSERT_TRUE(SyncPeer(*b_, "us", t, {}).ok());
  DirectTransport forked(a2);
  ExpectRefused(forked, "fork", StatusCode::kCorruption);
  // A longer forked log cannot prove it extends what B verified: inconsistent.
  IngestPaths(a2, {"data/sample/st96"});
  DirectTransport longer(a2);
  ExpectRefused(longer, "inconsistent", StatusCode::kCorruption);
}

TEST_F(RefusalTest, ChangedKeyIsRefused) {
  MakeUsAndEp();
  Node& c = Make("c", "US");  // another US node: same origin, another key
  DirectTransport t(c);
  auto r = SyncPeer(*b_, "us", t, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  auto ev = ListEvidence(*b_, "us");
  ASSERT_TRUE(ev.ok());
  ASSERT_EQ(ev->size(), 1u);
  EXPECT_EQ((*ev)[0].kind, "key-changed");
  EXPECT_EQ(CopiesFrom(*b_, "US"), 0u);
}

TEST_F(ExchangeTest, AcceptCosignatureChecksTheWitnessAndTheCheckpoint) {
  MakeUsAndEp();
  auto latest = LatestCheckpoint(*a_);
  ASSERT_TRUE(latest.ok());
  auto by_b =
      ledger::AddCosignature(latest->note, a_->log_key().verifier(), b_->witness_key(), 1700000000);
  ASSERT_TRUE(by_b.ok());
  auto n = AcceptCosignature(*a_, *by_b);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  auto again = AcceptCosignature(*a_, *by_b);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  // An unpinned witness is refused.
  Node& c = Make("c", "JP");
  auto by_c =
      ledger::AddCosignature(latest->note, a_->log_key().verifier(), c.witness_key(), 1700000000);
  ASSERT_TRUE(by_c.ok());
  EXPECT_EQ(AcceptCosignature(*a_, *by_c).status().code(), StatusCode::kPermissionDenied);
  // A checkpoint A never signed is NotFound.
  auto b_latest = LatestCheckpoint(*b_);
  ASSERT_TRUE(b_latest.ok());
  auto foreign = ledger::AddCosignature(b_latest->note, b_->log_key().verifier(), b_->witness_key(),
                                        1700000000);
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(AcceptCosignature(*a_, *foreign).status().code(), StatusCode::kNotFound);
  auto stored = LatestCheckpoint(*a_);
  ASSERT_TRUE(stored.ok());
  EXPECT_NE(stored->note.find(b_->witness_key().name()), std::string::npos);
  EXPECT_TRUE(QuickCheckLog(*a_).ok());
}

TEST_F(ExchangeTest, BundleRoundTripGapAndTampering) {
  MakeUsAndEp();
  const std::string path = (root_ / "a.bundle").string();
  auto sum = ExportBundle(*a_, 0, path, nullptr);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(sum->from, 0u);
  EXPECT_EQ(sum->entries, sum->to);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  // Not pinned: refused.
  Node& c = Make("c", "JP");
  EXPECT_EQ(ImportBundle(c, path, {}).status().code(), StatusCode::kFailedPrecondition);

  // A tampered bundle (a record changed inside a batch) is refused with evidence.
  const std::string bad_path = (root_ / "bad.bundle").string();
  {
    exchange::BundleManifest manifest;
    auto reader = exchange::OpenBundle(path, &manifest);
    ASSERT_TRUE(reader.ok());
    auto writer = exchange::BundleWriter::Create(bad_path);
    ASSERT_TRUE(writer.ok());
    exchange::ChangeRequest req;
    auto body = (*reader)->GetChanges(req);
    ASSERT_TRUE(body.ok());
    auto batch = exchange::ParseChangeBatch(*body);
    ASSERT_TRUE(batch.ok());
    auto rec = codec::FromJson(batch->entries[0].record_json);
    ASSERT_TRUE(rec.ok());
    rec->titles.push_back({"en", "Forged"});
    batch->entries[0].record_json = codec::ToJson(*rec);
    manifest.batches = {"changes/000000.json.zst"};
    ASSERT_TRUE(
        (*writer)
            ->Add(manifest.batches[0], exchange::ZstdCompress(exchange::FormatChangeBatch(*batch)))
            .ok());
    ASSERT_TRUE((*writer)->Finish(manifest).ok());
  }
  auto refused = ImportBundle(*b_, bad_path, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
  auto ev = ListEvidence(*b_, "us");
  ASSERT_TRUE(ev.ok());
  ASSERT_EQ(ev->size(), 1u);
  EXPECT_EQ((*ev)[0].kind, "tampered-record");
  EXPECT_EQ(CopiesFrom(*b_, "US"), 0u);

  auto imported = ImportBundle(*b_, path, {});
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->records, a_records_);
  EXPECT_EQ(CopiesFrom(*b_, "US"), a_records_);

  // A later bundle that starts after B's cursor is a gap; one that overlaps is fine.
  IngestPaths(*a_, {"data/sample/st96"});
  auto size = a_->store().Log().TreeSize();
  ASSERT_TRUE(size.ok());
  const std::string gap_path = (root_ / "gap.bundle").string();
  ASSERT_TRUE(ExportBundle(*a_, *size, gap_path, nullptr).ok());
  EXPECT_EQ(ImportBundle(*b_, gap_path, {}).status().code(), StatusCode::kFailedPrecondition);
  const std::string overlap_path = (root_ / "overlap.bundle").string();
  ASSERT_TRUE(ExportBundle(*a_, 1, overlap_path, nullptr).ok());
  auto more = ImportBundle(*b_, overlap_path, {});
  ASSERT_TRUE(more.ok()) << more.status().ToString();
  EXPECT_GE(more->records, 1u);
  auto peer = GetPeer(*b_, "us");
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(peer->cursor, *size);
  // The first bundle again: older than what B verified; refused without evidence.
  EXPECT_EQ(ImportBundle(*b_, path, {}).status().code(), StatusCode::kFailedPrecondition);
  auto ev_after = ListEvidence(*b_, "us");
  ASSERT_TRUE(ev_after.ok());
  EXPECT_EQ(ev_after->size(), 1u);
}

}  // namespace
}  // namespace ipdx::service
