#pragma once
// ipdx::service ledger use-cases, shared by the CLI and the HTTP API: checkpoints, inclusion and
// consistency proofs, receipts, offline and on-node verification, rights events and the
// integrity check of the node's transparency log (docs/formats/ledger.md).
//
// The log lives in the node's store (store::Store::Log(); leaves are appended by PutRecord and
// AppendRightsEvent in the store's transactions); these functions coordinate it with the node's
// log key. Every function that reads the log first runs the cheap start-up check (QuickCheckLog),
// so a log that disagrees with its latest signed checkpoint is reported, never served.
//
// Threads: like Node, externally synchronised (one thread uses a Node at a time). The offline
// functions (VerifyReceiptJson, ParseTrustedKeys) are pure and thread-safe.
// Errors: NotFound for an unknown record, version, leaf or checkpoint size; InvalidArgument for
// bad input (event type, date, sizes); Corruption when stored data disagrees with its hashes or
// signed checkpoints (with the first bad leaf index); PermissionDenied for a wrong key or a bad
// signature.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ledger/ledger.h"
#include "service/service.h"
#include "store/store.h"

namespace ipdx::service {

// The node's log verifier key as vkey text ("ipdx/US+1a2b3c4d+AQ...").
std::string LogPublicKey(const Node& node);

struct SignedCheckpoint {
  std::string note;  // the signed note, verbatim (with any cosignatures)
  ledger::Checkpoint checkpoint;
  bool is_new = false;  // signed by this call
};

// Cheap check, O(log n): the latest signed checkpoint verifies with the node's key and its root
// equals the root recomputed from the stored hashes; the log is not shorter than it. Corruption
// otherwise (run CheckLog for the first bad leaf).
Status QuickCheckLog(Node& node);

// The latest stored checkpoint. NotFound when the log has none.
Result<SignedCheckpoint> LatestCheckpoint(Node& node);
// The stored checkpoint of `tree_size`. NotFound when none was signed at that size.
Result<SignedCheckpoint> CheckpointAt(Node& node, uint64_t tree_size);
// Signs and stores a checkpoint of the current tree when the log grew since the latest one (or
// none exists); otherwise returns the latest. Call it only after the leaves committed (outside a
// store transaction): a checkpoint must never cover leaves that are not durable.
Result<SignedCheckpoint> UpdateCheckpoint(Node& node);

// An inclusion proof of one leaf against a signed checkpoint, as a receipt (docs/formats/ledger.md
// §6). When the leaf is newer than the latest checkpoint, a new checkpoint is signed first.
Result<ledger::Receipt> LeafReceipt(Node& node, uint64_t leaf_index);
// The receipt of a record version of the node's own copy (current version when not given).
Result<ledger::Receipt> RecordReceipt(Node& node, const std::string& id,
                                      std::optional<int> version = std::nullopt);

struct ConsistencyProofResult {
  SignedCheckpoint old_checkpoint;
  SignedCheckpoint new_checkpoint;
  std::vector<ledger::Hash> proof;
};
// A consistency proof between two signed checkpoints of the node (new_size 0: the latest),
// verified before it is returned. NotFound when no checkpoint of a size was signed;
// InvalidArgument unless 0 < old_size <= new_size.
Result<ConsistencyProofResult> ProveConsistency(Node& node, uint64_t old_size, uint64_t new_size);

// Parses trusted verifier keys: each non-empty line of `text` is a vkey. InvalidArgument naming
// the line that does not parse; no keys at all is InvalidArgument too.
Result<std::vector<ledger::VerifierKey>> ParseTrustedKeys(std::string_view text);
// Offline verification of receipt JSON with `trusted` keys only (no node, no database):
// ledger::VerifyReceipt after parsing. The message of any failure says what is wrong.
Result<ledger::VerifiedReceipt> VerifyReceiptJson(std::string_view receipt_json,
                                                  std::span<const ledger::VerifierKey> trusted);

// k-of-n witnessing (docs/formats/exchange.md §5): OK when at least `min_witnesses` of the
// cosignature/v1 keys in `witnesses` cosigned the signed checkpoint note (each key counts once;
// the log's own signature is checked elsewhere). PermissionDenied naming how many did otherwise;
// InvalidArgument when min_witnesses exceeds the number of keys given or a key is not a witness
// key. Returns the keys whose cosignatures verified.
Result<std::vector<ledger::VerifierKey>> CheckWitnesses(
    std::string_view signed_checkpoint, std::span<const ledger::VerifierKey> witnesses,
    size_t min_witnesses);

struct RecordVerification {
  ledger::Receipt receipt;
  ledger::VerifiedReceipt verified;
  std::string content_hash;  // recomputed from the stored record, hex
};
// Verifies a stored version of the node's own copy against the log: its receipt verifies with the
// node's key, the entry names this id and version, and the content hash recomputed from the stored
// record equals the logged one (a record rewritten behind ipdx's back is Corruption).
Result<RecordVerification> VerifyRecord(Node& node, const std::string& id,
                                        std::optional<int> version = std::nullopt);

struct RightsEventInput {
  std::string id;              // publication id of a record the node holds
  std::string type;            // "grant", "assignment", ... (docs/formats/ledger.md §1.1)
  std::string st27_code;       // empty: the type's default detailed code
  std::string effective_date;  // YYYY-MM-DD
  std::vector<std::string> parties;
  std::string details;
  uint64_t supersedes = 0;  // correction: leaf index + 1 of the corrected entry
};
struct AddedEvents {
  std::vector<store::LoggedEvent> events;
  SignedCheckpoint checkpoint;  // covering them
};
// Appends the events as leaves of the node's log in one transaction (all or none), each recorded
// against the current version of the node's chosen copy of the record, then signs a checkpoint.
// NotFound when a record is not on the node; InvalidArgument for a bad type, code or date.
Result<AddedEvents> AddRightsEvents(Node& node, std::span<const RightsEventInput> events);
// Rights events of a record, in log order.
Result<std::vector<store::LoggedEvent>> ListRightsEvents(Node& node, const std::string& id);

struct LogCheckReport {
  store::LogCounts counts;
  uint64_t records_checked = 0;  // stored versions whose content hash was recomputed
  std::optional<SignedCheckpoint> latest;
};
// The full check: every leaf hash, stored node and checkpoint root recomputed from the stored
// entries (ledger::CheckIntegrity with the node's key), the store's own invariants (every local
// version has its leaf and each leaf its version), and every logged record version's content
// hash recomputed from the stored record. Corruption naming the first bad leaf index otherwise.
Result<LogCheckReport> CheckLog(Node& node);

// docs/formats/ledger.md §1.1 names of the rights event types, in event_type order.
std::vector<std::string> RightsEventTypeNames();

}  // namespace ipdx::service
