// ST.8 / ST.10/C IPC (and CPC) symbols: every input shape seen in the real files is reduced to
// the presentation form "A61K 31/4439" (subclass, one space, main group without leading zeros,
// "/", subgroup of at least two digits).
//
// The shapes differ in alignment (DOCDB right-aligns the main group and left-aligns the
// subgroup, EPO OPS right-aligns both), so the parser reads tokens, not fixed columns:
//   [edition digits] section [spaces] class [spaces] subclass [spaces] group [spaces] "/"
//   [spaces] subgroup [ (whitespace | "(") anything ]
// except for the 14-character canonical form of the IPC master files, which has no "/".
#include <algorithm>
#include <string>
#include <string_view>

#include "model/model.h"
#include "model/text_util.h"

namespace ipdx::model {

namespace {

using internal::AllDigits;
using internal::IsDigit;
using internal::IsUpper;
using internal::Quote;

// IPC sections are A-H; CPC adds Y (tagging of new technological developments, Y02/Y04/Y10).
bool IsSection(char c) { return (c >= 'A' && c <= 'H') || c == 'Y'; }

std::string StripLeadingZeros(std::string_view digits) {
  size_t i = 0;
  while (i + 1 < digits.size() && digits[i] == '0') ++i;
  return std::string(digits.substr(i));
}

// Cursor over the cleaned input.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  void SkipSpaces() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  char Next() { return AtEnd() ? '\0' : s_[pos_++]; }
  std::string_view Digits() {
    const size_t start = pos_;
    while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  std::string_view Rest() const { return s_.substr(pos_); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

Status Bad(std::string_view raw, std::string_view what) {
  return Status::InvalidArgument("IPC symbol " + Quote(raw) + ": " + std::string(what));
}

Result<std::string> Assemble(std::string_view raw, char section, std::string_view cls,
                             char subclass, std::string_view group, std::string_view subgroup) {
  if (cls == "00") return Bad(raw, "class 00 does not exist (expected 01..99)");
  const std::string main_group = StripLeadingZeros(group);
  if (main_group == "0") return Bad(raw, "main group 0 does not exist");
  std::string out;
  out.reserve(16);
  out.push_back(section);
  out += cls;
  out.push_back(subclass);
  out.push_back(' ');
  out += main_group;
  out.push_back('/');
  out += subgroup;
  return out;
}

}  // namespace

Result<std::string> NormalizeIpcSymbol(std::string_view raw) {
  std::string cleaned = internal::SpacesToAscii(raw);
  for (char& c : cleaned) c = internal::ToUpper(c);
  const std::string_view s = internal::Trim(cleaned);
  if (s.empty()) return Bad(raw, "empty");

  // Canonical 14-character form of the IPC master files: A01B0001020000 = A01B 1/02. Group in
  // columns 5-8 and subgroup in columns 9-14, zero padded; the subgroup loses trailing zeros but
  // keeps two digits.
  if (s.size() == 14 && IsSection(s[0]) && AllDigits(s.substr(1, 2)) && IsUpper(s[3]) &&
      AllDigits(s.substr(4))) {
    std::string subgroup(s.substr(8, 6));
    while (subgroup.size() > 2 && subgroup.back() == '0') subgroup.pop_back();
    return Assemble(raw, s[0], s.substr(1, 2), s[3], s.substr(4, 4), subgroup);
  }

  Scanner in(s);
  // Legacy DOCDB IPC1-7 text carries the edition in front: " 7A 61K   9/16   A".
  const std::string_view edition = in.Digits();
  if (edition.size() > 1 || (edition.size() == 1 && edition == "0")) {
    return Bad(raw, "does not start with a section letter A-H (or an IPC edition 1-9)");
  }
  in.SkipSpaces();
  const char section = in.Next();
  if (!IsSection(section)) return Bad(raw, "section must be a letter A-H (CPC: also Y)");
  in.SkipSpaces();
  const std::string_view cls = in.Digits();
  if (cls.size() != 2) return Bad(raw, "class must be two digits after the section letter");
  in.SkipSpaces();
  const char subclass = in.Next();
  if (!IsUpper(subclass)) return Bad(raw, "subclass must be a letter A-Z after the class");
  in.SkipSpaces();
  if (in.AtEnd()) {
    return Bad(raw, "has a subclass only; a group symbol needs 'main group/subgroup'");
  }
  const std::string_view group = in.Digits();
  if (group.empty() || group.size() > 4) return Bad(raw, "main group must be 1 to 4 digits");
  in.SkipSpaces();
  if (in.Next() != '/') return Bad(raw, "expected '/' between main group and subgroup");
  in.SkipSpaces();
  const std::string_view subgroup = in.Digits();
  if (subgroup.size() < 2 || subgroup.size() > 6) {
    return Bad(raw, "subgroup must be 2 to 6 digits");
  }
  // What follows the symbol (ST.8 version date and flags, OPS flags, "(2006.01)") must be
  // separated from it; "A61K 31/4439X" is not a symbol.
  if (!in.AtEnd() && in.Peek() != ' ' && in.Peek() != '(') {
    return Bad(raw, "unexpected " + Quote(in.Rest()) + " after the subgroup");
  }
  return Assemble(raw, section, cls, subclass, group, subgroup);
}

Result<std::string> IpcFromParts(std::string_view section, std::string_view cls,
                                 std::string_view subclass, std::string_view main_group,
                                 std::string_view subgroup) {
  const std::string sec = internal::TrimUpper(section);
  const std::string c = internal::TrimUpper(cls);
  const std::string sub = internal::TrimUpper(subclass);
  const std::string grp = internal::TrimUpper(main_group);
  const std::string sg = internal::TrimUpper(subgroup);
  const std::string shown = "section " + Quote(sec) + ", class " + Quote(c) + ", subclass " +
                            Quote(sub) + ", main group " + Quote(grp) + ", subgroup " + Quote(sg);
  auto bad = [&](std::string_view what) {
    return Status::InvalidArgument("IPC parts (" + shown + "): " + std::string(what));
  };
  if (sec.size() != 1 || !IsSection(sec[0])) return bad("section must be one letter A-H");
  // ST.96 ClassType is ([0-9][1-9]|[1-9][0-9]); a single digit is the same class unpadded.
  if (c.empty() || c.size() > 2 || !AllDigits(c)) return bad("class must be two digits");
  const std::string c2 = c.size() == 1 ? "0" + c : c;
  if (sub.size() != 1 || !IsUpper(sub[0])) return bad("subclass must be one letter A-Z");
  if (!AllDigits(grp) || grp.size() > 4) return bad("main group must be 1 to 4 digits");
  // A lone "0" subgroup is the main group itself ("/00"); any other single digit is ambiguous
  // ("/2" could mean "/02" or "/20") and is refused.
  std::string sg2 = sg == "0" ? "00" : sg;
  if (!AllDigits(sg2) || sg2.size() < 2 || sg2.size() > 6) {
    return bad("subgroup must be 2 to 6 digits");
  }
  const std::string raw = sec + c2 + sub + " " + grp + "/" + sg2;
  return Assemble(raw, sec[0], c2, sub[0], grp, sg2);
}

std::string IpcSubclass(std::string_view symbol) {
  return std::string(symbol.substr(0, std::min<size_t>(4, symbol.size())));
}

std::string IpcMainGroup(std::string_view symbol) {
  const size_t slash = symbol.find('/');
  if (slash == std::string_view::npos) return std::string(symbol);
  return std::string(symbol.substr(0, slash)) + "/00";
}

}  // namespace ipdx::model
