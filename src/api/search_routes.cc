// Server::Impl::RunSearch: searches in parallel on read-only index handles (search_pool.h), on
// the Node under node_mu only when the service cannot vouch for a handle (service/search.h,
// "searches on read-only handles").
//
// Why three steps: (1) the common case, an index verified in step and a store that has not moved,
// needs no lock at all; (2) while the Node is busy writing (an ingest holds node_mu for its whole
// run), a search answers from what is indexed and says the results may miss the newest records,
// as it does when another process ingests, instead of waiting minutes; (3) everything else (no
// verified state yet, the store moved, a handle reported an error) goes through the Node, which
// catches up or rebuilds and reports it, and leaves a new verified state for the next searches.
#include "api/server_internal.h"
#include "service/search.h"

namespace ipdx::api {

Result<service::SearchResponse> Server::Impl::RunSearch(const search::SearchRequest* search,
                                                        const search::SimilarRequest* similar,
                                                        search::QueryError* error) {
  // Answers a trusted reader gives for the request itself: a bad query, or (in step) a similar
  // example that is not indexed.
  const auto settled = [](const Result<service::SearchResponse>& r, bool behind) {
    return r.ok() || r.status().code() == StatusCode::kInvalidArgument ||
           (!behind && r.status().code() == StatusCode::kNotFound);
  };
  const auto on_reader = [&](const service::VerifiedIndex& verified, uint64_t sequence,
                             bool behind) -> std::optional<Result<service::SearchResponse>> {
    Result<SearchPool::Lease> handle = searchers->Acquire();
    if (!handle.ok()) {
      searchers->Invalidate();
      return std::nullopt;
    }
    Result<service::SearchResponse> r =
        search != nullptr
            ? service::SearchOnReader(**handle, verified, sequence, behind, *search, error)
            : service::SimilarOnReader(**handle, verified, sequence, behind, *similar, error);
    if (settled(r, behind)) return r;
    if (r.status().code() != StatusCode::kFailedPrecondition) {
      // Damaged, unreadable or swapped under us: the Node finds out which and repairs it.
      handle->Discard();
      searchers->Invalidate();
    }
    if (error != nullptr) *error = {};
    return std::nullopt;
  };

  const auto current_sequence = [&] {
    auto lease = readers.Acquire();
    return readers.ChangeSequence(*lease);
  };
  std::unique_lock node_lock(node_mu, std::defer_lock);
  bool tried_in_step = false;
  if (const std::optional<service::VerifiedIndex> verified = searchers->verified()) {
    Result<uint64_t> sequence = current_sequence();
    if (!sequence.ok()) return sequence.status();
    if (*sequence == verified->sequence) {
      tried_in_step = true;
      if (auto r = on_reader(*verified, *sequence, /*behind=*/false)) return std::move(*r);
    }
    if (!node_lock.try_lock()) {
      if (auto r = on_reader(*verified, *sequence, /*behind=*/true)) return std::move(*r);
    }
  }
  if (!node_lock.owns_lock()) node_lock.lock();
  // The searches that arrive together before there is a verified state (right after a start)
  // all queue here; the first one leaves one, and the others then need not run one by one on the
  // node: a handle in step answers them in parallel.
  if (!tried_in_step) {
    if (const std::optional<service::VerifiedIndex> verified = searchers->verified()) {
      Result<uint64_t> sequence = current_sequence();
      if (!sequence.ok()) return sequence.status();
      if (*sequence == verified->sequence) {
        node_lock.unlock();
        if (auto r = on_reader(*verified, *sequence, /*behind=*/false)) return std::move(*r);
        node_lock.lock();
      }
    }
  }
  Result<service::SearchResponse> r = search != nullptr ? service::Search(*node, *search, error)
                                                        : service::Similar(*node, *similar, error);
  // The state the next searches may trust (usually found in step right away: Search just
  // checked it).
  std::vector<service::IndexNotice> notices;
  Result<std::optional<service::VerifiedIndex>> verified =
      service::VerifiedIndexState(*node, &notices);
  bool rebuilt = false;
  for (const auto& n : notices)
    rebuilt = rebuilt || n.action == service::IndexNotice::Action::kRebuilt;
  if (r.ok()) {
    for (const auto& n : r->notices) {
      rebuilt = rebuilt || n.action == service::IndexNotice::Action::kRebuilt;
    }
    for (auto& n : notices) r->notices.push_back(std::move(n));
  }
  // A rebuild swapped the index folder: handles opened before still read the old files.
  if (rebuilt || !verified.ok()) searchers->Invalidate();
  searchers->SetVerified(verified.ok() ? *verified : std::nullopt);
  return r;
}

}  // namespace ipdx::api
