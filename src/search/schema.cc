// Index schema helpers: term and value encodings (see schema.h and docs/query-language.md).
#include "search/schema.h"

#include <charconv>
#include <cstdio>

#include "model/model.h"

namespace ipdx::search::internal {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpperAscii(char c) { return c >= 'A' && c <= 'Z'; }
bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return !s.empty();
}
char UpperAscii(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string StripLeadingZeros(std::string_view digits) {
  size_t i = 0;
  while (i + 1 < digits.size() && digits[i] == '0') ++i;
  return std::string(digits.substr(i));
}

// Splits a (possibly partial) ISO 8601 date into its digit groups; false if not of that shape.
bool SplitIso(std::string_view iso, std::string_view* y, std::string_view* m, std::string_view* d) {
  *y = *m = *d = {};
  if (iso.size() < 4 || !AllDigits(iso.substr(0, 4))) return false;
  *y = iso.substr(0, 4);
  if (iso.size() == 4) return true;
  if (iso.size() < 7 || iso[4] != '-' || !AllDigits(iso.substr(5, 2))) return false;
  *m = iso.substr(5, 2);
  if (iso.size() == 7) return true;
  if (iso.size() != 10 || iso[7] != '-' || !AllDigits(iso.substr(8, 2))) return false;
  *d = iso.substr(8, 2);
  return true;
}

std::string KeyFromNumber(uint64_t n) {
  char buf[24];  // 20 digits of a uint64_t + NUL
  std::snprintf(buf, sizeof buf, "%08llu", static_cast<unsigned long long>(n));
  return buf;
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= s_.size()) return false;
      const auto byte = static_cast<unsigned char>(s_[pos_++]);
      *v |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool String(std::string* out) {
    uint64_t n = 0;
    if (!Varint(&n) || n > s_.size() - pos_) return false;
    out->assign(s_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool Byte(char* c) {
    if (pos_ >= s_.size()) return false;
    *c = s_[pos_++];
    return true;
  }
  bool AtEnd() const { return pos_ == s_.size(); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

constexpr char kDocDataMagic = 'D';
constexpr char kDocDataVersion = 1;

}  // namespace

std::string StemTerm(std::string_view prefix, std::string_view lang, std::string_view stem) {
  std::string term = "Z";
  term.append(prefix);
  for (char c : lang) term.push_back(UpperAscii(c));
  term.append(stem);
  return term;
}

std::string DateKey(std::string_view iso) {
  std::string_view y, m, d;
  if (!SplitIso(iso, &y, &m, &d)) return {};
  return std::string(y) + (m.empty() ? "00" : std::string(m)) + (d.empty() ? "00" : std::string(d));
}

std::string DateKeyLow(std::string_view iso) { return DateKey(iso); }

std::string DateKeyHigh(std::string_view iso) {
  std::string_view y, m, d;
  if (!SplitIso(iso, &y, &m, &d)) return {};
  if (m.empty()) return std::string(y) + "9999";
  if (d.empty()) return std::string(y) + std::string(m) + "99";
  return std::string(y) + std::string(m) + std::string(d);
}

std::string DateKeyPred(std::string_view key) {
  uint64_t n = 0;
  if (std::from_chars(key.data(), key.data() + key.size(), n).ec != std::errc() || n == 0) {
    return {};
  }
  return KeyFromNumber(n - 1);
}

std::string DateKeySucc(std::string_view key) {
  uint64_t n = 0;
  if (std::from_chars(key.data(), key.data() + key.size(), n).ec != std::errc()) return {};
  return KeyFromNumber(n + 1);
}

std::string ClassSymbol::Deepest() const {
  if (!full.empty()) return full;
  if (!main_group.empty()) return main_group;
  if (!subclass.empty()) return subclass;
  if (!cls.empty()) return cls;
  return section;
}

std::optional<ClassSymbol> ParseClassSymbol(std::string_view value, bool allow_open_subgroup) {
  std::string s;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == ' ' || c == '\t') continue;
    if (static_cast<unsigned char>(c) == 0xC2 && i + 1 < value.size() &&
        static_cast<unsigned char>(value[i + 1]) == 0xA0) {
      ++i;  // NO-BREAK SPACE, as in scraped scheme text
      continue;
    }
    s.push_back(UpperAscii(c));
  }
  if (s.empty()) return std::nullopt;
  ClassSymbol sym;
  const char section = s[0];
  if (!((section >= 'A' && section <= 'H') || section == 'Y')) return std::nullopt;
  sym.section = std::string(1, section);
  if (s.size() == 1) return sym;
  if (s.size() < 3 || !AllDigits(s.substr(1, 2))) return std::nullopt;
  sym.cls = s.substr(0, 3);
  if (s.size() == 3) return sym;
  if (!IsUpperAscii(s[3])) return std::nullopt;
  sym.subclass = s.substr(0, 4);
  if (s.size() == 4) return sym;
  size_t i = 4;
  while (i < s.size() && IsDigit(s[i])) ++i;
  const std::string_view group = std::string_view(s).substr(4, i - 4);
  if (group.empty() || group.size() > 4) return std::nullopt;
  sym.main_group = sym.subclass + " " + StripLeadingZeros(group);
  if (i == s.size()) return sym;
  if (s[i] != '/') return std::nullopt;
  const std::string_view subgroup = std::string_view(s).substr(i + 1);
  if (!subgroup.empty() && !AllDigits(subgroup)) return std::nullopt;
  if (subgroup.size() > 6) return std::nullopt;
  if (allow_open_subgroup) {
    sym.full = sym.main_group + "/" + std::string(subgroup);
    return sym;
  }
  if (subgroup.empty()) return std::nullopt;
  // The subgroup keeps at least two digits, as ipdx normalises symbols ("A61K 31/0" -> "/00").
  std::string sub(subgroup);
  if (sub.size() < 2) sub.append(2 - sub.size(), '0');
  sym.full = sym.main_group + "/" + sub;
  return sym;
}

std::string NumberOnlyKey(std::string_view number) {
  std::string kept;
  for (char c : number) {
    if (IsDigit(c) || IsUpperAscii(UpperAscii(c))) kept.push_back(UpperAscii(c));
  }
  // Leading zeros after a letter series prefix go too: "D0967598" -> "D967598".
  size_t letters = 0;
  while (letters < kept.size() && IsUpperAscii(kept[letters])) ++letters;
  if (letters == kept.size()) return kept;
  return kept.substr(0, letters) + StripLeadingZeros(std::string_view(kept).substr(letters));
}

std::string AppNumberKey(std::string_view number) {
  std::string kept;
  for (char c : number) {
    if (IsDigit(c) || IsUpperAscii(UpperAscii(c))) kept.push_back(UpperAscii(c));
  }
  return kept;
}

std::string JoinValues(const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back('\x1f');
    for (char c : values[i]) {
      out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
    }
  }
  return out;
}

