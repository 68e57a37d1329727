#pragma once
// ipdx::service classification use-cases: train, evaluate, suggest and decide, shared by the CLI
// and the HTTP API (docs/classification.md).
//
// Models live in HOME/models/<version>/ ("v1", "v2", ...; classify::Classifier folders); the file
// HOME/models/CURRENT names the one in use. Training writes a new version next to the old ones
// (HOME/models/.tmp-<version> renamed when complete) and switches CURRENT only when it succeeded,
// so a failed or killed training leaves the current model in use. Each suggestion names the model
// version that made it. The current model stays loaded in the Node (ClassifierSlot in service.h):
// the first use loads it, and every later call only reads CURRENT (and the manifest's time) to
// load it again when another version became current.
//
// Examiners decide on suggestions: each decision (accept or reject a symbol for a record, with
// the examiner's name) is appended to the store's classification_decisions table; the next
// training uses the decisions in force (the latest per record and symbol): accepted symbols are
// added to the record's labels, rejected ones removed.
//
// Threads: the functions take a Node, which is externally synchronised (one thread at a time).
//
// Errors: FailedPrecondition when there is too little data to train (with what is needed) or no
// model has been trained yet ("run ipdx classifier train"); NotFound for an unknown record;
// InvalidArgument for a malformed symbol, an empty text or examiner name; IOError, Corruption
// from the files and the store.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "classify/classify.h"
#include "service/service.h"
#include "store/store.h"

namespace ipdx::service {

struct ClassifierTrainOptions {
  classify::Level level = classify::Level::kSubclass;
  // Labelled documents besides the node's records, read through the codec like ingest input
  // (ipdx record JSON lines such as data/classify/*.jsonl, or office XML). Not stored.
  std::vector<std::string> extra_data;
  int seed = classify::kDefaultSeed;
  int threads = 1;  // fastText threads; 1 makes training reproducible
  int epochs = 25;
  // Stage ("reading", "fasttext", "knn", "validation") and fraction done.
  std::function<void(std::string_view stage, double fraction)> on_progress;
};

// Where the labelled documents came from.
struct TrainingData {
  std::vector<classify::Example> examples;
  uint64_t node_records = 0;       // records on the node
  uint64_t node_examples = 0;      // of which classified (IPC, CPC or a confirmed symbol)
  uint64_t extra_documents = 0;    // documents read from extra_data and used
  uint64_t extra_unusable = 0;     // extra documents rejected by the codec or without symbols
  uint64_t duplicates = 0;         // extra documents whose id the node already holds (skipped)
  uint64_t confirmed_symbols = 0;  // accepted symbols added to labels by decisions
  uint64_t rejected_symbols = 0;   // symbols removed from labels by decisions
};

// Collects the labelled documents of a training run: the node's records with the decisions in
// force applied, then the extra data (the node's copy wins for a publication id it holds).
Result<TrainingData> CollectTrainingData(Node& node, const std::vector<std::string>& extra_data,
                                         const std::function<void(double)>& on_progress = {});

struct ClassifierTrainReport {
  classify::Manifest manifest;  // of the new model, now current
  TrainingData data;            // without the examples
  double seconds = 0;
};

// Trains a new model version from the node's records, the decisions and the extra data, and makes
// it current. FailedPrecondition (naming what is needed) when there is too little data.
Result<ClassifierTrainReport> TrainClassifier(Node& node, const ClassifierTrainOptions& options);

// The current model's manifest. FailedPrecondition when none is trained.
Result<classify::Manifest> CurrentClassifier(Node& node);

// Evaluates the current model on its held-out documents (classify::Evaluate).
Result<classify::Evaluation> EvaluateClassifier(Node& node);

struct SuggestRequest {
  std::string id;    // a record on the node; or
  std::string text;  // free text (a claim, an abstract); or
  std::string file;  // a file: an office document or ipdx JSON read through the codec, else text
  size_t limit = 5;  // suggestions returned
};

struct Suggestion {
  std::string symbol;   // at the model's level: "A61K" or "A61K 31/00"
  double score = 0;     // calibrated probability that the symbol is one of the document's
  double fasttext = 0;  // the fastText one-vs-all probability
  double knn = 0;       // the kNN vote share
  std::string title_en;
  std::string title_fr;
};

struct SuggestResponse {
  std::string model_version;
  classify::Level level = classify::Level::kSubclass;
  std::string id;                    // the record's id when suggested for one
  std::vector<std::string> current;  // the record's IPC (else CPC) symbols, when an id was given
  std::vector<Suggestion> suggestions;
  classify::Explanation reasons;  // similar classified documents and the heaviest terms
};

// Suggests symbols for a record, a text or a file with the current model. A record on the node
// never votes for itself. FailedPrecondition when no model is trained, NotFound for an unknown id,
// InvalidArgument when the request names nothing or the text is empty.
Result<SuggestResponse> Suggest(Node& node, const SuggestRequest& request);

struct DecisionInput {
  std::string id;      // a record on the node
  std::string symbol;  // IPC symbol in any common spelling, or a bare subclass "A61K"
  bool accept = true;
  std::string by;  // examiner
};

// Records an examiner's decision (store::DecisionStore) with the current model's version and its
// score for the symbol when the model suggests it. NotFound for an unknown record,
// InvalidArgument for a malformed symbol or an empty examiner name.
Result<store::DecisionRow> Decide(Node& node, const DecisionInput& input);

// The decisions on a record (empty id: all), oldest first.
Result<std::vector<store::DecisionRow>> ListDecisions(Node& node, const std::string& id);

}  // namespace ipdx::service
