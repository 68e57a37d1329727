// Text analysis shared by indexing and query parsing (see analyzer.h for the rules and why).
#include "search/analyzer.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>
#include <xapian.h>

#include <limits>
#include <utility>

namespace ipdx::search::internal {

namespace {

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The combining diacritical marks that accent folding removes. Kana voicing marks (U+3099,
// U+309A) and the points of Hebrew and Arabic are outside these blocks and kept.
bool IsFoldedMark(UChar32 c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F);
}

// Letters with no canonical decomposition that users type without their stroke or ligature.
const char* FoldedLetter(UChar32 c) {
  switch (c) {
    case 0x00F8:
      return "o";  // ø
    case 0x00E6:
      return "ae";  // æ
    case 0x0153:
      return "oe";  // œ
    case 0x0142:
      return "l";  // ł
    case 0x0111:
      return "d";  // đ
    case 0x00F0:
      return "d";  // ð
    case 0x0131:
      return "i";  // dotless ı
    default:
      return nullptr;
  }
}

// Closes a UText on scope exit.
struct UTextCloser {
  UText* text;
  ~UTextCloser() {
    if (text != nullptr) utext_close(text);
  }
};

// French, Italian and Catalan elided articles and pronouns ("l'huile", "d'un", "qu'il",
// "dell'acqua"): UAX #29 keeps them in the word, so "huile" would not find "l'huile". The elided
// part is dropped, as Lucene's ElisionFilter does; English contractions ("don't") are not
// affected since their first part is not in the list.
int32_t SkipElision(std::string_view text, int32_t begin, int32_t end) {
  static constexpr std::string_view kElided[] = {
      "l",    "d",     "j",      "m",      "n",      "s",     "t",     "c",
      "qu",   "jusqu", "lorsqu", "puisqu", "quoiqu", "dell",  "all",   "dall",
      "nell", "sull",  "coll",   "pell",   "un",     "quell", "quest", "nessun"};
  const std::string_view word = text.substr(begin, end - begin);
  size_t apostrophe = word.find('\'');
  size_t width = 1;
  const size_t typographic = word.find("\xE2\x80\x99");  // RIGHT SINGLE QUOTATION MARK
  if (typographic != std::string_view::npos &&
      (apostrophe == std::string_view::npos || typographic < apostrophe)) {
    apostrophe = typographic;
    width = 3;
  }
  if (apostrophe == std::string_view::npos || apostrophe == 0 || apostrophe > 6) return begin;
  if (word.size() - apostrophe - width < 2) return begin;  // "l'a": keep the whole word
  const std::string head = AsciiLower(word.substr(0, apostrophe));
  for (std::string_view elided : kElided) {
    if (head == elided) return begin + static_cast<int32_t>(apostrophe + width);
  }
  return begin;
}

}  // namespace

bool IsCjk(int32_t c) {
  if (c < 0x1100) return false;  // fast path: Latin, Greek, Cyrillic, ...
  // Script_Extensions, so the prolonged sound mark (U+30FC, script Common) counts as kana.
  return uscript_hasScript(c, USCRIPT_HAN) || uscript_hasScript(c, USCRIPT_HIRAGANA) ||
         uscript_hasScript(c, USCRIPT_KATAKANA) || uscript_hasScript(c, USCRIPT_HANGUL);
}

std::string NormalizeLang(std::string_view lang) {
  while (!lang.empty() && (lang.front() == ' ' || lang.front() == '\t')) lang.remove_prefix(1);
  const size_t cut = lang.find_first_of("-_ \t");
  if (cut != std::string_view::npos) lang = lang.substr(0, cut);
  if (lang.size() != 2) return {};
  std::string out = AsciiLower(lang);
  for (char c : out) {
    if (c < 'a' || c > 'z') return {};
  }
  return out;
}

Analyzer::Analyzer() = default;
Analyzer::~Analyzer() = default;

Result<std::unique_ptr<Analyzer>> Analyzer::Create() {
  std::unique_ptr<Analyzer> analyzer(new Analyzer());  // private constructor
  UErrorCode status = U_ZERO_ERROR;
  analyzer->words_.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status) || analyzer->words_ == nullptr) {
    return Status::Internal(std::string("ICU word break iterator unavailable: ") +
                            u_errorName(status));
  }
  return analyzer;
}

