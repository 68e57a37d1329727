// Change-feed batches: building from a store, the JSON form, parsing (docs/formats/exchange.md
// §2). Built by string concatenation so each record's stored JSON goes out verbatim (no
// re-encoding); parsed with nlohmann-json.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "exchange/exchange.h"
#include "exchange/json_util.h"

namespace ipdx::exchange {

using internal::AppendJsonString;

namespace {

constexpr std::string_view kBatchFormat = "ipdx-changes/1";

void AppendHashes(std::string& out, const std::vector<ledger::Hash>& hashes) {
  out += '[';
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    out += ledger::HashToBase64(hashes[i]);
    out += '"';
  }
  out += ']';
}

}  // namespace

std::string FormatChangeBatch(const ChangeBatch& b) {
  std::string out;
  size_t reserve =
      512 + b.checkpoint.size() + 64 * (b.consistency.size() + b.known_consistency.size());
  for (const BatchEntry& e : b.entries)
    reserve += e.record_json.size() + e.entry.size() * 4 / 3 + 48;
  out.reserve(reserve);
  out += "{\"format\":\"";
  out += kBatchFormat;
  out += "\",\"origin\":";
  AppendJsonString(out, b.origin);
  out += ",\"after\":" + std::to_string(b.after) + ",\"next\":" + std::to_string(b.next) +
         ",\"treeSize\":" + std::to_string(b.tree_size) + ",\"checkpoint\":";
  AppendJsonString(out, b.checkpoint);
  out += ",\"consistency\":";
  AppendHashes(out, b.consistency);
  if (b.known > 0) {
    out += ",\"known\":" + std::to_string(b.known) + ",\"knownConsistency\":";
    AppendHashes(out, b.known_consistency);
  }
  out += ",\"entries\":[";
  for (size_t i = 0; i < b.entries.size(); ++i) {
    const BatchEntry& e = b.entries[i];
    if (i > 0) out += ',';
    out += "{\"leaf\":" + std::to_string(e.leaf) + ",\"entry\":\"";
    out += ledger::EncodeBase64(e.entry);
    out += '"';
    if (!e.record_json.empty()) {
      out += ",\"record\":";
      out += e.record_json;
    }
    out += '}';
  }
  out += "]}";
  return out;
}

Result<std::string> BuildChangeBatch(store::Store& store, const ChangeRequest& request) {
  if (request.limit == 0 || request.limit > kMaxBatchEntries) {
    return Status::InvalidArgument("limit must be 1.." + std::to_string(kMaxBatchEntries) +
                                   ", got " + std::to_string(request.limit));
  }
  ledger::LogStorage& log = store.Log();
  IPDX_ASSIGN_OR_RETURN(std::vector<uint64_t> sizes, log.CheckpointSizes());
  if (sizes.empty()) return Status::FailedPrecondition("the log has no signed checkpoint yet");
  uint64_t t = *std::max_element(sizes.begin(), sizes.end());
  if (request.tree_size > 0) {
    if (!std::binary_search(sizes.begin(), sizes.end(), request.tree_size)) {
      return Status::InvalidArgument("no signed checkpoint of size " +
                                     std::to_string(request.tree_size));
    }
    t = request.tree_size;
  }
  if (request.after > t) {
    return Status::InvalidArgument("cursor " + std::to_string(request.after) +
                                   " is beyond the checkpoint's tree size " + std::to_string(t));
  }
  ChangeBatch b;
  b.origin = "";
  b.after = request.after;
  b.tree_size = t;
  IPDX_ASSIGN_OR_RETURN(b.checkpoint, log.ReadCheckpoint(t));
  {
    IPDX_ASSIGN_OR_RETURN(ledger::Note note, ledger::ParseNote(b.checkpoint));
    IPDX_ASSIGN_OR_RETURN(ledger::Checkpoint cp, ledger::ParseCheckpoint(note.text));
    b.origin = cp.origin;
  }
  const uint64_t n = std::min<uint64_t>(request.limit, t - request.after);
  b.next = request.after + n;
  if (b.next > 0 && b.next < t) {
    IPDX_ASSIGN_OR_RETURN(b.consistency, ledger::ConsistencyProof(log, b.next, t));
  }
  if (request.known > 0 && request.known < t) {
    if (!std::binary_search(sizes.begin(), sizes.end(), request.known)) {
      return Status::InvalidArgument("known: no signed checkpoint of size " +
                                     std::to_string(request.known));
    }
    b.known = request.known;
    IPDX_ASSIGN_OR_RETURN(b.known_consistency, ledger::ConsistencyProof(log, request.known, t));
  }
  // known > t: the caller has seen a larger checkpoint than we serve; it will call that a
  // rollback, which is its business, not an error here.
  IPDX_ASSIGN_OR_RETURN(std::vector<std::string> entries, log.ReadEntries(request.after, n));
  if (entries.size() != n) {
    return Status::Corruption("log: leaves " + std::to_string(request.after) + ".." +
                              std::to_string(request.after + n) + " are not all stored");
  }
  b.entries.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    BatchEntry e;
    e.leaf = request.after + i;
    IPDX_ASSIGN_OR_RETURN(ledger::Entry decoded, ledger::DecodeEntry(entries[i]));
    if (decoded.type == ledger::EntryType::kRecordVersion) {
      IPDX_ASSIGN_OR_RETURN(e.record_json,
                            store.GetRecordJson(decoded.publisher, decoded.record_id,
                                                static_cast<int>(decoded.record_version)));
    }
    e.entry = std::move(entries[i]);
    b.entries.push_back(std::move(e));
  }
  return FormatChangeBatch(b);
}

