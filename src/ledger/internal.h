#pragma once
// Helpers shared by the ledger's implementation files: strict base64, big-endian byte writing and
// reading, UTF-8 checks, decimal parsing. Internal to src/ledger/; stateless and thread-safe.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ledger/ledger.h"

namespace ipdx::ledger::internal {

// Standard base64 (RFC 4648 §4) with padding.
std::string Base64Encode(std::string_view bytes);
std::string Base64Encode(std::span<const uint8_t> bytes);
// Strict: length a multiple of 4, padding only at the end, zero unused bits, no white space.
std::optional<std::string> Base64Decode(std::string_view text);
std::optional<Hash> Base64DecodeHash(std::string_view text);

std::string_view AsChars(std::span<const uint8_t> bytes);
Hash HashFromBytes(std::string_view bytes);  // precondition: 32 bytes

// Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Decimal without sign or leading zeros ("0" alone is fine), fitting in uint64_t.
std::optional<uint64_t> ParseDecimal(std::string_view text);

void PutU8(std::string& out, uint8_t v);
void PutU16(std::string& out, uint16_t v);
void PutU32(std::string& out, uint32_t v);
void PutU64(std::string& out, uint64_t v);

// Reads big-endian integers and byte runs from a buffer; every read reports failure instead of
// reading past the end. Not thread-safe (holds a position).
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  bool U8(uint8_t& v);
  bool U16(uint16_t& v);
  bool U32(uint32_t& v);
  bool U64(uint64_t& v);
  bool Bytes(size_t n, std::string_view& v);
  bool AtEnd() const { return pos_ == data_.size(); }
  size_t position() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Bit helpers for tree arithmetic.
// Largest power of two strictly less than n (n >= 2).
uint64_t SplitPoint(uint64_t n);

}  // namespace ipdx::ledger::internal
