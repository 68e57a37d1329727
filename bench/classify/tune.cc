// ipdx_bench_classify_tune: a study of the classifier's hyper-parameters and ensemble rule on the
// VALIDATION split only (see bench/README.md, docs/classification.md "How the settings were
// chosen"). The held-out test split is never read here: test figures come from
// `ipdx classifier eval` after the settings are fixed.
//
//   ipdx_bench_classify_tune --work DIR [--quick] [--dump FILE] INPUT...
//
// INPUT: files or folders read through the codec as `ipdx classifier train --extra-data` reads
// them (the first copy of a publication id wins, as the node's own copy does). For each
// fastText setting of the grid it trains a subclass model (classify::Classifier::Train, seed 42,
// one thread) and ranks every validation document with fastText and kNN; then it prints, per
// setting, validation three-guesses (and all-categories) of fastText, kNN and of several
// ensemble rules, each at its best weight on the same validation split. --dump FILE trains the
// default setting only and writes each validation document's gold labels and fastText and kNN
// rankings (and each label's main-label rate) to FILE, for studies outside C++.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "classify/classify.h"
#include "codec/codec.h"

namespace {

namespace fs = std::filesystem;
using ipdx::classify::Example;
using ipdx::classify::Level;
using ipdx::classify::Metrics;
using ipdx::classify::Scored;

std::vector<std::string> Inputs(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  for (const std::string& a : args) {
    if (fs::is_directory(a)) {
      for (const auto& e : fs::recursive_directory_iterator(a)) {
        const std::string ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".xml" || ext == ".jsonl" || ext == ".json")) {
          files.push_back(e.path().string());
        }
      }
    } else {
      files.push_back(a);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Example> ReadExamples(const std::vector<std::string>& files) {
  std::vector<Example> out;
  std::set<std::string> seen;
  for (const std::string& f : files) {
    auto splitter = ipdx::codec::DocumentSplitter::Open(f);
    if (!splitter.ok()) continue;
    for (;;) {
      auto next = (*splitter)->Next();
      if (!next.ok() || !next->has_value()) break;
      ipdx::codec::Decoded d = ipdx::codec::Decode(**next);
      if (!d.record) continue;
      std::optional<Example> ex = ipdx::classify::ExampleFromRecord(*d.record);
      if (ex && seen.insert(ex->record.Id()).second) out.push_back(std::move(*ex));
    }
  }
  return out;
}

std::vector<std::string> Labels(const std::vector<Scored>& v) {
  std::vector<std::string> out;
  for (const Scored& s : v) out.push_back(s.label);
  return out;
}

void Sort(std::vector<Scored>& v) {
  std::stable_sort(v.begin(), v.end(), [](const Scored& a, const Scored& b) {
    return a.score != b.score ? a.score > b.score : a.label < b.label;
  });
}

// The ensemble rules compared.
std::map<std::string, double>* g_main_rate = nullptr;

std::vector<Scored> Combine(std::string rule, const std::vector<Scored>& ft,
                            const std::vector<Scored>& knn, double w) {
  double gamma = 0;
  if (const size_t p = rule.find("+main"); p != std::string::npos) {
    gamma = std::stod(rule.substr(p + 5));
    rule = rule.substr(0, p);
  }
  std::map<std::string, double> sums;
  if (rule == "linear-normalised") {  // the rule of classifier.cc before issue 7
    double total = 0;
    for (const Scored& s : ft) total += s.score;
    for (const Scored& s : ft) sums[s.label] += total > 0 ? w * s.score / total : 0;
    for (const Scored& s : knn) sums[s.label] += (1 - w) * s.score;
  } else if (rule == "linear-raw") {
    for (const Scored& s : ft) sums[s.label] += w * s.score;
    for (const Scored& s : knn) sums[s.label] += (1 - w) * s.score;
  } else if (rule == "rank-fusion") {  // reciprocal rank, k = 2
    for (size_t i = 0; i < ft.size(); ++i) sums[ft[i].label] += w / (2.0 + static_cast<double>(i));
    for (size_t i = 0; i < knn.size(); ++i) {
      sums[knn[i].label] += (1 - w) / (2.0 + static_cast<double>(i));
    }
  } else if (rule == "log-linear") {  // w log p_ft + (1 - w) log (p_knn + 0.01)
    std::map<std::string, double> f, k;
    for (const Scored& s : ft) f[s.label] = s.score;
    for (const Scored& s : knn) k[s.label] = s.score;
    std::set<std::string> all;
    for (auto& [l, v] : f) all.insert(l);
    for (auto& [l, v] : k) all.insert(l);
    for (const std::string& l : all) {
      sums[l] = w * std::log(f.count(l) ? f[l] + 1e-4 : 1e-4) +
                (1 - w) * std::log((k.count(l) ? k[l] : 0) + 0.01);
    }
  }
  std::vector<Scored> out;
  for (auto& [l, v] : sums) {
    double rate = 0.5;
    if (g_main_rate != nullptr) {
      auto it = g_main_rate->find(l);
      if (it != g_main_rate->end()) rate = it->second;
    }
    out.push_back({l, gamma > 0 ? v * std::pow(rate, gamma) : v});
  }
  Sort(out);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string work;
  bool quick = false;
  std::string dump;  // --dump FILE: the default setting only; write the validation rankings
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--work" && i + 1 < argc) {
      work = argv[++i];
    } else if (a == "--quick") {
      quick = true;
    } else if (a == "--dump" && i + 1 < argc) {
      dump = argv[++i];
    } else {
      args.push_back(a);
    }
  }
  if (work.empty() || args.empty()) {
    std::cerr << "usage: ipdx_bench_classify_tune --work DIR [--quick] [--dump FILE] INPUT...\n";
    return 2;
  }
  std::vector<Example> examples = ReadExamples(Inputs(args));
  ipdx::classify::Split split =
      ipdx::classify::SplitExamples(std::move(examples), Level::kSubclass);
  std::printf("documents: %zu train, %zu validation (the test split, %zu documents, is not read)\n",
              split.train.size(), split.validation.size(), split.test.size());
  const std::vector<Example> validation = split.validation;
  split.test.clear();
  // How often each label, when a training document has it, is that document's main label.
  std::map<std::string, double> main_rate, main_count;
  {
    std::map<std::string, double> present, &main = main_count;
    for (const Example& ex : split.train) {
      auto l = ipdx::classify::LabelsAt(ex.symbols, Level::kSubclass);
      if (l.empty()) continue;
      main[l[0]] += 1;
      for (const std::string& x : l) present[x] += 1;
    }
    for (auto& [l, n] : present) main_rate[l] = (main[l] + 1) / (n + 2);
  }

