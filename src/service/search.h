#pragma once
// ipdx::service search use-cases: search, similar documents and reindex over a node's index
// (HOME/index), shared by the CLI and the HTTP API. The result shape is made here once
// (SearchResponse); the CLI and the API only serialise it (docs/query-language.md, "JSON").
//
// The index follows the store. The store numbers every record version it writes (its change
// sequence, store::ChangeMark); the index stores the sequence it reflects as its mark
// ("store-seq:N"). Before answering, the index is brought in step:
//   - in step (same sequence, and on first use per Node the same number of copies): used as is;
//   - behind (a killed ingest, records written by another component): the missing copies are
//     indexed from the store (caught up), and the response says so; an index 1,000 or more
//     changes behind and behind by more than it holds (`ipdx ingest --no-index`) is rebuilt
//     instead, which is quicker;
//   - missing, damaged (Xapian reports corruption, or the index contradicts its own state), of
//     another format, ahead of the store (store restored from a backup) or holding a different
//     number of copies: rebuilt from the store, and the response says why.
// It is never used silently wrong. When the index is behind but another process holds its writer
// (an ingest running elsewhere), the search runs on what is indexed and SearchResponse::notices
// says the results may miss the newest records.
//
// Threads: the functions take a Node, which is externally synchronised (one thread at a time).
// The open index is cached in the Node (Node::search_index_slot), so a long-lived process opens
// and verifies it once.
//
// Errors: InvalidArgument for a bad query (with *error filled), NotFound for a similar-document
// example that is not in the index, Unavailable when the index must be rebuilt or caught up but
// another process holds its writer and nothing usable is left, IOError/Corruption from the store.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "search/search.h"
#include "service/service.h"

namespace ipdx::service {

// What the service found and did about the index before answering.
struct IndexNotice {
  enum class Action { kNone, kCaughtUp, kRebuilt, kStale };
  Action action = Action::kNone;
  std::string message;     // for people: why and what was done; empty for kNone
  uint64_t documents = 0;  // copies indexed by the catch-up or the rebuild
};

// The one result shape of search and similar: {total, total_exact, hits, facets}.
struct SearchResponse {
  uint64_t total = 0;
  bool total_exact = true;
  std::vector<search::Hit> hits;
  std::optional<search::Facets> facets;
  bool facets_exact = true;
  std::vector<IndexNotice> notices;  // index maintenance done or needed (usually empty)
};

// Runs a query in the language of docs/query-language.md. InvalidArgument (and *error) for a bad
// query; limit above search::kMaxLimit is InvalidArgument.
Result<SearchResponse> Search(Node& node, const search::SearchRequest& request,
                              search::QueryError* error = nullptr);

// Similar documents from a stored copy (request.id, optionally request.publisher) or free text
// (request.text), optionally restricted by request.restrict_query.
Result<SearchResponse> Similar(Node& node, const search::SimilarRequest& request,
                               search::QueryError* error = nullptr);

struct ReindexProgress {
  uint64_t documents = 0;  // copies indexed so far
  uint64_t total = 0;      // copies in the store when the rebuild started
};

struct ReindexSummary {
  uint64_t documents = 0;
  uint64_t sequence = 0;  // store sequence the new index reflects
  double seconds = 0;
};

// Rebuilds the index from the store (a new index beside the old one, swapped in when complete:
// a failed rebuild leaves the old index as it was). Unavailable when another process holds the
// index writer. `on_progress` may be empty.
Result<ReindexSummary> Reindex(Node& node,
                               const std::function<void(const ReindexProgress&)>& on_progress);

// Brings the index in step with the store now (what Search does first) and returns what was done.
Result<IndexNotice> SyncIndex(Node& node);

// ---- ingest hooks (service/ingest.cc) --------------------------------------------------------

// Memory bound of the indexing done by ingest and sync. Xapian keeps every change since the
// index's last commit in memory (each word's postings and positions), and the copies to index are
// read back from the store in pages. Both grow with the text of the documents, not their number
// (a full-text grant carries a thousand times the text of a bibliographic record), so both are
// bounded by text bytes (IndexTextBytes):
//   - text_bytes: the index commits as soon as the text added since its last commit reaches it.
//     Measured (bench/README.md, "Memory"): Xapian's pending changes plus the documents built
//     ahead take about 5 bytes of memory per byte of pending text, so 6 MiB keeps indexing
//     near 30 MiB whatever the input size and document size. Smaller is also faster: Xapian's
//     buffer of pending postings is a tree per term that gets slower as it grows (a full rebuild
//     of 10,000 documents committing every 250 / 500 / 2,000 / 10,000 documents: 39 / 42 / 51 /
//     110 CPU s, search/index.cc), until the per-commit cost takes over;
//   - documents: and after this many documents at the latest (tiny records cost per document);
//   - page_bytes: the copies read back from the store at a time carry about this much text (at
//     least one copy; a page never holds more than 1000).
// Commits are crash safe at any point: the committed mark never runs ahead of what is indexed
// (the class comment), so a killed ingest leaves an index that is behind and caught up later.
inline constexpr uint64_t kIndexCommitTextBytes = 6ull << 20;
inline constexpr uint64_t kIndexCommitMaxDocuments = 20000;
inline constexpr uint64_t kIndexPageTextBytes = 4ull << 20;
struct IndexCommitBudget {
  uint64_t text_bytes = kIndexCommitTextBytes;
  uint64_t documents = kIndexCommitMaxDocuments;
  uint64_t page_bytes = kIndexPageTextBytes;
};

// The text of `record` that indexing analyses, in bytes: titles, abstracts, claims,
// descriptions, party names and addresses, citations' text, plus a fixed allowance for the
// identifiers, dates and classifications every document carries. What the budget counts.
uint64_t IndexTextBytes(const model::Record& record);

// Called after each committed store batch: indexes the copies committed since the index's mark,
// committing the index whenever `budget` is reached (and FinishIndexing commits the rest). Never
// fails the ingest: the store is the truth. A problem (another process holds the index writer,
// ...) is recorded in summary->index_warning and the next search or `ipdx reindex` catches up.
void IndexCommittedBatch(Node& node, IngestSummary* summary, const IndexCommitBudget& budget = {});
// Called at the end of an ingest: commits what IndexCommittedBatch added and releases the writer.
void FinishIndexing(Node& node, IngestSummary* summary);

// Indexes what an ingest commits on a thread of its own, while the ingest goes on decoding and
// storing: the store's writes and the index's writes each keep a core busy, instead of taking
// turns (IndexCommittedBatch). The thread reads the committed copies through a store connection
// of its own (the Node's connection stays with the ingest's writer thread) with the same mark
// protocol, budget and error policy as IndexCommittedBatch: a problem never fails the ingest, it
// ends indexing for the run and is reported in IngestSummary::index_warning.
//
// Threads: between construction and Finish the indexer owns the Node's search index slot and the
// caller must not touch it (nor search on the Node); the caller keeps the Node's store. Committed
// and Finish are called from the thread that owns the Node.
class IngestIndexer {
 public:
  IngestIndexer(Node& node, const IndexCommitBudget& budget = {});
  ~IngestIndexer();  // stops and joins the thread (without waiting for the index to catch up)
  IngestIndexer(const IngestIndexer&) = delete;
  IngestIndexer& operator=(const IngestIndexer&) = delete;

