// Training, determinism, save/load, explanations, evaluation and too-little-data errors of the
// classifier, on a small corpus built from the real IPC titles (each document draws its words
// from the title of its subclass and a shared pool, with a fixed pseudo-random sequence).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "classify/classify.h"
#include "classify/ensemble.h"

namespace ipdx::classify {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kSymbols = {"A01B 1/02",   "A47J 31/44", "B60R 21/01",
                                           "C07D 401/04", "G06F 21/60", "H04L 9/32"};

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + " ") {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
      cur += static_cast<char>(c | 0x20);
    } else {
      if (cur.size() > 3) out.push_back(cur);
      cur.clear();
    }
  }
  return out;
}

// `n` documents, labels cycling through kSymbols; every third one also carries the next label as
// a secondary symbol.
std::vector<Example> Corpus(int n, uint32_t seed = 7) {
  const std::vector<std::string> pool = Words(
      "apparatus method system device comprising wherein having plurality first second member "
      "portion configured provide include element unit");
  std::vector<Example> out;
  uint32_t state = seed;
  auto next = [&state]() {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  for (int i = 0; i < n; ++i) {
    const std::string& symbol = kSymbols[static_cast<size_t>(i) % kSymbols.size()];
    std::vector<std::string> own =
        Words(TitleOf(symbol).en + " " + TitleOf(symbol.substr(0, 4)).en);
    std::string text;
    for (int w = 0; w < 30; ++w) {
      const std::vector<std::string>& from = (next() % 3 == 0) ? pool : own;
      text += from[next() % from.size()] + " ";
    }
    Example ex;
    ex.record.office = "US";
    ex.record.number = std::to_string(9000000 + i);
    ex.record.kind = "B2";
    ex.record.language = "en";
    ex.record.abstracts = {{"en", text}};
    ex.symbols = {symbol};
    if (i % 3 == 0) ex.symbols.push_back(kSymbols[(static_cast<size_t>(i) + 1) % kSymbols.size()]);
    out.push_back(std::move(ex));
  }
  return out;
}

class ClassifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ipdx-classify-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  // The manifest without its timing lines.
  static std::string StableManifest(const fs::path& p) {
    std::istringstream in(Read(p));
    std::string line, out;
    while (std::getline(in, line)) {
      if (line.rfind("created_at", 0) == 0 || line.rfind("training_seconds", 0) == 0) continue;
      out += line + "\n";
    }
    return out;
  }

  fs::path dir_;
};

TEST_F(ClassifierTest, TooLittleDataSaysWhatIsNeeded) {
  Split split = SplitExamples(Corpus(12), Level::kSubclass);
  auto c = Classifier::Train(split, {}, (dir_ / "m").string(), "v1", "");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("too little data"), std::string::npos);
  EXPECT_NE(c.status().message().find("at least 20 training"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "m"));  // nothing written

  // One label only: enough documents, but nothing to tell apart.
  std::vector<Example> same = Corpus(120);
  for (Example& ex : same) ex.symbols = {"G06F 21/60"};
  c = Classifier::Train(SplitExamples(same, Level::kSubclass), {}, (dir_ / "m").string(), "v1", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("1 distinct labels"), std::string::npos);
}

TEST_F(ClassifierTest, DeterministicWithFixedSeedAndOneThread) {
  Split split = SplitExamples(Corpus(150), Level::kSubclass);
  TrainOptions options;
  options.threads = 1;
  options.seed = 42;
  auto a = Classifier::Train(split, options, (dir_ / "a").string(), "v1", "test");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Classifier::Train(split, options, (dir_ / "b").string(), "v1", "test");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(Read(dir_ / "a" / "fasttext.bin"), Read(dir_ / "b" / "fasttext.bin"));
  EXPECT_EQ(StableManifest(dir_ / "a" / "manifest.tsv"),
            StableManifest(dir_ / "b" / "manifest.tsv"));
  EXPECT_EQ(Read(dir_ / "a" / "labels.tsv"), Read(dir_ / "b" / "labels.tsv"));
  const std::string text = ExampleText(split.test.at(0).record);
  auto ra = (*a)->Rank(text, 5);
  auto rb = (*b)->Rank(text, 5);
  ASSERT_TRUE(ra.ok() && rb.ok());
  ASSERT_EQ(ra->ensemble.size(), rb->ensemble.size());
  for (size_t i = 0; i < ra->ensemble.size(); ++i) {
    EXPECT_EQ(ra->ensemble[i].label, rb->ensemble[i].label);
    EXPECT_DOUBLE_EQ(ra->ensemble[i].score, rb->ensemble[i].score);
  }
  // Another seed gives another fastText model.
  options.seed = 43;
  auto c = Classifier::Train(split, options, (dir_ / "c").string(), "v1", "test");
  ASSERT_TRUE(c.ok());
  EXPECT_NE(Read(dir_ / "a" / "fasttext.bin"), Read(dir_ / "c" / "fasttext.bin"));
  EXPECT_EQ((*c)->manifest().seed, 43);
}

