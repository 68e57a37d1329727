// Tests for MapDocdbExchangeDocument on real DOCDB exchange documents and EPO OPS responses
// (tests/golden/cases/docdb-*, ops-*). Expected values were read off the XML by eye.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "codec/readers.h"
#include "model/record.h"

namespace ipdx::codec::internal {
namespace {

struct Mapped {
  model::Record record;
  std::vector<model::Finding> findings;
};

using MapperFn = void (*)(const MapInput&, model::Record*, std::vector<model::Finding>*);

// Parses tests/golden/cases/NAME/input.xml as Decode() would hand it over (entities other than
// the XML ones are left as text here) and runs `mapper` on it.
Mapped MapCase(const std::string& case_name, MapperFn mapper) {
  std::ifstream in(std::string(IPDX_SOURCE_DIR) + "/tests/golden/cases/" + case_name + "/input.xml",
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  EXPECT_FALSE(bytes.empty()) << case_name;
  std::string doctype;
  size_t at = bytes.find("<!DOCTYPE");
  if (at != std::string::npos) doctype = bytes.substr(at, bytes.find('>', at) - at + 1);
  pugi::xml_document doc;
  pugi::xml_parse_result ok =
      doc.load_buffer(bytes.data(), bytes.size(), pugi::parse_default | pugi::parse_ws_pcdata);
  EXPECT_TRUE(ok) << case_name << ": " << ok.description();
  Mapped m;
  mapper(MapInput{&doc, doctype}, &m.record, &m.findings);
  return m;
}

bool HasFinding(const Mapped& m, std::string_view rule) {
  for (const auto& f : m.findings) {
    if (f.rule == rule) return true;
  }
  return false;
}

bool HasError(const Mapped& m) {
  for (const auto& f : m.findings) {
    if (f.severity == model::Severity::kError) return true;
  }
  return false;
}

TEST(DocdbMapper, WoFrontFile) {
  Mapped m = MapCase("docdb-WO-2022259205-A1", MapDocdbExchangeDocument);
  const model::Record& r = m.record;
  EXPECT_FALSE(HasError(m));
  EXPECT_EQ(r.source.format, "docdb-exchange");
  EXPECT_EQ(r.Id(), "WO-2022259205-A1");
  EXPECT_EQ(r.publication_date, "2022-12-15");
  // docdb application-reference: IB 2022055385 filed 2022-06-09.
  EXPECT_EQ(r.application, (model::DocRef{"IB", "2022055385", "2022-06-09"}));
  ASSERT_EQ(r.priorities.size(), 1u);  // docdb form only, not epodoc/original repeats
  EXPECT_EQ(r.priorities[0].office, "PT");
  EXPECT_EQ(r.priorities[0].date, "2021-06-11");
  ASSERT_EQ(r.titles.size(), 2u);
  EXPECT_EQ(r.titles[0],
            (model::LangText{"en",
                             "SELF-EMULSIFYING COMPOSITION, PRODUCTION METHODS AND USES "
                             "THEREOF"}));
  EXPECT_EQ(r.titles[1].lang, "fr");
  EXPECT_EQ(r.abstracts.size(), 2u);
  // Names from the standardised docdb form, not the docdba repeats.
  ASSERT_EQ(r.applicants.size(), 1u);
  EXPECT_EQ(r.applicants[0], (model::Party{"UNIV DA BEIRA INTERIOR", "PT", ""}));
  ASSERT_EQ(r.inventors.size(), 8u);
  EXPECT_EQ(r.inventors[2].name, "CABRAL PIRES PATRÍCIA SOFIA");
  ASSERT_FALSE(r.ipc.empty());
  EXPECT_EQ(r.ipc[0], "A61K 8/04");
  ASSERT_FALSE(r.cpc.empty());
  EXPECT_EQ(r.cpc[0], "A61K 9/1075");
  // 23 ISR citations; the first is non-patent literature with category XY.
  ASSERT_EQ(r.citations.size(), 23u);
  EXPECT_EQ(r.citations[0].category, "XY");
  EXPECT_TRUE(r.citations[0].text.starts_with("BEZERRA-SOUZA ADRIANA ET AL"));
  EXPECT_EQ(r.citations[6].office, "CN");
  EXPECT_EQ(r.citations[6].number, "102908333");
  EXPECT_EQ(r.citations[6].kind, "A");
  EXPECT_EQ(r.citations[6].date, "2013-02-06");
  EXPECT_EQ(r.citations[6].category, "Y");
}

TEST(DocdbMapper, FormerOfficeCodeYuIsKept) {
  Mapped m = MapCase("docdb-YU-6701-A", MapDocdbExchangeDocument);
  EXPECT_FALSE(HasError(m));
  EXPECT_EQ(m.record.Id(), "YU-6701-A");
  EXPECT_EQ(m.record.publication_date, "2003-12-31");
  EXPECT_EQ(m.record.language, "sh");
  EXPECT_EQ(m.record.application.office, "YU");
  EXPECT_EQ(m.record.application.date, "1999-06-02");
  EXPECT_EQ(m.record.priorities.at(0).office, "US");
  EXPECT_EQ(m.record.applicants.at(0).name, "WARNER LAMBERT CO");
  EXPECT_EQ(m.record.titles.at(0).text,
            "TRICYCLIC SULFONAMIDES AND THEIR DERIVATIVES AS INHIBITORS OF MATRIX "
            "METALLOPROTEINASES");
}

TEST(DocdbMapper, ApWithoutNamespacePrefixAndIpc17) {
  Mapped m = MapCase("docdb-AP-1206-A", MapDocdbExchangeDocument);
  const model::Record& r = m.record;
  EXPECT_EQ(r.Id(), "AP-1206-A");
  EXPECT_EQ(r.application.number, "2000001988");
  EXPECT_EQ(r.applicants.at(0).name, "BRISTOL MYERS SQUIBB CO");
  // OPS-style patent-family has no place in the record: reported.
  EXPECT_TRUE(HasFinding(m, "MAP-DOCDB-UNMAPPED"));
  // 18 IPCR lines plus the IPC1-7 main classification " 7A 61K   9/16   A" (a duplicate).
  ASSERT_EQ(r.ipc.size(), 18u);
  EXPECT_EQ(r.ipc[0], "A61K 9/16");
  EXPECT_EQ(r.ipc[17], "A61P 31/18");
  ASSERT_EQ(r.citations.size(), 3u);
  EXPECT_EQ(r.citations[0],
            (model::Citation{"US", "5556839", "A", "1996-09-17", "cited in search", ""}));
}

TEST(DocdbMapper, OpsResponseMergesTypedDocumentIds) {
  Mapped m = MapCase("ops-biblio-example-3", MapDocdbExchangeDocument);
  const model::Record& r = m.record;
  EXPECT_EQ(r.Id(), "AU-2013290010-A1");
  // The filing date is only in the epodoc document-id.
  EXPECT_EQ(r.application, (model::DocRef{"AU", "2013290010", "2013-07-12"}));
  // Priority: office from the epodoc prefix, number from the original "13/547,826".
  ASSERT_GE(r.priorities.size(), 1u);
  EXPECT_EQ(r.priorities[0], (model::DocRef{"US", "13547826", "2012-07-12"}));
  EXPECT_EQ(r.titles.at(0), (model::LangText{"en", "Novel fuel composition"}));
  EXPECT_EQ(r.ipc, (std::vector<std::string>{"C10L 1/00"}));
  EXPECT_EQ(r.cpc.at(0), "C07C 1/047");
}

TEST(DocdbMapper, OpsAbstractOnly) {
  Mapped m = MapCase("ops-ep1000000-abstract", MapDocdbExchangeDocument);
  EXPECT_EQ(m.record.Id(), "EP-1000000-A1");
  EXPECT_EQ(m.record.publication_date, "2000-05-17");
  ASSERT_EQ(m.record.abstracts.size(), 1u);
  EXPECT_TRUE(m.record.abstracts[0].text.starts_with(
      "The invention relates to an apparatus (1) for manufacturing green bricks"));
}

TEST(DocdbMapper, NoExchangeDocumentIsAnError) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string("<ops:world-patent-data xmlns:ops='http://ops.epo.org'/>"));
  model::Record r;
  std::vector<model::Finding> findings;
  MapDocdbExchangeDocument(MapInput{&doc, ""}, &r, &findings);
  ASSERT_FALSE(findings.empty());
  EXPECT_EQ(findings[0].rule, "MAP-FORMAT");
}

}  // namespace
}  // namespace ipdx::codec::internal
