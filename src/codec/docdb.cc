// Mapper for EPO DOCDB exchange documents (`exch:exchange-document`), as found in DOCDB bulk
// files (front files and back files, re-wrapped one document at a time by the splitter) and in
// EPO OPS responses (`ops:world-patent-data/exchange-documents/exchange-document`).
//
// DOCDB repeats most facts in several "data formats": docdb (EPO-normalised), docdbx/docdba
// (extended/as published), epodoc (EPO internal number format) and original (as the office
// printed it). The mapper takes numbers from the docdb form, which has the country, number and
// kind separated, and names from the standardised docdbx/docdb form (as the EPO recommends for
// matching), falling back to the others in a fixed order. Elements are matched by local name:
// DOCDB mixes the exch: namespace with unqualified children, and OPS uses a default namespace.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "codec/readers.h"
#include "codec/xml_text.h"
#include "model/model.h"

namespace ipdx::codec::internal {
namespace {

using model::Severity;

std::string Text(pugi::xml_node node) { return CollapseSpace(InlineText(node)); }

// Rank of a data-format attribute for numbers and references (lower is preferred). Elements
// without the attribute (older OPS forms) rank just after docdb.
int NumberRank(std::string_view format) {
  if (format == "docdb") return 0;
  if (format.empty()) return 1;
  if (format == "original") return 2;
  if (format == "epodoc") return 3;
  return 4;
}

// Rank for party names: the standardised docdbx/docdb names first.
int NameRank(std::string_view format) {
  constexpr std::array<std::string_view, 6> kOrder = {"docdbx",   "docdb",  "docdba",
                                                      "original", "epodoc", ""};
  auto it = std::find(kOrder.begin(), kOrder.end(), format);
  return static_cast<int>(it - kOrder.begin());
}

// Among `nodes`, those whose data-format has the best rank.
std::vector<pugi::xml_node> BestFormat(const std::vector<pugi::xml_node>& nodes,
                                       int (*rank)(std::string_view)) {
  int best = 1 << 20;
  for (pugi::xml_node n : nodes) best = std::min(best, rank(Attr(n, "data-format")));
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node n : nodes) {
    if (rank(Attr(n, "data-format")) == best) out.push_back(n);
  }
  return out;
}

// One reference (application-reference, priority-claim, publication-reference, patcit) may
// carry several document-ids, typed docdb, epodoc and original (OPS puts the date only in the
// epodoc one). Merges them: country, number and kind from the docdb form; else the original
// number with the country taken from the epodoc prefix ("US201213547826" -> US); the date from
// the first document-id that has one, docdb first.
DocumentIdParts MergedDocumentId(pugi::xml_node parent) {
  std::vector<pugi::xml_node> ids = Children(parent, "document-id");
  pugi::xml_node docdb, epodoc, original;
  for (pugi::xml_node id : ids) {
    std::string_view type = Attr(id, "document-id-type");
    if (!docdb && (type == "docdb" || (type.empty() && Child(id, "country")))) docdb = id;
    if (!epodoc && type == "epodoc") epodoc = id;
    if (!original && type == "original") original = id;
  }
  // Bulk DOCDB repeats the reference per data-format instead, each with one untyped document-id.
  if (!docdb && !epodoc && !original && !ids.empty()) return ReadDocumentId(ids.front());
  DocumentIdParts out = ReadDocumentId(docdb);
  DocumentIdParts e = ReadDocumentId(epodoc);
  DocumentIdParts o = ReadDocumentId(original);
  if (out.number.empty()) {
    bool epodoc_prefix = e.number.size() > 2 && e.number[0] >= 'A' && e.number[0] <= 'Z' &&
                         e.number[1] >= 'A' && e.number[1] <= 'Z';
    if (out.country.empty() && epodoc_prefix) out.country = e.number.substr(0, 2);
    if (!o.number.empty()) {
      out.number = o.number;
    } else if (epodoc_prefix) {
      out.number = e.number.substr(2);
    }
  }
  for (const DocumentIdParts* p : {&e, &o}) {
    if (out.date.empty()) out.date = p->date;
    if (out.name.empty()) out.name = p->name;
  }
  return out;
}

void MapParties(pugi::xml_node group, std::string_view element, std::string_view name_element,
                std::string_view field, std::vector<model::Party>* out,
                std::vector<model::Finding>* findings) {
  std::vector<pugi::xml_node> all = Children(group, element);
  if (all.empty()) return;
  for (pugi::xml_node n : BestFormat(all, NameRank)) {
    model::Party p;
    p.name = Text(Path(n, {name_element, "name"}));
    p.country = model::NormalizeOfficeCode(Text(Path(n, {"residence", "country"})));
    p.address = Text(Path(n, {"address"}));
    if (p.name.empty()) {
      AddFinding(findings, "MAP-PARTY", Severity::kWarning,
                 std::string(field) + "[" + std::to_string(out->size()) + "]",
                 std::string(element) + " sequence=\"" + std::string(Attr(n, "sequence")) +
                     "\" has no " + std::string(name_element) + "/name; not mapped");
      continue;
    }
    out->push_back(std::move(p));
  }
}

std::string CitationCategory(pugi::xml_node citation) {
  std::string category = Text(Child(citation, "category"));
  if (!category.empty()) return category;
  std::string_view by = Trim(Attr(citation, "cited-by"));
  if (!by.empty() && by != "unknown") return "cited by " + std::string(by);
  std::string_view phase = Trim(Attr(citation, "cited-phase"));
  if (phase == "APP") return "cited by applicant";
  if (phase == "SEA") return "cited in search";
  if (phase == "ISR") return "cited in international search report";
  if (phase == "EXA") return "cited in examination";
  if (phase == "OPP") return "cited in opposition";
  if (!phase.empty()) return "cited in " + std::string(phase);
  return {};
}

void MapCitations(pugi::xml_node refs, model::Record* record,
                  std::vector<model::Finding>* findings) {
  for (pugi::xml_node citation : Children(refs, "citation")) {
    std::string field = "citations[" + std::to_string(record->citations.size()) + "]";
    std::string category = CitationCategory(citation);
    if (pugi::xml_node patcit = Child(citation, "patcit")) {
      DocumentIdParts parts = MergedDocumentId(patcit);
      if (parts.country.empty() || parts.number.empty()) {
        std::string shown = parts.number.empty() ? std::string(Attr(patcit, "dnum")) : parts.number;
        AddFinding(findings, "MAP-CITATION", Severity::kWarning, field,
                   "patcit \"" + shown + "\" has no docdb country/doc-number; kept as text");
        model::Citation c;
        c.text = shown;
        c.category = std::move(category);
        record->citations.push_back(std::move(c));
        continue;
      }
      record->citations.push_back(PatentCitation(parts, std::move(category), field, findings));
    } else if (pugi::xml_node nplcit = Child(citation, "nplcit")) {
      std::string text = Text(Child(nplcit, "text"));
      if (text.empty()) text = Text(nplcit);
      if (text.empty()) {
        AddFinding(findings, "MAP-CITATION", Severity::kWarning, field, "nplcit without text");
        continue;
      }
      model::Citation c;
      c.text = std::move(text);
      c.category = std::move(category);
      record->citations.push_back(std::move(c));
    } else {
      AddFinding(findings, "MAP-CITATION", Severity::kWarning, field,
                 "citation sequence=\"" + std::string(Attr(citation, "sequence")) +
                     "\" has neither patcit nor nplcit; not mapped");
    }
  }
}

void MapClassifications(pugi::xml_node bib, model::Record* record,
                        std::vector<model::Finding>* findings) {
  for (pugi::xml_node ipcr : Children(Child(bib, "classifications-ipcr"), "classification-ipcr")) {
    AddClassification(Text(Child(ipcr, "text")), "ipc", "MAP-IPC", &record->ipc, findings);
  }
  // IPC1-7 (pre-reform documents): main-classification, further-classification, or text (OPS).
  for (pugi::xml_node ipc : Children(bib, "classification-ipc")) {
    for (pugi::xml_node c = ipc.first_child(); c; c = c.next_sibling()) {
      std::string_view name = LocalName(c);
      if (name == "main-classification" || name == "further-classification" || name == "text") {
        AddClassification(Text(c), "ipc", "MAP-IPC", &record->ipc, findings);
      }
    }
  }
  // patent-classifications: CPC (schemes CPC, CPCI, CPCNO ...) and US classification (UC).
  // Combination sets hold further patent-classification elements one level down.
  std::vector<pugi::xml_node> pcs;
  pugi::xml_node group = Child(bib, "patent-classifications");
  for (pugi::xml_node c = group.first_child(); c; c = c.next_sibling()) {
    if (LocalName(c) == "patent-classification") {
      pcs.push_back(c);
    } else if (LocalName(c) == "combination-set") {
      for (pugi::xml_node rank : Children(c, "combination-rank")) {
        for (pugi::xml_node pc : Children(rank, "patent-classification")) pcs.push_back(pc);
      }
    }
  }
  for (pugi::xml_node pc : pcs) {
    std::string scheme(Trim(Attr(Child(pc, "classification-scheme"), "scheme")));
    std::string symbol = Text(Child(pc, "classification-symbol"));
    if (scheme.starts_with("CPC")) {
      if (!symbol.empty()) {
        AddClassification(symbol, "cpc", "MAP-CPC", &record->cpc, findings);
      } else {
        AddClassificationParts(Text(Child(pc, "section")), Text(Child(pc, "class")),
                               Text(Child(pc, "subclass")), Text(Child(pc, "main-group")),
                               Text(Child(pc, "subgroup")), "cpc", "MAP-CPC", &record->cpc,
                               findings);
      }
    } else if (scheme == "UC") {
      if (!symbol.empty() && std::find(record->national.begin(), record->national.end(), symbol) ==
                                 record->national.end()) {
        record->national.push_back(symbol);
      }
    } else {
      AddFinding(findings, "MAP-CLASSIFICATION", Severity::kWarning, "national",
                 "patent-classification scheme=\"" + scheme + "\" symbol \"" + symbol +
                     "\" not mapped (only CPC and UC are)");
    }
  }
}

}  // namespace

