// Tests for the shared XML text and navigation helpers.
#include "codec/xml_text.h"

#include <gtest/gtest.h>

#include <string>

namespace ipdx::codec::internal {
namespace {

pugi::xml_node Load(pugi::xml_document* doc, const char* xml) {
  pugi::xml_parse_result ok = doc->load_string(xml, pugi::parse_default | pugi::parse_ws_pcdata);
  EXPECT_TRUE(ok) << ok.description();
  return doc->document_element();
}

TEST(XmlText, FlattensSubSupAndCollapsesWhitespace) {
  pugi::xml_document doc;
  pugi::xml_node p = Load(&doc,
                          "<p>  H<sub>2</sub>O and\n   CO<sub>2</sub> at 10<sup>-3</sup>"
                          " <b>bar</b> <i>et</i> <i>al.</i>  </p>");
  EXPECT_EQ(InlineText(p), "H2O and CO2 at 10-3 bar et al.");
}

TEST(XmlText, BlockBoundariesSeparateWords) {
  pugi::xml_document doc;
  pugi::xml_node c = Load(&doc,
                          "<claim><claim-text>comprising:<claim-text>a (1),</claim-text>"
                          "<claim-text>b (2).</claim-text></claim-text></claim>");
  EXPECT_EQ(InlineText(c), "comprising: a (1), b (2).");
}

TEST(XmlText, BlockTextKeepsParagraphs) {
  pugi::xml_document doc;
  pugi::xml_node d = Load(&doc,
                          "<description><heading>Field</heading>\n<p num='1'>First <u>one</u>."
                          "</p><p num='2'>Second\n one.</p></description>");
  EXPECT_EQ(BlockText(d), "Field\nFirst one.\nSecond one.");
  EXPECT_EQ(InlineText(d), "Field First one. Second one.");
}

TEST(XmlText, LineWrapsInsideCjkVanish) {
  pugi::xml_document doc;
  pugi::xml_node p = Load(&doc,
                          "<p>本发明涉及hepcidin-25选择性单克隆抗体，更特\n\t\t<br/>别地，"
                          "本发明\n<br/>hepcidin。速水  進治</p>");
  // CJK|CJK wrap: joined; CJK|Latin wrap: a space; a space typed in the text stays a space.
  EXPECT_EQ(InlineText(p),
            "本发明涉及hepcidin-25选择性单克隆抗体，更特别地，本发明 hepcidin。速水 進治");
}

TEST(XmlText, DeepNestingIsIterative) {
  std::string xml;
  for (int i = 0; i < 5000; ++i) xml += "<b>";
  xml += "x";
  for (int i = 0; i < 5000; ++i) xml += "</b>";
  pugi::xml_document doc;
  pugi::xml_node n = Load(&doc, xml.c_str());
  EXPECT_EQ(InlineText(n), "x");
  EXPECT_TRUE(FindDescendant(doc, "nothing").empty());
}

TEST(XmlText, NamespaceResolution) {
  pugi::xml_document doc;
  pugi::xml_node root = Load(&doc,
                             "<a:Root xmlns:a='urn:a' xmlns='urn:default'><b:X xmlns:b='urn:a'/>"
                             "<X/><a:Y/></a:Root>");
  EXPECT_EQ(NamespaceUri(root), "urn:a");
  EXPECT_TRUE(IsElement(root.first_child(), "urn:a", "X"));
  EXPECT_EQ(NamespaceUri(root.first_child().next_sibling()), "urn:default");
  EXPECT_EQ(ChildrenNs(root, "urn:a", "X").size(), 1u);
  EXPECT_EQ(LocalName(ChildNs(root, "urn:a", "Y")), "Y");
}

TEST(XmlText, TrimAndCollapse) {
  EXPECT_EQ(Trim("\xC2\xA0 A61K \t"), "A61K");
  EXPECT_EQ(CollapseSpace("  JACOB,\n   Christophe "), "JACOB, Christophe");
}

TEST(MapHelpers, FindingsQuoteTheValue) {
  std::vector<model::Finding> findings;
  std::vector<std::string> ipc;
  AddClassification("A61K  31/4439      20060101AFI20160101BHEP", "ipc", "MAP-IPC", &ipc,
                    &findings);
  AddClassification("A61K 31/4439", "ipc", "MAP-IPC", &ipc, &findings);  // duplicate
  AddClassification("not a symbol", "ipc", "MAP-IPC", &ipc, &findings);
  EXPECT_EQ(ipc, (std::vector<std::string>{"A61K 31/4439"}));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "MAP-IPC");
  EXPECT_NE(findings[0].message.find("\"not a symbol\""), std::string::npos);

  EXPECT_EQ(MapDate("20150120", "publication_date", &findings), "2015-01-20");
  EXPECT_EQ(MapDate("20150230", "priorities[0].date", &findings), "");
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[1].field, "priorities[0].date");
  EXPECT_EQ(MapLang(" EN", "titles", &findings), "en");
  EXPECT_EQ(findings.size(), 2u);
}

}  // namespace
}  // namespace ipdx::codec::internal
