#include "codec/xml_text.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "model/model.h"

namespace ipdx::codec::internal {
namespace {

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
// Same answer; one comparison for the common case of a byte above ' ' (hot text loops).
inline bool IsXmlSpaceByte(char c) { return static_cast<unsigned char>(c) <= ' ' && IsXmlSpace(c); }

// From j (text[j - 1], if part of the stretch, is not white space), skips 8 bytes at a time
// while they hold no '\t', '\n', '\r' and no two spaces in a row: words separated by single
// spaces, which TextBuilder copies unchanged. Stops at the start of the first block that may
// need attention, backing off a trailing space (its successor decides what it becomes), so the
// byte loop can continue from the result.
size_t SkipPlainWords(std::string_view text, size_t j) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full;
  const char* p = text.data();
  const size_t n = text.size();
  const size_t start = j;
  bool prev_space = false;
  while (j + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, p + j, 8);
    if (((w - kOnes * 0x0E) & ~w & kHigh) != 0) break;  // a byte below 0x0E: maybe \t \n \r
    const uint64_t t = w ^ (kOnes * ' ');
    const uint64_t spaces = ~(((t & kLow7) + kLow7) | t | kLow7);  // 0x80 in each ' ' byte
    if ((spaces & (spaces >> 8)) != 0 || (prev_space && p[j] == ' ')) break;
    prev_space = p[j + 7] == ' ';
    j += 8;
  }
  if (j > start && p[j - 1] == ' ') --j;
  return j;
}

// Element names (lower-cased, '-' removed) whose boundaries do not separate words: character
// formatting, cross-references and MathML tokens in the ST.36 family (ep-patent-document,
// us-patent-grant, WIPO ST.36) and ST.96 (com:B, com:Sub, pat:ClaimReference ...).
constexpr std::array<std::string_view, 48> kInline = {"b",
                                                      "i",
                                                      "u",
                                                      "o",
                                                      "s",
                                                      "em",
                                                      "strong",
                                                      "sub",
                                                      "sup",
                                                      "sub2",
                                                      "sup2",
                                                      "smallcaps",
                                                      "smallcapital",
                                                      "strike",
                                                      "overscore",
                                                      "underline",
                                                      "crossref",
                                                      "figref",
                                                      "claimref",
                                                      "claimreference",
                                                      "figurereference",
                                                      "patentcitation",
                                                      "patentcitationtext",
                                                      "nplcitationtext",
                                                      "bold",
                                                      "italic",
                                                      "superscript",
                                                      "subscript",
                                                      "math",
                                                      "mi",
                                                      "mn",
                                                      "mo",
                                                      "ms",
                                                      "mtext",
                                                      "mrow",
                                                      "msub",
                                                      "msup",
                                                      "msubsup",
                                                      "mfrac",
                                                      "msqrt",
                                                      "mroot",
                                                      "mfenced",
                                                      "mover",
                                                      "munder",
                                                      "munderover",
                                                      "mstyle",
                                                      "mspace",
                                                      "mpadded"};

// Elements whose boundaries are paragraph boundaries in BlockText.
constexpr std::array<std::string_view, 14> kParagraph = {
    "p",  "paragraphs", "heading", "li",    "title",     "pre",         "dt",
    "dd", "tr",         "row",     "claim", "claimtext", "description", "abstract"};

// Normalised element name for the tables above ("claim-text" / "ClaimText" -> "claimtext").
// Names longer than the buffer cannot be in the tables and return "".
std::string_view FoldName(std::string_view local, std::array<char, 32>* buf) {
  size_t n = 0;
  for (char c : local) {
    if (c == '-' || c == '_') continue;
    if (n == buf->size()) return {};
    (*buf)[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return {buf->data(), n};
}

bool InTable(std::string_view folded, const auto& table) {
  return std::find(table.begin(), table.end(), folded) != table.end();
}

// Decodes the code point starting at s[i] (assumes valid UTF-8, which the safety pass checks;
// malformed bytes decode as themselves and are never CJK).
char32_t DecodeAt(std::string_view s, size_t i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return b0;
  int len = (b0 >= 0xF0) ? 4 : (b0 >= 0xE0) ? 3 : (b0 >= 0xC0) ? 2 : 1;
  if (len == 1 || i + len > s.size()) return b0;
  char32_t cp = b0 & (0x7F >> len);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

char32_t LastCodePoint(std::string_view s) {
  if (s.empty()) return 0;
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80 && s.size() - i < 4) --i;
  return DecodeAt(s, i);
}

// Scripts written without spaces between words (Han, kana, CJK punctuation, full-width forms).
// Hangul is excluded: Korean separates words with spaces.
bool IsCjk(char32_t cp) {
  return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFFEF) ||
         (cp >= 0x20000 && cp <= 0x3FFFF);
}

}  // namespace

