// Mapper for WIPO ST.96 pat:PatentPublication (any st96Version; written against V6_0, whose
// element names are stable in later versions for the parts mapped here).
//
// Elements are matched by namespace URI and local name. ST.96 splits its vocabulary between the
// Patent and Common namespaces (pat:ApplicationIdentification holds com:IPOfficeCode, ...), and
// which one a given element lives in has moved between versions, so a child is accepted when it
// is in either ST.96 namespace with the expected local name. A document whose elements are in
// another namespace (e.g. the pre-standard USPTO XML4IP one) is not ST.96 and yields nothing.
#include <algorithm>
#include <string>
#include <string_view>

#include "codec/readers.h"
#include "codec/xml_text.h"
#include "model/model.h"

namespace ipdx::codec::internal {
namespace {

using model::Severity;

constexpr std::string_view kPatNs = "http://www.wipo.int/standards/XMLSchema/ST96/Patent";
constexpr std::string_view kComNs = "http://www.wipo.int/standards/XMLSchema/ST96/Common";

bool IsSt96(pugi::xml_node n, std::string_view local) {
  if (n.type() != pugi::node_element || LocalName(n) != local) return false;
  std::string_view ns = NamespaceUri(n);
  return ns == kPatNs || ns == kComNs;
}

pugi::xml_node K(pugi::xml_node parent, std::string_view local) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (IsSt96(c, local)) return c;
  }
  return {};
}

std::vector<pugi::xml_node> Ks(pugi::xml_node parent, std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (IsSt96(c, local)) out.push_back(c);
  }
  return out;
}

pugi::xml_node KPath(pugi::xml_node n, std::initializer_list<std::string_view> locals) {
  for (std::string_view l : locals) {
    if (!n) break;
    n = K(n, l);
  }
  return n;
}

std::string Text(pugi::xml_node node) { return CollapseSpace(InlineText(node)); }

void Join(std::string* out, const std::string& part, std::string_view sep) {
  if (part.empty()) return;
  if (!out->empty()) *out += sep;
  *out += part;
}

// com:Name: PersonName (full or structured), OrganizationName, or EntityName.
std::string NameText(pugi::xml_node name) {
  if (pugi::xml_node person = K(name, "PersonName")) {
    if (pugi::xml_node full = K(person, "PersonFullName")) return Text(full);
    pugi::xml_node s = K(person, "PersonStructuredName");
    std::string out;
    for (std::string_view part :
         {"NamePrefix", "FirstName", "MiddleName", "LastName", "FirstLastName", "SecondLastName"}) {
      Join(&out, Text(K(s, part)), " ");
    }
    Join(&out, Text(K(s, "NameSuffix")), ", ");
    return out;
  }
  if (pugi::xml_node org = K(name, "OrganizationName")) {
    std::string standard = Text(K(org, "OrganizationStandardName"));
    return standard.empty() ? Text(org) : standard;
  }
  return Text(K(name, "EntityName"));
}

// Applicant, Inventor, Assignee, RegisteredPractitioner: Contact or PublicationContact.
model::Party ReadParty(pugi::xml_node party) {
  model::Party p;
  pugi::xml_node contact = K(party, "PublicationContact");
  if (!contact) contact = K(party, "Contact");
  p.name = NameText(K(contact, "Name"));
  // PublicationContact: CityName, GeographicRegionName, CountryCode, PostalCode.
  for (std::string_view part : {"CityName", "GeographicRegionName", "PostalCode"}) {
    Join(&p.address, Text(K(contact, part)), ", ");
  }
  std::string country = Text(K(contact, "CountryCode"));
  // Contact: PostalAddressBag/PostalAddress/(PostalStructuredAddress | PostalAddressText).
  pugi::xml_node postal = KPath(contact, {"PostalAddressBag", "PostalAddress"});
  if (pugi::xml_node s = K(postal, "PostalStructuredAddress")) {
    for (pugi::xml_node line : Ks(s, "AddressLineText")) Join(&p.address, Text(line), ", ");
    for (std::string_view part : {"CityName", "GeographicRegionName", "PostalCode"}) {
      Join(&p.address, Text(K(s, part)), ", ");
    }
    if (country.empty()) country = Text(K(s, "CountryCode"));
  }
  for (pugi::xml_node line : Ks(postal, "PostalAddressText")) Join(&p.address, Text(line), ", ");
  if (country.empty()) country = Text(K(party, "ResidenceCountryCode"));
  if (country.empty()) country = Text(K(party, "NationalityCode"));
  p.country = model::NormalizeOfficeCode(country);
  return p;
}

