#pragma once
// Internal to search/: the one text analysis used both when indexing and when parsing queries, so
// the two always segment, fold and stem the same way (docs/query-language.md, "Text analysis").
//
//   1. Word boundaries: ICU word BreakIterator (UAX #29) over the UTF-8 text. Segments that are
//      punctuation or spaces are skipped; "3.5", "don't" and "A61K31" stay one word.
//   2. CJK (Han, Hiragana, Katakana, Hangul): every maximal run of CJK characters becomes
//      overlapping character bigrams at consecutive positions ("显示设备" -> 显示 示设 设备), plus
//      each character as a unigram without a position (so a one-character query still matches).
//      Bigrams are dictionary-free: they do not change when ICU's CJK dictionaries change
//      between versions, and they find technical compounds no dictionary knows.
//   3. Folding: NFKC case folding (full-width forms, ligatures, "ß" -> "ss"), then removal of the
//      combining diacritical marks (U+0300..U+036F and the other combining-diacritics blocks) so
//      "Électrique" and "electrique" are one word. Kana voicing marks are not in those blocks and
//      are kept (が stays が). A few letters without a decomposition are mapped: ø->o, æ->ae,
//      œ->oe, ł->l, đ->d, ð->d, ı->i.
//   4. Stemming: Snowball stemmers of Xapian, chosen by the text's ISO 639-1 language. The stemmer
//      sees the case-folded word with its accents; its output is then folded (stem, then fold).
//
// An Analyzer is not thread-safe (the ICU BreakIterator and the stemmer cache are stateful); give
// each thread its own. It owns everything it uses.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

// The header of ICU rather than a forward declaration: "icu" is a macro for a versioned namespace.
#include <unicode/brkiter.h>

namespace Xapian {
class Stem;
}

namespace ipdx::search::internal {

// Longest token indexed, in bytes of its folded form; longer ones (sequence listings, base64
// noise) are skipped, well below Xapian's 245-byte term limit once a prefix is added.
inline constexpr size_t kMaxTokenBytes = 100;

struct Token {
  std::string term;   // folded form: the indexed (unstemmed) term
  std::string lower;  // case-folded with accents kept: the stemmer's input
  size_t begin = 0;   // byte range in the analysed text
  size_t end = 0;
  bool cjk = false;        // a CJK bigram or unigram
  bool positional = true;  // false for the CJK unigrams emitted beside bigrams
};

class Analyzer {
 public:
  // Fails (Internal) only when ICU cannot create a word BreakIterator (broken ICU data).
  static Result<std::unique_ptr<Analyzer>> Create();
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Tokens in text order. Invalid UTF-8 sequences are treated as separators. Pure-ASCII words
  // are segmented without ICU, by the same rules (analyzer.cc, AsciiWords).
  std::vector<Token> Tokenize(std::string_view text);
  // The same tokens with ICU doing all of the segmentation (what Tokenize is checked against).
  std::vector<Token> TokenizeWithIcu(std::string_view text);

  // Folds one word (already a single token) the same way Tokenize does; returns the folded form
  // and, in *lower, the case-folded form with accents kept.
  static std::string Fold(std::string_view word, std::string* lower = nullptr);

  // True when Xapian has a Snowball stemmer for the ISO 639-1 code ("en", "de", ...).
  bool HasStemmer(std::string_view lang);
  // Folded stem of a case-folded word in `lang`; the folded word itself when there is no stemmer.
  std::string Stem(std::string_view lang, std::string_view lower) { return StemRef(lang, lower); }
  // The same without a copy: the reference stays valid until the next Stem/StemRef call.
  const std::string& StemRef(std::string_view lang, std::string_view lower);

 private:
  Analyzer();
  Xapian::Stem* Stemmer(std::string_view lang);
  // Segment [from, to) of `text` into *tokens (offsets relative to `text`).
  void AsciiWords(std::string_view text, size_t from, size_t to, std::vector<Token>* tokens);
  void IcuWords(std::string_view text, size_t from, size_t to, std::vector<Token>* tokens);
  // Appends the word text[begin, end) (elision dropped, folded) unless it folds to nothing or is
  // longer than kMaxTokenBytes.
  static void EmitWord(std::string_view text, size_t begin, size_t end, std::vector<Token>* tokens);

  std::unique_ptr<icu::BreakIterator> words_;
  std::map<std::string, std::unique_ptr<Xapian::Stem>, std::less<>> stemmers_;
  // Stems already computed, per language: most words of a text repeat ("the", "said", "device"),
  // and Snowball plus the folding of its output cost more than a hash lookup. Cleared when it
  // grows past kMaxCachedStems entries, so memory stays bounded whatever the input.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct StemCache {
    Xapian::Stem* stemmer = nullptr;
    std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> stems;
  };
  std::map<std::string, StemCache, std::less<>> stem_cache_;
  size_t cached_stems_ = 0;
  std::string unstemmed_;  // StemRef's result for a language without a stemmer
};

// Largest number of (word, stem) pairs an Analyzer keeps.
inline constexpr size_t kMaxCachedStems = 200000;

// True for code points of the scripts indexed as bigrams.
bool IsCjk(int32_t code_point);

// Normalises a language tag from a record or a request to the two-letter lower-case ISO 639-1
// code used in terms ("EN", "en-GB", " de " -> "en", "en", "de"); empty when not of that shape.
std::string NormalizeLang(std::string_view lang);

}  // namespace ipdx::search::internal