std::vector<std::string> SplitValues(std::string_view joined) {
  std::vector<std::string> out;
  if (joined.empty()) return out;
  size_t start = 0;
  while (true) {
    const size_t sep = joined.find('\x1f', start);
    out.emplace_back(joined.substr(start, sep == std::string_view::npos ? sep : sep - start));
    if (sep == std::string_view::npos) break;
    start = sep + 1;
  }
  return out;
}

std::string CollapseSpaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string_view CutUtf8(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  // Back off continuation bytes (10xxxxxx) so the cut falls before a lead byte.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

std::string EncodeDocData(const DocData& data) {
  std::string out;
  out.push_back(kDocDataMagic);
  out.push_back(kDocDataVersion);
  for (const std::string* s : {&data.publisher, &data.id, &data.title, &data.title_lang,
                               &data.language, &data.publication_date, &data.office, &data.kind}) {
    PutString(&out, *s);
  }
  PutVarint(&out, data.sections.size());
  for (const DocSection& section : data.sections) {
    out.push_back(section.field);
    PutString(&out, section.lang);
    PutString(&out, section.text);
  }
  return out;
}

Result<DocData> DecodeDocData(std::string_view bytes) {
  auto bad = [](std::string_view what) {
    return Status::Corruption("index document data: " + std::string(what) +
                              " (the index needs a rebuild)");
  };
  if (bytes.size() < 2 || bytes[0] != kDocDataMagic) return bad("unknown encoding");
  if (bytes[1] != kDocDataVersion) return bad("unknown version");
  Reader in(bytes.substr(2));
  DocData data;
  for (std::string* s : {&data.publisher, &data.id, &data.title, &data.title_lang, &data.language,
                         &data.publication_date, &data.office, &data.kind}) {
    if (!in.String(s)) return bad("truncated header");
  }
  uint64_t count = 0;
  if (!in.Varint(&count) || count > bytes.size()) return bad("bad section count");
  for (uint64_t i = 0; i < count; ++i) {
    DocSection section;
    if (!in.Byte(&section.field) || !in.String(&section.lang) || !in.String(&section.text)) {
      return bad("truncated section");
    }
    data.sections.push_back(std::move(section));
  }
  if (!in.AtEnd()) return bad("trailing bytes");
  return data;
}

}  // namespace ipdx::search::internal
