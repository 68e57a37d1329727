// Search use-cases and the policy that keeps the index in step with the store (search.h).
//
// Why a sequence mark and not a digest: the store numbers its writes (records rowids only grow),
// so "behind by N" is one comparison, and catching up is a range scan of exactly what is missing.
// Understating the mark is always safe (a catch-up re-indexes a copy, and Replace is idempotent);
// overstating it would hide records, so a mark is only ever taken before the records it covers
// are read.
#include "service/search.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <string_view>
#include <utility>

namespace ipdx::service {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kMarkPrefix = "store-seq:";
constexpr size_t kPage = 1000;
// An index at least this many store changes behind, and behind by more than it holds, is rebuilt
// instead of caught up (EnsureIndex).
constexpr uint64_t kRebuildWhenBehind = 1000;

std::string MarkFor(uint64_t sequence) {
  return std::string(kMarkPrefix) + std::to_string(sequence);
}

// The store sequence of an index mark; "" (a new, empty index) is 0. nullopt: not our mark.
std::optional<uint64_t> ParseMark(const std::string& mark) {
  if (mark.empty()) return 0;
  if (!mark.starts_with(kMarkPrefix)) return std::nullopt;
  const std::string_view digits = std::string_view(mark).substr(kMarkPrefix.size());
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  return value;
}

void CloseIndex(SearchIndexSlot& slot) {
  slot.index.reset();  // drops uncommitted changes; the committed state stays consistent
  slot.writable = false;
  slot.verified = false;
  slot.sequence = 0;
  slot.pending = 0;
  slot.pending_text_bytes = 0;
  slot.pending_to = 0;
}

Status OpenInto(Node& node, bool writable) {
  SearchIndexSlot& slot = node.search_index_slot();
  CloseIndex(slot);
  search::Index::Options options;
  options.read_only = !writable;
  IPDX_ASSIGN_OR_RETURN(slot.index, search::Index::Open(node.index_path(), options));
  slot.writable = writable;
  return Status::Ok();
}

// Commits what the slot has pending (writable).
Status CommitPending(SearchIndexSlot& slot) {
  IPDX_RETURN_IF_ERROR(slot.index->Commit(MarkFor(slot.pending_to)));
  slot.sequence = slot.pending_to;
  slot.pending = 0;
  slot.pending_text_bytes = 0;
  return Status::Ok();
}

// The copies to read next: as many as fit `page_bytes` of text at the size of the largest copy of
// the last page, at least one, and growing by at most a factor 2 a page (so a run of small
// copies does not admit a page of large ones).
size_t NextPageSize(size_t last_page, uint64_t largest_text_bytes, uint64_t page_bytes) {
  const uint64_t fit = page_bytes / std::max<uint64_t>(largest_text_bytes, 1);
  const uint64_t limit = std::min<uint64_t>({fit, 2 * static_cast<uint64_t>(last_page), kPage});
  return static_cast<size_t>(std::max<uint64_t>(limit, 1));
}

// Indexes the current copies written after slot.pending_to (a writable slot), read from `store`
// (the node's, or a connection of its own on another thread: IngestIndexer), committing whenever
// `budget` is reached; what is left pending is the caller's to commit. Returns the copies indexed.
Result<uint64_t> AddPending(store::Store& store, SearchIndexSlot& slot,
                            const IndexCommitBudget& budget) {
  uint64_t indexed = 0;
  // Pages bounded by text (the first one is a single copy: nothing is known yet), each indexed and
  // counted against the commit budget before the next is read, so neither the copies read back
  // nor Xapian's pending changes outgrow the budget, however large the batch or its documents.
  size_t page_size = 1;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(std::vector<store::CopyChange> changes,
                          store.ListCurrentSince(slot.pending_to, page_size));
    if (changes.empty()) break;
    indexed += changes.size();
    std::vector<search::Index::Item> items;
    items.reserve(changes.size());
    uint64_t largest = 0;
    for (const store::CopyChange& change : changes) {
      items.push_back({&change.publisher, &change.record});
      const uint64_t text = IndexTextBytes(change.record);
      largest = std::max(largest, text);
      slot.pending_text_bytes += text;
    }
    // Text analysis in parallel, the Xapian writes in order on this thread.
    IPDX_RETURN_IF_ERROR(slot.index->ReplaceMany(items));
    slot.pending_to = changes.back().sequence;
    slot.pending += changes.size();
    if (slot.pending_text_bytes >= budget.text_bytes || slot.pending >= budget.documents) {
      IPDX_RETURN_IF_ERROR(CommitPending(slot));
    }
    if (changes.size() < page_size) break;  // the store has no more
    page_size = NextPageSize(page_size, largest, budget.page_bytes);
  }
  return indexed;
}

