// Scopes and bearer tokens. A token is "ipdx_" + token id + "_" + 43 base64url characters of
// 256 random bits; only its SHA-256 is stored (store::TokenStore), so a stolen database does not
// yield usable tokens. The id in the token lets the check find the row with one indexed lookup;
// the hash comparison is constant-time.
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <string>

#include "api/api.h"
#include "api/internal.h"
#include "common/hash.h"

namespace ipdx::api {

Result<uint8_t> ParseScopes(std::string_view text) {
  uint8_t scopes = kScopeNone;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view word = internal::Trim(text.substr(pos, comma - pos));
    if (word == "read") {
      scopes |= kScopeRead;
    } else if (word == "write") {
      scopes |= kScopeWrite;
    } else if (word == "admin") {
      scopes |= kScopeAdmin;
    } else {
      return Status::InvalidArgument("unknown scope '" + std::string(word) +
                                     "' (scopes: read, write, admin)");
    }
    pos = comma + 1;
  }
  return scopes;
}

std::string ScopesToString(uint8_t scopes) {
  std::string out;
  auto add = [&](const char* s) {
    if (!out.empty()) out += ',';
    out += s;
  };
  if (scopes & kScopeRead) add("read");
  if (scopes & kScopeWrite) add("write");
  if (scopes & kScopeAdmin) add("admin");
  return out;
}

bool HasScope(uint8_t granted, Scope needed) {
  if (needed == kScopeNone) return true;
  // admin implies write implies read.
  uint8_t effective = granted;
  if (effective & kScopeAdmin) effective |= kScopeWrite;
  if (effective & kScopeWrite) effective |= kScopeRead;
  return (effective & needed) == needed;
}

Result<IssuedToken> CreateToken(store::TokenStore& tokens, uint8_t scopes,
                                const std::string& name) {
  if (scopes == kScopeNone) return Status::InvalidArgument("a token needs at least one scope");
  std::array<uint8_t, 6> id_bytes{};
  std::array<uint8_t, 32> secret{};
  if (RAND_bytes(id_bytes.data(), id_bytes.size()) != 1 ||
      RAND_bytes(secret.data(), secret.size()) != 1) {
    return Status::Internal("the random number generator failed");
  }
  IssuedToken out;
  out.token_id = "tok_" + HexEncode(id_bytes);
  out.token = "ipdx_" + out.token_id + "_" +
              internal::Base64UrlEncode(
                  std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
  out.scopes = scopes;
  store::TokenRow row;
  row.token_id = out.token_id;
  row.name = name;
  row.scopes = ScopesToString(scopes);
  row.sha256 = Sha256Hex(out.token);
  IPDX_RETURN_IF_ERROR(tokens.PutToken(row));
  return out;
}

Result<Principal> CheckToken(store::TokenStore& tokens, std::string_view presented) {
  // ipdx_tok_<12 hex>_<43 base64url>
  constexpr std::string_view kPrefix = "ipdx_";
  constexpr size_t kIdLength = 4 + 12;
  const Status denied = Status::PermissionDenied("invalid or revoked token");
  if (presented.size() != kPrefix.size() + kIdLength + 1 + 43 ||
      presented.substr(0, kPrefix.size()) != kPrefix ||
      presented[kPrefix.size() + kIdLength] != '_') {
    return denied;
  }
  std::string token_id(presented.substr(kPrefix.size(), kIdLength));
  Result<store::TokenRow> row = tokens.GetToken(token_id);
  if (!row.ok()) {
    if (row.status().code() == StatusCode::kNotFound) return denied;
    return row.status();
  }
  const std::string hash = Sha256Hex(presented);
  if (row->sha256.size() != hash.size() ||
      CRYPTO_memcmp(row->sha256.data(), hash.data(), hash.size()) != 0) {
    return denied;
  }
  if (!row->revoked_at.empty()) return denied;
  Result<uint8_t> scopes = ParseScopes(row->scopes);
  if (!scopes.ok())
    return Status::Corruption("token " + token_id + ": " + scopes.status().message());
  return Principal{token_id, *scopes};
}

}  // namespace ipdx::api
