// USPTO ICE XML: us-patent-grant v4.0-v4.7 and us-patent-application v4.0-v4.6 (the
// "Red Book" and "Yellow Book" full-text formats since 2005) mapped to model::Record.
//
// The versions differ mainly in where parties live: v4.0/v4.1 have parties/applicants/applicant
// with app-type="applicant-inventor" standing for inventors; v4.2/v4.3 have us-parties/
// us-applicants; v4.4 and later add us-parties/inventors. IPC is classification-ipc (edition,
// main and further symbols) before v4.1 and classifications-ipcr (split elements) after;
// citations are references-cited/citation before v4.2 and us-references-cited/us-citation after.
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "codec/readers.h"
#include "codec/xml_text.h"
#include "model/model.h"

namespace ipdx::codec::internal {
namespace {

using model::Finding;
using model::Severity;

std::string Text(pugi::xml_node node) { return CollapseSpace(InlineText(node)); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// "v45" from "us-patent-grant-v45-2014-04-03.dtd" in the DOCTYPE system id; "" when absent.
std::string VersionFromDoctype(std::string_view doctype, std::string_view root) {
  std::string key = std::string(root) + "-v";
  size_t at = doctype.find(key);
  if (at == std::string_view::npos) return "";
  at += key.size();
  if (at + 1 < doctype.size() && IsDigit(doctype[at]) && IsDigit(doctype[at + 1])) {
    return std::string("v") + doctype[at] + "." + doctype[at + 1];
  }
  return "";
}

// dtd-version="v40 2004-12-02", "v4.0 2004-12-02", "v4.7 2022-02-17" -> "v4.0" / "v4.7".
std::string VersionFromAttribute(std::string_view raw) {
  raw = Trim(raw);
  if (raw.empty() || (raw[0] != 'v' && raw[0] != 'V')) return "";
  raw.remove_prefix(1);
  if (raw.size() >= 3 && IsDigit(raw[0]) && raw[1] == '.' && IsDigit(raw[2])) {
    return std::string("v") + raw[0] + "." + raw[2];
  }
  if (raw.size() >= 2 && IsDigit(raw[0]) && IsDigit(raw[1])) {
    return std::string("v") + raw[0] + "." + raw[1];
  }
  return "";
}

// US national classification "CCCSSSDDD" (class right-aligned in 3 columns, subclass integer in
// 3, decimal or alpha extension after): "  2 16" -> "2/16", "34053912" -> "340/539.12",
// "D24115" -> "D24/115", " 24 305 S" -> "24/305S". Empty when the value has another shape.
std::string UsNationalSymbol(std::string_view raw) {
  std::string_view v = raw;
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.size() < 4 || v.size() > 12) return "";
  std::string cls(Trim(v.substr(0, 3)));
  std::string_view rest = v.substr(3);
  std::string integer(Trim(rest.substr(0, 3)));
  std::string ext(Trim(rest.size() > 3 ? rest.substr(3) : std::string_view()));
  if (cls.empty() || integer.empty()) return "";
  for (char c : integer) {
    if (!IsDigit(c) && !(c >= 'A' && c <= 'Z')) return "";
  }
  // Applications write the class and decimal zero-padded ("002227000" is 2/227).
  while (integer.size() > 1 && integer[0] == '0') integer.erase(0, 1);
  while (cls.size() > 1 && cls[0] == '0' && IsDigit(cls[1])) cls.erase(0, 1);
  std::string out = cls + "/" + integer;
  bool digits = true;
  for (char c : ext) digits = digits && IsDigit(c);
  if (digits) {
    while (!ext.empty() && ext.back() == '0') ext.pop_back();
    if (!ext.empty()) out += "." + ext;
  } else {
    out += ext;
  }
  return out;
}

void AddNational(pugi::xml_node node, std::string_view field, model::Record* record,
                 std::vector<Finding>* findings) {
  std::string raw(Trim(node.text().get()));
  if (raw.empty()) return;
  std::string symbol = UsNationalSymbol(node.text().get());
  if (symbol.empty()) {
    AddFinding(findings, "MAP-NATIONAL", Severity::kWarning, std::string(field),
               "US classification \"" + raw + "\" is not in the CCCSSS form; kept as written");
    symbol = CollapseSpace(raw);
  }
  for (const std::string& s : record->national) {
    if (s == symbol) return;
  }
  record->national.push_back(symbol);
}

// A party from an ICE addressbook: orgname, or "last-name, first-name" (+ suffix); country
// from the address, else from residence (us-applicant).
model::Party ReadParty(pugi::xml_node party) {
  model::Party p;
  // v4.0/v4.1 assignees put orgname and address directly in <assignee>.
  pugi::xml_node book = Child(party, "addressbook");
  if (!book) book = party;
  std::string org = Text(Child(book, "orgname"));
  if (!org.empty()) {
    p.name = org;
  } else {
    std::string last = Text(Child(book, "last-name"));
    std::string first = Text(Child(book, "first-name"));
    std::string suffix = Text(Child(book, "suffix"));
    p.name = last;
    if (!first.empty()) p.name += (p.name.empty() ? "" : ", ") + first;
    if (!suffix.empty()) p.name += (p.name.empty() ? "" : ", ") + suffix;
  }
  pugi::xml_node address = Child(book, "address");
  for (pugi::xml_node c = address.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string value = Text(c);
    if (value.empty()) continue;
    if (LocalName(c) == "country") {
      p.country = model::NormalizeOfficeCode(value);
    } else {
      p.address += (p.address.empty() ? "" : ", ") + value;
    }
  }
  if (p.country.empty()) {
    p.country = model::NormalizeOfficeCode(Text(Path(party, {"residence", "country"})));
  }
  return p;
}

void AddParties(pugi::xml_node group, std::string_view element, std::string field,
                std::vector<model::Party>* out, std::vector<Finding>* findings,
                std::vector<model::Party>* inventors_from_applicants = nullptr) {
  for (pugi::xml_node n : Children(group, element)) {
    model::Party p = ReadParty(n);
    std::string at = field + "[" + std::to_string(out->size()) + "]";
    if (p.name.empty()) {
      AddFinding(findings, "MAP-PARTY", Severity::kWarning, at,
                 "<" + std::string(element) + "> without orgname or last-name not mapped");
      continue;
    }
    if (inventors_from_applicants != nullptr &&
        std::string_view(Attr(n, "app-type")).find("inventor") != std::string_view::npos) {
      inventors_from_applicants->push_back(p);
    }
    out->push_back(std::move(p));
  }
}

void MapClassifications(pugi::xml_node biblio, model::Record* record,
                        std::vector<Finding>* findings) {
  for (pugi::xml_node c : Children(Child(biblio, "classifications-ipcr"), "classification-ipcr")) {
    AddClassificationParts(Text(Child(c, "section")), Text(Child(c, "class")),
                           Text(Child(c, "subclass")), Text(Child(c, "main-group")),
                           Text(Child(c, "subgroup")), "ipc", "MAP-IPC", &record->ipc, findings);
  }
  for (pugi::xml_node c : Children(biblio, "classification-ipc")) {
    AddClassification(Text(Child(c, "main-classification")), "ipc", "MAP-IPC", &record->ipc,
                      findings);
    for (pugi::xml_node f : Children(c, "further-classification")) {
      AddClassification(Text(f), "ipc", "MAP-IPC", &record->ipc, findings);
    }
  }
  pugi::xml_node cpc = Child(biblio, "classifications-cpc");
  for (std::string_view group : {"main-cpc", "further-cpc"}) {
    for (pugi::xml_node c : Children(Child(cpc, group), "classification-cpc")) {
      AddClassificationParts(Text(Child(c, "section")), Text(Child(c, "class")),
                             Text(Child(c, "subclass")), Text(Child(c, "main-group")),
                             Text(Child(c, "subgroup")), "cpc", "MAP-CPC", &record->cpc, findings);
    }
  }
  for (pugi::xml_node n : Children(biblio, "classification-national")) {
    std::string country = model::NormalizeOfficeCode(Text(Child(n, "country")));
    if (!country.empty() && country != "US") continue;  // only US classes are national here
    AddNational(Child(n, "main-classification"), "national", record, findings);
    for (pugi::xml_node f : Children(n, "further-classification")) {
      AddNational(f, "national", record, findings);
    }
  }
}

void MapCitations(pugi::xml_node biblio, model::Record* record, std::vector<Finding>* findings) {
  for (auto [group, item] :
       {std::pair<std::string_view, std::string_view>{"us-references-cited", "us-citation"},
        {"references-cited", "citation"}}) {
    for (pugi::xml_node c : Children(Child(biblio, group), item)) {
      std::string field = "citations[" + std::to_string(record->citations.size()) + "]";
      std::string category = Text(Child(c, "category"));
      if (pugi::xml_node pat = Child(c, "patcit")) {
        DocumentIdParts id = ReadDocumentId(Child(pat, "document-id"));
        if (id.number.empty()) {
          AddFinding(
              findings, "MAP-CITATION", Severity::kWarning, field,
              "patcit num=\"" + std::string(Attr(pat, "num")) + "\" without doc-number not mapped");
          continue;
        }
        record->citations.push_back(PatentCitation(id, category, field, findings));
      } else if (pugi::xml_node npl = Child(c, "nplcit")) {
        model::Citation cit;
        cit.text = Text(npl);
        cit.category = category;
        if (cit.text.empty()) {
          AddFinding(
              findings, "MAP-CITATION", Severity::kWarning, field,
              "nplcit num=\"" + std::string(Attr(npl, "num")) + "\" without text not mapped");
          continue;
        }
        record->citations.push_back(std::move(cit));
      }
    }
  }
}

}  // namespace

void MapUsptoGrantOrApplication(const MapInput& in, model::Record* record,
                                std::vector<Finding>* findings) {
  pugi::xml_node root = in.doc->document_element();
  std::string_view root_name = LocalName(root);
  const bool grant = root_name == "us-patent-grant";
  if (!grant && root_name != "us-patent-application") {
    AddFinding(findings, "MAP-FORMAT", Severity::kError, "",
               "not a USPTO grant or application: root <" + std::string(root.name()) + ">");
    return;
  }
  std::string version = VersionFromDoctype(in.doctype, root_name);
  if (version.empty()) version = VersionFromAttribute(Attr(root, "dtd-version"));
  std::string family = grant ? "uspto-grant" : "uspto-application";
  if (version.empty()) {
    AddFinding(findings, "MAP-US-VERSION", Severity::kWarning, "source.format",
               "no DTD version in the DOCTYPE or dtd-version=\"" +
                   std::string(Attr(root, "dtd-version")) + "\"; read as ICE v4");
    record->source.format = family;
  } else {
    record->source.format = family + "-" + version;
  }

  std::string lang = MapLang(Attr(root, "lang"), "language", findings);
  if (lang.empty()) lang = "en";
  record->language = lang;

  pugi::xml_node biblio =
      Child(root, grant ? "us-bibliographic-data-grant" : "us-bibliographic-data-application");
  if (!biblio) {
    AddFinding(findings, "MAP-ID", Severity::kError, "",
               std::string("no <") +
                   (grant ? "us-bibliographic-data-grant" : "us-bibliographic-data-application") +
                   "> element");
    return;
  }

  // Identity.
  DocumentIdParts pub = ReadDocumentId(Path(biblio, {"publication-reference", "document-id"}));
  record->office = model::NormalizeOfficeCode(pub.country);
  record->number = model::NormalizePublicationNumber(record->office, pub.number);
  record->kind = model::NormalizeKindCode(pub.kind);
  record->publication_date = MapDate(pub.date, "publication_date", findings, Severity::kError);
  if (grant) record->grant_date = record->publication_date;

  pugi::xml_node app_ref = Child(biblio, "application-reference");
  DocumentIdParts app = ReadDocumentId(Child(app_ref, "document-id"));
  record->application.office = model::NormalizeOfficeCode(app.country);
  record->application.number =
      model::NormalizeApplicationNumber(record->application.office, app.number);
  record->application.date = MapDate(app.date, "application.date", findings);

  for (pugi::xml_node p : Children(Child(biblio, "priority-claims"), "priority-claim")) {
    std::string field = "priorities[" + std::to_string(record->priorities.size()) + "]";
    model::DocRef ref;
    ref.office = model::NormalizeOfficeCode(Text(Child(p, "country")));
    ref.number = model::NormalizeApplicationNumber(ref.office, Text(Child(p, "doc-number")));
    ref.date = MapDate(Text(Child(p, "date")), field + ".date", findings);
    if (ref.office.empty() && ref.number.empty()) {
      AddFinding(findings, "MAP-PRIORITY", Severity::kWarning, field,
                 "priority-claim without country and doc-number not mapped");
      continue;
    }
    record->priorities.push_back(std::move(ref));
  }

  // Texts.
  for (pugi::xml_node t : Children(biblio, "invention-title")) {
    std::string tlang = MapLang(Attr(t, "lang"), "titles", findings);
    AddLangText(&record->titles, tlang.empty() ? lang : tlang, Text(t));
  }
  for (pugi::xml_node a : Children(root, "abstract")) {
    std::string alang = MapLang(Attr(a, "lang"), "abstracts", findings);
    AddLangText(&record->abstracts, alang.empty() ? lang : alang, BlockText(a));
  }
  for (pugi::xml_node claims : Children(root, "claims")) {
    model::ClaimSet set;
    std::string clang = MapLang(Attr(claims, "lang"), "claims", findings);
    set.lang = clang.empty() ? lang : clang;
    for (pugi::xml_node c : Children(claims, "claim")) {
      std::string text = Text(c);
      if (text.empty()) {
        AddFinding(findings, "MAP-CLAIM", Severity::kWarning,
                   "claims[" + std::to_string(record->claims.size()) + "].claims[" +
                       std::to_string(set.claims.size()) + "]",
                   "claim id=\"" + std::string(Attr(c, "id")) + "\" has no text");
        continue;
      }
      set.claims.push_back(std::move(text));
    }
    if (!set.claims.empty()) record->claims.push_back(std::move(set));
  }
  for (pugi::xml_node d : Children(root, "description")) {
    std::string dlang = MapLang(Attr(d, "lang"), "descriptions", findings);
    AddLangText(&record->descriptions, dlang.empty() ? lang : dlang, BlockText(d));
  }

  // Parties: us-parties (v4.2+) or parties (v4.0/v4.1); assignees beside them.
  std::vector<model::Party> applicant_inventors;
  for (std::string_view container : {"us-parties", "parties"}) {
    pugi::xml_node group = Child(biblio, container);
    if (!group) continue;
    AddParties(Child(group, "us-applicants"), "us-applicant", "applicants", &record->applicants,
               findings, &applicant_inventors);
    AddParties(Child(group, "applicants"), "applicant", "applicants", &record->applicants, findings,
               &applicant_inventors);
    AddParties(Child(group, "inventors"), "inventor", "inventors", &record->inventors, findings);
    AddParties(Child(group, "agents"), "agent", "agents", &record->agents, findings);
  }
  if (record->inventors.empty()) record->inventors = std::move(applicant_inventors);
  AddParties(Child(biblio, "assignees"), "assignee", "assignees", &record->assignees, findings);

  MapClassifications(biblio, record, findings);
  MapCitations(biblio, record, findings);

  CheckIdentity(*record, grant ? "us-patent-grant" : "us-patent-application", findings);
}

}  // namespace ipdx::codec::internal
