// Mapper for generic WIPO ST.36 `patent-document` and the office variants built on it:
//   - WIPO ST.36 <patent-document> (bibliographic-data, abstract, description, claims);
//   - CNIPA old DTD <cn-patent-document> (cn-bibliographic-data, cn-parties, application-body);
//   - CNIPA new XSD <business:PatentDocumentAndRelated> (CamelCase elements in the
//     http://www.sipo.gov.cn/XMLSchema/business and .../base namespaces);
//   - JPO <jp-official-gazette> (kind given as text, "公開特許公報(A)", with the ST.16 code in
//     the kind-of-st16 attribute; parties nested in jp:applicants-agents-article).
// Elements are matched by local name. CJK text is passed through as UTF-8; line wraps inside CJK
// text are removed by the text builder (see xml_text.h).
#include <algorithm>
#include <string>
#include <string_view>

#include "codec/readers.h"
#include "codec/xml_text.h"
#include "model/model.h"

namespace ipdx::codec::internal {
namespace {

using model::Severity;

std::string Text(pugi::xml_node node) { return CollapseSpace(InlineText(node)); }

void Join(std::string* out, const std::string& part, std::string_view sep) {
  if (part.empty()) return;
  if (!out->empty()) *out += sep;
  *out += part;
}

bool NameIn(pugi::xml_node n, std::initializer_list<std::string_view> names) {
  if (n.type() != pugi::node_element) return false;
  std::string_view local = LocalName(n);
  return std::find(names.begin(), names.end(), local) != names.end();
}

pugi::xml_node FirstChildIn(pugi::xml_node parent, std::initializer_list<std::string_view> names) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (NameIn(c, names)) return c;
  }
  return {};
}

// Descendants of `root` whose local name is in `names`, not descending into matches (a party's
// own sub-elements are never parties).
std::vector<pugi::xml_node> Collect(pugi::xml_node root,
                                    std::initializer_list<std::string_view> names) {
  std::vector<pugi::xml_node> out;
  pugi::xml_node cur = root.first_child();
  while (cur) {
    bool descend = true;
    if (NameIn(cur, names)) {
      out.push_back(cur);
      descend = false;
    }
    if (descend && cur.first_child()) {
      cur = cur.first_child();
      continue;
    }
    while (cur && cur != root && !cur.next_sibling()) cur = cur.parent();
    if (!cur || cur == root) break;
    cur = cur.next_sibling();
  }
  return out;
}

void AddNational(const std::string& symbol, model::Record* record) {
  if (symbol.empty()) return;
  if (std::find(record->national.begin(), record->national.end(), symbol) ==
      record->national.end()) {
    record->national.push_back(symbol);
  }
}

// An ST.36 addressbook (or a party element holding name/address directly, as CN inventors do).
// ST.36 names: name | (prefix, first-name, middle-name, last-name, suffix) | orgname; the CNIPA
// XSD uses Name / OrganizationName.
model::Party ReadAddressbook(pugi::xml_node book) {
  model::Party p;
  p.name = Text(FirstChildIn(book, {"name", "Name"}));
  if (p.name.empty()) {
    for (std::string_view part : {"prefix", "first-name", "middle-name", "last-name"}) {
      Join(&p.name, Text(Child(book, part)), " ");
    }
    Join(&p.name, Text(Child(book, "suffix")), ", ");
  }
  if (p.name.empty()) p.name = Text(FirstChildIn(book, {"orgname", "OrganizationName"}));
  pugi::xml_node address = FirstChildIn(book, {"address", "Address"});
  std::string text = Text(FirstChildIn(address, {"text", "Text"}));
  if (!text.empty()) {
    p.address = text;
  } else {
    for (pugi::xml_node c = address.first_child(); c; c = c.next_sibling()) {
      if (NameIn(c, {"country", "WIPOST3Code"})) continue;
      Join(&p.address, Text(c), ", ");
    }
  }
  p.country = model::NormalizeOfficeCode(Text(FirstChildIn(address, {"country", "WIPOST3Code"})));
  return p;
}

