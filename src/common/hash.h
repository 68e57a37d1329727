#pragma once
// SHA-256 and hex helpers (OpenSSL). Stateless functions; thread-safe.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace ipdx {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view bytes);
std::string Sha256Hex(std::string_view bytes);
std::string HexEncode(std::span<const uint8_t> bytes);

// Incremental SHA-256 for inputs that arrive in pieces. Externally synchronised.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view bytes);
  Sha256Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;  // EVP_MD_CTX wrapper
};

}  // namespace ipdx
