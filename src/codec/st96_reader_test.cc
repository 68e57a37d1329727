// Tests for MapSt96PatentPublication on WIPO's ST.96 V6_0 example (US 8,936,998 B2), kept as
// tests/golden/cases/st96-V6_0-US8936998B2/input.xml.
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

TEST(St96Mapper, WipoV60Example) {
  Mapped m = MapCase("st96-V6_0-US8936998B2", MapSt96PatentPublication);
  const model::Record& r = m.record;
  EXPECT_FALSE(HasError(m));
  EXPECT_EQ(r.source.format, "st96-V6_0");
  EXPECT_FALSE(HasFinding(m, "MAP-IPC"));
  EXPECT_FALSE(HasFinding(m, "MAP-CPC"));
  EXPECT_EQ(r.Id(), "US-8936998-B2");
  EXPECT_EQ(r.publication_date, "2015-01-20");
  EXPECT_EQ(r.language, "en");
  EXPECT_EQ(r.application, (model::DocRef{"US", "13797521", "2013-03-12"}));
  ASSERT_EQ(r.priorities.size(), 1u);
  EXPECT_EQ(r.priorities[0], (model::DocRef{"JP", "2007-290922", "2007-11-08"}));
  // IPCR in the split Section/Class/... form.
  EXPECT_EQ(r.ipc, (std::vector<std::string>{"H01L 21/30", "H01L 21/302", "H01L 21/324",
                                             "H01L 21/20", "H01L 23/00", "H01L 31/0203"}));
  ASSERT_FALSE(r.cpc.empty());
  EXPECT_EQ(r.cpc[0], "H01L 21/2007");  // MainCPC
  ASSERT_EQ(r.titles.size(), 1u);
  EXPECT_EQ(r.titles[0], (model::LangText{"en",
                                          "Manufcaturing method for room-temperature "
                                          "substrate bonding"}));
  ASSERT_EQ(r.claims.size(), 1u);
  ASSERT_EQ(r.claims[0].claims.size(), 10u);
  EXPECT_TRUE(r.claims[0].claims[1].starts_with(
      "2. The device manufacture method according to claim 1, wherein"))
      << r.claims[0].claims[1];
  ASSERT_EQ(r.abstracts.size(), 1u);
  EXPECT_TRUE(r.abstracts[0].text.starts_with("A device is provided with: a first substrate"));
  ASSERT_EQ(r.descriptions.size(), 1u);
  // com:Sub is flattened: "SiO<com:Sub>2 </com:Sub>materials" reads "SiO2 materials".
  EXPECT_NE(r.descriptions[0].text.find("particularly SiO2 materials"), std::string::npos);
  ASSERT_EQ(r.applicants.size(), 5u);
  EXPECT_EQ(r.applicants[0].name, "Jun Utsumi");
  EXPECT_EQ(r.inventors.size(), 5u);
  ASSERT_EQ(r.assignees.size(), 2u);
  EXPECT_EQ(r.assignees[0].name, "Mitsubishi Heavy Industries, Ltd.");
  ASSERT_EQ(r.agents.size(), 1u);
  EXPECT_EQ(r.agents[0].name, "Birch, Stewart, Kolasch & Birch, LLP");
  // 30 ReferenceCitations: 17 patent, 13 non-patent.
  ASSERT_EQ(r.citations.size(), 30u);
  EXPECT_EQ(r.citations[0],
            (model::Citation{"US", "6054363", "A", "2000-04", "cited by applicant", ""}));
  int npl = 0;
  for (const auto& c : r.citations) npl += c.text.empty() ? 0 : 1;
  EXPECT_EQ(npl, 13);
}

TEST(St96Mapper, MatchesOnNamespaceNotPrefix) {
  const char* xml =
      "<x:PatentPublication xmlns:x='http://www.wipo.int/standards/XMLSchema/ST96/Patent' "
      "xmlns:y='http://www.wipo.int/standards/XMLSchema/ST96/Common' y:st96Version='V8_0'>"
      "<x:BibliographicData><x:PatentPublicationIdentification><y:IPOfficeCode>EP"
      "</y:IPOfficeCode><x:PublicationNumber>1000000</x:PublicationNumber>"
      "<y:PatentDocumentKindCode>A1</y:PatentDocumentKindCode><y:PublicationDate>2000-05-17"
      "</y:PublicationDate></x:PatentPublicationIdentification><x:PatentClassificationBag>"
      "<x:IPCRClassificationBag><x:IPCRClassification><x:PatentClassificationText>B28B 11/00"
      "</x:PatentClassificationText></x:IPCRClassification></x:IPCRClassificationBag>"
      "</x:PatentClassificationBag><x:InventionTitleBag><x:InventionTitle y:languageCode='de'>"
      "Vorrichtung</x:InventionTitle></x:InventionTitleBag></x:BibliographicData>"
      "</x:PatentPublication>";
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml));
  model::Record r;
  std::vector<model::Finding> findings;
  MapSt96PatentPublication(MapInput{&doc, ""}, &r, &findings);
  EXPECT_EQ(r.source.format, "st96-V8_0");
  EXPECT_EQ(r.Id(), "EP-1000000-A1");
  EXPECT_EQ(r.ipc, (std::vector<std::string>{"B28B 11/00"}));
  EXPECT_EQ(r.titles.at(0), (model::LangText{"de", "Vorrichtung"}));
}

TEST(St96Mapper, OtherNamespaceIsRejected) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(
      "<pat:PatentPublication xmlns:pat='http://www.wipo.int/standards/XMLSchema/Common/1'/>"));
  model::Record r;
  std::vector<model::Finding> findings;
  MapSt96PatentPublication(MapInput{&doc, ""}, &r, &findings);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "MAP-FORMAT");
}

}  // namespace
}  // namespace ipdx::codec::internal