model::Party ReadParty(pugi::xml_node party) {
  pugi::xml_node book = FirstChildIn(party, {"addressbook", "AddressBook"});
  model::Party p = ReadAddressbook(book ? book : party);
  if (p.name.empty() && book) p = ReadAddressbook(party);
  // CNIPA agents: the person and the agency ("name (agency)").
  pugi::xml_node agency = FirstChildIn(party, {"cn-agency", "Agency"});
  if (agency) {
    pugi::xml_node agency_book = FirstChildIn(agency, {"addressbook", "AddressBook"});
    std::string agency_name = ReadAddressbook(agency_book ? agency_book : agency).name;
    if (p.name.empty()) {
      p.name = agency_name;
    } else if (!agency_name.empty()) {
      p.name += " (" + agency_name + ")";
    }
  }
  if (p.country.empty()) {
    p.country = model::NormalizeOfficeCode(Text(Path(party, {"residence", "country"})));
  }
  return p;
}

void MapParties(pugi::xml_node scope, std::initializer_list<std::string_view> names,
                std::string_view field, std::vector<model::Party>* out,
                std::vector<model::Finding>* findings) {
  for (pugi::xml_node n : Collect(scope, names)) {
    model::Party p = ReadParty(n);
    if (p.name.empty()) {
      AddFinding(findings, "MAP-PARTY", Severity::kWarning,
                 std::string(field) + "[" + std::to_string(out->size()) + "]",
                 "<" + std::string(n.name()) + "> without a name not mapped");
      continue;
    }
    out->push_back(std::move(p));
  }
}

// Description text without the repeated invention title CNIPA puts at its top.
std::string DescriptionText(pugi::xml_node description) {
  TextBuilder b(true);
  for (pugi::xml_node c = description.first_child(); c; c = c.next_sibling()) {
    if (NameIn(c, {"invention-title", "InventionTitle"})) continue;
    b.ParagraphBreak();
    b.AppendNode(c);
    b.ParagraphBreak();
  }
  return b.Take();
}

void MapClaims(pugi::xml_node claims, const std::string& lang, model::Record* record,
               std::vector<model::Finding>* findings) {
  model::ClaimSet set;
  set.lang = lang;
  for (pugi::xml_node claim : Collect(claims, {"claim", "Claim"})) {
    TextBuilder b(false);
    for (pugi::xml_node c = claim.first_child(); c; c = c.next_sibling()) {
      b.SoftBreak();
      b.AppendNode(c);
    }
    std::string text = b.Take();
    if (text.empty()) {
      AddFinding(findings, "MAP-CLAIM", Severity::kWarning,
                 "claims[" + std::to_string(record->claims.size()) + "]",
                 "claim num=\"" + std::string(Attr(claim, "num")) + "\" has no text");
      continue;
    }
    set.claims.push_back(std::move(text));
  }
  if (!set.claims.empty()) record->claims.push_back(std::move(set));
}

// ---- hyphenated ST.36 family: patent-document, cn-patent-document, jp-official-gazette ------

void MapDocumentIdInto(pugi::xml_node ref, DocumentIdParts* out) {
  pugi::xml_node id = Child(ref, "document-id");
  *out = ReadDocumentId(id ? id : ref);
}