std::string Analyzer::Fold(std::string_view word, std::string* lower) {
  if (IsAscii(word)) {
    std::string out = AsciiLower(word);
    if (lower != nullptr) *lower = out;
    return out;
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) {
    // Without ICU data the best is byte-exact lower-casing of ASCII letters; still consistent
    // between index and query since both come here.
    std::string out = AsciiLower(word);
    if (lower != nullptr) *lower = out;
    return out;
  }
  const icu::UnicodeString input = icu::UnicodeString::fromUTF8(
      icu::StringPiece(word.data(), static_cast<int32_t>(word.size())));
  const icu::UnicodeString folded_case = nfkc_cf->normalize(input, status);
  if (lower != nullptr) {
    lower->clear();
    folded_case.toUTF8String(*lower);
  }
  const icu::UnicodeString decomposed = nfd->normalize(folded_case, status);
  icu::UnicodeString stripped;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (IsFoldedMark(c)) continue;
    if (const char* replacement = FoldedLetter(c)) {
      stripped.append(icu::UnicodeString(replacement, -1, US_INV));
    } else {
      stripped.append(c);
    }
  }
  const icu::UnicodeString composed = nfc->normalize(stripped, status);
  std::string out;
  if (U_FAILURE(status)) return AsciiLower(word);
  composed.toUTF8String(out);
  return out;
}

namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// The UAX #29 word-break classes of the ASCII characters in ICU's root word rules. Everything
// else (spaces, controls, other punctuation) breaks on both sides and is never part of a word.
enum class AsciiWb : uint8_t {
  kOther,
  kLetter,
  kNumeric,
  kMidNumLet,
  kSingleQuote,
  kMidNum,
  kExtendNumLet
};

AsciiWb AsciiClass(char c) {
  // ICU's root rules add '@' to the letters (e-mail addresses stay one word).
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '@') return AsciiWb::kLetter;
  if (c >= '0' && c <= '9') return AsciiWb::kNumeric;
  switch (c) {
    case '.':
      return AsciiWb::kMidNumLet;
    case '\'':
      return AsciiWb::kSingleQuote;
    case ',':
    case ';':
      return AsciiWb::kMidNum;
    case '_':
      return AsciiWb::kExtendNumLet;
    default:
      return AsciiWb::kOther;  // ICU's root rules leave ':' out of MidLetter
  }
}

bool JoinsWords(AsciiWb c) {
  return c == AsciiWb::kLetter || c == AsciiWb::kNumeric || c == AsciiWb::kExtendNumLet;
}

}  // namespace

void Analyzer::EmitWord(std::string_view text, size_t begin, size_t end,
                        std::vector<Token>* tokens) {
  const auto b = static_cast<int32_t>(begin);
  begin = static_cast<size_t>(SkipElision(text, b, static_cast<int32_t>(end)));
  Token token;
  token.term = Fold(text.substr(begin, end - begin), &token.lower);
  if (token.term.empty() || token.term.size() > kMaxTokenBytes) return;
  token.begin = begin;
  token.end = end;
  tokens->push_back(std::move(token));
}

// The words of [from, to), pure ASCII, by the rules ICU applies to ASCII text (UAX #29 WB5-WB13b:
// letters and digits join, '_' joins them, '.' and '\'' join two letters or two numbers, ',' and
// ';' join two numbers). A run made of '_' alone is a word only when it has two or more (ICU's
// rule status). AnalyzerTest.AsciiFastPathMatchesIcu checks this against ICU itself.
void Analyzer::AsciiWords(std::string_view text, size_t from, size_t to,
                          std::vector<Token>* tokens) {
  size_t i = from;
  while (i < to) {
    const AsciiWb first = AsciiClass(text[i]);
    if (!JoinsWords(first)) {
      ++i;
      continue;
    }
    const size_t begin = i;
    AsciiWb last = first;
    bool letters_or_digits = first != AsciiWb::kExtendNumLet;
    ++i;
    while (i < to) {
      const AsciiWb c = AsciiClass(text[i]);
      if (JoinsWords(c)) {
        letters_or_digits = letters_or_digits || c != AsciiWb::kExtendNumLet;
        last = c;
        ++i;
        continue;
      }
      if (i + 1 >= to) break;
      const AsciiWb next = AsciiClass(text[i + 1]);
      const bool letters = last == AsciiWb::kLetter && next == AsciiWb::kLetter &&
                           (c == AsciiWb::kMidNumLet || c == AsciiWb::kSingleQuote);
      const bool numbers =
          last == AsciiWb::kNumeric && next == AsciiWb::kNumeric &&
          (c == AsciiWb::kMidNumLet || c == AsciiWb::kSingleQuote || c == AsciiWb::kMidNum);
      if (!letters && !numbers) break;
      i += 2;  // the middle character and the letter or digit after it
    }
    if (letters_or_digits || i - begin >= 2) EmitWord(text, begin, i, tokens);
  }
}

