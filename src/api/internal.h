#pragma once
// Helpers shared by the files of api/. Internal to the module. Stateless functions: thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ipdx::api::internal {

std::string_view Trim(std::string_view s);
std::string Base64Encode(std::string_view bytes);
std::string Base64UrlEncode(std::string_view bytes);  // no padding
// Standard alphabet with padding (RFC 4648 §4). InvalidArgument for anything else.
Result<std::string> Base64Decode(std::string_view text);
// URL-safe alphabet, padding optional (RFC 4648 §5).
Result<std::string> Base64UrlDecode(std::string_view text);
// Seconds since the epoch, and ISO 8601 UTC with milliseconds ("2024-05-01T12:00:00.123Z").
int64_t NowUnix();
std::string NowIso();
// Strict decimal parse of a non-negative integer that fits in uint64_t.
std::optional<uint64_t> ParseUint(std::string_view s);
// Appends `s` as a JSON string (quotes included) to *out: control characters escaped, bytes that
// are not UTF-8 replaced by U+FFFD (as nlohmann's error_handler_t::replace does).
void AppendJsonString(std::string* out, std::string_view s);
// Random bytes from the operating system (OpenSSL RAND_bytes). Internal on failure.
Result<std::string> RandomBytes(size_t n);
// A publication id in canonical form "US-8936998-B2" from any common spelling ("US8936998B2",
// "US 8,936,998 B2"); the kind code is required (InvalidArgument otherwise).
Result<std::string> CanonicalId(const std::string& raw);

}  // namespace ipdx::api::internal
