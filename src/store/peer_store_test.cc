// Schema version 5: pinned peers, the peer-log mirror, evidence, and the migration from version 4.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "ledger/ledger.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace ipdx::store {
namespace {

namespace fs = std::filesystem;

class PeerStoreTest : public StoreFileTest {
 protected:
  static PeerRow Peer(const std::string& name, const std::string& origin) {
    auto key = ledger::SignerKey::Generate(origin, ledger::KeyType::kEd25519);
    EXPECT_TRUE(key.ok());
    PeerRow p;
    p.name = name;
    p.url = "https://" + name + ".example.org";
    p.office = name == "us" ? "US" : "EP";
    p.origin = origin;
    p.log_vkey = key->verifier().ToString();
    return p;
  }

  static std::string EventEntry(const std::string& id, uint32_t version) {
    ledger::Entry e;
    e.type = ledger::EntryType::kRightsEvent;
    e.publisher = "US";
    e.record_id = id;
    e.record_version = version;
    e.recorded_at = "2024-05-01T12:00:00Z";
    e.event =
        ledger::RightsEvent{ledger::RightsEventType::kAssignment, "", "2024-04-01", {"X"}, "", 0};
    auto bytes = ledger::EncodeEntry(e);
    EXPECT_TRUE(bytes.ok());
    return bytes.ok() ? *bytes : "";
  }
};

TEST_F(PeerStoreTest, PeersAreUniqueAndKeepTheirSyncState) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const PeerRow us = Peer("us", "ipdx/US");
  ASSERT_TRUE(store->AddPeer(us).ok());
  EXPECT_EQ(store->AddPeer(us).code(), StatusCode::kAlreadyExists);
  PeerRow same_origin = Peer("us2", "ipdx/US");
  EXPECT_EQ(store->AddPeer(same_origin).code(), StatusCode::kAlreadyExists);
  PeerRow same_key = Peer("us3", "ipdx/US3");
  same_key.log_vkey = us.log_vkey;
  EXPECT_EQ(store->AddPeer(same_key).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(store->AddPeer(Peer("ep", "ipdx/EP")).ok());

  PeerRow state = us;
  state.cursor = 3;
  state.frontier = std::string(64, '\x07');  // popcount(3) hashes, with a NUL-free pattern
  state.frontier[5] = '\0';                  // blobs keep NUL bytes
  state.checkpoint_size = 5;
  state.checkpoint = "ipdx/US\n5\nAAAA\n\n— sig\n";
  state.last_error = "Unavailable: x";
  ASSERT_TRUE(store->UpdatePeer(state).ok());
  store.reset();
  store = Open();
  auto got = store->GetPeer("us");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->cursor, 3u);
  EXPECT_EQ((*got)->frontier, state.frontier);
  EXPECT_EQ((*got)->checkpoint_size, 5u);
  EXPECT_EQ((*got)->checkpoint, state.checkpoint);
  EXPECT_EQ((*got)->last_error, state.last_error);
  EXPECT_FALSE((*got)->added_at.empty());
  auto all = store->ListPeers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "ep");
  PeerRow ghost = us;
  ghost.name = "ghost";
  EXPECT_EQ(store->UpdatePeer(ghost).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->RemovePeer("us").ok());
  EXPECT_EQ(store->RemovePeer("us").code(), StatusCode::kNotFound);
  auto gone = store->GetPeer("us");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(PeerStoreTest, MirrorIsIdempotentAndFeedsRightsEvents) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const std::string e0 = EventEntry("US-1-B1", 1);
  const std::string e1 = EventEntry("US-2-B1", 1);
  auto first = store->PutPeerEntry("ipdx/US", 0, e0);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto again = store->PutPeerEntry("ipdx/US", 0, e0);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(store->PutPeerEntry("ipdx/US", 0, e1).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(store->PutPeerEntry("ipdx/US", 1, "garbage").status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(store->PutPeerEntry("ipdx/US", 1, e1).ok());
  ASSERT_TRUE(store->PutPeerEntry("ipdx/US", 3, e1).ok());
  auto read = store->ReadPeerEntries("ipdx/US", 0, 10);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 2u);  // leaf 2 is missing: the run ends there
  EXPECT_EQ((*read)[1], e1);
  auto events = store->ListRightsEvents("US-2-B1");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].leaf_index, 1u);
  EXPECT_EQ((*events)[0].entry.publisher, "US");
  EXPECT_EQ((*events)[1].leaf_index, 3u);
}

TEST_F(PeerStoreTest, EvidenceIsKeptPerPeer) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EvidenceRow e;
  e.peer = "us";
  e.origin = "ipdx/US";
  e.kind = "fork";
  e.message = "two roots";
  e.checkpoint_before = "a";
  e.checkpoint_after = "b";
  auto id1 = store->PutEvidence(e);
  e.peer = "ep";
  auto id2 = store->PutEvidence(e);
  ASSERT_TRUE(id1.ok() && id2.ok());
  EXPECT_LT(*id1, *id2);
  auto us = store->ListEvidence("us");
  ASSERT_TRUE(us.ok());
  ASSERT_EQ(us->size(), 1u);
  EXPECT_EQ((*us)[0].kind, "fork");
  EXPECT_EQ((*us)[0].checkpoint_after, "b");
  EXPECT_FALSE((*us)[0].detected_at.empty());
  EXPECT_EQ(store->ListEvidence("")->size(), 2u);
}

TEST_F(PeerStoreTest, MigratesFromVersionFour) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->SetLocalPublisher("EP").ok());
  }
  // What a version 4 store looks like: none of the exchange tables.
  RawExec("DROP TABLE peers; DROP TABLE peer_log; DROP TABLE evidence; PRAGMA user_version = 4;");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), 5);
  EXPECT_TRUE(store->AddPeer(Peer("us", "ipdx/US")).ok());
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

}  // namespace
}  // namespace ipdx::store