void MapSt36Family(pugi::xml_node root, const std::string& doc_lang, model::Record* record,
                   std::vector<model::Finding>* findings) {
  pugi::xml_node bib = FirstChildIn(root, {"bibliographic-data", "cn-bibliographic-data"});
  if (!bib) {
    AddFinding(findings, "MAP-ST36", Severity::kError, "",
               "<" + std::string(root.name()) + "> has no bibliographic-data");
  }

  // ---- identity: publication-reference, else root attributes (ST.36 patent-document) ----
  DocumentIdParts pub;
  MapDocumentIdInto(FirstChildIn(bib, {"publication-reference", "cn-publication-reference"}), &pub);
  auto or_attr = [&](const std::string& v, std::string_view attr) {
    return v.empty() ? CollapseSpace(Attr(root, attr)) : v;
  };
  record->office = model::NormalizeOfficeCode(or_attr(pub.country, "country"));
  record->number =
      model::NormalizePublicationNumber(record->office, or_attr(pub.number, "doc-number"));
  // JPO: document-id/kind is plain language ("公開特許公報(A)"); the ST.16 code is in
  // jp-official-gazette/@kind-of-st16.
  std::string kind = model::NormalizeKindCode(pub.kind);
  std::string st16 = model::NormalizeKindCode(Attr(root, "kind-of-st16"));
  if (!st16.empty()) {
    if (!kind.empty() && kind != st16 && kind.find("(" + st16 + ")") == std::string::npos) {
      AddFinding(findings, "MAP-KIND", Severity::kWarning, "kind",
                 "document-id kind \"" + pub.kind + "\" does not match kind-of-st16=\"" + st16 +
                     "\"; using " + st16);
    }
    kind = st16;
  } else if (kind.empty()) {
    kind = model::NormalizeKindCode(Attr(root, "kind"));
  }
  if (!kind.empty() && !model::IsWellFormedKindCode(kind)) {
    AddFinding(findings, "MAP-KIND", Severity::kError, "kind",
               "kind \"" + kind + "\" is not an ST.16 kind code");
  }
  record->kind = kind;
  record->publication_date =
      MapDate(or_attr(pub.date, "date-publ"), "publication_date", findings, Severity::kError);
  record->language = doc_lang;

  // ---- application ----
  DocumentIdParts app;
  MapDocumentIdInto(Child(bib, "application-reference"), &app);
  record->application.office =
      model::NormalizeOfficeCode(app.country.empty() ? record->office : app.country);
  record->application.number =
      model::NormalizeApplicationNumber(record->application.office, app.number);
  record->application.date = MapDate(app.date, "application.date", findings);

  // ---- priorities: priority-claim holds country/doc-number/date, or a document-id ----
  for (pugi::xml_node pc : Children(Child(bib, "priority-claims"), "priority-claim")) {
    std::string field = "priorities[" + std::to_string(record->priorities.size()) + "]";
    DocumentIdParts id;
    MapDocumentIdInto(pc, &id);
    if (id.number.empty()) {
      AddFinding(findings, "MAP-PRIORITY", Severity::kWarning, field,
                 "priority-claim sequence=\"" + std::string(Attr(pc, "sequence")) +
                     "\" has no doc-number; not mapped");
      continue;
    }
    model::DocRef ref;
    ref.office = model::NormalizeOfficeCode(id.country);
    ref.number = model::NormalizeApplicationNumber(ref.office, id.number);
    ref.date = MapDate(id.date, field + ".date", findings);
    record->priorities.push_back(std::move(ref));
  }

  // ---- classifications ----
  for (pugi::xml_node ipcr : Children(Child(bib, "classifications-ipcr"), "classification-ipcr")) {
    if (pugi::xml_node text = Child(ipcr, "text")) {
      AddClassification(Text(text), "ipc", "MAP-IPC", &record->ipc, findings);
    } else {
      AddClassificationParts(Text(Child(ipcr, "section")), Text(Child(ipcr, "class")),
                             Text(Child(ipcr, "subclass")), Text(Child(ipcr, "main-group")),
                             Text(Child(ipcr, "subgroup")), "ipc", "MAP-IPC", &record->ipc,
                             findings);
    }
  }
  for (pugi::xml_node ipc : Children(bib, "classification-ipc")) {
    for (pugi::xml_node c = ipc.first_child(); c; c = c.next_sibling()) {
      if (NameIn(c, {"main-classification", "further-classification", "main-clsf", "further-clsf",
                     "text"})) {
        AddClassification(Text(c), "ipc", "MAP-IPC", &record->ipc, findings);
      }
    }
  }
  for (pugi::xml_node nat : Children(bib, "classification-national")) {
    for (pugi::xml_node c = nat.first_child(); c; c = c.next_sibling()) {
      if (NameIn(c, {"main-classification", "further-classification", "main-clsf", "further-clsf",
                     "text"})) {
        AddNational(Text(c), record);
      }
    }
  }

  // ---- title, abstract (in bibliographic-data for CNIPA, a root child elsewhere) ----
  for (pugi::xml_node t : Children(bib, "invention-title")) {
    std::string lang = MapLang(Attr(t, "lang"), "titles", findings);
    AddLangText(&record->titles, lang.empty() ? doc_lang : lang, Text(t));
  }
  std::vector<pugi::xml_node> abstracts = Children(root, "abstract");
  for (pugi::xml_node a : Children(bib, "abstract")) abstracts.push_back(a);
  for (pugi::xml_node a : abstracts) {
    std::string lang = MapLang(Attr(a, "lang"), "abstracts", findings);
    AddLangText(&record->abstracts, lang.empty() ? doc_lang : lang, BlockText(a));
  }

  // ---- parties ----
  pugi::xml_node parties = FirstChildIn(bib, {"parties", "cn-parties"});
  MapParties(parties, {"applicant", "cn-applicant"}, "applicants", &record->applicants, findings);
  MapParties(parties, {"inventor", "cn-inventor"}, "inventors", &record->inventors, findings);
  MapParties(parties, {"assignee"}, "assignees", &record->assignees, findings);
  MapParties(parties, {"agent", "cn-agent"}, "agents", &record->agents, findings);

  // ---- citations (ST.36 references-cited) ----
  for (pugi::xml_node cit : Children(Child(bib, "references-cited"), "citation")) {
    std::string field = "citations[" + std::to_string(record->citations.size()) + "]";
    std::string category = Text(Child(cit, "category"));
    if (pugi::xml_node patcit = Child(cit, "patcit")) {
      DocumentIdParts id = ReadDocumentId(Child(patcit, "document-id"));
      if (id.country.empty() || id.number.empty()) {
        model::Citation c;
        c.text = Text(patcit);
        c.category = category;
        AddFinding(findings, "MAP-CITATION", Severity::kWarning, field,
                   "patcit without document-id country/doc-number kept as text \"" + c.text + "\"");
        record->citations.push_back(std::move(c));
      } else {
        record->citations.push_back(PatentCitation(id, category, field, findings));
      }
    } else if (pugi::xml_node npl = Child(cit, "nplcit")) {
      model::Citation c;
      c.text = Text(npl);
      c.category = category;
      if (!c.text.empty()) record->citations.push_back(std::move(c));
    }
  }

  // ---- full texts: root children, or inside CNIPA application-body ----
  pugi::xml_node body = Child(root, "application-body");
  pugi::xml_node scope = body ? body : root;
  for (pugi::xml_node d : Children(scope, "description")) {
    std::string lang = body ? "" : MapLang(Attr(d, "lang"), "descriptions", findings);
    AddLangText(&record->descriptions, lang.empty() ? doc_lang : lang, DescriptionText(d));
  }
  for (pugi::xml_node cs : Children(scope, "claims")) {
    std::string lang = body ? "" : MapLang(Attr(cs, "lang"), "claims", findings);
    MapClaims(cs, lang.empty() ? doc_lang : lang, record, findings);
  }
}

