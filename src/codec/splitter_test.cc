#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "codec/splitter_internal.h"

namespace ipdx::codec {
namespace {

namespace fs = std::filesystem;
const std::string kSample = std::string(IPDX_SOURCE_DIR) + "/data/sample/";

std::vector<RawDocument> SplitAll(const std::string& path) {
  auto s = DocumentSplitter::Open(path);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  std::vector<RawDocument> docs;
  if (!s.ok()) return docs;
  for (;;) {
    auto next = (*s)->Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !next->has_value()) break;
    docs.push_back(std::move(**next));
  }
  EXPECT_EQ((*s)->bytes_done(), (*s)->bytes_total());
  return docs;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ipdx-splitter-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  fs::path dir_;
};

TEST(Splitter, ConcatenatedUsptoFileWithIndentedDeclaration) {
  std::string path = kSample + "uspto/mpi-test-concatenated.xml";
  std::string all = ReadFile(path);
  std::vector<RawDocument> docs = SplitAll(path);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].offset, 0u);
  EXPECT_TRUE(docs[0].bytes.starts_with("<?xml"));
  EXPECT_TRUE(docs[1].bytes.starts_with("<?xml"));
  // The second declaration is indented: the offset is that of "<?xml" itself.
  EXPECT_EQ(all.compare(docs[1].offset, 5, "<?xml"), 0);
  EXPECT_NE(docs[0].bytes.find("US11147202"), std::string::npos);
  EXPECT_EQ(docs[0].bytes.find("<?xml", 1), std::string::npos);
  EXPECT_EQ(docs[0].file, path);
  EXPECT_EQ(docs[1].hint, "");
}

TEST(Splitter, DocdbBulkFileYieldsEachExchangeDocumentRewrapped) {
  std::vector<RawDocument> docs = SplitAll(kSample + "docdb/DE-backfile.xml");
  // The header says no-of-documents="0018626"; the file holds 10 (pitfall 14).
  ASSERT_EQ(docs.size(), 10u);
  for (const RawDocument& d : docs) {
    EXPECT_TRUE(d.bytes.starts_with("<exch:exchange-document ")) << d.bytes.substr(0, 80);
    EXPECT_NE(d.bytes.substr(0, 400).find("xmlns:exch=\"http://www.epo.org/exchange\""),
              std::string::npos);
    EXPECT_TRUE(d.bytes.ends_with("</exch:exchange-document>"));
    EXPECT_EQ(d.hint, internal::kDocdbBulkHint);
  }
  std::string all = ReadFile(kSample + "docdb/DE-backfile.xml");
  EXPECT_EQ(all.compare(docs[3].offset, 24, "<exch:exchange-document "), 0);
}

TEST(Splitter, SingleDocdbFragmentGetsTheExchNamespace) {
  std::vector<RawDocument> docs = SplitAll(kSample + "docdb/YU-6701-A_381353354.xml");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_TRUE(docs[0].bytes.starts_with(
      "<exch:exchange-document xmlns:exch=\"http://www.epo.org/exchange\" country=\"YU\""));
}

TEST(Splitter, OpsResponses) {
  std::vector<RawDocument> docs = SplitAll(kSample + "epo/ops/published_test_biblio_example.xml");
  ASSERT_GE(docs.size(), 1u);
  // OPS uses a default namespace on the wrapper: it is carried into each document.
  EXPECT_TRUE(docs[0].bytes.starts_with("<exchange-document"));
  EXPECT_NE(docs[0].bytes.substr(0, 300).find("xmlns=\"http://www.epo.org/exchange\""),
            std::string::npos);
  // A legal-status response has no exchange-document: it comes through whole.
  docs = SplitAll(kSample + "epo/ops/legal_fixtures_example_1.xml");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_NE(docs[0].bytes.find("ops:world-patent-data"), std::string::npos);
}

TEST_F(TempDir, BomNoDeclarationEmptyAndBinary) {
  auto docs = SplitAll(Write("bom.xml", "\xEF\xBB\xBF<a>x</a>\n"));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].bytes, "<a>x</a>\n");
  EXPECT_EQ(docs[0].offset, 3u);
  docs = SplitAll(Write("empty.xml", ""));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].bytes, "");
  docs = SplitAll(Write("bin.dat", std::string("\x00\x01\xff\xfe garbage", 12)));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].bytes.size(), 12u);
}

