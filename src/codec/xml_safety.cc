#include "codec/xml_safety.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "codec/codec.h"
#include "codec/entities.h"

namespace ipdx::codec::internal {
namespace {

using model::Finding;
using model::Severity;

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsNameStart(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || u == '_' || u == ':' || u >= 0x80;
}

bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

bool IsPredefined(std::string_view name) {
  return name == "lt" || name == "gt" || name == "amp" || name == "quot" || name == "apos";
}

// Escapes the characters that would change the markup when a replacement text is inserted into
// the document (an entity may stand for '<' or '&').
void AppendEscaped(std::string_view text, std::string* out) {
  for (char c : text) {
    switch (c) {
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '&':
        *out += "&amp;";
        break;
      case '"':
        *out += "&quot;";
        break;
      case '\'':
        *out += "&apos;";
        break;
      default:
        out->push_back(c);
    }
  }
}

std::string Quote(std::string_view s, size_t max_len = 80) {
  std::string q = "\"";
  q += s.substr(0, max_len);
  if (s.size() > max_len) q += "...";
  q += "\"";
  return q;
}

enum class EntityKind { kInternal, kUnparsed };

// One pass over the document; see xml_safety.h for what it checks.
class Scanner {
 public:
  explicit Scanner(std::string_view in, size_t base) : in_(in), base_(base) {}

  PreparedXml Run() {
    out_.text.reserve(in_.size());
    ScanDocument();
    if (out_.findings.empty()) {
      if (inside_ != nullptr) {
        out_.truncated = true;
        out_.findings.push_back(Error("XML-TRUNCATED", "",
                                      std::string("document ends inside ") + inside_ +
                                          " that starts at " + Pos(inside_at_) +
                                          "; the input was cut off"));
      } else if (depth_ > 0) {
        out_.truncated = true;
        std::string open = stack_.empty() ? "" : std::string(stack_.back());
        out_.findings.push_back(
            Error("XML-TRUNCATED", "",
                  "document ends at byte " + std::to_string(base_ + in_.size()) + " with " +
                      std::to_string(depth_) + " element(s) still open (innermost <" + open +
                      ">); the input was cut off"));
      }
    }
    out_.text.append(in_.substr(copied_));
    return std::move(out_);
  }

 private:
  Finding Error(std::string rule, std::string field, std::string message) {
    return Finding{std::move(rule), Severity::kError, std::move(field), std::move(message)};
  }
  std::string Pos(size_t i) const {
    // Positions are reported in the caller's bytes (BOM included).
    return "byte " + std::to_string(base_ + i);
  }
  std::string LinePos(size_t i) const;

  bool StartsWith(size_t i, std::string_view s) const { return in_.substr(i, s.size()) == s; }

  void Fail(std::string rule, std::string message) {
    out_.findings.push_back(Error(std::move(rule), "", std::move(message)));
  }

  void ScanDocument();
  // Each returns the index after the construct, or npos when the input ends inside it (then
  // inside_/inside_at_ say what was open) or when a finding was recorded.
  size_t ScanDoctype(size_t i);
  size_t ScanInternalSubset(size_t i);
  size_t ScanEntityDecl(size_t i);
  size_t ScanStartTag(size_t i);
  size_t ScanReference(size_t i);
  size_t SkipQuoted(size_t i);
  size_t SkipTo(size_t i, std::string_view end, const char* what);
  // The index of the next '<' or '&' at or after i (in_.size() when there is none).
  size_t NextMarkup(size_t i);