void MapParties(pugi::xml_node bag, std::string_view element, std::string_view field,
                std::vector<model::Party>* out, std::vector<model::Finding>* findings) {
  for (pugi::xml_node n : Ks(bag, element)) {
    model::Party p = ReadParty(n);
    if (p.name.empty()) {
      AddFinding(findings, "MAP-PARTY", Severity::kWarning,
                 std::string(field) + "[" + std::to_string(out->size()) + "]",
                 "pat:" + std::string(element) + " without a name not mapped");
      continue;
    }
    out->push_back(std::move(p));
  }
}

void MapIpcr(pugi::xml_node ipcr, model::Record* record, std::vector<model::Finding>* findings) {
  if (pugi::xml_node text = K(ipcr, "PatentClassificationText")) {
    AddClassification(Text(text), "ipc", "MAP-IPC", &record->ipc, findings);
  } else if (pugi::xml_node sym = K(ipcr, "PatentClassificationSymbolText")) {
    AddClassification(Text(sym), "ipc", "MAP-IPC", &record->ipc, findings);
  } else {
    AddClassificationParts(Text(K(ipcr, "Section")), Text(K(ipcr, "Class")),
                           Text(K(ipcr, "Subclass")), Text(K(ipcr, "MainGroup")),
                           Text(K(ipcr, "Subgroup")), "ipc", "MAP-IPC", &record->ipc, findings);
  }
}

void MapCpc(pugi::xml_node cpc, model::Record* record, std::vector<model::Finding>* findings) {
  if (pugi::xml_node text = K(cpc, "PatentClassificationText")) {
    AddClassification(Text(text), "cpc", "MAP-CPC", &record->cpc, findings);
    return;
  }
  std::string section = Text(K(cpc, "CPCSection"));
  if (section.empty()) section = Text(K(cpc, "Section"));
  AddClassificationParts(section, Text(K(cpc, "Class")), Text(K(cpc, "Subclass")),
                         Text(K(cpc, "MainGroup")), Text(K(cpc, "Subgroup")), "cpc", "MAP-CPC",
                         &record->cpc, findings);
}

// National classification as given: "438/455" from NationalClass + NationalSubclass, or the
// free text form.
void MapNational(pugi::xml_node nc, model::Record* record) {
  for (pugi::xml_node c = nc.first_child(); c; c = c.next_sibling()) {
    if (!IsSt96(c, "MainNationalClassification") && !IsSt96(c, "FurtherNationalClassification")) {
      continue;
    }
    std::string symbol = Text(K(c, "PatentClassificationText"));
    if (symbol.empty()) {
      symbol = Text(K(c, "NationalClass"));
      std::string sub = Text(K(c, "NationalSubclass"));
      if (!sub.empty()) symbol += "/" + sub;
    }
    if (!symbol.empty() && std::find(record->national.begin(), record->national.end(), symbol) ==
                               record->national.end()) {
      record->national.push_back(symbol);
    }
  }
}

void MapClassifications(pugi::xml_node bag, model::Record* record,
                        std::vector<model::Finding>* findings) {
  for (pugi::xml_node c = bag.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view name = LocalName(c);
    if (name == "IPCRClassificationBag") {
      for (pugi::xml_node ipcr : Ks(c, "IPCRClassification")) MapIpcr(ipcr, record, findings);
    } else if (name == "CPCClassificationBag") {
      // MainCPC and FurtherCPC hold CPCClassification, FurtherCPC also CPCCombinationSet/
      // CPCCombinationRank/CPCClassification. Walk two levels without recursion.
      for (pugi::xml_node part = c.first_child(); part; part = part.next_sibling()) {
        for (pugi::xml_node cpc : Ks(part, "CPCClassification")) MapCpc(cpc, record, findings);
        for (pugi::xml_node set : Ks(part, "CPCCombinationSet")) {
          for (pugi::xml_node rank : Ks(set, "CPCCombinationRank")) {
            for (pugi::xml_node cpc : Ks(rank, "CPCClassification")) {
              MapCpc(cpc, record, findings);
            }
          }
        }
      }
    } else if (name == "NationalClassification") {
      MapNational(c, record);
    } else {
      AddFinding(findings, "MAP-CLASSIFICATION", Severity::kWarning, "ipc",
                 "PatentClassificationBag/" + std::string(name) + " not mapped");
    }
  }
}

