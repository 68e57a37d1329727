#include "validate/validate.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace ipdx::validate {
namespace {

using model::Finding;
using model::Record;
using model::Severity;

// US 8,936,998 B2 as given in WIPO's ST.96 V6_0 PatentPublication example instance (identity,
// dates, priority, IPC H01L 21/30 from the split IPCR elements, first two citations).
Record Us8936998() {
  Record r;
  r.office = "US";
  r.number = "8936998";
  r.kind = "B2";
  r.publication_date = "2015-01-20";
  r.grant_date = "2015-01-20";
  r.language = "en";
  r.application = {"US", "13797521", "2013-03-12"};
  r.priorities = {{"JP", "2007-290922", "2007-11-08"}};
  r.titles = {{"en", "Manufcaturing method for room-temperature substrate bonding"}};
  r.abstracts = {{"en", "A method of bonding substrates at room temperature."}};
  r.applicants = {{"Mitsubishi Heavy Industries, Ltd.", "JP", ""}};
  r.ipc = {"H01L 21/30", "H01L 21/302"};
  r.cpc = {"H01L 2224/83099"};
  r.citations = {{"US", "6054363", "A", "2000-04-11", "cited by applicant", ""},
                 {"US", "6639249", "B2", "2003-10-28", "cited by applicant", ""}};
  return r;
}

std::vector<Finding> Check(const Record& r) {
  std::vector<Finding> f;
  Validate(r, &f);
  return f;
}

std::string Dump(const std::vector<Finding>& f) {
  std::string out;
  for (const Finding& x : f) {
    out += x.rule + (x.severity == Severity::kError ? " E " : " W ") + x.field + ": " + x.message +
           "\n";
  }
  return out;
}

TEST(Validate, CleanRealRecordHasNoFindings) {
  std::vector<Finding> f = Check(Us8936998());
  EXPECT_TRUE(f.empty()) << Dump(f);
  EXPECT_FALSE(HasErrors(f));
}

struct Case {
  const char* name;
  std::function<void(Record&)> mutate;
  const char* rule;
  Severity severity;
  const char* field;
  const char* message_part;  // must occur in the message (the quoted bad value, typically)
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> kCases = {
      {"missing office", [](Record& r) { r.office = ""; }, "REC-ID", Severity::kError, "office",
       "missing"},
      {"missing number", [](Record& r) { r.number = ""; }, "REC-ID", Severity::kError, "number",
       "missing"},
      {"missing kind", [](Record& r) { r.kind = ""; }, "REC-ID", Severity::kError, "kind",
       "missing"},
      {"office not ST.3", [](Record& r) { r.office = "QQ"; }, "ST3-1", Severity::kError, "office",
       "'QQ'"},
      {"office lower case", [](Record& r) { r.office = "us"; }, "ST3-1", Severity::kError, "office",
       "'us'"},
      {"office XX", [](Record& r) { r.office = "XX"; }, "ST3-1", Severity::kError, "office",
       "'XX'"},
      {"former office", [](Record& r) { r.office = "YU"; }, "ST3-FORMER", Severity::kWarning,
       "office", "Yugoslavia"},
      {"malformed kind", [](Record& r) { r.kind = "B22"; }, "ST16-1", Severity::kError, "kind",
       "'B22'"},
      {"JP text kind", [](Record& r) { r.kind = "公開特許公報(A)"; }, "ST16-1", Severity::kError,
       "kind", "公開特許公報(A)"},
      {"unknown kind for office", [](Record& r) { r.kind = "U1"; }, "ST16-2", Severity::kWarning,
       "kind", "'U1'"},
      {"US A after 2001", [](Record& r) { r.kind = "A"; }, "ST16-2", Severity::kWarning, "kind",
       "2001-01-02"},
      {"padded number", [](Record& r) { r.number = "08936998"; }, "NUM-NORM", Severity::kError,
       "number", "expected '8936998'"},
      {"missing publication date", [](Record& r) { r.publication_date = ""; }, "REC-PUBDATE",
       Severity::kError, "publication_date", "missing"},
      {"partial publication date", [](Record& r) { r.publication_date = "2015-01"; }, "REC-PUBDATE",
       Severity::kError, "publication_date", "'2015-01'"},
      {"impossible publication date", [](Record& r) { r.publication_date = "2015-02-30"; }, "ST2-1",
       Severity::kError, "publication_date", "'2015-02-30'"},
      {"basic-form publication date", [](Record& r) { r.publication_date = "20150120"; }, "ST2-1",
       Severity::kError, "publication_date", "expected '2015-01-20'"},
      {"bad grant date", [](Record& r) { r.grant_date = "2015-13-01"; }, "ST2-1", Severity::kError,
       "grant_date", "month 13"},
      {"bad filing date", [](Record& r) { r.application.date = "1650-01-01"; }, "ST2-1",
       Severity::kError, "application.date", "implausible"},
      {"bad priority date", [](Record& r) { r.priorities[0].date = "2007-11-31"; }, "ST2-1",
       Severity::kWarning, "priorities[0].date", "'2007-11-31'"},
      {"partial citation date (pitfall 8)", [](Record& r) { r.citations[1].date = "1896-02"; },
       "ST2-PARTIAL", Severity::kWarning, "citations[1].date", "'1896-02'"},
      {"filing after publication", [](Record& r) { r.application.date = "2015-02-01"; },
       "REC-DATE-ORDER", Severity::kWarning, "application.date", "'2015-02-01'"},
      {"priority after filing", [](Record& r) { r.priorities[0].date = "2014-01-01"; },
       "REC-DATE-ORDER", Severity::kWarning, "priorities[0].date", "'2014-01-01'"},
      {"no title", [](Record& r) { r.titles.clear(); }, "REC-TITLE", Severity::kWarning, "titles",
       "no title"},
      {"blank title", [](Record& r) { r.titles[0].text = "  "; }, "REC-TITLE", Severity::kWarning,
       "titles", "no title"},
      {"no abstract", [](Record& r) { r.abstracts.clear(); }, "REC-ABSTRACT", Severity::kWarning,
       "abstracts", "no abstract"},
      {"upper-case title lang", [](Record& r) { r.titles[0].lang = "EN"; }, "REC-LANG",
       Severity::kWarning, "titles[0].lang", "'EN'"},
      {"three-letter language", [](Record& r) { r.language = "eng"; }, "REC-LANG",
       Severity::kWarning, "language", "'eng'"},
      {"malformed IPC", [](Record& r) { r.ipc.push_back("H01L 21"); }, "IPC-1", Severity::kError,
       "ipc[2]", "'H01L 21'"},
      {"unnormalised IPC", [](Record& r) { r.ipc[1] = "H01L21/302"; }, "IPC-1", Severity::kError,
       "ipc[1]", "expected 'H01L 21/302'"},
      {"CPC Y section in IPC", [](Record& r) { r.ipc[0] = "Y02E 10/50"; }, "IPC-1",
       Severity::kError, "ipc[0]", "section Y"},
      {"malformed CPC", [](Record& r) { r.cpc[0] = "H01L 2224/8"; }, "CPC-1", Severity::kWarning,
       "cpc[0]", "'H01L 2224/8'"},
      {"unknown priority office", [](Record& r) { r.priorities[0].office = "JA"; }, "ST3-REF",
       Severity::kWarning, "priorities[0].office", "'JA'"},
      {"former cited office", [](Record& r) { r.citations[0].office = "SU"; }, "ST3-FORMER",
       Severity::kWarning, "citations[0].office", "Soviet Union"},
      {"former priority office", [](Record& r) { r.priorities[0].office = "DD"; }, "ST3-FORMER",
       Severity::kWarning, "priorities[0].office", "'DD'"},
      {"unknown party country", [](Record& r) { r.applicants[0].country = "J"; }, "ST3-REF",
       Severity::kWarning, "applicants[0].country", "'J'"},
      {"malformed cited kind", [](Record& r) { r.citations[0].kind = "A "; }, "ST16-1",
       Severity::kWarning, "citations[0].kind", "'A '"},
      {"US grant number shape", [](Record& r) { r.number = "123456789"; }, "NUM-US-PUB",
       Severity::kWarning, "number", "'123456789'"},
      {"US A1 number shape", [](Record& r) { r.kind = "A1"; }, "NUM-US-PUB", Severity::kWarning,
       "number", "'8936998'"},
      {"US application shape", [](Record& r) { r.application.number = "1379752"; }, "NUM-US-APP",
       Severity::kWarning, "application.number", "'1379752'"},
      {"EP publication shape",
       [](Record& r) {
         r.office = "EP";
         r.number = "16674250";
         r.kind = "B1";
         r.application = {"EP", "17171508.9", "2013-03-12"};
       },
       "NUM-EP-PUB", Severity::kWarning, "number", "'16674250'"},
      {"EP application without check digit",
       [](Record& r) {
         r.office = "EP";
         r.number = "1667425";
         r.kind = "B1";
         r.application = {"EP", "17171508", "2013-03-12"};
       },
       "NUM-EP-APP", Severity::kWarning, "application.number", "'17171508'"},
      {"WO publication shape",
       [](Record& r) {
         r.office = "WO";
         r.number = "202225920";
         r.kind = "A1";
         r.application = {"WO", "PCT/US2008/081493", "2013-03-12"};
       },
       "NUM-WO-PUB", Severity::kWarning, "number", "'202225920'"},
      {"WO application not PCT",
       [](Record& r) {
         r.office = "WO";
         r.number = "2022259205";
         r.kind = "A1";
         r.application = {"WO", "US2008081493", "2013-03-12"};
       },
       "NUM-PCT-APP", Severity::kWarning, "application.number", "'US2008081493'"},
      {"PCT application shape",
       [](Record& r) {
         r.priorities[0] = {"WO", "PCT/US2008/81493", ""};
       },
       "NUM-PCT-APP", Severity::kWarning, "priorities[0].number", "'PCT/US2008/81493'"},
      {"CN application shape",
       [](Record& r) {
         r.priorities[0] = {"CN", "20088011442.1", ""};
       },
       "NUM-CN-APP", Severity::kWarning, "priorities[0].number", "'20088011442.1'"},
  };
  return kCases;
}

TEST(Validate, EachRuleFiresOnItsDefect) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    Record r = Us8936998();
    c.mutate(r);
    std::vector<Finding> f = Check(r);
    bool found = false;
    for (const Finding& x : f) {
      if (x.rule == c.rule && x.field == c.field) {
        found = true;
        EXPECT_EQ(x.severity, c.severity) << Dump(f);
        EXPECT_NE(x.message.find(c.message_part), std::string::npos) << Dump(f);
      }
    }
    EXPECT_TRUE(found) << "expected " << c.rule << " on " << c.field << ", got:\n" << Dump(f);
    EXPECT_EQ(HasErrors(f), c.severity == Severity::kError) << Dump(f);
    // Every emitted rule id is in the catalogue.
    for (const Finding& x : f) EXPECT_NE(FindRule(x.rule), nullptr) << x.rule;
  }
}