  std::string_view in_;
  size_t base_;
  PreparedXml out_;
  size_t copied_ = 0;  // in_[0, copied_) has been appended to out_.text
  // The first '&' at or after the position NextMarkup last searched from (in_.size() when none);
  // still the answer for any later position up to it. 0 before the first search (NextMarkup is
  // never asked about position 0).
  size_t next_amp_ = 0;
  int depth_ = 0;
  bool root_seen_ = false;
  std::vector<std::string_view> stack_;
  std::map<std::string, EntityKind, std::less<>> declared_;
  const char* inside_ = nullptr;
  size_t inside_at_ = 0;
};

std::string Scanner::LinePos(size_t i) const {
  // Lines and columns are counted in the text after the BOM; the byte offset is the caller's.
  std::string pos = DescribePosition(in_, i);
  return pos.substr(0, pos.rfind(" (byte ")) + " (byte " + std::to_string(base_ + i) + ")";
}

size_t Scanner::SkipTo(size_t i, std::string_view end, const char* what) {
  size_t j = in_.find(end, i);
  if (j == std::string_view::npos) {
    inside_ = what;
    inside_at_ = i;
    return std::string_view::npos;
  }
  return j + end.size();
}

size_t Scanner::SkipQuoted(size_t i) {
  char q = in_[i];
  size_t j = in_.find(q, i + 1);
  if (j == std::string_view::npos) {
    inside_ = "a quoted literal";
    inside_at_ = i;
    return std::string_view::npos;
  }
  return j + 1;
}

void Scanner::ScanDocument() {
  size_t i = 0;
  const size_t n = in_.size();
  while (i < n) {
    char c = in_[i];
    if (c == '&') {
      i = ScanReference(i);
    } else if (c != '<') {
      if (depth_ == 0 && root_seen_) {
        if (!IsSpace(c)) {
          Fail("XML-WELLFORMED", "text after the document element at " + LinePos(i));
          return;
        }
        ++i;
      } else {
        i = NextMarkup(i + 1);  // character data: nothing to check up to the next '<' or '&'
      }
      continue;
    } else if (i + 1 < n && in_[i + 1] == '/') {
      size_t j = SkipTo(i + 2, ">", "an end tag");
      if (j != std::string_view::npos && depth_ > 0) {
        --depth_;
        stack_.pop_back();
      }
      i = j;
    } else if (i + 1 < n && IsNameStart(in_[i + 1])) {
      if (root_seen_ && depth_ == 0) {
        // pugixml would accept a second top-level element silently.
        Fail("XML-WELLFORMED",
             "a second root element starts at " + LinePos(i) +
                 " after the document element ended; concatenated documents each need their "
                 "own XML declaration at the start of a line");
        return;
      }
      i = ScanStartTag(i);
    } else if (StartsWith(i, "<!--")) {
      i = SkipTo(i + 4, "-->", "a comment");
    } else if (StartsWith(i, "<![CDATA[")) {
      i = SkipTo(i + 9, "]]>", "a CDATA section");
    } else if (StartsWith(i, "<!DOCTYPE")) {
      i = ScanDoctype(i);
    } else if (StartsWith(i, "<?")) {
      i = SkipTo(i + 2, "?>", "a processing instruction");
    } else {
      ++i;  // a stray '<': not markup; pugixml reports it with its position
    }
    if (i == std::string_view::npos || !out_.findings.empty()) return;
  }
}

size_t Scanner::NextMarkup(size_t i) {
  const size_t n = in_.size();
  if (i >= n) return n;
  const void* lt = std::memchr(in_.data() + i, '<', n - i);
  const size_t next_lt = lt == nullptr ? n : static_cast<const char*>(lt) - in_.data();
  // '&' is rare: remember where the next one is instead of searching for it at every '<'.
  if (next_amp_ < i) {
    const void* amp = std::memchr(in_.data() + i, '&', n - i);
    next_amp_ = amp == nullptr ? n : static_cast<const char*>(amp) - in_.data();
  }
  return std::min(next_lt, next_amp_);
}

size_t Scanner::ScanDoctype(size_t start) {
  size_t i = start + 9;
  const size_t n = in_.size();
  while (i < n && in_[i] != '[' && in_[i] != '>') {
    if (in_[i] == '"' || in_[i] == '\'') {
      i = SkipQuoted(i);
      if (i == std::string_view::npos) return i;
    } else {
      ++i;
    }
  }
  if (i < n && in_[i] == '[') {
    i = ScanInternalSubset(i + 1);
    if (i == std::string_view::npos) return i;
    i = SkipTo(i, ">", "the DOCTYPE declaration");
  } else if (i < n) {
    ++i;
  } else {
    inside_ = "the DOCTYPE declaration";
    inside_at_ = start;
    return std::string_view::npos;
  }
  if (i == std::string_view::npos) {
    inside_at_ = start;
    return i;
  }
  out_.doctype = std::string(in_.substr(start, i - start));
  return i;
}

size_t Scanner::ScanInternalSubset(size_t i) {
  const size_t n = in_.size();
  while (i < n) {
    char c = in_[i];
    if (IsSpace(c)) {
      ++i;
    } else if (c == ']') {
      return i + 1;
    } else if (StartsWith(i, "<!--")) {
      i = SkipTo(i + 4, "-->", "a comment in the DTD");
    } else if (StartsWith(i, "<?")) {
      i = SkipTo(i + 2, "?>", "a processing instruction in the DTD");
    } else if (StartsWith(i, "<!ENTITY")) {
      i = ScanEntityDecl(i);
    } else if (StartsWith(i, "<!")) {
      // ELEMENT, ATTLIST, NOTATION: skip to the closing '>' outside quoted literals.
      size_t j = i + 2;
      while (j < n && in_[j] != '>') {
        if (in_[j] == '"' || in_[j] == '\'') {
          j = SkipQuoted(j);
          if (j == std::string_view::npos) return j;
        } else {
          ++j;
        }
      }
      if (j >= n) {
        inside_ = "a markup declaration in the DTD";
        inside_at_ = i;
        return std::string_view::npos;
      }
      i = j + 1;
    } else {
      ++i;  // parameter-entity references (%name;) are never expanded
    }
    if (i == std::string_view::npos || !out_.findings.empty()) return std::string_view::npos;
  }
  inside_ = "the internal DTD subset";
  inside_at_ = i;
  return std::string_view::npos;
}

size_t Scanner::ScanEntityDecl(size_t start) {
  const size_t n = in_.size();
  size_t i = start + 8;
  auto skip_ws = [&] {
    while (i < n && IsSpace(in_[i])) ++i;
  };
  auto read_name = [&] {
    size_t b = i;
    while (i < n && IsNameChar(in_[i])) ++i;
    return in_.substr(b, i - b);
  };
  skip_ws();
  bool parameter = false;
  if (i < n && in_[i] == '%') {
    parameter = true;
    ++i;
    skip_ws();
  }
  std::string_view name = read_name();
  skip_ws();
  std::string_view external_kind;
  std::string_view system_id;
  bool literal = false;
  bool ndata = false;
  if (i < n && (in_[i] == '"' || in_[i] == '\'')) {
    literal = true;
    i = SkipQuoted(i);
    if (i == std::string_view::npos) return i;
  } else if (StartsWith(i, "SYSTEM") || StartsWith(i, "PUBLIC")) {
    external_kind = in_.substr(i, 6);
    i += 6;
    int literals = external_kind == "PUBLIC" ? 2 : 1;
    for (int k = 0; k < literals; ++k) {
      skip_ws();
      if (i >= n || (in_[i] != '"' && in_[i] != '\'')) break;
      size_t b = i;
      i = SkipQuoted(i);
      if (i == std::string_view::npos) return i;
      system_id = in_.substr(b + 1, i - b - 2);
    }
    skip_ws();
    if (StartsWith(i, "NDATA")) {
      ndata = true;
      i += 5;
      skip_ws();
      read_name();
    }
  }
  skip_ws();
  size_t end = in_.find('>', i);
  if (end == std::string_view::npos) {
    inside_ = "an ENTITY declaration";
    inside_at_ = start;
    return std::string_view::npos;
  }
  if (!external_kind.empty() && !ndata) {
    Fail("XML-XXE", std::string(parameter ? "parameter entity %" : "entity &") + std::string(name) +
                        (parameter ? "; " : "; ") + "is declared " + std::string(external_kind) +
                        " " + Quote(system_id) + " in the internal DTD subset at " +
                        LinePos(start) + "; ipdx never loads external entities (XXE)");
    return std::string_view::npos;
  }
  if (!parameter && !name.empty()) {
    if (ndata) {
      declared_.emplace(std::string(name), EntityKind::kUnparsed);
    } else if (literal) {
      declared_.emplace(std::string(name), EntityKind::kInternal);
    }
  }
  return end + 1;
}

size_t Scanner::ScanStartTag(size_t start) {
  const size_t n = in_.size();
  size_t i = start + 1;
  size_t name_begin = i;
  while (i < n && IsNameChar(in_[i])) ++i;
  std::string_view name = in_.substr(name_begin, i - name_begin);
  while (i < n) {
    char c = in_[i];
    if (c == '>') {
      ++depth_;
      if (!root_seen_) {
        root_seen_ = true;
        out_.root_name = std::string(name);
      }
      if (depth_ > kMaxNestingDepth) {
        Fail("XML-DEPTH", "element nesting exceeds " + std::to_string(kMaxNestingDepth) +
                              " levels at <" + std::string(name.substr(0, 64)) + "> (" +
                              LinePos(start) + ")");
        return std::string_view::npos;
      }
      stack_.push_back(name);
      return i + 1;
    }
    if (c == '/' && i + 1 < n && in_[i + 1] == '>') {
      if (!root_seen_) {
        root_seen_ = true;
        out_.root_name = std::string(name);
      }
      return i + 2;
    }
    if (c == '"' || c == '\'') {
      // Attribute value: entity references are resolved here too.
      size_t j = i + 1;
      while (j < n && in_[j] != c) {
        if (in_[j] == '&') {
          j = ScanReference(j);
          if (j == std::string_view::npos) return j;
        } else {
          ++j;
        }
      }
      if (j >= n) break;
      i = j + 1;
      continue;
    }
    if (c == '<') {
      // '<' cannot appear inside a tag: leave it to pugixml to report with its position.
      return i;
    }
    ++i;
  }
  inside_ = "a start tag";
  inside_at_ = start;
  return std::string_view::npos;
}

size_t Scanner::ScanReference(size_t amp) {
  const size_t n = in_.size();
  size_t i = amp + 1;
  if (i < n && in_[i] == '#') {
    // Character reference: pugixml decodes it; only its shape matters here.
    size_t j = i + 1;
    bool hex = j < n && in_[j] == 'x';
    if (hex) ++j;
    size_t digits = j;
    while (j < n && (hex ? std::isxdigit(static_cast<unsigned char>(in_[j]))
                         : std::isdigit(static_cast<unsigned char>(in_[j])))) {
      ++j;
    }
    if (j > digits && j < n && in_[j] == ';') return j + 1;
    Fail("XML-WELLFORMED", "malformed character reference " +
                               Quote(in_.substr(amp, std::min<size_t>(j + 1, n) - amp), 20) +
                               " at " + LinePos(amp));
    return std::string_view::npos;
  }
  size_t name_begin = i;
  if (i < n && IsNameStart(in_[i])) {
    while (i < n && IsNameChar(in_[i])) ++i;
  }
  if (i == name_begin || i >= n || in_[i] != ';') {
    if (i >= n && i > name_begin) {
      inside_ = "an entity reference";
      inside_at_ = amp;
      return std::string_view::npos;
    }
    Fail("XML-WELLFORMED", "raw '&' that does not start an entity or character reference at " +
                               LinePos(amp) + " (context " + Quote(in_.substr(amp, 24), 24) +
                               "); it must be written &amp;");
    return std::string_view::npos;
  }
  std::string_view name = in_.substr(name_begin, i - name_begin);
  size_t after = i + 1;
  if (IsPredefined(name)) return after;
  if (auto it = declared_.find(name); it != declared_.end()) {
    if (it->second == EntityKind::kUnparsed) {
      Fail("XML-ENTITY", "entity &" + std::string(name) +
                             "; is an unparsed (NDATA) entity and cannot be referenced in text (" +
                             LinePos(amp) + ")");
    } else {
      Fail("XML-ENTITY", "entity &" + std::string(name) +
                             "; is declared in the internal subset; ipdx does not expand internal "
                             "entities (entity-expansion attacks) (" +
                             LinePos(amp) + ")");
    }
    return std::string_view::npos;
  }
  std::optional<std::string> replacement = LookupNamedEntity(name);
  if (!replacement) {
    Fail("XML-ENTITY", "unknown entity &" + std::string(name.substr(0, 64)) + "; at " +
                           LinePos(amp) +
                           ": not declared, and not in the ISO 8879/HTML entity tables ipdx "
                           "ships (data/entities)");
    return std::string_view::npos;
  }
  out_.text.append(in_.substr(copied_, amp - copied_));
  AppendEscaped(*replacement, &out_.text);
  copied_ = after;
  out_.offset_map.emplace_back(out_.text.size(), base_ + after);
  return after;
}

}  // namespace

size_t PreparedXml::InputOffset(size_t text_offset) const {
  auto it = std::upper_bound(
      offset_map.begin(), offset_map.end(), text_offset,
      [](size_t off, const std::pair<size_t, size_t>& e) { return off < e.first; });
  if (it == offset_map.begin()) return text_offset + bom_bytes;
  --it;
  return it->second + (text_offset - it->first);
}

std::string DescribePosition(std::string_view bytes, size_t offset) {
  offset = std::min(offset, bytes.size());
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (bytes[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1) +
         " (byte " + std::to_string(offset) + ")";
}

size_t FindInvalidXmlChar(std::string_view s, std::string* why) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // Skip 8 bytes at a time while they are all printable ASCII (0x20..0x7F), the bulk of
    // every document; anything else is looked at byte by byte below.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      constexpr uint64_t kOnes = 0x0101010101010101ull;
      constexpr uint64_t kHigh = 0x8080808080808080ull;
      if (((w | ((w - kOnes * 0x20) & ~w)) & kHigh) != 0) break;  // a byte >= 0x80 or < 0x20
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        *why = "control character U+00" + std::string(1, "0123456789ABCDEF"[c >> 4]) +
               std::string(1, "0123456789ABCDEF"[c & 15]) + " is not allowed in XML 1.0";
        return i;
      }
      ++i;
      continue;
    }
    int len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      *why = "invalid UTF-8 lead byte";
      return i;
    }
    if (i + len > n) {
      *why = "incomplete UTF-8 sequence";
      return i;
    }
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        *why = "invalid UTF-8 continuation byte";
        return i;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) {
      *why = "invalid UTF-8 sequence (overlong, surrogate or non-character)";
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

PreparedXml PrepareXml(std::string_view bytes) {
  size_t bom = bytes.substr(0, 3) == kBom ? 3 : 0;
  std::string why;
  size_t bad = FindInvalidXmlChar(bytes.substr(bom), &why);
  if (bad != std::string_view::npos) {
    PreparedXml out;
    out.bom_bytes = bom;
    out.findings.push_back(Finding{"XML-WELLFORMED", Severity::kError, "",
                                   why + " at " + DescribePosition(bytes, bad + bom)});
    return out;
  }
  Scanner scanner(bytes.substr(bom), bom);
  PreparedXml out = scanner.Run();
  out.bom_bytes = bom;
  return out;
}

}  // namespace ipdx::codec::internal
