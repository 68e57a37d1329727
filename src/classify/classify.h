#pragma once
// ipdx::classify: IPC classification suggestions for examiners (docs/classification.md).
//
// Three models are trained from labelled documents (title, abstract and claims; their IPC symbols,
// or CPC symbols when a document has no IPC) at one level, subclass ("A61K") or main group
// ("A61K 31/00"):
//   - fastText: a supervised linear text model, multi-label one-vs-all loss (libfasttext);
//   - kNN: a search::Index over the training documents; the most similar documents vote with
//     their symbols, weighted by their BM25 similarity score;
//   - the ensemble: both models' scores are first made distributions over the labels (fastText's
//     by a softmax of its logits at a temperature fitted on the validation split, kNN's votes by
//     their sum), mixed as (w * fastText + (1 - w) * kNN) * r^g, where r is how often the label,
//     when a training document has it, is that document's main (first-listed) label, renormalised
//     and calibrated by a last temperature. Its score is the probability that the label is the
//     document's main label; the scores of all labels sum to 1, so a coarser label's probability
//     is the sum of its finer labels' (a class is the sum of its subclasses). w and g are chosen,
//     and both temperatures fitted, on the validation split only.
// A trained Classifier is a folder (a "model version"): manifest.tsv (level, seed, counts,
// ensemble weight, calibration, label priors), fasttext.bin, knn/ (a Xapian index), labels.tsv
// (the symbols of each kNN document) and heldout.tsv (the held-out test documents, for Evaluate).
// The folder formats are in docs/classification.md.
//
// Only this module includes fastText (and, through search/, Xapian); neither appears here.
//
// Threads: free functions are pure and thread-safe. A Classifier is externally synchronised (one
// thread at a time); open one per thread for concurrent suggestions. Training is single-process;
// with TrainOptions::threads == 1 and a fixed seed it is deterministic (same folder contents but
// for timestamps).
//
// Errors: library exceptions never leave this module. FailedPrecondition when there is too little
// data to train (the message says how much is needed), NotFound for a missing model folder,
// Corruption for a damaged one, IOError for file system failures.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/record.h"

