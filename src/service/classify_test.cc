// Classification use-cases on a real node: training from the node's records plus the bundled
// labelled data (data/classify), suggestions with titles and reasons, evaluation, examiners'
// decisions and their use by the next training, and the errors for too little data.
#include "service/classify.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "service/ledger.h"
#include "service/node_test_util.h"

namespace ipdx::service {
namespace {

namespace fs = std::filesystem;

const fs::path kData = fs::path(IPDX_SOURCE_DIR) / "data" / "classify";

std::vector<model::Record> ReadRecords(const fs::path& path) {
  std::vector<model::Record> out;
  auto splitter = codec::DocumentSplitter::Open(path.string());
  EXPECT_TRUE(splitter.ok()) << splitter.status().ToString();
  if (!splitter.ok()) return out;
  for (;;) {
    auto next = (*splitter)->Next();
    EXPECT_TRUE(next.ok());
    if (!next.ok() || !next->has_value()) break;
    codec::Decoded d = codec::Decode(**next);
    if (d.record) out.push_back(*d.record);
  }
  return out;
}

class ClassifyServiceTest : public TempNodeTest {
 protected:
  void SetUp() override {
    TempNodeTest::SetUp();
    InitAndOpen();
  }
  // The 30 USPTO debug documents (title, abstract, CPC subclasses) as the node's own records.
  void PutDebugRecords() {
    std::vector<model::Record> records = ReadRecords(kData / "uspto_debug.jsonl");
    ASSERT_EQ(records.size(), 30u);
    for (model::Record& r : records) {
      ASSERT_TRUE(node_->store().PutRecord("US", &r).ok());
    }
  }
  ClassifierTrainOptions Options() {
    ClassifierTrainOptions o;
    o.extra_data = {(kData / "patentsberta_claims_cpc.jsonl").string(),
                    (kData / "mini_labelled_corpus.jsonl").string()};
    o.epochs = 10;
    return o;
  }
};

TEST_F(ClassifyServiceTest, TooLittleDataAndNoModelYet) {
  auto report = TrainClassifier(*node_, {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("too little data"), std::string::npos);
  EXPECT_NE(report.status().message().find("0 training"), std::string::npos);
  EXPECT_FALSE(fs::exists(fs::path(home_) / "models" / "CURRENT"));
  EXPECT_FALSE(fs::exists(fs::path(home_) / "models" / "v1"));

  // 30 documents are still too few (about 21 train, 4-5 validation).
  PutDebugRecords();
  report = TrainClassifier(*node_, {});
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("needed"), std::string::npos);

  SuggestRequest request;
  request.text = "a method for encrypting network packets";
  auto s = Suggest(*node_, request);
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("classifier train"), std::string::npos);
  EXPECT_EQ(EvaluateClassifier(*node_).status().code(), StatusCode::kFailedPrecondition);
  // Extra data that does not exist is an error, not silently nothing.
  ClassifierTrainOptions o;
  o.extra_data = {(root_ / "missing.jsonl").string()};
  EXPECT_EQ(TrainClassifier(*node_, o).status().code(), StatusCode::kNotFound);
}

TEST_F(ClassifyServiceTest, TrainSuggestEvaluateOnRealData) {
  PutDebugRecords();
  auto report = TrainClassifier(*node_, Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->manifest.version, "v1");
  EXPECT_EQ(report->data.node_records, 30u);
  EXPECT_EQ(report->data.node_examples, 30u);
  // 1,000 + 48 extra documents; a few of the mini corpus repeat an id or have no symbol.
  EXPECT_EQ(report->data.extra_documents + report->data.extra_unusable + report->data.duplicates,
            1048u);
  EXPECT_GE(report->data.extra_documents, 1040u);
  const classify::Manifest& m = report->manifest;
  EXPECT_EQ(m.training_documents + m.validation_documents + m.test_documents,
            30 + report->data.extra_documents);
  EXPECT_GT(m.training_documents, 700u);
  EXPECT_GT(m.labels, 200u);
  EXPECT_TRUE(fs::exists(fs::path(home_) / "models" / "v1" / "fasttext.bin"));
  auto current = CurrentClassifier(*node_);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->version, "v1");

