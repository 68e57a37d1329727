// `ipdx classifier train|eval|decisions` and `ipdx classify`: IPC suggestions for examiners and
// their decisions (docs/classification.md).
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/context.h"
#include "cli/progress.h"
#include "model/model.h"
#include "service/classify.h"

namespace ipdx::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Rounds for display and JSON (scores are probabilities; 4 decimals is plenty).
double Round(double v, int digits = 4) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

// Titles carry their references in parentheses; the command line shows the first 90 characters.
std::string Short(const std::string& title, size_t max = 90) {
  if (title.size() <= max) return title;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(title[cut]) & 0xC0) == 0x80) --cut;
  return title.substr(0, cut) + "…";
}

// "US-8936998-B2", "US8936998B2", ... -> "US-8936998-B2".
Result<std::string> CanonicalId(const std::string& raw) {
  auto ref = model::ParsePublicationId(raw);
  if (!ref.ok()) return ref.status();
  if (ref->kind.empty()) {
    return Status::InvalidArgument("'" + raw + "' has no kind code; give the full id, e.g. " +
                                   ref->office + "-" + ref->number + "-B2");
  }
  return ref->office + "-" + ref->number + "-" + ref->kind;
}

Json MetricsJson(const classify::Metrics& m) {
  return Json{{"documents", m.documents},
              {"top_prediction", Round(m.top_prediction)},
              {"three_guesses", Round(m.three_guesses)},
              {"all_categories", Round(m.all_categories)}};
}

Json ManifestJson(const classify::Manifest& m) {
  return Json{{"version", m.version},
              {"level", std::string(classify::LevelName(m.level))},
              {"seed", m.seed},
              {"threads", m.threads},
              {"epochs", m.epochs},
              {"training_documents", m.training_documents},
              {"validation_documents", m.validation_documents},
              {"test_documents", m.test_documents},
              {"labels", m.labels},
              {"cpc_documents", m.cpc_documents},
              {"confirmed_symbols", m.confirmed_symbols},
              {"ensemble_weight_fasttext", Round(m.ensemble_weight)},
              {"training_seconds", Round(m.training_seconds, 2)},
              {"created_at", m.created_at},
              {"notes", m.notes}};
}

Json DecisionJson(const store::DecisionRow& d) {
  return Json{{"decision_id", d.decision_id},
              {"id", d.id},
              {"symbol", d.symbol},
              {"decision", d.decision},
              {"by", d.by},
              {"model_version", d.model_version},
              {"score", Round(d.score)},
              {"decided_at", d.decided_at}};
}