TEST_F(TempDir, TruncatedLastDocumentYieldsPartialBytes) {
  std::string a = "<?xml version=\"1.0\"?>\n<a>one</a>\n";
  std::string b = "<?xml version=\"1.0\"?>\n<a>tw";
  auto docs = SplitAll(Write("t.xml", a + b));
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].bytes, a);
  EXPECT_EQ(docs[1].bytes, b);
  EXPECT_EQ(docs[1].offset, a.size());
}

TEST_F(TempDir, XmlStylesheetIsNotABoundary) {
  std::string doc = "<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"x.xsl\"?>\n<a/>\n";
  auto docs = SplitAll(Write("s.xml", doc));
  ASSERT_EQ(docs.size(), 1u);
}

TEST_F(TempDir, JsonLines) {
  auto docs = SplitAll(Write("r.jsonl", "{\"a\":1}\n\n  {\"b\":2}\r\n{\"c\":3}"));
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[1].bytes, "{\"b\":2}");
  EXPECT_EQ(docs[1].offset, 11u);
  EXPECT_EQ(docs[2].hint, "jsonl");
}

TEST_F(TempDir, PrettyPrintedJsonFileIsOneDocument) {
  std::string pretty = "{\n  \"id\": \"US-1-B1\",\n  \"titles\": [\n    {}\n  ]\n}\n";
  auto docs = SplitAll(Write("US-1-B1.json", pretty));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].offset, 0u);
  EXPECT_EQ(docs[0].bytes.substr(0, 3), "{\n ");
  // The same bytes named .jsonl are JSON lines (and then malformed, line by line).
  EXPECT_GT(SplitAll(Write("x.jsonl", pretty)).size(), 1u);
}

TEST_F(TempDir, OversizeDocumentIsSkippedNotBuffered) {
  std::string path = (dir_ / "big.xml").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "<?xml version=\"1.0\"?>\n<a>small</a>\n<?xml version=\"1.0\"?>\n<big>";
    std::string chunk(1 << 20, 'x');
    for (uint64_t i = 0; i < (kMaxDocumentBytes >> 20) + 2; ++i) out << chunk;
    out << "</big>\n<?xml version=\"1.0\"?>\n<a>after</a>\n";
  }
  auto docs = SplitAll(path);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].hint, "");
  EXPECT_TRUE(docs[1].hint.starts_with(internal::kOversizeHintPrefix));
  EXPECT_LE(docs[1].bytes.size(), internal::kOversizePrefixBytes);
  EXPECT_EQ(std::stoull(docs[1].hint.substr(internal::kOversizeHintPrefix.size())),
            kMaxDocumentBytes + (2u << 20) + 6 + 1 + 21 + 1 + 5);
  EXPECT_NE(docs[2].bytes.find("after"), std::string::npos);
}

TEST_F(TempDir, ZipArchiveMembersAndSkippedReports) {
  std::string path = (dir_ / "ipg.ZIP").string();
  std::string concatenated = ReadFile(kSample + "uspto/mpi-test-concatenated.xml");
  {
    struct archive* a = archive_write_new();
    archive_write_set_format_zip(a);
    ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
    auto add = [&](const std::string& name, const std::string& data) {
      struct archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, name.c_str());
      archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_write_header(a, e);
      archive_write_data(a, data.data(), data.size());
      archive_entry_free(e);
    };
    add("ipg211019lst.txt", "US11147202\nUS11147203\n");
    add("ipg211019rpt.html", "<html><body>report</body></html>");
    add("ipg211019.xml", concatenated);
    archive_write_close(a);
    archive_write_free(a);
  }
  auto docs = SplitAll(path);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].file, path + "!ipg211019.xml");
  EXPECT_EQ(docs[0].bytes, concatenated.substr(0, docs[0].bytes.size()));
  EXPECT_EQ(concatenated.compare(docs[1].offset, docs[1].bytes.size(), docs[1].bytes), 0);
}

TEST(Splitter, FolderAndMissingFileAreErrors) {
  EXPECT_EQ(DocumentSplitter::Open(kSample).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DocumentSplitter::Open(kSample + "nope.xml").status().code(), StatusCode::kIOError);
}

}  // namespace
}  // namespace ipdx::codec