std::vector<Token> Analyzer::Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  if (text.empty()) return tokens;
  // ICU indexes are int32_t; documents beyond 2 GB are not indexed past that point.
  if (text.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    text = text.substr(0, static_cast<size_t>(std::numeric_limits<int32_t>::max()));
  }
  // Most patent text is ASCII. Whitespace always separates words (UAX #29: nothing joins across
  // a space, tab or line break), so the text is cut at whitespace into spans: pure-ASCII spans
  // are segmented here, the others by ICU, each ICU region starting at the whitespace before it
  // (so ICU sees what it would see in the whole text) and ending before the next ASCII span.
  const size_t n = text.size();
  tokens.reserve(n / 8);  // about one word in 7 bytes of patent text: few reallocations
  size_t pos = 0;
  size_t icu_from = std::string_view::npos;
  while (pos < n) {
    size_t span = pos;
    while (span < n && IsAsciiSpace(text[span])) ++span;
    if (span == n) break;
    size_t end = span;
    bool ascii = true;
    while (end < n && !IsAsciiSpace(text[end])) {
      ascii = ascii && static_cast<unsigned char>(text[end]) < 0x80;
      ++end;
    }
    if (ascii) {
      if (icu_from != std::string_view::npos) {
        IcuWords(text, icu_from, span, &tokens);
        icu_from = std::string_view::npos;
      }
      AsciiWords(text, span, end, &tokens);
    } else if (icu_from == std::string_view::npos) {
      icu_from = pos;
    }
    pos = end;
  }
  if (icu_from != std::string_view::npos) IcuWords(text, icu_from, n, &tokens);
  return tokens;
}

std::vector<Token> Analyzer::TokenizeWithIcu(std::string_view text) {
  std::vector<Token> tokens;
  if (text.empty()) return tokens;
  if (text.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    text = text.substr(0, static_cast<size_t>(std::numeric_limits<int32_t>::max()));
  }
  IcuWords(text, 0, text.size(), &tokens);
  return tokens;
}

