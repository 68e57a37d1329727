#pragma once
// ipdx::store: the Store interface and its default SQLite implementation (docs/formats/store.md).
//
// The store keeps every version of every record (keyed by publisher + publication id), the
// rejects of every ingest (source file, byte offset, rule, message) and the ingest runs with
// their counts. Writes happen in explicit transactions so a batch of documents commits
// atomically. A Store is externally synchronised: one thread at a time.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/codec.h"
#include "common/status.h"
#include "ledger/ledger.h"
#include "model/record.h"

namespace ipdx::store {

// Schema version this binary creates and migrates to (docs/formats/store.md).
inline constexpr int kSchemaVersion = 5;

enum class PutOutcome { kNew, kUpdated, kUnchanged };

struct PutResult {
  PutOutcome outcome = PutOutcome::kNew;
  int version = 0;   // version now current
  std::string hash;  // content hash of that version
};

struct RejectRow {
  int64_t run_id = 0;
  std::string file;
  uint64_t offset = 0;
  std::string source_sha256;  // of the rejected document bytes
  std::string id;             // publication id when known
  std::string format;
  std::string rule;
  std::string field;
  std::string message;
  std::string created_at;
};

struct IngestRun {
  int64_t run_id = 0;
  std::string started_at;
  std::string finished_at;  // empty while running or when interrupted
  std::string status;       // "running", "finished", "failed", "interrupted"
  std::string inputs;       // the paths given, joined by newlines
  uint64_t documents = 0, accepted = 0, updated = 0, unchanged = 0, rejected = 0;
};

struct VersionInfo {
  int version = 0;
  std::string hash;
  std::string stored_at;
  std::string source_file;
};

// The current version of one (publisher, id) copy with its change sequence number (below).
struct CopyChange {
  uint64_t sequence = 0;
  std::string publisher;
  model::Record record;
};

// A rights event as logged: its leaf index and the decoded entry (docs/formats/ledger.md §1).
struct LoggedEvent {
  uint64_t leaf_index = 0;
  ledger::Entry entry;
};

// What the node's log holds.
struct LogCounts {
  uint64_t tree_size = 0;
  uint64_t record_versions = 0;  // record-version entries
  uint64_t rights_events = 0;    // rights-event entries
  uint64_t checkpoints = 0;      // signed checkpoints kept
};

// A pinned peer and the state of syncing from it (table peers, schema version 5;
// docs/formats/exchange.md §3). The frontier is the Merkle compact range of the peer's leaves
// [0, cursor): ledger::MerkleFrontier::ToBytes().
struct PeerRow {
  std::string name;  // local name, unique
  std::string url;   // empty for bundle-only peers
  std::string office;
  std::string origin;  // unique: one peer per log
  std::string log_vkey;
  std::string witness_vkey;  // may be empty
  std::string added_at;      // filled by AddPeer when empty
  uint64_t cursor = 0;
  std::string frontier;
  uint64_t checkpoint_size = 0;  // the latest checkpoint verified from the peer
  std::string checkpoint;        // its signed note ("" before the first sync)
  std::string last_sync_at;
  std::string last_error;
};

// A piece of evidence against a peer (table evidence): both checkpoints and what did not match.
struct EvidenceRow {
  int64_t evidence_id = 0;  // assigned by PutEvidence
  std::string peer;
  std::string origin;
  std::string kind;         // "fork", "rollback", ... (service/exchange.h)
  std::string detected_at;  // filled by PutEvidence when empty
  std::string message;
  std::string checkpoint_before;
  std::string checkpoint_after;
};

class Store {
 public:
  virtual ~Store() = default;

  // Opens (creating if needed) the SQLite store at `path` in WAL mode and migrates the schema.
  // Runs left "running" by a killed process are marked "interrupted".
  static Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path);

  // Declares the node's own office (the publisher of locally ingested records). The first call
  // records it in the store; later calls must name the same office: FailedPrecondition otherwise,
  // since local records are keyed by it. GetRecord prefers this publisher's copy after the
  // copy of the office named in the id.
  virtual Status SetLocalPublisher(const std::string& publisher) = 0;

  // Transactions do not nest: Begin inside a transaction is FailedPrecondition.
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;

