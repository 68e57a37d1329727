// Tests of ToSt96Xml: every record built here must produce XML that validates against the
// shipped ST.96 V6_0 schema, and the XML must carry the record's data in the right elements.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <pugixml.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "codec/st96_schema.h"
#include "model/record.h"

namespace ipdx::codec {
namespace {

const std::string kSchemaDir = std::string(IPDX_SOURCE_DIR) + "/data/schema/st96-v6_0";

class St96WriterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = St96Schema::Load(kSchemaDir);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    schema_ = std::move(loaded).value().release();
  }
  static void TearDownTestSuite() {
    delete schema_;  // NOLINT: suite-lifetime object owned by the fixture
    schema_ = nullptr;
  }

  // Writes, validates and parses the record's XML.
  static pugi::xml_node WriteValid(const model::Record& r, pugi::xml_document* doc,
                                   std::string* xml_out = nullptr) {
    const std::string xml = ToSt96Xml(r);
    if (xml_out != nullptr) *xml_out = xml;
    Status s = schema_->Validate(xml);
    EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << xml;
    pugi::xml_parse_result parsed = doc->load_string(xml.c_str());
    EXPECT_TRUE(parsed) << parsed.description();
    return doc->document_element();
  }

  static St96Schema* schema_;
};
St96Schema* St96WriterTest::schema_ = nullptr;

model::Record FullRecord() {
  model::Record r;
  r.office = "US";
  r.number = "8936998";
  r.kind = "B2";
  r.publication_date = "2015-01-20";
  r.grant_date = "2015-01-20";
  r.language = "en";
  r.application = {"US", "13797521", "2013-03-12"};
  r.priorities = {{"JP", "2007-290922", "2007-11-08"}};
  r.titles = {{"en", "Method of manufacturing a device"}};
  r.abstracts = {{"en", "A device is made.\nIt is bonded."}};
  r.claims = {{"en", {"1. A method comprising bonding.", "2. The method of claim 1."}}};
  r.descriptions = {{"en", "TECHNICAL FIELD\nThe invention relates to devices."}};
  r.applicants = {{"Jun Utsumi", "JP", ""}};
  r.inventors = {{"Jun Utsumi", "JP", "Tokyo"}, {"Takayuki Goto", "JP", ""}};
  r.assignees = {{"Mitsubishi Heavy Industries, Ltd.", "JP", "Tokyo"}};
  r.agents = {{"Birch, Stewart, Kolasch & Birch, LLP", "", ""}};
  r.ipc = {"H01L 21/30", "H01L 21/302"};
  r.cpc = {"H01L 21/2007"};
  r.national = {"438/455", "438/459"};
  r.citations = {{"US", "5236118", "A", "1993-08-17", "cited by examiner", ""},
                 {"JP", "2004054170", "A", "2004-02", "X,Y", ""},
                 {"", "", "", "", "", "Takagi et al., Proceedings of NEDO (2003)"}};
  return r;
}

std::string Text(pugi::xml_node n) { return n.text().get(); }

