// Text analysis and schema helpers: what the index and the query parser both rely on.
#include "search/analyzer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "search/schema.h"

namespace ipdx::search::internal {
namespace {

std::vector<std::string> Terms(Analyzer* analyzer, std::string_view text, bool positional_only) {
  std::vector<std::string> out;
  for (const Token& token : analyzer->Tokenize(text)) {
    if (!positional_only || token.positional) out.push_back(token.term);
  }
  return out;
}

class AnalyzerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Analyzer::Create();
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    analyzer_ = std::move(created).value();
  }
  std::unique_ptr<Analyzer> analyzer_;
};

TEST_F(AnalyzerTest, WordsNumbersAndOffsets) {
  const std::string text = "A rotor (10), 3.5 mm; don't stop A61K31.";
  const std::vector<Token> tokens = analyzer_->Tokenize(text);
  std::vector<std::string> terms;
  for (const Token& t : tokens) {
    terms.push_back(t.term);
    // Offsets cut the original text at the token.
    EXPECT_EQ(Analyzer::Fold(text.substr(t.begin, t.end - t.begin)), t.term);
  }
  EXPECT_EQ(terms,
            (std::vector<std::string>{"a", "rotor", "10", "3.5", "mm", "don't", "stop", "a61k31"}));
}

// Tokenize segments ASCII spans itself and leaves the rest to ICU; the tokens must be exactly
// ICU's (an index built by one and queried by the other would miss words otherwise).
void ExpectSameAsIcu(Analyzer* analyzer, std::string_view text, const std::string& what) {
  const std::vector<Token> fast = analyzer->Tokenize(text);
  const std::vector<Token> icu = analyzer->TokenizeWithIcu(text);
  ASSERT_EQ(fast.size(), icu.size()) << what;
  for (size_t i = 0; i < fast.size(); ++i) {
    const Token& a = fast[i];
    const Token& b = icu[i];
    ASSERT_TRUE(a.term == b.term && a.lower == b.lower && a.begin == b.begin && a.end == b.end &&
                a.cjk == b.cjk && a.positional == b.positional)
        << what << ": token " << i << " '" << a.term << "' [" << a.begin << "," << a.end
        << ") vs ICU '" << b.term << "' [" << b.begin << "," << b.end << ")";
  }
}

TEST_F(AnalyzerTest, AsciiFastPathMatchesIcuOnRandomText) {
  // Every ASCII word-break class, plus the non-ASCII characters that meet ASCII in real text:
  // accented letters, a combining mark, CJK, a typographic apostrophe, no-break space, invalid
  // UTF-8.
  std::vector<std::string> alphabet;
  for (char c = '!'; c <= '~'; ++c) alphabet.emplace_back(1, c);  // all printable ASCII
  // More pieces, '|'-separated.
  const std::string pieces =
      " |  |\n|\r\n|\t|\xC3\xA9|\xC3\x9C|\xCC\x81|\xE4\xB8\xAD|\xE6\x96\x87|\xE2\x80\x99|\xC2\xA0|"
      "\xFF|l'|qu'|e.g.|3.5|1,000|x_y|__|a|Z|0|7|.|'|,|_";
  for (size_t at = 0; at <= pieces.size();) {
    const size_t bar = std::min(pieces.find('|', at), pieces.size());
    alphabet.push_back(pieces.substr(at, bar - at));
    at = bar + 1;
  }
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const size_t pieces = 1 + next() % 24;
    for (size_t i = 0; i < pieces; ++i) text += alphabet[next() % alphabet.size()];
    ExpectSameAsIcu(analyzer_.get(), text, "random text '" + text + "'");
    if (HasFatalFailure()) return;
  }
}

TEST_F(AnalyzerTest, AsciiFastPathMatchesIcuOnRealDocuments) {
  // Every bundled sample document, markup included: English, German, French, CJK, ST.96.
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           std::filesystem::path(IPDX_SOURCE_DIR) / "data/sample")) {
    if (!entry.is_regular_file() || entry.file_size() > (8u << 20)) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".xml" && ext != ".jsonl" && ext != ".json") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ExpectSameAsIcu(analyzer_.get(), text, entry.path().string());
    if (HasFatalFailure()) return;
    ++files;
  }
  EXPECT_GT(files, 50u);
}

