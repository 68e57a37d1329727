#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "codec/codec.h"
#include "service/node_test_util.h"
#include "service/service.h"

namespace ipdx::service {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBadFile = "ep-application-v1-4-A1-1-not-well-formed.xml";

// The record of the WIPO ST.96 example instance (US 8,936,998 B2), built by hand so the JSON lines
// tests do not depend on any XML reader.
model::Record ExampleRecord(const std::string& number) {
  model::Record r;
  r.office = "US";
  r.number = number;
  r.kind = "B2";
  r.publication_date = "2015-01-20";
  r.grant_date = "2015-01-20";
  r.language = "en";
  r.application = {"US", "13168776", "2011-06-24"};
  r.titles = {{"en", "Flash memory storage system and method for reading data"}};
  r.abstracts = {{"en", "A storage system that reads data from a flash memory device."}};
  r.claims = {{"en", {"A storage system comprising a flash memory."}}};
  r.applicants = {{"Samsung Electronics Co., Ltd.", "KR", ""}};
  r.inventors = {{"Kim, Jin-Hyuk", "KR", ""}};
  r.ipc = {"G06F 12/00"};
  r.cpc = {"G06F 12/0246"};
  return r;
}

class IngestTest : public TempNodeTest {
 protected:
  void SetUp() override {
    TempNodeTest::SetUp();
    fs::create_directories(root_ / "in");
    InitAndOpen();
  }

  // Copies the real fixtures into in/, nested, with a hidden file that ingest must skip.
  fs::path CopyFixtures() {
    fs::path in = root_ / "in" / "xml";
    fs::create_directories(in / "ep");
    for (const auto& e : fs::directory_iterator(kTestdata)) {
      if (e.path().extension() != ".xml") continue;
      const std::string name = e.path().filename().string();
      fs::copy_file(e.path(), (name.rfind("ep-", 0) == 0 ? in / "ep" : in) / name);
    }
    fs::copy_file(kTestdata / kBadFile, in / ".hidden-copy.xml");
    fs::create_directories(in / ".git");
    fs::copy_file(kTestdata / kBadFile, in / ".git" / "also-hidden.xml");
    return in;
  }

  void WriteJsonl(const fs::path& p, const std::vector<model::Record>& records) {
    std::ofstream f(p);
    for (const auto& r : records) f << codec::ToJson(r) << "\n";
  }

  // (id -> hash) of every current record.
  std::map<std::string, std::string> CurrentHashes() {
    std::map<std::string, std::string> out;
    std::string after;
    for (;;) {
      auto page = node_->store().ListRecords(after, 100);
      EXPECT_TRUE(page.ok());
      if (!page.ok() || page->empty()) break;
      for (const auto& r : *page) out[r.Id()] = r.hash;
      after = page->back().Id();
    }
    return out;
  }
};

TEST_F(IngestTest, RealFilesEveryDocumentIsARecordOrAReject) {
  fs::path in = CopyFixtures();
  IngestOptions opt;
  opt.paths = {in.string()};
  opt.threads = 2;
  int progress_calls = 0;
  IngestProgress last;
  opt.on_progress = [&](const IngestProgress& p) {
    ++progress_calls;
    last = p;
  };
  auto sum = Ingest(*node_, opt);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();

  // Four visible files of one document each; the hidden file and folder are skipped.
  EXPECT_EQ(sum->documents, 4u);
  EXPECT_EQ(sum->accepted + sum->updated + sum->unchanged + sum->rejected, sum->documents);
  EXPECT_GE(sum->rejected, 1u);
  bool bad_rejected = false;
  for (const RejectInfo& r : sum->rejects) {
    EXPECT_FALSE(r.rule.empty());
    EXPECT_FALSE(r.message.empty());
    EXPECT_EQ(r.file.find("/.hidden"), std::string::npos) << r.file;
    EXPECT_EQ(r.file.find("/.git/"), std::string::npos) << r.file;
    if (r.file == (in / "ep" / kBadFile).string()) bad_rejected = true;
  }
  EXPECT_TRUE(bad_rejected) << "the not-well-formed EP file must be rejected";
  uint64_t by_rule = 0;
  for (const auto& [rule, n] : sum->rejected_by_rule) by_rule += n;
  EXPECT_EQ(by_rule, sum->rejected);
  EXPECT_EQ(sum->bytes, fs::file_size(kTestdata / "us-application-v4-0-A1.xml") +
                            fs::file_size(kTestdata / "us-application-v4-5-A2.xml") +
                            fs::file_size(kTestdata / "ep-application-v1-5-A2.xml") +
                            fs::file_size(kTestdata / kBadFile));
  EXPECT_GE(progress_calls, 1);
  EXPECT_EQ(last.bytes_done, last.bytes_total);
  EXPECT_EQ(last.documents, 4u);

  EXPECT_EQ(*node_->store().CountRecords(), sum->accepted);
  auto runs = node_->store().ListRuns(10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].status, "finished");
  EXPECT_EQ((*runs)[0].documents, 4u);
  EXPECT_EQ((*runs)[0].accepted, sum->accepted);
  EXPECT_EQ((*runs)[0].rejected, sum->rejected);
  EXPECT_EQ((*runs)[0].inputs, in.string());

