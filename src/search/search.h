#pragma once
// ipdx::search: the full-text index of a node, its query language, facets, snippets and similar
// documents (prior art). Built on Xapian (BM25) and ICU; neither appears in this header.
//
// The index lives in one folder (by convention DIR/index of the node home) and holds one document
// per stored copy: the document id term is publisher + publication id, so a copy republished by
// another office is a separate document (DESIGN.md, "Identity and provenance").
//
// Keeping the index in step with the store: every Commit() stores an IndexState (document count
// and the store's high-water mark, e.g. its last sequence number or a digest) atomically with the
// documents. The caller compares it with the store through Verify(); an index that is behind,
// damaged, of an older format or missing is reported as an error and must be rebuilt with
// Index::Rebuild (ipdx reindex). The index is never patched up silently.
//
// The query language is documented in docs/query-language.md: fields (ti ab cl de txt pa in ipc cpc
// pn an cc kind pd ad prd), AND/OR/NOT and parentheses, phrases, NEAR/n and ADJ/n, right
// truncation, boosts, date ranges. Syntax errors carry the 0-based position (in Unicode
// characters) of the offending part of the query.
//
// Threads: an Index is externally synchronised (one thread at a time). For concurrent searches
// open one read-only Index per thread; a read-only Index sees the commits of the writer on its next
// search. Only one writable Index can be open on a folder at a time (Unavailable otherwise).
// ReplaceMany runs text analysis on short-lived threads of its own (joined before it returns);
// its Xapian writes stay on the calling thread. Rebuild writes a new folder with K writer threads
// of its own (each with its own shard database, merged at the end; see Rebuild), also joined
// before it returns; the index it returns is the caller's.
//
// Errors: Xapian exceptions never leave this module. Corruption for a damaged index, Unavailable
// for a lock held by another writer, NotFound for a missing index opened without create,
// FailedPrecondition for an index that is behind or of another format, InvalidArgument for a bad
// query (with QueryError filled in).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/record.h"

namespace ipdx::search {

// A query the parser rejected: where (0-based, counted in Unicode code points of the query, so a
// UI can point at it) and what. The Status returned alongside has the message
// "position 12: expected ')' to close '(' at position 3".
struct QueryError {
  size_t position = 0;
  std::string message;  // without the "position N: " prefix
};

// Parses `query` (without an index: field values, syntax, dates and classification symbols are
// checked; truncation limits need an index and are checked by Search). OK, or InvalidArgument with
// *error filled when given.
Status ValidateQuery(std::string_view query, QueryError* error = nullptr);

// Debug rendering of the parsed query ("AND(txt:motor, ti:\"electric motor\", -cc:US)"), for tests
// and for `ipdx search --explain`. InvalidArgument as ValidateQuery.
Result<std::string> ExplainQuery(std::string_view query, QueryError* error = nullptr);

enum class SortOrder { kRelevance, kDateDescending, kDateAscending };

struct SearchRequest {
  std::string query;
  size_t offset = 0;  // hits to skip (pagination)
  size_t limit = 10;  // hits to return, at most kMaxLimit
  SortOrder sort = SortOrder::kRelevance;
  bool facets = false;
  size_t facet_limit = 20;  // values per facet, most frequent first
};
inline constexpr size_t kMaxLimit = 1000;

// A snippet is plain text (whitespace collapsed, "…" where text was cut) with the byte ranges
// [begin, end) of the words that matched the query. ToHtml() gives the same text with HTML special
// characters escaped and the matches wrapped in <b>...</b>, safe to insert into a page.
struct Snippet {
  std::string text;
  std::vector<std::pair<size_t, size_t>> highlights;
  std::string ToHtml() const;
};

struct Hit {
  std::string id;         // publication id "US-8936998-B2"
  std::string publisher;  // office whose log holds this copy
  double score = 0;       // BM25 weight (0 for queries with only filters)
  std::string title;      // in the publication language when there is one, else English, else any
  Snippet snippet;
  std::string publication_date;  // ISO 8601, possibly partial
  std::string office;
  std::string kind;
};

struct FacetValue {
  std::string value;
  uint64_t count = 0;
  bool operator==(const FacetValue&) const = default;
};

// Facet counts over the matching documents: office (ST.3), IPC subclass (from IPC symbols, or CPC
// when a record has no IPC), publication year, applicant (applicants, else assignees; counted
// case-insensitively, shown as first seen).
struct Facets {
  std::vector<FacetValue> office;
  std::vector<FacetValue> ipc_subclass;
  std::vector<FacetValue> year;  // newest year first
  std::vector<FacetValue> applicant;
};

struct SearchResult {
  // Number of matching documents. Exact when total_exact; otherwise Xapian's estimate (the matcher
  // stops early on large result sets; at least kExactTotalUpTo matches are always counted).
  uint64_t total = 0;
  bool total_exact = true;
  std::vector<Hit> hits;
  std::optional<Facets> facets;  // when requested
  // Facets are counted over the documents the matcher examined: all matches when facets_exact,
  // else the first kFacetSample.
  bool facets_exact = true;
};
inline constexpr uint64_t kExactTotalUpTo = 1000;
inline constexpr uint64_t kFacetSample = 10000;

// "More like this": from a stored copy (its title, abstract and claims) or from free text (a
// paragraph, a claim). The most significant terms (tf-idf against the index) make a weighted OR
// query; `restrict_query` (same language as SearchRequest::query, e.g. "ipc:H04L AND pd<2015")
// filters the candidates without changing their ranking.
struct SimilarRequest {
  std::string id;         // publication id of the example; or
  std::string publisher;  //   with the publisher of the copy (empty: any copy of the id)
  std::string text;       // free text instead of an id
  std::string lang;       // ISO 639-1 of `text` for stemming; empty: every language in the index
  std::string restrict_query;
  size_t offset = 0;
  size_t limit = 10;
  size_t max_terms = 40;        // significant terms kept
  bool exclude_same_id = true;  // drop every copy of the example's id
};

// The index state stored with each commit.
struct IndexState {
  int format = 0;          // index layout version; a different one needs a rebuild
  uint64_t documents = 0;  // documents in the index at that commit
  std::string mark;        // the store's high-water mark given to Commit
  bool operator==(const IndexState&) const = default;
};

// Produces the records of a rebuild one at a time: fills *publisher and *record and returns true,
// returns false at the end, or an error to abort the rebuild.
using RecordSource = std::function<Result<bool>(std::string* publisher, model::Record* record)>;

class Index {
 public:
  struct Options {
    bool read_only = false;
    bool create_if_missing = true;  // ignored when read_only
    size_t wildcard_limit = 1000;   // most words one truncation may expand to
    // ReplaceMany: threads that analyse text while the calling thread adds the built documents
    // (0: one less than the hardware threads, at least 1, at most 4; 1 still overlaps analysis
    // with adding). Rebuild: writer threads, each analysing and adding to a shard of its own
    // (0: the hardware threads, at most 4; 1: one writer, as ReplaceMany).
    size_t build_threads = 0;
  };