TEST_F(St96WriterTest, FullRecordValidatesAndCarriesTheData) {
  pugi::xml_document doc;
  pugi::xml_node root = WriteValid(FullRecord(), &doc);
  EXPECT_STREQ(root.name(), "pat:PatentPublication");
  EXPECT_STREQ(root.attribute("com:st96Version").value(), "V6_0");
  EXPECT_STREQ(root.attribute("com:languageCode").value(), "en");
  EXPECT_STREQ(root.attribute("xmlns:com").value(),
               "http://www.wipo.int/standards/XMLSchema/ST96/Common");
  EXPECT_STREQ(root.attribute("xmlns:pat").value(),
               "http://www.wipo.int/standards/XMLSchema/ST96/Patent");

  pugi::xml_node bib = root.child("pat:BibliographicData");
  pugi::xml_node pub = bib.child("pat:PatentPublicationIdentification");
  EXPECT_EQ(Text(pub.child("com:IPOfficeCode")), "US");
  EXPECT_EQ(Text(pub.child("pat:PublicationNumber")), "8936998");
  EXPECT_EQ(Text(pub.child("com:PatentDocumentKindCode")), "B2");
  EXPECT_EQ(Text(pub.child("com:PublicationDate")), "2015-01-20");
  pugi::xml_node app = bib.child("pat:ApplicationIdentification");
  EXPECT_EQ(Text(app.child("com:ApplicationNumber").child("com:ApplicationNumberText")),
            "13797521");
  EXPECT_EQ(Text(app.child("pat:FilingDate")), "2013-03-12");
  EXPECT_EQ(Text(bib.child("pat:PatentGrantIdentification").child("pat:GrantDate")), "2015-01-20");
  pugi::xml_node prio = bib.child("pat:PriorityClaimBag").child("pat:PriorityClaim");
  EXPECT_EQ(Text(prio.child("com:IPOfficeCode")), "JP");
  EXPECT_EQ(Text(prio.child("pat:FilingDate")), "2007-11-08");

  pugi::xml_node classes = bib.child("pat:PatentClassificationBag");
  std::vector<std::string> ipc;
  for (pugi::xml_node c : classes.child("pat:IPCRClassificationBag").children()) {
    ipc.push_back(Text(c.child("pat:PatentClassificationText")));
  }
  EXPECT_EQ(ipc, FullRecord().ipc);
  pugi::xml_node national = classes.child("pat:NationalClassification");
  EXPECT_EQ(
      Text(national.child("pat:MainNationalClassification").child("pat:PatentClassificationText")),
      "438/455");
  EXPECT_EQ(Text(national.child("pat:FurtherNationalClassification")
                     .child("pat:PatentClassificationText")),
            "438/459");

  pugi::xml_node cites = bib.child("pat:ReferenceCitationBag");
  pugi::xml_node c1 = cites.child("pat:ReferenceCitation");
  EXPECT_STREQ(c1.attribute("pat:citingPartyCategory").value(), "Examiner");
  EXPECT_EQ(Text(c1.child("com:PatentCitation")
                     .child("com:CitedPatentDocumentIdentification")
                     .child("com:DocumentNumber")),
            "5236118");
  pugi::xml_node c2 = c1.next_sibling("pat:ReferenceCitation");
  std::vector<std::string> categories;
  for (pugi::xml_node code :
       c2.child("pat:DocumentRelevanceBag").child("pat:DocumentRelevance").children()) {
    categories.push_back(Text(code));
  }
  EXPECT_EQ(categories, (std::vector<std::string>{"X", "Y"}));
  EXPECT_EQ(Text(c2.child("com:PatentCitation")
                     .child("com:CitedPatentDocumentIdentification")
                     .child("com:PatentDocumentDate")),
            "2004-02");
  pugi::xml_node c3 = c2.next_sibling("pat:ReferenceCitation");
  EXPECT_EQ(Text(c3.child("com:NPLCitation").child("com:NPLCitationText")),
            "Takagi et al., Proceedings of NEDO (2003)");

  pugi::xml_node parties = bib.child("pat:PartyBag");
  EXPECT_EQ(Text(parties.child("pat:ApplicantBag")
                     .child("pat:Applicant")
                     .child("com:PublicationContact")
                     .child("com:Name")
                     .child("com:EntityName")),
            "Jun Utsumi");
  pugi::xml_node inventor_address = parties.child("pat:InventorBag")
                                        .child("pat:Inventor")
                                        .child("com:Contact")
                                        .child("com:PostalAddressBag")
                                        .child("com:PostalAddress")
                                        .child("com:PostalStructuredAddress");
  EXPECT_EQ(Text(inventor_address.child("com:AddressLineText")), "Tokyo");
  EXPECT_EQ(Text(inventor_address.child("com:CountryCode")), "JP");
  EXPECT_EQ(Text(parties.child("pat:RegisteredPractitionerBag")
                     .child("pat:RegisteredPractitioner")
                     .child("com:PublicationContact")
                     .child("com:Name")
                     .child("com:EntityName")),
            "Birch, Stewart, Kolasch & Birch, LLP");

  // Document parts in schema order.
  std::vector<std::string> order;
  for (pugi::xml_node n : root.children()) {
    if (n.type() == pugi::node_element) order.push_back(n.name());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"com:IPOfficeCode", "pat:BibliographicData",
                                             "pat:Description", "pat:Claims", "pat:Abstract"}));
  pugi::xml_node claims = root.child("pat:Claims");
  EXPECT_STREQ(claims.attribute("com:languageCode").value(), "en");
  pugi::xml_node claim2 = claims.child("pat:Claim").next_sibling("pat:Claim");
  EXPECT_EQ(Text(claim2.child("pat:ClaimNumber")), "2");
  EXPECT_EQ(Text(claim2.child("pat:ClaimText")), "2. The method of claim 1.");
  std::vector<std::string> abstract;
  for (pugi::xml_node p : root.child("pat:Abstract").children("com:P")) abstract.push_back(Text(p));
  EXPECT_EQ(abstract, (std::vector<std::string>{"A device is made.", "It is bonded."}));
}

