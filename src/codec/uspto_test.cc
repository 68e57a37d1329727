#include <gtest/gtest.h>

#include <fstream>
#include <pugixml.hpp>
#include <string>

#include "codec/readers.h"
#include "codec/xml_safety.h"

namespace ipdx::codec::internal {
namespace {

const std::string kUspto = std::string(IPDX_SOURCE_DIR) + "/data/sample/uspto/";

struct Mapped {
  model::Record record;
  std::vector<model::Finding> findings;
};

Mapped MapBytes(const std::string& bytes) {
  PreparedXml x = PrepareXml(bytes);
  EXPECT_TRUE(x.findings.empty()) << x.findings[0].message;
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_buffer(x.text.data(), x.text.size()));
  Mapped m;
  MapUsptoGrantOrApplication(MapInput{&doc, x.doctype}, &m.record, &m.findings);
  return m;
}

Mapped MapFile(const std::string& rel) {
  std::ifstream in(kUspto + rel, std::ios::binary);
  return MapBytes(std::string(std::istreambuf_iterator<char>(in), {}));
}

TEST(Uspto, GrantV40WithApplicantInventorsAndOldIpc) {
  Mapped m = MapFile("mpi-grant/v4-0-B2.xml");
  const model::Record& r = m.record;
  EXPECT_TRUE(m.findings.empty());
  EXPECT_EQ(r.source.format, "uspto-grant-v4.0");
  EXPECT_EQ(r.Id(), "US-6857133-B2");
  EXPECT_EQ(r.publication_date, "2005-02-22");
  EXPECT_EQ(r.grant_date, "2005-02-22");
  EXPECT_EQ(r.language, "en");
  EXPECT_EQ(r.application, (model::DocRef{"US", "10141259", "2002-05-07"}));
  ASSERT_EQ(r.titles.size(), 1u);
  EXPECT_EQ(r.titles[0].text,
            "Method and apparatus for manufacturing and installing water resistant cover on a "
            "limb");
  EXPECT_EQ(r.ipc, std::vector<std::string>({"A41D 13/00"}));           // "A41D013/00", edition 7
  EXPECT_EQ(r.national, std::vector<std::string>({"2/16", "602/62"}));  // "  2 16", "602 62"
  ASSERT_EQ(r.applicants.size(), 1u);
  EXPECT_EQ(r.applicants[0].name, "Reynolds, David V.");
  EXPECT_EQ(r.applicants[0].country, "US");
  EXPECT_EQ(r.applicants[0].address, "3220 W. Echo La., Phoenix, AZ, 85051");
  // v4.0 has no <inventors>: app-type="applicant-inventor" names the inventors.
  EXPECT_EQ(r.inventors, r.applicants);
  ASSERT_EQ(r.citations.size(), 8u);
  EXPECT_EQ(r.citations[0].office, "US");
  EXPECT_EQ(r.citations[0].number, "3820200");
  EXPECT_EQ(r.citations[0].kind, "A");
  EXPECT_EQ(r.citations[0].date, "1974-06");  // 19740600: partial date kept partial
  EXPECT_EQ(r.citations[0].category, "cited by examiner");
  ASSERT_EQ(r.claims.size(), 1u);
  EXPECT_EQ(r.claims[0].claims.size(), 6u);
  EXPECT_TRUE(r.claims[0].claims[0].starts_with("1. A method")) << r.claims[0].claims[0];
}

TEST(Uspto, GrantV40AssigneeWithoutAddressbook) {
  Mapped m = MapFile("ppd-xml2004/US06859910.xml");
  EXPECT_TRUE(m.findings.empty());
  ASSERT_EQ(m.record.assignees.size(), 1u);
  EXPECT_EQ(m.record.assignees[0].name, "Bluestreak.com");
}

TEST(Uspto, GrantV45PartiesCpcAndNpl) {
  Mapped m = MapFile("mpi-grant/v4-5-B1.xml");
  const model::Record& r = m.record;
  EXPECT_TRUE(m.findings.empty());
  EXPECT_EQ(r.source.format, "uspto-grant-v4.5");
  EXPECT_EQ(r.Id(), "US-9358892-B1");
  ASSERT_EQ(r.applicants.size(), 1u);
  EXPECT_EQ(r.applicants[0].name, "Toyota Motor Engineering & Manufacturing North America, Inc.");
  ASSERT_FALSE(r.inventors.empty());
  EXPECT_EQ(r.inventors[0].name, "Gaither, Geoffrey D.");
  EXPECT_EQ(r.cpc.size(), 6u);
  EXPECT_NE(std::find(r.ipc.begin(), r.ipc.end(), "B60L 11/18"), r.ipc.end());
  bool npl = false;
  for (const auto& c : r.citations) {
    if (c.text.starts_with("Route profile analysis to determine suitability of electric postal")) {
      npl = true;
      EXPECT_EQ(c.category, "cited by examiner");
      EXPECT_TRUE(c.number.empty());
    }
  }
  EXPECT_TRUE(npl);
}

TEST(Uspto, VersionsFromDoctypeAndAttribute) {
  EXPECT_EQ(MapFile("ppd-xml2006/US07272630B2.xml").record.source.format, "uspto-grant-v4.2");
  EXPECT_EQ(MapFile("mpi-application/v4-4-A1.xml").record.source.format, "uspto-application-v4.4");
  // No DOCTYPE at all: dtd-version="v4.0 2004-12-02".
  EXPECT_EQ(MapFile("mpi-application/v4-0-A1.xml").record.source.format, "uspto-application-v4.0");
}

TEST(Uspto, ApplicationV40PaddedNationalClassesAndPriority) {
  Mapped m = MapFile("ppd-xmlApp2004/US20050004437A1.xml");
  const model::Record& r = m.record;
  EXPECT_EQ(r.Id(), "US-20050004437-A1");
  EXPECT_TRUE(r.grant_date.empty());
  EXPECT_EQ(r.national, std::vector<std::string>({"600/300", "128/905", "345/952"}));
  ASSERT_EQ(r.priorities.size(), 1u);
  EXPECT_FALSE(r.priorities[0].office.empty());
  EXPECT_EQ(r.applicants[0].country, "CH");
}

TEST(Uspto, TextFlatteningAndFindings) {
  Mapped m = MapBytes(R"(<?xml version="1.0"?>
<!DOCTYPE us-patent-grant SYSTEM "us-patent-grant-v47-2022-02-17.dtd" [ ]>
<us-patent-grant lang="EN" dtd-version="v4.7 2022-02-17">
<us-bibliographic-data-grant>
<publication-reference><document-id><country>US</country><doc-number>011000001</doc-number><kind>B2</kind><date>20220607</date></document-id></publication-reference>
<application-reference appl-type="utility"><document-id><country>US</country><doc-number>17123456</doc-number><date>20200231</date></document-id></application-reference>
<classifications-ipcr><classification-ipcr><section>A</section><class>61</class><subclass>K</subclass><main-group>31</main-group><subgroup>4439</subgroup></classification-ipcr>
<classification-ipcr><section>Z</section><class>99</class><subclass>Q</subclass><main-group>x</main-group><subgroup>1</subgroup></classification-ipcr></classifications-ipcr>
<invention-title id="t">Water &ndash; H<sub>2</sub>O</invention-title>
</us-bibliographic-data-grant>
<abstract><p>Made of   H<sub>2</sub>O and
 CO<sub>2</sub>.</p></abstract>
<claims><claim id="c1" num="00001"><claim-text>1. A thing comprising:
<claim-text>a part; and</claim-text><claim-text>another part.</claim-text></claim-text></claim>
<claim id="c2" num="00002"><claim-text>2. The thing of <claim-ref idref="c1">claim 1</claim-ref>, wet.</claim-text></claim></claims>
</us-patent-grant>)");
  const model::Record& r = m.record;
  EXPECT_EQ(r.source.format, "uspto-grant-v4.7");
  EXPECT_EQ(r.Id(), "US-11000001-B2");
  EXPECT_EQ(r.titles[0].text, "Water \u2013 H2O");
  EXPECT_EQ(r.abstracts[0].text, "Made of H2O and CO2.");
  ASSERT_EQ(r.claims[0].claims.size(), 2u);
  EXPECT_EQ(r.claims[0].claims[0], "1. A thing comprising: a part; and another part.");
  EXPECT_EQ(r.claims[0].claims[1], "2. The thing of claim 1, wet.");
  EXPECT_EQ(r.ipc, std::vector<std::string>({"A61K 31/4439"}));
  bool bad_ipc = false;
  bool bad_date = false;
  for (const auto& f : m.findings) {
    if (f.rule == "MAP-IPC" && f.field.starts_with("ipc")) bad_ipc = true;
    if (f.field == "application.date" && f.message.find("20200231") != std::string::npos) {
      bad_date = true;
    }
  }
  EXPECT_TRUE(bad_ipc);
  EXPECT_TRUE(bad_date);
}

TEST(Uspto, MissingIdentityIsAnError) {
  Mapped m = MapBytes(
      "<us-patent-application><us-bibliographic-data-application/>"
      "</us-patent-application>");
  bool id_error = false;
  for (const auto& f : m.findings) {
    id_error |= f.rule == "MAP-ID" && f.severity == model::Severity::kError;
  }
  EXPECT_TRUE(id_error);
}

}  // namespace
}  // namespace ipdx::codec::internal
