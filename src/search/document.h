#pragma once
// Internal to search/: turns a model::Record into the Xapian document of schema.h, and builds the
// snippets shown with hits from the stored document data.
#include <xapian.h>

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/record.h"
#include "search/analyzer.h"
#include "search/query.h"
#include "search/schema.h"
#include "search/search.h"

namespace ipdx::search::internal {

// "Q" + publisher + "/" + publication id.
std::string UniqueTerm(std::string_view publisher, std::string_view id);

struct BuiltDocument {
  Xapian::Document document;
  std::string unique_term;
  std::set<std::string> stem_langs;  // languages whose stemmed terms the document holds
};

// InvalidArgument when the record has no office or number, or the publisher is not a two-letter
// code.
Result<BuiltDocument> BuildDocument(Analyzer* analyzer, const std::string& publisher,
                                    const model::Record& record);

// Makes the snippets of one search: the best passage (about `window_words` words) of the
// abstract, claims or description for the highlight terms, or the start of the first text when
// nothing matches. "Best" is the window with the most distinct matched words, then the most
// matches, the first of equals; windows are scored in one pass over the words (linear time).
// Sections are taken in stored order, and a section whose best window holds every query word
// (each word, its stem or its truncation prefix) ends the search: later sections are not analysed.
// With no highlight terms only the start of the first section is analysed.
//
// Keeps the words' match results between hits (most hits of a query share their vocabulary), in
// bounded memory. Not thread-safe; `analyzer` and `terms` are borrowed and must outlive it.
// Analysed text of a section after which snippets stop looking further (SnippetMaker).
inline constexpr size_t kSnippetScanBytes = 8 * 1024;

class SnippetMaker {
 public:
  // `scan_bytes`: each section is analysed in pieces (or regions) in text order, and left once
  // it showed a match and this much of it was analysed: the snippet is the best window of the
  // first part of each section that has matches, not of all of it (as the maxAnalyzedChars of
  // Lucene's highlighters). A section without a match is read to its end.
  SnippetMaker(Analyzer* analyzer, const HighlightTerms& terms, size_t window_words = 32,
               size_t scan_bytes = kSnippetScanBytes);
  Snippet Make(const DocData& data);

 private:
  static constexpr int kNoMatch = -2;
  static constexpr int kUnknownConcept = -1;  // a match that stands for no one query word
  static constexpr size_t kMaxCachedMatches = 100000;
  struct LangCache {
    bool stemmer = false;
    std::unordered_map<std::string, int> stem_concept;  // stem of a query word -> its concept
    std::unordered_map<std::string, int> match;         // case-folded word -> Match result
  };
  LangCache& Lang(const std::string& lang);
  // The parts of `text` worth analysing: around every place a needle occurs (ASCII case folded,
  // or inside a word with non-ASCII letters once that word is folded), a window of words on
  // either side, merged. False when the needles are everywhere or the text has many words with
  // non-ASCII letters (German, CJK): analyse all of it. True with no ranges: no needle occurs.
  bool Regions(std::string_view text, std::vector<std::pair<size_t, size_t>>* out);
  static constexpr size_t kMaxRegionHits = 4096;
  static constexpr size_t kMaxFoldedSpans = 64;
  // The query word (concept id) a token matches, kUnknownConcept, or kNoMatch.
  int Match(const Token& token, LangCache& lang, const std::string& lang_code);

  Analyzer* analyzer_;
  const HighlightTerms& terms_;
  size_t window_words_;
  size_t scan_bytes_;
  std::unordered_map<std::string, int> word_concept_;  // query word -> concept id
  std::vector<std::pair<std::string, int>> prefixes_;  // truncation prefix -> concept id
  size_t concepts_ = 0;
  std::map<std::string, LangCache> langs_;
  std::vector<std::string> needles_;  // Regions' byte needles (lower case ASCII); may be empty
  std::string lowered_;               // Regions' scratch: the text lower-cased
  std::vector<std::pair<size_t, size_t>> hits_;
  std::vector<std::pair<size_t, size_t>> folded_spans_;  // words with non-ASCII bytes
};

// One snippet (a SnippetMaker for a single hit).
Snippet MakeSnippet(Analyzer* analyzer, const DocData& data, const HighlightTerms& terms,
                    size_t window_words = 32, size_t scan_bytes = kSnippetScanBytes);

}  // namespace ipdx::search::internal
