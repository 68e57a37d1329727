// RFC 6962 hashing and RFC 9162 proof verification (docs/formats/ledger.md §2).
#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "ledger/internal.h"
#include "ledger/ledger.h"

namespace ipdx::ledger {
namespace {

// The SHA-256 implementation, fetched from the provider once per process. EVP_sha256() with
// EVP_Digest fetches it again and builds a fresh context on every call (OpenSSL 3), which took
// two thirds of the time of a 65-byte node hash in bench/run-ledger. Never freed: it lives as
// long as the process, like OpenSSL's own default provider.
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// SHA-256 of a || b on a context reused by the calling thread. These calls cannot fail for
// SHA-256 on valid memory short of allocation failure; a zero hash would then never match
// anything, so such a failure surfaces as a verification error.
Hash Digest(std::string_view a, std::string_view b = {}) {
  thread_local const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  Hash out{};
  unsigned int len = 0;
  const EVP_MD* md = Sha256Md();
  if (ctx == nullptr || md == nullptr || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) {
    // No reusable context or fetched digest: the slow path, same bytes.
    const std::string buf = std::string(a) + std::string(b);
    EVP_Digest(buf.data(), buf.size(), out.data(), &len, EVP_sha256(), nullptr);
    return out;
  }
  EVP_DigestUpdate(ctx.get(), a.data(), a.size());
  if (!b.empty()) EVP_DigestUpdate(ctx.get(), b.data(), b.size());
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

std::string Describe(uint64_t a, uint64_t b) {
  return std::to_string(a) + " / " + std::to_string(b);
}

}  // namespace

Hash EmptyRoot() { return Digest({}); }

Hash LeafHash(std::string_view entry) { return Digest(std::string_view("\0", 1), entry); }

Hash NodeHash(const Hash& left, const Hash& right) {
  char buf[65];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  return Digest(std::string_view(buf, sizeof buf));
}

Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes) {
  if (leaf_hashes.empty()) return EmptyRoot();
  // Stack of complete subtree roots (compact range); heights strictly decrease bottom to top.
  std::vector<std::pair<int, Hash>> stack;
  for (const Hash& leaf : leaf_hashes) {
    std::pair<int, Hash> cur{0, leaf};
    while (!stack.empty() && stack.back().first == cur.first) {
      cur = {cur.first + 1, NodeHash(stack.back().second, cur.second)};
      stack.pop_back();
    }
    stack.push_back(cur);
  }
  Hash root = stack.back().second;
  for (size_t i = stack.size() - 1; i-- > 0;) root = NodeHash(stack[i].second, root);
  return root;
}

Result<Hash> RootFromInclusionProof(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash,
                                    std::span<const Hash> proof) {
  if (leaf_index >= tree_size) {
    return Status::InvalidArgument("inclusion proof: leaf index >= tree size (" +
                                   Describe(leaf_index, tree_size) + ")");
  }
  uint64_t fn = leaf_index;
  uint64_t sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) {
      return Status::InvalidArgument("inclusion proof: too many hashes (" +
                                     std::to_string(proof.size()) + ") for leaf " +
                                     Describe(leaf_index, tree_size));
    }
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return Status::InvalidArgument("inclusion proof: too few hashes (" +
                                   std::to_string(proof.size()) + ") for leaf " +
                                   Describe(leaf_index, tree_size));
  }
  return r;
}

Status VerifyInclusion(uint64_t leaf_index, uint64_t tree_size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root) {
  IPDX_ASSIGN_OR_RETURN(Hash computed,
                        RootFromInclusionProof(leaf_index, tree_size, leaf_hash, proof));
  if (computed != root) {
    return Status::InvalidArgument("inclusion proof: computed root " + HexEncode(computed) +
                                   " differs from expected root " + HexEncode(root) + " for leaf " +
                                   Describe(leaf_index, tree_size));
  }
  return Status::Ok();
}

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof) {
  const std::string sizes = Describe(old_size, new_size);
  if (old_size > new_size) {
    return Status::InvalidArgument("consistency proof: old size > new size (" + sizes + ")");
  }
  if (old_size == 0) {
    return Status::InvalidArgument("consistency proof: old size 0 is meaningless (" + sizes + ")");
  }
  if (old_size == new_size) {
    if (!proof.empty()) {
      return Status::InvalidArgument("consistency proof: sizes are equal but proof is not empty");
    }
    if (old_root != new_root) {
      return Status::InvalidArgument("consistency proof: sizes are equal but roots differ");
    }
    return Status::Ok();
  }
  if (proof.empty()) {
    return Status::InvalidArgument("consistency proof: empty proof (" + sizes + ")");
  }
  // RFC 9162 §2.1.4.2.
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if ((old_size & (old_size - 1)) == 0) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) {
      return Status::InvalidArgument("consistency proof: too many hashes (" + sizes + ")");
    }
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return Status::InvalidArgument("consistency proof: too few hashes (" + sizes + ")");
  }
  if (fr != old_root) {
    return Status::InvalidArgument("consistency proof: old root mismatch (" + sizes + ")");
  }
  if (sr != new_root) {
    return Status::InvalidArgument("consistency proof: new root mismatch (" + sizes + ")");
  }
  return Status::Ok();
}

}  // namespace ipdx::ledger
