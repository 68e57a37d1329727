// ST.16 kind-of-document codes.
//
// Shape: one letter, optionally one digit (ST.16 paragraph on structure; the letter groups are
// A-C main series, U/Y/Z utility models, E-G special series, S designs, P plants, T translations).
//
// Per-office tables: WIPO Handbook on IP Information and Documentation, Part 7.3 ("Examples and
// kinds of patent documents", office practice tables per ST.16), and the offices' own kind-code
// pages (USPTO "Kind codes included on USPTO patent documents"). Rows marked [recall] were written
// from memory of those tables and have not been checked against the current Part 7.3 text;
// rows marked [verified] were seen in the real documents under the shared data set (shared/data,
// see data/sample/PROVENANCE.md). Because the tables are not exhaustive, an unknown kind for a
// known office is only a warning (ST16-2).
#include <optional>
#include <string>
#include <string_view>

#include "model/model.h"
#include "model/text_util.h"

namespace ipdx::model {

namespace {

struct OfficeKinds {
  std::string_view office;
  std::string_view kinds;  // space-separated
};

// Sorted by office code for readability only; looked up linearly.
constexpr OfficeKinds kOfficeKinds[] = {
    // ARIPO [recall]: A granted patent, U utility model.
    {"AP", "A U"},
    // AU [recall]: A/A1 application, A4 PCT entry, B/B2/B4 accepted/granted, C innovation.
    {"AU", "A A1 A4 A8 B B2 B4 B8 C C1 C4"},
    // CA [recall]: A1 application laid open, C granted after (E reissue), A/C pre-1989.
    {"CA", "A A1 C C2 E F"},
    // CN [verified A, B, U; recall C, Y, S]: A application, B grant (since 2010), C grant (before
    // 2010), U utility model (since 2010), Y utility model (before 2010), S design.
    {"CN", "A B C U Y S"},
    // DE [recall]: A1 Offenlegungsschrift, B Auslegeschrift, B3/B4 patent without/with prior
    // A1, C/C1/C2 patent (before 2004), T1/T2/T5 translations of PCT and EP documents, U1 utility
    // model, A5/A8/A9 B8/B9 C8/C9 T8/T9 U8/U9 corrections, D1 design.
    {"DE", "A A1 A5 A8 A9 B B3 B4 B8 B9 C C1 C2 C5 C8 C9 T1 T2 T3 T4 T5 T8 T9 U U1 U8 U9 D1"},
    // EP [verified A1, A2, B1, B2; source notes]: A1 application with search report, A2 without,
    // A3 search report, A4 supplementary search report, A8/A9 corrected application, B1 patent,
    // B2 amended patent after opposition, B3 after limitation, B8/B9 corrected patent.
    {"EP", "A1 A2 A3 A4 A8 A9 B1 B2 B3 B8 B9"},
    // ES [recall]: A1/A2 application with/without search report, B1/B2 patent, T3 EP translation,
    // U utility model application, Y utility model.
    {"ES", "A1 A2 A6 A8 B1 B2 B8 T1 T3 T5 U Y"},
    // FR [recall]: A1 application, A3 utility certificate application, B1 patent, B3 utility
    // certificate, A/B before 1969.
    {"FR", "A A1 A3 A5 B B1 B3 E"},
    // GB [recall]: A application, B patent, C amended specification, A8/A9 B8 corrections.
    {"GB", "A A8 A9 B B8 C"},
    // JP [verified A via kind-of-st16; recall rest]: A unexamined, A1 domestic re-publication of a
    // PCT application, T Japanese translation of a PCT application, B examined (before 1996),
    // B1/B2 patent without/with prior publication, U unexamined utility model, U1 registered
    // utility model, Y/Y1/Y2 examined/registered utility model, S design.
    {"JP", "A A1 T T1 B B1 B2 C U U1 U3 Y Y1 Y2 S"},
    // KR [recall]: A unexamined application, B1 registered patent, U utility model application,
    // Y1 registered utility model, S design.
    {"KR", "A B B1 U Y1 S"},
    // PL [verified T3 in DOCDB; recall rest]: A1 application, B1 patent, T3 EP translation,
    // U1 utility model application, Y1 utility model.
    {"PL", "A1 B1 T3 U1 Y1"},
    // RU/SU [recall]: A application, C1/C2 patent, U1 utility model, S design.
    {"RU", "A A1 A8 C1 C2 C9 U1 U8 S"},
    // US [verified A1, B1, B2, E1, P2, S1; recall rest; USPTO kind-code table]:
    //   before 2001-01-02: A utility patent, E reissue, H statutory invention registration,
    //   P plant patent, S design, B1/B2 reexamination certificates, I1-I5 X-patents, X-reissues,
    //   additional improvements, defensive publications and TVPP documents [recall];
    //   since 2001-01-02: A1 application publication, A2 republication, A9 corrected
    //   publication, B1/B2 grant without/with prior publication, C1-C3 reexamination
    //   certificates, E1 reissue, H1 SIR, P1 plant application publication, P2/P3 plant patent
    //   without/with prior publication, P4 plant republication, P9 corrected plant publication,
    //   S1 design patent.
    {"US", "A A1 A2 A9 B B1 B2 C1 C2 C3 E E1 H H1 I1 I2 I3 I4 I5 P P1 P2 P3 P4 P9 S S1"},
    // WO [verified A1; source notes; B1/B8 from the brief, recall]: A1 application with search
    // report, A2 without, A3 later search report, A4 amended claims, A8/A9 corrections.
    {"WO", "A1 A2 A3 A4 A8 A9 B1 B8"},
    // Yugoslavia (former ST.3 code, still in DOCDB) [verified A in DOCDB; recall B].
    {"YU", "A B"},
};

}  // namespace

std::string NormalizeKindCode(std::string_view raw) { return internal::TrimUpper(raw); }

bool IsWellFormedKindCode(std::string_view kind) {
  if (kind.empty() || kind.size() > 2) return false;
  if (!internal::IsUpper(kind[0])) return false;
  return kind.size() == 1 || internal::IsDigit(kind[1]);
}

std::optional<bool> IsKnownKindForOffice(std::string_view office, std::string_view kind) {
  for (const OfficeKinds& row : kOfficeKinds) {
    if (row.office == office) {
      if (!IsWellFormedKindCode(kind)) return false;
      // Token search: the kind must match a whole space-separated entry.
      for (size_t pos = row.kinds.find(kind); pos != std::string_view::npos;
           pos = row.kinds.find(kind, pos + 1)) {
        const size_t end = pos + kind.size();
        if ((pos == 0 || row.kinds[pos - 1] == ' ') &&
            (end == row.kinds.size() || row.kinds[end] == ' ')) {
          return true;
        }
      }
      return false;
    }
  }
  return std::nullopt;
}

}  // namespace ipdx::model