TEST(Validate, ValidVariantsOfOtherOfficesAreClean) {
  struct Variant {
    const char* name;
    std::function<void(Record&)> mutate;
  };
  const Variant variants[] = {
      {"EP B1 (real EP 1 667 425 numbers)",
       [](Record& r) {
         r.office = "EP";
         r.number = "1667425";
         r.kind = "B1";
         r.application = {"EP", "17171508.9", "2013-03-12"};
       }},
      {"WO A1",
       [](Record& r) {
         r.office = "WO";
         r.number = "2022259205";
         r.kind = "A1";
         r.grant_date = "";
         r.application = {"WO", "PCT/US2008/081493", "2013-03-12"};
       }},
      {"CN priority",
       [](Record& r) {
         r.priorities[0] = {"CN", "200880114428.1", "2008-10-28"};
       }},
      {"US provisional priority",
       [](Record& r) {
         r.priorities[0] = {"US", "60/984910", "2007-11-02"};
       }},
      {"US pre-grant publication",
       [](Record& r) {
         r.number = "20210049351";
         r.kind = "A1";
         r.grant_date = "";
       }},
      {"US design",
       [](Record& r) {
         r.number = "D967598";
         r.kind = "S1";
       }},
      {"US reissue",
       [](Record& r) {
         r.number = "RE49257";
         r.kind = "E1";
       }},
      {"office with no kind table",
       [](Record& r) {
         r.office = "BR";
         r.kind = "A2";
       }},
      {"unknown language", [](Record& r) { r.titles[0].lang = ""; }},
  };
  for (const Variant& v : variants) {
    SCOPED_TRACE(v.name);
    Record r = Us8936998();
    v.mutate(r);
    std::vector<Finding> f = Check(r);
    EXPECT_TRUE(f.empty()) << Dump(f);
  }
}