  // Stores `record` for `publisher` (the node's office for local ingest). Computes the content
  // hash; the same content as the current version is kUnchanged (nothing written), changed
  // content becomes version N+1. Fills record->version and record->hash.
  virtual Result<PutResult> PutRecord(const std::string& publisher, model::Record* record) = 0;
  // PutRecord with the content hash and the record JSON already computed by
  // codec::EncodeForStore(*record) (ingest's workers do that in parallel, so the one thread that
  // writes only writes). Stores exactly what PutRecord would. `encoded` must have been made from
  // `*record` as it is now; its json is completed in place (codec::FinishJson) when a new version
  // is written, and left as it is otherwise.
  virtual Result<PutResult> PutEncodedRecord(const std::string& publisher, model::Record* record,
                                             codec::EncodedRecord* encoded) = 0;

  // The current (or a given) version of a record. NotFound when absent. With several
  // publishers, the copy published by the office named in the id wins, then the local one.
  virtual Result<model::Record> GetRecord(const std::string& id,
                                          std::optional<int> version = std::nullopt) = 0;
  // The current (or a given) version of one publisher's copy. NotFound when absent.
  virtual Result<model::Record> GetRecordFrom(const std::string& publisher, const std::string& id,
                                              std::optional<int> version = std::nullopt) = 0;
  // Versions (oldest first) of the copy GetRecord would choose. NotFound when absent.
  virtual Result<std::vector<VersionInfo>> ListVersions(const std::string& id) = 0;

  // Current versions, ordered by id, one copy per id (chosen as in GetRecord); `after_id` for
  // keyset pagination (empty: from the start). CountRecords counts distinct ids.
  virtual Result<std::vector<model::Record>> ListRecords(const std::string& after_id,
                                                         size_t limit) = 0;
  virtual Result<uint64_t> CountRecords() = 0;

  // The change sequence: every record version written gets the next number (the rowid of its
  // `records` row; records are never updated or deleted, so numbers only grow and a transaction
  // committed later has higher numbers). A follower that remembers the sequence it has seen (the
  // search index) knows exactly what it missed: the copies whose current version is numbered
  // higher. ChangeSequence is the highest number written (0 for an empty store; one b-tree
  // descent). CountCopies counts current (publisher, id) copies (an index scan).
  virtual Result<uint64_t> ChangeSequence() = 0;
  virtual Result<uint64_t> CountCopies() = 0;

  // A token of the database's committed state, read without a read transaction: for caches in
  // front of ChangeSequence (the API's rendered records). Two tokens read from the same database
  // are equal only when no transaction was committed between the two reads, by any connection or
  // process; so a ChangeSequence read AFTER token T was read is still current while ChangeToken
  // returns T. std::nullopt when the store cannot tell without a transaction (inside Begin/Commit,
  // no WAL shared memory, a writer updating it right now): read ChangeSequence instead. SQLite:
  // a copy of the 48-byte WAL-index header from shared memory (sqlite.org/walformat.html, 2.1),
  // the bytes SQLite itself compares to notice that another connection committed.
  struct ChangeTokenBytes {
    std::array<uint8_t, 48> bytes{};
    bool operator==(const ChangeTokenBytes&) const = default;
  };
  virtual std::optional<ChangeTokenBytes> ChangeToken() { return std::nullopt; }
  // The current versions of every copy (all publishers) whose version sequence is greater than
  // `after_sequence`, in sequence order, at most `limit`. From 0 this lists every copy once;
  // continue from the last sequence returned. Corruption for stored JSON that does not parse.
  virtual Result<std::vector<CopyChange>> ListCurrentSince(uint64_t after_sequence,
                                                           size_t limit) = 0;

  // Rejects are unique per (source_sha256, rule): re-ingesting the same bad document does not
  // duplicate its reject.
  virtual Status PutReject(const RejectRow& reject) = 0;
  virtual Result<std::vector<RejectRow>> ListRejects(std::optional<int64_t> run_id,
                                                     size_t limit) = 0;

  virtual Result<int64_t> StartRun(const std::string& inputs) = 0;
  // FinishRun writes the run's counts and its final status ("finished", "failed" or
  // "interrupted"; empty means "finished") with finished_at (now when empty). UpdateRun writes
  // the counts of a live run and (re)marks it "running" (another process opening the store may
  // have marked it interrupted). Ingest calls UpdateRun inside each batch's transaction so the
  // counts survive a crash. NotFound for an unknown run_id.
  virtual Status FinishRun(const IngestRun& run) = 0;
  virtual Status UpdateRun(const IngestRun& run) = 0;
  // Newest first.
  virtual Result<std::vector<IngestRun>> ListRuns(size_t limit) = 0;