// ---- CNIPA XSD: business:PatentDocumentAndRelated -----------------------------------------

// Among references with a dataFormat attribute, the one with `preferred`, else the first.
pugi::xml_node PreferFormat(const std::vector<pugi::xml_node>& refs, std::string_view preferred) {
  for (pugi::xml_node r : refs) {
    if (Attr(r, "dataFormat") == preferred) return r;
  }
  return refs.empty() ? pugi::xml_node() : refs.front();
}

DocumentIdParts ReadCnDocumentId(pugi::xml_node ref) {
  pugi::xml_node id = Child(ref, "DocumentID");
  if (!id) id = ref;
  DocumentIdParts parts;
  parts.country = Text(Child(id, "WIPOST3Code"));
  parts.number = Text(Child(id, "DocNumber"));
  parts.kind = Text(Child(id, "Kind"));
  parts.date = Text(Child(id, "Date"));
  return parts;
}

void MapCnXsd(pugi::xml_node root, const std::string& doc_lang, model::Record* record,
              std::vector<model::Finding>* findings) {
  pugi::xml_node bib = Child(root, "BibliographicData");
  if (!bib) {
    AddFinding(findings, "MAP-ST36", Severity::kError, "",
               "<" + std::string(root.name()) + "> has no BibliographicData");
  }
  // Publication: the "standard" form; application: the "original" form, which keeps the
  // CNIPA check digit ("201510481495.9") that the 15-digit standard form drops.
  DocumentIdParts pub =
      ReadCnDocumentId(PreferFormat(Children(bib, "PublicationReference"), "standard"));
  auto or_attr = [&](const std::string& v, std::string_view attr) {
    return v.empty() ? CollapseSpace(Attr(root, attr)) : v;
  };
  record->office = model::NormalizeOfficeCode(or_attr(pub.country, "country"));
  record->number =
      model::NormalizePublicationNumber(record->office, or_attr(pub.number, "docNumber"));
  record->kind = model::NormalizeKindCode(or_attr(pub.kind, "kind"));
  record->publication_date =
      MapDate(or_attr(pub.date, "datePublication"), "publication_date", findings, Severity::kError);
  record->language = doc_lang;

  DocumentIdParts app =
      ReadCnDocumentId(PreferFormat(Children(bib, "ApplicationReference"), "original"));
  record->application.office =
      model::NormalizeOfficeCode(app.country.empty() ? record->office : app.country);
  record->application.number =
      model::NormalizeApplicationNumber(record->application.office, app.number);
  record->application.date = MapDate(app.date, "application.date", findings);

  for (pugi::xml_node pc : Collect(bib, {"PriorityClaim"})) {
    std::string field = "priorities[" + std::to_string(record->priorities.size()) + "]";
    DocumentIdParts id = ReadCnDocumentId(pc);
    if (id.number.empty()) {
      AddFinding(findings, "MAP-PRIORITY", Severity::kWarning, field,
                 "PriorityClaim without DocNumber not mapped");
      continue;
    }
    model::DocRef ref;
    ref.office = model::NormalizeOfficeCode(id.country);
    ref.number = model::NormalizeApplicationNumber(ref.office, id.number);
    ref.date = MapDate(id.date, field + ".date", findings);
    record->priorities.push_back(std::move(ref));
  }

  for (pugi::xml_node details : Children(bib, "ClassificationIPCRDetails")) {
    for (pugi::xml_node ipcr : Children(details, "ClassificationIPCR")) {
      std::string text = Text(Child(ipcr, "Text"));
      if (!text.empty()) {
        AddClassification(text, "ipc", "MAP-IPC", &record->ipc, findings);
      } else {
        AddClassificationParts(Text(Child(ipcr, "Section")), Text(Child(ipcr, "MainClass")),
                               Text(Child(ipcr, "Subclass")), Text(Child(ipcr, "MainGroup")),
                               Text(Child(ipcr, "Subgroup")), "ipc", "MAP-IPC", &record->ipc,
                               findings);
      }
    }
  }

  for (pugi::xml_node t : Children(bib, "InventionTitle")) {
    std::string lang = MapLang(Attr(t, "lang"), "titles", findings);
    AddLangText(&record->titles, lang.empty() ? doc_lang : lang, Text(t));
  }

  pugi::xml_node parties = Child(bib, "Parties");
  MapParties(parties, {"Applicant"}, "applicants", &record->applicants, findings);
  MapParties(parties, {"Inventor"}, "inventors", &record->inventors, findings);
  MapParties(parties, {"Assignee"}, "assignees", &record->assignees, findings);
  MapParties(parties, {"Agent"}, "agents", &record->agents, findings);

  auto lang_of = [&](pugi::xml_node n, std::string_view field) {
    std::string l = MapLang(Attr(n, "lang"), field, findings);
    return l.empty() ? doc_lang : l;
  };
  for (pugi::xml_node a : Children(root, "Abstract")) {
    TextBuilder b(true);
    for (pugi::xml_node p : Children(a, "Paragraphs")) {
      b.ParagraphBreak();
      b.AppendNode(p);
    }
    AddLangText(&record->abstracts, lang_of(a, "abstracts"), b.Take());
  }
  for (pugi::xml_node d : Children(root, "Description")) {
    AddLangText(&record->descriptions, lang_of(d, "descriptions"), DescriptionText(d));
  }
  for (pugi::xml_node cs : Children(root, "Claims")) {
    MapClaims(cs, lang_of(cs, "claims"), record, findings);
  }
}

}  // namespace

