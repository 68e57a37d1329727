// Snippets (document.h, SnippetMaker): the chosen passage, its highlights, and the linear window
// scorer checked against a direct (quadratic) scoring of every window.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "search/analyzer.h"
#include "search/document.h"
#include "search/query.h"
#include "search/schema.h"

namespace ipdx::search::internal {
namespace {

DocData Doc(std::vector<DocSection> sections) {
  DocData data;
  data.publisher = "US";
  data.id = "US-1-B1";
  data.language = "en";
  data.sections = std::move(sections);
  return data;
}

std::vector<std::string> Highlighted(const Snippet& s) {
  std::vector<std::string> out;
  for (const auto& [begin, end] : s.highlights) out.push_back(s.text.substr(begin, end - begin));
  return out;
}

std::string Filler(size_t words, const std::string& word = "filler") {
  std::string out;
  for (size_t i = 0; i < words; ++i) out += (i ? " " : "") + word + std::to_string(i % 7);
  return out;
}

class SnippetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Analyzer::Create();
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    analyzer_ = std::move(created).value();
  }
  // Highlight terms of plain English words, as the query compiler makes them.
  HighlightTerms Words(const std::vector<std::string>& words) {
    HighlightTerms terms;
    for (const std::string& w : words) {
      terms.words.insert(w);
      terms.stems.insert("en:" + analyzer_->Stem("en", w));
    }
    return terms;
  }
  std::unique_ptr<Analyzer> analyzer_;
};

TEST_F(SnippetTest, MatchDeepInTheDescriptionIsFound) {
  const std::string description = Filler(3000) + " the rotor is cooled by oil. " + Filler(300);
  ASSERT_LT(description.size(), kMaxSectionBytes);
  const DocData data = Doc({{'a', "en", "An abstract about nothing in particular."},
                            {'c', "en", "1. A device.\n2. The device of claim 1."},
                            {'d', "en", description}});
  const HighlightTerms terms = Words({"rotor"});
  const Snippet s = MakeSnippet(analyzer_.get(), data, terms);
  EXPECT_EQ(Highlighted(s), std::vector<std::string>{"rotor"}) << s.text;
  EXPECT_TRUE(s.text.starts_with("… ")) << s.text;
  EXPECT_TRUE(s.text.ends_with(" …")) << s.text;
  EXPECT_NE(s.text.find("the rotor"), std::string::npos) << s.text;
}

TEST_F(SnippetTest, MostDistinctWordsWinOverRepeats) {
  const std::string text =
      "motor motor motor motor motor motor. " + Filler(60) + " a motor with a cooled rotor. ";
  const DocData data = Doc({{'d', "en", text}});
  const Snippet s = MakeSnippet(analyzer_.get(), data, Words({"motor", "rotor"}), 8);
  const std::vector<std::string> got = Highlighted(s);
  EXPECT_NE(std::find(got.begin(), got.end(), "rotor"), got.end()) << s.text;
  EXPECT_NE(std::find(got.begin(), got.end(), "motor"), got.end()) << s.text;
}

TEST_F(SnippetTest, StemsAndPrefixesAreHighlighted) {
  HighlightTerms terms = Words({"motor"});
  terms.prefixes.insert("electr");
  const DocData data = Doc({{'a', "en", "Two Motors and an electrical machine"}});
  const Snippet s = MakeSnippet(analyzer_.get(), data, terms);
  EXPECT_EQ(Highlighted(s), (std::vector<std::string>{"Motors", "electrical"})) << s.text;
  EXPECT_EQ(s.text, "Two Motors and an electrical machine");
}

TEST_F(SnippetTest, AWindowWithEveryWordEndsTheSearch) {
  // The abstract holds both words once; the description holds both more often, but is not read.
  const DocData complete = Doc({{'a', "en", "A motor and a rotor"},
                                {'d', "en", "motor rotor motor rotor motor rotor motor rotor."}});
  const Snippet first = MakeSnippet(analyzer_.get(), complete, Words({"motor", "rotor"}));
  EXPECT_EQ(first.text, "A motor and a rotor");

  // A stemmed match counts as its query word: "motors" does not complete "motor cooling", so the
  // description, which has both, is chosen.
  const DocData partial = Doc(
      {{'a', "en", "Motors, motors and motors."}, {'d', "en", "The motor has cooling channels"}});
  const Snippet second = MakeSnippet(analyzer_.get(), partial, Words({"motor", "cooling"}));
  EXPECT_EQ(second.text, "The motor has cooling channels");
  EXPECT_EQ(Highlighted(second), (std::vector<std::string>{"motor", "cooling"}));
}