  // The store committed a batch: index it (returns at once).
  void Committed();
  // Waits until everything committed so far is indexed, commits the index and releases its
  // writer; fills summary->index_warning when indexing had a problem. While it waits, `on_wait`
  // (may be empty) is called about every 100 ms with the store sequence indexed so far.
  void Finish(IngestSummary* summary, const std::function<void(uint64_t indexed_to)>& on_wait);

 private:
  void Run();
  void Stop();

  Node& node_;
  const IndexCommitBudget budget_;
  std::unique_ptr<store::Store> reader_;
  std::thread thread_;
  std::atomic<uint64_t> indexed_to_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t requested_ = 0;  // batches committed (guarded by mu_)
  uint64_t handled_ = 0;    // batches indexed or given up on (guarded by mu_)
  bool stop_ = false;       // guarded by mu_
  std::string warning_;     // guarded by mu_ while the thread runs
};

// ---- searches on read-only handles, beside the Node (ipdx serve) -----------------------------
//
// Search and Similar above run on the Node, one thread at a time. A server that wants searches
// to run in parallel opens more read-only search::Index handles on node.index_path() (one per
// thread) and searches on one of them only when its committed state can be trusted without the
// Node: it must be exactly the state the Node last verified in step with the store
// (VerifiedIndexState), and the store must not have moved since. Otherwise the caller searches
// on the Node (under its lock), which catches up, rebuilds and reports as above, and then takes
// a new VerifiedIndexState. So the guarantee stays: an index behind or damaged is never used
// silently.

// The index state verified in step with the store: its store sequence and its copies.
struct VerifiedIndex {
  uint64_t sequence = 0;
  uint64_t documents = 0;
  bool operator==(const VerifiedIndex&) const = default;
};

// Brings the Node's index in step (as Search does first; notices are appended to *notices) and
// returns the state it was verified at, or nullopt when it cannot be (behind while another
// process holds the writer). The Node is externally synchronised, as for Search.
Result<std::optional<VerifiedIndex>> VerifiedIndexState(Node& node,
                                                        std::vector<IndexNotice>* notices);

// Runs a search or similar-documents request on `reader` (read-only, owned by the calling thread)
// when its committed state is `verified` and the store is at `store_sequence` ==
// verified.sequence (response without notices). With `allow_behind`, a reader that is consistent
// (its stored document count matches its documents), of this store and between
// verified.sequence and `store_sequence` is also used, and the response carries a kStale notice
// (the Node is busy writing: an ingest). FailedPrecondition (why) when the reader cannot be
// trusted: search on the Node instead. InvalidArgument (and *error) for a bad query; NotFound for
// a similar-document example not in the reader; Corruption and other errors of the reader as is.
// Thread-safe for distinct readers.
Result<SearchResponse> SearchOnReader(search::Index& reader, const VerifiedIndex& verified,
                                      uint64_t store_sequence, bool allow_behind,
                                      const search::SearchRequest& request,
                                      search::QueryError* error = nullptr);
Result<SearchResponse> SimilarOnReader(search::Index& reader, const VerifiedIndex& verified,
                                       uint64_t store_sequence, bool allow_behind,
                                       const search::SimilarRequest& request,
                                       search::QueryError* error = nullptr);

}  // namespace ipdx::service