TEST_F(AnalyzerTest, ElisionIsDropped) {
  EXPECT_EQ(Terms(analyzer_.get(), "l'huile d\u2019un moteur qu'il dell'acqua don't", true),
            (std::vector<std::string>{"huile", "un", "moteur", "il", "acqua", "don't"}));
}

TEST_F(AnalyzerTest, AccentsFoldedCaseFolded) {
  EXPECT_EQ(Analyzer::Fold("Électrique"), "electrique");
  EXPECT_EQ(Analyzer::Fold("Straße"), "strasse");
  EXPECT_EQ(Analyzer::Fold("MÜLLER"), "muller");
  EXPECT_EQ(Analyzer::Fold("Søren"), "soren");
  EXPECT_EQ(Analyzer::Fold("Œuvre"), "oeuvre");
  EXPECT_EQ(Analyzer::Fold("ＡＢＣ１２３"), "abc123");  // full-width forms (NFKC)
  std::string lower;
  EXPECT_EQ(Analyzer::Fold("Électrique", &lower), "electrique");
  EXPECT_EQ(lower, "électrique");  // the stemmer sees the accents
}

TEST_F(AnalyzerTest, KanaVoicingMarksAreKept) {
  // が (ga) must not become か (ka): the dakuten is not a Latin diacritic.
  EXPECT_EQ(Analyzer::Fold("が"), "が");
  EXPECT_NE(Analyzer::Fold("が"), Analyzer::Fold("か"));
  // Half-width katakana is the same word as full-width.
  EXPECT_EQ(Analyzer::Fold("ｳｴｰﾊ"), "ウエーハ");
}

TEST_F(AnalyzerTest, CjkBigramsWithUnigrams) {
  EXPECT_EQ(Terms(analyzer_.get(), "显示设备", true),
            (std::vector<std::string>{"显示", "示设", "设备"}));
  EXPECT_EQ(Terms(analyzer_.get(), "显示设备", false),
            (std::vector<std::string>{"显示", "显", "示设", "示", "设备", "设", "备"}));
  // Punctuation ends a run; a single character is one positional unigram.
  EXPECT_EQ(Terms(analyzer_.get(), "显示、水", true), (std::vector<std::string>{"显示", "水"}));
  // Katakana with the prolonged sound mark, then Latin text.
  EXPECT_EQ(Terms(analyzer_.get(), "ウェーハLED", true),
            (std::vector<std::string>{"ウェ", "ェー", "ーハ", "led"}));
  // Hangul.
  EXPECT_EQ(Terms(analyzer_.get(), "반도체", true), (std::vector<std::string>{"반도", "도체"}));
}

TEST_F(AnalyzerTest, StemmingPerLanguage) {
  ASSERT_TRUE(analyzer_->HasStemmer("en"));
  ASSERT_TRUE(analyzer_->HasStemmer("de"));
  ASSERT_TRUE(analyzer_->HasStemmer("fr"));
  EXPECT_FALSE(analyzer_->HasStemmer("zh"));
  EXPECT_FALSE(analyzer_->HasStemmer(""));
  EXPECT_EQ(analyzer_->Stem("en", "motors"), analyzer_->Stem("en", "motor"));
  EXPECT_EQ(analyzer_->Stem("en", "connecting"), analyzer_->Stem("en", "connected"));
  EXPECT_EQ(analyzer_->Stem("de", "häuser"), analyzer_->Stem("de", "haus"));
  // Stem, then fold: with or without the accent the French stem is the same.
  EXPECT_EQ(analyzer_->Stem("fr", "électriques"), analyzer_->Stem("fr", "electrique"));
  // No stemmer: the folded word.
  EXPECT_EQ(analyzer_->Stem("zh", "abc"), "abc");
}

TEST_F(AnalyzerTest, InvalidUtf8IsASeparator) {
  const std::string text = std::string("rotor") + "\xFF\xFE" + "stator";
  EXPECT_EQ(Terms(analyzer_.get(), text, true), (std::vector<std::string>{"rotor", "stator"}));
}

TEST(Lang, Normalize) {
  EXPECT_EQ(NormalizeLang("EN"), "en");
  EXPECT_EQ(NormalizeLang(" de "), "de");
  EXPECT_EQ(NormalizeLang("en-GB"), "en");
  EXPECT_EQ(NormalizeLang("eng"), "");
  EXPECT_EQ(NormalizeLang("1a"), "");
}