// Refuses to rebuild under the feet of another process's writer (its commits would go to the
// folder being replaced). A damaged index cannot be opened at all: that is no lock to respect.
Status CheckNoOtherWriter(Node& node) {
  search::Index::Options options;
  options.create_if_missing = false;
  auto probe = search::Index::Open(node.index_path(), options);
  if (!probe.ok() && probe.status().code() == StatusCode::kUnavailable) return probe.status();
  return Status::Ok();
}

Result<ReindexSummary> RebuildFromStore(
    Node& node, const std::function<void(const ReindexProgress&)>& on_progress) {
  const Clock::time_point start = Clock::now();
  SearchIndexSlot& slot = node.search_index_slot();
  CloseIndex(slot);
  IPDX_RETURN_IF_ERROR(CheckNoOtherWriter(node));
  store::Store& store = node.store();
  // The mark is taken before reading: records written meanwhile are caught up later (safe).
  IPDX_ASSIGN_OR_RETURN(const uint64_t mark, store.ChangeSequence());
  IPDX_ASSIGN_OR_RETURN(const uint64_t total, store.CountCopies());
  // Every copy is read once: through the memory map its pages would stay resident (store.h).
  const store::Store::UnmappedReads unmapped(&store);
  std::vector<store::CopyChange> page;
  size_t next = 0;
  size_t page_size = 1;  // pages bounded by text, as AddPending's (full-text copies are large)
  uint64_t largest = 0;
  uint64_t after = 0;
  uint64_t done = 0;
  search::RecordSource source = [&](std::string* publisher, model::Record* record) -> Result<bool> {
    if (next == page.size()) {
      if (!page.empty()) page_size = NextPageSize(page_size, largest, kIndexPageTextBytes);
      IPDX_ASSIGN_OR_RETURN(page, store.ListCurrentSince(after, page_size));
      next = 0;
      largest = 0;
      for (const store::CopyChange& change : page) {
        largest = std::max(largest, IndexTextBytes(change.record));
      }
      if (page.empty()) return false;
    }
    store::CopyChange& change = page[next++];
    after = change.sequence;
    *publisher = std::move(change.publisher);
    *record = std::move(change.record);
    ++done;
    if (on_progress && done % 1000 == 0) on_progress({done, total});
    return true;
  };
  IPDX_ASSIGN_OR_RETURN(slot.index, search::Index::Rebuild(node.index_path(), source, MarkFor(mark),
                                                           search::Index::Options{}));
  slot.writable = true;
  slot.verified = false;  // checked by the caller's next EnsureIndex pass
  slot.sequence = mark;
  if (on_progress) on_progress({done, total});
  ReindexSummary summary;
  summary.documents = done;
  summary.sequence = mark;
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return summary;
}

Result<uint64_t> Rebuild(Node& node, const std::string& why, std::vector<IndexNotice>* notices) {
  Result<ReindexSummary> rebuilt = RebuildFromStore(node, {});
  if (!rebuilt.ok()) {
    return rebuilt.status().WithContext("the search index must be rebuilt (" + why + ")");
  }
  notices->push_back({IndexNotice::Action::kRebuilt,
                      "search index rebuilt from the store (" + why +
                          "): " + std::to_string(rebuilt->documents) + " records indexed",
                      rebuilt->documents});
  return rebuilt->documents;
}

// Why the index in the slot cannot be trusted (empty: it can), with its committed sequence.
struct Inspection {
  std::string problem;
  uint64_t sequence = 0;
  uint64_t documents = 0;
};

