// Receipts: offline proofs that an entry is in the log (docs/formats/ledger.md §6).
#include <nlohmann/json.hpp>

#include "ledger/internal.h"
#include "ledger/ledger.h"

namespace ipdx::ledger {
namespace {

using internal::Base64Encode;

constexpr std::string_view kReceiptFormat = "ipdx-receipt/1";

std::string HexId(uint32_t id) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", id);
  return buf;
}

}  // namespace

Result<Receipt> BuildReceipt(const LogStorage& storage, uint64_t leaf_index,
                             std::string_view signed_checkpoint) {
  IPDX_ASSIGN_OR_RETURN(Note note, ParseNote(signed_checkpoint));
  IPDX_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpoint(note.text));
  if (leaf_index >= cp.tree_size) {
    return Status::FailedPrecondition("leaf " + std::to_string(leaf_index) +
                                      " is not covered by the checkpoint of size " +
                                      std::to_string(cp.tree_size));
  }
  IPDX_ASSIGN_OR_RETURN(Hash root, TreeRoot(storage, cp.tree_size));
  if (root != cp.root) {
    return Status::Corruption("stored tree at size " + std::to_string(cp.tree_size) +
                              " does not match the checkpoint's root");
  }
  IPDX_ASSIGN_OR_RETURN(std::vector<std::string> entries, storage.ReadEntries(leaf_index, 1));
  if (entries.size() != 1) {
    return Status::Corruption("leaf " + std::to_string(leaf_index) + ": entry missing");
  }
  Receipt r;
  r.leaf_index = leaf_index;
  r.tree_size = cp.tree_size;
  r.entry = std::move(entries[0]);
  r.leaf_hash = LeafHash(r.entry);
  IPDX_ASSIGN_OR_RETURN(r.inclusion_proof, InclusionProof(storage, leaf_index, cp.tree_size));
  r.checkpoint = std::string(signed_checkpoint);
  r.key_name = note.signatures.front().key_name;
  r.key_id = note.signatures.front().key_id;
  return r;
}

std::string ReceiptToJson(const Receipt& r) {
  nlohmann::ordered_json j;
  j["format"] = kReceiptFormat;
  j["leaf_index"] = r.leaf_index;
  j["tree_size"] = r.tree_size;
  j["entry"] = Base64Encode(r.entry);
  j["leaf_hash"] = Base64Encode(std::span<const uint8_t>(r.leaf_hash));
  auto proof = nlohmann::ordered_json::array();
  for (const Hash& h : r.inclusion_proof)
    proof.push_back(Base64Encode(std::span<const uint8_t>(h)));
  j["inclusion_proof"] = std::move(proof);
  j["checkpoint"] = r.checkpoint;
  j["key_name"] = r.key_name;
  j["key_id"] = HexId(r.key_id);
  return j.dump(2) + "\n";
}

Result<Receipt> ReceiptFromJson(std::string_view json) {
  auto bad = [](const std::string& why) { return Status::InvalidArgument("receipt: " + why); };
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  auto str = [&](const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto num = [&](const char* key) -> std::optional<uint64_t> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
    return it->get<uint64_t>();
  };
  if (str("format") != std::string(kReceiptFormat)) {
    return bad("field format must be \"ipdx-receipt/1\"");
  }
  Receipt r;
  auto leaf_index = num("leaf_index");
  auto tree_size = num("tree_size");
  if (!leaf_index || !tree_size) return bad("leaf_index and tree_size must be unsigned integers");
  r.leaf_index = *leaf_index;
  r.tree_size = *tree_size;
  auto entry = str("entry");
  auto entry_bytes = entry ? internal::Base64Decode(*entry) : std::nullopt;
  if (!entry_bytes) return bad("field entry is not base64");
  r.entry = std::move(*entry_bytes);
  auto leaf_hash = str("leaf_hash");
  auto lh = leaf_hash ? internal::Base64DecodeHash(*leaf_hash) : std::nullopt;
  if (!lh) return bad("field leaf_hash is not a base64 32-byte hash");
  r.leaf_hash = *lh;
  auto proof = j.find("inclusion_proof");
  if (proof == j.end() || !proof->is_array()) return bad("field inclusion_proof is not an array");
  for (size_t i = 0; i < proof->size(); ++i) {
    const auto& v = (*proof)[i];
    auto h = v.is_string() ? internal::Base64DecodeHash(v.get<std::string>()) : std::nullopt;
    if (!h) return bad("inclusion_proof[" + std::to_string(i) + "] is not a base64 32-byte hash");
    r.inclusion_proof.push_back(*h);
  }
  auto checkpoint = str("checkpoint");
  auto key_name = str("key_name");
  auto key_id = str("key_id");
  if (!checkpoint || !key_name || !key_id) return bad("checkpoint, key_name, key_id required");
  r.checkpoint = *checkpoint;
  r.key_name = *key_name;
  if (key_id->size() != 8 || key_id->find_first_not_of("0123456789abcdef") != std::string::npos) {
    return bad("key_id is not 8 lower-case hex digits");
  }
  r.key_id = static_cast<uint32_t>(std::stoul(*key_id, nullptr, 16));
  return r;
}

std::string ReceiptToTlogProof(const Receipt& r) {
  std::string out = "c2sp.org/tlog-proof@v1\nindex " + std::to_string(r.leaf_index) + "\n";
  for (const Hash& h : r.inclusion_proof) {
    out += Base64Encode(std::span<const uint8_t>(h)) + "\n";
  }
  out += "\n";
  out += r.checkpoint;
  return out;
}

Result<VerifiedReceipt> VerifyReceipt(const Receipt& r, std::span<const VerifierKey> trusted) {
  if (trusted.empty()) return Status::InvalidArgument("receipt: no trusted log key given");
  auto opened = OpenNote(r.checkpoint, trusted);
  if (!opened.ok()) {
    if (opened.status().code() == StatusCode::kPermissionDenied) {
      const bool wrong_key =
          opened.status().message().find("no signature by a trusted key") != std::string::npos;
      return Status::PermissionDenied(
          std::string(wrong_key ? "receipt: wrong key: " : "receipt: bad signature: ") +
          opened.status().message());
    }
    return Status::InvalidArgument("receipt: checkpoint: " + opened.status().message());
  }
  auto cp = ParseCheckpoint(opened->note.text);
  if (!cp.ok()) return Status::InvalidArgument("receipt: " + cp.status().message());
  if (cp->tree_size != r.tree_size) {
    return Status::InvalidArgument("receipt: tree_size " + std::to_string(r.tree_size) +
                                   " differs from the checkpoint's size " +
                                   std::to_string(cp->tree_size));
  }
  if (LeafHash(r.entry) != r.leaf_hash) {
    return Status::Corruption(
        "receipt: entry hash mismatch: the entry bytes do not hash to "
        "leaf_hash (entry altered)");
  }
  Status proof =
      VerifyInclusion(r.leaf_index, r.tree_size, r.leaf_hash, r.inclusion_proof, cp->root);
  if (!proof.ok()) {
    return Status::Corruption("receipt: proof mismatch: " + proof.message());
  }
  auto entry = DecodeEntry(r.entry);
  if (!entry.ok()) return Status::InvalidArgument("receipt: " + entry.status().message());
  VerifiedReceipt out;
  out.entry = std::move(entry).value();
  out.checkpoint = std::move(cp).value();
  out.verified_by = std::move(opened->verified_by);
  return out;
}

}  // namespace ipdx::ledger