  struct Setting {
    int epochs, dim, ngrams;
    double lr;
    size_t neighbours;
  };
  std::vector<Setting> grid = {{25, 64, 2, 0.5, 25}, {25, 64, 2, 1.0, 25}};
  if (!quick) {
    grid = {{25, 64, 2, 0.5, 25},  {50, 64, 2, 0.5, 25},  {25, 64, 1, 0.5, 25},
            {50, 100, 1, 1.0, 25}, {100, 64, 2, 0.5, 25}, {25, 64, 2, 1.0, 25},
            {25, 64, 2, 0.5, 10},  {25, 64, 2, 0.5, 50}};
  }
  if (!dump.empty()) grid = {{25, 64, 2, 1.0, 25}};
  g_main_rate = &main_rate;
  const std::vector<std::string> rules = {"linear-normalised",         "linear-raw",
                                          "linear-normalised+main0.5", "linear-normalised+main1",
                                          "linear-normalised+main2",   "linear-raw+main1"};
  std::printf("%-28s %8s | %11s %11s | %s\n", "setting (ep dim ng lr k)", "train s", "fastText",
              "kNN", "ensemble rules: three-guesses at the best weight (weight)");
  int run = 0;
  for (const Setting& g : grid) {
    ipdx::classify::TrainOptions o;
    o.epochs = g.epochs;
    o.dim = g.dim;
    o.word_ngrams = g.ngrams;
    o.learning_rate = g.lr;
    o.neighbours = g.neighbours;
    const std::string dir = work + "/tune-" + std::to_string(run++);
    fs::remove_all(dir);
    const auto t0 = std::chrono::steady_clock::now();
    std::map<std::string, double> stage_started;  // seconds since t0 of each stage's first report
    o.on_progress = [&](std::string_view stage, double) {
      stage_started.try_emplace(
          std::string(stage),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    };
    auto c = ipdx::classify::Classifier::Train(split, o, dir, "tune", "");
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!c.ok()) {
      std::cerr << c.status().ToString() << "\n";
      return 1;
    }
    std::vector<std::vector<std::string>> gold;
    std::vector<std::vector<Scored>> ft, knn;
    std::vector<std::map<std::string, double>> knn_main, knn_any;
    for (const Example& ex : validation) {
      auto g2 = ipdx::classify::LabelsAt(ex.symbols, Level::kSubclass);
      if (g2.empty()) continue;
      ipdx::classify::Explanation why;
      auto r = (*c)->Rank(ipdx::classify::ExampleText(ex.record), 1000, ex.record.Id(), &why);
      if (!r.ok()) continue;
      gold.push_back(g2);
      ft.push_back(r->fasttext);
      knn.push_back(r->knn);
      std::map<std::string, double> km, ka;
      double total = 0;
      for (const auto& nb : why.neighbours) {
        auto l = ipdx::classify::LabelsAt(nb.symbols, Level::kSubclass);
        if (l.empty()) continue;
        total += nb.score;
        km[l[0]] += nb.score;
        for (const auto& x : l) ka[x] += nb.score;
      }
      for (auto& [l, v] : km) v /= total;
      for (auto& [l, v] : ka) v /= total;
      knn_main.push_back(km);
      knn_any.push_back(ka);
    }
    if (!dump.empty()) {
      // One line a validation document: gold labels, then fastText's and kNN's rankings
      // (LABEL=SCORE, ';'-separated); then one line a label with its main-label rate.
      std::FILE* f = std::fopen(dump.c_str(), "w");
      if (f == nullptr) {
        std::cerr << "cannot write " << dump << "\n";
        return 1;
      }
      auto join = [](const std::vector<Scored>& v) {
        std::string s;
        for (const Scored& x : v) {
          if (!s.empty()) s += ';';
          char num[32];
          std::snprintf(num, sizeof num, "%.9g", x.score);
          s += x.label + "=" + num;
        }
        return s;
      };
      for (size_t i = 0; i < gold.size(); ++i) {
        std::string g2;
        for (const std::string& l : gold[i]) g2 += (g2.empty() ? "" : ";") + l;
        std::fprintf(f, "doc\t%s\t%s\t%s\n", g2.c_str(), join(ft[i]).c_str(), join(knn[i]).c_str());
      }
      for (const auto& [l, r] : main_rate) std::fprintf(f, "rate\t%s\t%.17g\n", l.c_str(), r);
      std::fclose(f);
      fs::remove_all(dir);
      return 0;
    }
    auto metric = [&](const std::vector<std::vector<Scored>>& ranked) {
      std::vector<std::vector<std::string>> p;
      for (const auto& v : ranked) p.push_back(Labels(v));
      return ipdx::classify::ComputeMetrics(gold, p);
    };
    const Metrics mf = metric(ft), mk = metric(knn);
    char name[64];
    std::snprintf(name, sizeof name, "%d %d %d %.1f %zu", g.epochs, g.dim, g.ngrams, g.lr,
                  g.neighbours);
    std::printf("%-28s %8.1f | %5.3f/%5.3f %5.3f/%5.3f |", name, secs, mf.three_guesses,
                mf.all_categories, mk.three_guesses, mk.all_categories);
    for (const std::string& rule : rules) {
      double best = -1, best_w = 0, best_mrr = -1, mrr_w = 0, tg_at_mrr = 0;
      for (int step = 0; step <= 20; ++step) {
        const double w = step / 20.0;
        std::vector<std::vector<Scored>> e;
        for (size_t i = 0; i < gold.size(); ++i) e.push_back(Combine(rule, ft[i], knn[i], w));
        const Metrics m = metric(e);
        if (m.three_guesses > best + 1e-12) {
          best = m.three_guesses;
          best_w = w;
        }
        // Mean reciprocal rank of the main label: a smoother criterion than three-guesses.
        double mrr = 0;
        for (size_t i = 0; i < gold.size(); ++i) {
          for (size_t r = 0; r < e[i].size(); ++r) {
            if (e[i][r].label == gold[i][0]) {
              mrr += 1.0 / static_cast<double>(r + 1);
              break;
            }
          }
        }
        mrr /= static_cast<double>(gold.size());
        if (mrr > best_mrr + 1e-12) {
          best_mrr = mrr;
          mrr_w = w;
          tg_at_mrr = m.three_guesses;
        }
      }
      std::printf(" {MRR %.3f at w %.2f: three-guesses %.3f}", best_mrr, mrr_w, tg_at_mrr);
      std::vector<std::vector<Scored>> e0, e1;
      for (size_t i = 0; i < gold.size(); ++i) {
        e0.push_back(Combine(rule, ft[i], knn[i], 0));
        e1.push_back(Combine(rule, ft[i], knn[i], 1));
      }
      std::printf(" %s %.3f (%.2f) [kNN %.3f fT %.3f]", rule.c_str(), best, best_w,
                  metric(e0).three_guesses, metric(e1).three_guesses);
    }
    {
      // Stacked features: fastText share, kNN main-vote share, kNN any-vote share, log prior.
      double total_main = 0;
      for (auto& [l, n] : main_count) total_main += n;
      double best = -1;
      std::string best_desc;
      for (double wf : {0.0, 0.05, 0.1, 0.2, 0.3, 0.5}) {
        for (double wm : {0.0, 0.25, 0.5, 0.75, 1.0}) {
          for (double wa : {0.0, 0.25, 0.5, 0.75, 1.0}) {
            for (double wp : {0.0, 0.005, 0.01, 0.03}) {
              std::vector<std::vector<Scored>> e;
              for (size_t i = 0; i < gold.size(); ++i) {
                std::map<std::string, double> sc;
                double ftot = 0;
                for (const Scored& x : ft[i]) ftot += x.score;
                for (const Scored& x : ft[i]) sc[x.label] += ftot > 0 ? wf * x.score / ftot : 0;
                for (auto& [l, v] : knn_main[i]) sc[l] += wm * v;
                for (auto& [l, v] : knn_any[i]) sc[l] += wa * v;
                std::vector<Scored> out;
                for (auto& [l, v] : sc) {
                  auto it = main_count.find(l);
                  const double prior =
                      ((it == main_count.end() ? 0 : it->second) + 1) / (total_main + 1);
                  out.push_back({l, v + wp * std::log(prior)});
                }
                Sort(out);
                e.push_back(out);
              }
              const Metrics m = metric(e);
              if (m.three_guesses > best + 1e-12) {
                best = m.three_guesses;
                char d[128];
                std::snprintf(d, sizeof d, "ft %.2f main %.2f any %.2f prior %.3f", wf, wm, wa, wp);
                best_desc = d;
              }
            }
          }
        }
      }
      std::printf(" {stacked best %.3f: %s}", best, best_desc.c_str());
    }
    std::printf("   [validation n=%zu; stages started at", gold.size());
    for (const auto& [stage, at] : stage_started) std::printf(" %s %.1fs", stage.c_str(), at);
    std::printf("]\n");
    std::fflush(stdout);
    fs::remove_all(dir);
  }
  return 0;
}
