// Tests of the libxml2 ST.96 V6_0 validator and of the code lists copied from the schema.
#include "codec/st96_schema.h"

#include <gtest/gtest.h>

#include <fstream>
#include <pugixml.hpp>
#include <set>
#include <sstream>
#include <string>

namespace ipdx::codec {
namespace {

const std::string kSchemaDir = std::string(IPDX_SOURCE_DIR) + "/data/schema/st96-v6_0";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class St96SchemaTest : public ::testing::Test {
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
  static St96Schema* schema_;
};
St96Schema* St96SchemaTest::schema_ = nullptr;

TEST_F(St96SchemaTest, WipoExampleInstanceValidates) {
  const std::string xml = ReadFile(kSchemaDir + "/PatentPublication_Example.xml");
  ASSERT_GT(xml.size(), 100000u);
  Status s = schema_->Validate(xml);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(St96SchemaTest, OneShotFunctionAgrees) {
  const std::string xml = ReadFile(kSchemaDir + "/PatentPublication_Example.xml");
  EXPECT_TRUE(ValidateSt96(xml, kSchemaDir).ok());
}

TEST_F(St96SchemaTest, BrokenDocumentFailsWithLineAndMessage) {
  std::string xml = ReadFile(kSchemaDir + "/PatentPublication_Example.xml");
  // Swap the required order: put the kind code before the publication number.
  const std::string from =
      "<pat:PublicationNumber>08936998</pat:PublicationNumber>\n"
      "         <com:PatentDocumentKindCode>B2</com:PatentDocumentKindCode>";
  const std::string to =
      "<com:PatentDocumentKindCode>B2</com:PatentDocumentKindCode>\n"
      "         <pat:PublicationNumber>08936998</pat:PublicationNumber>";
  const size_t at = xml.find(from);
  ASSERT_NE(at, std::string::npos);
  xml.replace(at, from.size(), to);
  Status s = schema_->Validate(xml);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("line 17: "), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("PatentDocumentKindCode"), std::string::npos) << s.message();
}

TEST_F(St96SchemaTest, BadCodeValueFails) {
  std::string xml = ReadFile(kSchemaDir + "/PatentPublication_Example.xml");
  const std::string from = "<com:IPOfficeCode>US</com:IPOfficeCode>";
  const size_t at = xml.find(from);
  ASSERT_NE(at, std::string::npos);
  xml.replace(at, from.size(), "<com:IPOfficeCode>QQ</com:IPOfficeCode>");
  Status s = schema_->Validate(xml);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'QQ'"), std::string::npos) << s.message();
}

TEST_F(St96SchemaTest, NotWellFormedFails) {
  Status s = schema_->Validate("<pat:PatentPublication xmlns:pat=\"x\"><a></b>");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not well-formed"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("line 1: "), std::string::npos) << s.message();
  EXPECT_FALSE(schema_->Validate("").ok());
}

TEST_F(St96SchemaTest, ExternalEntitiesAreNotExpanded) {
  const std::string xml =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE pat:PatentPublication [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n"
      "<pat:PatentPublication xmlns:pat=\"http://www.wipo.int/standards/XMLSchema/ST96/Patent\" "
      "xmlns:com=\"http://www.wipo.int/standards/XMLSchema/ST96/Common\" "
      "com:st96Version=\"V6_0\" com:languageCode=\"en\"><com:IPOfficeCode>&e;</com:IPOfficeCode>"
      "</pat:PatentPublication>";
  Status s = schema_->Validate(xml);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find("root:"), std::string::npos) << s.message();
}

TEST(St96SchemaLoadTest, MissingSchemaIsIOError) {
  auto loaded = St96Schema::Load("/nonexistent/ipdx/schema");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kIOError);
  EXPECT_EQ(ValidateSt96("<a/>", "/nonexistent/ipdx/schema").code(), StatusCode::kIOError);
}

// The code lists compiled into st96_schema.cc must equal the enumerations of the shipped XSD.
std::set<std::string> Enumeration(const pugi::xml_document& xsd, const char* type) {
  std::set<std::string> out;
  pugi::xml_node t = xsd.document_element().find_child_by_attribute("xsd:simpleType", "name", type);
  for (pugi::xml_node e : t.child("xsd:restriction").children("xsd:enumeration")) {
    out.insert(e.attribute("value").value());
  }
  return out;
}

TEST(St96CodeListTest, MatchTheSchemaEnumerations) {
  pugi::xml_document xsd;
  ASSERT_TRUE(xsd.load_file((kSchemaDir + "/PatentPublication_V6_0_Common.xsd").c_str()));
  struct List {
    const char* current;
    const char* former;
    bool (*contains)(std::string_view);
    size_t expected_size;
  };
  const List lists[] = {
      {"WIPOST3CodeType", "WIPOFormerST3CodeType", IsSt96OfficeCode, 233 + 9},
      {"ISOCountryCodeType", "ISOFormerCountryCodeType", IsSt96CountryCode, 249 + 11},
      {"ISOLanguageCodeType", "ISOFormerLanguageCodeType", IsSt96LanguageCode, 185 + 2},
  };
  for (const auto& l : lists) {
    std::set<std::string> all = Enumeration(xsd, l.current);
    const std::set<std::string> former = Enumeration(xsd, l.former);
    all.insert(former.begin(), former.end());
    EXPECT_EQ(all.size(), l.expected_size) << l.current;
    for (const auto& code : all) EXPECT_TRUE(l.contains(code)) << l.current << " " << code;
    // Every two-letter string not in the schema is rejected.
    for (char a = 'A'; a <= 'z'; ++a) {
      for (char b = 'A'; b <= 'z'; ++b) {
        const std::string code{a, b};
        EXPECT_EQ(l.contains(code), all.count(code) == 1) << l.current << " " << code;
      }
    }
  }
  EXPECT_TRUE(IsSt96OfficeCode("EP"));
  EXPECT_TRUE(IsSt96OfficeCode("SU"));
  EXPECT_FALSE(IsSt96CountryCode("EP"));
  EXPECT_TRUE(IsSt96CountryCode("JP"));
  EXPECT_TRUE(IsSt96LanguageCode("zh"));
  EXPECT_FALSE(IsSt96LanguageCode("EN"));
  EXPECT_FALSE(IsSt96OfficeCode(""));
}

}  // namespace
}  // namespace ipdx::codec
