#include <gtest/gtest.h>

#include <string>

#include "model/model.h"

namespace ipdx::model {
namespace {

struct NumCase {
  const char* office;
  const char* raw;
  const char* normalised;
};

// Real numbers from the USPTO, EP, DOCDB, CNIPA and JPO samples (pitfall 7 and the NUM-* rows of
// validation_rules.tsv).
const NumCase kPublications[] = {
    {"US", "08926509", "8926509"},
    {"US", "08936998", "8936998"},
    {"US", "8,936,998", "8936998"},
    {"US", "D0967598", "D967598"},
    {"US", "PP034694", "PP34694"},
    {"US", "RE049257", "RE49257"},
    {"US", "D423889", "D423889"},
    {"US", "20210049351", "20210049351"},  // pre-grant publication, YYYY + 7
    {"US", "2021/0049351", "20210049351"},
    {"US", "US20040023667", "20040023667"},
    {"US", "US 8,936,998", "8936998"},
    {"EP", "1667425", "1667425"},
    {"EP", "EP1000000", "1000000"},
    {"EP", "1 000 000", "1000000"},
    {"EP", "0680812", "0680812"},  // EP numbers are 7 digits with leading zeros
    {"EP", "680812", "0680812"},
    {"WO", "2022/259205", "2022259205"},
    {"WO", "2022259205", "2022259205"},
    {"WO", "WO2022259205", "2022259205"},
    {"WO", "2004/12345", "2004012345"},
    {"CN", "113781974", "113781974"},
    {"JP", "2021044377", "2021044377"},
    {"JP", "2021-044377", "2021044377"},
    {"CA", "CA2332922", "2332922"},
    {"YU", "6701", "6701"},
    {"de", " DE3546191 ", "3546191"},
};

TEST(NormalizePublicationNumber, Table) {
  for (const NumCase& c : kPublications) {
    SCOPED_TRACE(std::string(c.office) + " " + c.raw);
    EXPECT_EQ(NormalizePublicationNumber(c.office, c.raw), c.normalised);
    EXPECT_EQ(NormalizePublicationNumber(c.office, c.normalised), c.normalised) << "idempotent";
  }
}

const NumCase kApplications[] = {
    {"US", "12134151", "12134151"},
    {"US", "12/134,151", "12134151"},
    {"US", "29/123,456", "29123456"},   // design series
    {"US", "60/984,910", "60/984910"},  // provisional
    {"US", "60984910", "60/984910"},
    {"EP", "17171508.9", "17171508.9"},  // check digit kept
    {"EP", "EP17171508.9", "17171508.9"},
    {"EP", " 17 171 508.9 ", "17171508.9"},
    {"WO", "PCT/US2008/081493", "PCT/US2008/081493"},
    {"WO", "PCT/US97/05183", "PCT/US97/05183"},
    {"CN", "200880114428.1", "200880114428.1"},
    {"CN", "CN 200880114428.1", "200880114428.1"},
    {"JP", "2019165329", "2019165329"},
    {"JP", "2007-290922", "2007-290922"},
};

TEST(NormalizeApplicationNumber, Table) {
  for (const NumCase& c : kApplications) {
    SCOPED_TRACE(std::string(c.office) + " " + c.raw);
    EXPECT_EQ(NormalizeApplicationNumber(c.office, c.raw), c.normalised);
    EXPECT_EQ(NormalizeApplicationNumber(c.office, c.normalised), c.normalised) << "idempotent";
  }
}

struct IdCase {
  const char* raw;
  const char* office;  // nullptr when rejected
  const char* number;
  const char* kind;
};

const IdCase kIds[] = {
    {"US-8936998-B2", "US", "8936998", "B2"},
    {"US8936998B2", "US", "8936998", "B2"},
    {"US 8,936,998 B2", "US", "8936998", "B2"},
    {"us8936998", "US", "8936998", ""},
    {"US08936998B2", "US", "8936998", "B2"},
    {"EP 1 000 000 A1", "EP", "1000000", "A1"},
    {"EP1000000", "EP", "1000000", ""},
    {"WO2022259205A1", "WO", "2022259205", "A1"},
    {"WO 2022/259205 A1", "WO", "2022259205", "A1"},
    {"USD967598S1", "US", "D967598", "S1"},
    {"US-RE49257-E1", "US", "RE49257", "E1"},
    {"US 2021/0049351 A1", "US", "20210049351", "A1"},
    {"CN113781974A", "CN", "113781974", "A"},
    {"JP2021044377A", "JP", "2021044377", "A"},
    {"YU-6701-A", "YU", "6701", "A"},
    {"", nullptr, nullptr, nullptr},
    {"8936998", nullptr, nullptr, nullptr},
    {"US", nullptr, nullptr, nullptr},
    {"US-B2", nullptr, nullptr, nullptr},
    {"US 8936998 #B2", nullptr, nullptr, nullptr},
};

TEST(ParsePublicationId, Table) {
  for (const IdCase& c : kIds) {
    SCOPED_TRACE(c.raw);
    Result<PublicationRef> r = ParsePublicationId(c.raw);
    if (c.office == nullptr) {
      EXPECT_FALSE(r.ok()) << "accepted as " << (r.ok() ? r->office + "-" + r->number : "");
    } else {
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->office, c.office);
      EXPECT_EQ(r->number, c.number);
      EXPECT_EQ(r->kind, c.kind);
    }
  }
}

}  // namespace
}  // namespace ipdx::model
