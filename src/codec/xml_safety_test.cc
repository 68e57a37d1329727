#include "codec/xml_safety.h"

#include <gtest/gtest.h>

#include <string>

#include "codec/codec.h"
#include "codec/entities.h"

namespace ipdx::codec::internal {
namespace {

std::string Rules(const PreparedXml& x) {
  std::string out;
  for (const auto& f : x.findings) out += f.rule + " ";
  return out;
}

TEST(Entities, TableIsSortedAndResolvesIsoAndHtmlNames) {
  EXPECT_GT(NamedEntityCount(), 2300u);
  EXPECT_EQ(LookupNamedEntity("lsqb"), "[");
  EXPECT_EQ(LookupNamedEntity("rsqb"), "]");
  EXPECT_EQ(LookupNamedEntity("ldquo"), "\u201C");
  EXPECT_EQ(LookupNamedEntity("minus"), "\u2212");
  EXPECT_EQ(LookupNamedEntity("deg"), "\u00B0");
  EXPECT_EQ(LookupNamedEntity("emsp"), "\u2003");
  EXPECT_EQ(LookupNamedEntity("lgr"), "\u03BB");  // ISO 8879 Greek, not in HTML 5
  EXPECT_EQ(LookupNamedEntity("PHgr"), "\u03A6");
  EXPECT_EQ(LookupNamedEntity("SACUTE"), "\u015A");  // DOCDB extra
  EXPECT_EQ(LookupNamedEntity("lt"), "<");           // double-escaped in the DTD
  EXPECT_EQ(LookupNamedEntity("nvlt"), "<\u20D2");
  EXPECT_EQ(LookupNamedEntity("afr"), "\U0001D51E");
  EXPECT_FALSE(LookupNamedEntity("lol9").has_value());
  EXPECT_FALSE(LookupNamedEntity("LSQB ").has_value());
}

TEST(PrepareXml, ResolvesNamedEntitiesInTextAndAttributes) {
  PreparedXml x = PrepareXml(
      "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<a t=\"&deg;&lt;\">x &lsqb;1&rsqb; &amp; &#x3B1; "
      "&lt;</a>");
  ASSERT_TRUE(x.findings.empty()) << Rules(x);
  EXPECT_EQ(x.root_name, "a");
  EXPECT_NE(x.text.find("<a t=\"\u00B0&lt;\">x [1] &amp; &#x3B1; &lt;</a>"), std::string::npos)
      << x.text;
  EXPECT_EQ(x.bom_bytes, 3u);
}

TEST(PrepareXml, EntityWhoseCharacterIsMarkupStaysEscaped) {
  PreparedXml x = PrepareXml("<a>&nvlt;</a>");
  ASSERT_TRUE(x.findings.empty());
  EXPECT_EQ(x.text, "<a>&lt;\u20D2</a>");
}

TEST(PrepareXml, RejectsExternalEntities) {
  for (std::string decl : {"<!ENTITY xxe SYSTEM \"file:///etc/passwd\">",
                           "<!ENTITY xxe PUBLIC \"-//x//y\" \"http://evil.example/x\">",
                           "<!ENTITY % p SYSTEM \"http://evil.example/p.dtd\"> %p;"}) {
    PreparedXml x = PrepareXml("<!DOCTYPE a [" + decl + "]><a>&xxe;</a>");
    ASSERT_EQ(x.findings.size(), 1u) << decl;
    EXPECT_EQ(x.findings[0].rule, "XML-XXE");
    EXPECT_NE(x.findings[0].message.find("never loads external entities"), std::string::npos);
  }
}

TEST(PrepareXml, NdataEntitiesAreHarmless) {
  PreparedXml x = PrepareXml(
      "<!DOCTYPE PATDOC SYSTEM \"x.dtd\" [\n<!ENTITY US1-D00000.TIF SYSTEM \"US1-D00000.TIF\" "
      "NDATA TIF>\n]><PATDOC>&lsqb;</PATDOC>");
  EXPECT_TRUE(x.findings.empty()) << Rules(x);
  EXPECT_NE(x.doctype.find("NDATA TIF"), std::string::npos);
}

TEST(PrepareXml, RejectsBillionLaughsWithoutExpanding) {
  std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n";
  for (int i = 1; i <= 9; ++i) {
    doc += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k)
      doc += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
    doc += "\">\n";
  }
  doc += "]>\n<lolz>&lol9;</lolz>";
  PreparedXml x = PrepareXml(doc);
  ASSERT_EQ(x.findings.size(), 1u);
  EXPECT_EQ(x.findings[0].rule, "XML-ENTITY");
  EXPECT_NE(x.findings[0].message.find("&lol9;"), std::string::npos);
  EXPECT_NE(x.findings[0].message.find("line 14, column 7"), std::string::npos)
      << x.findings[0].message;
}

TEST(PrepareXml, UnknownEntityIsNamed) {
  PreparedXml x = PrepareXml("<a>\n  &bogusname;</a>");
  ASSERT_EQ(x.findings.size(), 1u);
  EXPECT_EQ(x.findings[0].rule, "XML-ENTITY");
  EXPECT_NE(x.findings[0].message.find("&bogusname;"), std::string::npos);
  EXPECT_NE(x.findings[0].message.find("line 2, column 3"), std::string::npos)
      << x.findings[0].message;
}

TEST(PrepareXml, RawAmpersandIsNotWellFormed) {
  PreparedXml x = PrepareXml("<a>Smith & Jones</a>");
  ASSERT_EQ(x.findings.size(), 1u);
  EXPECT_EQ(x.findings[0].rule, "XML-WELLFORMED");
}

TEST(PrepareXml, DepthLimitWithoutRecursion) {
  std::string doc;
  const int n = 1'000'000;
  doc.reserve(n * 7 + 10);
  for (int i = 0; i < n; ++i) doc += "<a>";
  for (int i = 0; i < n; ++i) doc += "</a>";
  PreparedXml x = PrepareXml(doc);
  ASSERT_EQ(x.findings.size(), 1u);
  EXPECT_EQ(x.findings[0].rule, "XML-DEPTH");
  std::string ok;
  for (int i = 0; i < kMaxNestingDepth; ++i) ok += "<a>";
  for (int i = 0; i < kMaxNestingDepth; ++i) ok += "</a>";
  EXPECT_TRUE(PrepareXml(ok).findings.empty());
}

TEST(PrepareXml, TruncatedDocument) {
  PreparedXml x = PrepareXml("<?xml version=\"1.0\"?><root><b>text</b><c>more");
  ASSERT_EQ(x.findings.size(), 1u);
  EXPECT_EQ(x.findings[0].rule, "XML-TRUNCATED");
  EXPECT_TRUE(x.truncated);
  x = PrepareXml("<root><b attr=\"unfinished");
  ASSERT_EQ(x.findings.size(), 1u);
  EXPECT_EQ(x.findings[0].rule, "XML-TRUNCATED");
}

TEST(PrepareXml, InvalidUtf8AndControlCharacters) {
  PreparedXml x = PrepareXml("<a>\xC3\x28</a>");
  ASSERT_EQ(x.findings.size(), 1u);
  EXPECT_EQ(x.findings[0].rule, "XML-WELLFORMED");
  EXPECT_NE(x.findings[0].message.find("byte 3"), std::string::npos);
  x = PrepareXml(std::string("<a>\x01</a>"));
  ASSERT_EQ(x.findings.size(), 1u);
  EXPECT_NE(x.findings[0].message.find("U+0001"), std::string::npos);
}

TEST(PrepareXml, OffsetsMapBackAcrossReplacements) {
  PreparedXml x = PrepareXml("<a>&ldquo;&ldquo;<b/></a>");
  ASSERT_TRUE(x.findings.empty());
  // "&ldquo;" (7 bytes) became 3 bytes twice: text offset of "<b/>" is 9, input offset is 17.
  size_t b = x.text.find("<b/>");
  EXPECT_EQ(x.InputOffset(b), 17u);
  EXPECT_EQ(x.InputOffset(1), 1u);
}

}  // namespace
}  // namespace ipdx::codec::internal

namespace ipdx::codec::internal {
namespace {
TEST(PrepareXml, ContentAfterTheRootElementIsNotWellFormed) {
  PreparedXml x = PrepareXml("<a/>\n<b/>");
  ASSERT_EQ(x.findings.size(), 1u);
  EXPECT_EQ(x.findings[0].rule, "XML-WELLFORMED");
  EXPECT_NE(x.findings[0].message.find("second root element"), std::string::npos);
  x = PrepareXml("<a></a> junk");
  ASSERT_EQ(x.findings.size(), 1u);
  EXPECT_NE(x.findings[0].message.find("text after the document element"), std::string::npos);
  EXPECT_TRUE(PrepareXml("<a></a>\n<!-- c --><?pi x?>\n").findings.empty());
}
}  // namespace
}  // namespace ipdx::codec::internal
