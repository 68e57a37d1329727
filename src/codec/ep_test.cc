// Tests for MapEpPatentDocument against real EPO publication-server documents (DTD 1.0 to
// 1.5.1) kept under tests/golden/cases/ep-*/input.xml. Expected values were read off the XML by
// eye. The documents are parsed here with pugixml (parse_default | parse_ws_pcdata); their
// named entities are left as text, which Decode() would resolve first.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "codec/readers.h"
#include "model/record.h"

namespace ipdx::codec::internal {
namespace {

struct Mapped {
  model::Record record;
  std::vector<model::Finding> findings;
};

std::string ReadFile(const std::string& rel) {
  std::ifstream in(std::string(IPDX_SOURCE_DIR) + "/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Mapped MapEp(const std::string& case_name) {
  std::string bytes = ReadFile("tests/golden/cases/" + case_name + "/input.xml");
  EXPECT_FALSE(bytes.empty()) << case_name;
  std::string doctype;
  size_t at = bytes.find("<!DOCTYPE");
  if (at != std::string::npos) doctype = bytes.substr(at, bytes.find('>', at) - at + 1);
  pugi::xml_document doc;
  pugi::xml_parse_result ok =
      doc.load_buffer(bytes.data(), bytes.size(), pugi::parse_default | pugi::parse_ws_pcdata);
  EXPECT_TRUE(ok) << case_name << ": " << ok.description();
  Mapped m;
  MapInput in{&doc, doctype};
  MapEpPatentDocument(in, &m.record, &m.findings);
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

TEST(EpMapper, GrantV151) {
  Mapped m = MapEp("ep-v1-5-1-B1");
  const model::Record& r = m.record;
  EXPECT_FALSE(HasError(m));
  EXPECT_EQ(r.source.format, "ep-patent-document-v1.5.1");
  EXPECT_EQ(r.Id(), "EP-3383757-B1");
  EXPECT_EQ(r.publication_date, "2021-07-07");
  EXPECT_EQ(r.grant_date, "2021-07-07");
  EXPECT_EQ(r.language, "en");
  EXPECT_EQ(r.application.office, "EP");
  EXPECT_EQ(r.application.number, "16849316.1");
  EXPECT_EQ(r.application.date, "2016-08-29");
  ASSERT_EQ(r.priorities.size(), 1u);
  EXPECT_EQ(r.priorities[0].office, "US");
  EXPECT_EQ(r.priorities[0].number, "201514865040");
  EXPECT_EQ(r.priorities[0].date, "2015-09-25");
  ASSERT_EQ(r.ipc.size(), 5u);
  EXPECT_EQ(r.ipc[0], "B65D 51/18");
  EXPECT_EQ(r.ipc[3], "A45D 34/00");
  ASSERT_EQ(r.titles.size(), 3u);
  EXPECT_EQ(r.titles[0].lang, "de");
  EXPECT_EQ(r.titles[1],
            (model::LangText{"en", "SCREW-TYPE CLOSURE SYSTEMS WITH MAGNETIC FEATURE"}));
  EXPECT_EQ(r.titles[2].text,
            "SYSTÈMES DE FERMETURE DE TYPE À VIS COMPRENANT DES ÉLÉMENTS MAGNÉTIQUES");
  ASSERT_EQ(r.inventors.size(), 2u);
  EXPECT_EQ(r.inventors[0].name, "JACOB, Christophe");
  EXPECT_EQ(r.inventors[0].country, "FR");
  EXPECT_EQ(r.inventors[0].address, "50, rue Desire Claude, 42100 Saint-Etienne");
  ASSERT_EQ(r.assignees.size(), 1u);
  EXPECT_EQ(r.assignees[0].name, "ELC Management LLC");
  EXPECT_EQ(r.assignees[0].country, "US");
  ASSERT_EQ(r.agents.size(), 1u);
  EXPECT_EQ(r.agents[0].name, "Dehns");
  EXPECT_EQ(r.agents[0].country, "GB");
  EXPECT_TRUE(r.applicants.empty());
  // B documents: one claim set per language, 8 claims each.
  ASSERT_EQ(r.claims.size(), 3u);
  EXPECT_EQ(r.claims[0].lang, "en");
  EXPECT_EQ(r.claims[1].lang, "de");
  EXPECT_EQ(r.claims[2].lang, "fr");
  for (const auto& set : r.claims) EXPECT_EQ(set.claims.size(), 8u) << set.lang;
  // Nested claim-text elements are separated by a space, not glued together.
  EXPECT_TRUE(r.claims[0].claims[0].starts_with(
      "A container-closure system comprising: a container (1) that comprises a screw threads"))
      << r.claims[0].claims[0];
  EXPECT_NE(r.claims[0].claims[0].find("container (1), an overshell (9)"), std::string::npos)
      << r.claims[0].claims[0];
  ASSERT_EQ(r.descriptions.size(), 1u);
  EXPECT_TRUE(
      r.descriptions[0].text.starts_with("Field of the Invention\nThe present invention "
                                         "pertains to screw-type container/closure"))
      << r.descriptions[0].text.substr(0, 200);
  // 7 B561 search-report citations + 2 patcit in the ep-reference-list.
  ASSERT_EQ(r.citations.size(), 9u);
  EXPECT_EQ(r.citations[0].office, "WO");
  EXPECT_EQ(r.citations[0].kind, "A1");
  EXPECT_EQ(r.citations[0].number, "2014114885");
  EXPECT_EQ(r.citations[1].office, "CN");
  EXPECT_EQ(r.citations[1].kind, "U");
  EXPECT_EQ(r.citations[1].number, "202128028");
  EXPECT_EQ(r.citations[7].office, "US");
  EXPECT_EQ(r.citations[7].number, "2007204872");
  EXPECT_EQ(r.citations[7].kind, "A1");
  EXPECT_EQ(r.citations[7].category, "cited by applicant");
}

TEST(EpMapper, GrantV151B2GermanWithCpcAndOpposition) {
  Mapped m = MapEp("ep-v1-5-1-B2");
  const model::Record& r = m.record;
  EXPECT_FALSE(HasError(m));
  EXPECT_EQ(r.Id(), "EP-2716170-B2");
  EXPECT_EQ(r.language, "de");
  EXPECT_EQ(r.application.number, "13196195.5");
  ASSERT_FALSE(r.cpc.empty());
  EXPECT_EQ(r.cpc[0], "A24C 5/20");
  ASSERT_EQ(r.claims.size(), 3u);
  EXPECT_EQ(r.claims[0].lang, "de");
  EXPECT_EQ(r.claims[0].claims.size(), 4u);
  EXPECT_EQ(r.assignees.at(0).name, "Hauni Maschinenbau GmbH");
  EXPECT_EQ(r.inventors.at(1).name, "Schafforz, Mathias");
  // B780 (opponents) has no place in the record: reported, not dropped silently.
  EXPECT_TRUE(HasFinding(m, "MAP-EP-UNMAPPED"));
}

TEST(EpMapper, GrantV15KeepsCheckDigit) {
  Mapped m = MapEp("ep-v1-5-B1");
  EXPECT_EQ(m.record.source.format, "ep-patent-document-v1.5");
  EXPECT_EQ(m.record.application.number, "17171508.9");
  EXPECT_EQ(m.record.assignees.at(0).name, "General Electric Technology GmbH");
  EXPECT_EQ(m.record.inventors.at(0).name, "HARTHUM, Jörg");
  EXPECT_EQ(m.record.claims.size(), 3u);
  EXPECT_EQ(m.record.claims.at(0).claims.size(), 12u);
  EXPECT_EQ(m.record.citations.size(), 7u);  // 4 B561 + 3 ep-reference-list patcit
}

TEST(EpMapper, ApplicationV10WithIpc17AndAbstract) {
  Mapped m = MapEp("ep-v1-0-A1");
  const model::Record& r = m.record;
  EXPECT_FALSE(HasError(m));
  EXPECT_EQ(r.source.format, "ep-patent-document-v1.0");
  EXPECT_EQ(r.Id(), "EP-1325900-A1");
  EXPECT_EQ(r.publication_date, "2003-07-09");
  EXPECT_TRUE(r.grant_date.empty());
  EXPECT_EQ(r.application.number, "01963450.0");
  // B511/B512 in the edition-prefixed IPC1-7 form " 7C 07C  29/44   A".
  EXPECT_EQ(r.ipc, (std::vector<std::string>{"C07C 29/44", "C07C 31/38"}));
  EXPECT_EQ(r.applicants.at(0).name, "ASAHI GLASS COMPANY LTD.");
  ASSERT_EQ(r.abstracts.size(), 1u);
  EXPECT_EQ(r.abstracts[0].lang, "en");
  EXPECT_FALSE(r.abstracts[0].text.empty());
  ASSERT_EQ(r.claims.size(), 1u);
  EXPECT_EQ(r.claims[0].claims.size(), 7u);
}

TEST(EpMapper, VersionMismatchBetweenDoctypeAndAttributeIsReported) {
  // DOCTYPE says 1.0, dtd-version="ep-patent-document-v1-01": DOCTYPE wins, mismatch reported.
  Mapped m = MapEp("ep-v1-01-A1");
  EXPECT_EQ(m.record.source.format, "ep-patent-document-v1.0");
  EXPECT_TRUE(HasFinding(m, "MAP-EP-VERSION"));
  EXPECT_EQ(m.record.Id(), "EP-1679948-A1");
  EXPECT_EQ(m.record.applicants.size(), 2u);
  EXPECT_EQ(m.record.priorities.at(0).number, "0320567");
  EXPECT_TRUE(m.record.claims.empty());  // front-page-only A1
}

TEST(EpMapper, WipoSt36ExampleIsAnEpDocument) {
  Mapped m = MapEp("st36-wipo-ep-a1");
  const model::Record& r = m.record;
  EXPECT_EQ(r.Id(), "EP-1667425-A1");
  EXPECT_EQ(r.ipc, (std::vector<std::string>{"H04N 1/40"}));
  EXPECT_EQ(r.titles.at(2).text, "Méthode et appareil de formation d'image");
  // snm with an embedded line break.
  EXPECT_EQ(r.inventors.at(0).name, "Yoshida, Naoki c/o Wedg Co., Ltd.");
  EXPECT_EQ(r.agents.at(0).name, "Denmark, James Christopher, et al");
  EXPECT_EQ(r.claims.at(0).claims.size(), 9u);
}

TEST(EpMapper, WrongRootIsAnError) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string("<patent-document/>"));
  model::Record r;
  std::vector<model::Finding> findings;
  MapEpPatentDocument(MapInput{&doc, ""}, &r, &findings);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "MAP-FORMAT");
  EXPECT_EQ(findings[0].severity, model::Severity::kError);
}

TEST(EpMapper, BadDateAndMissingIdentityAreFindings) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(
      "<ep-patent-document country='EP' kind='A1'><SDOBI><B100><B140><date>20211332</date>"
      "</B140></B100></SDOBI></ep-patent-document>"));
  model::Record r;
  std::vector<model::Finding> findings;
  MapEpPatentDocument(MapInput{&doc, ""}, &r, &findings);
  bool bad_date = false, no_number = false;
  for (const auto& f : findings) {
    if (f.rule == "MAP-DATE" && f.field == "publication_date") {
      bad_date = true;
      EXPECT_NE(f.message.find("20211332"), std::string::npos) << f.message;
    }
    if (f.rule == "MAP-ID" && f.field == "number") no_number = true;
  }
  EXPECT_TRUE(bad_date);
  EXPECT_TRUE(no_number);
}

}  // namespace
}  // namespace ipdx::codec::internal