// ---- navigation ------------------------------------------------------------------------------

std::string_view LocalName(std::string_view qualified_name) {
  size_t colon = qualified_name.find(':');
  return colon == std::string_view::npos ? qualified_name : qualified_name.substr(colon + 1);
}

std::string_view LocalName(pugi::xml_node node) { return LocalName(node.name()); }

std::string_view NamespaceUri(pugi::xml_node node) {
  std::string_view name = node.name();
  size_t colon = name.find(':');
  std::string attr_name = colon == std::string_view::npos
                              ? std::string("xmlns")
                              : "xmlns:" + std::string(name.substr(0, colon));
  for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
    if (pugi::xml_attribute a = n.attribute(attr_name.c_str())) return a.value();
  }
  return {};
}

bool IsElement(pugi::xml_node node, std::string_view ns_uri, std::string_view local) {
  return node.type() == pugi::node_element && LocalName(node) == local &&
         NamespaceUri(node) == ns_uri;
}

pugi::xml_node Child(pugi::xml_node parent, std::string_view local) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == local) return c;
  }
  return {};
}

std::vector<pugi::xml_node> Children(pugi::xml_node parent, std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == local) out.push_back(c);
  }
  return out;
}

pugi::xml_node Path(pugi::xml_node node, std::initializer_list<std::string_view> locals) {
  for (std::string_view l : locals) {
    if (!node) break;
    node = Child(node, l);
  }
  return node;
}

pugi::xml_node FindDescendant(pugi::xml_node root, std::string_view local) {
  pugi::xml_node cur = root.first_child();
  while (cur) {
    if (cur.type() == pugi::node_element && LocalName(cur) == local) return cur;
    if (cur.first_child()) {
      cur = cur.first_child();
      continue;
    }
    while (cur && !cur.next_sibling() && cur != root) cur = cur.parent();
    if (!cur || cur == root) break;
    cur = cur.next_sibling();
  }
  return {};
}

pugi::xml_node ChildNs(pugi::xml_node parent, std::string_view ns_uri, std::string_view local) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (IsElement(c, ns_uri, local)) return c;
  }
  return {};
}

std::vector<pugi::xml_node> ChildrenNs(pugi::xml_node parent, std::string_view ns_uri,
                                       std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (IsElement(c, ns_uri, local)) out.push_back(c);
  }
  return out;
}

std::string_view Attr(pugi::xml_node node, std::string_view local) {
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    std::string_view name = a.name();
    if (name.starts_with("xmlns")) continue;
    if (LocalName(name) == local) return a.value();
  }
  return {};
}

// ---- text ------------------------------------------------------------------------------------

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kNbsp = "\xC2\xA0";
  for (;;) {
    if (!s.empty() && IsXmlSpace(s.front())) {
      s.remove_prefix(1);
    } else if (s.starts_with(kNbsp)) {
      s.remove_prefix(kNbsp.size());
    } else {
      break;
    }
  }
  for (;;) {
    if (!s.empty() && IsXmlSpace(s.back())) {
      s.remove_suffix(1);
    } else if (s.ends_with(kNbsp)) {
      s.remove_suffix(kNbsp.size());
    } else {
      break;
    }
  }
  return s;
}

std::string CollapseSpace(std::string_view s) {
  TextBuilder b(false);
  b.AppendText(s);
  return b.Take();
}

void TextBuilder::Raise(Pending p) {
  if (static_cast<int>(p) > static_cast<int>(pending_)) pending_ = p;
}

void TextBuilder::SoftBreak() { Raise(Pending::kSoft); }

void TextBuilder::ParagraphBreak() { Raise(paragraphs_ ? Pending::kParagraph : Pending::kSoft); }