TEST(Validate, AppendsAndKeepsExistingFindings) {
  std::vector<Finding> f = {{"XML-ENTITY", Severity::kWarning, "x", "kept"}};
  Record r = Us8936998();
  r.titles.clear();
  Validate(r, &f);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].message, "kept");
  EXPECT_EQ(f[1].rule, "REC-TITLE");
  Validate(r, nullptr);  // tolerated
}

TEST(Validate, EmptyRecordReportsIdentityErrorsNotCrashes) {
  std::vector<Finding> f = Check(Record{});
  EXPECT_TRUE(HasErrors(f));
  int rec_id = 0;
  for (const Finding& x : f) rec_id += x.rule == "REC-ID";
  EXPECT_EQ(rec_id, 3) << Dump(f);
}

TEST(Rules, CatalogueIsWellFormed) {
  const auto& rules = AllRules();
  ASSERT_FALSE(rules.empty());
  for (size_t i = 0; i < rules.size(); ++i) {
    SCOPED_TRACE(rules[i].id);
    EXPECT_FALSE(rules[i].id.empty());
    EXPECT_FALSE(rules[i].standard.empty());
    EXPECT_FALSE(rules[i].description.empty());
    for (size_t j = i + 1; j < rules.size(); ++j) EXPECT_NE(rules[i].id, rules[j].id);
  }
  for (const char* id :
       {"ST3-1",          "ST16-1",     "ST2-1",          "IPC-1",           "NUM-US-PUB",
        "NUM-US-APP",     "NUM-EP-APP", "NUM-EP-PUB",     "NUM-WO-PUB",      "NUM-CN-APP",
        "NUM-PCT-APP",    "REC-ID",     "REC-PUBDATE",    "REC-TITLE",       "REC-LANG",
        "REC-DATE-ORDER", "ST3-FORMER", "XML-WELLFORMED", "XML-XXE",         "XML-ENTITY",
        "XML-DEPTH",      "XML-SIZE",   "XML-TRUNCATED",  "FMT-UNSUPPORTED", "FMT-UNKNOWN"}) {
    EXPECT_NE(FindRule(id), nullptr) << id;
  }
  ASSERT_NE(FindRule("MAP-TITLE"), nullptr);
  EXPECT_EQ(FindRule("MAP-TITLE")->id, "MAP-*");
  EXPECT_EQ(FindRule("NOPE-1"), nullptr);
}

}  // namespace
}  // namespace ipdx::validate
