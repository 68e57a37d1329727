#include "api/internal.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <chrono>
#include <ctime>

#include "codec/codec.h"
#include "model/model.h"

namespace ipdx::api::internal {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Status::InvalidArgument("base64 length is not a multiple of 4");
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || (c == '=' && i + 2 >= text.size());
    if (!ok) return Status::InvalidArgument("invalid base64 character");
  }
  if (text.size() >= 2 && text[text.size() - 2] == '=' && text.back() != '=') {
    return Status::InvalidArgument("invalid base64 padding");
  }
  std::string out(3 * (text.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return Status::InvalidArgument("invalid base64");
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

Result<std::string> Base64UrlDecode(std::string_view text) {
  std::string s(text);
  for (char& c : s) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (c == '+' || c == '/') {
      return Status::InvalidArgument("invalid base64url character");
    }
  }
  while (s.size() % 4 != 0) s += '=';
  return Base64Decode(s);
}

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NowIso() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  // Every access log line has a time: the date and time of day are formatted once a second (per
  // thread), only the milliseconds for each call.
  thread_local std::time_t cached_second = -1;
  thread_local char cached[24];
  thread_local size_t cached_size = 0;
  if (t != cached_second) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    cached_size = std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = t;
  }
  const int milli = static_cast<int>(ms % 1000);
  std::string out(cached, cached_size);
  const char frac[6] = {'.',
                        static_cast<char>('0' + milli / 100),
                        static_cast<char>('0' + milli / 10 % 10),
                        static_cast<char>('0' + milli % 10),
                        'Z',
                        '\0'};
  out.append(frac, 5);
  return out;
}

std::optional<uint64_t> ParseUint(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

void AppendJsonString(std::string* out, std::string_view s) { codec::AppendJsonString(out, s); }

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return Status::Internal("the random number generator failed");
  }
  return out;
}

Result<std::string> CanonicalId(const std::string& raw) {
  IPDX_ASSIGN_OR_RETURN(model::PublicationRef ref, model::ParsePublicationId(raw));
  if (ref.kind.empty()) {
    return Status::InvalidArgument("'" + raw + "' has no kind code; give the full id, e.g. " +
                                   ref.office + "-" + ref.number + "-B2");
  }
  return ref.office + "-" + ref.number + "-" + ref.kind;
}

}  // namespace ipdx::api::internal