Result<Inspection> Inspect(SearchIndexSlot& slot, uint64_t store_sequence) {
  Inspection out;
  Result<search::IndexState> state = slot.index->State();
  if (!state.ok()) {
    if (state.status().code() == StatusCode::kCorruption) {
      out.problem = state.status().message();
      return out;
    }
    return state.status();
  }
  Result<uint64_t> held = slot.index->DocumentCount();
  if (!held.ok()) {
    if (held.status().code() == StatusCode::kCorruption) {
      out.problem = held.status().message();
      return out;
    }
    return held.status();
  }
  std::optional<uint64_t> sequence = ParseMark(state->mark);
  if (!sequence) {
    out.problem = "the index mark '" + state->mark + "' was not written by this store";
  } else if (*held != state->documents) {
    out.problem = "the index holds " + std::to_string(*held) +
                  " documents but its last commit recorded " + std::to_string(state->documents);
  } else if (*sequence > store_sequence) {
    out.problem = "the index is ahead of the store (index at change " + std::to_string(*sequence) +
                  ", store at " + std::to_string(store_sequence) +
                  "): the store was replaced or restored";
  }
  out.sequence = sequence.value_or(0);
  out.documents = *held;
  return out;
}

// Brings the node's index in step with the store and returns it (search.h has the policy).
Result<search::Index*> EnsureIndex(Node& node, std::vector<IndexNotice>* notices) {
  SearchIndexSlot& slot = node.search_index_slot();
  store::Store& store = node.store();
  bool rebuilt = false;
  auto rebuild = [&](const std::string& why) -> Status {
    if (rebuilt) {
      return Status::Internal("the search index is still out of step right after a rebuild: " +
                              why);
    }
    rebuilt = true;
    return Rebuild(node, why, notices).status();
  };

  for (;;) {
    if (slot.writable && slot.pending > 0) IPDX_RETURN_IF_ERROR(CommitPending(slot));
    if (!slot.index) {
      Status opened = OpenInto(node, /*writable=*/false);
      if (!opened.ok()) {
        const StatusCode code = opened.code();
        if (code == StatusCode::kNotFound) {
          IPDX_RETURN_IF_ERROR(rebuild("there was no index yet"));
        } else if (code == StatusCode::kCorruption || code == StatusCode::kFailedPrecondition) {
          IPDX_RETURN_IF_ERROR(rebuild(opened.message()));
        } else {
          return opened;
        }
        continue;
      }
    }
    IPDX_ASSIGN_OR_RETURN(const uint64_t store_sequence, store.ChangeSequence());
    IPDX_ASSIGN_OR_RETURN(Inspection seen, Inspect(slot, store_sequence));
    if (!seen.problem.empty()) {
      IPDX_RETURN_IF_ERROR(rebuild(seen.problem));
      continue;
    }
    slot.sequence = seen.sequence;
    if (seen.sequence < store_sequence) {
      if (!slot.writable) {
        Status writable = OpenInto(node, /*writable=*/true);
        if (writable.code() == StatusCode::kUnavailable) {
          IPDX_RETURN_IF_ERROR(OpenInto(node, /*writable=*/false));
          notices->push_back({IndexNotice::Action::kStale,
                              "the search index is behind the store (index at change " +
                                  std::to_string(seen.sequence) + ", store at " +
                                  std::to_string(store_sequence) +
                                  ") and another process is writing it (an ingest?): results may "
                                  "miss the newest records",
                              0});
          return slot.index.get();
        }
        IPDX_RETURN_IF_ERROR(writable);
        continue;  // inspect again through the writer
      }
      // Far behind (an ingest with --no-index, a restored store): one rebuild is quicker than
      // catching up copy by copy (bulk adds, no per-copy lookups, compacted), and costs at most
      // twice the catch-up's documents.
      const uint64_t behind = store_sequence - seen.sequence;
      if (behind >= kRebuildWhenBehind && behind > seen.documents) {
        IPDX_RETURN_IF_ERROR(rebuild("the index is " + std::to_string(behind) +
                                     " store changes behind, more than the " +
                                     std::to_string(seen.documents) +
                                     " records it holds: rebuilding is quicker than catching up"));
        continue;
      }
      slot.pending_to = seen.sequence;
      IPDX_ASSIGN_OR_RETURN(const uint64_t indexed, AddPending(store, slot, IndexCommitBudget{}));
      IPDX_RETURN_IF_ERROR(CommitPending(slot));
      slot.verified = false;
      notices->push_back({IndexNotice::Action::kCaughtUp,
                          "search index caught up with the store: " + std::to_string(indexed) +
                              " records indexed (index was at change " +
                              std::to_string(seen.sequence) + ", store at " +
                              std::to_string(store_sequence) + ")",
                          indexed});
      continue;
    }
    if (!slot.verified) {
      IPDX_ASSIGN_OR_RETURN(const uint64_t copies, store.CountCopies());
      if (copies != seen.documents) {
        IPDX_RETURN_IF_ERROR(rebuild("the index holds " + std::to_string(seen.documents) +
                                     " records, the store " + std::to_string(copies)));
        continue;
      }
      slot.verified = true;
    }
    return slot.index.get();
  }
}

