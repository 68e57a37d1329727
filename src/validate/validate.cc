// Record-level WIPO rules. Each check appends findings whose `field` is the record field path
// ("priorities[1].date", "ipc[3]") and whose message quotes the bad value and says what was
// expected. Rule ids and severities are documented in rules.cc and docs/validation-rules.md.
#include "validate/validate.h"

#include <algorithm>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "model/model.h"

namespace ipdx::validate {

namespace {

using model::Finding;
using model::Severity;

constexpr Severity kE = Severity::kError;
constexpr Severity kW = Severity::kWarning;

std::string Q(std::string_view v) {
  std::string out = "'";
  for (char c : v.substr(0, 80)) {
    if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out.push_back(c);
    }
  }
  if (v.size() > 80) out += "...";
  return out + "'";
}

std::string Indexed(std::string_view list, size_t i, std::string_view member = {}) {
  std::string out(list);
  out += "[" + std::to_string(i) + "]";
  if (!member.empty()) {
    out += ".";
    out += member;
  }
  return out;
}

bool Blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

class Checker {
 public:
  Checker(const model::Record& r, std::vector<Finding>* out) : r_(r), out_(out) {}

  void Run() {
    CheckIdentity();
    CheckDates();
    CheckDateOrder();
    CheckReferences();
    CheckTexts();
    CheckClassifications();
    CheckNumbers();
  }

 private:
  void Add(std::string rule, Severity sev, std::string field, std::string message) {
    out_->push_back(Finding{std::move(rule), sev, std::move(field), std::move(message)});
  }

  // ---- identity ------------------------------------------------------------------------------
  void CheckIdentity() {
    if (Blank(r_.office)) Add("REC-ID", kE, "office", "office (ST.3 code) is missing");
    if (Blank(r_.number)) Add("REC-ID", kE, "number", "publication number is missing");
    if (Blank(r_.kind)) Add("REC-ID", kE, "kind", "kind code (ST.16) is missing");

    if (!Blank(r_.office)) {
      switch (model::LookupSt3(r_.office)) {
        case model::St3Status::kCurrent:
          if (r_.office == "XX") {
            Add("ST3-1", kE, "office",
                "office 'XX' means 'unknown state or organization' and cannot publish a record");
          }
          break;
        case model::St3Status::kFormer:
          // Historical documents of offices that no longer exist (YU, SU, DD, ...) are
          // legitimate in DOCDB and back files: kept, with a warning.
          Add("ST3-FORMER", kW, "office",
              "office " + Q(r_.office) + " is a former ST.3 code (" +
                  std::string(model::St3Name(r_.office)) +
                  "); accepted as a historical document of that office");
          break;
        case model::St3Status::kUnknown:
          Add("ST3-1", kE, "office",
              "office " + Q(r_.office) +
                  " is not an ST.3 code (expected two upper-case letters from the ST.3 list, "
                  "e.g. 'US', 'EP', 'WO')");
          break;
      }
    }

    if (!Blank(r_.kind)) {
      if (!model::IsWellFormedKindCode(r_.kind)) {
        Add("ST16-1", kE, "kind",
            "kind code " + Q(r_.kind) +
                " is malformed (expected one upper-case letter and an optional digit, e.g. "
                "'A1', 'B2', 'U')");
      } else if (model::LookupSt3(r_.office) != model::St3Status::kUnknown) {
        std::optional<bool> known = model::IsKnownKindForOffice(r_.office, r_.kind);
        if (known.has_value() && !*known) {
          Add("ST16-2", kW, "kind",
              "kind code " + Q(r_.kind) + " is not in ipdx's ST.16 table for office " +
                  Q(r_.office) + " (WIPO Handbook Part 7.3); check the office's kind list");
        }
        // US: before 2001-01-02 "A" was the granted patent; from then on grants are B1/B2 and
        // "A" is no longer issued.
        if (r_.office == "US" && r_.kind == "A" && model::IsFullDate(r_.publication_date) &&
            r_.publication_date >= "2001-01-02") {
          Add("ST16-2", kW, "kind",
              "US kind 'A' denotes a grant issued before 2001-01-02, but the publication date is " +
                  Q(r_.publication_date) + " (expected B1/B2 for grants, A1 for applications)");
        }
      }
    }

    if (!Blank(r_.number)) {
      const std::string norm = model::NormalizePublicationNumber(r_.office, r_.number);
      if (norm != r_.number) {
        Add("NUM-NORM", kE, "number",
            "publication number " + Q(r_.number) + " is not normalised for office " + Q(r_.office) +
                " (expected " + Q(norm) + ")");
      }
    }

    if (Blank(r_.publication_date)) {
      Add("REC-PUBDATE", kE, "publication_date", "publication date is missing");
    }
  }