  // Stored records carry their provenance, ingest time and the content hash.
  for (const auto& [id, hash] : CurrentHashes()) {
    auto r = node_->store().GetRecord(id);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->hash, codec::ContentHash(*r)) << id;
    EXPECT_EQ(r->version, 1);
    EXPECT_EQ(r->source.file.rfind(in.string(), 0), 0u) << r->source.file;
    EXPECT_EQ(r->source.sha256.size(), 64u);
    EXPECT_EQ(r->source.ingested_at.size(), 20u) << r->source.ingested_at;
    for (const auto& f : r->findings) EXPECT_EQ(f.severity, model::Severity::kWarning);
  }

  // Again: nothing new, nothing duplicated.
  const auto before = CurrentHashes();
  auto again = Ingest(*node_, opt);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->documents, 4u);
  EXPECT_EQ(again->accepted, 0u);
  EXPECT_EQ(again->updated, 0u);
  EXPECT_EQ(again->unchanged, sum->accepted);
  EXPECT_EQ(again->rejected, sum->rejected);
  EXPECT_EQ(CurrentHashes(), before);
  auto rejects = node_->store().ListRejects(std::nullopt, 100);
  ASSERT_TRUE(rejects.ok());
  EXPECT_EQ(rejects->size(), sum->rejected);
  for (const auto& r : *rejects) EXPECT_EQ(r.run_id, again->run_id);
  for (const auto& [id, hash] : before) EXPECT_EQ(node_->store().ListVersions(id)->size(), 1u);
  EXPECT_TRUE(node_->store().CheckIntegrity().ok());
}

TEST_F(IngestTest, JsonLinesNewUnchangedUpdatedInInputOrder) {
  std::vector<model::Record> v1;
  for (int i = 0; i < 30; ++i) v1.push_back(ExampleRecord(std::to_string(8936000 + i)));
  WriteJsonl(root_ / "in" / "a.jsonl", v1);

  IngestOptions opt;
  opt.paths = {(root_ / "in" / "a.jsonl").string()};
  opt.batch_size = 7;  // several batches plus a partial one
  opt.threads = 3;
  auto first = Ingest(*node_, opt);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->documents, 30u);
  EXPECT_EQ(first->rejected, 0u) << (first->rejects.empty() ? ""
                                                            : first->rejects[0].rule + " " +
                                                                  first->rejects[0].message);
  EXPECT_EQ(first->accepted, 30u);
  EXPECT_EQ(*node_->store().CountRecords(), 30u);

  auto got = node_->store().GetRecord("US-8936007-B2");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->titles, v1[7].titles);
  EXPECT_EQ(got->applicants, v1[7].applicants);
  uint64_t offset_of_line_7 = 0;
  for (int i = 0; i < 7; ++i) offset_of_line_7 += codec::ToJson(v1[i]).size() + 1;
  EXPECT_EQ(got->source.offset, offset_of_line_7);
  EXPECT_EQ(got->source.file, (root_ / "in" / "a.jsonl").string());
  EXPECT_FALSE(got->source.ingested_at.empty());

  // Second file: record 3 changed, record 4 twice (two versions, in input order), rest same.
  std::vector<model::Record> v2 = v1;
  v2[3].titles[0].text = "Flash memory storage system (corrected)";
  model::Record four_b = v1[4];
  four_b.abstracts[0].text = "Second change of the abstract.";
  v2[4].abstracts[0].text = "First change of the abstract.";
  v2.push_back(four_b);
  WriteJsonl(root_ / "in" / "b.jsonl", v2);
  opt.paths = {(root_ / "in" / "b.jsonl").string()};
  auto second = Ingest(*node_, opt);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->documents, 31u);
  EXPECT_EQ(second->accepted, 0u);
  EXPECT_EQ(second->updated, 3u);
  EXPECT_EQ(second->unchanged, 28u);

  auto three = node_->store().GetRecord("US-8936003-B2");
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->version, 2);
  EXPECT_EQ(three->titles[0].text, "Flash memory storage system (corrected)");
  auto versions = node_->store().ListVersions("US-8936004-B2");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ(node_->store().GetRecord("US-8936004-B2", 2)->abstracts[0].text,
            "First change of the abstract.");
  EXPECT_EQ(node_->store().GetRecord("US-8936004-B2")->abstracts[0].text,
            "Second change of the abstract.");
  EXPECT_TRUE(node_->store().CheckIntegrity().ok());
}