TEST_F(SnippetTest, NothingToMatchShowsTheStartOfTheFirstText) {
  const DocData data = Doc({{'a', "en", Filler(100)}, {'d', "en", "other text"}});
  const Snippet s = MakeSnippet(analyzer_.get(), data, HighlightTerms{}, 5);
  EXPECT_EQ(s.text, "filler0 filler1 filler2 filler3 filler4 …");
  EXPECT_TRUE(s.highlights.empty());
  // Shorter than the window: the whole text, no ellipsis.
  const DocData small = Doc({{'a', "en", "Just  three\nwords"}});
  EXPECT_EQ(MakeSnippet(analyzer_.get(), small, HighlightTerms{}, 5).text, "Just three words");
}

TEST_F(SnippetTest, CjkBigramsMergeIntoOneHighlight) {
  HighlightTerms terms;
  terms.words = {"显示", "示设", "设备"};
  const DocData data = Doc({{'a', "zh", "一种显示设备，包括显示面板和背光模块。"}});
  const Snippet s = MakeSnippet(analyzer_.get(), data, terms);
  const std::vector<std::string> got = Highlighted(s);
  ASSERT_FALSE(got.empty()) << s.text;
  EXPECT_EQ(got[0], "显示设备") << s.text;
}

// The window of the direct definition: for every start, count the distinct matched words and the
// matches of the window_words positional tokens from there; keep the first best.
std::pair<size_t, size_t> DirectBestWindow(Analyzer* analyzer, const std::string& text,
                                           const std::set<std::string>& words,
                                           size_t window_words) {
  const std::vector<Token> tokens = analyzer->Tokenize(text);
  int64_t best = -1;
  std::pair<size_t, size_t> range;
  for (size_t start = 0; start < tokens.size(); ++start) {
    const size_t stop = std::min(tokens.size(), start + window_words);
    std::set<std::string> distinct;
    int64_t count = 0;
    for (size_t i = start; i < stop; ++i) {
      if (words.count(tokens[i].term) > 0) {
        distinct.insert(tokens[i].term);
        ++count;
      }
    }
    const int64_t score = static_cast<int64_t>(distinct.size()) * 1000 + count;
    if (score > best && (score > 0 || best < 0)) {
      best = score;
      range = {start == 0 ? 0 : tokens[start].begin, tokens[stop - 1].end};
    }
  }
  return range;
}

TEST_F(SnippetTest, LinearScoringPicksTheSameWindowAsDirectScoring) {
  // Random texts over a small vocabulary (no stems: every word is its own stem here), several
  // query words, so that the best window is decided by distinct words and then by counts.
  const std::vector<std::string> vocabulary = {"alpha", "beta",  "gamma", "delta", "eps",
                                               "zeta",  "theta", "iota",  "kappa", "lambda"};
  std::mt19937 random(7);
  for (int round = 0; round < 200; ++round) {
    std::string text;
    const size_t length = 5 + random() % 120;
    for (size_t i = 0; i < length; ++i) {
      text += (i ? " " : "") + vocabulary[random() % vocabulary.size()];
    }
    std::set<std::string> words;
    const size_t query_words = 1 + random() % 4;
    while (words.size() < query_words) words.insert(vocabulary[random() % vocabulary.size()]);
    HighlightTerms terms;
    terms.words = words;
    const size_t window = 3 + random() % 12;
    const Snippet s = MakeSnippet(analyzer_.get(), Doc({{'d', "", text}}), terms, window);
    const auto [begin, end] = DirectBestWindow(analyzer_.get(), text, words, window);
    std::string expected = begin > 0 ? "… " : "";
    expected += text.substr(begin, end - begin);
    if (end < text.size()) expected += " …";
    ASSERT_EQ(s.text, expected) << "round " << round << " window " << window << " text: " << text;
    for (const std::string& h : Highlighted(s)) EXPECT_EQ(words.count(h), 1u) << h;
  }
}