  // ---- dates ---------------------------------------------------------------------------------
  // Returns the parsed ISO date when `value` is a valid, normalised date, else empty.
  std::string Date(std::string_view value, const std::string& field, Severity bad_sev,
                   bool is_publication_date) {
    if (Blank(value)) return {};
    Result<std::string> parsed = model::ParseSt2Date(value);
    if (!parsed.ok()) {
      Add("ST2-1", bad_sev, field, parsed.status().message());
      return {};
    }
    if (*parsed != value) {
      Add("ST2-1", bad_sev, field,
          "date " + Q(value) + " is not in normalised ISO 8601 form (expected " + Q(*parsed) + ")");
      return {};
    }
    if (!model::IsFullDate(*parsed)) {
      if (is_publication_date) {
        Add("REC-PUBDATE", kE, field,
            "publication date " + Q(value) + " is partial (expected a full date YYYY-MM-DD)");
      } else {
        Add("ST2-PARTIAL", kW, field,
            "date " + Q(value) + " is partial (only " +
                (parsed->size() == 4 ? "the year" : "year and month") + " known)");
      }
    }
    return *parsed;
  }

  void CheckDates() {
    pub_ = Date(r_.publication_date, "publication_date", kE, true);
    grant_ = Date(r_.grant_date, "grant_date", kE, false);
    filing_ = Date(r_.application.date, "application.date", kE, false);
    priority_dates_.clear();
    for (size_t i = 0; i < r_.priorities.size(); ++i) {
      priority_dates_.push_back(
          Date(r_.priorities[i].date, Indexed("priorities", i, "date"), kW, false));
    }
    for (size_t i = 0; i < r_.citations.size(); ++i) {
      Date(r_.citations[i].date, Indexed("citations", i, "date"), kW, false);
    }
  }

  // a > b at the precision both share ("2015" vs "2015-03-01" compares years only).
  static bool After(const std::string& a, const std::string& b) {
    if (a.empty() || b.empty()) return false;
    const size_t n = std::min(a.size(), b.size());
    return a.compare(0, n, b, 0, n) > 0;
  }

  void CheckDateOrder() {
    if (After(filing_, pub_)) {
      Add("REC-DATE-ORDER", kW, "application.date",
          "filing date " + Q(filing_) + " is after the publication date " + Q(pub_));
    }
    if (After(filing_, grant_)) {
      Add("REC-DATE-ORDER", kW, "application.date",
          "filing date " + Q(filing_) + " is after the grant date " + Q(grant_));
    }
    for (size_t i = 0; i < priority_dates_.size(); ++i) {
      if (After(priority_dates_[i], filing_)) {
        Add("REC-DATE-ORDER", kW, Indexed("priorities", i, "date"),
            "priority date " + Q(priority_dates_[i]) + " is after the filing date " + Q(filing_));
      }
    }
  }

  // ---- codes in references ---------------------------------------------------------------------
  void RefCode(std::string_view code, const std::string& field, std::string_view what) {
    if (Blank(code)) return;
    switch (model::LookupSt3(code)) {
      case model::St3Status::kCurrent:
        return;
      case model::St3Status::kFormer:
        Add("ST3-FORMER", kW, field,
            std::string(what) + " " + Q(code) + " is a former ST.3 code (" +
                std::string(model::St3Name(code)) + ")");
        return;
      case model::St3Status::kUnknown:
        Add("ST3-REF", kW, field,
            std::string(what) + " " + Q(code) +
                " is not an ST.3 code (expected two upper-case letters from the ST.3 list)");
        return;
    }
  }