TEST_F(St96WriterTest, CpcIsReportedNotInvented) {
  std::string xml;
  pugi::xml_document doc;
  WriteValid(FullRecord(), &doc, &xml);
  EXPECT_EQ(xml.find("CPCClassification>"), std::string::npos);
  EXPECT_NE(xml.find("CPC not written"), std::string::npos);
  EXPECT_NE(xml.find("H01L 21/2007"), std::string::npos);
}

TEST_F(St96WriterTest, MinimalRecordValidates) {
  model::Record r;
  r.office = "EP";
  r.number = "1000000";
  r.kind = "A1";
  std::string xml;
  pugi::xml_document doc;
  pugi::xml_node root = WriteValid(r, &doc, &xml);
  // Required parts exist even though the record has nothing for them.
  pugi::xml_node bib = root.child("pat:BibliographicData");
  EXPECT_TRUE(bib.child("pat:ApplicationIdentification"));
  EXPECT_TRUE(bib.child("pat:InventionTitleBag").child("pat:InventionTitle"));
  EXPECT_TRUE(bib.child("pat:PartyBag").child("pat:ApplicantBag"));
  EXPECT_TRUE(root.child("pat:Claims").child("com:P"));
  EXPECT_NE(xml.find("language unknown"), std::string::npos);
  EXPECT_NE(xml.find("no claims in the record"), std::string::npos);
}

TEST_F(St96WriterTest, MultilingualAndCjkRecordValidates) {
  model::Record r;
  r.office = "EP";
  r.number = "2000000";
  r.kind = "B1";
  r.language = "de";
  r.publication_date = "2016-03-02";
  r.application = {"EP", "09012345.6", "2009-05-01"};
  r.titles = {{"de", "Verfahren zur Herstellung"},
              {"en", "Method of manufacture"},
              {"fr", "Procédé de fabrication"}};
  r.claims = {{"en", {"1. A method."}},
              {"de", {"1. Verfahren.", "2. Verfahren nach Anspruch 1."}},
              {"fr", {"1. Procédé."}}};
  r.abstracts = {{"zh", "本发明涉及一种显示设备。"}, {"ja", "ウェーハの加工方法を提供する。"}};
  r.descriptions = {{"de", "Beschreibung"}, {"en", "Description"}};
  r.applicants = {{"华为技术有限公司", "CN", "深圳市龙岗区"}, {"株式会社ディスコ", "JP", ""}};
  std::string xml;
  pugi::xml_document doc;
  pugi::xml_node root = WriteValid(r, &doc, &xml);
  EXPECT_STREQ(root.attribute("com:languageCode").value(), "de");
  std::vector<std::string> langs;
  for (pugi::xml_node t :
       root.child("pat:BibliographicData").child("pat:InventionTitleBag").children()) {
    langs.push_back(t.attribute("com:languageCode").value());
  }
  EXPECT_EQ(langs, (std::vector<std::string>{"de", "en", "fr"}));
  // The claims in the publication language are written; the others are reported.
  pugi::xml_node claims = root.child("pat:Claims");
  EXPECT_STREQ(claims.attribute("com:languageCode").value(), "de");
  EXPECT_EQ(Text(claims.child("pat:Claim").child("pat:ClaimText")), "1. Verfahren.");
  EXPECT_NE(xml.find("claims in en, fr left out"), std::string::npos) << xml;
  EXPECT_NE(xml.find("本发明涉及一种显示设备。"), std::string::npos);
  EXPECT_NE(xml.find("华为技术有限公司"), std::string::npos);
}

