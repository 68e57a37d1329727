#pragma once
// ipdx::service: the use-cases shared by the CLI and (later) the HTTP API. Nothing here prints;
// progress is reported through callbacks and results are values.
//
// A Node is one office's folder (`--home`): ipdx.toml (office code, settings) and the embedded
// store (ipdx.db, SQLite WAL). A Node is externally synchronised: one thread uses it at a time
// (ingest uses worker threads internally).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "classify/classify.h"
#include "common/status.h"
#include "ledger/ledger.h"
#include "model/record.h"
#include "search/search.h"
#include "store/store.h"

namespace ipdx::service {

// The node's open search index and what the search use-cases (service/search.h) know about it.
// Managed only by service/search.cc; kept in the Node so a long-lived process (ipdx serve) opens
// and verifies the index once, not per query.
struct SearchIndexSlot {
  std::unique_ptr<search::Index> index;  // nullptr until first use
  bool writable = false;
  bool verified = false;            // compared with the store (copies and sequence) since opening
  uint64_t sequence = 0;            // store sequence the committed index reflects
  uint64_t pending = 0;             // documents added since the last index commit (writable only)
  uint64_t pending_text_bytes = 0;  // their text (service::IndexTextBytes, the commit budget)
  uint64_t pending_to = 0;          // store sequence the pending documents reach
};

// The node's loaded classifier model (service/classify.h). Managed only by service/classify.cc;
// kept in the Node so a long-lived process (ipdx serve) loads the model once, not per suggestion,
// and loads it again when HOME/models/CURRENT names another version.
struct ClassifierSlot {
  std::unique_ptr<classify::Classifier> classifier;  // nullptr until first use
  std::string version;                               // the version `classifier` is
  int64_t manifest_written = 0;  // its manifest's modification time (file clock ticks)
};

struct NodeConfig {
  std::string office;  // ST.3 code of the office that runs the node
  // Checkpoint origin of the node's log and name of its log key (docs/formats/ledger.md §3.1):
  // `log_origin` in ipdx.toml; empty means the default "ipdx/<OFFICE>". Fixed for the life of
  // the log: Open refuses a configuration whose origin differs from the key's name.
  std::string log_origin;
};

class Node {
 public:
  // Creates `home` (if needed) with ipdx.toml and an empty store. AlreadyExists when a node is
  // already there.
  static Status Init(const std::string& home, const NodeConfig& config);
  // The office code must be a current WIPO ST.3 code (InvalidArgument otherwise). Files and their
  // format: docs/formats/store.md.
  //
  // Opens an existing node; FailedPrecondition ("not an ipdx node; run ipdx init") otherwise,
  // also for an ipdx.toml written by a newer ipdx or naming another office than the store.
  static Result<std::unique_ptr<Node>> Open(const std::string& home);

  const std::string& home() const { return home_; }
  const NodeConfig& config() const { return config_; }
  store::Store& store() { return *store_; }
  // The store's database file (HOME/ipdx.db), for components that open a connection of their own.
  static constexpr const char* kStoreFile = "ipdx.db";
  std::string store_path() const { return home_ + "/" + kStoreFile; }
  // The node's log key (HOME/keys/node.key, mode 0600), loaded by Open. Init creates it; a node
  // made before the ledger existed gets one on its first Open, unless its log already has signed
  // checkpoints (then the key must be restored: FailedPrecondition). Ledger use-cases:
  // service/ledger.h.
  const ledger::SignerKey& log_key() const { return log_key_; }
  // The node's witness key (HOME/keys/witness.key, mode 0600; cosignature/v1, type 0x04, named
  // "<log origin>/witness"), loaded by Open and created by Init, or by Open when missing (a
  // witness key signs no log, so a new one loses nothing but the peers' pin of the old one).
  // It cosigns peers' checkpoints after sync verified them (service/exchange.h).
  const ledger::SignerKey& witness_key() const { return witness_key_; }
  // The search index folder (HOME/index) and its slot (service/search.h).
  std::string index_path() const { return home_ + "/index"; }
  SearchIndexSlot& search_index_slot() { return search_index_slot_; }
  // The classifier model slot (service/classify.h).
  ClassifierSlot& classifier_slot() { return classifier_slot_; }

 private:
  // Passkey: only Open can build a Node, yet std::make_unique can call the constructor.
  struct Key {
    explicit Key() = default;
  };

