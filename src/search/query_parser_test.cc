// The query language: every construct parses to the expected tree, and every error names the
// position (in Unicode code points) of the offending part.
#include <gtest/gtest.h>

#include <string>

#include "search/search.h"

namespace ipdx::search {
namespace {

std::string Explain(const std::string& query) {
  QueryError error;
  auto result = ExplainQuery(query, &error);
  if (!result.ok()) return "ERROR " + result.status().message();
  return *result;
}

struct ErrorCase {
  std::string query;
  size_t position;
  std::string message_part;
};

void ExpectError(const ErrorCase& c) {
  QueryError error;
  const Status status = ValidateQuery(c.query, &error);
  ASSERT_FALSE(status.ok()) << c.query;
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.query;
  EXPECT_EQ(error.position, c.position) << c.query << " -> " << status.message();
  EXPECT_NE(error.message.find(c.message_part), std::string::npos)
      << c.query << " -> " << error.message;
  EXPECT_EQ(status.message(), "position " + std::to_string(c.position) + ": " + error.message);
}

TEST(QueryParser, DefaultFieldAndImplicitAnd) {
  EXPECT_EQ(Explain("motor"), "txt:motor");
  EXPECT_EQ(Explain("electric motor"), "AND(txt:electric, txt:motor)");
  EXPECT_EQ(Explain("electric AND motor"), "AND(txt:electric, txt:motor)");
  EXPECT_EQ(Explain("electric and motor"), "AND(txt:electric, txt:motor)");
}

TEST(QueryParser, OrBindsLooserThanAnd) {
  EXPECT_EQ(Explain("a b OR c"), "OR(AND(txt:a, txt:b), txt:c)");
  EXPECT_EQ(Explain("a (b OR c)"), "AND(txt:a, OR(txt:b, txt:c))");
  EXPECT_EQ(Explain("a or b Or c"), "OR(txt:a, txt:b, txt:c)");
}

TEST(QueryParser, NotAndMinus) {
  EXPECT_EQ(Explain("motor NOT diesel"), "AND(txt:motor, -txt:diesel)");
  EXPECT_EQ(Explain("motor -diesel"), "AND(txt:motor, -txt:diesel)");
  EXPECT_EQ(Explain("NOT diesel"), "AND(-txt:diesel)");
  EXPECT_EQ(Explain("motor not (diesel OR petrol)"), "AND(txt:motor, -OR(txt:diesel, txt:petrol))");
  EXPECT_EQ(Explain("-cc:US"), "AND(-cc:US)");
  // A hyphen inside a word is part of the word.
  EXPECT_EQ(Explain("3-methyl"), "txt:3-methyl");
}

TEST(QueryParser, Fields) {
  EXPECT_EQ(Explain("ti:motor"), "ti:motor");
  EXPECT_EQ(Explain("TI:motor"), "ti:motor");
  EXPECT_EQ(Explain("ab:motor cl:rotor de:stator"), "AND(ab:motor, cl:rotor, de:stator)");
  EXPECT_EQ(Explain("pa:siemens in:\"Hans Muller\""), "AND(pa:siemens, in:\"Hans Muller\")");
  EXPECT_EQ(Explain("ti:(motor OR engine)"), "OR(ti:motor, ti:engine)");
  EXPECT_EQ(Explain("ti:(motor OR ab:engine)"), "OR(ti:motor, ab:engine)");
  EXPECT_EQ(Explain("ipc:A61K"), "ipc:A61K");
  EXPECT_EQ(Explain("ipc:\"A61K 31\""), "ipc:\"A61K 31\"");
  EXPECT_EQ(Explain("cpc:A61K31/4439"), "cpc:A61K31/4439");
  EXPECT_EQ(Explain("pn:US-8936998-B2"), "pn:US-8936998-B2");
  EXPECT_EQ(Explain("pn:\"US 8,936,998 B2\""), "pn:\"US 8,936,998 B2\"");
  EXPECT_EQ(Explain("an:\"US 12/134,151\""), "an:\"US 12/134,151\"");
  EXPECT_EQ(Explain("cc:ep kind:b1"), "AND(cc:ep, kind:b1)");
}

TEST(QueryParser, PhrasesAndTypographicQuotes) {
  EXPECT_EQ(Explain("\"electric motor\""), "txt:\"electric motor\"");
  EXPECT_EQ(Explain("\xE2\x80\x9C"
                    "electric motor"
                    "\xE2\x80\x9D"),
            "txt:\"electric motor\"");
}

TEST(QueryParser, Proximity) {
  EXPECT_EQ(Explain("rotor NEAR/5 stator"), "NEAR/5(txt:rotor, txt:stator)");
  EXPECT_EQ(Explain("rotor near stator"), "NEAR/5(txt:rotor, txt:stator)");
  EXPECT_EQ(Explain("rotor ADJ/3 stator"), "ADJ/3(txt:rotor, txt:stator)");
  EXPECT_EQ(Explain("rotor adj stator"), "ADJ/0(txt:rotor, txt:stator)");
  EXPECT_EQ(Explain("a NEAR/2 b NEAR/2 c"), "NEAR/2(txt:a, txt:b, txt:c)");
  EXPECT_EQ(Explain("(motor OR engine) NEAR/3 electr*"),
            "NEAR/3(OR(txt:motor, txt:engine), txt:electr*)");
  EXPECT_EQ(Explain("x ti:rotor NEAR/1 ti:stator"), "AND(txt:x, NEAR/1(ti:rotor, ti:stator))");
}

TEST(QueryParser, TruncationAndBoost) {
  EXPECT_EQ(Explain("electr*"), "txt:electr*");
  EXPECT_EQ(Explain("ipc:A61K31/44*"), "ipc:A61K31/44*");
  EXPECT_EQ(Explain("motor^2 engine"), "AND(txt:motor^2, txt:engine)");
  EXPECT_EQ(Explain("\"electric motor\"^1.5"), "txt:\"electric motor\"^1.5");
  EXPECT_EQ(Explain("(a OR b)^3"), "OR(txt:a, txt:b)^3");
  EXPECT_EQ(Explain("ti:motor^0.5"), "ti:motor^0.5");
}

TEST(QueryParser, Dates) {
  EXPECT_EQ(Explain("pd:2015..2018"), "pd:2015..2018");
  EXPECT_EQ(Explain("pd>=2016-03-01"), "pd>=2016-03-01");
  EXPECT_EQ(Explain("pd<2015"), "pd<2015");
  EXPECT_EQ(Explain("ad:>20150301"), "ad>20150301");
  EXPECT_EQ(Explain("prd<=2010-06"), "prd<=2010-06");
  EXPECT_EQ(Explain("pd:2015.."), "pd:2015..");
  EXPECT_EQ(Explain("pd:..2015"), "pd:..2015");
  EXPECT_EQ(Explain("ipc:H04L AND pd<2015"), "AND(ipc:H04L, pd<2015)");
}

TEST(QueryParser, CjkAndAccents) {
  EXPECT_EQ(Explain("ti:显示设备"), "ti:显示设备");
  EXPECT_EQ(Explain("électrique"), "txt:électrique");
  // IDEOGRAPHIC SPACE separates words like a space.
  EXPECT_EQ(Explain("显示\xE3\x80\x80设备"), "AND(txt:显示, txt:设备)");
}

TEST(QueryParser, SyntaxErrorsPointAtTheProblem) {
  const ErrorCase cases[] = {
      {"", 0, "empty query"},
      {"   ", 0, "empty query"},
      {"(a OR b", 7, "expected ')' to close '(' at position 0"},
      {"x AND (a OR (b c)", 17, "expected ')' to close '(' at position 6"},
      {"a b)", 3, "unexpected ')'"},
      {"()", 1, "empty parentheses"},
      {"\"electric motor", 0, "unterminated phrase"},
      {"a \"\" b", 2, "empty phrase"},
      {"OR a", 0, "'OR' needs a term before it"},
      {"a OR", 4, "expected a term after 'OR'"},
      {"a AND", 5, "expected a term after 'AND'"},
      {"AND a", 0, "'AND' needs a term before it"},
      {"a AND AND b", 6, "expected a term after 'AND'"},
      {"a NOT", 5, "expected a term after 'NOT'"},
      {"a - b", 2, "expected a term right after '-'"},
      {"NEAR/3 a", 0, "needs a term before it"},
      {"a NEAR/3", 8, "expected a word after 'NEAR/3'"},
      {"a NEAR/x b", 7, "expected a number of words after 'NEAR/'"},
      {"a NEAR/9999 b", 7, "too large"},
      {"a NEAR/3 b ADJ/3 c", 11, "one proximity chain uses one operator and distance"},
      {"a NEAR/3 b NEAR/4 c", 11, "one proximity chain"},
      {"xx:motor", 0, "unknown field 'xx'"},
      {"ti: motor", 3, "expected a value right after 'ti:'"},
      {"ti:", 3, "expected a value right after 'ti:'"},
      {"ti>=motor", 2, "comparisons"},
      {"pd>= 2015", 5, "expected a date right after 'pd>='"},
      {"*", 0, "'*' needs at least one character"},
      {"el*ctric", 2, "only right truncation"},
      {"*lectric", 0, "only right truncation"},
      {"\"electr* motor\"", 7, "not supported inside a phrase"},
      {"motor^", 6, "expected a number after '^'"},
      {"motor^x", 6, "expected a number after '^'"},
      {"motor ^2", 6, "'^' must directly follow"},
      {"motor^0", 6, "out of range"},
      {"motor^2^3", 7, "one boost at most"},
      {"pd:2015*", 7, "truncation is not supported for dates"},
      // Positions count Unicode characters, not bytes: "显示" is 2 characters (6 bytes).
      {"显示 (a", 5, "expected ')' to close '(' at position 3"},
  };
  for (const ErrorCase& c : cases) ExpectError(c);
}

TEST(QueryParser, ValueErrorsPointAtTheValue) {
  const ErrorCase cases[] = {
      {"ipc:A6", 4, "is not a classification symbol"},
      {"motor ipc:\"A61K 31/\"", 10, "is not a classification symbol"},
      {"cc:QQ", 3, "is not an ST.3 office code"},
      {"cc:USA", 3, "is not an ST.3 office code"},
      {"kind:B22", 5, "is not an ST.16 kind code"},
      {"pd:2015-13-01", 3, "2015-13-01"},
      {"pd:2015..2018-02-30", 9, "2018-02-30"},
      {"pd:2018..2015", 3, "empty date range"},
      {"pd:..", 3, "at least one end"},
      {"pd<2015..2016", 3, "one date, not a range"},
      {"pn:U", 3, "is not a number"},
      {"an:/", 3, "is not a number"},
      {"!!!", 0, "has no searchable characters"},
      {"a ti:%%", 5, "has no searchable characters"},
      {"3-meth*", 0, "truncation applies to one word"},
      {"cc:US*", 3, "truncation is not supported in field 'cc'"},
      {"\"electric motor\" NEAR/2 x", 0, "is several words"},
      {"pd:2015 NEAR/2 x", 0, "NEAR/ADJ operands are words"},
      {"motor^2 NEAR/2 x", 0, "boosts inside NEAR/ADJ"},
  };
  for (const ErrorCase& c : cases) ExpectError(c);
}

TEST(QueryParser, DeepNestingIsRefusedNotCrashing) {
  std::string query(200, '(');
  query += "a";
  query += std::string(200, ')');
  QueryError error;
  const Status status = ValidateQuery(query, &error);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(error.position, 64u);
  EXPECT_NE(error.message.find("nested too deeply"), std::string::npos);
}

}  // namespace
}  // namespace ipdx::search
