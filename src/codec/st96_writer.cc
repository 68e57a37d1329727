// ST.96 V6_0 pat:PatentPublication writer (ToSt96Xml, see codec.h).
//
// The element order follows PatentPublication_V6_0.xsd (data/schema/st96-v6_0/): XSD sequences
// are order-sensitive, so every builder below appends children in schema order. The tree is
// built with pugixml, which escapes &, <, > and " on output; characters that XML 1.0 forbids
// outright (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF) cannot even be escaped, so they
// are removed beforehand, and invalid UTF-8 becomes U+FFFD.
//
// Where the record lacks something the schema requires, or holds a value the schema's code
// lists reject, the writer chooses a valid representation and leaves an XML comment saying what
// was done (the decisions are listed in WriteNotes() order below):
//   * com:languageCode (required on the root): record.language, else the first language of the
//     texts, else "en" with a comment.
//   * pat:ApplicationIdentification (required): office falls back to the publishing office.
//   * pat:PriorityClaim needs an ST.3 office and a FilingDate: priorities without them are left
//     out (comment).
//   * IPC: pat:IPCRClassification/pat:PatentClassificationText holding the normalised symbol
//     (the record has no version date, which the structured form requires).
//   * CPC: pat:CPCClassification requires version date, position, value, action date and
//     generating office, none of which the record holds; CPC symbols are therefore not written
//     (comment lists them) rather than invented.
//   * pat:InventionTitleBag (required): one empty pat:InventionTitle when there is no title.
//   * pat:PartyBag (required): one applicant with an empty com:EntityName when there are no
//     parties. Party country goes to com:CountryCode only when it is an ISO 3166 code (ST.3
//     regional codes such as EP are not countries).
//   * pat:Claims (required, once): the claim set in the publication language, else the first;
//     other languages are left out (comment), because PatentPublication has a single
//     pat:Claims. No claims: one empty com:P.
//   * Dates: com:DateType accepts YYYY, YYYY-MM and YYYY-MM-DD, so partial dates are written as
//     they are; a date that is none of these is left out (comment).
#include <pugixml.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "codec/codec.h"
#include "codec/st96_schema.h"
#include "model/record.h"

namespace ipdx::codec {
namespace {

constexpr const char* kComNs = "http://www.wipo.int/standards/XMLSchema/ST96/Common";
constexpr const char* kPatNs = "http://www.wipo.int/standards/XMLSchema/ST96/Patent";
constexpr const char* kXsiNs = "http://www.w3.org/2001/XMLSchema-instance";
constexpr const char* kSchemaLocation =
    "http://www.wipo.int/standards/XMLSchema/ST96/Patent "
    "https://www.wipo.int/standards/XMLSchema/ST96/V6_0/Patent/Document/"
    "PatentPublication_V6_0.xsd";

// ---- text ---------------------------------------------------------------------------------

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// XML 1.0 Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
bool IsXmlChar(char32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Decodes UTF-8 strictly (no overlongs, no surrogates, max U+10FFFF); each invalid sequence
// becomes U+FFFD and each code point XML 1.0 forbids is dropped.
std::string XmlText(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto b0 = static_cast<unsigned char>(in[i]);
    char32_t cp = 0;
    size_t len = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if ((b0 & 0xE0) == 0xC0) {
      cp = b0 & 0x1F;
      len = 2;
      min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      cp = b0 & 0x0F;
      len = 3;
      min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      cp = b0 & 0x07;
      len = 4;
      min = 0x10000;
    }
    bool valid = len > 0 && i + len <= in.size();
    for (size_t k = 1; valid && k < len; ++k) {
      const auto b = static_cast<unsigned char>(in[i + k]);
      if ((b & 0xC0) != 0x80) {
        valid = false;
      } else {
        cp = (cp << 6) | (b & 0x3F);
      }
    }
    if (valid && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) valid = false;
    if (!valid) {
      AppendUtf8(0xFFFD, &out);
      ++i;  // resynchronise on the next byte
      continue;
    }
    if (IsXmlChar(cp)) out.append(in.substr(i, len));
    i += len;
  }
  return out;
}

// Paragraphs of a plain text: lines separated by "\n" (record.md), blank lines dropped.
std::vector<std::string> Paragraphs(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) out.emplace_back(line);
    start = end + 1;
  }
  return out;
}