void Analyzer::IcuWords(std::string_view whole, size_t from, size_t to,
                        std::vector<Token>* tokens) {
  // Offsets below are relative to `text`; tokens get them relative to `whole`.
  const std::string_view text = whole.substr(from, to - from);
  const size_t first_token = tokens->size();
  const auto length = static_cast<int32_t>(text.size());
  UErrorCode status = U_ZERO_ERROR;
  UTextCloser utext{utext_openUTF8(nullptr, text.data(), length, &status)};
  if (U_FAILURE(status)) return;
  words_->setText(utext.text, status);
  if (U_FAILURE(status)) return;

  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());

  auto emit_word = [&](int32_t begin, int32_t end) {
    EmitWord(text, static_cast<size_t>(begin), static_cast<size_t>(end), tokens);
  };

  // The current run of CJK characters: byte range of each character.
  std::vector<std::pair<int32_t, int32_t>> run;
  auto flush_run = [&]() {
    if (run.empty()) return;
    std::vector<std::string> chars;
    chars.reserve(run.size());
    for (const auto& [b, e] : run) chars.push_back(Fold(text.substr(b, e - b)));
    if (run.size() == 1) {
      Token token;
      token.term = chars[0];
      token.lower = chars[0];
      token.begin = static_cast<size_t>(run[0].first);
      token.end = static_cast<size_t>(run[0].second);
      token.cjk = true;
      if (!token.term.empty()) tokens->push_back(std::move(token));
    } else {
      for (size_t i = 0; i < run.size(); ++i) {
        if (i + 1 < run.size()) {
          Token bigram;
          bigram.term = chars[i] + chars[i + 1];
          bigram.lower = bigram.term;
          bigram.begin = static_cast<size_t>(run[i].first);
          bigram.end = static_cast<size_t>(run[i + 1].second);
          bigram.cjk = true;
          tokens->push_back(std::move(bigram));
        }
        Token unigram;
        unigram.term = chars[i];
        unigram.lower = chars[i];
        unigram.begin = static_cast<size_t>(run[i].first);
        unigram.end = static_cast<size_t>(run[i].second);
        unigram.cjk = true;
        unigram.positional = false;
        if (!unigram.term.empty()) tokens->push_back(std::move(unigram));
      }
    }
    run.clear();
  };

  int32_t start = words_->first();
  for (int32_t end = words_->next(); end != icu::BreakIterator::DONE;
       start = end, end = words_->next()) {
    if (words_->getRuleStatus() == UBRK_WORD_NONE) {
      flush_run();  // spaces and punctuation end a CJK run ("、", "。")
      continue;
    }
    int32_t word_begin = -1;
    for (int32_t i = start; i < end;) {
      const int32_t cp_begin = i;
      UChar32 c = 0;
      U8_NEXT(bytes, i, end, c);
      if (c >= 0 && IsCjk(c)) {
        if (word_begin >= 0) {
          emit_word(word_begin, cp_begin);
          word_begin = -1;
        }
        if (!run.empty() && run.back().second != cp_begin) flush_run();
        run.emplace_back(cp_begin, i);
        continue;
      }
      flush_run();
      if (c < 0) {  // invalid UTF-8: a separator
        if (word_begin >= 0) emit_word(word_begin, cp_begin);
        word_begin = -1;
        continue;
      }
      if (word_begin < 0) word_begin = cp_begin;
    }
    if (word_begin >= 0) emit_word(word_begin, end);
  }
  flush_run();
  // Leave no dangling pointer to `text` inside the iterator.
  words_->setText(icu::UnicodeString());
  for (size_t t = first_token; t < tokens->size(); ++t) {
    (*tokens)[t].begin += from;
    (*tokens)[t].end += from;
  }
}

Xapian::Stem* Analyzer::Stemmer(std::string_view lang) {
  auto it = stemmers_.find(lang);
  if (it != stemmers_.end()) return it->second.get();
  std::unique_ptr<Xapian::Stem> stem;
  if (!lang.empty()) {
    try {
      stem = std::make_unique<Xapian::Stem>(std::string(lang));
      if (stem->is_none()) stem.reset();
    } catch (const Xapian::Error&) {
      stem.reset();  // no Snowball stemmer for this language: words are kept as they are
    }
  }
  Xapian::Stem* raw = stem.get();
  stemmers_.emplace(std::string(lang), std::move(stem));
  return raw;
}

bool Analyzer::HasStemmer(std::string_view lang) { return Stemmer(lang) != nullptr; }

const std::string& Analyzer::StemRef(std::string_view lang, std::string_view lower) {
  auto cache = stem_cache_.find(lang);
  if (cache == stem_cache_.end()) {
    cache = stem_cache_.emplace(std::string(lang), StemCache{Stemmer(lang), {}}).first;
  }
  Xapian::Stem* stem = cache->second.stemmer;
  if (stem == nullptr) {
    unstemmed_ = Fold(lower);
    return unstemmed_;
  }
  auto& stems = cache->second.stems;
  if (auto it = stems.find(lower); it != stems.end()) return it->second;
  std::string key(lower);
  std::string stemmed;
  try {
    stemmed = Fold((*stem)(key));
  } catch (const Xapian::Error&) {
    stemmed = Fold(lower);
  }
  if (cached_stems_ >= kMaxCachedStems) {
    for (auto& [unused, c] : stem_cache_) c.stems.clear();
    cached_stems_ = 0;
  }
  ++cached_stems_;
  return stems.emplace(std::move(key), std::move(stemmed)).first->second;
}

}  // namespace ipdx::search::internal