SearchResponse ToResponse(search::SearchResult result, std::vector<IndexNotice> notices) {
  SearchResponse response;
  response.total = result.total;
  response.total_exact = result.total_exact;
  response.hits = std::move(result.hits);
  response.facets = std::move(result.facets);
  response.facets_exact = result.facets_exact;
  response.notices = std::move(notices);
  return response;
}

// Runs `body` on the index; an index that turns out damaged during the search (corruption Xapian
// only sees when it reads a damaged block) is rebuilt once and the search repeated.
template <typename F>
Result<SearchResponse> RunOnIndex(Node& node, F&& body) {
  std::vector<IndexNotice> notices;
  IPDX_ASSIGN_OR_RETURN(search::Index * index, EnsureIndex(node, &notices));
  Result<search::SearchResult> result = body(*index);
  if (!result.ok() && result.status().code() == StatusCode::kCorruption) {
    IPDX_RETURN_IF_ERROR(Rebuild(node, result.status().message(), &notices).status());
    IPDX_ASSIGN_OR_RETURN(index, EnsureIndex(node, &notices));
    result = body(*index);
  }
  if (!result.ok()) return result.status();
  return ToResponse(std::move(result).value(), std::move(notices));
}

}  // namespace

Result<SearchResponse> Search(Node& node, const search::SearchRequest& request,
                              search::QueryError* error) {
  // A bad query is reported before any index work.
  IPDX_RETURN_IF_ERROR(search::ValidateQuery(request.query, error));
  return RunOnIndex(node, [&](search::Index& index) { return index.Search(request, error); });
}

Result<SearchResponse> Similar(Node& node, const search::SimilarRequest& request,
                               search::QueryError* error) {
  if (!request.restrict_query.empty()) {
    IPDX_RETURN_IF_ERROR(search::ValidateQuery(request.restrict_query, error));
  }
  return RunOnIndex(node, [&](search::Index& index) { return index.Similar(request, error); });
}

Result<ReindexSummary> Reindex(Node& node,
                               const std::function<void(const ReindexProgress&)>& on_progress) {
  IPDX_ASSIGN_OR_RETURN(ReindexSummary summary, RebuildFromStore(node, on_progress));
  // Release the writer: a rebuild is a one-off, searches use a read-only index.
  CloseIndex(node.search_index_slot());
  return summary;
}

Result<IndexNotice> SyncIndex(Node& node) {
  std::vector<IndexNotice> notices;
  IPDX_RETURN_IF_ERROR(EnsureIndex(node, &notices).status());
  if (notices.empty()) return IndexNotice{};
  IndexNotice merged = notices.back();
  for (size_t i = 0; i + 1 < notices.size(); ++i) {
    merged.message = notices[i].message + "; " + merged.message;
  }
  return merged;
}

namespace {

// Indexes what `store` (the node's store, or another connection to it) committed since the index's
// mark, opening the index for writing first when needed.
Status IndexBatch(Node& node, store::Store& store, const IndexCommitBudget& budget) {
  SearchIndexSlot& slot = node.search_index_slot();
  if (!slot.index || !slot.writable) {
    IPDX_RETURN_IF_ERROR(OpenInto(node, /*writable=*/true));
    IPDX_ASSIGN_OR_RETURN(const uint64_t store_sequence, store.ChangeSequence());
    IPDX_ASSIGN_OR_RETURN(Inspection seen, Inspect(slot, store_sequence));
    if (!seen.problem.empty()) {
      CloseIndex(slot);
      return Status::FailedPrecondition(seen.problem);
    }
    slot.sequence = seen.sequence;
    slot.pending_to = seen.sequence;
  }
  return AddPending(store, slot, budget).status();
}

std::string IndexProblem(const Status& status) {
  return "the search index was not updated: " + status.message() +
         " (the next search catches up, or run: ipdx reindex)";
}

void NoteIndexProblem(Node& node, const Status& status, IngestSummary* summary) {
  CloseIndex(node.search_index_slot());
  summary->index_warning = IndexProblem(status);
}

// Commits what the slot has pending and releases the writer; the problem, if any.
Status CommitAndClose(SearchIndexSlot& slot) {
  if (!slot.index || !slot.writable) return Status::Ok();
  Status status = slot.pending > 0 ? CommitPending(slot) : Status::Ok();
  CloseIndex(slot);  // release the writer for other processes
  return status;
}

}  // namespace