void TextBuilder::AppendText(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (IsXmlSpace(c)) {
      Raise((c == '\n' || c == '\r') ? Pending::kSoft : Pending::kSpace);
      ++i;
      continue;
    }
    // Start of a run of non-space bytes: emit the pending separator first.
    if (pending_ != Pending::kNone && !out_.empty()) {
      if (pending_ == Pending::kParagraph) {
        out_ += '\n';
      } else if (pending_ == Pending::kSoft && IsCjk(LastCodePoint(out_)) &&
                 IsCjk(DecodeAt(text, i))) {
        // Line wrapped inside CJK text: no space.
      } else {
        out_ += ' ';
      }
    }
    pending_ = Pending::kNone;
    // Copy the longest stretch that needs no normalisation in one append: words separated by
    // single ' ' come out exactly as they went in (a lone space between two words is the
    // separator the rules above would write). The stretch ends before any other white space.
    size_t j = i;
    const size_t n = text.size();
    for (;;) {
      j = SkipPlainWords(text, j);
      while (j < n && !IsXmlSpaceByte(text[j])) ++j;
      if (j + 1 < n && text[j] == ' ' && !IsXmlSpaceByte(text[j + 1])) {
        j += 2;
        continue;
      }
      break;
    }
    out_.append(text.data() + i, j - i);
    i = j;
  }
}

void TextBuilder::EnterOrLeave(pugi::xml_node element) {
  std::array<char, 32> buf;
  std::string_view folded = FoldName(LocalName(element), &buf);
  if (folded == "br") {
    SoftBreak();
  } else if (InTable(folded, kParagraph)) {
    ParagraphBreak();
  } else if (!InTable(folded, kInline)) {
    SoftBreak();
  }
}

void TextBuilder::AppendNode(pugi::xml_node node) {
  if (!node) return;
  if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) {
    AppendText(node.value());
    return;
  }
  if (node.type() != pugi::node_element && node.type() != pugi::node_document) return;
  // Iterative pre/post-order walk over the subtree of `node`.
  pugi::xml_node cur = node.first_child();
  while (cur) {
    if (cur.type() == pugi::node_pcdata || cur.type() == pugi::node_cdata) {
      AppendText(cur.value());
    } else if (cur.type() == pugi::node_element) {
      EnterOrLeave(cur);
      if (cur.first_child()) {
        cur = cur.first_child();
        continue;
      }
      EnterOrLeave(cur);
    }
    // Move to the next node, leaving finished elements on the way up.
    while (cur != node && !cur.next_sibling()) {
      cur = cur.parent();
      if (cur != node && cur.type() == pugi::node_element) EnterOrLeave(cur);
    }
    if (cur == node) break;
    cur = cur.next_sibling();
  }
}

std::string TextBuilder::Take() {
  pending_ = Pending::kNone;
  return std::move(out_);
}

std::string InlineText(pugi::xml_node node) {
  TextBuilder b(false);
  b.AppendNode(node);
  return b.Take();
}

std::string BlockText(pugi::xml_node node) {
  TextBuilder b(true);
  b.AppendNode(node);
  return b.Take();
}

// ---- mapping helpers -------------------------------------------------------------------------

void AddFinding(std::vector<model::Finding>* findings, std::string rule, model::Severity severity,
                std::string field, std::string message) {
  if (findings == nullptr) return;
  findings->push_back(
      model::Finding{std::move(rule), severity, std::move(field), std::move(message)});
}

std::string MapLang(std::string_view raw, std::string_view field,
                    std::vector<model::Finding>* findings) {
  std::string_view t = Trim(raw);
  std::string lang;
  for (char c : t) lang += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (lang.empty()) return lang;
  bool two_letters = lang.size() == 2 && std::all_of(lang.begin(), lang.end(),
                                                     [](char c) { return c >= 'a' && c <= 'z'; });
  if (!two_letters) {
    AddFinding(findings, "MAP-LANG", model::Severity::kWarning, std::string(field),
               "language code \"" + std::string(raw) + "\" is not ISO 639-1 (two letters)");
  }
  return lang;
}