void RegisterTrain(CLI::App& parent, Context& ctx) {
  struct Args {
    std::string level = "subclass";
    std::vector<std::string> extra;
    int seed = classify::kDefaultSeed;
    int threads = 1;
    int epochs = 25;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = parent.add_subcommand(
      "train",
      "Train a new model version from the node's records, examiners' decisions and "
      "optional extra labelled data, and make it current");
  cmd->add_option("--level", args->level, "subclass or group (main group)")
      ->check(CLI::IsMember({"subclass", "group"}))
      ->capture_default_str();
  cmd->add_option("--extra-data", args->extra,
                  "Labelled documents to learn from besides the node's records (ipdx record JSON "
                  "lines such as data/classify/*.jsonl, or office XML); repeatable")
      ->check(CLI::ExistingFile);
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads", args->threads, "fastText threads (1 is reproducible)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--epochs", args->epochs, "fastText epochs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "JSON report");
  cmd->callback([&ctx, args] {
    auto node = ctx.OpenNode();
    if (!node) return;
    service::ClassifierTrainOptions options;
    options.level = *classify::ParseLevel(args->level);
    options.extra_data = args->extra;
    options.seed = args->seed;
    options.threads = args->threads;
    options.epochs = args->epochs;
    ProgressBar bar("train");
    options.on_progress = [&bar](std::string_view stage, double f) {
      bar.Update(static_cast<uint64_t>(f * 1000), 1000, 0, std::string(stage));
    };
    auto report = service::TrainClassifier(*node, options);
    bar.Finish();
    if (!report.ok()) return ctx.Fail(report.status());
    const classify::Manifest& m = report->manifest;
    const service::TrainingData& d = report->data;
    if (args->json) {
      Json j = ManifestJson(m);
      j["data"] = Json{{"node_records", d.node_records},
                       {"node_classified", d.node_examples},
                       {"extra_documents", d.extra_documents},
                       {"extra_unusable", d.extra_unusable},
                       {"duplicates", d.duplicates},
                       {"confirmed_symbols", d.confirmed_symbols},
                       {"rejected_symbols", d.rejected_symbols}};
      j["seconds"] = Round(report->seconds, 2);
      fmt::print("{}\n", Dump(j));
      return;
    }
    fmt::print("Trained classifier {} ({} level) in {:.1f} s; it is now current.\n", m.version,
               classify::LevelName(m.level), report->seconds);
    fmt::print("  data: {} node records ({} classified), {} extra documents", d.node_records,
               d.node_examples, d.extra_documents);
    if (d.extra_unusable > 0) fmt::print(" ({} unusable)", d.extra_unusable);
    if (d.duplicates > 0) fmt::print(", {} duplicates skipped", d.duplicates);
    fmt::print("\n  decisions: {} confirmed symbols added, {} rejected symbols removed\n",
               d.confirmed_symbols, d.rejected_symbols);
    fmt::print(
        "  split: {} training, {} validation, {} held-out test documents; {} labels "
        "({} documents labelled with CPC)\n",
        m.training_documents, m.validation_documents, m.test_documents, m.labels, m.cpc_documents);
    fmt::print(
        "  ensemble: {:.2f} x fastText + {:.2f} x kNN (chosen on the validation split); "
        "seed {}, {} thread(s), {} epochs\n",
        m.ensemble_weight, 1 - m.ensemble_weight, m.seed, m.threads, m.epochs);
    fmt::print("Run `ipdx classifier eval` for the evaluation on the held-out documents.\n");
  });
}

void RegisterEval(CLI::App& parent, Context& ctx) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = parent.add_subcommand(
      "eval", "Evaluate the current model on its held-out documents (WIPO-alpha measures)");
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([&ctx, json] {
    auto node = ctx.OpenNode();
    if (!node) return;
    auto ev = service::EvaluateClassifier(*node);
    if (!ev.ok()) return ctx.Fail(ev.status());
    if (*json) {
      Json rows = Json::array();
      for (const classify::EvaluationRow& r : ev->rows) {
        Json row = MetricsJson(r.metrics);
        row["level"] = std::string(classify::LevelName(r.level));
        row["model"] = r.model;
        rows.push_back(row);
      }
      fmt::print("{}\n",
                 Dump(Json{{"version", ev->version},
                           {"trained_level", std::string(classify::LevelName(ev->trained_level))},
                           {"training_documents", ev->training_documents},
                           {"test_documents", ev->test_documents},
                           {"ms_per_document", Round(ev->seconds_per_document * 1000, 2)},
                           {"rows", rows}}));
      return;
    }
    fmt::print("Classifier {} ({} level): {} training documents, {} held-out test documents\n",
               ev->version, classify::LevelName(ev->trained_level), ev->training_documents,
               ev->test_documents);
    fmt::print("{:<9} {:<9} {:>15} {:>14} {:>15}\n", "level", "model", "top-prediction",
               "three-guesses", "all-categories");
    for (const classify::EvaluationRow& r : ev->rows) {
      fmt::print("{:<9} {:<9} {:>15.3f} {:>14.3f} {:>15.3f}\n", classify::LevelName(r.level),
                 r.model, r.metrics.top_prediction, r.metrics.three_guesses,
                 r.metrics.all_categories);
    }
    fmt::print("majority = always the most frequent training labels. {:.1f} ms per document.\n",
               ev->seconds_per_document * 1000);
  });
}

