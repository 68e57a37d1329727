#pragma once
// ipdx::ledger: the node's transparency log (docs/formats/ledger.md).
//
// Contents, bottom-up:
//   * Merkle hashing and RFC 9162 proof verification (pure functions);
//   * LogStorage, the small storage interface the store implements in its own transaction, and
//     MemoryLogStorage for tests;
//   * log operations over a LogStorage: append, roots, inclusion and consistency proofs, tiles,
//     entry bundles, the integrity check;
//   * log entries (record versions and rights events, ST.27 categories);
//   * Ed25519 keys, C2SP signed notes, checkpoints and witness cosignatures;
//   * receipts: offline-verifiable proofs that an entry is in the log.
//
// Errors: malformed input is InvalidArgument (the message says which field or line), a signature
// problem is PermissionDenied, disagreement between stored data and its hashes or signed
// checkpoints is Corruption, storage failures pass through unchanged. Nothing here asserts on
// input. Threads: free functions are thread-safe for distinct arguments; value types are immutable
// after construction unless said otherwise; a LogStorage is externally synchronised (one writer).
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash.h"
#include "common/status.h"

namespace ipdx::ledger {

// ---------------------------------------------------------------------------------------------
// Merkle hashing (RFC 6962 §2.1)

using Hash = Sha256Digest;  // 32 bytes

// SHA-256 of the empty string: the root of the empty tree (not the hash of an empty leaf).
Hash EmptyRoot();
// SHA-256(0x00 || entry).
Hash LeafHash(std::string_view entry);
// SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);

// Standard base64 of a hash, as written in checkpoints, receipts and proofs.
std::string HashToBase64(const Hash& hash);

// Root of the tree with the given leaf hashes, computed in O(n) time and O(log n) memory.
Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes);

// RFC 9162 §2.1.3.2. OK when `proof` proves `leaf_hash` at `leaf_index` in the tree of
// `tree_size` leaves with root `root`; InvalidArgument (with the reason) otherwise.
Status VerifyInclusion(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root);
// The root implied by an inclusion proof (RFC 9162 steps 1-3), for callers that compare roots
// themselves.
Result<Hash> RootFromInclusionProof(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash,
                                    std::span<const Hash> proof);

// RFC 9162 §2.1.4.2 plus the edge cases of docs/formats/ledger.md §2: old_size > new_size and
// old_size == 0 are errors; equal sizes need an empty proof and equal roots.
Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof);

// The compact range (Merkle frontier) of leaves [0, size): the roots of the complete subtrees
// that the binary decomposition of `size` gives, largest first (popcount(size) <= 64 hashes).
// Enough to append leaves and compute the root of every later size without the earlier leaves:
// a change-feed receiver keeps one per peer (docs/formats/exchange.md §3). Value type; copyable;
// externally synchronised.
class MerkleFrontier {
 public:
  MerkleFrontier() = default;
  // Rebuilds from ToBytes(). InvalidArgument unless `bytes` holds popcount(size) hashes.
  static Result<MerkleFrontier> FromBytes(uint64_t size, std::string_view bytes);
  // The hashes, largest subtree first, 32 bytes each.
  std::string ToBytes() const;

  uint64_t size() const { return size_; }
  // The subtree roots, largest first: hashes()[i] is the root of the subtree of the i-th highest
  // set bit of size(); the last ones are the left siblings that the next leaf completes.
  std::span<const Hash> hashes() const { return hashes_; }
  void Append(const Hash& leaf_hash);
  // MTH(D[0:size]); EmptyRoot() for size 0.
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> hashes_;  // one per set bit of size_, largest subtree first
};

