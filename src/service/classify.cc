// Classification use-cases: the model folders of a node, training data (records, decisions,
// extra files), suggestions and examiners' decisions.
#include "service/classify.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "codec/codec.h"
#include "common/clock.h"
#include "model/model.h"
#include "service/file_util.h"
#include "service/ledger.h"

namespace ipdx::service {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModelsDir = "models";
constexpr const char* kCurrentFile = "CURRENT";
constexpr size_t kPageSize = 500;

fs::path ModelsDir(const Node& node) { return fs::path(node.home()) / kModelsDir; }

Result<std::unique_ptr<store::DecisionStore>> OpenDecisions(const Node& node) {
  return store::DecisionStore::OpenSqlite(node.store_path());
}

// The version named by HOME/models/CURRENT; FailedPrecondition when none.
Result<std::string> CurrentVersion(const Node& node) {
  const fs::path path = ModelsDir(node) / kCurrentFile;
  std::ifstream in(path);
  std::string version;
  if (!in || !std::getline(in, version) || version.empty()) {
    return Status::FailedPrecondition(
        "no classifier is trained on this node; run ipdx classifier "
        "train");
  }
  if (version.find('/') != std::string::npos || version.front() == '.') {
    return Status::Corruption(path.string() + " names '" + version + "', not a model version");
  }
  return version;
}

Result<std::unique_ptr<classify::Classifier>> LoadVersion(const Node& node,
                                                          const std::string& version) {
  Result<std::unique_ptr<classify::Classifier>> c =
      classify::Classifier::Load((ModelsDir(node) / version).string());
  if (!c.ok() && c.status().code() == StatusCode::kNotFound) {
    return Status::Corruption("the current classifier " + version + " is missing from " +
                              ModelsDir(node).string() + "; train again");
  }
  return c;
}

// The current model, from the node's slot: loaded on first use and again whenever CURRENT names
// another version (a training run by this or another process). Loading a model (fastText matrices,
// the kNN index, the label table) costs far more than a suggestion, so it is never done per call.
Result<classify::Classifier*> CurrentModel(Node& node) {
  IPDX_ASSIGN_OR_RETURN(std::string version, CurrentVersion(node));
  // The manifest's modification time tells a folder of the same name trained again (after the
  // models folder was deleted) from the one loaded.
  std::error_code ec;
  const fs::file_time_type written =
      fs::last_write_time(ModelsDir(node) / version / "manifest.tsv", ec);
  const int64_t written_ns = ec ? -1 : static_cast<int64_t>(written.time_since_epoch().count());
  ClassifierSlot& slot = node.classifier_slot();
  if (slot.classifier == nullptr || slot.version != version ||
      slot.manifest_written != written_ns) {
    slot.classifier.reset();
    slot.version.clear();
    IPDX_ASSIGN_OR_RETURN(slot.classifier, LoadVersion(node, version));
    slot.version = version;
    slot.manifest_written = written_ns;
  }
  return slot.classifier.get();
}

// "v1", "v2", ...: one more than the highest existing version.
std::string NextVersion(const Node& node) {
  int highest = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ModelsDir(node), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 2 || name[0] != 'v') continue;
    if (!std::all_of(name.begin() + 1, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    highest = std::max(highest, std::atoi(name.c_str() + 1));
  }
  return "v" + std::to_string(highest + 1);
}

// Accepts "A61K", "A61K 31/00", "A61K31/4439", ...
Result<std::string> NormalizeDecisionSymbol(const std::string& raw) {
  if (raw.size() == 4 && classify::Truncate(raw, classify::Level::kSubclass) == raw) return raw;
  Result<std::string> s = model::NormalizeIpcSymbol(raw);
  if (!s.ok())
    return Status::InvalidArgument("'" + raw + "' is not an IPC symbol: " + s.status().message());
  return s;
}

// The decisions in force: the latest per (id, symbol).
std::map<std::string, std::map<std::string, bool>> DecisionsInForce(
    const std::vector<store::DecisionRow>& rows) {
  std::map<std::string, std::map<std::string, bool>> out;
  for (const store::DecisionRow& row : rows) out[row.id][row.symbol] = row.decision == "accept";
  return out;
}

// A rejected symbol removes the record's symbols under it ("A61K" removes "A61K 31/00").
bool Covers(const std::string& rejected, const std::string& symbol) {
  if (symbol == rejected) return true;
  if (rejected.size() == 4)
    return classify::Truncate(symbol, classify::Level::kSubclass) == rejected;
  if (rejected.ends_with("/00")) {
    return classify::Truncate(symbol, classify::Level::kMainGroup) == rejected;
  }
  return false;
}

Status ReadExtra(const std::string& path, const std::unordered_set<std::string>& node_ids,
                 std::set<std::string>* seen, TrainingData* data) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status::NotFound("no extra data file " + path);
  IPDX_ASSIGN_OR_RETURN(std::unique_ptr<codec::DocumentSplitter> splitter,
                        codec::DocumentSplitter::Open(path));
  for (;;) {
    Result<std::optional<codec::RawDocument>> next = splitter->Next();
    if (!next.ok()) return next.status().WithContext(path);
    if (!next->has_value()) break;
    codec::Decoded decoded = codec::Decode(**next);
    bool error = false;
    for (const model::Finding& f : decoded.findings) error |= f.severity == model::Severity::kError;
    if (!decoded.record || error) {
      ++data->extra_unusable;
      continue;
    }
    const std::string id = decoded.record->Id();
    if (node_ids.count(id) > 0 || !seen->insert(id).second) {
      ++data->duplicates;
      continue;
    }
    std::optional<classify::Example> ex = classify::ExampleFromRecord(*decoded.record);
    if (!ex) {
      ++data->extra_unusable;
      continue;
    }
    data->examples.push_back(std::move(*ex));
    ++data->extra_documents;
  }
  return Status::Ok();
}

}  // namespace