void MapSt36PatentDocument(const MapInput& in, model::Record* record,
                           std::vector<model::Finding>* findings) {
  pugi::xml_node root = in.doc->document_element();
  std::string_view name = LocalName(root);
  std::string doc_lang = MapLang(Attr(root, "lang"), "language", findings);
  if (name == "patent-document") {
    std::string version = CollapseSpace(Attr(root, "dtd-version"));
    if (version.starts_with('v') || version.starts_with('V')) version.erase(0, 1);
    record->source.format =
        version.empty() ? "st36-patent-document" : "st36-patent-document-v" + version;
    MapSt36Family(root, doc_lang, record, findings);
  } else if (name == "cn-patent-document") {
    record->source.format = "st36-cn";
    MapSt36Family(root, doc_lang, record, findings);
  } else if (name == "jp-official-gazette") {
    std::string version = CollapseSpace(Attr(root, "dtd-version"));
    record->source.format = version.empty() ? "st36-jp" : "st36-jp-v" + version;
    MapSt36Family(root, doc_lang, record, findings);
  } else if (name == "PatentDocumentAndRelated") {
    std::string version = CollapseSpace(Attr(root, "xsdVersion"));
    record->source.format = version.empty() ? "st36-cn-xsd" : "st36-cn-xsd-" + version;
    MapCnXsd(root, doc_lang, record, findings);
  } else {
    AddFinding(findings, "MAP-FORMAT", Severity::kError, "",
               "root element <" + std::string(root.name()) +
                   "> is not an ST.36 patent-document, cn-patent-document, "
                   "PatentDocumentAndRelated or jp-official-gazette");
    return;
  }
  CheckIdentity(*record, std::string(root.name()), findings);
}

}  // namespace ipdx::codec::internal