// ---- dates --------------------------------------------------------------------------------

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// True for the lexical forms of com:DateType that ipdx writes: xsd:gYear "YYYY",
// xsd:gYearMonth "YYYY-MM", xsd:date "YYYY-MM-DD" (with a calendar check). Year 0000 is not
// an XSD 1.0 year.
bool IsSchemaDate(std::string_view d) {
  if (d.size() != 4 && d.size() != 7 && d.size() != 10) return false;
  if (!AllDigits(d.substr(0, 4)) || ToInt(d.substr(0, 4)) == 0) return false;
  if (d.size() == 4) return true;
  if (d[4] != '-' || !AllDigits(d.substr(5, 2))) return false;
  const int month = ToInt(d.substr(5, 2));
  if (month < 1 || month > 12) return false;
  if (d.size() == 7) return true;
  if (d[7] != '-' || !AllDigits(d.substr(8, 2))) return false;
  const int year = ToInt(d.substr(0, 4));
  const int day = ToInt(d.substr(8, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = month == 2 && leap ? 29 : kDays[month - 1];
  return day >= 1 && day <= max_day;
}

// ---- tree helpers -------------------------------------------------------------------------

// XML comments may not contain "--" nor end with "-".
void Comment(pugi::xml_node parent, std::string_view text) {
  std::string safe = XmlText(text);
  for (size_t at = safe.find("--"); at != std::string::npos; at = safe.find("--", at)) {
    safe.replace(at, 2, "- -");
  }
  if (!safe.empty() && safe.back() == '-') safe.push_back(' ');
  parent.append_child(pugi::node_comment).set_value((" " + safe + " ").c_str());
}

pugi::xml_node Child(pugi::xml_node parent, const char* name) { return parent.append_child(name); }

pugi::xml_node TextChild(pugi::xml_node parent, const char* name, std::string_view text) {
  pugi::xml_node n = parent.append_child(name);
  const std::string clean = XmlText(text);
  if (!clean.empty()) n.text().set(clean.c_str());
  return n;
}

void Attr(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name).set_value(XmlText(value).c_str());
}

void LanguageAttr(pugi::xml_node node, std::string_view lang) {
  if (IsSt96LanguageCode(lang)) Attr(node, "com:languageCode", lang);
}

// Optional date element: written when the value is a com:DateType literal.
void DateChild(pugi::xml_node parent, const char* name, std::string_view date,
               std::string_view what) {
  if (date.empty()) return;
  if (IsSchemaDate(date)) {
    TextChild(parent, name, date);
  } else {
    Comment(parent, std::string(what) + " \"" + std::string(date) +
                        "\" is not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD): " + name +
                        " left out");
  }
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// ---- bibliographic data -----------------------------------------------------------------

void WriteApplicationNumber(pugi::xml_node parent, std::string_view number) {
  TextChild(Child(parent, "com:ApplicationNumber"), "com:ApplicationNumberText", number);
}

void WritePublicationIdentification(pugi::xml_node bib, const model::Record& r) {
  pugi::xml_node id = Child(bib, "pat:PatentPublicationIdentification");
  TextChild(id, "com:IPOfficeCode", r.office);
  TextChild(id, "pat:PublicationNumber", r.number);
  if (IsSt96LanguageCode(r.language)) TextChild(id, "com:PublicationLanguageCode", r.language);
  if (!r.kind.empty()) TextChild(id, "com:PatentDocumentKindCode", r.kind);
  DateChild(id, "com:PublicationDate", r.publication_date, "publication_date");
}

void WriteApplicationIdentification(pugi::xml_node bib, const model::Record& r) {
  pugi::xml_node app = Child(bib, "pat:ApplicationIdentification");
  if (IsSt96OfficeCode(r.application.office)) {
    TextChild(app, "com:IPOfficeCode", r.application.office);
  } else {
    Comment(app, "application office \"" + r.application.office +
                     "\" is not an ST.3 code: the publishing office is given");
    TextChild(app, "com:IPOfficeCode", r.office);
  }
  if (r.application.number.empty()) Comment(app, "application number unknown");
  WriteApplicationNumber(app, r.application.number);
  DateChild(app, "pat:FilingDate", r.application.date, "application.date");
}

void WriteGrantIdentification(pugi::xml_node bib, const model::Record& r) {
  if (r.grant_date.empty()) return;
  pugi::xml_node grant = Child(bib, "pat:PatentGrantIdentification");
  TextChild(grant, "com:IPOfficeCode", r.office);
  TextChild(grant, "pat:PatentNumber", r.number);
  if (!r.kind.empty()) TextChild(grant, "com:PatentDocumentKindCode", r.kind);
  DateChild(grant, "pat:GrantDate", r.grant_date, "grant_date");
}

void WritePriorities(pugi::xml_node bib, const model::Record& r) {
  if (r.priorities.empty()) return;
  pugi::xml_node bag;
  for (size_t i = 0; i < r.priorities.size(); ++i) {
    const model::DocRef& p = r.priorities[i];
    // PriorityClaim requires com:IPOfficeCode (ST.3) and pat:FilingDate.
    if (!IsSt96OfficeCode(p.office) || !IsSchemaDate(p.date)) {
      Comment(bib, "priorities[" + std::to_string(i) + "] (office \"" + p.office + "\", number \"" +
                       p.number + "\", date \"" + p.date +
                       "\") left out: pat:PriorityClaim requires an ST.3 office and a filing date");
      continue;
    }
    if (!bag) bag = Child(bib, "pat:PriorityClaimBag");
    pugi::xml_node claim = Child(bag, "pat:PriorityClaim");
    Attr(claim, "com:sequenceNumber", std::to_string(i + 1));
    TextChild(claim, "com:IPOfficeCode", p.office);
    if (!p.number.empty()) WriteApplicationNumber(claim, p.number);
    TextChild(claim, "pat:FilingDate", p.date);
  }
}

void WriteClassifications(pugi::xml_node bib, const model::Record& r) {
  if (r.ipc.empty() && r.national.empty() && r.cpc.empty()) return;
  if (!r.cpc.empty()) {
    Comment(bib,
            "CPC not written (pat:CPCClassification requires version date, symbol "
            "position, value, action date and generating office, which the record does "
            "not hold): " +
                JoinList(r.cpc));
  }
  const bool national_ok = !r.national.empty() && IsSt96OfficeCode(r.office);
  if (r.ipc.empty() && !national_ok) return;
  pugi::xml_node bag = Child(bib, "pat:PatentClassificationBag");
  if (!r.ipc.empty()) {
    pugi::xml_node ipcr = Child(bag, "pat:IPCRClassificationBag");
    for (size_t i = 0; i < r.ipc.size(); ++i) {
      pugi::xml_node c = Child(ipcr, "pat:IPCRClassification");
      Attr(c, "com:sequenceNumber", std::to_string(i + 1));
      TextChild(c, "pat:PatentClassificationText", r.ipc[i]);
    }
  }
  if (national_ok) {
    pugi::xml_node nat = Child(bag, "pat:NationalClassification");
    TextChild(nat, "com:IPOfficeCode", r.office);
    for (size_t i = 0; i < r.national.size(); ++i) {
      pugi::xml_node n = Child(
          nat, i == 0 ? "pat:MainNationalClassification" : "pat:FurtherNationalClassification");
      TextChild(n, "pat:PatentClassificationText", r.national[i]);
    }
  }
}

void WriteTitles(pugi::xml_node bib, const model::Record& r) {
  pugi::xml_node bag = Child(bib, "pat:InventionTitleBag");
  if (r.titles.empty()) {
    Comment(bag, "no title in the record; pat:InventionTitleBag requires one pat:InventionTitle");
    Child(bag, "pat:InventionTitle");
    return;
  }
  for (const auto& t : r.titles) {
    pugi::xml_node title = Child(bag, "pat:InventionTitle");
    LanguageAttr(title, t.lang);
    const std::string clean = XmlText(t.text);
    if (!clean.empty()) title.text().set(clean.c_str());
  }
}

// pat:CitationCategoryCodeType values; "&" is spelled "Ampersand" in the schema.
std::string_view CitationCategoryCode(std::string_view token) {
  static constexpr std::string_view kCodes[] = {"X", "Y", "A", "E", "L", "O", "P", "T", "D"};
  for (std::string_view c : kCodes) {
    if (token == c) return c;
  }
  if (token == "&") return "Ampersand";
  return {};
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void WriteCitations(pugi::xml_node bib, const model::Record& r) {
  pugi::xml_node bag;
  for (const auto& c : r.citations) {
    const bool patent = !c.number.empty();
    if (!patent && c.text.empty()) continue;  // nothing citable
    if (!bag) bag = Child(bib, "pat:ReferenceCitationBag");
    pugi::xml_node ref = Child(bag, "pat:ReferenceCitation");

    // Category: who cited (attribute) or search-report relevance codes (DocumentRelevance).
    std::vector<std::string_view> codes;
    std::string comment;
    const std::string category = Lower(c.category);
    if (category == "cited by examiner") {
      Attr(ref, "pat:citingPartyCategory", "Examiner");
    } else if (category == "cited by applicant") {
      Attr(ref, "pat:citingPartyCategory", "Applicant");
    } else if (category == "cited by third party") {
      Attr(ref, "pat:citingPartyCategory", "Third party");
    } else if (category == "cited by opponent") {
      Attr(ref, "pat:citingPartyCategory", "Opponent");
    } else if (!c.category.empty()) {
      // Search report categories, possibly combined ("X,Y", "X Y", "XY").
      for (char ch : c.category) {
        if (ch == ',' || ch == ' ' || ch == '/' || ch == ';') continue;
        std::string_view code = CitationCategoryCode(std::string_view(&ch, 1));
        if (code.empty()) {
          codes.clear();
          comment = "category: " + c.category;
          break;
        }
        codes.push_back(code);
      }
    }

    if (patent && IsSt96OfficeCode(c.office)) {
      pugi::xml_node id =
          Child(Child(ref, "com:PatentCitation"), "com:CitedPatentDocumentIdentification");
      TextChild(id, "com:IPOfficeCode", c.office);
      TextChild(id, "com:DocumentNumber", c.number);
      if (!c.kind.empty()) TextChild(id, "com:PatentDocumentKindCode", c.kind);
      DateChild(id, "com:PatentDocumentDate", c.date, "citation date");
    } else if (patent) {
      // No usable ST.3 office: the structured form is impossible, the text form is not.
      std::string text = c.office;
      for (const std::string* part : {&c.number, &c.kind, &c.date, &c.text}) {
        if (part->empty()) continue;
        if (!text.empty()) text += " ";
        text += *part;
      }
      TextChild(Child(ref, "com:PatentCitation"), "com:PatentCitationText", text);
    } else {
      TextChild(Child(ref, "com:NPLCitation"), "com:NPLCitationText", c.text);
    }

    if (!codes.empty()) {
      pugi::xml_node relevance =
          Child(Child(ref, "pat:DocumentRelevanceBag"), "pat:DocumentRelevance");
      for (std::string_view code : codes) TextChild(relevance, "pat:CitationCategoryCode", code);
    }
    if (!comment.empty()) TextChild(ref, "com:CommentText", comment);
  }
}

// One party's contact: com:PublicationContact (name, country) when there is no address;
// com:Contact with a postal address otherwise (PublicationContact has no address lines).
void WriteContact(pugi::xml_node party, const model::Party& p) {
  const bool country_ok = IsSt96CountryCode(p.country);
  if (p.address.empty()) {
    pugi::xml_node contact = Child(party, "com:PublicationContact");
    TextChild(Child(contact, "com:Name"), "com:EntityName", p.name);
    if (country_ok) TextChild(contact, "com:CountryCode", p.country);
    return;
  }
  pugi::xml_node contact = Child(party, "com:Contact");
  TextChild(Child(contact, "com:Name"), "com:EntityName", p.name);
  pugi::xml_node address = Child(Child(contact, "com:PostalAddressBag"), "com:PostalAddress");
  if (country_ok) {
    pugi::xml_node structured = Child(address, "com:PostalStructuredAddress");
    pugi::xml_node line = TextChild(structured, "com:AddressLineText", p.address);
    Attr(line, "com:sequenceNumber", "1");
    TextChild(structured, "com:CountryCode", p.country);
  } else {
    TextChild(address, "com:PostalAddressText", p.address);
  }
}

void WriteParties(pugi::xml_node bib, const model::Record& r) {
  pugi::xml_node bag = Child(bib, "pat:PartyBag");
  if (r.applicants.empty() && r.inventors.empty() && r.assignees.empty() && r.agents.empty()) {
    Comment(bag, "no parties in the record; pat:PartyBag requires one: an unnamed applicant");
    pugi::xml_node applicant = Child(Child(bag, "pat:ApplicantBag"), "pat:Applicant");
    Child(Child(Child(applicant, "com:PublicationContact"), "com:Name"), "com:EntityName");
    return;
  }
  if (!r.applicants.empty()) {
    pugi::xml_node applicants = Child(bag, "pat:ApplicantBag");
    for (size_t i = 0; i < r.applicants.size(); ++i) {
      pugi::xml_node a = Child(applicants, "pat:Applicant");
      Attr(a, "com:sequenceNumber", std::to_string(i + 1));
      WriteContact(a, r.applicants[i]);
    }
  }
  if (!r.inventors.empty()) {
    pugi::xml_node inventors = Child(bag, "pat:InventorBag");
    for (size_t i = 0; i < r.inventors.size(); ++i) {
      pugi::xml_node a = Child(inventors, "pat:Inventor");
      Attr(a, "com:sequenceNumber", std::to_string(i + 1));
      WriteContact(a, r.inventors[i]);
    }
  }
  if (!r.assignees.empty()) {
    pugi::xml_node assignees = Child(bag, "pat:AssigneeBag");
    for (size_t i = 0; i < r.assignees.size(); ++i) {
      pugi::xml_node a = Child(assignees, "pat:Assignee");
      Attr(a, "com:sequenceNumber", std::to_string(i + 1));
      WriteContact(a, r.assignees[i]);
    }
  }
  if (!r.agents.empty()) {
    pugi::xml_node agents = Child(bag, "pat:RegisteredPractitionerBag");
    for (size_t i = 0; i < r.agents.size(); ++i) {
      pugi::xml_node a = Child(agents, "pat:RegisteredPractitioner");
      Attr(a, "com:sequenceNumber", std::to_string(i + 1));
      // The record does not say agent or attorney; "Agent" is ST.9 (74) "representative".
      TextChild(a, "pat:RegisteredPractitionerCategory", "Agent");
      WriteContact(a, r.agents[i]);
    }
  }
}

// ---- texts --------------------------------------------------------------------------------

void WriteParagraphs(pugi::xml_node parent, std::string_view text) {
  const std::vector<std::string> paragraphs = Paragraphs(text);
  if (paragraphs.empty()) {
    Child(parent, "com:P");  // both Abstract and Description need at least one child
    return;
  }
  for (const auto& p : paragraphs) TextChild(parent, "com:P", p);
}

void WriteClaims(pugi::xml_node root, const model::Record& r) {
  pugi::xml_node claims = Child(root, "pat:Claims");
  if (r.claims.empty()) {
    Comment(claims, "no claims in the record; pat:Claims is required: one empty paragraph");
    Child(claims, "com:P");
    return;
  }
  size_t chosen = 0;
  for (size_t i = 0; i < r.claims.size(); ++i) {
    if (!r.language.empty() && r.claims[i].lang == r.language) {
      chosen = i;
      break;
    }
  }
  const model::ClaimSet& set = r.claims[chosen];
  LanguageAttr(claims, set.lang);
  std::vector<std::string> left_out;
  for (size_t i = 0; i < r.claims.size(); ++i) {
    if (i != chosen) left_out.push_back(r.claims[i].lang.empty() ? "(no lang)" : r.claims[i].lang);
  }
  if (!left_out.empty()) {
    Comment(claims, "claims in " + JoinList(left_out) +
                        " left out: pat:PatentPublication holds a single pat:Claims");
  }
  if (set.claims.empty()) {
    Child(claims, "com:P");
    return;
  }
  for (size_t i = 0; i < set.claims.size(); ++i) {
    pugi::xml_node claim = Child(claims, "pat:Claim");
    TextChild(claim, "pat:ClaimNumber", std::to_string(i + 1));
    TextChild(claim, "pat:ClaimText", set.claims[i]);
  }
}

// The language of the document (required com:languageCode): the publication language, else the
// first known language of the texts.
std::string DocumentLanguage(const model::Record& r) {
  if (IsSt96LanguageCode(r.language)) return r.language;
  for (const auto* texts : {&r.titles, &r.abstracts, &r.descriptions}) {
    for (const auto& t : *texts) {
      if (IsSt96LanguageCode(t.lang)) return t.lang;
    }
  }
  for (const auto& set : r.claims) {
    if (IsSt96LanguageCode(set.lang)) return set.lang;
  }
  return {};
}

}  // namespace

std::string ToSt96Xml(const model::Record& record) {
  const model::Record& r = record;
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version").set_value("1.0");
  decl.append_attribute("encoding").set_value("UTF-8");

  std::string language = DocumentLanguage(r);
  const bool language_guessed = language.empty();
  if (language_guessed) language = "en";

  pugi::xml_node root = doc.append_child("pat:PatentPublication");
  Attr(root, "xmlns:pat", kPatNs);
  Attr(root, "xmlns:com", kComNs);
  Attr(root, "xmlns:xsi", kXsiNs);
  Attr(root, "xsi:schemaLocation", kSchemaLocation);
  Attr(root, "com:st96Version", "V6_0");
  Attr(root, "com:languageCode", language);
  if (IsSchemaDate(r.publication_date)) {
    Attr(root, "com:documentPublicationDate", r.publication_date);
  }
  if (language_guessed) {
    Comment(root, "language unknown (record.language \"" + r.language +
                      "\"); com:languageCode is required and set to en");
  }
  Comment(root, "written by ipdx from record " + r.Id());

  TextChild(root, "com:IPOfficeCode", r.office);
  pugi::xml_node bib = Child(root, "pat:BibliographicData");
  Attr(bib, "com:st96Version", "V6_0");
  WritePublicationIdentification(bib, r);
  WriteApplicationIdentification(bib, r);
  WriteGrantIdentification(bib, r);
  WritePriorities(bib, r);
  WriteClassifications(bib, r);
  WriteTitles(bib, r);
  WriteCitations(bib, r);
  WriteParties(bib, r);

  for (const auto& d : r.descriptions) {
    pugi::xml_node description = Child(root, "pat:Description");
    LanguageAttr(description, d.lang);
    WriteParagraphs(description, d.text);
  }
  WriteClaims(root, r);
  for (const auto& a : r.abstracts) {
    pugi::xml_node abstract = Child(root, "pat:Abstract");
    LanguageAttr(abstract, a.lang);
    WriteParagraphs(abstract, a.text);
  }

  std::ostringstream out;
  doc.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
  return out.str();
}

}  // namespace ipdx::codec
