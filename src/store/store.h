#pragma once
// ipdx::store: the Store interface and its default SQLite implementation (docs/formats/store.md).
//
// The store keeps every version of every record (keyed by publisher + publication id), the
// rejects of every ingest (source file, byte offset, rule, message) and the ingest runs with
// their counts. Writes happen in explicit transactions so a batch of documents commits
// atomically. A Store is externally synchronised: one thread at a time.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/record.h"

namespace ipdx::store {

// Schema version this binary creates and migrates to (docs/formats/store.md).
inline constexpr int kSchemaVersion = 1;

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
  // PRAGMA integrity_check plus the invariants of docs/formats/store.md (every current row points
  // at the highest version with the same hash). Corruption naming the first problem found.
  virtual Status CheckIntegrity() = 0;
};

}  // namespace ipdx::store
