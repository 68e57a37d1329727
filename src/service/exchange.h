#pragma once
// ipdx::service exchange use-cases, shared by the CLI and the HTTP API: pinned peers, sync from a
// peer's change feed with full verification, witnessing (cosigning peers' checkpoints and
// collecting cosignatures of our own), and offline bundles (docs/formats/exchange.md).
//
// Trust: a peer is pinned by its log key (and witness key) once a person confirmed the
// fingerprint (`ipdx peer add`). Every entry received is checked against the peer's signed
// checkpoint and every checkpoint against the last one verified from that peer; a fork, a
// rollback, a bad signature or an entry that contradicts its proof stops the sync for that peer,
// keeps the evidence (both checkpoints) and keeps nothing of the bad batch. Records received are
// stored as the peer office's copies (store publisher = the peer's office), never overwriting a
// local copy, and are indexed for search like local ones.
//
// Threads: like Node, externally synchronised. Errors as in service/ledger.h; a refused batch is
// Corruption (fork, rollback, tampered entry or record) or PermissionDenied (signature), with a
// message naming the peer, the evidence id and what did not match.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "exchange/exchange.h"
#include "service/service.h"

namespace ipdx::service {

// The node's witness key as vkey text (cosignature/v1, type 0x04; HOME/keys/witness.key, created
// by Open when missing). Published at GET /ipdx/v1/node beside the log key.
std::string WitnessPublicKey(const Node& node);

struct PeerView {
  std::string name;  // local name, default: the peer's office code
  std::string url;   // base URL ("https://ipdx.example.org"); empty for bundle-only peers
  std::string office;
  std::string origin;
  std::string log_vkey;
  std::string witness_vkey;
  std::string fingerprint;  // exchange::KeyFingerprint of the log key
  std::string added_at;
  uint64_t cursor = 0;           // leaves of the peer's log applied here
  uint64_t checkpoint_size = 0;  // size of the latest checkpoint verified from the peer
  std::string checkpoint;        // that signed note, with the cosignatures it carried
  uint64_t witnesses = 0;        // cosignatures on it that verified with known witness keys
  uint64_t lag = 0;              // checkpoint_size - cursor
  uint64_t records = 0;          // record copies held from this peer
  std::string last_sync_at;
  std::string last_error;  // empty after a successful sync
  uint64_t evidence = 0;   // pieces of evidence kept against this peer
};

// Pins a peer after the caller (a person, or --yes) confirmed the fingerprint of `info`.
// AlreadyExists for a name, origin or log key already pinned; InvalidArgument for a peer of the
// node's own office or origin, or a bad name ([A-Za-z0-9._-]{1,64}).
Status AddPeer(Node& node, const std::string& name, const std::string& url,
               const exchange::NodeInfo& info);
// NotFound for an unknown name. Removing a peer keeps the records received from it.
Status RemovePeer(Node& node, const std::string& name);
Result<PeerView> GetPeer(Node& node, const std::string& name);
Result<std::vector<PeerView>> ListPeers(Node& node);

struct SyncProgress {
  std::string peer;
  uint64_t cursor = 0;  // leaves applied so far
  uint64_t target = 0;  // size of the peer's checkpoint being synced to
  uint64_t records = 0;
  uint64_t bytes = 0;  // received
};

struct SyncOptions {
  size_t batch_entries = exchange::kDefaultBatchEntries;
  bool cosign = true;  // cosign the verified checkpoint and send it back
  std::function<void(const SyncProgress&)> on_progress;  // may be empty
};

struct SyncReport {
  std::string peer;
  uint64_t from_cursor = 0;
  uint64_t to_cursor = 0;
  uint64_t entries = 0;       // leaves applied
  uint64_t records = 0;       // record versions stored
  uint64_t events = 0;        // rights events stored
  std::string checkpoint;     // the peer checkpoint synced to
  bool cosigned = false;      // our cosignature reached the peer
  std::string cosign_error;   // why not, when it did not
  std::string index_warning;  // as IngestSummary::index_warning
  uint64_t bytes = 0;         // received
  double seconds = 0;
};

// Pulls the peer's feed through `transport` until this node has every entry of the peer's
// latest checkpoint. Each batch is verified and then committed in one transaction together with
// the new cursor, so a killed sync resumes with nothing lost or doubled. The peer's node info
// must still name the pinned keys (a changed key is PermissionDenied: re-pin deliberately).
Result<SyncReport> SyncPeer(Node& node, const std::string& name, exchange::PeerTransport& transport,
                            const SyncOptions& options);

// Our own checkpoint note with a peer's cosignature: keeps every cosignature line that verifies
// with the witness key of a pinned peer over one of our stored checkpoints (they accumulate on
// the stored note, which GET /log/checkpoint serves). Returns how many new cosignatures were kept.
// NotFound when the checkpoint text matches none of ours; PermissionDenied when no line verifies.
Result<int> AcceptCosignature(Node& node, std::string_view cosigned_checkpoint);

struct EvidenceView {
  int64_t evidence_id = 0;
  std::string peer;
  std::string kind;  // "fork", "rollback", "inconsistent", "bad-signature", "tampered-entry",
                     // "tampered-record", "key-changed"
  std::string detected_at;
  std::string message;
  std::string checkpoint_before;  // the last checkpoint verified from the peer (may be empty)
  std::string checkpoint_after;   // the one that was refused
};
Result<std::vector<EvidenceView>> ListEvidence(Node& node, const std::string& peer);

// ---- offline bundles ----------------------------------------------------------------------------

struct BundleSummary {
  std::string path;
  std::string origin;
  uint64_t from = 0, to = 0;  // leaf range [from, to)
  uint64_t entries = 0;
  uint64_t bytes = 0;
};
// Writes one archive with our log entries [since, T), their records and events, the proofs and
// the latest signed checkpoint (size T), as the feed would serve them. The file appears complete
// or not at all (temporary name, then rename).
Result<BundleSummary> ExportBundle(Node& node, uint64_t since, const std::string& out_path,
                                   const std::function<void(const SyncProgress&)>& on_progress);
// Verifies and applies a bundle exactly as SyncPeer does (the bundle's origin must be a pinned
// peer; the bundle must start at or before this node's cursor for that peer).
Result<SyncReport> ImportBundle(Node& node, const std::string& path, const SyncOptions& options);

}  // namespace ipdx::service
