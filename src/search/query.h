#pragma once
// Internal to search/: the query language (docs/query-language.md) as a syntax tree, its
// hand-written recursive-descent parser, and its compiler to a Xapian::Query.
//
// Parsing needs no index: it checks the syntax only. Compiling checks field values (dates,
// classification symbols, numbers, office and kind codes), analyses words with the same Analyzer
// as the indexer, and, given a database, limits truncation. Both report errors with the byte
// offset of the offending part; MakeQueryError turns it into the public position (Unicode code
// points) and message.
#include <xapian.h>

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "search/analyzer.h"
#include "search/search.h"

namespace ipdx::search::internal {

enum class Field {
  kTxt,
  kTitle,
  kAbstract,
  kClaims,
  kDescription,
  kApplicant,
  kInventor,
  kIpc,
  kCpc,
  kPubNumber,
  kAppNumber,
  kOffice,
  kKind,
  kPubDate,
  kAppDate,
  kPriorityDate,
};
std::string_view FieldName(Field field);
bool IsTextField(Field field);  // txt ti ab cl de
bool IsNameField(Field field);  // pa in
bool IsDateField(Field field);  // pd ad prd

enum class Cmp { kEq, kLt, kLe, kGt, kGe };

enum class NodeKind { kWord, kPhrase, kWildcard, kDate, kAnd, kOr, kNear, kAdj };

struct Node {
  NodeKind kind = NodeKind::kWord;
  size_t pos = 0;        // byte offset of the node's first character in the query
  size_t value_pos = 0;  // byte offset of the value (after "ti:" or "pd>=")
  Field field = Field::kTxt;
  std::string text;  // word, phrase content, truncated stem, date value
  Cmp cmp = Cmp::kEq;
  int distance = 0;  // NEAR/n, ADJ/n
  double boost = 1.0;
  std::vector<Node> children;  // kAnd (required), kOr, kNear, kAdj operands
  std::vector<Node> excluded;  // kAnd: operands under NOT / '-'
};

// A parse or compile error before conversion: byte offset into the query and message.
struct RawError {
  size_t byte_pos = 0;
  std::string message;
};

// Builds the public error (position in code points) and its Status.
Status MakeQueryError(std::string_view query, const RawError& raw, QueryError* out);

// Parses the query syntax. On error returns false and fills *error.
bool ParseQuery(std::string_view query, Node* root, RawError* error);

// "AND(txt:motor, -cc:US)"
std::string DescribeNode(const Node& node);

// What snippets highlight: folded words (exact and CJK terms), stems per language ("en:electr"),
// and truncation prefixes, from the non-negated text parts of the query.
struct HighlightTerms {
  std::set<std::string> words;
  std::set<std::string> stems;  // lang + ":" + folded stem
  std::set<std::string> prefixes;
  bool empty() const { return words.empty() && stems.empty() && prefixes.empty(); }
};

struct CompileContext {
  Analyzer* analyzer = nullptr;          // required
  std::vector<std::string> stem_langs;   // languages with stemmed text in the index
  const Xapian::Database* db = nullptr;  // optional: truncation limits are checked when given
  size_t wildcard_limit = 1000;
};

// Compiles the tree. On error returns false and fills *error. `highlights` may be null.
bool CompileQuery(const Node& root, const CompileContext& context, Xapian::Query* out,
                  HighlightTerms* highlights, RawError* error);

// The match query for one word in the full-text fields `prefixes`: the synonym of its stems in
// every language of `stem_langs` and of the word itself for text without a stemmer (the Z terms of
// schema.h). Also used by "similar documents".
Xapian::Query StemmedWordQuery(Analyzer* analyzer, const std::vector<std::string_view>& prefixes,
                               const std::vector<std::string>& stem_langs, const Token& token,
                               HighlightTerms* highlights);

}  // namespace ipdx::search::internal
