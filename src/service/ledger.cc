// Ledger use-cases (service/ledger.h): the node's log key meets the log in its store.
#include "service/ledger.h"

#include <algorithm>
#include <utility>

#include "codec/codec.h"
#include "common/clock.h"
#include "common/hash.h"
#include "service/file_util.h"

namespace ipdx::service {
namespace {

std::vector<ledger::VerifierKey> NodeKeys(const Node& node) { return {node.log_key().verifier()}; }

// Reads, verifies and parses the stored checkpoint of `tree_size`.
Result<SignedCheckpoint> ReadSigned(Node& node, uint64_t tree_size) {
  IPDX_ASSIGN_OR_RETURN(std::string note, node.store().Log().ReadCheckpoint(tree_size));
  const std::vector<ledger::VerifierKey> keys = NodeKeys(node);
  auto opened = ledger::OpenNote(note, keys);
  if (!opened.ok()) {
    return Status::Corruption("stored checkpoint of size " + std::to_string(tree_size) +
                              " does not verify with the node's key: " + opened.status().message());
  }
  auto cp = ledger::ParseCheckpoint(opened->note.text);
  if (!cp.ok() || cp->tree_size != tree_size) {
    return Status::Corruption("stored checkpoint of size " + std::to_string(tree_size) +
                              " is not a checkpoint of that size");
  }
  return SignedCheckpoint{std::move(note), std::move(cp).value(), false};
}

Result<std::optional<uint64_t>> LatestSize(Node& node) {
  IPDX_ASSIGN_OR_RETURN(std::vector<uint64_t> sizes, node.store().Log().CheckpointSizes());
  if (sizes.empty()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(*std::max_element(sizes.begin(), sizes.end()));
}

std::string NotOnThisNode(Node& node, const std::string& id) {
  std::string msg = "no record " + id + " published by this node (" + node.config().office + ")";
  auto other = node.store().GetRecord(id);
  if (other.ok()) {
    msg += "; the node holds a copy from another publisher, whose own log proves it";
  }
  return msg;
}

}  // namespace

std::string LogPublicKey(const Node& node) { return node.log_key().verifier().ToString(); }

Status QuickCheckLog(Node& node) {
  ledger::LogStorage& log = node.store().Log();
  IPDX_ASSIGN_OR_RETURN(std::optional<uint64_t> latest, LatestSize(node));
  if (!latest) return Status::Ok();
  IPDX_ASSIGN_OR_RETURN(SignedCheckpoint cp, ReadSigned(node, *latest));
  IPDX_ASSIGN_OR_RETURN(uint64_t size, log.TreeSize());
  if (size < *latest) {
    return Status::Corruption("the log holds " + std::to_string(size) +
                              " entries but its latest signed checkpoint commits to " +
                              std::to_string(*latest) + ": first missing leaf index " +
                              std::to_string(size));
  }
  auto root = ledger::TreeRoot(log, *latest);
  if (!root.ok() || *root != cp.checkpoint.root) {
    return Status::Corruption("the stored tree at size " + std::to_string(*latest) +
                              " does not match the latest signed checkpoint" +
                              (root.ok() ? std::string() : " (" + root.status().message() + ")") +
                              "; run `ipdx log check` to find the first bad leaf");
  }
  return Status::Ok();
}

Result<SignedCheckpoint> LatestCheckpoint(Node& node) {
  IPDX_RETURN_IF_ERROR(QuickCheckLog(node));
  IPDX_ASSIGN_OR_RETURN(std::optional<uint64_t> latest, LatestSize(node));
  if (!latest) return Status::NotFound("the node's log has no signed checkpoint yet");
  return ReadSigned(node, *latest);
}

Result<SignedCheckpoint> CheckpointAt(Node& node, uint64_t tree_size) {
  IPDX_RETURN_IF_ERROR(QuickCheckLog(node));
  auto cp = ReadSigned(node, tree_size);
  if (cp.status().code() == StatusCode::kNotFound) {
    IPDX_ASSIGN_OR_RETURN(std::vector<uint64_t> sizes, node.store().Log().CheckpointSizes());
    std::string known;
    for (size_t i = 0; i < sizes.size() && i < 20; ++i) {
      known += (i ? ", " : "") + std::to_string(sizes[sizes.size() - 1 - i]);
    }
    return Status::NotFound("no checkpoint of size " + std::to_string(tree_size) +
                            " was signed; latest sizes: " + (known.empty() ? "none" : known));
  }
  return cp;
}

Result<SignedCheckpoint> UpdateCheckpoint(Node& node) {
  IPDX_RETURN_IF_ERROR(QuickCheckLog(node));
  ledger::LogStorage& log = node.store().Log();
  IPDX_ASSIGN_OR_RETURN(std::optional<uint64_t> before, LatestSize(node));
  IPDX_ASSIGN_OR_RETURN(uint64_t size, log.TreeSize());
  if (before && *before == size) return ReadSigned(node, size);
  IPDX_ASSIGN_OR_RETURN(std::string note, ledger::SignCheckpoint(log, node.log_key()));
  IPDX_ASSIGN_OR_RETURN(SignedCheckpoint cp, ReadSigned(node, size));
  cp.is_new = true;
  return cp;
}

Result<ledger::Receipt> LeafReceipt(Node& node, uint64_t leaf_index) {
  IPDX_RETURN_IF_ERROR(QuickCheckLog(node));
  IPDX_ASSIGN_OR_RETURN(uint64_t size, node.store().Log().TreeSize());
  if (leaf_index >= size) {
    return Status::NotFound("leaf " + std::to_string(leaf_index) + " is beyond the log's " +
                            std::to_string(size) + " entries");
  }
  IPDX_ASSIGN_OR_RETURN(std::optional<uint64_t> latest, LatestSize(node));
  SignedCheckpoint cp;
  if (!latest || leaf_index >= *latest) {
    IPDX_ASSIGN_OR_RETURN(cp, UpdateCheckpoint(node));
  } else {
    IPDX_ASSIGN_OR_RETURN(cp, ReadSigned(node, *latest));
  }
  return ledger::BuildReceipt(node.store().Log(), leaf_index, cp.note);
}

Result<ledger::Receipt> RecordReceipt(Node& node, const std::string& id,
                                      std::optional<int> version) {
  const std::string& office = node.config().office;
  auto rec = node.store().GetRecordFrom(office, id, version);
  if (!rec.ok()) {
    if (rec.status().code() != StatusCode::kNotFound) return rec.status();
    if (version && node.store().GetRecordFrom(office, id).ok()) return rec.status();
    return Status::NotFound(NotOnThisNode(node, id));
  }
  IPDX_ASSIGN_OR_RETURN(uint64_t leaf, node.store().FindRecordLeaf(office, id, rec->version));
  return LeafReceipt(node, leaf);
}

Result<ConsistencyProofResult> ProveConsistency(Node& node, uint64_t old_size, uint64_t new_size) {
  ConsistencyProofResult out;
  if (new_size == 0) {
    IPDX_ASSIGN_OR_RETURN(out.new_checkpoint, LatestCheckpoint(node));
    new_size = out.new_checkpoint.checkpoint.tree_size;
  }
  if (old_size == 0 || old_size > new_size) {
    return Status::InvalidArgument("consistency proof: need 0 < OLD <= NEW, got " +
                                   std::to_string(old_size) + " and " + std::to_string(new_size));
  }
  IPDX_ASSIGN_OR_RETURN(out.old_checkpoint, CheckpointAt(node, old_size));
  if (out.new_checkpoint.note.empty()) {
    IPDX_ASSIGN_OR_RETURN(out.new_checkpoint, CheckpointAt(node, new_size));
  }
  IPDX_ASSIGN_OR_RETURN(out.proof,
                        ledger::ConsistencyProof(node.store().Log(), old_size, new_size));
  Status ok = ledger::VerifyConsistency(old_size, new_size, out.old_checkpoint.checkpoint.root,
                                        out.new_checkpoint.checkpoint.root, out.proof);
  if (!ok.ok()) {
    return Status::Corruption("checkpoints " + std::to_string(old_size) + " and " +
                              std::to_string(new_size) +
                              " are not consistent with the stored tree: " + ok.message());
  }
  return out;
}

Result<std::vector<ledger::VerifierKey>> ParseTrustedKeys(std::string_view text) {
  std::vector<ledger::VerifierKey> keys;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    auto key = ledger::VerifierKey::Parse(line);
    if (!key.ok()) {
      return Status::InvalidArgument("verifier key on line " + std::to_string(line_no) + ": " +
                                     key.status().message());
    }
    keys.push_back(std::move(key).value());
  }
  if (keys.empty()) return Status::InvalidArgument("no verifier key given");
  return keys;
}

Result<ledger::VerifiedReceipt> VerifyReceiptJson(std::string_view receipt_json,
                                                  std::span<const ledger::VerifierKey> trusted) {
  IPDX_ASSIGN_OR_RETURN(ledger::Receipt receipt, ledger::ReceiptFromJson(receipt_json));
  return ledger::VerifyReceipt(receipt, trusted);
}

Result<std::vector<ledger::VerifierKey>> CheckWitnesses(
    std::string_view signed_checkpoint, std::span<const ledger::VerifierKey> witnesses,
    size_t min_witnesses) {
  for (const ledger::VerifierKey& k : witnesses) {
    if (k.type() != ledger::KeyType::kCosignatureV1) {
      return Status::InvalidArgument("witness key " + k.ToString() +
                                     " is not a cosignature/v1 key");
    }
  }
  if (min_witnesses > witnesses.size()) {
    return Status::InvalidArgument("cannot require " + std::to_string(min_witnesses) +
                                   " witnesses with " + std::to_string(witnesses.size()) +
                                   " witness keys");
  }
  IPDX_ASSIGN_OR_RETURN(std::vector<ledger::VerifierKey> verified,
                        ledger::VerifiedWitnesses(signed_checkpoint, witnesses));
  if (verified.size() < min_witnesses) {
    return Status::PermissionDenied(std::to_string(verified.size()) + " of the required " +
                                    std::to_string(min_witnesses) +
                                    " witnesses cosigned the checkpoint");
  }
  return verified;
}

Result<RecordVerification> VerifyRecord(Node& node, const std::string& id,
                                        std::optional<int> version) {
  RecordVerification out;
  IPDX_ASSIGN_OR_RETURN(out.receipt, RecordReceipt(node, id, version));
  const std::vector<ledger::VerifierKey> keys = NodeKeys(node);
  IPDX_ASSIGN_OR_RETURN(out.verified, ledger::VerifyReceipt(out.receipt, keys));
  const ledger::Entry& e = out.verified.entry;
  const std::string leaf = "leaf " + std::to_string(out.receipt.leaf_index);
  IPDX_ASSIGN_OR_RETURN(
      model::Record rec,
      node.store().GetRecordFrom(node.config().office, id, static_cast<int>(e.record_version)));
  if (e.type != ledger::EntryType::kRecordVersion || e.record_id != id ||
      static_cast<int>(e.record_version) != rec.version) {
    return Status::Corruption(leaf + " does not describe " + id + " version " +
                              std::to_string(rec.version));
  }
  out.content_hash = codec::ContentHash(rec);
  if (out.content_hash != rec.hash) {
    return Status::Corruption("stored record " + id + " version " + std::to_string(rec.version) +
                              " was changed behind ipdx's back: its content hashes to " +
                              out.content_hash + " but the store lists " + rec.hash);
  }
  const std::string logged = HexEncode(e.content_hash);
  if (logged != out.content_hash) {
    return Status::Corruption("stored record " + id + " version " + std::to_string(rec.version) +
                              " has content hash " + out.content_hash + " but the log (" + leaf +
                              ") holds " + logged);
  }
  return out;
}

std::vector<std::string> RightsEventTypeNames() {
  std::vector<std::string> out;
  for (const ledger::RightsEventInfo& info : ledger::RightsEventTable()) {
    out.emplace_back(info.name);
  }
  return out;
}

Result<AddedEvents> AddRightsEvents(Node& node, std::span<const RightsEventInput> events) {
  IPDX_RETURN_IF_ERROR(QuickCheckLog(node));
  store::Store& store = node.store();
  IPDX_ASSIGN_OR_RETURN(uint64_t size, store.Log().TreeSize());
  const std::string recorded_at = NowUtcIso8601();
  std::vector<ledger::Entry> entries;
  for (const RightsEventInput& in : events) {
    auto info = ledger::RightsEventByName(in.type);
    if (!info.ok()) {
      std::string names;
      for (const std::string& n : RightsEventTypeNames()) names += (names.empty() ? "" : ", ") + n;
      return Status::InvalidArgument("unknown rights event type '" + in.type +
                                     "'; one of: " + names);
    }
    auto rec = store.GetRecord(in.id);
    if (!rec.ok()) {
      if (rec.status().code() == StatusCode::kNotFound) {
        return Status::NotFound("no record " + in.id + " on this node: ingest it first");
      }
      return rec.status();
    }
    if (in.supersedes > size + entries.size()) {
      return Status::InvalidArgument("supersedes names leaf " + std::to_string(in.supersedes - 1) +
                                     ", which is not in the log");
    }
    ledger::Entry e;
    e.type = ledger::EntryType::kRightsEvent;
    e.publisher = node.config().office;
    e.record_id = in.id;
    e.record_version = static_cast<uint32_t>(rec->version);
    e.recorded_at = recorded_at;
    e.event = ledger::RightsEvent{
        info->type,        in.st27_code.empty() ? std::string(info->default_code) : in.st27_code,
        in.effective_date, in.parties,
        in.details,        in.supersedes};
    IPDX_RETURN_IF_ERROR(ledger::EncodeEntry(e).status());
    entries.push_back(std::move(e));
  }
  AddedEvents out;
  IPDX_RETURN_IF_ERROR(store.Begin());
  for (const ledger::Entry& e : entries) {
    auto leaf = store.AppendRightsEvent(e);
    if (!leaf.ok()) {
      (void)store.Rollback();
      return leaf.status();
    }
    out.events.push_back({*leaf, e});
  }
  Status committed = store.Commit();
  if (!committed.ok()) {
    (void)store.Rollback();
    return committed;
  }
  // Only now, with the leaves durable, may a checkpoint cover them.
  IPDX_ASSIGN_OR_RETURN(out.checkpoint, UpdateCheckpoint(node));
  return out;
}

Result<std::vector<store::LoggedEvent>> ListRightsEvents(Node& node, const std::string& id) {
  IPDX_RETURN_IF_ERROR(QuickCheckLog(node));
  return node.store().ListRightsEvents(id);
}

Result<LogCheckReport> CheckLog(Node& node) {
  LogCheckReport report;
  store::Store& store = node.store();
  IPDX_ASSIGN_OR_RETURN(report.counts, store.GetLogCounts());
  const std::vector<ledger::VerifierKey> keys = NodeKeys(node);
  IPDX_RETURN_IF_ERROR(ledger::CheckIntegrity(store.Log(), keys));
  IPDX_RETURN_IF_ERROR(store.CheckIntegrity());
  // Every logged version of the node's own records: the stored document still hashes to what
  // the log committed to.
  const std::string& office = node.config().office;
  constexpr uint64_t kBatch = 1024;
  for (uint64_t start = 0; start < report.counts.tree_size; start += kBatch) {
    IPDX_ASSIGN_OR_RETURN(std::vector<std::string> entries, store.Log().ReadEntries(start, kBatch));
    for (size_t i = 0; i < entries.size(); ++i) {
      const std::string leaf = "leaf " + std::to_string(start + i);
      auto e = ledger::DecodeEntry(entries[i]);
      if (!e.ok()) return Status::Corruption(leaf + ": " + e.status().message());
      if (e->type != ledger::EntryType::kRecordVersion || e->publisher != office) continue;
      auto rec = store.GetRecordFrom(office, e->record_id, static_cast<int>(e->record_version));
      if (!rec.ok()) {
        return Status::Corruption(leaf + ": " + e->record_id + " version " +
                                  std::to_string(e->record_version) +
                                  " cannot be read: " + rec.status().message());
      }
      const std::string logged = HexEncode(e->content_hash);
      const std::string now = codec::ContentHash(*rec);
      if (now != logged || rec->hash != logged) {
        return Status::Corruption(leaf + ": stored record " + e->record_id + " version " +
                                  std::to_string(e->record_version) + " hashes to " + now +
                                  " (store lists " + rec->hash + ") but the log holds " + logged);
      }
      ++report.records_checked;
    }
  }
  IPDX_ASSIGN_OR_RETURN(std::optional<uint64_t> latest, LatestSize(node));
  if (latest) {
    IPDX_ASSIGN_OR_RETURN(SignedCheckpoint cp, ReadSigned(node, *latest));
    report.latest = std::move(cp);
  }
  return report;
}

}  // namespace ipdx::service
