// ST.2 dates: the basic form CCYYMMDD of ST.36, DOCDB and ST.8, the extended form CCYY-MM-DD of
// ST.96/ST.97, and the partial dates found in legacy data (YYYYMM00, YYYY0000; US citations carry
// e.g. "18960200"), which map to xsd:gYearMonth / xsd:gYear as ST.96 com:DateType allows.
#include <string>
#include <string_view>

#include "model/model.h"
#include "model/text_util.h"

namespace ipdx::model {

namespace {

using internal::AllDigits;
using internal::Quote;

// Earliest and latest years ipdx accepts. Patent documents start in the 18th century (the oldest
// cited ones are US X-patents from 1790); anything outside is a typing or mapping error.
constexpr int kMinYear = 1700;
constexpr int kMaxYear = 2100;

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Checks the components (month/day 0 = absent) and formats the ISO 8601 result.
Result<std::string> Build(std::string_view raw, std::string_view y, std::string_view m,
                          std::string_view d) {
  const int year = ToInt(y);
  const int month = m.empty() ? 0 : ToInt(m);
  const int day = d.empty() ? 0 : ToInt(d);
  if (year < kMinYear || year > kMaxYear) {
    return Status::InvalidArgument("ST.2 date " + Quote(raw) + ": year " + std::string(y) +
                                   " is implausible (expected " + std::to_string(kMinYear) + ".." +
                                   std::to_string(kMaxYear) + ")");
  }
  if (month > 12) {
    return Status::InvalidArgument("ST.2 date " + Quote(raw) + ": month " + std::string(m) +
                                   " is not 01..12");
  }
  if (month == 0 && day != 0) {
    return Status::InvalidArgument("ST.2 date " + Quote(raw) +
                                   ": day given without a month (expected YYYYMMDD, YYYYMM00 "
                                   "or YYYY0000)");
  }
  if (day != 0 && day > DaysInMonth(year, month)) {
    return Status::InvalidArgument("ST.2 date " + Quote(raw) + ": day " + std::string(d) +
                                   " does not exist in " + std::string(y) + "-" + std::string(m) +
                                   (month == 2 && day == 29 ? " (not a leap year)" : ""));
  }
  std::string out(y);
  if (month != 0) {
    out += "-";
    out += m;
    if (day != 0) {
      out += "-";
      out += d;
    }
  }
  return out;
}

// Drops an xsd:date time-zone suffix ("Z", "+01:00", "-05:00"), which ST.96 instances may carry;
// a publication date is a calendar day, so the zone carries no information for ipdx.
std::string_view StripZone(std::string_view s) {
  if (s.ends_with('Z')) return s.substr(0, s.size() - 1);
  if (s.size() > 6) {
    std::string_view z = s.substr(s.size() - 6);
    if ((z[0] == '+' || z[0] == '-') && AllDigits(z.substr(1, 2)) && z[3] == ':' &&
        AllDigits(z.substr(4, 2))) {
      return s.substr(0, s.size() - 6);
    }
  }
  return s;
}

}  // namespace

Result<std::string> ParseSt2Date(std::string_view raw) {
  const std::string_view s = StripZone(internal::Trim(raw));
  if (s.empty()) return Status::InvalidArgument("ST.2 date is empty");
  if (AllDigits(s)) {
    // Basic form: CCYYMMDD, CCYYMM, CCYY; "00" month/day mean "not known".
    if (s.size() == 8) return Build(raw, s.substr(0, 4), s.substr(4, 2), s.substr(6, 2));
    if (s.size() == 6) return Build(raw, s.substr(0, 4), s.substr(4, 2), {});
    if (s.size() == 4) return Build(raw, s, {}, {});
  } else if (s.size() >= 7 && AllDigits(s.substr(0, 4)) && s[4] == '-' &&
             AllDigits(s.substr(5, 2))) {
    // Extended form: CCYY-MM-DD or CCYY-MM.
    if (s.size() == 7) return Build(raw, s.substr(0, 4), s.substr(5, 2), {});
    if (s.size() == 10 && s[7] == '-' && AllDigits(s.substr(8, 2))) {
      return Build(raw, s.substr(0, 4), s.substr(5, 2), s.substr(8, 2));
    }
  }
  return Status::InvalidArgument("ST.2 date " + internal::Quote(raw) +
                                 " is not CCYYMMDD, CCYY-MM-DD or a partial date "
                                 "(CCYYMM00, CCYY0000, CCYY-MM, CCYY)");
}

bool IsFullDate(std::string_view iso) {
  return iso.size() == 10 && AllDigits(iso.substr(0, 4)) && iso[4] == '-' &&
         AllDigits(iso.substr(5, 2)) && iso[7] == '-' && AllDigits(iso.substr(8, 2));
}

}  // namespace ipdx::model