uint64_t IndexTextBytes(const model::Record& record) {
  // Identifiers, dates, classification symbols and the stored document data of any record.
  constexpr uint64_t kPerDocument = 1024;
  uint64_t bytes = kPerDocument;
  for (const auto* texts : {&record.titles, &record.abstracts, &record.descriptions}) {
    for (const model::LangText& t : *texts) bytes += t.text.size();
  }
  for (const model::ClaimSet& set : record.claims) {
    for (const std::string& claim : set.claims) bytes += claim.size();
  }
  for (const auto* parties :
       {&record.applicants, &record.inventors, &record.assignees, &record.agents}) {
    for (const model::Party& party : *parties) bytes += party.name.size() + party.address.size();
  }
  for (const model::Citation& citation : record.citations) bytes += citation.text.size();
  return bytes;
}

void IndexCommittedBatch(Node& node, IngestSummary* summary, const IndexCommitBudget& budget) {
  if (!summary->index_warning.empty()) return;  // gave up for this run; the store is complete
  Status status = IndexBatch(node, node.store(), budget);
  if (!status.ok()) NoteIndexProblem(node, status, summary);
}

void FinishIndexing(Node& node, IngestSummary* summary) {
  if (!summary->index_warning.empty()) return;
  Status status = CommitAndClose(node.search_index_slot());
  if (!status.ok()) NoteIndexProblem(node, status, summary);
}

// ---- IngestIndexer ----------------------------------------------------------------------------

IngestIndexer::IngestIndexer(Node& node, const IndexCommitBudget& budget)
    : node_(node), budget_(budget) {
  // A connection of the indexer's own: the node's store belongs to the ingest's writer thread.
  Result<std::unique_ptr<store::Store>> reader = store::Store::OpenSqlite(node.store_path());
  if (!reader.ok()) {
    warning_ = IndexProblem(reader.status().WithContext("opening a store reader for indexing"));
    return;
  }
  reader_ = std::move(reader).value();
  // The indexer reads every new copy once; through the memory map those pages would stay
  // resident (ingest.cc, UnmappedReads).
  (void)reader_->SetReadMapBytes(0);
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::system_error& e) {
    warning_ = IndexProblem(Status::Internal(std::string("cannot start the indexer: ") + e.what()));
  }
}

IngestIndexer::~IngestIndexer() {
  if (thread_.joinable()) {
    Stop();
    thread_.join();
  }
}

void IngestIndexer::Committed() {
  std::lock_guard lock(mu_);
  ++requested_;
  cv_.notify_all();
}

void IngestIndexer::Stop() {
  std::lock_guard lock(mu_);
  stop_ = true;
  cv_.notify_all();
}

void IngestIndexer::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || handled_ < requested_; });
    if (handled_ == requested_) break;  // stopped, nothing left
    const uint64_t target = requested_;
    const bool failed = !warning_.empty();
    lock.unlock();
    // Every call indexes all that is committed, so commits that arrived meanwhile are covered.
    Status status = failed ? Status::Ok() : IndexBatch(node_, *reader_, budget_);
    indexed_to_.store(node_.search_index_slot().pending_to);
    lock.lock();
    if (!status.ok()) {
      warning_ = IndexProblem(status);
      CloseIndex(node_.search_index_slot());
    }
    handled_ = target;
    cv_.notify_all();
  }
}

