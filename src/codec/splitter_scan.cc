#include "codec/splitter_scan.h"

namespace ipdx::codec::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNameStart(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || u == '_' || u == ':' || u >= 0x80;
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

Token Incomplete() { return Token{TokenType::kIncomplete, 0, {}}; }

Token Until(std::string_view buf, size_t from, std::string_view end, TokenType type) {
  size_t j = buf.find(end, from);
  if (j == std::string_view::npos) return Incomplete();
  return Token{type, j + end.size(), {}};
}

}  // namespace

Token NextToken(std::string_view buf, size_t pos, bool at_eof) {
  const size_t n = buf.size();
  if (buf[pos] != '<') {
    size_t j = buf.find('<', pos);
    if (j == std::string_view::npos) {
      return at_eof ? Token{TokenType::kText, n, {}} : Incomplete();
    }
    return Token{TokenType::kText, j, {}};
  }
  if (pos + 1 >= n) return at_eof ? Token{TokenType::kStray, n, {}} : Incomplete();
  std::string_view rest = buf.substr(pos);
  if (rest.starts_with("<!--")) return Until(buf, pos + 4, "-->", TokenType::kComment);
  if (rest.starts_with("<![CDATA[")) return Until(buf, pos + 9, "]]>", TokenType::kCData);
  if (rest.starts_with("<?")) return Until(buf, pos + 2, "?>", TokenType::kProcessingInstruction);
  if (rest.starts_with("<!DOCTYPE")) {
    // Brackets of the internal subset and quoted literals may contain '>'.
    int brackets = 0;
    size_t i = pos + 9;
    while (i < n) {
      char c = buf[i];
      if (c == '"' || c == '\'') {
        size_t j = buf.find(c, i + 1);
        if (j == std::string_view::npos) return Incomplete();
        i = j + 1;
        continue;
      }
      if (brackets > 0 && buf.substr(i, 4) == "<!--") {
        size_t j = buf.find("-->", i + 4);
        if (j == std::string_view::npos) return Incomplete();
        i = j + 3;
        continue;
      }
      if (c == '[') ++brackets;
      if (c == ']' && brackets > 0) --brackets;
      if (c == '>' && brackets == 0) return Token{TokenType::kDoctype, i + 1, {}};
      ++i;
    }
    return Incomplete();
  }
  if (rest.size() < 9 && !at_eof &&
      (std::string_view("<![CDATA[").starts_with(rest) ||
       std::string_view("<!DOCTYPE").starts_with(rest))) {
    return Incomplete();
  }
  bool end_tag = buf[pos + 1] == '/';
  size_t name_begin = pos + (end_tag ? 2 : 1);
  if (name_begin >= n) return at_eof ? Token{TokenType::kStray, n, {}} : Incomplete();
  if (!IsNameStart(buf[name_begin])) return Token{TokenType::kStray, pos + 1, {}};
  size_t i = name_begin;
  while (i < n && IsNameChar(buf[i])) ++i;
  if (i >= n) return Incomplete();
  std::string_view name = buf.substr(name_begin, i - name_begin);
  while (i < n) {
    char c = buf[i];
    if (c == '"' || c == '\'') {
      size_t j = buf.find(c, i + 1);
      if (j == std::string_view::npos) return Incomplete();
      i = j + 1;
      continue;
    }
    if (c == '>') {
      return Token{end_tag ? TokenType::kEndTag : TokenType::kStartTag, i + 1, name};
    }
    if (c == '/' && !end_tag && i + 1 < n && buf[i + 1] == '>') {
      return Token{TokenType::kEmptyTag, i + 2, name};
    }
    if (c == '<') return Token{TokenType::kStray, pos + 1, {}};  // broken tag: parser reports
    ++i;
  }
  return Incomplete();
}

std::string_view SplitLocalName(std::string_view qname) {
  size_t colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

std::string_view SplitPrefix(std::string_view qname) {
  size_t colon = qname.find(':');
  return colon == std::string_view::npos ? std::string_view() : qname.substr(0, colon);
}

std::vector<std::pair<std::string, std::string>> NamespaceDeclarations(std::string_view tag) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 1;
  while (i < tag.size() && IsNameChar(tag[i])) ++i;  // element name
  while (i < tag.size()) {
    while (i < tag.size() && IsSpace(tag[i])) ++i;
    size_t name_begin = i;
    while (i < tag.size() && IsNameChar(tag[i])) ++i;
    std::string_view attr = tag.substr(name_begin, i - name_begin);
    if (attr.empty()) {
      ++i;
      continue;
    }
    while (i < tag.size() && IsSpace(tag[i])) ++i;
    if (i >= tag.size() || tag[i] != '=') continue;
    ++i;
    while (i < tag.size() && IsSpace(tag[i])) ++i;
    if (i >= tag.size() || (tag[i] != '"' && tag[i] != '\'')) continue;
    size_t close = tag.find(tag[i], i + 1);
    if (close == std::string_view::npos) break;
    if (attr == "xmlns" || attr.starts_with("xmlns:")) {
      out.emplace_back(std::string(attr),
                       std::string(tag.substr(name_begin, close + 1 - name_begin)));
    }
    i = close + 1;
  }
  return out;
}

bool IsDocumentBoundary(std::string_view buf, size_t pos, size_t floor) {
  if (buf.substr(pos, 5) != "<?xml" || pos + 5 >= buf.size() || !IsSpace(buf[pos + 5])) {
    return false;
  }
  for (size_t k = pos; k > floor; --k) {
    char c = buf[k - 1];
    if (c == '\n' || c == '\r') return true;
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

}  // namespace ipdx::codec::internal