void MapCitations(pugi::xml_node bag, model::Record* record,
                  std::vector<model::Finding>* findings) {
  for (pugi::xml_node rc : Ks(bag, "ReferenceCitation")) {
    std::string field = "citations[" + std::to_string(record->citations.size()) + "]";
    std::string category;
    std::string_view party = Trim(Attr(rc, "citingPartyCategory"));
    if (!party.empty()) {
      category = "cited by ";
      for (char ch : party) category += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
    }
    if (pugi::xml_node pc = K(rc, "PatentCitation")) {
      pugi::xml_node id = K(pc, "CitedPatentDocumentIdentification");
      if (id) {
        DocumentIdParts parts;
        parts.country = Text(K(id, "IPOfficeCode"));
        parts.number = Text(K(id, "DocumentNumber"));
        parts.kind = Text(K(id, "PatentDocumentKindCode"));
        parts.date = Text(K(id, "PatentDocumentDate"));
        record->citations.push_back(PatentCitation(parts, category, field, findings));
      } else {
        model::Citation c;
        c.text = Text(K(pc, "PatentCitationText"));
        c.category = category;
        AddFinding(findings, "MAP-CITATION", Severity::kWarning, field,
                   "PatentCitation without CitedPatentDocumentIdentification kept as text \"" +
                       c.text + "\"");
        record->citations.push_back(std::move(c));
      }
    } else if (pugi::xml_node npl = K(rc, "NPLCitation")) {
      model::Citation c;
      c.text = Text(K(npl, "NPLCitationText"));
      if (c.text.empty()) c.text = Text(npl);
      c.category = category;
      if (!c.text.empty()) record->citations.push_back(std::move(c));
    } else {
      AddFinding(findings, "MAP-CITATION", Severity::kWarning, field,
                 "ReferenceCitation with neither PatentCitation nor NPLCitation not mapped");
    }
  }
}

}  // namespace

