// ST.3 and ST.16 tables. The ST.3 test reads the TSV the table was generated from and checks the
// compiled-in table row by row, so a stale or hand-edited table fails here.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "model/model.h"

namespace ipdx::model {
namespace {

TEST(St3, EmbeddedTableEqualsTsv) {
  const std::string path =
      std::string(IPDX_SOURCE_DIR) + "/data/codes/st3_codes_from_st96_v6_xsd.tsv";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot open " << path;
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "code\tname\tstatus");
  int current = 0;
  int former = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream row(line);
    std::string code, name, status;
    std::getline(row, code, '\t');
    std::getline(row, name, '\t');
    std::getline(row, status, '\t');
    SCOPED_TRACE(line);
    EXPECT_EQ(St3Name(code), name);
    if (status == "current") {
      ++current;
      EXPECT_EQ(LookupSt3(code), St3Status::kCurrent);
    } else {
      ++former;
      EXPECT_EQ(status, "former");
      EXPECT_EQ(LookupSt3(code), St3Status::kFormer);
    }
  }
  EXPECT_EQ(current, 233);
  EXPECT_EQ(former, 9);
}

TEST(St3, KnownCodes) {
  EXPECT_EQ(LookupSt3("DE"), St3Status::kCurrent);
  EXPECT_EQ(St3Name("DE"), "Germany");
  EXPECT_EQ(LookupSt3("EP"), St3Status::kCurrent);
  EXPECT_EQ(LookupSt3("WO"), St3Status::kCurrent);
  EXPECT_EQ(LookupSt3("IB"), St3Status::kCurrent);
  EXPECT_EQ(LookupSt3("EM"), St3Status::kCurrent);
  EXPECT_EQ(LookupSt3("YU"), St3Status::kFormer);
  EXPECT_EQ(LookupSt3("SU"), St3Status::kFormer);
  EXPECT_EQ(LookupSt3("DD"), St3Status::kFormer);
  EXPECT_EQ(LookupSt3("CS"), St3Status::kFormer);
  EXPECT_EQ(LookupSt3("QQ"), St3Status::kUnknown);
  EXPECT_EQ(LookupSt3("de"), St3Status::kUnknown);  // lookups take normalised codes
  EXPECT_EQ(LookupSt3("DEU"), St3Status::kUnknown);
  EXPECT_EQ(LookupSt3(""), St3Status::kUnknown);
  EXPECT_EQ(St3Name("QQ"), "");
}

TEST(St3, NormalizeOfficeCode) {
  EXPECT_EQ(NormalizeOfficeCode("ep "), "EP");
  EXPECT_EQ(NormalizeOfficeCode("\tUs\n"), "US");
  EXPECT_EQ(NormalizeOfficeCode("\u00A0de"), "DE");
  EXPECT_EQ(NormalizeOfficeCode(""), "");
}

TEST(St16, NormalizeAndShape) {
  EXPECT_EQ(NormalizeKindCode("a1 "), "A1");
  EXPECT_EQ(NormalizeKindCode("A "), "A");  // pitfall 6: "<kind>A </kind>" in citations
  for (const char* ok : {"A", "A1", "B2", "S", "U", "Y1", "T3"}) {
    EXPECT_TRUE(IsWellFormedKindCode(ok)) << ok;
  }
  for (const char* bad : {"", "1", "1A", "AB", "A12", "a1", "A ", "公開特許公報(A)"}) {
    EXPECT_FALSE(IsWellFormedKindCode(bad)) << bad;
  }
}

TEST(St16, OfficeTables) {
  struct Case {
    const char* office;
    const char* kind;
    bool known;
  };
  const Case cases[] = {
      {"US", "B2", true},
      {"US", "A1", true},
      {"US", "S1", true},
      {"US", "E1", true},
      {"US", "P2", true},
      {"US", "H1", true},
      {"US", "I4", true},
      {"US", "A", true},
      {"US", "B3", false},
      {"US", "U", false},
      {"EP", "A1", true},
      {"EP", "A3", true},
      {"EP", "B9", true},
      {"EP", "A", false},
      {"EP", "B4", false},
      {"EP", "U1", false},
      {"WO", "A1", true},
      {"WO", "A3", true},
      {"WO", "B2", false},
      {"CN", "A", true},
      {"CN", "U", true},
      {"CN", "Y", true},
      {"CN", "A1", false},
      {"JP", "A", true},
      {"JP", "B2", true},
      {"JP", "Y2", true},
      {"JP", "Z", false},
      {"DE", "A1", true},
      {"DE", "T2", true},
      {"GB", "A", true},
      {"FR", "A1", true},
      {"KR", "B1", true},
      {"AP", "A", true},
      {"YU", "A", true},
      // Substrings of table entries must not match.
      {"US", "1", false},
      {"EP", "1", false},
      {"US", "A1 B1", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.office) + " " + c.kind);
    std::optional<bool> known = IsKnownKindForOffice(c.office, c.kind);
    ASSERT_TRUE(known.has_value());
    EXPECT_EQ(*known, c.known);
  }
  EXPECT_FALSE(IsKnownKindForOffice("BR", "A2").has_value());
  EXPECT_FALSE(IsKnownKindForOffice("XX", "A").has_value());
}

}  // namespace
}  // namespace ipdx::model