// Long ASCII texts are searched for the query words as bytes and only the regions around them
// analysed; the window must be the one a full analysis picks. A prefix of a non-ASCII letter
// (never matching here) turns the byte search off, which gives the full analysis.
TEST_F(SnippetTest, RegionsPickTheSameWindowAsAFullAnalysis) {
  const std::vector<std::string> vocabulary = {"alpha", "beta", "gamma", "delta", "motors"};
  std::mt19937 random(11);
  for (int round = 0; round < 60; ++round) {
    std::string text;
    const size_t length = 200 + random() % 3000;
    for (size_t i = 0; i < length; ++i) {
      text += i ? " " : "";
      text += random() % 25 == 0 ? vocabulary[random() % vocabulary.size()]
                                 : "filler" + std::to_string(random() % 50);
    }
    HighlightTerms terms = Words({vocabulary[random() % 5], vocabulary[random() % 5]});
    HighlightTerms full = terms;
    full.prefixes.insert("\xC3\xA9");
    const size_t window = 4 + random() % 30;
    const DocData data = Doc({{'d', "en", text}});
    const Snippet a = MakeSnippet(analyzer_.get(), data, terms, window, SIZE_MAX);
    const Snippet b = MakeSnippet(analyzer_.get(), data, full, window, SIZE_MAX);
    ASSERT_EQ(a.text, b.text) << "round " << round << " window " << window;
    ASSERT_EQ(a.highlights, b.highlights) << "round " << round;
  }
}

TEST_F(SnippetTest, LongSectionsAreLeftAfterTheFirstPartWithMatches) {
  // Both words near the start, and a better window (both words twice) far into the text: the
  // first part wins; without the bound the better window would.
  const std::string text =
      "The motor drives a pump. " + Filler(3000) + " motor rotor motor rotor. " + Filler(20);
  const HighlightTerms terms = Words({"motor", "pump"});
  const DocData data = Doc({{'d', "en", text}});
  EXPECT_NE(MakeSnippet(analyzer_.get(), data, terms).text.find("drives a pump"),
            std::string::npos);
  HighlightTerms better = Words({"motor", "rotor"});
  better.prefixes.insert("\xC3\xA9");  // no byte regions: the pieces of the text are analysed
  EXPECT_EQ(MakeSnippet(analyzer_.get(), data, better).text.find("motor rotor motor"),
            std::string::npos);
  EXPECT_NE(MakeSnippet(analyzer_.get(), data, better, 32, SIZE_MAX).text.find("motor rotor motor"),
            std::string::npos);
}

TEST_F(SnippetTest, AccentedMatchesAreFoundByTheByteSearch) {
  // "Résumé" folds to the query word "resume" but holds no "resume" as bytes: the byte search
  // folds words with non-ASCII letters, so its region is analysed and wins (two matches) over
  // the single ASCII match at the start.
  const std::string text = "field " + Filler(2000) +
                           " the R\xC3\xA9sum\xC3\xA9 and r\xC3\xA9sum\xC3\xA9 " + Filler(2000);
  const Snippet s =
      MakeSnippet(analyzer_.get(), Doc({{'d', "en", text}}), Words({"resume", "field"}));
  EXPECT_EQ(Highlighted(s),
            (std::vector<std::string>{"R\xC3\xA9sum\xC3\xA9", "r\xC3\xA9sum\xC3\xA9"}))
      << s.text;
}

TEST_F(SnippetTest, StemOnlyMatchesAreFoundByTheFullAnalysis) {
  // "dying" stems to "die" but holds no "die" as bytes: the byte search finds nothing, so the
  // text is analysed in full and the stem match highlighted.
  const DocData data = Doc({{'a', "en", "The cells were dying quickly."}});
  const Snippet s = MakeSnippet(analyzer_.get(), data, Words({"die"}));
  EXPECT_EQ(Highlighted(s), std::vector<std::string>{"dying"}) << s.text;
}

TEST_F(SnippetTest, OneMakerServesManyDocuments) {
  const HighlightTerms terms = Words({"rotor"});
  SnippetMaker maker(analyzer_.get(), terms);
  for (int i = 0; i < 3; ++i) {
    const Snippet a = maker.Make(Doc({{'a', "en", "A rotor."}}));
    EXPECT_EQ(Highlighted(a), std::vector<std::string>{"rotor"});
    const Snippet b = maker.Make(Doc({{'a', "en", "Rotors turn."}}));
    EXPECT_EQ(Highlighted(b), std::vector<std::string>{"Rotors"});
    const Snippet c = maker.Make(Doc({{'a', "de", "Der Rotor dreht."}}));
    EXPECT_EQ(Highlighted(c), std::vector<std::string>{"Rotor"});
  }
}

}  // namespace
}  // namespace ipdx::search::internal