Result<TrainingData> CollectTrainingData(Node& node, const std::vector<std::string>& extra_data,
                                         const std::function<void(double)>& on_progress) {
  TrainingData data;
  IPDX_ASSIGN_OR_RETURN(std::unique_ptr<store::DecisionStore> decisions, OpenDecisions(node));
  IPDX_ASSIGN_OR_RETURN(std::vector<store::DecisionRow> rows, decisions->ListDecisions(""));
  const auto in_force = DecisionsInForce(rows);
  IPDX_ASSIGN_OR_RETURN(uint64_t total, node.store().CountRecords());
  std::unordered_set<std::string> node_ids;
  std::string after;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(std::vector<model::Record> page,
                          node.store().ListRecords(after, kPageSize));
    if (page.empty()) break;
    after = page.back().Id();
    for (model::Record& record : page) {
      ++data.node_records;
      node_ids.insert(record.Id());
      auto it = in_force.find(record.Id());
      if (it != in_force.end()) {
        // Labels = (IPC, else CPC) without the rejected symbols, then the accepted ones.
        std::vector<std::string> symbols = record.ipc.empty() ? record.cpc : record.ipc;
        for (const auto& [symbol, accepted] : it->second) {
          if (accepted) continue;
          const size_t before = symbols.size();
          std::erase_if(symbols, [&](const std::string& s) { return Covers(symbol, s); });
          data.rejected_symbols += before - symbols.size();
        }
        for (const auto& [symbol, accepted] : it->second) {
          if (!accepted || std::find(symbols.begin(), symbols.end(), symbol) != symbols.end()) {
            continue;
          }
          symbols.push_back(symbol);
          ++data.confirmed_symbols;
        }
        record.ipc = std::move(symbols);
        record.cpc.clear();
      }
      std::optional<classify::Example> ex = classify::ExampleFromRecord(record);
      if (!ex) continue;
      data.examples.push_back(std::move(*ex));
      ++data.node_examples;
    }
    if (on_progress && total > 0) {
      on_progress(static_cast<double>(data.node_records) / static_cast<double>(total));
    }
  }
  std::set<std::string> seen;
  for (const std::string& path : extra_data) {
    IPDX_RETURN_IF_ERROR(ReadExtra(path, node_ids, &seen, &data));
  }
  return data;
}