void RegisterDecisions(CLI::App& parent, Context& ctx) {
  struct Args {
    std::string id;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = parent.add_subcommand("decisions", "List examiners' classification decisions");
  cmd->add_option("id", args->id, "Publication id (default: all)");
  cmd->add_flag("--json", args->json, "JSON output");
  cmd->callback([&ctx, args] {
    std::string id;
    if (!args->id.empty()) {
      auto canonical = CanonicalId(args->id);
      if (!canonical.ok()) return ctx.Fail(canonical.status());
      id = *canonical;
    }
    auto node = ctx.OpenNode();
    if (!node) return;
    auto rows = service::ListDecisions(*node, id);
    if (!rows.ok()) return ctx.Fail(rows.status());
    if (args->json) {
      Json out = Json::array();
      for (const store::DecisionRow& d : *rows) out.push_back(DecisionJson(d));
      fmt::print("{}\n", Dump(out));
      return;
    }
    for (const store::DecisionRow& d : *rows) {
      fmt::print("{}  {}  {} {}  by {}{}\n", d.decided_at, d.id, d.decision, d.symbol, d.by,
                 d.model_version.empty() ? "" : " (model " + d.model_version + ")");
    }
  });
}

void PrintSuggestions(const service::SuggestResponse& r) {
  fmt::print("Suggestions{} (model {}, {} level)\n", r.id.empty() ? "" : " for " + r.id,
             r.model_version, classify::LevelName(r.level));
  if (!r.id.empty()) {
    std::string current;
    for (const std::string& s : r.current) current += (current.empty() ? "" : "; ") + s;
    fmt::print("  current symbols: {}\n", current.empty() ? "none" : current);
  }
  int rank = 0;
  for (const service::Suggestion& s : r.suggestions) {
    fmt::print("  {}. {:<11} {:.3f}  {}\n", ++rank, s.symbol, s.score,
               Short(s.title_en.empty() ? s.title_fr : s.title_en));
    if (!s.title_fr.empty() && !s.title_en.empty()) fmt::print("{:20}{}\n", "", Short(s.title_fr));
    fmt::print("{:20}fastText {:.3f}, kNN {:.3f}\n", "", s.fasttext, s.knn);
  }
  if (!r.reasons.neighbours.empty()) {
    fmt::print("Most similar classified documents:\n");
    for (const classify::Neighbour& n : r.reasons.neighbours) {
      std::string symbols;
      for (const std::string& s : n.symbols) symbols += (symbols.empty() ? "" : "; ") + s;
      fmt::print("  {} (similarity {:.2f}): {}\n", n.id, n.score, symbols);
    }
  }
  if (!r.reasons.terms.empty()) {
    std::string terms;
    for (const classify::TermWeight& t : r.reasons.terms) {
      terms += (terms.empty() ? "" : ", ") + fmt::format("{} ({:.3f})", t.term, t.weight);
    }
    fmt::print("Terms that weighed most for {}: {}\n",
               r.suggestions.empty() ? "" : r.suggestions.front().symbol, terms);
  }
  fmt::print(
      "Suggestions only: an examiner decides (ipdx classify --accept|--reject SYMBOL ID "
      "--by NAME).\n");
}

Json SuggestionsJson(const service::SuggestResponse& r) {
  Json suggestions = Json::array();
  for (const service::Suggestion& s : r.suggestions) {
    suggestions.push_back(Json{{"symbol", s.symbol},
                               {"score", Round(s.score)},
                               {"fasttext", Round(s.fasttext)},
                               {"knn", Round(s.knn)},
                               {"title_en", s.title_en},
                               {"title_fr", s.title_fr}});
  }
  Json neighbours = Json::array();
  for (const classify::Neighbour& n : r.reasons.neighbours) {
    neighbours.push_back(Json{{"id", n.id}, {"score", Round(n.score)}, {"symbols", n.symbols}});
  }
  Json terms = Json::array();
  for (const classify::TermWeight& t : r.reasons.terms) {
    terms.push_back(Json{{"term", t.term}, {"weight", Round(t.weight)}});
  }
  Json j{{"model_version", r.model_version}, {"level", std::string(classify::LevelName(r.level))}};
  if (!r.id.empty()) {
    j["id"] = r.id;
    j["current"] = r.current;
  }
  j["suggestions"] = suggestions;
  j["reasons"] = Json{{"similar_documents", neighbours}, {"terms", terms}};
  return j;
}

void RegisterClassify(CLI::App& app, Context& ctx) {
  struct Args {
    std::string target;
    std::string text;
    std::string accept;
    std::string reject;
    std::string by;
    size_t limit = 5;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "classify",
      "Suggest IPC symbols for a record (ID), a text (--text) or a file (FILE), with scores, "
      "titles and reasons; or record an examiner's decision (--accept/--reject SYMBOL ID --by "
      "NAME)");
  cmd->add_option("target", args->target, "Publication id on the node, or a file");
  cmd->add_option("--text", args->text, "Free text to classify (a claim, an abstract)");
  auto* accept = cmd->add_option("--accept", args->accept, "Accept SYMBOL for ID");
  auto* reject = cmd->add_option("--reject", args->reject, "Reject SYMBOL for ID");
  accept->excludes(reject);
  cmd->add_option("--by", args->by, "The examiner deciding (with --accept/--reject)");
  cmd->add_option("--limit", args->limit, "Suggestions shown")
      ->check(CLI::Range(1, 50))
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "JSON output");
  cmd->callback([&ctx, args] {
    const bool deciding = !args->accept.empty() || !args->reject.empty();
    if (deciding) {
      if (args->target.empty()) {
        return ctx.Fail(Status::InvalidArgument("--accept/--reject need the record ID"));
      }
      if (args->by.empty()) {
        return ctx.Fail(Status::InvalidArgument("a decision needs the examiner: --by NAME"));
      }
      auto id = CanonicalId(args->target);
      if (!id.ok()) return ctx.Fail(id.status());
      auto node = ctx.OpenNode();
      if (!node) return;
      service::DecisionInput input;
      input.id = *id;
      input.accept = !args->accept.empty();
      input.symbol = input.accept ? args->accept : args->reject;
      input.by = args->by;
      auto row = service::Decide(*node, input);
      if (!row.ok()) return ctx.Fail(row.status());
      if (args->json) {
        fmt::print("{}\n", Dump(DecisionJson(*row)));
      } else {
        fmt::print("Recorded: {} {}ed {} for {}{}; the next `ipdx classifier train` uses it.\n",
                   row->by, row->decision, row->symbol, row->id,
                   row->model_version.empty() ? "" : " (model " + row->model_version + ")");
      }
      return;
    }
    if (!args->by.empty()) {
      return ctx.Fail(Status::InvalidArgument("--by goes with --accept or --reject"));
    }
    service::SuggestRequest request;
    request.limit = args->limit;
    if (!args->text.empty()) {
      if (!args->target.empty()) {
        return ctx.Fail(Status::InvalidArgument("give either an ID/FILE or --text, not both"));
      }
      request.text = args->text;
    } else if (args->target.empty()) {
      return ctx.Fail(Status::InvalidArgument("nothing to classify: give an ID, a FILE or --text"));
    } else if (std::error_code ec; std::filesystem::exists(args->target, ec)) {
      request.file = args->target;
    } else {
      auto id = CanonicalId(args->target);
      if (!id.ok()) {
        return ctx.Fail(Status::InvalidArgument(
            "'" + args->target +
            "' is neither a file nor a publication id: " + id.status().message()));
      }
      request.id = *id;
    }
    auto node = ctx.OpenNode();
    if (!node) return;
    auto response = service::Suggest(*node, request);
    if (!response.ok()) return ctx.Fail(response.status());
    if (args->json) {
      fmt::print("{}\n", Dump(SuggestionsJson(*response)));
    } else {
      PrintSuggestions(*response);
    }
  });
}

}  // namespace

void RegisterClassifyCommands(CLI::App& app, Context& ctx) {
  auto* classifier =
      app.add_subcommand("classifier", "Train and evaluate the IPC classification models");
  classifier->require_subcommand(1);
  RegisterTrain(*classifier, ctx);
  RegisterEval(*classifier, ctx);
  RegisterDecisions(*classifier, ctx);
  RegisterClassify(app, ctx);
}

}  // namespace ipdx::cli
