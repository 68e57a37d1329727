// Tests for MapSt36PatentDocument on real CNIPA (old DTD and new XSD) and JPO documents kept
// under tests/golden/cases/{cn,jp}-*/input.xml. CJK text must come through intact.
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

TEST(St36Mapper, JpoOfficialGazette) {
  Mapped m = MapCase("jp-2021193879-A", MapSt36PatentDocument);
  const model::Record& r = m.record;
  EXPECT_FALSE(HasError(m));
  EXPECT_EQ(r.source.format, "st36-jp-v1.0");
  EXPECT_FALSE(HasFinding(m, "MAP-KIND"));
  // kind text "公開特許公報(A)"; the ST.16 code comes from kind-of-st16.
  EXPECT_EQ(r.Id(), "JP-2021193879-A");
  EXPECT_EQ(r.publication_date, "2021-12-27");
  EXPECT_EQ(r.language, "ja");
  EXPECT_EQ(r.application, (model::DocRef{"JP", "2020100059", "2020-06-09"}));
  ASSERT_EQ(r.titles.size(), 1u);
  EXPECT_EQ(r.titles[0].text,
            "練り製品管理装置、モデル生成装置、練り製品管理方法、モデル生成方法、及びプログラム");
  EXPECT_EQ(r.ipc, (std::vector<std::string>{"A23L 17/00", "G05B 19/418"}));
  EXPECT_EQ(r.national,
            (std::vector<std::string>{"A23L17/00 101H", "G05B19/418 Z", "A23L17/00 101Z"}));
  ASSERT_EQ(r.applicants.size(), 1u);
  EXPECT_EQ(r.applicants[0].name, "日本水産株式会社");
  ASSERT_EQ(r.inventors.size(), 2u);
  EXPECT_EQ(r.inventors[0].name, "畑中 弘紀");
  EXPECT_EQ(r.agents.size(), 2u);
  ASSERT_EQ(r.claims.size(), 1u);
  EXPECT_EQ(r.claims[0].claims.size(), 15u);
  // Line breaks (<br/> and source newlines) inside Japanese text leave no spaces.
  EXPECT_TRUE(
      r.claims[0].claims[1].starts_with("請求項１に記載の練り製品管理装置において、前記温度条件は"))
      << r.claims[0].claims[1];
  ASSERT_EQ(r.abstracts.size(), 1u);
  EXPECT_TRUE(r.abstracts[0].text.starts_with("【課題】練り製品の温度制御工程において"));
}

TEST(St36Mapper, CnipaOldDtd) {
  Mapped m = MapCase("cn-200880114428-A", MapSt36PatentDocument);
  const model::Record& r = m.record;
  EXPECT_FALSE(HasError(m));
  EXPECT_EQ(r.source.format, "st36-cn");
  EXPECT_EQ(r.Id(), "CN-103492414-A");
  EXPECT_EQ(r.publication_date, "2014-01-01");
  EXPECT_EQ(r.language, "zh");
  EXPECT_EQ(r.application, (model::DocRef{"CN", "200880114428.1", "2008-10-29"}));
  ASSERT_EQ(r.priorities.size(), 1u);
  EXPECT_EQ(r.priorities[0].office, "US");
  EXPECT_EQ(r.priorities[0].date, "2007-11-02");
  EXPECT_EQ(r.ipc, (std::vector<std::string>{"C07K 16/18"}));
  EXPECT_EQ(r.titles.at(0), (model::LangText{"zh", "抗HEPCIDIN抗体及其用途"}));
  EXPECT_EQ(r.applicants.at(0).name, "伊莱利利公司");
  ASSERT_EQ(r.inventors.size(), 8u);
  EXPECT_EQ(r.inventors[0].name, "Y·A·蔡");
  EXPECT_EQ(r.agents.at(0).name, "黄革生 (北京市中咨律师事务所 11247)");
  ASSERT_EQ(r.claims.size(), 1u);
  EXPECT_EQ(r.claims[0].claims.size(), 44u);
  ASSERT_EQ(r.descriptions.size(), 1u);
  // The invention title repeated at the top of the description is not description text, and
  // the printed line wraps ("更特\n<br/>别地") are joined.
  EXPECT_TRUE(r.descriptions[0].text.starts_with(
      "本发明属于医药领域，特别是抗人成熟的hepcidin的抗体领域。更特别地"))
      << r.descriptions[0].text.substr(0, 120);
}

