#pragma once
// Internal to model/: small ASCII/UTF-8 helpers shared by the code-table parsers. Not part of the
// module contract. Pure functions; thread-safe.
#include <string>
#include <string_view>

namespace ipdx::model::internal {

inline bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
inline char ToUpper(char c) { return IsLower(c) ? static_cast<char>(c - 'a' + 'A') : c; }

// Replaces every UTF-8 NO-BREAK SPACE (C2 A0), as found in scraped IPC scheme text, and every
// ASCII whitespace character with a plain space.
std::string SpacesToAscii(std::string_view s);

// Strips ASCII whitespace and UTF-8 NO-BREAK SPACEs from both ends.
std::string_view Trim(std::string_view s);

// Trim + ASCII upper-case; non-ASCII bytes are kept as they are.
std::string TrimUpper(std::string_view s);

bool AllDigits(std::string_view s);

// Quotes a value for a message: "'A61K 31/00'", with control characters escaped and long values
// cut so one bad input cannot flood a log line.
std::string Quote(std::string_view s);

}  // namespace ipdx::model::internal
