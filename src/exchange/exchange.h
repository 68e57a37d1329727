#pragma once
// ipdx::exchange: what offices exchange with each other (docs/formats/exchange.md).
//
//   * node information (GET /ipdx/v1/node) as a peer sees it, and key fingerprints for humans;
//   * change-feed batches: a run of the publisher's log entries with the record versions (or
//     rights events) they describe, the publisher's signed checkpoint and the proofs that tie the
//     run to it; built from a store, parsed, and verified by the receiver (VerifyChangeBatch)
//     before anything is kept;
//   * zstd, used for batches on the wire and in bundles;
//   * offline bundles: a tar of batches and a manifest (BundleWriter, OpenBundle);
//   * PeerTransport: how sync reaches a peer (HTTP in api/, a bundle here), so the sync logic in
//     service/ is the same for both and testable without a network.
//
// This module adapts the wire formats: nlohmann-json, zstd and libarchive stay private to it.
// Nothing here knows about HTTP. Threads: free functions are thread-safe for distinct arguments.
// Errors: malformed input is InvalidArgument naming the field; a signature that does not verify is
// PermissionDenied; data that contradicts its proofs or an earlier checkpoint is Corruption.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ledger/ledger.h"
#include "model/record.h"
#include "store/store.h"

namespace ipdx::exchange {

// What a node publishes about itself at GET /ipdx/v1/node.
struct NodeInfo {
  std::string office;            // ST.3 code
  std::string origin;            // checkpoint origin = log key name ("ipdx/EP")
  std::string log_vkey;          // Ed25519 note key (type 0x01) signing checkpoints
  std::string witness_vkey;      // cosignature/v1 key (type 0x04); empty when not published
  std::string software_version;  // "0.1.0"
};
// Parses the JSON body of GET /ipdx/v1/node (the "publicKeys" entries with use "log" and
// "witness"). InvalidArgument naming the missing or malformed field; the vkeys must parse and the
// log key's name must equal the origin.
Result<NodeInfo> ParseNodeInfo(std::string_view json);

// A fingerprint for people comparing keys over the phone: "SHA256:" + unpadded base64 of
// SHA-256 over the vkey text (as OpenSSH shows host keys).
std::string KeyFingerprint(const ledger::VerifierKey& key);

// ---- change batches (docs/formats/exchange.md §2) -----------------------------------------------

inline constexpr size_t kDefaultBatchEntries = 1000;
inline constexpr size_t kMaxBatchEntries = 10000;

struct ChangeRequest {
  uint64_t after = 0;                   // cursor: the number of leaves the caller already has
  size_t limit = kDefaultBatchEntries;  // 1..kMaxBatchEntries
  uint64_t known = 0;  // size of the latest checkpoint the caller verified (0: none)
  // Serve against the stored checkpoint of this size (0: the latest). Bundles pin one so that all
  // their batches share it; InvalidArgument when no checkpoint of that size is stored.
  uint64_t tree_size = 0;
};

// The batch body (JSON, uncompressed) for `request`, read from `store` (a read-only connection
// will do): entries [after, min(after + limit, T)) of the node's log with their record versions
// or rights events, where T is the size of the latest signed checkpoint; that checkpoint (with
// its cosignatures); the proof tying the run to it; and, when `known` is set, the consistency
// proof from the checkpoint of size `known` to T. InvalidArgument when after > T or `known`
// names no stored checkpoint; an empty `entries` list when after == T.
Result<std::string> BuildChangeBatch(store::Store& store, const ChangeRequest& request);

// A batch as data (docs/formats/exchange.md §2.1). Parse is strict about types and required
// fields (InvalidArgument naming the field) and checks nothing cryptographic; Format writes the
// same JSON that BuildChangeBatch serves, with `record_json` inserted verbatim.
struct BatchEntry {
  uint64_t leaf = 0;
  std::string entry;        // the log entry bytes (docs/formats/ledger.md §1)
  std::string record_json;  // the record version's JSON; empty for rights events
};
struct ChangeBatch {
  std::string origin;
  uint64_t after = 0;
  uint64_t next = 0;
  uint64_t tree_size = 0;                 // T, the size of `checkpoint`
  std::string checkpoint;                 // signed note, with the cosignatures the publisher holds
  std::vector<ledger::Hash> consistency;  // from `next` to T (empty when next is 0 or T)
  uint64_t known = 0;                     // start of known_consistency (0: none)
  std::vector<ledger::Hash> known_consistency;  // from `known` to T
  std::vector<BatchEntry> entries;              // leaves after .. next-1, in order
};
std::string FormatChangeBatch(const ChangeBatch& batch);
Result<ChangeBatch> ParseChangeBatch(std::string_view json);

// ---- verification (docs/formats/exchange.md §3) -------------------------------------------------

// What the receiver trusts about a pinned peer.
struct PeerTrust {
  std::string office;  // publisher of every entry in the peer's log
  std::string origin;
  ledger::VerifierKey log_key;
};
// What the receiver has verified from the peer so far.
struct PeerSyncState {
  uint64_t cursor = 0;
  ledger::MerkleFrontier frontier;  // of leaves [0, cursor)
  uint64_t checkpoint_size = 0;     // K, 0 before the first verified checkpoint
  std::string checkpoint;           // its signed note ("" before the first)
};
// A batch that passed every check, with what the receiver stores.
struct VerifiedBatch {
  ledger::Checkpoint checkpoint;  // T
  std::vector<ledger::Entry> entries;
  std::vector<std::optional<model::Record>> records;  // parallel to entries; set for versions
  PeerSyncState state;  // the new state: cursor = next, frontier, checkpoint T
};
// Verifies `batch` against `trust` and `state` (docs/formats/exchange.md §3). Errors:
// InvalidArgument for a malformed batch or one that does not start at the cursor;
// PermissionDenied for a checkpoint whose signature does not verify with the pinned key;
// Corruption when the data contradicts its proofs or an earlier checkpoint. For the last two
// *evidence_kind is set ("bad-signature", "rollback", "fork", "inconsistent", "tampered-entry",
// "tampered-record"); it is left empty for malformed input.
Result<VerifiedBatch> VerifyChangeBatch(const ChangeBatch& batch, const PeerTrust& trust,
                                        const PeerSyncState& state, std::string* evidence_kind);

// zstd frames. Decompress refuses output over `max_bytes` (InvalidArgument), so a hostile peer
// cannot exhaust memory with a small body.
std::string ZstdCompress(std::string_view data, int level = 3);
Result<std::string> ZstdDecompress(std::string_view data, size_t max_bytes);
inline constexpr size_t kMaxBatchBytes = size_t{1} << 30;  // decompressed batch limit

// ---- transport ---------------------------------------------------------------------------------

// How sync reaches one peer. Implementations: api::HttpPeerTransport (signed HTTP requests) and
// the bundle reader (service/exchange.h). Not thread-safe; one sync uses one transport.
class PeerTransport {
 public:
  virtual ~PeerTransport() = default;
  // The peer's node information.
  virtual Result<NodeInfo> GetNodeInfo() = 0;
  // The batch body (decompressed JSON) of GET /ipdx/v1/changes?after=&limit=&known=.
  virtual Result<std::string> GetChanges(const ChangeRequest& request) = 0;
  // Sends the peer our cosignature of its checkpoint: the peer's signed checkpoint note with our
  // cosignature line added (POST /ipdx/v1/log/cosignatures). FailedPrecondition for a bundle.
  virtual Status PostCosignature(std::string_view cosigned_checkpoint) = 0;
  // Bytes received from the peer so far (compressed, as on the wire), for reports and benchmarks.
  virtual uint64_t bytes_received() const = 0;
};

// ---- offline bundles (docs/formats/exchange.md §4)
// -----------------------------------------------

inline constexpr std::string_view kBundleFormat = "ipdx-bundle/1";
inline constexpr size_t kMaxBundleMemberBytes = size_t{1} << 30;

// bundle.json: what the archive holds.
struct BundleManifest {
  std::string origin;
  std::string log_vkey;
  uint64_t from = 0;  // leaf range [from, to) of the publisher's log
  uint64_t to = 0;    // = the checkpoint's size
  std::string checkpoint;
  // Consistency proofs from earlier signed checkpoint sizes (in [from, to)) to `to`, so a
  // receiver that verified one of them can link it to this checkpoint without a network.
  std::map<uint64_t, std::vector<ledger::Hash>> consistency;
  std::vector<std::string> batches;  // member names, in order
};
std::string FormatBundleManifest(const BundleManifest& manifest);
Result<BundleManifest> ParseBundleManifest(std::string_view json);

// Writes a bundle tar: members are added in order, bundle.json last (a reader that finds no
// manifest knows the archive is incomplete). The archive is written to `path` + ".tmp" and
// renamed by Finish, so the file appears complete or not at all. Externally synchronised.
class BundleWriter {
 public:
  static Result<std::unique_ptr<BundleWriter>> Create(const std::string& path);
  virtual ~BundleWriter() = default;
  virtual Status Add(const std::string& name, std::string_view bytes) = 0;
  virtual Status Finish(const BundleManifest& manifest) = 0;
  virtual uint64_t bytes_written() const = 0;
};

// A PeerTransport that serves a bundle's batches (opened from `path`): GetChanges(after) returns
// the batch holding `after` with the entries before it left out (and, when the caller's `known`
// checkpoint has a proof in the manifest, that proof), so verification is exactly sync's.
// FailedPrecondition when `after` is before the bundle's first leaf (a gap) or after its last;
// GetNodeInfo describes the manifest's origin and log key; PostCosignature is
// FailedPrecondition. InvalidArgument for an archive that is not a complete bundle.
Result<std::unique_ptr<PeerTransport>> OpenBundle(const std::string& path,
                                                  BundleManifest* manifest);

}  // namespace ipdx::exchange