  void CheckReferences() {
    RefCode(r_.application.office, "application.office", "application office");
    for (size_t i = 0; i < r_.priorities.size(); ++i) {
      RefCode(r_.priorities[i].office, Indexed("priorities", i, "office"), "priority office");
    }
    for (size_t i = 0; i < r_.citations.size(); ++i) {
      const model::Citation& c = r_.citations[i];
      RefCode(c.office, Indexed("citations", i, "office"), "cited office");
      if (!Blank(c.kind) && !model::IsWellFormedKindCode(c.kind)) {
        Add("ST16-1", kW, Indexed("citations", i, "kind"),
            "cited kind code " + Q(c.kind) +
                " is malformed (expected one upper-case letter and an optional digit)");
      }
    }
    auto parties = [&](const std::vector<model::Party>& list, std::string_view name) {
      for (size_t i = 0; i < list.size(); ++i) {
        RefCode(list[i].country, Indexed(name, i, "country"), "country");
      }
    };
    parties(r_.applicants, "applicants");
    parties(r_.inventors, "inventors");
    parties(r_.assignees, "assignees");
    parties(r_.agents, "agents");
  }

  // ---- texts ---------------------------------------------------------------------------------
  void Lang(std::string_view lang, const std::string& field) {
    if (lang.empty()) return;  // unknown is allowed
    const bool ok =
        lang.size() == 2 && lang[0] >= 'a' && lang[0] <= 'z' && lang[1] >= 'a' && lang[1] <= 'z';
    if (!ok) {
      Add("REC-LANG", kW, field,
          "language code " + Q(lang) +
              " is not ISO 639-1 (expected two lower-case letters, "
              "e.g. 'en', 'de', 'zh')");
    }
  }

  static bool AnyText(const std::vector<model::LangText>& list) {
    for (const model::LangText& t : list) {
      if (!Blank(t.text)) return true;
    }
    return false;
  }

  void CheckTexts() {
    if (!AnyText(r_.titles)) Add("REC-TITLE", kW, "titles", "the record has no title");
    if (!AnyText(r_.abstracts)) Add("REC-ABSTRACT", kW, "abstracts", "the record has no abstract");
    Lang(r_.language, "language");
    for (size_t i = 0; i < r_.titles.size(); ++i)
      Lang(r_.titles[i].lang, Indexed("titles", i, "lang"));
    for (size_t i = 0; i < r_.abstracts.size(); ++i) {
      Lang(r_.abstracts[i].lang, Indexed("abstracts", i, "lang"));
    }
    for (size_t i = 0; i < r_.claims.size(); ++i)
      Lang(r_.claims[i].lang, Indexed("claims", i, "lang"));
    for (size_t i = 0; i < r_.descriptions.size(); ++i) {
      Lang(r_.descriptions[i].lang, Indexed("descriptions", i, "lang"));
    }
  }

  // ---- classifications -----------------------------------------------------------------------
  void Symbol(const std::string& value, const std::string& field, bool cpc) {
    const std::string rule = cpc ? "CPC-1" : "IPC-1";
    const Severity sev = cpc ? kW : kE;
    const char* name = cpc ? "CPC" : "IPC";
    Result<std::string> norm = model::NormalizeIpcSymbol(value);
    if (!norm.ok()) {
      Add(rule, sev, field, norm.status().message());
    } else if (*norm != value) {
      Add(rule, sev, field,
          std::string(name) + " symbol " + Q(value) + " is not normalised (expected " + Q(*norm) +
              ")");
    } else if (!cpc && value[0] == 'Y') {
      Add(rule, sev, field,
          "IPC symbol " + Q(value) +
              " is in section Y, which exists only in CPC (IPC "
              "sections are A-H)");
    }
  }

  void CheckClassifications() {
    for (size_t i = 0; i < r_.ipc.size(); ++i) Symbol(r_.ipc[i], Indexed("ipc", i), false);
    for (size_t i = 0; i < r_.cpc.size(); ++i) Symbol(r_.cpc[i], Indexed("cpc", i), true);
  }

  // ---- numbers -------------------------------------------------------------------------------
  void Num(std::string_view rule, const std::string& field, const std::string& value,
           const std::regex& re, std::string_view expected) {
    if (!std::regex_match(value, re)) {
      Add(std::string(rule), kW, field,
          Q(value) + " does not match " + std::string(rule) + ": " + std::string(expected));
    }
  }