void IngestIndexer::Finish(IngestSummary* summary,
                           const std::function<void(uint64_t indexed_to)>& on_wait) {
  if (thread_.joinable()) {
    Committed();  // the last batch
    {
      std::unique_lock lock(mu_);
      while (handled_ < requested_) {
        if (cv_.wait_for(lock, std::chrono::milliseconds(100),
                         [&] { return handled_ >= requested_; })) {
          break;
        }
        if (on_wait) {
          lock.unlock();
          on_wait(indexed_to_.load());
          lock.lock();
        }
      }
    }
    Stop();
    thread_.join();
  }
  if (warning_.empty()) {
    Status status = CommitAndClose(node_.search_index_slot());
    if (!status.ok()) warning_ = IndexProblem(status);
  } else {
    CloseIndex(node_.search_index_slot());
  }
  if (summary->index_warning.empty()) summary->index_warning = warning_;
}

// ---- searches on read-only handles ------------------------------------------------------------

Result<std::optional<VerifiedIndex>> VerifiedIndexState(Node& node,
                                                        std::vector<IndexNotice>* notices) {
  std::vector<IndexNotice> seen;
  IPDX_ASSIGN_OR_RETURN(search::Index * index, EnsureIndex(node, &seen));
  bool stale = false;
  for (IndexNotice& n : seen) {
    stale = stale || n.action == IndexNotice::Action::kStale;
    notices->push_back(std::move(n));
  }
  const SearchIndexSlot& slot = node.search_index_slot();
  if (stale || !slot.verified) return std::optional<VerifiedIndex>();
  IPDX_ASSIGN_OR_RETURN(const uint64_t documents, index->DocumentCount());
  return std::optional<VerifiedIndex>(VerifiedIndex{slot.sequence, documents});
}

namespace {

// Whether `reader` may answer without the Node (search.h, SearchOnReader); OK or
// FailedPrecondition (why), with a kStale notice in *notices when it is used while behind.
Status CheckReader(search::Index& reader, const VerifiedIndex& verified, uint64_t store_sequence,
                   bool allow_behind, std::vector<IndexNotice>* notices) {
  IPDX_ASSIGN_OR_RETURN(const search::IndexState state, reader.State());
  if (store_sequence == verified.sequence && state.mark == MarkFor(verified.sequence) &&
      state.documents == verified.documents) {
    return Status::Ok();  // the verified state, and the store has not moved since
  }
  const std::optional<uint64_t> sequence = ParseMark(state.mark);
  if (!allow_behind || !sequence || *sequence < verified.sequence || *sequence > store_sequence) {
    return Status::FailedPrecondition("the read-only index is not the verified one");
  }
  IPDX_ASSIGN_OR_RETURN(const uint64_t held, reader.DocumentCount());
  if (held != state.documents) {
    return Status::FailedPrecondition("the read-only index contradicts its own state");
  }
  if (*sequence < store_sequence) {
    notices->push_back({IndexNotice::Action::kStale,
                        "the search index is behind the store (index at change " +
                            std::to_string(*sequence) + ", store at " +
                            std::to_string(store_sequence) +
                            ") while the node is writing (an ingest?): results may miss the "
                            "newest records",
                        0});
  }
  return Status::Ok();
}

}  // namespace

Result<SearchResponse> SearchOnReader(search::Index& reader, const VerifiedIndex& verified,
                                      uint64_t store_sequence, bool allow_behind,
                                      const search::SearchRequest& request,
                                      search::QueryError* error) {
  IPDX_RETURN_IF_ERROR(search::ValidateQuery(request.query, error));
  std::vector<IndexNotice> notices;
  IPDX_RETURN_IF_ERROR(CheckReader(reader, verified, store_sequence, allow_behind, &notices));
  IPDX_ASSIGN_OR_RETURN(search::SearchResult result, reader.Search(request, error));
  return ToResponse(std::move(result), std::move(notices));
}

Result<SearchResponse> SimilarOnReader(search::Index& reader, const VerifiedIndex& verified,
                                       uint64_t store_sequence, bool allow_behind,
                                       const search::SimilarRequest& request,
                                       search::QueryError* error) {
  if (!request.restrict_query.empty()) {
    IPDX_RETURN_IF_ERROR(search::ValidateQuery(request.restrict_query, error));
  }
  std::vector<IndexNotice> notices;
  IPDX_RETURN_IF_ERROR(CheckReader(reader, verified, store_sequence, allow_behind, &notices));
  IPDX_ASSIGN_OR_RETURN(search::SearchResult result, reader.Similar(request, error));
  return ToResponse(std::move(result), std::move(notices));
}

}  // namespace ipdx::service