TEST_F(St96WriterTest, PartialDatesAreWrittenAsGYearAndGYearMonth) {
  model::Record r = FullRecord();
  r.publication_date = "2015";
  r.application.date = "1896-02";
  r.priorities = {{"DE", "P123", "1895"}, {"US", "60/984910", ""}, {"GB", "1", "1895-13"}};
  r.citations = {{"DE", "12345", "C", "1896-02", "A", ""}, {"DD", "1", "", "bad", "", ""}};
  std::string xml;
  pugi::xml_document doc;
  pugi::xml_node bib = WriteValid(r, &doc, &xml).child("pat:BibliographicData");
  EXPECT_EQ(Text(bib.child("pat:PatentPublicationIdentification").child("com:PublicationDate")),
            "2015");
  EXPECT_EQ(Text(bib.child("pat:ApplicationIdentification").child("pat:FilingDate")), "1896-02");
  pugi::xml_node prio = bib.child("pat:PriorityClaimBag").child("pat:PriorityClaim");
  EXPECT_EQ(Text(prio.child("pat:FilingDate")), "1895");
  EXPECT_FALSE(prio.next_sibling("pat:PriorityClaim"));  // the two without a usable date
  EXPECT_NE(xml.find("priorities[1]"), std::string::npos);
  EXPECT_NE(xml.find("priorities[2]"), std::string::npos);
  EXPECT_NE(xml.find("\"bad\" is not an ISO 8601 date"), std::string::npos);
}

TEST_F(St96WriterTest, SpecialCharactersAreEscapedAndSurviveParsing) {
  model::Record r = FullRecord();
  const std::string nasty = "A & B < C > D \"q\" 'a' ]]> end";
  r.titles = {{"en", nasty}};
  r.abstracts = {{"en", nasty}};
  r.claims = {{"en", {nasty}}};
  r.applicants = {{nasty, "US", nasty}};
  r.ipc = {nasty};
  r.citations = {{"", "", "", "", "", nasty}};
  std::string xml;
  pugi::xml_document doc;
  pugi::xml_node root = WriteValid(r, &doc, &xml);
  EXPECT_EQ(xml.find("]]>"), std::string::npos) << "']]>' must not appear unescaped";
  EXPECT_EQ(xml.find("A & B"), std::string::npos);
  pugi::xml_node bib = root.child("pat:BibliographicData");
  EXPECT_EQ(Text(bib.child("pat:InventionTitleBag").child("pat:InventionTitle")), nasty);
  EXPECT_EQ(Text(root.child("pat:Claims").child("pat:Claim").child("pat:ClaimText")), nasty);
  EXPECT_EQ(Text(root.child("pat:Abstract").child("com:P")), nasty);
  EXPECT_EQ(Text(bib.child("pat:ReferenceCitationBag")
                     .child("pat:ReferenceCitation")
                     .child("com:NPLCitation")
                     .child("com:NPLCitationText")),
            nasty);
}

TEST_F(St96WriterTest, ForbiddenCharactersAndInvalidUtf8AreCleaned) {
  model::Record r = FullRecord();
  r.titles = {{"en", std::string("bell\x07 nul") + '\0' + "\x1F end \xEF\xBF\xBE \xC3\x28 ok"}};
  r.claims = {{"en", {"tab\tand\r\nnewline"}}};
  pugi::xml_document doc;
  pugi::xml_node root = WriteValid(r, &doc);
  EXPECT_EQ(Text(root.child("pat:BibliographicData")
                     .child("pat:InventionTitleBag")
                     .child("pat:InventionTitle")),
            "bell nul end  \xEF\xBF\xBD( ok");
}