TEST(St36Mapper, CnipaXsd) {
  Mapped m = MapCase("cn-xsd-115212463-A", MapSt36PatentDocument);
  const model::Record& r = m.record;
  EXPECT_FALSE(HasError(m));
  EXPECT_EQ(r.source.format, "st36-cn-xsd-V2.2.1");
  EXPECT_EQ(r.Id(), "CN-115212463-A");
  EXPECT_EQ(r.publication_date, "2022-10-21");
  // The "original" application number keeps the check digit.
  EXPECT_EQ(r.application, (model::DocRef{"CN", "201510481495.9", "2015-08-07"}));
  EXPECT_EQ(r.ipc, (std::vector<std::string>{"A61N 5/00"}));
  EXPECT_EQ(r.titles.at(0), (model::LangText{"zh", "一种医用放射治疗装置"}));
  ASSERT_EQ(r.applicants.size(), 1u);
  EXPECT_EQ(r.applicants[0].name, "北京大基康明医疗设备有限公司");
  EXPECT_EQ(r.applicants[0].country, "CN");
  EXPECT_EQ(r.inventors.size(), 4u);
  ASSERT_EQ(r.claims.size(), 1u);
  EXPECT_EQ(r.claims[0].claims.size(), 12u);
  EXPECT_TRUE(
      r.claims[0].claims[0].starts_with("1.一种医用放射治疗装置，其特征在于，包括：机体(1)；"))
      << r.claims[0].claims[0].substr(0, 80);
  EXPECT_TRUE(r.abstracts.at(0).text.starts_with("本发明提供一种医用放射治疗装置"));
}

TEST(St36Mapper, WipoPatentDocument) {
  const char* xml =
      "<patent-document lang='en' country='WO' doc-number='2005013972' kind='A1' "
      "date-publ='20050217' dtd-version='v1.5'><bibliographic-data>"
      "<publication-reference><document-id><country>WO</country><doc-number>2005/013972"
      "</doc-number><kind>A1</kind><date>20050217</date></document-id></publication-reference>"
      "<application-reference><document-id><country>EP</country><doc-number>2004008374"
      "</doc-number><date>20040726</date></document-id></application-reference>"
      "<priority-claims><priority-claim sequence='1'><country>FR</country><doc-number>0309400"
      "</doc-number><date>20030730</date></priority-claim></priority-claims>"
      "<classifications-ipcr><classification-ipcr><section>A</section><class>61</class>"
      "<subclass>K</subclass><main-group>9</main-group><subgroup>107</subgroup>"
      "</classification-ipcr></classifications-ipcr>"
      "<invention-title lang='fr'>Composition</invention-title>"
      "<parties><applicants><applicant><addressbook><orgname>AVENTIS PHARMA SA</orgname>"
      "<address><country>FR</country></address></addressbook></applicant></applicants>"
      "</parties></bibliographic-data></patent-document>";
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml));
  model::Record r;
  std::vector<model::Finding> findings;
  MapSt36PatentDocument(MapInput{&doc, ""}, &r, &findings);
  EXPECT_TRUE(findings.empty()) << findings.at(0).message;
  EXPECT_EQ(r.source.format, "st36-patent-document-v1.5");
  EXPECT_EQ(r.Id(), "WO-2005013972-A1");
  EXPECT_EQ(r.application.office, "EP");
  EXPECT_EQ(r.priorities.at(0), (model::DocRef{"FR", "0309400", "2003-07-30"}));
  EXPECT_EQ(r.ipc, (std::vector<std::string>{"A61K 9/107"}));
  EXPECT_EQ(r.applicants.at(0), (model::Party{"AVENTIS PHARMA SA", "FR", ""}));
}

TEST(St36Mapper, UnknownRootIsAnError) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string("<kr-patent-document/>"));
  model::Record r;
  std::vector<model::Finding> findings;
  MapSt36PatentDocument(MapInput{&doc, ""}, &r, &findings);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "MAP-FORMAT");
}

}  // namespace
}  // namespace ipdx::codec::internal
