// The ensemble rule, its calibration and the roll-up to coarser levels (ensemble.h).
#include "classify/ensemble.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace ipdx::classify {

void SortScored(std::vector<Scored>* ranked) {
  std::stable_sort(ranked->begin(), ranked->end(), [](const Scored& a, const Scored& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.label < b.label;
  });
}

namespace {

// Divides by the sum (when positive) and sorts.
std::vector<Scored> Normalised(std::vector<Scored> v) {
  double total = 0;
  for (const Scored& s : v) total += s.score;
  if (total > 0) {
    for (Scored& s : v) s.score /= total;
  }
  SortScored(&v);
  return v;
}

}  // namespace

std::vector<Scored> FastTextDistribution(const std::vector<Scored>& ova, double temperature) {
  std::vector<Scored> out;
  out.reserve(ova.size());
  double max_logit = -std::numeric_limits<double>::infinity();
  for (const Scored& s : ova) {
    const double p = std::clamp(s.score, 1e-7, 1 - 1e-7);
    const double z = std::log(p / (1 - p)) / temperature;
    max_logit = std::max(max_logit, z);
    out.push_back({s.label, z});
  }
  // exp(z - max) keeps the largest term at 1: no overflow whatever the temperature.
  for (Scored& s : out) s.score = std::exp(s.score - max_logit);
  return Normalised(std::move(out));
}

std::vector<Scored> VoteDistribution(const std::vector<Scored>& votes) {
  std::vector<Scored> out;
  out.reserve(votes.size());
  for (const Scored& s : votes) {
    if (s.score > 0) out.push_back(s);
  }
  return Normalised(std::move(out));
}

std::vector<Scored> Mix(const std::vector<Scored>& ft, const std::vector<Scored>& knn, double w,
                        double g, const std::unordered_map<std::string, double>& main_rate) {
  std::map<std::string, double> sums;
  for (const Scored& s : ft) sums[s.label] += w * s.score;
  for (const Scored& s : knn) sums[s.label] += (1 - w) * s.score;
  std::vector<Scored> out;
  out.reserve(sums.size());
  for (auto& [label, score] : sums) {
    double v = score;
    // The WIPO measures ask for the main label. Some labels are rarely main when present (in
    // real IPC data indexing-like subclasses such as A61P next to A61K), so the evidence for a
    // label is weighed by how often it was the main one in training.
    if (g > 0 && !main_rate.empty()) {
      auto it = main_rate.find(label);
      v *= std::pow(it == main_rate.end() ? 0.5 : it->second, g);
    }
    out.push_back({label, v});
  }
  return Normalised(std::move(out));
}

std::vector<Scored> Sharpen(const std::vector<Scored>& distribution, double temperature) {
  std::vector<Scored> out;
  out.reserve(distribution.size());
  if (distribution.empty()) return out;
  // Relative to the largest score, so that small temperatures do not underflow every term.
  double top = 0;
  for (const Scored& s : distribution) top = std::max(top, s.score);
  for (const Scored& s : distribution) {
    out.push_back({s.label, top > 0 && s.score > 0 ? std::pow(s.score / top, 1 / temperature) : 0});
  }
  return Normalised(std::move(out));
}

double MainLabelLogLoss(const std::vector<std::vector<Scored>>& distributions,
                        const std::vector<std::string>& main, size_t* used) {
  double loss = 0;
  size_t n = 0;
  for (size_t i = 0; i < distributions.size() && i < main.size(); ++i) {
    for (const Scored& s : distributions[i]) {
      if (s.label != main[i]) continue;
      if (s.score > 0) {
        loss -= std::log(s.score);
        ++n;
      }
      break;
    }
  }
  if (used != nullptr) *used = n;
  return n == 0 ? 0 : loss / static_cast<double>(n);
}

double FitTemperature(
    const std::vector<std::vector<Scored>>& ranked, const std::vector<std::string>& main,
    const std::function<std::vector<Scored>(const std::vector<Scored>&, double)>& transform) {
  // The documents to fit on: those whose main label the model can give a probability at all (a
  // label absent from a ranking has probability 0 at every temperature and says nothing).
  std::vector<size_t> usable;
  for (size_t i = 0; i < ranked.size() && i < main.size(); ++i) {
    for (const Scored& s : ranked[i]) {
      if (s.label == main[i] && s.score > 0) {
        usable.push_back(i);
        break;
      }
    }
  }
  if (usable.empty()) return 1;
  double best_t = 1, best_loss = std::numeric_limits<double>::infinity();
  for (double t : kCalibrationTemperatures) {
    double loss = 0;
    for (size_t i : usable) {
      double p = 0;
      for (const Scored& s : transform(ranked[i], t)) {
        if (s.label == main[i]) {
          p = s.score;
          break;
        }
      }
      loss -= std::log(std::max(p, 1e-300));
    }
    loss /= static_cast<double>(usable.size());
    const bool nearer = std::abs(std::log(t)) < std::abs(std::log(best_t));
    if (loss < best_loss - 1e-12 || (std::abs(loss - best_loss) <= 1e-12 && nearer)) {
      best_loss = loss;
      best_t = t;
    }
  }
  return best_t;
}

std::vector<Scored> Coarsen(const std::vector<Scored>& ranked, Level level) {
  std::map<std::string, double> sums;
  for (const Scored& s : ranked) {
    std::string coarse = Truncate(s.label, level);
    if (!coarse.empty()) sums[coarse] += s.score;
  }
  std::vector<Scored> out;
  out.reserve(sums.size());
  for (auto& [label, score] : sums) out.push_back({label, score});
  SortScored(&out);
  return out;
}

}  // namespace ipdx::classify