TEST_F(ClassifierTest, SaveLoadAndSuggestWithReasons) {
  Split split = SplitExamples(Corpus(150), Level::kSubclass);
  const std::string dir = (dir_ / "m").string();
  auto trained = Classifier::Train(split, {}, dir, "v7", "notes here");
  ASSERT_TRUE(trained.ok()) << trained.status().ToString();
  const Manifest& m = (*trained)->manifest();
  EXPECT_EQ(m.version, "v7");
  EXPECT_EQ(m.level, Level::kSubclass);
  EXPECT_EQ(m.training_documents, split.train.size());
  EXPECT_EQ(m.validation_documents, split.validation.size());
  EXPECT_EQ(m.test_documents, split.test.size());
  EXPECT_EQ(m.labels, 6u);
  EXPECT_GE(m.ensemble_weight, 0.0);
  EXPECT_LE(m.ensemble_weight, 1.0);
  EXPECT_GT(m.fasttext_temperature, 0.0);
  EXPECT_GT(m.ensemble_temperature, 0.0);
  ASSERT_EQ(m.priors.size(), 6u);

  auto loaded = Classifier::Load(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->manifest().ensemble_weight, m.ensemble_weight);
  EXPECT_EQ((*loaded)->manifest().notes, "notes here");
  EXPECT_EQ((*loaded)->manifest().priors.size(), 6u);
  EXPECT_EQ((*loaded)->manifest().label_documents.size(), 6u);
  EXPECT_EQ((*loaded)->manifest().main_exponent, m.main_exponent);
  EXPECT_TRUE(m.main_exponent == 0 || m.main_exponent == 0.5 || m.main_exponent == 1)
      << m.main_exponent;

  // A held-out document of the cycle's fifth label (G06F) is suggested G06F first, with reasons.
  const Example* probe = nullptr;
  for (const Example& ex : split.test) {
    if (ex.symbols.size() == 1 && ex.symbols[0] == "G06F 21/60") probe = &ex;
  }
  ASSERT_NE(probe, nullptr);
  Explanation why;
  auto r = (*loaded)->Rank(ExampleText(probe->record), 3, "", &why);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->ensemble.size(), 3u);
  EXPECT_EQ(r->ensemble[0].label, "G06F");
  EXPECT_GT(r->ensemble[0].score, r->ensemble[1].score);
  EXPECT_GT(r->ensemble[0].score, 0.0);
  EXPECT_LE(r->ensemble[0].score, 1.0);
  ASSERT_FALSE(why.neighbours.empty());
  EXPECT_EQ(LabelsAt(why.neighbours[0].symbols, Level::kSubclass)[0], "G06F");
  ASSERT_FALSE(why.terms.empty());
  const std::string lower = ExampleText(probe->record);
  for (const TermWeight& t : why.terms) {
    EXPECT_NE(lower.find(t.term), std::string::npos) << t.term;
    EXPECT_GT(t.weight, 0);
  }
  // The same rankings from the object that trained and the one that loaded.
  auto r2 = (*trained)->Rank(ExampleText(probe->record), 3);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->ensemble[0].label, r->ensemble[0].label);
  EXPECT_DOUBLE_EQ(r2->ensemble[0].score, r->ensemble[0].score);

  // A training document does not vote for itself when excluded.
  const Example& member = split.train.at(0);
  Explanation self;
  ASSERT_TRUE((*loaded)->Rank(ExampleText(member.record), 3, member.record.Id(), &self).ok());
  for (const Neighbour& n : self.neighbours) EXPECT_NE(n.id, member.record.Id());

  auto held = (*loaded)->HeldOut();
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->size(), split.test.size());
  EXPECT_EQ((*held)[0].record.Id(), split.test[0].record.Id());
  EXPECT_EQ((*held)[0].symbols, split.test[0].symbols);
  EXPECT_EQ(ExampleText((*held)[0].record), ExampleText(split.test[0].record));
}