void MapSt96PatentPublication(const MapInput& in, model::Record* record,
                              std::vector<model::Finding>* findings) {
  pugi::xml_node root = in.doc->document_element();
  if (!IsElement(root, kPatNs, "PatentPublication")) {
    AddFinding(findings, "MAP-FORMAT", Severity::kError, "",
               "root element <" + std::string(root.name()) + "> in namespace \"" +
                   std::string(NamespaceUri(root)) + "\" is not ST.96 pat:PatentPublication");
    return;
  }
  std::string version = CollapseSpace(Attr(root, "st96Version"));
  record->source.format = version.empty() ? "st96" : "st96-" + version;
  std::string doc_lang = MapLang(Attr(root, "languageCode"), "language", findings);

  pugi::xml_node bib = K(root, "BibliographicData");
  if (!bib) {
    AddFinding(findings, "MAP-ST96", Severity::kError, "",
               "pat:PatentPublication has no pat:BibliographicData");
  }

  // ---- identity ----
  pugi::xml_node pub = K(bib, "PatentPublicationIdentification");
  pugi::xml_node grant = K(bib, "PatentGrantIdentification");
  pugi::xml_node id = pub ? pub : grant;
  std::string office = Text(K(id, "IPOfficeCode"));
  if (office.empty()) office = Text(K(root, "IPOfficeCode"));
  record->office = model::NormalizeOfficeCode(office);
  std::string number = Text(K(id, pub ? "PublicationNumber" : "PatentNumber"));
  record->number = model::NormalizePublicationNumber(record->office, number);
  record->kind = model::NormalizeKindCode(Text(K(id, "PatentDocumentKindCode")));
  std::string date = Text(K(id, pub ? "PublicationDate" : "GrantDate"));
  if (date.empty()) date = std::string(Attr(root, "documentPublicationDate"));
  record->publication_date = MapDate(date, "publication_date", findings, Severity::kError);
  if (grant) record->grant_date = MapDate(Text(K(grant, "GrantDate")), "grant_date", findings);
  std::string pub_lang = Text(K(bib, "PublicationLanguageCode"));
  record->language = pub_lang.empty() ? doc_lang : MapLang(pub_lang, "language", findings);

  // ---- application and priorities ----
  pugi::xml_node app = K(bib, "ApplicationIdentification");
  record->application.office = model::NormalizeOfficeCode(Text(K(app, "IPOfficeCode")));
  record->application.number = model::NormalizeApplicationNumber(
      record->application.office, Text(KPath(app, {"ApplicationNumber", "ApplicationNumberText"})));
  record->application.date = MapDate(Text(K(app, "FilingDate")), "application.date", findings);
  for (pugi::xml_node pc : Ks(K(bib, "PriorityClaimBag"), "PriorityClaim")) {
    std::string field = "priorities[" + std::to_string(record->priorities.size()) + "]";
    model::DocRef ref;
    ref.office = model::NormalizeOfficeCode(Text(K(pc, "IPOfficeCode")));
    ref.number = model::NormalizeApplicationNumber(
        ref.office, Text(KPath(pc, {"ApplicationNumber", "ApplicationNumberText"})));
    ref.date = MapDate(Text(K(pc, "FilingDate")), field + ".date", findings);
    if (ref.number.empty()) {
      AddFinding(findings, "MAP-PRIORITY", Severity::kWarning, field,
                 "pat:PriorityClaim without ApplicationNumberText not mapped");
      continue;
    }
    record->priorities.push_back(std::move(ref));
  }

  MapClassifications(K(bib, "PatentClassificationBag"), record, findings);

  for (pugi::xml_node t : Ks(K(bib, "InventionTitleBag"), "InventionTitle")) {
    std::string lang = MapLang(Attr(t, "languageCode"), "titles", findings);
    AddLangText(&record->titles, lang.empty() ? doc_lang : lang, Text(t));
  }

  MapCitations(K(bib, "ReferenceCitationBag"), record, findings);

  pugi::xml_node parties = K(bib, "PartyBag");
  MapParties(K(parties, "ApplicantBag"), "Applicant", "applicants", &record->applicants, findings);
  MapParties(K(parties, "InventorBag"), "Inventor", "inventors", &record->inventors, findings);
  MapParties(K(parties, "AssigneeBag"), "Assignee", "assignees", &record->assignees, findings);
  MapParties(K(parties, "RegisteredPractitionerBag"), "RegisteredPractitioner", "agents",
             &record->agents, findings);

  // ---- full texts ----
  auto lang_of = [&](pugi::xml_node n, std::string_view field) {
    std::string l = MapLang(Attr(n, "languageCode"), field, findings);
    return l.empty() ? doc_lang : l;
  };
  for (pugi::xml_node a : Ks(root, "Abstract")) {
    AddLangText(&record->abstracts, lang_of(a, "abstracts"), BlockText(a));
  }
  for (pugi::xml_node d : Ks(root, "Description")) {
    AddLangText(&record->descriptions, lang_of(d, "descriptions"), BlockText(d));
  }
  for (pugi::xml_node cs : Ks(root, "Claims")) {
    model::ClaimSet set;
    set.lang = lang_of(cs, "claims");
    for (pugi::xml_node claim : Ks(cs, "Claim")) {
      // The claim text is the ClaimText children; ClaimNumber and ClaimTypeCategory are
      // metadata.
      TextBuilder b(false);
      for (pugi::xml_node ct : Ks(claim, "ClaimText")) {
        b.SoftBreak();
        b.AppendNode(ct);
      }
      std::string text = b.Take();
      if (text.empty()) {
        AddFinding(findings, "MAP-CLAIM", Severity::kWarning,
                   "claims[" + std::to_string(record->claims.size()) + "]",
                   "pat:Claim number \"" + Text(K(claim, "ClaimNumber")) + "\" has no ClaimText");
        continue;
      }
      set.claims.push_back(std::move(text));
    }
    if (!set.claims.empty()) record->claims.push_back(std::move(set));
  }

  CheckIdentity(*record, "pat:PatentPublication", findings);
}

}  // namespace ipdx::codec::internal
