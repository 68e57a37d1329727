#pragma once
// Internal to ipdx::classify (not part of the module's contract in classify.h): how the
// ensemble turns the two models' rankings into one calibrated distribution, how its parameters are
// fitted on the validation split, and how rankings roll up to coarser levels.
// docs/classification.md describes the rule; these functions are its one implementation, used by
// Classifier::Rank, by training and by Evaluate, and tested apart from any trained model.
//
// The ensemble's score of a label is the probability that the label is the document's main label
// at the model's level. Both members are first turned into distributions over labels: fastText's
// one-vs-all probabilities p by a softmax of their logits log(p / (1 - p)) at a temperature T_f;
// the kNN vote shares by dividing by their sum. The mixture w * fastText + (1 - w) * kNN is
// weighed by r^g (r: how often the label, when present, was the main label in training) and
// renormalised; a last temperature T_e (p^(1/T_e), renormalised: monotone, so it never reorders
// labels) calibrates it. Because the result sums to 1 over the labels, the probability of a
// coarser label (a class) is the sum of its finer labels' probabilities: Coarsen.
//
// Threads: all functions are pure and thread-safe. Errors: none; empty input gives empty output.
#include <array>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "classify/classify.h"

namespace ipdx::classify {

// Sorts best first (ties by label, so rankings are deterministic).
void SortScored(std::vector<Scored>* ranked);

// fastText's one-vs-all probabilities as a distribution: softmax(logit(p) / temperature), sorted.
// Probabilities are clamped to [1e-7, 1 - 1e-7] first (saturated outputs stay finite). temperature
// must be > 0.
std::vector<Scored> FastTextDistribution(const std::vector<Scored>& ova, double temperature);

// kNN vote shares divided by their sum (labels with no positive vote are dropped), sorted.
std::vector<Scored> VoteDistribution(const std::vector<Scored>& votes);

// (w * ft + (1 - w) * knn) * r^g, renormalised to sum 1, sorted. `main_rate` maps a label to r; a
// label missing from it gets 0.5; g = 0 or an empty map leaves the mixture unweighed.
std::vector<Scored> Mix(const std::vector<Scored>& ft, const std::vector<Scored>& knn, double w,
                        double g, const std::unordered_map<std::string, double>& main_rate);

// p^(1 / temperature), renormalised to sum 1, sorted. Monotone: the order of labels is kept.
std::vector<Scored> Sharpen(const std::vector<Scored>& distribution, double temperature);

// The temperatures tried when fitting: 2^(k/2) for k = -4 .. 6.
inline constexpr std::array<double, 11> kCalibrationTemperatures = {
    0.25, 0.35355339059327379, 0.5, 0.70710678118654757, 1, 1.4142135623730951,
    2,    2.8284271247461903,  4,   5.6568542494690264,  8};

// Mean negative log-likelihood of the main labels: -log p(main[i]) over the documents whose
// distributions[i] gives main[i] a positive probability; `used` (when given) receives how many.
double MainLabelLogLoss(const std::vector<std::vector<Scored>>& distributions,
                        const std::vector<std::string>& main, size_t* used = nullptr);

// The temperature of kCalibrationTemperatures that minimises the mean -log p(main[i]) of
// transform(ranked[i], T) over the documents whose ranked[i] gives main[i] a positive score (ties:
// the temperature nearest 1; a probability that underflows to 0 counts as 1e-300). 1 when there
// is no such document (nothing to fit on).
double FitTemperature(
    const std::vector<std::vector<Scored>>& ranked, const std::vector<std::string>& main,
    const std::function<std::vector<Scored>(const std::vector<Scored>&, double)>& transform);

// Sums the scores of the labels that share a coarser label (Truncate to `level`), sorted. Labels
// that do not truncate to `level` are dropped.
std::vector<Scored> Coarsen(const std::vector<Scored>& ranked, Level level);

}  // namespace ipdx::classify