void MapDocdbExchangeDocument(const MapInput& in, model::Record* record,
                              std::vector<model::Finding>* findings) {
  record->source.format = "docdb-exchange";
  pugi::xml_node root = in.doc->document_element();
  pugi::xml_node ed =
      LocalName(root) == "exchange-document" ? root : FindDescendant(root, "exchange-document");
  if (!ed) {
    AddFinding(findings, "MAP-FORMAT", Severity::kError, "",
               "no <exchange-document> element under <" + std::string(root.name()) + ">");
    return;
  }
  for (pugi::xml_node next = ed.next_sibling(); next; next = next.next_sibling()) {
    if (LocalName(next) == "exchange-document") {
      AddFinding(findings, "MAP-DOCDB-MULTI", Severity::kWarning, "",
                 "the input holds more than one exchange-document; only the first (" +
                     std::string(Attr(ed, "country")) + std::string(Attr(ed, "doc-number")) +
                     std::string(Attr(ed, "kind")) + ") was mapped");
      break;
    }
  }
  pugi::xml_node bib = Child(ed, "bibliographic-data");

  // ---- identity: attributes of exchange-document, else publication-reference (docdb) ----
  std::vector<pugi::xml_node> pubs = BestFormat(Children(bib, "publication-reference"), NumberRank);
  DocumentIdParts pub;
  if (!pubs.empty()) pub = MergedDocumentId(pubs.front());
  auto pick = [](std::string_view attr, const std::string& element) {
    std::string a = CollapseSpace(attr);
    return a.empty() ? element : a;
  };
  record->office = model::NormalizeOfficeCode(pick(Attr(ed, "country"), pub.country));
  record->number =
      model::NormalizePublicationNumber(record->office, pick(Attr(ed, "doc-number"), pub.number));
  record->kind = model::NormalizeKindCode(pick(Attr(ed, "kind"), pub.kind));
  record->publication_date = MapDate(pick(Attr(ed, "date-publ"), pub.date), "publication_date",
                                     findings, Severity::kError);
  record->language = MapLang(Text(Child(bib, "language-of-publication")), "language", findings);
  if (pugi::xml_node granted = Path(bib, {"dates-of-public-availability", "printed-with-grant"})) {
    record->grant_date = MapDate(MergedDocumentId(granted).date, "grant_date", findings);
  }

  // ---- application ----
  std::vector<pugi::xml_node> apps = BestFormat(Children(bib, "application-reference"), NumberRank);
  if (!apps.empty()) {
    DocumentIdParts app = MergedDocumentId(apps.front());
    record->application.office = model::NormalizeOfficeCode(app.country);
    record->application.number =
        model::NormalizeApplicationNumber(record->application.office, app.number);
    record->application.date = MapDate(app.date, "application.date", findings);
  }

  // ---- priorities ----
  std::vector<pugi::xml_node> prios =
      BestFormat(Children(Child(bib, "priority-claims"), "priority-claim"), NumberRank);
  for (pugi::xml_node pc : prios) {
    std::string field = "priorities[" + std::to_string(record->priorities.size()) + "]";
    DocumentIdParts id = MergedDocumentId(pc);
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

  MapClassifications(bib, record, findings);

  // ---- parties ----
  pugi::xml_node parties = Child(bib, "parties");
  MapParties(Child(parties, "applicants"), "applicant", "applicant-name", "applicants",
             &record->applicants, findings);
  MapParties(Child(parties, "inventors"), "inventor", "inventor-name", "inventors",
             &record->inventors, findings);
  MapParties(Child(parties, "agents"), "agent", "agent-name", "agents", &record->agents, findings);

  // ---- texts: every distinct (lang, text), as DOCDB carries several languages ----
  auto add_distinct = [&](std::vector<model::LangText>* list, pugi::xml_node n, bool block,
                          std::string_view field) {
    model::LangText t{MapLang(Attr(n, "lang"), field, findings), block ? BlockText(n) : Text(n)};
    if (t.text.empty()) return;
    if (std::find(list->begin(), list->end(), t) == list->end()) list->push_back(std::move(t));
  };
  for (pugi::xml_node t : Children(bib, "invention-title")) {
    add_distinct(&record->titles, t, false, "titles");
  }
  for (pugi::xml_node a : Children(ed, "abstract")) {
    add_distinct(&record->abstracts, a, true, "abstracts");
  }

  MapCitations(Child(bib, "references-cited"), record, findings);

  if (pugi::xml_node family = Child(ed, "patent-family")) {
    AddFinding(findings, "MAP-DOCDB-UNMAPPED", Severity::kWarning, "",
               "patent-family with " + std::to_string(Children(family, "family-member").size()) +
                   " family-member(s) not mapped: the record has no family member list");
  }

  CheckIdentity(*record, "exchange-document", findings);
}

}  // namespace ipdx::codec::internal