// Turns a saved model into one written by an older ipdx: drops the manifest keys it did not know
// and replaces the format line with `format_lines`.
void RewriteManifest(const fs::path& dir, const std::vector<std::string>& dropped_keys,
                     const std::string& format_lines) {
  std::string old;
  {
    std::ifstream in(dir / "manifest.tsv");
    std::string line;
    while (std::getline(in, line)) {
      const std::string key = line.substr(0, line.find('\t'));
      if (std::find(dropped_keys.begin(), dropped_keys.end(), key) != dropped_keys.end()) continue;
      old += (key == "format" ? format_lines : line) + "\n";
    }
  }
  std::ofstream(dir / "manifest.tsv", std::ios::trunc) << old;
}

// Models written before the main-label rate (manifest format 1) still load and rank, with g = 0.
TEST_F(ClassifierTest, FormatOneModelsStillLoad) {
  Split split = SplitExamples(Corpus(150), Level::kSubclass);
  const fs::path dir = dir_ / "old";
  ASSERT_TRUE(Classifier::Train(split, {}, dir.string(), "v1", "").ok());
  RewriteManifest(dir, {"labelled", "main_exponent"}, "format\t1");
  auto loaded = Classifier::Load(dir.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->manifest().main_exponent, 0);
  EXPECT_TRUE((*loaded)->manifest().label_documents.empty());
  auto r = (*loaded)->Rank(ExampleText(split.test.at(0).record), 3);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->ensemble.empty());
}

// Format-2 models (Platt scaling, no temperatures) still load and rank with both temperatures 1;
// their ensemble scores are a distribution like a new model's.
TEST_F(ClassifierTest, FormatTwoModelsStillLoad) {
  Split split = SplitExamples(Corpus(150), Level::kSubclass);
  const fs::path dir = dir_ / "old";
  ASSERT_TRUE(Classifier::Train(split, {}, dir.string(), "v1", "").ok());
  RewriteManifest(dir, {"fasttext_temperature", "ensemble_temperature"},
                  "format\t2\nplatt_a\t7.5\nplatt_b\t-3");
  auto loaded = Classifier::Load(dir.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->manifest().fasttext_temperature, 1);
  EXPECT_EQ((*loaded)->manifest().ensemble_temperature, 1);
  auto r = (*loaded)->Rank(ExampleText(split.test.at(0).record), 1000);
  ASSERT_TRUE(r.ok());
  double sum = 0;
  for (const Scored& s : r->ensemble) sum += s.score;
  EXPECT_NEAR(sum, 1, 1e-9);
}

// The ensemble's scores are a calibrated distribution over the labels, so the class roll-up used
// by Evaluate is each class's probability: the sum of its subclasses' scores, all classes summing
// to 1 (issue 7: summed per-subclass Platt probabilities ranked classes by how many subclasses
// they have).
TEST_F(ClassifierTest, EnsembleIsADistributionThatRollsUpToClasses) {
  Split split = SplitExamples(Corpus(150), Level::kSubclass);
  auto c = Classifier::Train(split, {}, (dir_ / "m").string(), "v1", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (const Example& ex : split.test) {
    auto r = (*c)->Rank(ExampleText(ex.record), 1000, ex.record.Id());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->ensemble.size(), 6u);  // every label of the model
    double sum = 0;
    std::map<std::string, double> by_class;
    for (size_t i = 0; i < r->ensemble.size(); ++i) {
      const Scored& s = r->ensemble[i];
      EXPECT_GE(s.score, 0.0);
      EXPECT_LE(s.score, 1.0);
      if (i > 0) {
        EXPECT_GE(r->ensemble[i - 1].score, s.score);  // best first
      }
      sum += s.score;
      by_class[Truncate(s.label, Level::kClass)] += s.score;
    }
    EXPECT_NEAR(sum, 1, 1e-9);
    const std::vector<Scored> classes = Coarsen(r->ensemble, Level::kClass);
    ASSERT_EQ(classes.size(), by_class.size());
    double class_sum = 0;
    for (const Scored& s : classes) {
      EXPECT_DOUBLE_EQ(s.score, by_class[s.label]) << s.label;
      class_sum += s.score;
    }
    EXPECT_NEAR(class_sum, 1, 1e-9);
  }
}

