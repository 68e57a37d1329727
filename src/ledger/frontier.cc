// MerkleFrontier, base64 for exchange formats and witness counting (ledger.h).
#include <bit>
#include <string>

#include "ledger/internal.h"
#include "ledger/ledger.h"

namespace ipdx::ledger {

Result<MerkleFrontier> MerkleFrontier::FromBytes(uint64_t size, std::string_view bytes) {
  const auto count = static_cast<size_t>(std::popcount(size));
  if (bytes.size() != count * 32) {
    return Status::InvalidArgument("Merkle frontier of size " + std::to_string(size) + " needs " +
                                   std::to_string(count) + " hashes, got " +
                                   std::to_string(bytes.size()) + " bytes");
  }
  MerkleFrontier f;
  f.size_ = size;
  f.hashes_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    f.hashes_.push_back(internal::HashFromBytes(bytes.substr(i * 32, 32)));
  }
  return f;
}

std::string MerkleFrontier::ToBytes() const {
  std::string out;
  out.reserve(hashes_.size() * 32);
  for (const Hash& h : hashes_) out.append(reinterpret_cast<const char*>(h.data()), h.size());
  return out;
}

void MerkleFrontier::Append(const Hash& leaf_hash) {
  // The lowest set bits of size_ are the smallest subtrees: each trailing one bit merges with
  // the new leaf into a subtree twice as large (a binary counter's carry).
  Hash cur = leaf_hash;
  uint64_t carries = static_cast<uint64_t>(std::countr_one(size_));
  for (uint64_t i = 0; i < carries; ++i) {
    cur = NodeHash(hashes_.back(), cur);
    hashes_.pop_back();
  }
  hashes_.push_back(cur);
  ++size_;
}

Hash MerkleFrontier::Root() const {
  if (hashes_.empty()) return EmptyRoot();
  Hash root = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) root = NodeHash(hashes_[i], root);
  return root;
}

std::string EncodeBase64(std::string_view bytes) { return internal::Base64Encode(bytes); }
std::optional<std::string> DecodeBase64(std::string_view text) {
  return internal::Base64Decode(text);
}
std::optional<Hash> HashFromBase64(std::string_view text) {
  return internal::Base64DecodeHash(text);
}

Result<std::vector<VerifierKey>> VerifiedWitnesses(std::string_view signed_checkpoint,
                                                   std::span<const VerifierKey> witnesses) {
  IPDX_ASSIGN_OR_RETURN(Note note, ParseNote(signed_checkpoint));
  std::vector<VerifierKey> out;
  for (const VerifierKey& key : witnesses) {
    if (key.type() != KeyType::kCosignatureV1) continue;
    bool already = false;
    for (const VerifierKey& k : out) already = already || k.ToString() == key.ToString();
    if (already) continue;
    for (const NoteSignature& sig : note.signatures) {
      if (sig.key_name == key.name() && sig.key_id == key.key_id() &&
          key.Verify(note.text, sig.signature)) {
        out.push_back(key);
        break;
      }
    }
  }
  return out;
}

}  // namespace ipdx::ledger
