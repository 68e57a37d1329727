// Mapper for the EPO publication-server format `ep-patent-document` (DTD 1.0 to 1.5.1).
//
// The bibliographic part is the SDOBI block, whose element names are ST.9 INID codes times ten
// (B110 = INID 11 publication number, B540 = INID 54 title ...). Full texts are siblings of
// SDOBI: abstract, description, claims (one <claims> per language in B documents) and the
// ep-reference-list of documents cited by the applicant.
#include <string>
#include <string_view>

#include "codec/readers.h"
#include "codec/xml_text.h"
#include "model/model.h"

namespace ipdx::codec::internal {
namespace {

using model::Severity;

// "-//EPO//EP PATENT DOCUMENT 1.5.1//EN" -> "1.5.1"; "" when the DOCTYPE has no such id.
std::string VersionFromDoctype(std::string_view doctype) {
  constexpr std::string_view kMarker = "EP PATENT DOCUMENT ";
  size_t at = doctype.find(kMarker);
  if (at == std::string_view::npos) return {};
  std::string_view rest = doctype.substr(at + kMarker.size());
  size_t end = rest.find("//");
  if (end == std::string_view::npos) return {};
  return std::string(Trim(rest.substr(0, end)));
}

// "ep-patent-document-v1-5-1" -> "1.5.1"; "ep-patent-document-v1-01" -> "1.01".
std::string VersionFromAttribute(std::string_view dtd_version) {
  std::string_view v = Trim(dtd_version);
  size_t at = v.rfind("-v");
  if (at == std::string_view::npos) return {};
  std::string out(v.substr(at + 2));
  for (char& c : out) {
    if (c == '-') c = '.';
  }
  return out;
}

std::string Text(pugi::xml_node node) { return CollapseSpace(InlineText(node)); }

std::string DateChild(pugi::xml_node node) { return Text(Child(node, "date")); }

// An EP party (B711, B721, B731, B741): snm (+ sfx), adr/{str, city, ctry}.
model::Party ReadParty(pugi::xml_node party) {
  model::Party p;
  p.name = Text(Child(party, "snm"));
  std::string suffix = Text(Child(party, "sfx"));
  if (!suffix.empty()) p.name += (p.name.empty() ? "" : ", ") + suffix;
  pugi::xml_node adr = Child(party, "adr");
  for (pugi::xml_node c = adr.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string value = Text(c);
    if (value.empty()) continue;
    if (LocalName(c) == "ctry") {
      p.country = model::NormalizeOfficeCode(value);
    } else {
      p.address += (p.address.empty() ? "" : ", ") + value;
    }
  }
  return p;
}

void ReadParties(pugi::xml_node group, std::string_view element, std::string_view field,
                 std::vector<model::Party>* out, std::vector<model::Finding>* findings) {
  for (pugi::xml_node n : Children(group, element)) {
    model::Party p = ReadParty(n);
    if (p.name.empty()) {
      AddFinding(findings, "MAP-PARTY", Severity::kWarning,
                 std::string(field) + "[" + std::to_string(out->size()) + "]",
                 std::string(element) + " without a name (snm) not mapped");
      continue;
    }
    out->push_back(std::move(p));
  }
}

// B561 text such as "WO-A1-2014/114885", "US-A1- 2007 204 872", "EP-A- 0 460 575": office,
// kind and number separated by '-'. Returns false when the text has another shape.
bool ParseB561(std::string_view text, model::Citation* c) {
  size_t d1 = text.find('-');
  if (d1 == std::string_view::npos) return false;
  size_t d2 = text.find('-', d1 + 1);
  if (d2 == std::string_view::npos) return false;
  std::string office = model::NormalizeOfficeCode(text.substr(0, d1));
  std::string kind = model::NormalizeKindCode(text.substr(d1 + 1, d2 - d1 - 1));
  std::string_view number = Trim(text.substr(d2 + 1));
  if (office.size() != 2 || number.empty() || !model::IsWellFormedKindCode(kind)) return false;
  c->office = office;
  c->kind = kind;
  c->number = model::NormalizePublicationNumber(office, number);
  return !c->number.empty();
}

void MapPriorities(pugi::xml_node b300, model::Record* record,
                   std::vector<model::Finding>* findings) {
  // B300 holds B310 (number), B320 (date), B330 (office) triples in order; a B310 opens a claim.
  std::vector<std::string> raw_numbers;
  for (pugi::xml_node c = b300.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view name = LocalName(c);
    if (name == "B310") {
      record->priorities.emplace_back();
      raw_numbers.push_back(Text(c));
      continue;
    }
    if (record->priorities.empty()) {
      AddFinding(findings, "MAP-EP-PRIORITY", Severity::kWarning, "priorities",
                 std::string(name) + " before any B310 priority number not mapped");
      continue;
    }
    std::string field = "priorities[" + std::to_string(record->priorities.size() - 1) + "]";
    if (name == "B320") {
      record->priorities.back().date = MapDate(DateChild(c), field + ".date", findings);
    } else if (name == "B330") {
      record->priorities.back().office = model::NormalizeOfficeCode(Text(Child(c, "ctry")));
    }
  }
  for (size_t i = 0; i < record->priorities.size(); ++i) {
    model::DocRef& p = record->priorities[i];
    p.number = model::NormalizeApplicationNumber(p.office, raw_numbers[i]);
  }
}

void MapClassifications(pugi::xml_node b500, model::Record* record,
                        std::vector<model::Finding>* findings) {
  for (pugi::xml_node ipcr : Children(Child(b500, "B510EP"), "classification-ipcr")) {
    AddClassification(Text(Child(ipcr, "text")), "ipc", "MAP-IPC", &record->ipc, findings);
  }
  // Pre-2006 documents: IPC1-7 in B511 (main) and B512 (further), edition in B516.
  pugi::xml_node b510 = Child(b500, "B510");
  for (pugi::xml_node c = b510.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view name = LocalName(c);
    if (name == "B511" || name == "B512") {
      AddClassification(Text(c), "ipc", "MAP-IPC", &record->ipc, findings);
    } else if (name != "B516") {
      // B513 (additional information), B514/B517EP (indexing codes) have no place in the record.
      AddFinding(findings, "MAP-EP-UNMAPPED", Severity::kWarning, "ipc",
                 "SDOBI/B500/B510/" + std::string(name) + " \"" + Text(c) +
                     "\" (IPC additional information or indexing code) not mapped");
    }
  }
  for (pugi::xml_node cpc :
       Children(Path(b500, {"B520EP", "classifications-cpc"}), "classification-cpc")) {
    AddClassification(Text(Child(cpc, "text")), "cpc", "MAP-CPC", &record->cpc, findings);
  }
}

void MapB560(pugi::xml_node b560, model::Record* record, std::vector<model::Finding>* findings) {
  for (pugi::xml_node c = b560.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view name = LocalName(c);
    std::string field = "citations[" + std::to_string(record->citations.size()) + "]";
    std::string text = Text(Child(c, "text"));
    if (name == "B561") {
      model::Citation cit;
      if (!ParseB561(text, &cit)) {
        AddFinding(
            findings, "MAP-CITATION", Severity::kWarning, field,
            "B561 patent citation \"" + text + "\" is not OFFICE-KIND-NUMBER; kept as text only");
        cit = model::Citation{};
        cit.text = text;
      }
      record->citations.push_back(std::move(cit));
    } else if (name == "B562") {
      if (text.empty()) continue;
      model::Citation cit;
      cit.text = text;
      record->citations.push_back(std::move(cit));
    }
  }
}

// ep-reference-list: patent and non-patent literature cited by the applicant in the description.
void MapReferenceList(pugi::xml_node list, model::Record* record,
                      std::vector<model::Finding>* findings) {
  constexpr std::string_view kCategory = "cited by applicant";
  pugi::xml_node cur = list.first_child();
  // Iterative walk: patcit/nplcit sit inside p/ul/li at varying depths.
  while (cur) {
    bool descend = true;
    if (cur.type() == pugi::node_element) {
      std::string_view name = LocalName(cur);
      std::string field = "citations[" + std::to_string(record->citations.size()) + "]";
      if (name == "patcit") {
        descend = false;
        pugi::xml_node id = Child(cur, "document-id");
        if (id) {
          record->citations.push_back(
              PatentCitation(ReadDocumentId(id), std::string(kCategory), field, findings));
        } else {
          std::string dnum(Trim(Attr(cur, "dnum")));
          Result<model::PublicationRef> ref = model::ParsePublicationId(dnum);
          if (ref.ok()) {
            model::Citation c;
            c.office = ref->office;
            c.number = model::NormalizePublicationNumber(ref->office, ref->number);
            c.kind = ref->kind;
            c.category = kCategory;
            record->citations.push_back(std::move(c));
          } else {
            std::string text = Text(cur);
            AddFinding(findings, "MAP-CITATION", Severity::kWarning, field,
                       "ep-reference-list patcit dnum=\"" + dnum + "\" not parsed (" +
                           ref.status().message() + "); kept as text \"" + text + "\"");
            model::Citation c;
            c.text = text.empty() ? dnum : text;
            c.category = kCategory;
            record->citations.push_back(std::move(c));
          }
        }
      } else if (name == "nplcit") {
        descend = false;
        std::string text = Text(cur);
        if (!text.empty()) {
          model::Citation c;
          c.text = std::move(text);
          c.category = kCategory;
          record->citations.push_back(std::move(c));
        }
      }
    }
    if (descend && cur.first_child()) {
      cur = cur.first_child();
      continue;
    }
    while (cur && cur != list && !cur.next_sibling()) cur = cur.parent();
    if (!cur || cur == list) break;
    cur = cur.next_sibling();
  }
}

}  // namespace

void MapEpPatentDocument(const MapInput& in, model::Record* record,
                         std::vector<model::Finding>* findings) {
  pugi::xml_node root = in.doc->document_element();
  if (LocalName(root) != "ep-patent-document") {
    AddFinding(findings, "MAP-FORMAT", Severity::kError, "",
               "root element <" + std::string(root.name()) + "> is not <ep-patent-document>");
    return;
  }

  // Format version: the DOCTYPE public id names the DTD the document claims to follow; the
  // dtd-version attribute is the fallback (some files have lost their DOCTYPE).
  std::string from_doctype = VersionFromDoctype(in.doctype);
  std::string from_attr = VersionFromAttribute(Attr(root, "dtd-version"));
  std::string version = from_doctype.empty() ? from_attr : from_doctype;
  if (!from_doctype.empty() && !from_attr.empty() && from_doctype != from_attr) {
    AddFinding(findings, "MAP-EP-VERSION", Severity::kWarning, "source.format",
               "DOCTYPE public id says DTD " + from_doctype + " but dtd-version=\"" +
                   std::string(Attr(root, "dtd-version")) + "\"; using " + from_doctype);
  }
  record->source.format = version.empty() ? "ep-patent-document" : "ep-patent-document-v" + version;

  pugi::xml_node sdobi = Child(root, "SDOBI");
  if (!sdobi) {
    AddFinding(findings, "MAP-EP-SDOBI", Severity::kError, "",
               "ep-patent-document has no SDOBI bibliographic block");
  }

  // ---- identity (INID 11, 13, 19, 40) ----
  pugi::xml_node b100 = Child(sdobi, "B100");
  auto pick = [&](std::string_view field, std::string from_sdobi, std::string_view attr_name) {
    std::string from_attr_value = CollapseSpace(Attr(root, attr_name));
    if (from_sdobi.empty()) return from_attr_value;
    if (!from_attr_value.empty() && from_attr_value != from_sdobi) {
      AddFinding(findings, "MAP-EP-ID", Severity::kWarning, std::string(field),
                 "SDOBI says \"" + from_sdobi + "\" but ep-patent-document/@" +
                     std::string(attr_name) + " says \"" + from_attr_value + "\"; using SDOBI");
    }
    return from_sdobi;
  };
  record->office = model::NormalizeOfficeCode(pick("office", Text(Child(b100, "B190")), "country"));
  record->number = model::NormalizePublicationNumber(
      record->office, pick("number", Text(Child(b100, "B110")), "doc-number"));
  record->kind = model::NormalizeKindCode(pick("kind", Text(Child(b100, "B130")), "kind"));
  record->publication_date =
      MapDate(pick("publication_date", DateChild(Child(b100, "B140")), "date-publ"),
              "publication_date", findings, Severity::kError);

  // ---- application (INID 21, 22, 26) ----
  pugi::xml_node b200 = Child(sdobi, "B200");
  record->application.office = record->office;
  record->application.number =
      model::NormalizeApplicationNumber(record->office, Text(Child(b200, "B210")));
  record->application.date = MapDate(DateChild(Child(b200, "B220")), "application.date", findings);
  std::string lang = Text(Child(b200, "B260"));
  if (lang.empty()) lang = std::string(Attr(root, "lang"));
  record->language = MapLang(lang, "language", findings);

  // ---- priorities (INID 31, 32, 33) ----
  for (pugi::xml_node b300 : Children(sdobi, "B300")) MapPriorities(b300, record, findings);

  // ---- grant (INID 45: publication of the mention of the grant) ----
  pugi::xml_node b450 = Path(sdobi, {"B400", "B450"});
  if (b450) record->grant_date = MapDate(DateChild(b450), "grant_date", findings);

  // ---- classifications, titles, citations (INID 51, 52, 54, 56) ----
  pugi::xml_node b500 = Child(sdobi, "B500");
  MapClassifications(b500, record, findings);
  std::string title_lang;
  for (pugi::xml_node c = Child(b500, "B540").first_child(); c; c = c.next_sibling()) {
    if (LocalName(c) == "B541") {
      title_lang = MapLang(Text(c), "titles", findings);
    } else if (LocalName(c) == "B542") {
      AddLangText(&record->titles, title_lang, Text(c));
    }
  }
  MapB560(Child(b500, "B560"), record, findings);

  // ---- parties (INID 71, 72, 73, 74) ----
  pugi::xml_node b700 = Child(sdobi, "B700");
  ReadParties(Child(b700, "B710"), "B711", "applicants", &record->applicants, findings);
  ReadParties(Child(b700, "B720"), "B721", "inventors", &record->inventors, findings);
  ReadParties(Child(b700, "B730"), "B731", "assignees", &record->assignees, findings);
  ReadParties(Child(b700, "B740"), "B741", "agents", &record->agents, findings);
  if (pugi::xml_node b780 = Child(b700, "B780")) {
    AddFinding(findings, "MAP-EP-UNMAPPED", Severity::kWarning, "",
               "SDOBI/B700/B780 opposition data (" + std::to_string(Children(b780, "B781").size()) +
                   " opponent(s)) not mapped: the record has no opponent list");
  }

  // ---- full texts ----
  std::string doc_lang = MapLang(Attr(root, "lang"), "language", findings);
  auto lang_of = [&](pugi::xml_node n, std::string_view field) {
    std::string l = MapLang(Attr(n, "lang"), field, findings);
    return l.empty() ? doc_lang : l;
  };
  for (pugi::xml_node a : Children(root, "abstract")) {
    AddLangText(&record->abstracts, lang_of(a, "abstracts"), BlockText(a));
  }
  for (pugi::xml_node d : Children(root, "description")) {
    AddLangText(&record->descriptions, lang_of(d, "descriptions"), BlockText(d));
  }
  for (pugi::xml_node cs : Children(root, "claims")) {
    model::ClaimSet set;
    set.lang = lang_of(cs, "claims");
    for (pugi::xml_node claim : Children(cs, "claim")) {
      std::string text = InlineText(claim);
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
  for (pugi::xml_node list : Children(root, "ep-reference-list")) {
    MapReferenceList(list, record, findings);
  }

  CheckIdentity(*record, "ep-patent-document", findings);
}

}  // namespace ipdx::codec::internal
