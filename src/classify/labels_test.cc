// Levels, truncation, metrics on hand-computed examples, the split and the compiled IPC titles.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "classify/classify.h"

namespace ipdx::classify {
namespace {

TEST(Truncate, Levels) {
  EXPECT_EQ(Truncate("A61K 31/4439", Level::kClass), "A61");
  EXPECT_EQ(Truncate("A61K 31/4439", Level::kSubclass), "A61K");
  EXPECT_EQ(Truncate("A61K 31/4439", Level::kMainGroup), "A61K 31/00");
  EXPECT_EQ(Truncate("H04L 1234/10", Level::kMainGroup), "H04L 1234/00");
  // A bare subclass (CPC subclass labels) has no main group.
  EXPECT_EQ(Truncate("G06F", Level::kSubclass), "G06F");
  EXPECT_EQ(Truncate("G06F", Level::kMainGroup), "");
  EXPECT_EQ(Truncate("Y10T", Level::kClass), "Y10");
  // Malformed input never yields a label.
  EXPECT_EQ(Truncate("", Level::kClass), "");
  EXPECT_EQ(Truncate("a61k", Level::kClass), "");
  EXPECT_EQ(Truncate("A6", Level::kClass), "");
  EXPECT_EQ(Truncate("A61", Level::kSubclass), "");
  EXPECT_EQ(Truncate("A61K31/00", Level::kMainGroup), "");
  EXPECT_EQ(Truncate("A61K /00", Level::kMainGroup), "");
  EXPECT_EQ(Truncate("A61K 123456/00", Level::kMainGroup), "");
}

TEST(Levels, NamesRoundTrip) {
  for (Level l : {Level::kClass, Level::kSubclass, Level::kMainGroup}) {
    Result<Level> parsed = ParseLevel(LevelName(l));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, l);
  }
  EXPECT_EQ(ParseLevel("main-group").value(), Level::kMainGroup);
  EXPECT_EQ(ParseLevel("subgroup").status().code(), StatusCode::kInvalidArgument);
}

TEST(LabelsAt, DistinctInOrderMainFirst) {
  std::vector<std::string> s = {"H04L 9/32", "G06F 21/60", "H04L 9/08", "bad", "G06F"};
  EXPECT_EQ(LabelsAt(s, Level::kSubclass), (std::vector<std::string>{"H04L", "G06F"}));
  EXPECT_EQ(LabelsAt(s, Level::kMainGroup), (std::vector<std::string>{"H04L 9/00", "G06F 21/00"}));
  EXPECT_EQ(LabelsAt(s, Level::kClass), (std::vector<std::string>{"H04", "G06"}));
}

// Five documents computed by hand:
//   1. gold [A, B], predicted [A, C, D]: top yes, three yes, all yes
//   2. gold [A, B], predicted [B, A, C]: top no,  three yes, all yes (B is a gold label)
//   3. gold [C],    predicted [A, B, D, C]: top no, three no (C is 4th), all no
//   4. gold [D],    predicted []: a miss everywhere
//   5. gold [],     predicted [A]: skipped (no gold label)
TEST(Metrics, HandComputed) {
  std::vector<std::vector<std::string>> gold = {{"A", "B"}, {"A", "B"}, {"C"}, {"D"}, {}};
  std::vector<std::vector<std::string>> pred = {
      {"A", "C", "D"}, {"B", "A", "C"}, {"A", "B", "D", "C"}, {}, {"A"}};
  Metrics m = ComputeMetrics(gold, pred);
  EXPECT_EQ(m.documents, 4u);
  EXPECT_DOUBLE_EQ(m.top_prediction, 1.0 / 4);
  EXPECT_DOUBLE_EQ(m.three_guesses, 2.0 / 4);
  EXPECT_DOUBLE_EQ(m.all_categories, 2.0 / 4);
}

TEST(Metrics, EmptyAndShortPredictionLists) {
  Metrics none = ComputeMetrics({}, {});
  EXPECT_EQ(none.documents, 0u);
  EXPECT_EQ(none.three_guesses, 0);
  // Fewer predictions than documents: the missing ones are misses.
  Metrics m = ComputeMetrics({{"A"}, {"B"}}, {{"A"}});
  EXPECT_EQ(m.documents, 2u);
  EXPECT_DOUBLE_EQ(m.top_prediction, 0.5);
}

TEST(Titles, CompiledTablesHaveEnglishAndFrench) {
  Titles sub = TitleOf("A01B");
  EXPECT_EQ(sub.en.substr(0, 38), "SOIL WORKING IN AGRICULTURE OR FORESTR");
  EXPECT_EQ(sub.fr.substr(0, 40), "TRAVAIL DE LA TERRE EN AGRICULTURE OU EN");
  Titles group = TitleOf("A01B 1/00");
  EXPECT_EQ(group.en.substr(0, 10), "Hand tools");
  EXPECT_EQ(group.fr.substr(0, 14), "Outils à main");
  // A subgroup symbol shows its main group's title.
  EXPECT_EQ(TitleOf("A01B 1/02").en, group.en);
  Titles cls = TitleOf("A01");
  EXPECT_TRUE(cls.en.empty());  // no English class titles are shipped
  EXPECT_EQ(cls.fr.substr(0, 12), "AGRICULTURE;");
  EXPECT_TRUE(TitleOf("Y10T").en.empty());
  EXPECT_TRUE(TitleOf("").en.empty());
  EXPECT_FALSE(TitleOf("H04L").en.empty());
  EXPECT_FALSE(TitleOf("H04L 9/00").fr.empty());
}

model::Record Numbered(int i) {
  model::Record r;
  r.office = "US";
  r.number = std::to_string(1000000 + i);
  r.kind = "B2";
  r.titles = {{"en", "a title"}};
  return r;
}

TEST(Split, DeterministicAndDropsUnlabelled) {
  std::vector<Example> examples;
  for (int i = 0; i < 1000; ++i) {
    Example ex;
    ex.record = Numbered(i);
    ex.symbols =
        i % 10 == 0 ? std::vector<std::string>{"G06F"} : std::vector<std::string>{"G06F 3/01"};
    examples.push_back(ex);
  }
  Split a = SplitExamples(examples, Level::kMainGroup);
  Split b = SplitExamples(examples, Level::kMainGroup);
  ASSERT_EQ(a.train.size(), b.train.size());
  for (size_t i = 0; i < a.train.size(); ++i)
    EXPECT_EQ(a.train[i].record.Id(), b.train[i].record.Id());
  // The 100 subclass-only documents have no main group.
  EXPECT_EQ(a.train.size() + a.validation.size() + a.test.size(), 900u);
  // About 70/15/15.
  EXPECT_GT(a.train.size(), 560u);
  EXPECT_LT(a.train.size(), 700u);
  EXPECT_GT(a.test.size(), 90u);
  EXPECT_GT(a.validation.size(), 90u);
  Split s = SplitExamples(examples, Level::kSubclass);
  EXPECT_EQ(s.train.size() + s.validation.size() + s.test.size(), 1000u);
}

TEST(ExampleFromRecord, IpcElseCpcAndText) {
  model::Record r = Numbered(1);
  r.abstracts = {{"en", "An abstract."}};
  r.claims = {{"en", {"1. A claim.", "2. Another."}}};
  r.descriptions = {{"en", "Long description that the models do not read."}};
  r.cpc = {"H04L 9/3247"};
  std::optional<Example> ex = ExampleFromRecord(r);
  ASSERT_TRUE(ex.has_value());
  EXPECT_TRUE(ex->cpc);
  EXPECT_EQ(ex->symbols, std::vector<std::string>{"H04L 9/3247"});
  EXPECT_EQ(ExampleText(ex->record), "a title\nAn abstract.\n1. A claim.\n2. Another.");
  EXPECT_TRUE(ex->record.descriptions.empty());
  r.ipc = {"G06F 21/60"};
  ex = ExampleFromRecord(r);
  ASSERT_TRUE(ex.has_value());
  EXPECT_FALSE(ex->cpc);
  EXPECT_EQ(ex->symbols, std::vector<std::string>{"G06F 21/60"});
  r.ipc = {};
  r.cpc = {};
  EXPECT_FALSE(ExampleFromRecord(r).has_value());  // nothing to learn
  r.ipc = {"G06F 21/60"};
  r.titles.clear();
  r.abstracts.clear();
  r.claims.clear();
  EXPECT_FALSE(ExampleFromRecord(r).has_value());  // no text
}

}  // namespace
}  // namespace ipdx::classify