TEST_F(St96WriterTest, CodesTheSchemaRejectsAreNotWritten) {
  model::Record r = FullRecord();
  r.language = "xx";
  r.titles = {{"EN", "Upper-case language code"}, {"ja", "装置"}};
  r.application.office = "";
  r.priorities = {{"ZZ", "1", "2001-01-01"}};
  r.applicants = {{"European applicant", "EP", "Munich"}, {"Unknown", "XX", ""}};
  r.citations = {{"ZZ", "123", "A", "2001", "cited by applicant", ""},
                 {"US", "1", "", "", "weird", ""}};
  std::string xml;
  pugi::xml_document doc;
  pugi::xml_node root = WriteValid(r, &doc, &xml);
  // No valid publication language; the first valid text language is used for the document.
  EXPECT_STREQ(root.attribute("com:languageCode").value(), "ja");
  pugi::xml_node bib = root.child("pat:BibliographicData");
  EXPECT_EQ(Text(bib.child("pat:ApplicationIdentification").child("com:IPOfficeCode")), "US");
  EXPECT_FALSE(bib.child("pat:PriorityClaimBag"));
  pugi::xml_node applicant =
      bib.child("pat:PartyBag").child("pat:ApplicantBag").child("pat:Applicant");
  EXPECT_EQ(Text(applicant.child("com:Contact")
                     .child("com:PostalAddressBag")
                     .child("com:PostalAddress")
                     .child("com:PostalAddressText")),
            "Munich");
  pugi::xml_node cite = bib.child("pat:ReferenceCitationBag").child("pat:ReferenceCitation");
  EXPECT_EQ(Text(cite.child("com:PatentCitation").child("com:PatentCitationText")),
            "ZZ 123 A 2001");
  EXPECT_EQ(Text(cite.next_sibling().child("com:CommentText")), "category: weird");
}

// Decodes every document of `path` and checks that each accepted record's ST.96 output
// validates. Returns the number of records checked.
int CheckDecodedFile(const St96Schema& schema, const std::string& path) {
  auto splitter = DocumentSplitter::Open(path);
  if (!splitter.ok()) {
    ADD_FAILURE() << path << ": " << splitter.status().ToString();
    return 0;
  }
  int checked = 0;
  for (;;) {
    auto next = (*splitter)->Next();
    if (!next.ok()) {
      ADD_FAILURE() << path << ": " << next.status().ToString();
      break;
    }
    if (!next->has_value()) break;
    const Decoded decoded = Decode(**next);
    bool rejected = !decoded.record.has_value();
    for (const auto& f : decoded.findings) rejected |= f.severity == model::Severity::kError;
    if (rejected) continue;  // rejects are the readers' business, not the writer's
    const std::string xml = ToSt96Xml(*decoded.record);
    Status s = schema.Validate(xml);
    EXPECT_TRUE(s.ok()) << path << " @" << (*next)->offset << " (" << decoded.record->Id()
                        << "): " << s.ToString();
    ++checked;
  }
  return checked;
}

TEST_F(St96WriterTest, WipoExampleDecodedAndRewrittenValidates) {
  const int checked = CheckDecodedFile(*schema_, kSchemaDir + "/PatentPublication_Example.xml");
  EXPECT_EQ(checked, 1) << "the ST.96 reader should accept WIPO's own example";
}

TEST_F(St96WriterTest, EverySampleRecordWritesValidSt96) {
  const std::filesystem::path samples = std::filesystem::path(IPDX_SOURCE_DIR) / "data/sample";
  if (!std::filesystem::is_directory(samples)) GTEST_SKIP() << "no data/sample/ folder";
  int files = 0;
  int checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(samples)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".xml" && ext != ".XML" && ext != ".zip" && ext != ".jsonl") continue;
    ++files;
    checked += CheckDecodedFile(*schema_, entry.path().string());
  }
  if (files == 0) GTEST_SKIP() << "data/sample/ holds no documents";
  EXPECT_GT(checked, 0) << "no sample record was accepted by the readers";
}

}  // namespace
}  // namespace ipdx::codec
