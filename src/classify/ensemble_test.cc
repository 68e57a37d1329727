// The ensemble's distributions, calibration and roll-up (ensemble.h), on small deterministic
// cases whose answers are worked out by hand.
#include "classify/ensemble.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace ipdx::classify {
namespace {

double Sum(const std::vector<Scored>& v) {
  double s = 0;
  for (const Scored& x : v) s += x.score;
  return s;
}

double ScoreOf(const std::vector<Scored>& v, const std::string& label) {
  for (const Scored& x : v) {
    if (x.label == label) return x.score;
  }
  return -1;
}

std::vector<std::string> Order(const std::vector<Scored>& v) {
  std::vector<std::string> out;
  for (const Scored& x : v) out.push_back(x.label);
  return out;
}

TEST(FastTextDistribution, SoftmaxOfLogitsAtATemperature) {
  // Saturated one-vs-all outputs (two labels near 1, as fastText gives on small training sets).
  const std::vector<Scored> ova = {{"H04L", 0.999}, {"G06F", 0.99}, {"A61K", 0.2}, {"B60R", 0.0}};
  const std::vector<Scored> d = FastTextDistribution(ova, 1);
  EXPECT_EQ(Order(d), (std::vector<std::string>{"H04L", "G06F", "A61K", "B60R"}));
  EXPECT_NEAR(Sum(d), 1, 1e-12);
  // softmax of logits at T = 1 is proportional to p / (1 - p).
  EXPECT_NEAR(ScoreOf(d, "H04L") / ScoreOf(d, "G06F"), (0.999 / 0.001) / (0.99 / 0.01), 1e-6);
  EXPECT_NEAR(ScoreOf(d, "A61K") / ScoreOf(d, "G06F"), (0.2 / 0.8) / (0.99 / 0.01), 1e-9);
  EXPECT_GT(ScoreOf(d, "B60R"), 0);  // p = 0 is clamped, not -infinity
  for (const Scored& s : d) {
    EXPECT_GE(s.score, 0);
    EXPECT_LE(s.score, 1);
  }
  // A higher temperature flattens, a lower one sharpens; the order stays.
  const std::vector<Scored> flat = FastTextDistribution(ova, 4);
  const std::vector<Scored> sharp = FastTextDistribution(ova, 0.25);
  EXPECT_EQ(Order(flat), Order(d));
  EXPECT_EQ(Order(sharp), Order(d));
  EXPECT_LT(flat[0].score, d[0].score);
  EXPECT_GT(sharp[0].score, d[0].score);
  EXPECT_NEAR(Sum(flat), 1, 1e-12);
  EXPECT_NEAR(Sum(sharp), 1, 1e-12);
  EXPECT_TRUE(FastTextDistribution({}, 1).empty());
}

TEST(VoteDistribution, SharesOfTheVotes) {
  // Main votes and half votes for secondary labels sum to more than 1 before normalising.
  const std::vector<Scored> d = VoteDistribution({{"A61K", 0.8}, {"A61P", 0.4}, {"C07D", 0.0}});
  ASSERT_EQ(d.size(), 2u);  // no vote, no label
  EXPECT_EQ(d[0].label, "A61K");
  EXPECT_NEAR(d[0].score, 0.8 / 1.2, 1e-12);
  EXPECT_NEAR(d[1].score, 0.4 / 1.2, 1e-12);
  EXPECT_TRUE(VoteDistribution({}).empty());
}

TEST(Mix, WeighsMembersAndTheMainLabelRate) {
  const std::vector<Scored> ft = {{"A61K", 0.6}, {"A61P", 0.4}};
  const std::vector<Scored> knn = {{"A61P", 1.0}};
  std::vector<Scored> m = Mix(ft, knn, 0.5, 0, {});
  EXPECT_NEAR(ScoreOf(m, "A61K"), 0.3, 1e-12);
  EXPECT_NEAR(ScoreOf(m, "A61P"), 0.7, 1e-12);
  // A61P is rarely the main label when present: weighed by r^g, then renormalised.
  const std::unordered_map<std::string, double> rate = {{"A61K", 0.9}, {"A61P", 0.1}};
  m = Mix(ft, knn, 0.5, 1, rate);
  EXPECT_EQ(m[0].label, "A61K");
  EXPECT_NEAR(ScoreOf(m, "A61K"), 0.27 / (0.27 + 0.07), 1e-12);
  EXPECT_NEAR(Sum(m), 1, 1e-12);
  // Only fastText (w = 1) or only kNN (w = 0).
  EXPECT_NEAR(ScoreOf(Mix(ft, knn, 1, 0, {}), "A61K"), 0.6, 1e-12);
  EXPECT_NEAR(ScoreOf(Mix(ft, knn, 0, 0, {}), "A61K"), 0, 1e-12);
}

TEST(Sharpen, MonotoneAndNormalised) {
  const std::vector<Scored> d = {{"A", 0.5}, {"B", 0.3}, {"C", 0.2}, {"D", 0}};
  for (double t : kCalibrationTemperatures) {
    const std::vector<Scored> s = Sharpen(d, t);
    EXPECT_EQ(Order(s), Order(d)) << t;
    EXPECT_NEAR(Sum(s), 1, 1e-12) << t;
    EXPECT_EQ(ScoreOf(s, "D"), 0) << t;
    for (const Scored& x : s) {
      EXPECT_GE(x.score, 0);
      EXPECT_LE(x.score, 1);
    }
  }
  EXPECT_NEAR(ScoreOf(Sharpen(d, 1), "A"), 0.5, 1e-12);
  EXPECT_NEAR(ScoreOf(Sharpen(d, 0.5), "A"), 0.25 / (0.25 + 0.09 + 0.04), 1e-12);
  // Tiny scores at a low temperature do not underflow the whole list.
  const std::vector<Scored> tiny = Sharpen({{"A", 1e-200}, {"B", 1e-201}}, 0.25);
  EXPECT_NEAR(Sum(tiny), 1, 1e-12);
  EXPECT_EQ(tiny[0].label, "A");
}

// The defect of issue 7: the ensemble's class scores were sums of per-subclass Platt
// probabilities, each at least sigmoid(b) > 0, so a class with many weak subclasses outranked the
// class of a confident subclass, and the class "probabilities" summed to more than 1. Now a class
// is exactly the sum of its subclasses and the classes sum to 1.
TEST(Coarsen, ClassIsTheSumOfItsSubclasses) {
  std::vector<Scored> ova = {{"A61K", 0.3}};
  const std::vector<std::string> h04 = {"H04B", "H04H", "H04J", "H04K", "H04L", "H04M",
                                        "H04N", "H04Q", "H04R", "H04S", "H04W"};
  for (const std::string& l : h04) ova.push_back({l, 0.03});
  const std::vector<Scored> knn = {{"A61K", 2.0}, {"H04L", 0.5}};
  const std::vector<Scored> e =
      Sharpen(Mix(FastTextDistribution(ova, 1), VoteDistribution(knn), 0.5, 0, {}), 0.75);
  ASSERT_EQ(e.size(), 12u);
  EXPECT_EQ(e[0].label, "A61K");
  const std::vector<Scored> classes = Coarsen(e, Level::kClass);
  ASSERT_EQ(classes.size(), 2u);
  EXPECT_EQ(classes[0].label, "A61");
  EXPECT_NEAR(Sum(classes), 1, 1e-12);
  double h04_sum = 0;
  for (const std::string& l : h04) h04_sum += ScoreOf(e, l);
  EXPECT_DOUBLE_EQ(ScoreOf(classes, "H04"), h04_sum);
  EXPECT_DOUBLE_EQ(ScoreOf(classes, "A61"), ScoreOf(e, "A61K"));
  // Coarsening a subclass ranking to subclass level changes nothing.
  EXPECT_EQ(Order(Coarsen(e, Level::kSubclass)), Order(e));
  // Labels too coarse for the level are dropped, not counted under an empty label.
  EXPECT_TRUE(Coarsen({{"A61K", 1}}, Level::kMainGroup).empty());
}

TEST(FitTemperature, MinimisesTheLogLossOfTheMainLabel) {
  // An over-confident model: 0.9 on X, but X is the main label of only half of the documents.
  std::vector<std::vector<Scored>> ranked;
  std::vector<std::string> main;
  for (int i = 0; i < 10; ++i) {
    ranked.push_back({{"X", 0.9}, {"Y", 0.1}});
    main.push_back(i % 2 == 0 ? "X" : "Y");
  }
  const double t = FitTemperature(ranked, main, Sharpen);
  // The best is p(X) = 0.5, which no finite temperature reaches: the largest one tried.
  EXPECT_EQ(t, kCalibrationTemperatures.back());
  // Brute force over the grid agrees, and the fit is no worse than leaving the scores alone.
  auto loss = [&](double temp) {
    std::vector<std::vector<Scored>> d;
    for (const auto& r : ranked) d.push_back(Sharpen(r, temp));
    return MainLabelLogLoss(d, main);
  };
  for (double other : kCalibrationTemperatures) EXPECT_LE(loss(t), loss(other) + 1e-12);
  EXPECT_LT(loss(t), loss(1));

  // An under-confident model: 0.6 on X, always right: the smallest temperature.
  for (auto& r : ranked) r = {{"X", 0.6}, {"Y", 0.4}};
  for (auto& m : main) m = "X";
  EXPECT_EQ(FitTemperature(ranked, main, Sharpen), kCalibrationTemperatures.front());

  // A calibrated model: 3 of 4 documents have the 0.75 label as main: T = 1 stays.
  for (size_t i = 0; i < ranked.size(); ++i) {
    ranked[i] = {{"X", 0.75}, {"Y", 0.25}};
    main[i] = "X";
  }
  ranked.resize(8);
  main.resize(8);
  main[1] = main[5] = "Y";
  EXPECT_EQ(FitTemperature(ranked, main, Sharpen), 1);

  // A document whose main label the model cannot rank says nothing about the temperature.
  ranked.push_back({{"X", 0.75}, {"Y", 0.25}});
  main.push_back("Z");
  EXPECT_EQ(FitTemperature(ranked, main, Sharpen), 1);
  size_t used = 0;
  MainLabelLogLoss(ranked, main, &used);
  EXPECT_EQ(used, 8u);

  // Nothing to fit on: 1.
  EXPECT_EQ(FitTemperature({{{"X", 1}}}, {"Z"}, Sharpen), 1);
  EXPECT_EQ(FitTemperature({}, {}, Sharpen), 1);
}

}  // namespace
}  // namespace ipdx::classify
