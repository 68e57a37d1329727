#include "model/text_util.h"

#include <cstdio>

namespace ipdx::model::internal {

namespace {
constexpr std::string_view kNbsp = "\xC2\xA0";
constexpr size_t kMaxQuoted = 80;
}  // namespace

std::string SpacesToAscii(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, kNbsp.size()) == kNbsp) {
      out.push_back(' ');
      ++i;
    } else if (IsAsciiSpace(s[i])) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  for (;;) {
    if (!s.empty() && IsAsciiSpace(s.front())) {
      s.remove_prefix(1);
    } else if (s.starts_with(kNbsp)) {
      s.remove_prefix(kNbsp.size());
    } else {
      break;
    }
  }
  for (;;) {
    if (!s.empty() && IsAsciiSpace(s.back())) {
      s.remove_suffix(1);
    } else if (s.ends_with(kNbsp)) {
      s.remove_suffix(kNbsp.size());
    } else {
      break;
    }
  }
  return s;
}

std::string TrimUpper(std::string_view s) {
  std::string out(Trim(s));
  for (char& c : out) c = ToUpper(c);
  return out;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

std::string Quote(std::string_view s) {
  std::string out = "'";
  size_t n = 0;
  for (char c : s) {
    if (n++ == kMaxQuoted) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    } else if (c == '\'') {
      out += "\\'";
    } else {
      out.push_back(c);
    }
  }
  out += "'";
  return out;
}

}  // namespace ipdx::model::internal