TEST(Schema, DateKeys) {
  EXPECT_EQ(DateKey("2015-03-01"), "20150301");
  EXPECT_EQ(DateKey("2015-03"), "20150300");
  EXPECT_EQ(DateKey("2015"), "20150000");
  EXPECT_EQ(DateKey("20150301"), "");  // slot keys come from ISO dates only
  EXPECT_EQ(DateKeyHigh("2015"), "20159999");
  EXPECT_EQ(DateKeyHigh("2015-03"), "20150399");
  EXPECT_EQ(DateKeyPred("20150000"), "20149999");
  EXPECT_EQ(DateKeySucc("20159999"), "20160000");
}

TEST(Schema, ClassSymbols) {
  auto s = ParseClassSymbol("A61K 31/4439", false);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->section, "A");
  EXPECT_EQ(s->cls, "A61");
  EXPECT_EQ(s->subclass, "A61K");
  EXPECT_EQ(s->main_group, "A61K 31");
  EXPECT_EQ(s->full, "A61K 31/4439");
  EXPECT_EQ(ParseClassSymbol("a61k031/04", false)->full, "A61K 31/04");
  EXPECT_EQ(ParseClassSymbol("A61K31", false)->Deepest(), "A61K 31");
  EXPECT_EQ(ParseClassSymbol("h04l", false)->Deepest(), "H04L");
  EXPECT_EQ(ParseClassSymbol("H01", false)->Deepest(), "H01");
  EXPECT_EQ(ParseClassSymbol("Y02E 10/50", false)->full, "Y02E 10/50");
  EXPECT_EQ(ParseClassSymbol("A61K 31/44", true)->full, "A61K 31/44");
  EXPECT_FALSE(ParseClassSymbol("A61K 31/", false).has_value());
  EXPECT_FALSE(ParseClassSymbol("Z01B", false).has_value());
  EXPECT_FALSE(ParseClassSymbol("A6", false).has_value());
  EXPECT_FALSE(ParseClassSymbol("A61K 31/44X", false).has_value());
}

TEST(Schema, NumberKeys) {
  EXPECT_EQ(NumberOnlyKey("08936998"), "8936998");
  EXPECT_EQ(NumberOnlyKey("D0967598"), "D967598");
  EXPECT_EQ(NumberOnlyKey("8,936,998"), "8936998");
  EXPECT_EQ(AppNumberKey("12/134,151"), "12134151");
  EXPECT_EQ(AppNumberKey("17171508.9"), "171715089");
}

TEST(Schema, MultiValues) {
  EXPECT_EQ(SplitValues(JoinValues({"A61K", "C07D"})), (std::vector<std::string>{"A61K", "C07D"}));
  EXPECT_EQ(SplitValues(JoinValues({"bad\x1fname"})), (std::vector<std::string>{"bad name"}));
  EXPECT_TRUE(SplitValues("").empty());
  EXPECT_EQ(CollapseSpaces("  Siemens \n AG "), "Siemens AG");
}

TEST(Schema, DocDataRoundTripAndCorruption) {
  DocData data;
  data.publisher = "EP";
  data.id = "EP-1000000-A1";
  data.title = "Rotor";
  data.title_lang = "en";
  data.language = "en";
  data.publication_date = "2015-03-01";
  data.office = "EP";
  data.kind = "A1";
  data.sections.push_back({'a', "en", "An abstract."});
  data.sections.push_back({'c', "de", std::string(300, 'x')});
  const std::string bytes = EncodeDocData(data);
  auto decoded = DecodeDocData(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->id, data.id);
  EXPECT_EQ(decoded->sections.size(), 2u);
  EXPECT_EQ(decoded->sections[1].text, data.sections[1].text);
  EXPECT_EQ(decoded->sections[1].field, 'c');
  // Every truncation of the encoding is detected, none crashes.
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeDocData(bytes.substr(0, n)).status().code(), StatusCode::kCorruption) << n;
  }
  EXPECT_EQ(DecodeDocData(bytes + "x").status().code(), StatusCode::kCorruption);
}

TEST(Schema, CutUtf8KeepsSequencesWhole) {
  EXPECT_EQ(CutUtf8("ab显示", 4), "ab");
  EXPECT_EQ(CutUtf8("ab显示", 5), "ab显");
  EXPECT_EQ(CutUtf8("abc", 10), "abc");
}

}  // namespace
}  // namespace ipdx::search::internal