std::string MapDate(std::string_view raw, std::string_view field,
                    std::vector<model::Finding>* findings, model::Severity severity) {
  std::string_view t = Trim(raw);
  if (t.empty()) return {};
  Result<std::string> iso = model::ParseSt2Date(t);
  if (!iso.ok()) {
    AddFinding(findings, "MAP-DATE", severity, std::string(field),
               "date \"" + std::string(t) + "\" is not an ST.2 date: " + iso.status().message());
    return {};
  }
  return std::move(iso).value();
}

namespace {
void PushUnique(std::string symbol, std::vector<std::string>* symbols) {
  if (std::find(symbols->begin(), symbols->end(), symbol) == symbols->end()) {
    symbols->push_back(std::move(symbol));
  }
}
}  // namespace

void AddClassification(std::string_view raw, std::string_view field, std::string_view rule,
                       std::vector<std::string>* symbols, std::vector<model::Finding>* findings) {
  std::string_view t = Trim(raw);
  if (t.empty()) return;
  Result<std::string> sym = model::NormalizeIpcSymbol(t);
  if (!sym.ok()) {
    AddFinding(findings, std::string(rule), model::Severity::kWarning, std::string(field),
               "classification \"" + std::string(t) + "\" not mapped: " + sym.status().message());
    return;
  }
  PushUnique(std::move(sym).value(), symbols);
}

void AddClassificationParts(std::string_view section, std::string_view cls,
                            std::string_view subclass, std::string_view main_group,
                            std::string_view subgroup, std::string_view field,
                            std::string_view rule, std::vector<std::string>* symbols,
                            std::vector<model::Finding>* findings) {
  section = Trim(section);
  cls = Trim(cls);
  subclass = Trim(subclass);
  main_group = Trim(main_group);
  subgroup = Trim(subgroup);
  Result<std::string> sym = model::IpcFromParts(section, cls, subclass, main_group, subgroup);
  if (!sym.ok()) {
    std::string shown = std::string(section) + "|" + std::string(cls) + "|" +
                        std::string(subclass) + "|" + std::string(main_group) + "|" +
                        std::string(subgroup);
    AddFinding(findings, std::string(rule), model::Severity::kWarning, std::string(field),
               "classification parts \"" + shown +
                   "\" (section|class|subclass|main group|"
                   "subgroup) not mapped: " +
                   sym.status().message());
    return;
  }
  PushUnique(std::move(sym).value(), symbols);
}

DocumentIdParts ReadDocumentId(pugi::xml_node document_id) {
  DocumentIdParts parts;
  parts.country = CollapseSpace(InlineText(Child(document_id, "country")));
  parts.number = CollapseSpace(InlineText(Child(document_id, "doc-number")));
  parts.kind = CollapseSpace(InlineText(Child(document_id, "kind")));
  parts.date = CollapseSpace(InlineText(Child(document_id, "date")));
  parts.name = CollapseSpace(InlineText(Child(document_id, "name")));
  return parts;
}

model::Citation PatentCitation(const DocumentIdParts& id, std::string category,
                               std::string_view field, std::vector<model::Finding>* findings) {
  model::Citation c;
  c.office = model::NormalizeOfficeCode(id.country);
  c.number = model::NormalizePublicationNumber(c.office, id.number);
  c.kind = model::NormalizeKindCode(id.kind);
  c.date = MapDate(id.date, std::string(field) + ".date", findings);
  c.category = std::move(category);
  return c;
}

void AddLangText(std::vector<model::LangText>* list, std::string lang, std::string text) {
  if (text.empty()) return;
  list->push_back(model::LangText{std::move(lang), std::move(text)});
}

void CheckIdentity(const model::Record& record, std::string_view what,
                   std::vector<model::Finding>* findings) {
  auto missing = [&](std::string_view field, std::string_view element) {
    // A value that was present but rejected has already been reported against this field.
    if (findings != nullptr) {
      for (const model::Finding& f : *findings) {
        if (f.field == field && f.severity == model::Severity::kError) return;
      }
    }
    AddFinding(findings, "MAP-ID", model::Severity::kError, std::string(field),
               std::string(what) + ": no " + std::string(element) + " found");
  };
  if (record.office.empty()) missing("office", "publication office (ST.3)");
  if (record.number.empty()) missing("number", "publication number");
  if (record.kind.empty()) missing("kind", "kind code (ST.16)");
  if (record.publication_date.empty()) missing("publication_date", "publication date");
}

}  // namespace ipdx::codec::internal