TEST_F(IngestTest, ThreadCountAndBatchSizeDoNotChangeTheResult) {
  std::vector<model::Record> recs;
  for (int i = 0; i < 60; ++i) {
    model::Record r = ExampleRecord(std::to_string(9100000 + i % 45));  // 15 ids twice
    r.abstracts[0].text += " Variant " + std::to_string(i);
    recs.push_back(r);
  }
  WriteJsonl(root_ / "in" / "x.jsonl", recs);
  IngestOptions opt;
  opt.paths = {(root_ / "in" / "x.jsonl").string()};
  opt.threads = 1;
  opt.batch_size = 1;
  ASSERT_TRUE(Ingest(*node_, opt).ok());
  const auto serial = CurrentHashes();

  // A second node, many threads, one big batch.
  const std::string home2 = (root_ / "node2").string();
  ASSERT_TRUE(Node::Init(home2, {"US"}).ok());
  auto node2 = Node::Open(home2);
  ASSERT_TRUE(node2.ok());
  opt.threads = 8;
  opt.batch_size = 1000;
  auto sum = Ingest(**node2, opt);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->accepted, 45u);
  EXPECT_EQ(sum->updated, 15u);
  node_ = std::move(node2).value();
  EXPECT_EQ(CurrentHashes(), serial);
  EXPECT_EQ(serial.size(), 45u);
}

TEST_F(IngestTest, MissingPathIsNotFoundBeforeAnythingIsWritten) {
  std::vector<model::Record> recs = {ExampleRecord("8936998")};
  WriteJsonl(root_ / "in" / "ok.jsonl", recs);
  IngestOptions opt;
  opt.paths = {(root_ / "in" / "ok.jsonl").string(), (root_ / "in" / "missing.xml").string()};
  auto sum = Ingest(*node_, opt);
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.status().code(), StatusCode::kNotFound);
  EXPECT_NE(sum.status().message().find("missing.xml"), std::string::npos);
  EXPECT_EQ(*node_->store().CountRecords(), 0u);
  EXPECT_TRUE(node_->store().ListRuns(10)->empty());

  opt.paths.clear();
  EXPECT_EQ(Ingest(*node_, opt).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(IngestTest, UnreadableInputFailsTheRunButKeepsWhatCameBefore) {
  std::vector<model::Record> recs;
  for (int i = 0; i < 5; ++i) recs.push_back(ExampleRecord(std::to_string(8700000 + i)));
  WriteJsonl(root_ / "in" / "a.jsonl", recs);
  // Sorted after a.jsonl: a .zip that is not an archive.
  std::ofstream(root_ / "in" / "b.zip") << "PK this is not a zip archive at all";
  IngestOptions opt;
  opt.paths = {(root_ / "in").string()};
  opt.batch_size = 2;
  auto sum = Ingest(*node_, opt);
  ASSERT_FALSE(sum.ok());
  EXPECT_NE(sum.status().message().find("b.zip"), std::string::npos) << sum.status().ToString();
  EXPECT_EQ(*node_->store().CountRecords(), 5u);
  auto runs = node_->store().ListRuns(1);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].status, "failed");
  EXPECT_EQ((*runs)[0].documents, 5u);
  EXPECT_EQ((*runs)[0].accepted, 5u);
  EXPECT_FALSE((*runs)[0].finished_at.empty());
  EXPECT_TRUE(node_->store().CheckIntegrity().ok());
}

TEST_F(IngestTest, ExportWritesEveryCurrentRecordAtomically) {
  std::vector<model::Record> recs;
  for (int i = 0; i < 12; ++i) recs.push_back(ExampleRecord(std::to_string(8800000 + i)));
  WriteJsonl(root_ / "in" / "e.jsonl", recs);
  IngestOptions opt;
  opt.paths = {(root_ / "in" / "e.jsonl").string()};
  auto sum = Ingest(*node_, opt);
  ASSERT_TRUE(sum.ok());
  ASSERT_EQ(sum->accepted, 12u);

  const fs::path out = root_ / "out" / "json";
  auto ex = Export(*node_, ExportFormat::kJson, out.string());
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  EXPECT_EQ(ex->records, 12u);
  EXPECT_EQ(ex->out_dir, out.string());
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(out)) {
    ++files;
    const std::string name = e.path().filename().string();
    ASSERT_EQ(e.path().extension(), ".json") << name;
    std::ifstream f(e.path());
    std::stringstream ss;
    ss << f.rdbuf();
    auto rec = codec::FromJson(ss.str());
    ASSERT_TRUE(rec.ok()) << name << ": " << rec.status().ToString();
    EXPECT_EQ(rec->Id() + ".json", name);
    EXPECT_EQ(rec->hash, codec::ContentHash(*rec));
    EXPECT_EQ(rec->version, 1);
  }
  EXPECT_EQ(files, 12u);

  const fs::path xml = root_ / "out" / "xml";
  auto ex2 = Export(*node_, ExportFormat::kSt96, xml.string());
  ASSERT_TRUE(ex2.ok()) << ex2.status().ToString();
  EXPECT_EQ(ex2->records, 12u);
  std::ifstream f(xml / "US-8800003-B2.xml");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_NE(ss.str().find("PatentPublication"), std::string::npos);
  EXPECT_NE(ss.str().find("8800003"), std::string::npos);

  // Export into a path that is a file fails cleanly.
  std::ofstream(root_ / "plainfile") << "x";
  EXPECT_FALSE(Export(*node_, ExportFormat::kJson, (root_ / "plainfile").string()).ok());
}

}  // namespace
}  // namespace ipdx::service