  // A first claim about a wireless network is a G06F/H04L/H04W document.
  SuggestRequest request;
  request.text =
      "1. A method of transmitting data packets in a wireless communication network, comprising: "
      "receiving, by a base station, a request from a user equipment; allocating radio resources "
      "to the user equipment; and transmitting the data packets over the allocated channel.";
  auto s = Suggest(*node_, request);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->model_version, "v1");
  ASSERT_EQ(s->suggestions.size(), 5u);
  std::vector<std::string> top3;
  for (size_t i = 0; i < 3; ++i) top3.push_back(s->suggestions[i].symbol);
  EXPECT_TRUE(std::find(top3.begin(), top3.end(), "H04W") != top3.end() ||
              std::find(top3.begin(), top3.end(), "H04L") != top3.end())
      << top3[0] << " " << top3[1] << " " << top3[2];
  for (size_t i = 1; i < s->suggestions.size(); ++i) {
    EXPECT_GE(s->suggestions[i - 1].score, s->suggestions[i].score);
  }
  const auto h04 = std::find_if(s->suggestions.begin(), s->suggestions.end(),
                                [](const Suggestion& x) { return x.symbol == "H04W"; });
  if (h04 != s->suggestions.end()) {
    EXPECT_EQ(h04->title_en.substr(0, 26), "WIRELESS COMMUNICATION NET");
    EXPECT_FALSE(h04->title_fr.empty());
  }
  ASSERT_FALSE(s->reasons.neighbours.empty());
  EXPECT_FALSE(s->reasons.neighbours[0].symbols.empty());
  EXPECT_FALSE(s->reasons.terms.empty());

  // A record on the node: its current symbols are shown and it does not vote for itself.
  SuggestRequest by_id;
  by_id.id = "US-6981340-";
  auto r = Suggest(*node_, by_id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->current, std::vector<std::string>{"A43B"});
  for (const classify::Neighbour& n : r->reasons.neighbours) EXPECT_NE(n.id, "US-6981340-");
  by_id.id = "US-1-B1";
  EXPECT_EQ(Suggest(*node_, by_id).status().code(), StatusCode::kNotFound);
  SuggestRequest empty;
  EXPECT_EQ(Suggest(*node_, empty).status().code(), StatusCode::kInvalidArgument);

  auto ev = EvaluateClassifier(*node_);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(ev->test_documents, m.test_documents);
  ASSERT_EQ(ev->rows.size(), 8u);  // 4 models x class, subclass
  double ensemble3 = -1, majority3 = -1;
  for (const classify::EvaluationRow& row : ev->rows) {
    if (row.level != classify::Level::kSubclass) continue;
    if (row.model == "ensemble") ensemble3 = row.metrics.three_guesses;
    if (row.model == "majority") majority3 = row.metrics.three_guesses;
  }
  EXPECT_GT(ensemble3, majority3);
  EXPECT_GT(ensemble3, 0.3);
}