namespace ipdx::classify {

// ---- symbols and levels ------------------------------------------------------------------------

// The levels of the IPC hierarchy ipdx classifies and evaluates at.
enum class Level { kClass, kSubclass, kMainGroup };

// "class", "subclass", "group".
std::string_view LevelName(Level level);
// Accepts "class", "subclass", "group" and "main-group". InvalidArgument otherwise.
Result<Level> ParseLevel(std::string_view name);

// Truncates a normalised IPC/CPC symbol ("A61K 31/4439", or a bare subclass "A61K") to a level:
// class "A61", subclass "A61K", main group "A61K 31/00". Empty when the symbol is malformed or too
// coarse for the level (a bare subclass has no main group).
std::string Truncate(std::string_view symbol, Level level);

// ---- labelled documents ------------------------------------------------------------------------

// One document with its classification. `record` keeps only what the models read: identity,
// titles, abstracts, claims, language, IPC and CPC.
struct Example {
  model::Record record;
  std::vector<std::string> symbols;  // IPC symbols, main (first-listed) first; or CPC when no IPC
  bool cpc = false;                  // the symbols are CPC (the document has no IPC)
};

// The example of a record: its text fields and its IPC symbols (CPC when it has none). nullopt
// when it has no usable symbol or no text.
std::optional<Example> ExampleFromRecord(const model::Record& record);

// The text the models read: titles, abstracts and claims, joined by newlines.
std::string ExampleText(const model::Record& record);

// The distinct labels of `symbols` at `level`, in order (so the main one stays first).
std::vector<std::string> LabelsAt(const std::vector<std::string>& symbols, Level level);

// ---- metrics (WIPO-alpha, Fall et al. 2003; docs/classification.md) ---------------------------

// Counts over a set of documents. Each document has its gold labels (main first) and a ranked list
// of predicted labels, both at the same level.
struct Metrics {
  uint64_t documents = 0;
  double top_prediction = 0;  // share whose top prediction is the main label
  double three_guesses = 0;   // share whose main label is among the top three predictions
  double all_categories = 0;  // share whose top prediction is any gold label
};

// Documents with no gold label are skipped (not counted). An empty prediction list counts as a
// miss.
Metrics ComputeMetrics(const std::vector<std::vector<std::string>>& gold,
                       const std::vector<std::vector<std::string>>& predicted);

// ---- IPC titles
// ----------------------------------------------------------------------------------

// English (IPC 2022.01) and French (IPC 2021.01) titles compiled into the binary. Keys: class
// "A61", subclass "A61K", main group "A61K 31/00". Empty when unknown (no English class titles
// are shipped; CPC-only symbols such as Y10T have none).
struct Titles {
  std::string en;
  std::string fr;
};
Titles TitleOf(std::string_view symbol);

// ---- models
// ----------------------------------------------------------------------------------------

// A label with a score; scores are comparable within one list.
struct Scored {
  std::string label;
  double score = 0;
};

// Per-model rankings of one document, best first, at the model's level.
struct Rankings {
  std::vector<Scored> fasttext;  // one-vs-all probabilities
  std::vector<Scored> knn;       // share of the neighbours' score mass
  // Calibrated probability that the label is the document's main label (at the model's level):
  // in [0, 1], summing to 1 over all the model's labels (before `limit` cuts the list).
  std::vector<Scored> ensemble;
};

// A neighbour that voted: a training document similar to the input.
struct Neighbour {
  std::string id;
  double score = 0;  // BM25 similarity
  std::vector<std::string> symbols;
};

struct TermWeight {
  std::string term;
  double weight = 0;  // contribution to the fastText score of the top suggestion
};

struct Explanation {
  std::vector<Neighbour> neighbours;  // most similar first
  std::vector<TermWeight> terms;      // heaviest first, positive contributions only
};

inline constexpr int kDefaultSeed = 42;

struct TrainOptions {
  Level level = Level::kSubclass;
  int seed = kDefaultSeed;
  int threads = 1;                 // fastText threads; 1 makes training deterministic
  int epochs = 25;                 // fastText epochs
  int dim = 64;                    // fastText vector size
  int word_ngrams = 2;             // fastText word n-grams
  double learning_rate = 1.0;      // chosen on the validation split (docs/classification.md)
  size_t neighbours = 25;          // kNN: documents that vote
  uint64_t confirmed_symbols = 0;  // examiner decisions applied to the labels (for the manifest)
  // Called with a stage name ("fasttext", "knn", "validation") and the fraction done in [0, 1].
  std::function<void(std::string_view stage, double fraction)> on_progress;
};

// The minimum the models need: documents with a label at the training level, and distinct labels.
inline constexpr size_t kMinTrainingDocuments = 20;
inline constexpr size_t kMinValidationDocuments = 5;
inline constexpr size_t kMinLabels = 2;

// What a model folder says about itself (manifest.tsv).
struct Manifest {
  std::string version;  // the folder name, e.g. "v3"
  Level level = Level::kSubclass;
  int seed = kDefaultSeed;
  int threads = 1;
  int epochs = 0, dim = 0, word_ngrams = 0;
  double learning_rate = 0;
  size_t neighbours = 0;
  uint64_t training_documents = 0;
  uint64_t validation_documents = 0;
  uint64_t test_documents = 0;
  uint64_t labels = 0;              // distinct labels at `level` in the training split
  uint64_t cpc_documents = 0;       // training documents labelled with CPC (no IPC)
  uint64_t confirmed_symbols = 0;   // examiner decisions applied to the training labels
  double ensemble_weight = 0;       // w of fastText; 1 - w for kNN
  double main_exponent = 0;         // g: exponent of the main-label rate (0 in format-1 models)
  double fasttext_temperature = 1;  // T_f: softmax(logit(p) / T_f) of fastText (1 before format 3)
  double ensemble_temperature = 1;  // T_e: p^(1/T_e), renormalised, of the mixture (likewise)
  double training_seconds = 0;
  std::string created_at;  // ISO 8601 UTC
  std::string notes;       // free text (data sources)
  // Label frequencies (main label count) in the training split: the majority baseline.
  std::vector<Scored> priors;  // most frequent first
  // Training documents that have each label at `level` (main or not); with `priors`, the rate at
  // which a label is the main one. Empty in format-1 models.
  std::vector<Scored> label_documents;
};

// The training, validation and held-out test documents of one training run.
struct Split {
  std::vector<Example> train;
  std::vector<Example> validation;
  std::vector<Example> test;
};

// Splits deterministically by a hash of each publication id: about 70 % train, 15 % validation,
// 15 % test. Documents without a label at `level` are dropped.
Split SplitExamples(std::vector<Example> examples, Level level);

class Classifier {
 public:
  // Trains the three models on split.train, chooses the ensemble weight and the calibration on
  // split.validation (split.test is only stored, never used to choose anything), and writes the
  // model folder `dir` (created; must not exist) including split.test for later evaluation.
  // `version` and `notes` go into the manifest. FailedPrecondition when there is too little data
  // (fewer than kMinTrainingDocuments training or kMinValidationDocuments validation documents with
  // a label at the level, or fewer than kMinLabels distinct labels), naming what is needed.
  static Result<std::unique_ptr<Classifier>> Train(const Split& split, const TrainOptions& options,
                                                   const std::string& dir,
                                                   const std::string& version,
                                                   const std::string& notes);

  // Opens a model folder written by Train. NotFound when absent, Corruption when damaged.
  static Result<std::unique_ptr<Classifier>> Load(const std::string& dir);

  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  const Manifest& manifest() const;

  // Ranks the labels of `text` by each model (at most `limit` each). `exclude_id` (a publication
  // id) keeps that document out of the kNN vote, so a training document does not vote for
  // itself. `why`, when given, receives the neighbours and the heaviest terms.
  Result<Rankings> Rank(const std::string& text, size_t limit, const std::string& exclude_id = "",
                        Explanation* why = nullptr);

  // The held-out test documents stored with the model.
  Result<std::vector<Example>> HeldOut() const;

  struct Impl;

 private:
  explicit Classifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---- evaluation
// -----------------------------------------------------------------------------------

struct EvaluationRow {
  std::string model;  // "fasttext", "knn", "ensemble", "majority"
  Level level = Level::kSubclass;
  Metrics metrics;
};

struct Evaluation {
  std::string version;
  Level trained_level = Level::kSubclass;
  uint64_t training_documents = 0;
  uint64_t test_documents = 0;
  std::vector<EvaluationRow> rows;  // each model at each level up to trained_level
  // Mean CPU time (of the calling thread) of one suggestion's ranking and explanation over the
  // test documents; CPU rather than wall time, so a busy machine does not inflate it.
  double seconds_per_document = 0;
};

// Evaluates `classifier` on its held-out test documents at class level, subclass level and (for a
// main-group model) main-group level; coarser levels aggregate the finer rankings by summing
// scores (for the ensemble, a distribution, that sum is the coarser label's probability).
// FailedPrecondition when the model holds no test document.
Result<Evaluation> Evaluate(Classifier& classifier);

}  // namespace ipdx::classify
