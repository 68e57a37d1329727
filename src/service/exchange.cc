// Exchange use-cases (service/exchange.h): pinned peers, verified sync, witnessing, bundles.
// The wire format and the verification algorithm are in docs/formats/exchange.md; this file
// coordinates the store, the log keys and the search index around exchange::VerifyChangeBatch.
#include "service/exchange.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <regex>
#include <string>
#include <utility>

#include "common/clock.h"
#include "service/ledger.h"
#include "service/search.h"

namespace ipdx::service {
namespace {

bool ValidPeerName(const std::string& name) {
  static const std::regex kName("[A-Za-z0-9._-]{1,64}");
  return std::regex_match(name, kName);
}

uint64_t UnixNow() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Witness keys this node knows: every pinned peer's and its own.
Result<std::vector<ledger::VerifierKey>> KnownWitnessKeys(Node& node) {
  std::vector<ledger::VerifierKey> keys{node.witness_key().verifier()};
  IPDX_ASSIGN_OR_RETURN(std::vector<store::PeerRow> peers, node.store().ListPeers());
  for (const store::PeerRow& p : peers) {
    if (p.witness_vkey.empty()) continue;
    if (auto k = ledger::VerifierKey::Parse(p.witness_vkey); k.ok()) keys.push_back(*k);
  }
  return keys;
}

Result<PeerView> ToView(Node& node, const store::PeerRow& row,
                        const std::vector<ledger::VerifierKey>& witnesses) {
  PeerView v;
  v.name = row.name;
  v.url = row.url;
  v.office = row.office;
  v.origin = row.origin;
  v.log_vkey = row.log_vkey;
  v.witness_vkey = row.witness_vkey;
  if (auto k = ledger::VerifierKey::Parse(row.log_vkey); k.ok()) {
    v.fingerprint = exchange::KeyFingerprint(*k);
  }
  v.added_at = row.added_at;
  v.cursor = row.cursor;
  v.checkpoint_size = row.checkpoint_size;
  v.checkpoint = row.checkpoint;
  if (!row.checkpoint.empty()) {
    if (auto w = ledger::VerifiedWitnesses(row.checkpoint, witnesses); w.ok()) {
      v.witnesses = w->size();
    }
  }
  v.lag = row.checkpoint_size > row.cursor ? row.checkpoint_size - row.cursor : 0;
  IPDX_ASSIGN_OR_RETURN(v.records, node.store().CountCopiesFrom(row.office));
  v.last_sync_at = row.last_sync_at;
  v.last_error = row.last_error;
  IPDX_ASSIGN_OR_RETURN(std::vector<store::EvidenceRow> ev, node.store().ListEvidence(row.name));
  v.evidence = ev.size();
  return v;
}

Result<store::PeerRow> LoadPeer(Node& node, const std::string& name) {
  IPDX_ASSIGN_OR_RETURN(std::optional<store::PeerRow> row, node.store().GetPeer(name));
  if (!row) return Status::NotFound("no peer named " + name + " (ipdx peer list)");
  return std::move(*row);
}

// Records why the last sync stopped (best effort: the error being returned matters more).
void NoteError(Node& node, store::PeerRow row, const Status& status) {
  row.last_error = status.ToString();
  (void)node.store().UpdatePeer(row);
}

// Keeps the evidence in its own transaction and returns the refusal, naming the evidence id.
Status Refuse(Node& node, store::PeerRow row, const std::string& kind, const Status& why,
              const std::string& checkpoint_after) {
  store::EvidenceRow ev;
  ev.peer = row.name;
  ev.origin = row.origin;
  ev.kind = kind;
  ev.message = why.message();
  ev.checkpoint_before = row.checkpoint;
  ev.checkpoint_after = checkpoint_after;
  Result<int64_t> id = node.store().PutEvidence(ev);
  Status out(why.code(),
             "peer " + row.name + " refused (" + kind + ", evidence " +
                 (id.ok() ? std::to_string(*id) : "not stored: " + id.status().message()) +
                 "): " + why.message());
  NoteError(node, std::move(row), out);
  return out;
}

// The peer's current checkpoint when it is validly signed and smaller than the one verified
// before (a rollback); nullopt otherwise.
std::optional<std::string> ProbeRollback(exchange::PeerTransport& transport,
                                         const exchange::PeerTrust& trust,
                                         const exchange::PeerSyncState& state) {
  exchange::ChangeRequest probe;
  probe.limit = 1;
  Result<std::string> body = transport.GetChanges(probe);
  if (!body.ok()) return std::nullopt;
  Result<exchange::ChangeBatch> batch = exchange::ParseChangeBatch(*body);
  if (!batch.ok()) return std::nullopt;
  auto opened =
      ledger::OpenNote(batch->checkpoint, std::span<const ledger::VerifierKey>(&trust.log_key, 1));
  if (!opened.ok()) return std::nullopt;
  auto cp = ledger::ParseCheckpoint(opened->note.text);
  if (!cp.ok() || cp->origin != trust.origin || cp->tree_size >= state.checkpoint_size) {
    return std::nullopt;
  }
  return batch->checkpoint;
}

struct Applied {
  uint64_t records = 0;
  uint64_t events = 0;
};

// One transaction: the mirror, the records, the new sync state. A leaf already mirrored with the
// same bytes (a peer removed and pinned again) was applied before and is skipped.
// The peer's row once a batch that brought it to `state` is applied.
store::PeerRow AfterBatch(store::PeerRow row, const exchange::PeerSyncState& state) {
  row.cursor = state.cursor;
  row.frontier = state.frontier.ToBytes();
  row.checkpoint_size = state.checkpoint_size;
  row.checkpoint = state.checkpoint;
  row.last_sync_at = NowUtcIso8601();
  row.last_error.clear();
  return row;
}

// Stores a verified batch and the peer's new row `next` (AfterBatch) in the caller's transaction.
// The verified records are moved into the store.
Status ApplyBatchTx(Node& node, const store::PeerRow& row, const store::PeerRow& next,
                    const exchange::ChangeBatch& batch, exchange::VerifiedBatch& verified,
                    Applied* applied, std::string* evidence_kind) {
  store::Store& st = node.store();
  for (size_t i = 0; i < batch.entries.size(); ++i) {
    const exchange::BatchEntry& e = batch.entries[i];
    Result<bool> inserted = st.PutPeerEntry(row.origin, e.leaf, e.entry);
    if (!inserted.ok()) {
      if (inserted.status().code() == StatusCode::kCorruption) *evidence_kind = "fork";
      return inserted.status();
    }
    if (!*inserted) continue;
    const ledger::Entry& entry = verified.entries[i];
    if (entry.type == ledger::EntryType::kRightsEvent) {
      ++applied->events;
      continue;
    }
    model::Record& record = *verified.records[i];
    IPDX_ASSIGN_OR_RETURN(store::PutResult put, st.PutRecord(row.office, &record));
    if (put.outcome == store::PutOutcome::kUnchanged ||
        put.version != static_cast<int>(entry.record_version)) {
      *evidence_kind = "tampered-entry";
      return Status::Corruption(
          row.origin + " leaf " + std::to_string(e.leaf) + " logs " + entry.record_id +
          " version " + std::to_string(entry.record_version) + " but its content is version " +
          std::to_string(put.version) + " of the copy held here");
    }
    ++applied->records;
  }
  return st.UpdatePeer(next);
}

}  // namespace

std::string WitnessPublicKey(const Node& node) { return node.witness_key().verifier().ToString(); }

Status AddPeer(Node& node, const std::string& name, const std::string& url,
               const exchange::NodeInfo& info) {
  if (!ValidPeerName(name)) {
    return Status::InvalidArgument("peer name '" + name + "' must be 1-64 of [A-Za-z0-9._-]");
  }
  if (info.office == node.config().office) {
    return Status::InvalidArgument("peer office " + info.office + " is this node's own office");
  }
  if (info.origin == node.log_key().name()) {
    return Status::InvalidArgument("peer origin " + info.origin + " is this node's own log");
  }
  IPDX_ASSIGN_OR_RETURN(ledger::VerifierKey log_key, ledger::VerifierKey::Parse(info.log_vkey));
  if (log_key.name() != info.origin || log_key.type() != ledger::KeyType::kEd25519) {
    return Status::InvalidArgument("peer log key is not an Ed25519 key named " + info.origin);
  }
  if (!info.witness_vkey.empty()) {
    IPDX_ASSIGN_OR_RETURN(ledger::VerifierKey w, ledger::VerifierKey::Parse(info.witness_vkey));
    if (w.type() != ledger::KeyType::kCosignatureV1) {
      return Status::InvalidArgument("peer witness key is not a cosignature/v1 key");
    }
  }
  store::PeerRow row;
  row.name = name;
  row.url = url;
  row.office = info.office;
  row.origin = info.origin;
  row.log_vkey = info.log_vkey;
  row.witness_vkey = info.witness_vkey;
  return node.store().AddPeer(row);
}

Status RemovePeer(Node& node, const std::string& name) { return node.store().RemovePeer(name); }

Result<PeerView> GetPeer(Node& node, const std::string& name) {
  IPDX_ASSIGN_OR_RETURN(store::PeerRow row, LoadPeer(node, name));
  IPDX_ASSIGN_OR_RETURN(auto witnesses, KnownWitnessKeys(node));
  return ToView(node, row, witnesses);
}

Result<std::vector<PeerView>> ListPeers(Node& node) {
  IPDX_ASSIGN_OR_RETURN(std::vector<store::PeerRow> rows, node.store().ListPeers());
  IPDX_ASSIGN_OR_RETURN(auto witnesses, KnownWitnessKeys(node));
  std::vector<PeerView> out;
  for (const store::PeerRow& row : rows) {
    IPDX_ASSIGN_OR_RETURN(PeerView v, ToView(node, row, witnesses));
    out.push_back(std::move(v));
  }
  return out;
}

Result<SyncReport> SyncPeer(Node& node, const std::string& name, exchange::PeerTransport& transport,
                            const SyncOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  IPDX_ASSIGN_OR_RETURN(store::PeerRow row, LoadPeer(node, name));
  if (options.batch_entries == 0 || options.batch_entries > exchange::kMaxBatchEntries) {
    return Status::InvalidArgument("batch size must be 1.." +
                                   std::to_string(exchange::kMaxBatchEntries));
  }
  IPDX_ASSIGN_OR_RETURN(ledger::VerifierKey log_key, ledger::VerifierKey::Parse(row.log_vkey));
  const exchange::PeerTrust trust{row.office, row.origin, log_key};

  Result<exchange::NodeInfo> info = transport.GetNodeInfo();
  if (!info.ok()) {
    NoteError(node, row, info.status());
    return info.status().WithContext("peer " + name);
  }
  if (info->origin != row.origin || info->log_vkey != row.log_vkey) {
    return Refuse(node, row, "key-changed",
                  Status::PermissionDenied("peer now presents log " + info->origin + " key " +
                                           info->log_vkey + ", pinned: " + row.origin + " key " +
                                           row.log_vkey +
                                           "; re-pin deliberately if this is "
                                           "expected"),
                  "");
  }

  exchange::PeerSyncState state;
  state.cursor = row.cursor;
  {
    auto frontier = ledger::MerkleFrontier::FromBytes(row.cursor, row.frontier);
    if (!frontier.ok()) {
      return Status::Corruption("stored sync state of peer " + name + ": " +
                                frontier.status().message());
    }
    state.frontier = std::move(frontier).value();
  }
  state.checkpoint_size = row.checkpoint_size;
  state.checkpoint = row.checkpoint;

  SyncReport report;
  report.peer = name;
  report.from_cursor = row.cursor;
  IngestSummary index_summary;  // collects the index warning, as ingest does
  for (;;) {
    exchange::ChangeRequest request;
    request.after = state.cursor;
    request.limit = options.batch_entries;
    request.known = state.checkpoint_size;
    Result<std::string> body = transport.GetChanges(request);
    if (!body.ok() && body.status().code() == StatusCode::kInvalidArgument &&
        state.checkpoint_size > 0) {
      // A peer that refuses our cursor may have rolled its log back: its current signed
      // checkpoint (from a batch at leaf 0) is then the evidence.
      if (std::optional<std::string> proof = ProbeRollback(transport, trust, state)) {
        FinishIndexing(node, &index_summary);
        return Refuse(
            node, row, "rollback",
            Status::Corruption(row.origin + " refused cursor " + std::to_string(state.cursor) +
                               " and now signs a checkpoint smaller than the one of "
                               "size " +
                               std::to_string(state.checkpoint_size) + " verified before"),
            *proof);
      }
    }
    if (!body.ok()) {
      NoteError(node, row, body.status());
      FinishIndexing(node, &index_summary);
      return body.status().WithContext("peer " + name + " at leaf " + std::to_string(state.cursor));
    }
    Result<exchange::ChangeBatch> batch = exchange::ParseChangeBatch(*body);
    if (!batch.ok()) {
      NoteError(node, row, batch.status());
      FinishIndexing(node, &index_summary);
      return batch.status().WithContext("peer " + name);
    }
    std::string kind;
    Result<exchange::VerifiedBatch> verified =
        exchange::VerifyChangeBatch(*batch, trust, state, &kind);
    if (!verified.ok()) {
      FinishIndexing(node, &index_summary);
      if (!kind.empty()) return Refuse(node, row, kind, verified.status(), batch->checkpoint);
      NoteError(node, row, verified.status());
      return verified.status().WithContext("peer " + name);
    }
    Applied applied;
    std::string apply_kind;
    store::PeerRow next = AfterBatch(row, verified->state);
    Status s = node.store().Begin();
    if (s.ok()) s = ApplyBatchTx(node, row, next, *batch, *verified, &applied, &apply_kind);
    if (s.ok()) s = node.store().Commit();
    if (!s.ok()) {
      (void)node.store().Rollback();
      FinishIndexing(node, &index_summary);
      if (!apply_kind.empty()) return Refuse(node, row, apply_kind, s, batch->checkpoint);
      NoteError(node, row, s);
      return s.WithContext("peer " + name + ": storing leaves " + std::to_string(batch->after) +
                           ".." + std::to_string(batch->next));
    }
    IndexCommittedBatch(node, &index_summary);
    const bool progressed = verified->state.cursor > state.cursor;
    state = std::move(verified->state);
    row = std::move(next);
    report.entries += batch->entries.size();
    report.records += applied.records;
    report.events += applied.events;
    report.bytes = transport.bytes_received();
    if (options.on_progress) {
      options.on_progress(
          {name, state.cursor, state.checkpoint_size, report.records, report.bytes});
    }
    if (state.cursor >= state.checkpoint_size) break;
    if (!progressed) {
      FinishIndexing(node, &index_summary);
      Status stuck = Status::Unavailable("peer " + name + " served no entries at leaf " +
                                         std::to_string(state.cursor) + " below its tree size " +
                                         std::to_string(state.checkpoint_size));
      NoteError(node, row, stuck);
      return stuck;
    }
  }
  FinishIndexing(node, &index_summary);
  report.index_warning = index_summary.index_warning;
  report.to_cursor = state.cursor;
  report.checkpoint = state.checkpoint;

  if (options.cosign && !state.checkpoint.empty()) {
    Result<std::string> cosigned =
        ledger::AddCosignature(state.checkpoint, log_key, node.witness_key(), UnixNow());
    if (!cosigned.ok()) {
      report.cosign_error = cosigned.status().ToString();
    } else {
      Status sent = transport.PostCosignature(*cosigned);
      report.cosigned = sent.ok();
      if (!sent.ok()) report.cosign_error = sent.ToString();
    }
  }
  report.bytes = transport.bytes_received();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

Result<int> AcceptCosignature(Node& node, std::string_view cosigned_checkpoint) {
  IPDX_ASSIGN_OR_RETURN(ledger::Note incoming, ledger::ParseNote(cosigned_checkpoint));
  IPDX_ASSIGN_OR_RETURN(ledger::Checkpoint cp, ledger::ParseCheckpoint(incoming.text));
  ledger::LogStorage& log = node.store().Log();
  Result<std::string> ours_text = log.ReadCheckpoint(cp.tree_size);
  if (!ours_text.ok()) {
    if (ours_text.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no checkpoint of size " + std::to_string(cp.tree_size) +
                              " was signed here");
    }
    return ours_text.status();
  }
  IPDX_ASSIGN_OR_RETURN(ledger::Note ours, ledger::ParseNote(*ours_text));
  if (ours.text != incoming.text) {
    return Status::NotFound("the cosigned checkpoint of size " + std::to_string(cp.tree_size) +
                            " is not the one signed here");
  }
  IPDX_ASSIGN_OR_RETURN(std::vector<store::PeerRow> peers, node.store().ListPeers());
  int verified = 0;
  int added = 0;
  for (const ledger::NoteSignature& sig : incoming.signatures) {
    for (const store::PeerRow& p : peers) {
      if (p.witness_vkey.empty()) continue;
      auto key = ledger::VerifierKey::Parse(p.witness_vkey);
      if (!key.ok() || key->name() != sig.key_name || key->key_id() != sig.key_id) continue;
      if (!key->Verify(incoming.text, sig.signature)) continue;
      ++verified;
      auto same = [&](const ledger::NoteSignature& s) {
        return s.key_name == sig.key_name && s.key_id == sig.key_id;
      };
      auto it = std::find_if(ours.signatures.begin(), ours.signatures.end(), same);
      if (it == ours.signatures.end()) {
        ours.signatures.push_back(sig);
        ++added;
      } else if (it->signature != sig.signature) {
        // A newer cosignature from the same witness replaces the older one.
        auto old_ts = ledger::CosignatureTimestamp(*it);
        auto new_ts = ledger::CosignatureTimestamp(sig);
        if (old_ts.ok() && new_ts.ok() && *new_ts > *old_ts) *it = sig;
      }
      break;
    }
  }
  if (verified == 0) {
    return Status::PermissionDenied("no cosignature on checkpoint " + std::to_string(cp.tree_size) +
                                    " verifies with the witness key of a pinned peer");
  }
  if (added > 0) IPDX_RETURN_IF_ERROR(log.StoreCheckpoint(cp.tree_size, ledger::FormatNote(ours)));
  return added;
}

Result<std::vector<EvidenceView>> ListEvidence(Node& node, const std::string& peer) {
  IPDX_ASSIGN_OR_RETURN(std::vector<store::EvidenceRow> rows, node.store().ListEvidence(peer));
  std::vector<EvidenceView> out;
  out.reserve(rows.size());
  for (store::EvidenceRow& r : rows) {
    out.push_back({r.evidence_id, std::move(r.peer), std::move(r.kind), std::move(r.detected_at),
                   std::move(r.message), std::move(r.checkpoint_before),
                   std::move(r.checkpoint_after)});
  }
  return out;
}

Result<BundleSummary> ExportBundle(Node& node, uint64_t since, const std::string& out_path,
                                   const std::function<void(const SyncProgress&)>& on_progress) {
  IPDX_ASSIGN_OR_RETURN(SignedCheckpoint latest, UpdateCheckpoint(node));
  const uint64_t t = latest.checkpoint.tree_size;
  if (since > t) {
    return Status::InvalidArgument("--since " + std::to_string(since) +
                                   " is beyond the log's size " + std::to_string(t));
  }
  exchange::BundleManifest manifest;
  manifest.origin = latest.checkpoint.origin;
  manifest.log_vkey = LogPublicKey(node);
  manifest.from = since;
  manifest.to = t;
  manifest.checkpoint = latest.note;
  ledger::LogStorage& log = node.store().Log();
  IPDX_ASSIGN_OR_RETURN(std::vector<uint64_t> sizes, log.CheckpointSizes());
  for (uint64_t size : sizes) {
    if (size == 0 || size < since || size >= t) continue;
    IPDX_ASSIGN_OR_RETURN(manifest.consistency[size], ledger::ConsistencyProof(log, size, t));
  }
  IPDX_ASSIGN_OR_RETURN(auto writer, exchange::BundleWriter::Create(out_path));
  uint64_t after = since;
  size_t n = 0;
  do {
    exchange::ChangeRequest request;
    request.after = after;
    request.limit = exchange::kDefaultBatchEntries;
    request.tree_size = t;
    IPDX_ASSIGN_OR_RETURN(std::string json, exchange::BuildChangeBatch(node.store(), request));
    char name[32];
    std::snprintf(name, sizeof name, "changes/%06zu.json.zst", n++);
    IPDX_RETURN_IF_ERROR(writer->Add(name, exchange::ZstdCompress(json)));
    manifest.batches.emplace_back(name);
    after = std::min<uint64_t>(t, after + exchange::kDefaultBatchEntries);
    if (on_progress) {
      on_progress({manifest.origin, after, t, 0, writer->bytes_written()});
    }
  } while (after < t);
  IPDX_RETURN_IF_ERROR(writer->Finish(manifest));
  BundleSummary summary;
  summary.path = out_path;
  summary.origin = manifest.origin;
  summary.from = since;
  summary.to = t;
  summary.entries = t - since;
  summary.bytes = writer->bytes_written();
  return summary;
}

Result<SyncReport> ImportBundle(Node& node, const std::string& path, const SyncOptions& options) {
  exchange::BundleManifest manifest;
  IPDX_ASSIGN_OR_RETURN(auto transport, exchange::OpenBundle(path, &manifest));
  IPDX_ASSIGN_OR_RETURN(std::vector<store::PeerRow> peers, node.store().ListPeers());
  const store::PeerRow* peer = nullptr;
  for (const store::PeerRow& p : peers) {
    if (p.origin == manifest.origin) peer = &p;
  }
  if (peer == nullptr) {
    return Status::FailedPrecondition("bundle " + path + " is from log " + manifest.origin +
                                      ", which is not a pinned peer (ipdx peer add)");
  }
  if (manifest.from > peer->cursor) {
    return Status::FailedPrecondition(
        "bundle " + path + " starts at leaf " + std::to_string(manifest.from) + " of " +
        manifest.origin + " but this node has only " + std::to_string(peer->cursor) +
        ": a gap; export with --since " + std::to_string(peer->cursor));
  }
  if (manifest.to < peer->checkpoint_size) {
    // An old bundle is no misbehaviour (it is not the peer's answer now): not a rollback.
    return Status::FailedPrecondition(
        "bundle " + path + " ends at checkpoint " + std::to_string(manifest.to) + " of " +
        manifest.origin + ", older than checkpoint " + std::to_string(peer->checkpoint_size) +
        " verified here: nothing to import");
  }
  SyncOptions opts = options;
  opts.cosign = false;  // nobody to send it to
  return SyncPeer(node, peer->name, *transport, opts);
}

}  // namespace ipdx::service