 public:
  Node(Key, std::string home, NodeConfig config, std::unique_ptr<store::Store> store)
      : home_(std::move(home)), config_(std::move(config)), store_(std::move(store)) {}

 private:
  std::string home_;
  NodeConfig config_;
  std::unique_ptr<store::Store> store_;
  ledger::SignerKey log_key_;          // set by Open
  ledger::SignerKey witness_key_;      // set by Open
  SearchIndexSlot search_index_slot_;  // destroyed before the store
  ClassifierSlot classifier_slot_;
};

// ---- ingest ----------------------------------------------------------------------------------

struct IngestProgress {
  std::string file;          // current input
  uint64_t bytes_done = 0;   // over all inputs
  uint64_t bytes_total = 0;  // over all inputs (0 when unknown)
  uint64_t documents = 0;    // documents seen so far
};

struct RejectInfo {
  std::string file;
  uint64_t offset = 0;
  std::string id;  // publication id when it could be read
  std::string rule;
  std::string field;
  std::string message;
};

// Bound on IngestSummary::rejects, so the summary of a huge ingest stays small.
inline constexpr size_t kMaxRejectsInSummary = 1000;

struct IngestSummary {
  int64_t run_id = 0;
  uint64_t documents = 0;
  uint64_t accepted = 0;   // new records
  uint64_t updated = 0;    // new versions of existing records
  uint64_t unchanged = 0;  // same content hash as the current version
  uint64_t rejected = 0;
  std::map<std::string, uint64_t> rejected_by_rule;  // first error rule of each reject
  // The first kMaxRejectsInSummary rejects in input order (all of them are in the store:
  // Store::ListRejects(run_id)); rejects_truncated tells that more were left out here.
  std::vector<RejectInfo> rejects;
  bool rejects_truncated = false;
  // Documentation files (README, PROVENANCE.md, LICENSE) found in folders and not read.
  std::vector<std::string> skipped_files;
  uint64_t warnings = 0;  // warning findings kept on stored records
  uint64_t bytes = 0;
  double seconds = 0;
  // Empty when the search index was kept in step with every committed batch; otherwise why it
  // was not (for example another process holds the index writer). The store is complete either
  // way; the next search or `ipdx reindex` brings the index up to date.
  std::string index_warning;
  // True when the run did not index (IngestOptions::index false): the index is behind the store
  // until the next search, `ipdx serve` or `ipdx reindex` brings it up to date.
  bool index_deferred = false;
  // The signed checkpoint (note text) of the node's log after the run (service/ledger.h).
  std::string checkpoint;
};

struct IngestOptions {
  std::vector<std::string> paths;  // files, folders (recursively), .zip archives
  size_t batch_size = 500;         // documents per store transaction
  int threads = 0;                 // decode workers; 0 = hardware concurrency
  // Index the stored copies for search during the run (on a thread of its own). False leaves the
  // index behind the store, for a bulk load that is indexed afterwards in one rebuild (quicker
  // than indexing as it goes): the next search or `ipdx reindex` brings it up to date.
  bool index = true;
  std::function<void(const IngestProgress&)> on_progress;  // may be empty
};

// Reads, decodes, validates and stores every document under `options.paths`. Each document
// becomes a stored record version or a reject (file, offset, rule, message); nothing is dropped.
// Batches are committed atomically, so a killed ingest leaves the store consistent and running
// it again finishes the job with no duplicates. Status errors only for usage or I/O problems
// (missing path, unreadable file); bad documents are rejects, not errors.
Result<IngestSummary> Ingest(Node& node, const IngestOptions& options);

// ---- export ----------------------------------------------------------------------------------

enum class ExportFormat { kJson, kSt96 };
struct ExportSummary {
  uint64_t records = 0;
  std::string out_dir;
};
// Writes the current version of every record into `out_dir` (created if needed) as ID.json
// (codec::ToJson, pretty) or ID.xml (codec::ToSt96Xml). Each file is written to a temporary name
// and renamed, so a reader never sees a half-written file; existing files of the same name are
// replaced. Characters outside [A-Za-z0-9._-] in an id become '_' in its file name.
Result<ExportSummary> Export(Node& node, ExportFormat format, const std::string& out_dir);

}  // namespace ipdx::service
