#pragma once
// Internal to codec/: the small markup tokenizer the splitter uses to find document and element
// boundaries in a byte stream without building a tree. It never recurses and never allocates;
// a token that runs past the end of the buffer is reported as kIncomplete so the caller can read
// more input and try again. Pure functions; thread-safe.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ipdx::codec::internal {

enum class TokenType {
  kText,
  kComment,
  kCData,
  kProcessingInstruction,  // including the XML declaration
  kDoctype,
  kStartTag,
  kEmptyTag,  // <name ... />
  kEndTag,
  kStray,       // a '<' that starts no markup (left for the parser to report)
  kIncomplete,  // the buffer ends inside this token
};

struct Token {
  TokenType type = TokenType::kIncomplete;
  size_t end = 0;         // index just past the token
  std::string_view name;  // qualified element name for start, empty and end tags
};

// The token that starts at `pos` (< buf.size()). Text runs to the next '<'; at the end of the
// buffer it is kIncomplete unless `at_eof`.
Token NextToken(std::string_view buf, size_t pos, bool at_eof);

// "exch:exchange-document" -> "exchange-document".
std::string_view SplitLocalName(std::string_view qname);
// "exch:exchange-document" -> "exch"; "" without a prefix.
std::string_view SplitPrefix(std::string_view qname);

// The namespace declarations of a start tag: pairs of (attribute name, full attribute text),
// e.g. ("xmlns:exch", "xmlns:exch=\"http://www.epo.org/exchange\"").
std::vector<std::pair<std::string, std::string>> NamespaceDeclarations(std::string_view tag);

// True when `buf[pos]` starts "<?xml" followed by white space and only spaces or tabs precede
// it on its line (back to `floor`): the start of a concatenated document.
bool IsDocumentBoundary(std::string_view buf, size_t pos, size_t floor);

}  // namespace ipdx::codec::internal