  // The schema version the store is at (PRAGMA user_version) and the one this binary writes.
  virtual Result<int> SchemaVersion() = 0;
  // The connection's memory map of the database file (PRAGMA mmap_size), in bytes; 0 reads
  // through SQLite's page cache only. Proofs and record reads are faster through the map
  // (kDefaultReadMapBytes, set at open), but every page read through it stays in the process's
  // resident set while the map holds it: a bulk ingest, which reads each new record back once to
  // index it, would grow its memory with the database. Takes effect at the next transaction.
  static constexpr uint64_t kDefaultReadMapBytes = uint64_t{1} << 30;
  virtual Status SetReadMapBytes(uint64_t bytes) = 0;
  // Reads `store` without its memory map while it lives, then with the default map again: for a
  // bulk reader (ingest, a rebuild of the index) whose mapped pages would otherwise stay resident.
  // A failure to change the map only costs memory or speed, so it is ignored.
  class UnmappedReads {
   public:
    explicit UnmappedReads(Store* store) : store_(store) { (void)store_->SetReadMapBytes(0); }
    ~UnmappedReads() { (void)store_->SetReadMapBytes(kDefaultReadMapBytes); }
    UnmappedReads(const UnmappedReads&) = delete;
    UnmappedReads& operator=(const UnmappedReads&) = delete;

   private:
    Store* store_;
  };

  // PRAGMA integrity_check plus the invariants of docs/formats/store.md (every current row points
  // at the highest version with the same hash). Corruption naming the first problem found.
  virtual Status CheckIntegrity() = 0;

  // ---- the node's transparency log, on the same database (docs/formats/store.md) ----
  //
  // PutRecord appends the record-version entry of every new version of the local publisher's
  // copies (SetLocalPublisher) to this log in its own savepoint, so the version and its leaf
  // commit or roll back together; foreign copies are proven by their publisher's log instead.
  // Log() is owned by the store and valid as long as it; writes through it join the open
  // transaction. Checkpoints are written by the service after the leaves they cover committed.
  virtual ledger::LogStorage& Log() = 0;
  // Leaf index of the record-version entry of (publisher, id, version). NotFound when none.
  virtual Result<uint64_t> FindRecordLeaf(const std::string& publisher, const std::string& id,
                                          int version) = 0;
  // Appends a rights-event entry (leaf and rights_events row, all or nothing); returns its leaf
  // index. InvalidArgument when the entry breaks a rule of docs/formats/ledger.md §1.
  virtual Result<uint64_t> AppendRightsEvent(const ledger::Entry& entry) = 0;
  // Rights events of a publication id (every publisher), decoded from the logged bytes: the
  // node's own in log order, then those received from peers (the peer-log mirror) by origin and
  // leaf index (leaf_index is then the index in the peer's log). Corruption when a logged event
  // does not decode.
  virtual Result<std::vector<LoggedEvent>> ListRightsEvents(const std::string& id) = 0;
  virtual Result<LogCounts> GetLogCounts() = 0;

  // The stored JSON (codec::ToJson, compact) of one version of one publisher's copy, verbatim:
  // what the change feed serves without re-encoding. NotFound when absent.
  virtual Result<std::string> GetRecordJson(const std::string& publisher, const std::string& id,
                                            int version) = 0;
  // Current copies held from `publisher`.
  virtual Result<uint64_t> CountCopiesFrom(const std::string& publisher) = 0;