  // Application or priority reference of office `office`.
  void AppNumber(const std::string& office, const std::string& number, const std::string& field) {
    if (Blank(number)) return;
    static const std::regex kPct(R"(PCT/[A-Z]{2}(\d{4}/\d{6}|\d{2}/\d{5}))");
    static const std::regex kUs(R"(\d{8}|6[0-3]/\d{6})");
    static const std::regex kEp(R"(\d{8}\.\d)");
    static const std::regex kCn(R"((\d{12}|\d{8})(\.[0-9X])?)");
    if (number.starts_with("PCT")) {
      Num("NUM-PCT-APP", field, number, kPct,
          "expected PCT/CCYYYY/nnnnnn, e.g. 'PCT/US2008/081493', or PCT/CCYY/nnnnn before 2004");
    } else if (office == "US") {
      Num("NUM-US-APP", field, number, kUs,
          "expected 8 digits, series code + 6, e.g. '12134151', or provisional '60/984910'");
    } else if (office == "EP") {
      Num("NUM-EP-APP", field, number, kEp, "expected 8 digits, '.', check digit: '17171508.9'");
    } else if (office == "CN") {
      Num("NUM-CN-APP", field, number, kCn,
          "expected 12 digits (8 before 2003), '.', check character: '200880114428.1'");
    }
  }

  void CheckNumbers() {
    static const std::regex kUsGrant(
        R"([1-9]\d{0,7}|D[1-9]\d{0,6}|PP[1-9]\d{0,5}|RE[1-9]\d{0,5}|H[1-9]\d{0,6}|T[1-9]\d{0,6})");
    static const std::regex kUsPgPub(R"(20\d{9})");
    static const std::regex kEpPub(R"(\d{7})");
    static const std::regex kWoPub(R"(\d{10}|\d{7})");
    const std::string& n = r_.number;
    if (!Blank(n)) {
      if (r_.office == "US") {
        const bool pgpub = r_.kind == "A1" || r_.kind == "A2" || r_.kind == "A9" ||
                           r_.kind == "P1" || r_.kind == "P4" || r_.kind == "P9";
        if (pgpub || (r_.kind.empty() && n.size() == 11)) {
          Num("NUM-US-PUB", "number", n, kUsPgPub,
              "a pre-grant publication number is YYYY + 7 digits, e.g. '20210049351'");
        } else {
          Num("NUM-US-PUB", "number", n, kUsGrant,
              "a grant number is up to 8 digits or D/PP/RE/H/T and digits, without padding "
              "zeros, e.g. '8936998', 'D967598', 'RE49257'");
        }
      } else if (r_.office == "EP") {
        Num("NUM-EP-PUB", "number", n, kEpPub, "expected 7 digits, e.g. '1667425'");
      } else if (r_.office == "WO") {
        Num("NUM-WO-PUB", "number", n, kWoPub,
            "expected YYYY + 6 digits, e.g. '2022259205', or YY + 5 digits before 2004");
      }
    }
    const std::string& app_office =
        r_.application.office.empty() ? r_.office : r_.application.office;
    AppNumber(app_office, r_.application.number, "application.number");
    if (r_.office == "WO" && !Blank(r_.application.number) &&
        !r_.application.number.starts_with("PCT")) {
      Add("NUM-PCT-APP", kW, "application.number",
          "the application of a WO publication should be a PCT number, got " +
              Q(r_.application.number) + " (expected e.g. 'PCT/US2008/081493')");
    }
    for (size_t i = 0; i < r_.priorities.size(); ++i) {
      AppNumber(r_.priorities[i].office, r_.priorities[i].number,
                Indexed("priorities", i, "number"));
    }
  }

  const model::Record& r_;
  std::vector<Finding>* out_;
  std::string pub_, grant_, filing_;
  std::vector<std::string> priority_dates_;
};

}  // namespace

void Validate(const model::Record& record, std::vector<model::Finding>* findings) {
  if (findings == nullptr) return;
  Checker(record, findings).Run();
}

bool HasErrors(const std::vector<model::Finding>& findings) {
  for (const model::Finding& f : findings) {
    if (f.severity == Severity::kError) return true;
  }
  return false;
}

}  // namespace ipdx::validate