  // One copy for ReplaceMany; both pointers are borrowed for the call.
  struct Item {
    const std::string* publisher = nullptr;
    const model::Record* record = nullptr;
  };

  // Opens the index folder `path` (created if missing and allowed). A new index has state
  // {format, 0, ""}. Errors: NotFound (missing, not created), Corruption (damaged or not an index),
  // Unavailable (another writer holds the lock), FailedPrecondition (format of another version:
  // rebuild), IOError.
  static Result<std::unique_ptr<Index>> Open(const std::string& path, const Options& options);
  static Result<std::unique_ptr<Index>> Open(const std::string& path) { return Open(path, {}); }

  // Builds a new index from `source` in a sibling folder and swaps it in place of `path` only when
  // complete (compacted and synced to disk), so a failed or interrupted rebuild leaves the old
  // index untouched; its leftovers (PATH.rebuild, PATH.compact) are removed by the next rebuild.
  // Any Index open on `path` must be closed first (the rebuild opens it for writing). Returns the
  // new index opened for writing, with state {format, documents, mark}.
  // Threads: `source` is called on the calling thread only. The documents are written by K
  // writer threads (K = build_threads; with 0 the hardware threads, at most 4), each analysing
  // and adding its share of the records (batches of the commit budget, in turn) to a shard
  // folder of its own inside PATH.rebuild; the shards are merged into the compacted result.
  // With K = 1 one writer (the calling thread) adds what a helper thread analyses. The same
  // records give the same documents, state and search results for any K; only the order of
  // equal hits (ties) may differ between different K. Memory: about K commit budgets.
  static Result<std::unique_ptr<Index>> Rebuild(const std::string& path, const RecordSource& source,
                                                const std::string& mark, const Options& options);

  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  // Adds a copy: AlreadyExists if (publisher, id) is indexed. Replace adds or overwrites.
  // Changes are invisible to searches of other Index objects until Commit. FailedPrecondition on
  // a read-only index; InvalidArgument when the record has no office or number.
  Status Add(const std::string& publisher, const model::Record& record);
  Status Replace(const std::string& publisher, const model::Record& record);
  // Replace for every item, in order, with the same result as calling Replace for each. Text
  // analysis (most of the cost of indexing) runs on Options::build_threads background threads,
  // overlapped with the adding, which stays on the calling thread. Stops at the first error;
  // the items before it are added (uncommitted, like Replace).
  Status ReplaceMany(const std::vector<Item>& items);
  // NotFound when the copy is not indexed.
  Status Delete(const std::string& publisher, const std::string& id);
  // Makes the pending changes durable together with the state {format, document count, mark}.
  Status Commit(const std::string& mark);

  // The state of the last commit as stored in the index.
  Result<IndexState> State();
  // Compares the index with what the store says it should hold: OK when in step; Corruption when
  // the index contradicts itself (stored count differs from its documents); FailedPrecondition
  // when it is of another format or behind (mark or document count differ from `expected`).
  // Any error means: rebuild.
  Status Verify(const std::string& expected_mark, uint64_t expected_documents);
  // Full structural check of the index files (Xapian's checker; reads everything: slow on big
  // indexes). Corruption naming the problem.
  Status DeepCheck();

  Result<uint64_t> DocumentCount();
  // The languages with stemmed text in the index ("de", "en", ...).
  Result<std::vector<std::string>> Languages();

  // Runs a query. InvalidArgument (and *error) for a bad query.
  Result<SearchResult> Search(const SearchRequest& request, QueryError* error = nullptr);
  // Similar documents. NotFound when `id` is not indexed; InvalidArgument for a bad restriction
  // query (and *error) or a request with neither id nor text.
  Result<SearchResult> Similar(const SimilarRequest& request, QueryError* error = nullptr);

  struct Impl;

 private:
  explicit Index(std::unique_ptr<Impl> impl);
  // Open with extra Xapian open flags (Rebuild: no fsync per commit).
  static Result<std::unique_ptr<Impl>> OpenImpl(const std::string& path, const Options& options,
                                                int extra_flags);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ipdx::search