Result<ClassifierTrainReport> TrainClassifier(Node& node, const ClassifierTrainOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  IPDX_ASSIGN_OR_RETURN(TrainingData data,
                        CollectTrainingData(node, options.extra_data, [&options](double f) {
                          if (options.on_progress) options.on_progress("reading", f);
                        }));
  ClassifierTrainReport report;
  classify::Split split = classify::SplitExamples(std::move(data.examples), options.level);
  data.examples.clear();
  report.data = std::move(data);

  std::error_code ec;
  fs::create_directories(ModelsDir(node), ec);
  if (ec) return Status::IOError("cannot create " + ModelsDir(node).string() + ": " + ec.message());
  const std::string version = NextVersion(node);
  const fs::path tmp = ModelsDir(node) / (".tmp-" + version);
  const fs::path dir = ModelsDir(node) / version;
  fs::remove_all(tmp, ec);  // left by a killed training

  classify::TrainOptions train;
  train.level = options.level;
  train.seed = options.seed;
  train.threads = options.threads;
  train.epochs = options.epochs;
  train.on_progress = options.on_progress;
  train.confirmed_symbols = report.data.confirmed_symbols;
  std::string notes = "node records " + std::to_string(report.data.node_examples) +
                      ", extra documents " + std::to_string(report.data.extra_documents);
  for (const std::string& path : options.extra_data) notes += " (" + path + ")";
  {
    Result<std::unique_ptr<classify::Classifier>> c =
        classify::Classifier::Train(split, train, tmp.string(), version, notes);
    if (!c.ok()) {
      fs::remove_all(tmp, ec);
      return c.status();
    }
    report.manifest = (*c)->manifest();
  }  // closes the model before its folder is renamed
  fs::rename(tmp, dir, ec);
  if (ec) return Status::IOError("cannot rename " + tmp.string() + ": " + ec.message());
  // CURRENT switches atomically (write, then rename over the old file).
  const fs::path current = ModelsDir(node) / kCurrentFile;
  const fs::path current_tmp = ModelsDir(node) / (std::string(kCurrentFile) + ".tmp");
  {
    std::ofstream out(current_tmp, std::ios::trunc);
    out << version << "\n";
    out.flush();
    if (!out) return Status::IOError("cannot write " + current_tmp.string());
  }
  fs::rename(current_tmp, current, ec);
  if (ec) return Status::IOError("cannot rename " + current_tmp.string() + ": " + ec.message());
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

Result<classify::Manifest> CurrentClassifier(Node& node) {
  IPDX_ASSIGN_OR_RETURN(classify::Classifier * c, CurrentModel(node));
  return c->manifest();
}

Result<classify::Evaluation> EvaluateClassifier(Node& node) {
  IPDX_ASSIGN_OR_RETURN(classify::Classifier * c, CurrentModel(node));
  return classify::Evaluate(*c);
}

Result<SuggestResponse> Suggest(Node& node, const SuggestRequest& request) {
  SuggestResponse response;
  std::string text;
  if (!request.id.empty()) {
    IPDX_ASSIGN_OR_RETURN(model::Record record, node.store().GetRecord(request.id));
    response.id = record.Id();
    response.current = record.ipc.empty() ? record.cpc : record.ipc;
    text = classify::ExampleText(record);
    if (text.empty()) {
      return Status::InvalidArgument(request.id + " has no title, abstract or claims to classify");
    }
  } else if (!request.file.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(request.file, ec)) return Status::NotFound("no file " + request.file);
    // An office document or record JSON: its title, abstract and claims; anything else: text.
    IPDX_ASSIGN_OR_RETURN(std::unique_ptr<codec::DocumentSplitter> splitter,
                          codec::DocumentSplitter::Open(request.file));
    Result<std::optional<codec::RawDocument>> raw = splitter->Next();
    if (raw.ok() && raw->has_value()) {
      codec::Decoded decoded = codec::Decode(**raw);
      if (decoded.record) text = classify::ExampleText(*decoded.record);
    }
    if (text.empty()) {
      std::ifstream in(request.file, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    }
  } else {
    text = request.text;
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("nothing to classify: give a record id, a text or a file");
  }
  IPDX_ASSIGN_OR_RETURN(classify::Classifier * c, CurrentModel(node));
  response.model_version = c->manifest().version;
  response.level = c->manifest().level;
  IPDX_ASSIGN_OR_RETURN(classify::Rankings r, c->Rank(text, std::max<size_t>(request.limit, 50),
                                                      response.id, &response.reasons));
  std::map<std::string, double> ft, knn;
  for (const classify::Scored& s : r.fasttext) ft[s.label] = s.score;
  for (const classify::Scored& s : r.knn) knn[s.label] = s.score;
  for (const classify::Scored& s : r.ensemble) {
    if (response.suggestions.size() >= request.limit) break;
    Suggestion out;
    out.symbol = s.label;
    out.score = s.score;
    out.fasttext = ft.count(s.label) ? ft[s.label] : 0;
    out.knn = knn.count(s.label) ? knn[s.label] : 0;
    classify::Titles titles = classify::TitleOf(s.label);
    out.title_en = std::move(titles.en);
    out.title_fr = std::move(titles.fr);
    response.suggestions.push_back(std::move(out));
  }
  if (response.reasons.neighbours.size() > 5) response.reasons.neighbours.resize(5);
  return response;
}

Result<store::DecisionRow> Decide(Node& node, const DecisionInput& input) {
  if (input.by.find_first_not_of(" \t") == std::string::npos) {
    return Status::InvalidArgument("a decision needs the examiner's name (--by NAME)");
  }
  IPDX_ASSIGN_OR_RETURN(std::string symbol, NormalizeDecisionSymbol(input.symbol));
  IPDX_ASSIGN_OR_RETURN(model::Record record, node.store().GetRecord(input.id));
  store::DecisionRow row;
  row.id = record.Id();
  row.symbol = symbol;
  row.decision = input.accept ? "accept" : "reject";
  row.by = input.by;
  // The suggestion decided on, when a model is trained and suggests the symbol.
  if (Result<classify::Classifier*> c = CurrentModel(node); c.ok()) {
    row.model_version = (*c)->manifest().version;
    const std::string label = classify::Truncate(symbol, (*c)->manifest().level);
    Result<classify::Rankings> r = (*c)->Rank(classify::ExampleText(record), 1000, row.id);
    if (r.ok() && !label.empty()) {
      for (const classify::Scored& s : r->ensemble) {
        if (s.label == label) row.score = s.score;
      }
    }
  }
  if (input.accept) {
    // An accepted symbol is a decision on the record: it goes into the node's transparency log
    // as a "classification confirmed" rights event (ST.27 P22), then into the decisions table
    // that later training reads.
    RightsEventInput event;
    event.id = row.id;
    event.type = "classification-confirmed";
    event.effective_date = NowUtcIso8601().substr(0, 10);  // YYYY-MM-DD
    event.parties = {input.by};
    event.details = "IPC " + symbol + " accepted" +
                    (row.model_version.empty() ? std::string()
                                               : " (suggested by model " + row.model_version + ")");
    IPDX_ASSIGN_OR_RETURN(AddedEvents added, AddRightsEvents(node, std::span(&event, 1)));
    (void)added;
  }
  IPDX_ASSIGN_OR_RETURN(std::unique_ptr<store::DecisionStore> decisions, OpenDecisions(node));
  IPDX_ASSIGN_OR_RETURN(row.decision_id, decisions->PutDecision(row));
  IPDX_ASSIGN_OR_RETURN(std::vector<store::DecisionRow> rows, decisions->ListDecisions(row.id));
  for (const store::DecisionRow& r : rows) {
    if (r.decision_id == row.decision_id) return r;
  }
  return row;
}

Result<std::vector<store::DecisionRow>> ListDecisions(Node& node, const std::string& id) {
  IPDX_ASSIGN_OR_RETURN(std::unique_ptr<store::DecisionStore> decisions, OpenDecisions(node));
  return decisions->ListDecisions(id);
}

}  // namespace ipdx::service
