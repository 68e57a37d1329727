#include <gtest/gtest.h>

#include <string>

#include "model/model.h"

namespace ipdx::model {
namespace {

struct DateCase {
  const char* raw;
  const char* iso;  // nullptr when the input must be rejected
};

// Real values from the sample data where noted; the rest probe the calendar rules.
const DateCase kDates[] = {
    {"20150120", "2015-01-20"},     // ST.36 / DOCDB basic form
    {"2015-01-20", "2015-01-20"},   // ST.96 extended form (US 8,936,998 example instance)
    {" 20150120\n", "2015-01-20"},  // whitespace around element text
    {"18960200", "1896-02"},        // US citation, pitfall 8 (YYYYMM00)
    {"19030800", "1903-08"},        // US citation, pitfall 8
    {"19960000", "1996"},           // YYYY0000
    {"201501", "2015-01"},          // basic partial
    {"2015", "2015"},               // gYear
    {"2015-01", "2015-01"},         // gYearMonth
    {"2015-01-00", "2015-01"},      // extended with a zero day
    {"2015-01-20Z", "2015-01-20"},  // xsd:date with a zone
    {"2015-01-20+01:00", "2015-01-20"},
    {"20000229", "2000-02-29"},  // divisible by 400: leap
    {"20240229", "2024-02-29"},  // leap
    {"19000229", nullptr},       // divisible by 100, not 400: no leap day
    {"20230229", nullptr},       // not a leap year
    {"20150230", nullptr},       // no Feb 30
    {"20150431", nullptr},       // April has 30 days
    {"20151301", nullptr},       // month 13
    {"20150015", nullptr},       // day without month
    {"16991231", nullptr},       // before 1700: implausible
    {"21010101", nullptr},       // after 2100: implausible
    {"17000101", "1700-01-01"},  // lower bound
    {"21001231", "2100-12-31"},  // upper bound
    {"2015-1-20", nullptr},      // unpadded
    {"2015/01/20", nullptr},
    {"20-01-2015", nullptr},
    {"2015012", nullptr},  // 7 digits
    {"", nullptr},
    {"   ", nullptr},
    {"2015-01-20T10:00:00", nullptr},  // dateTime is not a date
};

TEST(ParseSt2Date, Table) {
  for (const DateCase& c : kDates) {
    SCOPED_TRACE(c.raw);
    Result<std::string> r = ParseSt2Date(c.raw);
    if (c.iso == nullptr) {
      EXPECT_FALSE(r.ok()) << "accepted as " << (r.ok() ? *r : "");
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      }
    } else {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(*r, c.iso);
    }
  }
}

TEST(ParseSt2Date, MessagesQuoteTheValueAndSayWhy) {
  Result<std::string> r = ParseSt2Date("20230229");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'20230229'"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("leap"), std::string::npos) << r.status().message();

  r = ParseSt2Date("16000101");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("implausible"), std::string::npos);
}

TEST(IsFullDate, OnlyCompleteExtendedDates) {
  EXPECT_TRUE(IsFullDate("2015-01-20"));
  EXPECT_FALSE(IsFullDate("2015-01"));
  EXPECT_FALSE(IsFullDate("2015"));
  EXPECT_FALSE(IsFullDate("20150120"));
  EXPECT_FALSE(IsFullDate(""));
}

}  // namespace
}  // namespace ipdx::model
