// Verification of a change batch by its receiver (docs/formats/exchange.md §3). The order of the
// checks is the one the document gives; each refusal names what did not match.
#include <string>

#include "codec/codec.h"
#include "exchange/exchange.h"

namespace ipdx::exchange {
namespace {

Status Refuse(std::string* kind, const char* what, Status status) {
  if (kind != nullptr) *kind = what;
  return status;
}

}  // namespace

Result<VerifiedBatch> VerifyChangeBatch(const ChangeBatch& batch, const PeerTrust& trust,
                                        const PeerSyncState& state, std::string* evidence_kind) {
  if (evidence_kind != nullptr) evidence_kind->clear();
  // 1. Shape: the batch answers our request.
  if (batch.origin != trust.origin) {
    return Status::InvalidArgument("batch origin '" + batch.origin + "' is not the peer's '" +
                                   trust.origin + "'");
  }
  if (batch.after != state.cursor) {
    return Status::InvalidArgument("batch starts at leaf " + std::to_string(batch.after) +
                                   ", the cursor is " + std::to_string(state.cursor));
  }
  if (state.frontier.size() != state.cursor) {
    return Status::Internal("sync state: frontier size " + std::to_string(state.frontier.size()) +
                            " differs from the cursor " + std::to_string(state.cursor));
  }
  // 2. The checkpoint is signed by the pinned log key and names the batch's tree size.
  auto opened =
      ledger::OpenNote(batch.checkpoint, std::span<const ledger::VerifierKey>(&trust.log_key, 1));
  if (!opened.ok()) {
    if (opened.status().code() == StatusCode::kPermissionDenied) {
      return Refuse(evidence_kind, "bad-signature",
                    Status::PermissionDenied(
                        "checkpoint of " + trust.origin +
                        " does not verify with the pinned log key: " + opened.status().message()));
    }
    return opened.status().WithContext("batch checkpoint");
  }
  IPDX_ASSIGN_OR_RETURN(ledger::Checkpoint cp, ledger::ParseCheckpoint(opened->note.text));
  if (cp.origin != trust.origin || cp.tree_size != batch.tree_size) {
    return Status::InvalidArgument("batch checkpoint is for " + cp.origin + " size " +
                                   std::to_string(cp.tree_size) + ", the batch says " +
                                   batch.origin + " size " + std::to_string(batch.tree_size));
  }
  const uint64_t t = cp.tree_size;

  // 3. The checkpoint against the last one verified from this peer (size K).
  const uint64_t k = state.checkpoint_size;
  ledger::Hash root_k{};
  bool k_linked = k == 0 || state.cursor >= k;  // frontier(K) was checked against root K
  if (k > 0) {
    IPDX_ASSIGN_OR_RETURN(ledger::Note prev, ledger::ParseNote(state.checkpoint));
    IPDX_ASSIGN_OR_RETURN(ledger::Checkpoint prev_cp, ledger::ParseCheckpoint(prev.text));
    root_k = prev_cp.root;
    if (t < k) {
      return Refuse(
          evidence_kind, "rollback",
          Status::Corruption(trust.origin + " served a checkpoint of size " + std::to_string(t) +
                             " after one of size " + std::to_string(k) + " was verified"));
    }
    if (t == k) {
      if (cp.root != root_k) {
        return Refuse(evidence_kind, "fork",
                      Status::Corruption(trust.origin + " signed two checkpoints of size " +
                                         std::to_string(t) + " with different roots (" +
                                         ledger::HashToBase64(root_k) + ", " +
                                         ledger::HashToBase64(cp.root) + ")"));
      }
      k_linked = true;
    } else if (batch.known > 0) {
      if (batch.known != k) {
        return Status::InvalidArgument("batch proves consistency from size " +
                                       std::to_string(batch.known) + ", asked for " +
                                       std::to_string(k));
      }
      Status s = ledger::VerifyConsistency(k, t, root_k, cp.root, batch.known_consistency);
      if (!s.ok()) {
        return Refuse(evidence_kind, "inconsistent",
                      Status::Corruption(trust.origin + " checkpoint " + std::to_string(t) +
                                         " is not consistent with checkpoint " + std::to_string(k) +
                                         ": " + s.message()));
      }
      k_linked = true;
    }
  }

  // The range, once the checkpoint is known to be no rollback (which would also fail it).
  if (batch.next < batch.after || batch.next > batch.tree_size ||
      batch.entries.size() != batch.next - batch.after) {
    return Status::InvalidArgument(
        "batch range [" + std::to_string(batch.after) + ", " + std::to_string(batch.next) +
        ") with " + std::to_string(batch.entries.size()) + " entries does not fit tree size " +
        std::to_string(batch.tree_size));
  }
  for (size_t i = 0; i < batch.entries.size(); ++i) {
    if (batch.entries[i].leaf != batch.after + i) {
      return Status::InvalidArgument("batch entry " + std::to_string(i) + " is leaf " +
                                     std::to_string(batch.entries[i].leaf) + ", expected " +
                                     std::to_string(batch.after + i));
    }
  }

  // 4. The entries: appended to the frontier they give the root of size `next`, which must be
  // the checkpoint's root (next == T) or consistent with it.
  ledger::MerkleFrontier frontier = state.frontier;
  for (const BatchEntry& e : batch.entries) {
    frontier.Append(ledger::LeafHash(e.entry));
    if (!k_linked && frontier.size() == k) {
      if (frontier.Root() != root_k) {
        return Refuse(evidence_kind, "inconsistent",
                      Status::Corruption("leaves 0.." + std::to_string(k) + " of " + trust.origin +
                                         " as served now do not have the root "
                                         "of its checkpoint " +
                                         std::to_string(k)));
      }
      k_linked = true;
    }
  }
  if (batch.next == t) {
    if (frontier.Root() != cp.root) {
      return Refuse(evidence_kind, "tampered-entry",
                    Status::Corruption("entries " + std::to_string(batch.after) + ".." +
                                       std::to_string(batch.next) + " of " + trust.origin +
                                       " do not give the root of checkpoint " + std::to_string(t)));
    }
  } else if (batch.next > 0) {
    Status s =
        ledger::VerifyConsistency(batch.next, t, frontier.Root(), cp.root, batch.consistency);
    if (!s.ok()) {
      return Refuse(
          evidence_kind, "tampered-entry",
          Status::Corruption("entries " + std::to_string(batch.after) + ".." +
                             std::to_string(batch.next) + " of " + trust.origin +
                             " are not in checkpoint " + std::to_string(t) + ": " + s.message()));
    }
  }
  if (!k_linked) {
    return Refuse(
        evidence_kind, "inconsistent",
        Status::Corruption(trust.origin + " served checkpoint " + std::to_string(t) +
                           " without a proof that it extends checkpoint " + std::to_string(k)));
  }

  // 5. Each entry says what the publisher logged; each record must be what the entry hashes.
  VerifiedBatch out;
  out.checkpoint = cp;
  out.entries.reserve(batch.entries.size());
  out.records.reserve(batch.entries.size());
  for (const BatchEntry& e : batch.entries) {
    const std::string where = trust.origin + " leaf " + std::to_string(e.leaf);
    auto entry = ledger::DecodeEntry(e.entry);
    if (!entry.ok()) {
      return Refuse(evidence_kind, "tampered-entry",
                    Status::Corruption(where + " does not decode: " + entry.status().message()));
    }
    if (entry->publisher != trust.office) {
      return Refuse(evidence_kind, "tampered-entry",
                    Status::Corruption(where + " is published by " + entry->publisher +
                                       ", not by the peer's office " + trust.office));
    }
    std::optional<model::Record> record;
    if (entry->type == ledger::EntryType::kRecordVersion) {
      if (e.record_json.empty()) {
        return Refuse(evidence_kind, "tampered-record",
                      Status::Corruption(where + " comes without its record"));
      }
      auto rec = codec::FromJson(e.record_json);
      if (!rec.ok()) {
        return Refuse(
            evidence_kind, "tampered-record",
            Status::Corruption(where + ": record does not parse: " + rec.status().message()));
      }
      if (rec->Id() != entry->record_id) {
        return Refuse(evidence_kind, "tampered-record",
                      Status::Corruption(where + " logs " + entry->record_id +
                                         " but carries the record " + rec->Id()));
      }
      const std::string hash = codec::ContentHash(*rec);
      if (hash != HexEncode(entry->content_hash)) {
        return Refuse(
            evidence_kind, "tampered-record",
            Status::Corruption(where + ": record " + entry->record_id + " version " +
                               std::to_string(entry->record_version) + " has content hash " + hash +
                               ", the log says " + HexEncode(entry->content_hash)));
      }
      record = std::move(rec).value();
    } else if (!e.record_json.empty()) {
      return Status::InvalidArgument(where + " is a rights event but carries a record");
    }
    out.entries.push_back(std::move(entry).value());
    out.records.push_back(std::move(record));
  }
  out.state.cursor = batch.next;
  out.state.frontier = std::move(frontier);
  out.state.checkpoint_size = t;
  out.state.checkpoint = batch.checkpoint;
  return out;
}

}  // namespace ipdx::exchange