TEST_F(ClassifyServiceTest, DecisionsAreRecordedAndUsedByTheNextTraining) {
  PutDebugRecords();
  // Decisions before any model exist: recorded without a model version.
  DecisionInput accept{"US-6981340-", "B60R21/01", true, "E. Examiner"};
  auto row = Decide(*node_, accept);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->symbol, "B60R 21/01");  // normalised
  EXPECT_EQ(row->decision, "accept");
  EXPECT_EQ(row->by, "E. Examiner");
  EXPECT_TRUE(row->model_version.empty());
  EXPECT_FALSE(row->decided_at.empty());
  auto reject = Decide(*node_, {"US-6981340-", "A43B", false, "E. Examiner"});
  ASSERT_TRUE(reject.ok()) << reject.status().ToString();
  EXPECT_GT(reject->decision_id, row->decision_id);
  // The accepted symbol is a "classification confirmed" rights event in the node's log; the
  // rejection is not an event on the record.
  auto events = ListRightsEvents(*node_, "US-6981340-");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  ASSERT_TRUE((*events)[0].entry.event.has_value());
  EXPECT_EQ((*events)[0].entry.event->type, ledger::RightsEventType::kClassificationConfirmed);
  EXPECT_EQ((*events)[0].entry.event->parties, std::vector<std::string>{"E. Examiner"});
  EXPECT_NE((*events)[0].entry.event->details.find("B60R 21/01"), std::string::npos);

  EXPECT_EQ(Decide(*node_, {"US-1-B1", "A43B", true, "E"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Decide(*node_, {"US-6981340-", "not a symbol", true, "E"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Decide(*node_, {"US-6981340-", "A43B", true, " "}).status().code(),
            StatusCode::kInvalidArgument);

  auto listed = ListDecisions(*node_, "US-6981340-");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].symbol, "B60R 21/01");
  EXPECT_EQ((*listed)[1].decision, "reject");

  // The training data now labels the record with the accepted symbol, without the rejected one.
  auto data = CollectTrainingData(*node_, {});
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->confirmed_symbols, 1u);
  EXPECT_EQ(data->rejected_symbols, 1u);
  auto it = std::find_if(data->examples.begin(), data->examples.end(),
                         [](const classify::Example& e) { return e.record.Id() == "US-6981340-"; });
  ASSERT_NE(it, data->examples.end());
  EXPECT_EQ(it->symbols, std::vector<std::string>{"B60R 21/01"});
  EXPECT_FALSE(it->cpc);

  // A later decision overrides an earlier one on the same symbol.
  ASSERT_TRUE(Decide(*node_, {"US-6981340-", "A43B", true, "Second Examiner"}).ok());
  data = CollectTrainingData(*node_, {});
  ASSERT_TRUE(data.ok());
  it = std::find_if(data->examples.begin(), data->examples.end(),
                    [](const classify::Example& e) { return e.record.Id() == "US-6981340-"; });
  ASSERT_NE(it, data->examples.end());
  EXPECT_EQ(it->symbols, (std::vector<std::string>{"A43B", "B60R 21/01"}));

  // Training records the decisions in the manifest; the next decision names the model.
  auto report = TrainClassifier(*node_, Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->manifest.confirmed_symbols, 1u);
  auto decided = Decide(*node_, {"US-6981343-", "G09F", true, "E. Examiner"});
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  EXPECT_EQ(decided->model_version, "v1");
  EXPECT_GE(decided->score, 0.0);
  EXPECT_LE(decided->score, 1.0);
  // A second training makes v2 current; v1 stays on disk.
  auto second = TrainClassifier(*node_, Options());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->manifest.version, "v2");
  // G09F was already a label of US-6981343-: confirmed, nothing added.
  EXPECT_EQ(second->manifest.confirmed_symbols, 1u);
  EXPECT_TRUE(fs::exists(fs::path(home_) / "models" / "v1" / "manifest.tsv"));
  EXPECT_EQ(CurrentClassifier(*node_)->version, "v2");
}

// The current model is loaded once into the Node and reloaded only when CURRENT names another
// version, also when another Node (another process) trained it.
TEST_F(ClassifyServiceTest, TheCurrentModelStaysLoadedUntilAnotherVersionIsCurrent) {
  PutDebugRecords();
  ASSERT_TRUE(TrainClassifier(*node_, Options()).ok());
  SuggestRequest request;
  request.text = "A shoe sole with a cushioning insert of foamed polymer.";
  auto first = Suggest(*node_, request);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->model_version, "v1");
  const classify::Classifier* loaded = node_->classifier_slot().classifier.get();
  ASSERT_NE(loaded, nullptr);
  auto again = Suggest(*node_, request);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(node_->classifier_slot().classifier.get(), loaded) << "reloaded for a suggestion";
  ASSERT_EQ(again->suggestions.size(), first->suggestions.size());
  for (size_t i = 0; i < first->suggestions.size(); ++i) {
    EXPECT_EQ(again->suggestions[i].symbol, first->suggestions[i].symbol);
    EXPECT_EQ(again->suggestions[i].score, first->suggestions[i].score);
  }

  {
    auto other = Node::Open(home_);
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE(TrainClassifier(**other, Options()).ok());
  }
  auto second = Suggest(*node_, request);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->model_version, "v2");
  EXPECT_EQ(node_->classifier_slot().version, "v2");

  { std::ofstream(fs::path(home_) / "models" / "CURRENT", std::ios::trunc) << "v1\n"; }
  EXPECT_EQ(Suggest(*node_, request)->model_version, "v1");
  EXPECT_EQ(CurrentClassifier(*node_)->version, "v1");

  fs::remove_all(fs::path(home_) / "models");
  EXPECT_EQ(Suggest(*node_, request).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ipdx::service