// The ensemble weight, the exponent and both temperatures come from the validation split only:
// a different (even wrongly labelled) test split changes none of them.
TEST_F(ClassifierTest, EnsembleIsChosenOnTheValidationSplitOnly) {
  Split split = SplitExamples(Corpus(200), Level::kSubclass);
  ASSERT_GE(split.test.size(), 2u);
  auto a = Classifier::Train(split, {}, (dir_ / "a").string(), "v1", "");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  Split other = split;
  for (Example& ex : other.test) ex.symbols = {"F16B 1/00"};
  other.test.pop_back();
  auto b = Classifier::Train(other, {}, (dir_ / "b").string(), "v1", "");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const Manifest& ma = (*a)->manifest();
  const Manifest& mb = (*b)->manifest();
  EXPECT_EQ(mb.test_documents + 1, ma.test_documents);
  EXPECT_EQ(ma.ensemble_weight, mb.ensemble_weight);
  EXPECT_EQ(ma.main_exponent, mb.main_exponent);
  EXPECT_EQ(ma.fasttext_temperature, mb.fasttext_temperature);
  EXPECT_EQ(ma.ensemble_temperature, mb.ensemble_temperature);
  // Changing the validation split does move the choice: the fit reads it.
  Split shifted = split;
  for (Example& ex : shifted.validation) ex.symbols = {ex.symbols.back()};
  for (size_t i = 0; i < shifted.validation.size(); i += 2) {
    shifted.validation[i].symbols = {"G06F 21/60"};
  }
  auto d = Classifier::Train(shifted, {}, (dir_ / "d").string(), "v1", "");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const Manifest& md = (*d)->manifest();
  EXPECT_TRUE(md.ensemble_weight != ma.ensemble_weight ||
              md.fasttext_temperature != ma.fasttext_temperature ||
              md.ensemble_temperature != ma.ensemble_temperature ||
              md.main_exponent != ma.main_exponent);
}

TEST_F(ClassifierTest, LoadErrors) {
  EXPECT_EQ(Classifier::Load((dir_ / "none").string()).status().code(), StatusCode::kNotFound);
  Split split = SplitExamples(Corpus(150), Level::kSubclass);
  const fs::path dir = dir_ / "m";
  ASSERT_TRUE(Classifier::Train(split, {}, dir.string(), "v1", "").ok());
  // Training into an existing folder is refused.
  EXPECT_EQ(Classifier::Train(split, {}, dir.string(), "v1", "").status().code(),
            StatusCode::kAlreadyExists);
  {
    std::ofstream out(dir / "fasttext.bin", std::ios::binary | std::ios::trunc);
    out << "not a model";
  }
  EXPECT_EQ(Classifier::Load(dir.string()).status().code(), StatusCode::kCorruption);
  fs::remove(dir / "fasttext.bin");
  EXPECT_EQ(Classifier::Load(dir.string()).status().code(), StatusCode::kCorruption);
  {
    std::ofstream out(dir / "manifest.tsv", std::ios::binary | std::ios::trunc);
    out << "format\t99\n";
  }
  EXPECT_EQ(Classifier::Load(dir.string()).status().code(), StatusCode::kCorruption);
}

TEST_F(ClassifierTest, EvaluateAtEveryLevelAgainstMajority) {
  Split split = SplitExamples(Corpus(240), Level::kMainGroup);
  TrainOptions options;
  options.level = Level::kMainGroup;
  auto c = Classifier::Train(split, options, (dir_ / "g").string(), "v1", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto ev = Evaluate(**c);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(ev->test_documents, split.test.size());
  EXPECT_EQ(ev->training_documents, split.train.size());
  ASSERT_EQ(ev->rows.size(), 12u);  // 4 models x 3 levels
  auto row = [&](const std::string& model, Level level) {
    for (const EvaluationRow& r : ev->rows) {
      if (r.model == model && r.level == level) return r.metrics;
    }
    ADD_FAILURE() << model;
    return Metrics{};
  };
  // Six labels in a cycle: the majority guess is right about 1/6 of the time (3/6 with three).
  EXPECT_LT(row("majority", Level::kMainGroup).top_prediction, 0.35);
  EXPECT_GT(row("ensemble", Level::kMainGroup).three_guesses, 0.9);
  EXPECT_GT(row("ensemble", Level::kSubclass).top_prediction, 0.8);
  EXPECT_GE(row("ensemble", Level::kClass).all_categories,
            row("ensemble", Level::kClass).top_prediction);
  EXPECT_GT(ev->seconds_per_document, 0.0);
}

}  // namespace
}  // namespace ipdx::classify
