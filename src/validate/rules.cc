// The rule catalogue. docs/validation-rules.md documents the same list; rules_doc_test.cc keeps
// the two in sync.
#include <string>
#include <string_view>
#include <vector>

#include "validate/validate.h"

namespace ipdx::validate {

namespace {

using model::Severity;

std::vector<RuleInfo> BuildRules() {
  constexpr Severity kE = Severity::kError;
  constexpr Severity kW = Severity::kWarning;
  return {
      // ---- record identity (ST.37 four mandatory elements: office, number, kind, date) ----
      {"REC-ID", "ST.37", kE, "office, publication number and kind code are present"},
      {"ST3-1", "ST.3", kE,
       "the record office is a current ST.3 code (^[A-Z]{2}$ and in the ST.96 V6_0 list); "
       "'XX' (unknown) is not an office"},
      {"ST3-FORMER", "ST.3", kW,
       "a former ST.3 code (CS, DD, SU, YU, ...) is used: the record is a historical document "
       "of that office, or a reference to one (kept, with a warning)"},
      {"ST3-REF", "ST.3", kW,
       "an office or country code in the application, a priority, a citation or a party is "
       "not an ST.3 code"},
      {"ST16-1", "ST.16", kE,
       "the kind code is well formed (^[A-Z][0-9]?$, trimmed, upper case); warning in "
       "citations"},
      {"ST16-2", "ST.16", kW,
       "the kind code is listed for the office (WIPO Handbook Part 7.3 tables compiled into "
       "ipdx) and fits the publication date (US 'A' before 2001-01-02)"},
      {"NUM-NORM", "ST.6", kE,
       "the publication number is in the normalised form of its office (no separators, "
       "office prefix or padding zeros), so the publication id is canonical"},
      {"REC-PUBDATE", "ST.37", kE, "the publication date is present and a full date (YYYY-MM-DD)"},
      // ---- dates ----
      {"ST2-1", "ST.2", kE,
       "a date is a real calendar date between 1700 and 2100 in normalised ISO 8601 form: error "
       "for publication, grant and filing dates, warning in priorities and citations"},
      {"ST2-PARTIAL", "ST.2", kW,
       "a date other than the publication date is partial (YYYY-MM or YYYY, from YYYYMM00 or "
       "YYYY0000)"},
      {"REC-DATE-ORDER", "ipdx", kW,
       "filing date <= publication date, filing date <= grant date, and each priority date <= "
       "filing date"},
      // ---- texts ----
      {"REC-TITLE", "ST.9 (54)", kW, "the record has at least one non-empty title"},
      {"REC-ABSTRACT", "ST.9 (57)", kW, "the record has at least one non-empty abstract"},
      {"REC-LANG", "ISO 639-1", kW,
       "language codes (record, titles, abstracts, claims, descriptions) are two lower-case "
       "letters"},
      // ---- classification ----
      {"IPC-1", "ST.8 / ST.10/C", kE,
       "each IPC symbol is a normalised IPC group symbol "
       "(^[A-H]\\d{2}[A-Z] [1-9]\\d{0,3}/\\d{2,6}$, e.g. 'A61K 31/4439')"},
      {"CPC-1", "CPC", kW,
       "each CPC symbol is a normalised group symbol (as IPC-1, section Y allowed)"},
      // ---- numbers (office practice; normalised forms, see model/model.h) ----
      {"NUM-US-PUB", "office practice (USPTO)", kW,
       "US publication number: grant 1-8 digits or D/PP/RE/H/T prefix and digits without "
       "padding zeros; pre-grant publication (A1, A2, A9, P1, P4, P9) YYYY + 7 digits"},
      {"NUM-US-APP", "office practice (USPTO)", kW,
       "US application number: 8 digits (series code + 6), provisional '6x/' + 6 digits"},
      {"NUM-EP-PUB", "office practice (EPO)", kW, "EP publication number: 7 digits"},
      {"NUM-EP-APP", "office practice (EPO)", kW,
       "EP application number: 8 digits, '.', check digit"},
      {"NUM-WO-PUB", "office practice (WIPO)", kW,
       "WO publication number: YYYY + 6 digits (since 2004), YY + 5 digits before"},
      {"NUM-PCT-APP", "office practice (WIPO)", kW,
       "PCT application number: PCT/CCYYYY/nnnnnn (since 2004) or PCT/CCYY/nnnnn; a WO "
       "publication's application is a PCT number"},
      {"NUM-CN-APP", "office practice (CNIPA)", kW,
       "CN application number: 12 digits (since 2003) or 8 digits (before), optionally '.' "
       "and a check character 0-9 or X"},
      // ---- emitted by codec/ while reading (listed so every reject's rule id is documented) --
      {"XML-WELLFORMED", "XML 1.0", kE, "the document is well-formed XML"},
      {"XML-XXE", "XML 1.0 / security", kE,
       "the document declares no external entity or external DTD subset that would be loaded"},
      {"XML-ENTITY", "XML 1.0 / security", kE,
       "entity references are known (ISO 8879 names mapped to Unicode) and their expansion is "
       "bounded"},
      {"XML-DEPTH", "ipdx limit", kE, "element nesting is within the reader's depth limit"},
      {"XML-SIZE", "ipdx limit", kE, "the single document is within the reader's size limit"},
      {"XML-TRUNCATED", "XML 1.0", kE,
       "the document is complete (the input did not end inside it)"},
      {"FMT-UNSUPPORTED", "ipdx", kE,
       "the document's format was recognised but its version or variant is not supported"},
      {"FMT-UNKNOWN", "ipdx", kE, "the document's format could not be recognised"},
      {"MAP-*", "ipdx", kE,
       "family of reader mapping rules (MAP-...): an element could not be mapped to the record; "
       "error when identity is affected, warning otherwise"},
  };
}

}  // namespace

const std::vector<RuleInfo>& AllRules() {
  // Built once on first use and immutable afterwards (thread-safe static initialisation).
  static const std::vector<RuleInfo> kRules = BuildRules();
  return kRules;
}

const RuleInfo* FindRule(std::string_view id) {
  for (const RuleInfo& r : AllRules()) {
    if (r.id == id) return &r;
  }
  if (id.starts_with("MAP-")) {
    for (const RuleInfo& r : AllRules()) {
      if (r.id == "MAP-*") return &r;
    }
  }
  return nullptr;
}

}  // namespace ipdx::validate