Result<ChangeBatch> ParseChangeBatch(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("change batch: not JSON");
  if (!j.is_object()) return Status::InvalidArgument("change batch: not a JSON object");
  internal::Fields f(j, "change batch");
  ChangeBatch b;
  IPDX_ASSIGN_OR_RETURN(std::string format, f.Text("format"));
  if (format != kBatchFormat) {
    return Status::InvalidArgument("change batch: format '" + format + "' is not " +
                                   std::string(kBatchFormat));
  }
  IPDX_ASSIGN_OR_RETURN(b.origin, f.Text("origin"));
  IPDX_ASSIGN_OR_RETURN(b.after, f.Uint("after"));
  IPDX_ASSIGN_OR_RETURN(b.next, f.Uint("next"));
  IPDX_ASSIGN_OR_RETURN(b.tree_size, f.Uint("treeSize"));
  IPDX_ASSIGN_OR_RETURN(b.checkpoint, f.Text("checkpoint"));
  IPDX_ASSIGN_OR_RETURN(b.consistency, f.Hashes("consistency"));
  if (j.contains("known")) {
    IPDX_ASSIGN_OR_RETURN(b.known, f.Uint("known"));
    IPDX_ASSIGN_OR_RETURN(b.known_consistency, f.Hashes("knownConsistency"));
  }
  auto entries = j.find("entries");
  if (entries == j.end() || !entries->is_array()) {
    return Status::InvalidArgument("change batch: missing array 'entries'");
  }
  b.entries.reserve(entries->size());
  size_t i = 0;
  for (const nlohmann::json& e : *entries) {
    const std::string where = "change batch: entries[" + std::to_string(i++) + "]";
    if (!e.is_object()) return Status::InvalidArgument(where + " is not an object");
    internal::Fields ef(e, where);
    BatchEntry out;
    IPDX_ASSIGN_OR_RETURN(out.leaf, ef.Uint("leaf"));
    IPDX_ASSIGN_OR_RETURN(std::string b64, ef.Text("entry"));
    std::optional<std::string> bytes = ledger::DecodeBase64(b64);
    if (!bytes) return Status::InvalidArgument(where + ".entry is not base64");
    out.entry = std::move(*bytes);
    if (auto r = e.find("record"); r != e.end()) {
      if (!r->is_object()) return Status::InvalidArgument(where + ".record is not an object");
      out.record_json = r->dump();
    }
    b.entries.push_back(std::move(out));
  }
  return b;
}

}  // namespace ipdx::exchange