// Standard base64 (RFC 4648 §4) for exchange formats; decoding is strict (padding, no white
// space, zero unused bits) and returns nullopt for anything else.
std::string EncodeBase64(std::string_view bytes);
std::optional<std::string> DecodeBase64(std::string_view text);
// A base64 hash (32 bytes); nullopt otherwise.
std::optional<Hash> HashFromBase64(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Storage

// A stored complete-subtree hash: node (level, index) = MTH(D[index*2^level, (index+1)*2^level)).
struct NodeId {
  uint8_t level = 0;
  uint64_t index = 0;
  auto operator<=>(const NodeId&) const = default;
};

struct StoredHash {
  NodeId id;
  Hash hash{};
};

// What the log needs from persistent storage. The store implements it on its SQLite database so
// that an entry, its hashes and the record version it describes commit in one transaction; the
// transaction itself is the caller's business. Implementations are externally synchronised and
// there is one writer per log. Every method returns storage errors as IOError/Corruption.
class LogStorage {
 public:
  virtual ~LogStorage() = default;

  // Number of entries stored (= the next leaf index).
  virtual Result<uint64_t> TreeSize() const = 0;

  // Stores `entry` as leaf `leaf_index` together with `hashes` (the leaf hash and the
  // complete-subtree hashes that this leaf completes), all or nothing. `leaf_index` must equal
  // TreeSize(): FailedPrecondition otherwise (a concurrent writer). Returns `leaf_index`.
  virtual Result<uint64_t> AppendLeaf(uint64_t leaf_index, std::string_view entry,
                                      std::span<const StoredHash> hashes) = 0;

  // Entries [start, start + count); fewer when the log ends earlier (never an error for that).
  virtual Result<std::vector<std::string>> ReadEntries(uint64_t start, uint64_t count) const = 0;

  // The stored hashes of `ids`, in the same order. NotFound when one is not stored.
  virtual Result<std::vector<Hash>> ReadHashes(std::span<const NodeId> ids) const = 0;

  // ReadHashes for a root or proof at `tree_size`: InvalidArgument ("tree size N exceeds the
  // log's size M") when the log holds fewer leaves, else the hashes of `ids` (nodes inside that
  // tree). The default asks TreeSize() and then ReadHashes(); an implementation may answer both
  // with one read (one SQLite statement: sqlite_log.cc).
  virtual Result<std::vector<Hash>> ReadHashesAtSize(uint64_t tree_size,
                                                     std::span<const NodeId> ids) const;

  // The frontier (compact range) of the stored tree, when the implementation keeps one that it
  // knows to be current, so that Append needs no read; nullptr otherwise (the default), and then
  // Append reads the left siblings with ReadHashes. The pointer is valid until the next call on
  // the storage. An implementation that returns one must still refuse an AppendLeaf whose
  // leaf_index is not the stored size (FailedPrecondition) and forget the frontier then: Append
  // retries once without it.
  virtual Result<const MerkleFrontier*> CurrentFrontier() { return nullptr; }

  // Keeps a signed checkpoint note for `tree_size` (replacing one of the same size, which only
  // gains cosignatures).
  virtual Status StoreCheckpoint(uint64_t tree_size, std::string_view signed_note) = 0;
  // NotFound when no checkpoint of that size is stored.
  virtual Result<std::string> ReadCheckpoint(uint64_t tree_size) const = 0;
  // Sizes of all stored checkpoints, ascending.
  virtual Result<std::vector<uint64_t>> CheckpointSizes() const = 0;
};

// In-memory LogStorage for tests and tools. Externally synchronised. The *ForTest methods damage
// the data on purpose so that tests can exercise the integrity check.
class MemoryLogStorage final : public LogStorage {
 public:
  Result<uint64_t> TreeSize() const override;
  Result<uint64_t> AppendLeaf(uint64_t leaf_index, std::string_view entry,
                              std::span<const StoredHash> hashes) override;
  Result<std::vector<std::string>> ReadEntries(uint64_t start, uint64_t count) const override;
  Result<std::vector<Hash>> ReadHashes(std::span<const NodeId> ids) const override;
  Status StoreCheckpoint(uint64_t tree_size, std::string_view signed_note) override;
  Result<std::string> ReadCheckpoint(uint64_t tree_size) const override;
  Result<std::vector<uint64_t>> CheckpointSizes() const override;

  void ReplaceEntryForTest(uint64_t leaf_index, std::string entry);
  void ReplaceHashForTest(NodeId id, const Hash& hash);
  void DropLastEntryForTest();  // removes the last entry and leaves its hashes in place
  size_t stored_hash_count() const;

 private:
  std::vector<std::string> entries_;
  std::vector<std::vector<Hash>> levels_;  // levels_[l][i] = node (l, i)
  std::map<uint64_t, std::string> checkpoints_;
};

// ---------------------------------------------------------------------------------------------
// Log operations over a LogStorage. Each reads O(log n) stored hashes (CheckIntegrity reads
// everything).

// Appends one entry (at most 65,535 bytes) and its hashes; returns its leaf index.
Result<uint64_t> Append(LogStorage& storage, std::string_view entry);

// Root of the first `tree_size` leaves (tree_size <= stored size).
Result<Hash> TreeRoot(const LogStorage& storage, uint64_t tree_size);

// RFC 6962 PATH(leaf_index, D[tree_size]) from stored hashes; leaf_index < tree_size <= size.
Result<std::vector<Hash>> InclusionProof(const LogStorage& storage, uint64_t leaf_index,
                                         uint64_t tree_size);

// RFC 6962 PROOF(old_size, D[new_size]); 0 < old_size <= new_size <= size.
Result<std::vector<Hash>> ConsistencyProof(const LogStorage& storage, uint64_t old_size,
                                           uint64_t new_size);

// ---------------------------------------------------------------------------------------------
// Tiles (C2SP tlog-tiles v0.1.0)

struct TileId {
  uint8_t level = 0;     // 0..63; level L holds stored nodes of height 8*L
  uint64_t index = 0;    // tile index N
  uint16_t width = 256;  // 1..256; < 256 is a partial tile
  bool operator==(const TileId&) const = default;
};

// "tile/<L>/<N>[.p/<W>]", N in x-prefixed 3-digit groups.
std::string TilePath(const TileId& tile);
// "tile/entries/<N>[.p/<W>]".
std::string EntryBundlePath(uint64_t index, uint16_t width);
// The entry bundle holding leaf `leaf_index` for a tree of `tree_size` leaves.
Result<std::string> EntryBundlePathForLeaf(uint64_t leaf_index, uint64_t tree_size);
// Parses the level and index parts of a tile path (as split by a router: level "0", index
// "x001/x234/067.p/89"); strict (no leading "x" on the last group, exactly 3 digits a group).
Result<TileId> ParseTilePath(std::string_view level, std::string_view index);
// All tiles (full, then the partial one) of every level for a tree of `tree_size` leaves.
std::vector<TileId> TilesForSize(uint64_t tree_size);

// Tile bytes (width * 32) for a tree of `tree_size` leaves; the width must be the one that size
// implies (full tiles are always allowed once complete). NotFound for tiles beyond the tree.
Result<std::string> ReadTile(const LogStorage& storage, const TileId& tile, uint64_t tree_size);
// Entry bundle bytes: uint16 BE length || entry, for entries [256*index, 256*index + width).
Result<std::string> ReadEntryBundle(const LogStorage& storage, uint64_t index, uint16_t width,
                                    uint64_t tree_size);
// Splits an entry bundle back into entries (InvalidArgument on a truncated bundle).
Result<std::vector<std::string>> ParseEntryBundle(std::string_view bundle);

// ---------------------------------------------------------------------------------------------
// Log entries (docs/formats/ledger.md §1)

inline constexpr uint8_t kEntryFormatVersion = 1;
inline constexpr size_t kMaxEntryBytes = 65535;

enum class EntryType : uint8_t { kRecordVersion = 1, kRightsEvent = 2 };

enum class RightsEventType : uint8_t {
  kFiling = 1,
  kPublication = 2,
  kGrant = 3,
  kAssignment = 4,
  kLicence = 5,
  kSecurityInterest = 6,
  kRenewal = 7,
  kLapse = 8,
  kRestoration = 9,
  kOpposition = 10,
  kCorrection = 11,
  kClassificationConfirmed = 12,
};

struct RightsEventInfo {
  RightsEventType type;
  std::string_view name;            // "security-interest"
  char st27_category;               // 'S'
  std::string_view default_code;    // "S20"
  std::string_view category_title;  // "Licensing information recorded"
};
// The 12 rows of the table in docs/formats/ledger.md §1.1, in event_type order.
std::span<const RightsEventInfo> RightsEventTable();
Result<RightsEventInfo> RightsEventByName(std::string_view name);
const RightsEventInfo& RightsEventInfoFor(RightsEventType type);

struct RightsEvent {
  RightsEventType type = RightsEventType::kFiling;
  std::string st27_code;  // e.g. "F11"; empty: the type's default code (decoding always fills it)
  std::string effective_date;  // YYYY-MM-DD
  std::vector<std::string> parties;
  std::string details;
  uint64_t supersedes = 0;  // leaf index + 1 of the corrected entry; 0 = none
  bool operator==(const RightsEvent&) const = default;
};

struct Entry {
  EntryType type = EntryType::kRecordVersion;
  std::string publisher;  // ST.3
  std::string record_id;  // "US-8936998-B2"
  uint32_t record_version = 0;
  Hash content_hash{};
  std::string recorded_at;           // "YYYY-MM-DDThh:mm:ssZ"
  std::optional<RightsEvent> event;  // set iff type == kRightsEvent
  bool operator==(const Entry&) const = default;
};

// Canonical bytes; InvalidArgument naming the field that breaks a rule of §1.
Result<std::string> EncodeEntry(const Entry& entry);
// Strict inverse of EncodeEntry.
Result<Entry> DecodeEntry(std::string_view bytes);

// ---------------------------------------------------------------------------------------------
// Keys and signed notes (C2SP signed-note v1.0.0)

enum class KeyType : uint8_t { kEd25519 = 0x01, kCosignatureV1 = 0x04 };

// SHA-256(name || 0x0A || type || public_key)[:4] as a big-endian integer.
uint32_t KeyId(std::string_view name, KeyType type, std::span<const uint8_t, 32> public_key);
// A valid key name: non-empty UTF-8, no white space, no '+'.
bool IsValidKeyName(std::string_view name);

// A public key that can verify note signatures. Immutable; copyable; thread-safe.
class VerifierKey {
 public:
  // Parses "<name>+<hex id>+<base64(type || key)>"; the id must match the key.
  static Result<VerifierKey> Parse(std::string_view vkey);
  static Result<VerifierKey> FromPublicKey(std::string name, KeyType type,
                                           std::span<const uint8_t, 32> public_key);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  KeyType type() const { return type_; }
  const std::array<uint8_t, 32>& public_key() const { return public_key_; }
  std::string ToString() const;  // the vkey text

  // Verifies a signature line's bytes after the key id over the note `text`. For cosignature
  // keys `signature` is timestamp || sig and the signed message is the cosignature/v1 message.
  bool Verify(std::string_view text, std::string_view signature) const;

 private:
  std::string name_;
  KeyType type_ = KeyType::kEd25519;
  uint32_t key_id_ = 0;
  std::array<uint8_t, 32> public_key_{};
};

struct NoteSignature {
  std::string key_name;
  uint32_t key_id = 0;
  std::string signature;  // bytes after the key id
  bool operator==(const NoteSignature&) const = default;
};

struct Note {
  std::string text;  // includes the final newline
  std::vector<NoteSignature> signatures;
};

// A private Ed25519 key. Holds secret material: copy sparingly, never log. Thread-safe.
class SignerKey {
 public:
  // A fresh key from the operating system's random source.
  static Result<SignerKey> Generate(std::string name, KeyType type);
  static Result<SignerKey> FromSeed(std::string name, KeyType type,
                                    std::span<const uint8_t, 32> seed);
  // Parses "PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>".
  static Result<SignerKey> Parse(std::string_view skey);

  const std::string& name() const { return verifier_.name(); }
  uint32_t key_id() const { return verifier_.key_id(); }
  KeyType type() const { return verifier_.type(); }
  const VerifierKey& verifier() const { return verifier_; }
  std::string ToString() const;  // the skey text

  // Signs note text (KeyType::kEd25519 keys only).
  Result<NoteSignature> Sign(std::string_view text) const;
  // Cosigns a checkpoint note text at `timestamp` (KeyType::kCosignatureV1 keys only).
  Result<NoteSignature> Cosign(std::string_view checkpoint_text, uint64_t timestamp) const;

 private:
  VerifierKey verifier_;
  std::array<uint8_t, 32> seed_{};
};

// Strict parse of a signed note (every malformation is InvalidArgument naming the line).
Result<Note> ParseNote(std::string_view message);
std::string FormatNote(const Note& note);
// Signs `text` (which must end in "\n") with each signer: the signed note message.
Result<std::string> SignNote(std::string_view text, std::span<const SignerKey> signers);

struct VerifiedNote {
  Note note;
  std::vector<VerifierKey> verified_by;  // trusted keys whose signatures verified
};
// Parses and verifies: signatures by unknown keys are ignored; a trusted key's failing signature
// or no trusted signature at all is PermissionDenied naming the keys.
Result<VerifiedNote> OpenNote(std::string_view message, std::span<const VerifierKey> trusted);

// ---------------------------------------------------------------------------------------------
// Checkpoints (C2SP tlog-checkpoint v1.0.0) and cosignatures (tlog-cosignature v1.0.1)

struct Checkpoint {
  std::string origin;
  uint64_t tree_size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // extra lines, without "\n"
  bool operator==(const Checkpoint&) const = default;
};

Result<Checkpoint> ParseCheckpoint(std::string_view note_text);
std::string FormatCheckpoint(const Checkpoint& checkpoint);

// "cosignature/v1\ntime <timestamp>\n" + checkpoint text: the bytes a witness signs.
std::string CosignatureMessage(uint64_t timestamp, std::string_view checkpoint_text);
// The timestamp of a cosignature/v1 signature line (InvalidArgument unless 72 bytes).
Result<uint64_t> CosignatureTimestamp(const NoteSignature& signature);
// Adds `witness`'s cosignature at `timestamp` to a signed checkpoint note; the log's signature
// must verify with `log_key` first (a witness never cosigns what it could not check).
Result<std::string> AddCosignature(std::string_view signed_checkpoint, const VerifierKey& log_key,
                                   const SignerKey& witness, uint64_t timestamp);

// The keys among `witnesses` (cosignature/v1 keys) whose cosignature line on the signed
// checkpoint note verifies, each key at most once, in the order of `witnesses`. The log's own
// signature is not checked here (OpenNote does that). InvalidArgument for a malformed note.
Result<std::vector<VerifierKey>> VerifiedWitnesses(std::string_view signed_checkpoint,
                                                   std::span<const VerifierKey> witnesses);

// The default checkpoint origin (and log key name) of a node: "ipdx/<OFFICE>".
std::string DefaultOrigin(std::string_view office);

// Signs a checkpoint of the current tree with the log key (origin = key name), stores it in
// `storage` and returns the signed note.
Result<std::string> SignCheckpoint(LogStorage& storage, const SignerKey& log_key);

// Recomputes everything from the stored entries and compares it with the stored hashes and the
// stored checkpoints (whose signatures are checked against `log_keys` when it is not empty).
// OK, or Corruption naming the first bad leaf index or range (docs/formats/ledger.md §7).
Status CheckIntegrity(const LogStorage& storage, std::span<const VerifierKey> log_keys);

// Key files: the skey text in a file created with mode 0600 (AlreadyExists if present); reading
// refuses a file that group or others can read (PermissionDenied).
Status WritePrivateKeyFile(const std::string& path, const SignerKey& key);
Result<SignerKey> ReadPrivateKeyFile(const std::string& path);

// ---------------------------------------------------------------------------------------------
// Receipts (docs/formats/ledger.md §6)

struct Receipt {
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  std::string entry;  // entry bytes
  Hash leaf_hash{};
  std::vector<Hash> inclusion_proof;
  std::string checkpoint;  // signed note
  std::string key_name;
  uint32_t key_id = 0;
};

// A receipt for leaf `leaf_index` against the signed checkpoint note `signed_checkpoint` (which
// must cover the leaf and match the stored tree); the key fields name the note's first signer.
Result<Receipt> BuildReceipt(const LogStorage& storage, uint64_t leaf_index,
                             std::string_view signed_checkpoint);
std::string ReceiptToJson(const Receipt& receipt);
Result<Receipt> ReceiptFromJson(std::string_view json);
// C2SP tlog-proof@v1 text form of the same proof (no "extra" line).
std::string ReceiptToTlogProof(const Receipt& receipt);

struct VerifiedReceipt {
  Entry entry;
  Checkpoint checkpoint;
  std::vector<VerifierKey> verified_by;
};
// Offline verification with `trusted` keys only. PermissionDenied for a wrong key or bad
// signature, InvalidArgument for a malformed receipt, Corruption for an entry hash or proof
// mismatch; each message says which.
Result<VerifiedReceipt> VerifyReceipt(const Receipt& receipt, std::span<const VerifierKey> trusted);

}  // namespace ipdx::ledger