  // ---- exchange: pinned peers, their log mirror and evidence (schema version 5) ----
  //
  // AddPeer: AlreadyExists for a name, origin or log key already pinned. UpdatePeer writes the
  // sync state (cursor, frontier, checkpoint_size, checkpoint, last_sync_at, last_error) of the
  // named peer; NotFound for an unknown name. RemovePeer: NotFound for an unknown name; the
  // records, the mirror and the evidence stay.
  virtual Status AddPeer(const PeerRow& peer) = 0;
  virtual Status UpdatePeer(const PeerRow& peer) = 0;
  virtual Status RemovePeer(const std::string& name) = 0;
  virtual Result<std::optional<PeerRow>> GetPeer(const std::string& name) = 0;
  virtual Result<std::vector<PeerRow>> ListPeers() = 0;  // by name
  // The peer-log mirror: the verbatim entries of a peer's log (keyed by origin and leaf index),
  // kept so that received rights events are listed with the node's own (ListRightsEvents) and a
  // re-sync of leaves already held is recognised. PutPeerEntry inserts; a leaf already mirrored
  // with the same bytes is OK (returns false), with other bytes Corruption; InvalidArgument when
  // the bytes do not decode. Returns true when inserted.
  virtual Result<bool> PutPeerEntry(const std::string& origin, uint64_t leaf_index,
                                    std::string_view entry) = 0;
  // Mirrored entries [start, start + count) of `origin` by leaf index; a missing leaf ends the run.
  virtual Result<std::vector<std::string>> ReadPeerEntries(const std::string& origin,
                                                           uint64_t start, uint64_t count) = 0;
  virtual Result<int64_t> PutEvidence(const EvidenceRow& evidence) = 0;
  // Evidence against one peer (empty name: all), oldest first.
  virtual Result<std::vector<EvidenceRow>> ListEvidence(const std::string& peer) = 0;
};

// ---- bearer tokens of the HTTP API (ipdx::api; table api_tokens, schema version 3) ----

struct TokenRow {
  std::string token_id;    // public identifier, "tok_" + 12 hex digits
  std::string name;        // what the token is for, as given at creation
  std::string scopes;      // "read", "write", "admin", comma-separated
  std::string sha256;      // hex SHA-256 of the secret token; the secret itself is never stored
  std::string created_at;  // ISO 8601 UTC; filled by PutToken when empty
  std::string revoked_at;  // empty while the token is valid
};

// The token table on the store's database, through a connection of its own (so the HTTP server
// checks tokens without waiting for record writes). Externally synchronised: one thread at a
// time. Storage errors as in Store.
class TokenStore {
 public:
  virtual ~TokenStore() = default;
  // Opens the store at `path` (checking and migrating it as Store::OpenSqlite does).
  static Result<std::unique_ptr<TokenStore>> OpenSqlite(const std::string& path);
  // AlreadyExists for a token id that is taken; InvalidArgument for a row without id, scopes or
  // a 64-hex-digit hash.
  virtual Status PutToken(const TokenRow& row) = 0;
  // NotFound for an unknown id (revoked tokens are returned, with revoked_at set).
  virtual Result<TokenRow> GetToken(const std::string& token_id) = 0;
  // Marks the token revoked now; revoking again keeps the first time. NotFound for an unknown id.
  virtual Status RevokeToken(const std::string& token_id) = 0;
  // Every token, oldest first.
  virtual Result<std::vector<TokenRow>> ListTokens() = 0;
};

// ---- examiners' classification decisions (ipdx::classify; table classification_decisions,
// schema version 4) ----

struct DecisionRow {
  int64_t decision_id = 0;    // assigned by PutDecision, increasing
  std::string id;             // publication id of the record decided on
  std::string symbol;         // normalised IPC symbol ("A61K 31/00", "A61K")
  std::string decision;       // "accept" or "reject"
  std::string by;             // the examiner, as given
  std::string model_version;  // the model whose suggestion was decided on; empty if none
  double score = 0;           // that suggestion's calibrated score; 0 if none
  std::string decided_at;     // ISO 8601 UTC; filled by PutDecision when empty
};

// The decision table on the store's database, through a connection of its own (as TokenStore).
// Decisions are only appended; the latest decision on an (id, symbol) pair is the one in force.
// Externally synchronised: one thread at a time. Storage errors as in Store.
class DecisionStore {
 public:
  virtual ~DecisionStore() = default;
  // Opens the store at `path` (checking and migrating it as Store::OpenSqlite does).
  static Result<std::unique_ptr<DecisionStore>> OpenSqlite(const std::string& path);
  // Appends a decision and returns its decision_id. InvalidArgument without id, symbol or
  // examiner, or for a decision other than "accept"/"reject".
  virtual Result<int64_t> PutDecision(const DecisionRow& row) = 0;
  // The decisions on one publication id (empty: all), oldest first.
  virtual Result<std::vector<DecisionRow>> ListDecisions(const std::string& id) = 0;
};

}  // namespace ipdx::store
