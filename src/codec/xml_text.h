#pragma once
// Internal to codec/: XML navigation and text helpers shared by the ST.36-family mappers (EPO
// ep-patent-document, DOCDB, generic ST.36 / CNIPA / JPO) and the ST.96 mapper.
//
// Navigation: pugixml does not process namespaces, so these helpers compare *local* names
// (the part after the prefix) and, where a mapper needs it, resolve a prefix to its namespace
// URI by walking the in-scope xmlns declarations. ST.96 is matched on namespace URI plus local
// name, never on the prefix a producer happened to choose.
//
// Text: InlineText() and BlockText() turn mixed content (claims, abstracts, descriptions,
// titles) into plain UTF-8 text. Whitespace runs collapse to one space; formatting elements
// (b, i, u, sub, sup, smallcaps, MathML tokens, cross-references ...) are flattened so that
// "H<sub>2</sub>O" reads "H2O"; every other element boundary separates words. Line breaks
// (source newlines, <br/>, element boundaries) between two CJK characters vanish instead of
// becoming a space, because CNIPA and JPO documents wrap lines inside words. The walk is
// iterative (no recursion), so a deeply nested hostile document cannot exhaust the stack.
//
// Mapping helpers: dates, IPC symbols and codes go through the model parsers; anything they
// reject becomes a Finding naming the record field and quoting the bad value.
//
// All functions are pure and thread-safe; returned string_views point into the pugixml
// document, which must outlive them.
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "model/record.h"

namespace ipdx::codec::internal {

// ---- navigation ------------------------------------------------------------------------------

// "exch:applicant" -> "applicant"; "B110" -> "B110".
std::string_view LocalName(pugi::xml_node node);
std::string_view LocalName(std::string_view qualified_name);
// The namespace URI the node's prefix (or the default namespace) is bound to, found by walking
// up through the ancestors' xmlns attributes; empty when unbound.
std::string_view NamespaceUri(pugi::xml_node node);
// True when `node` is an element with this namespace URI and local name.
bool IsElement(pugi::xml_node node, std::string_view ns_uri, std::string_view local);

// First child element with local name `local` (any prefix); empty node when none.
pugi::xml_node Child(pugi::xml_node parent, std::string_view local);
// All child elements with local name `local`, in document order.
std::vector<pugi::xml_node> Children(pugi::xml_node parent, std::string_view local);
// Follows a path of local names from `node`: Path(n, {"bibliographic-data", "parties"}).
pugi::xml_node Path(pugi::xml_node node, std::initializer_list<std::string_view> locals);
// First descendant element (document order, iterative) with local name `local`.
pugi::xml_node FindDescendant(pugi::xml_node root, std::string_view local);
// Namespace-aware variants for ST.96.
pugi::xml_node ChildNs(pugi::xml_node parent, std::string_view ns_uri, std::string_view local);
std::vector<pugi::xml_node> ChildrenNs(pugi::xml_node parent, std::string_view ns_uri,
                                       std::string_view local);
// Value of the attribute whose local name is `local` ("lang", "com:languageCode" ...), or "".
std::string_view Attr(pugi::xml_node node, std::string_view local);

// ---- text ------------------------------------------------------------------------------------

// Trims ASCII whitespace and NO-BREAK SPACE at both ends.
std::string_view Trim(std::string_view s);
// Collapses whitespace runs to one space and trims (for short values such as names, numbers).
std::string CollapseSpace(std::string_view s);

// Accumulates plain text from one or more nodes; see the file comment for the rules.
// `paragraphs` = true keeps paragraph structure (one paragraph a line, "\n" between them);
// otherwise the result is one line.
class TextBuilder {
 public:
  explicit TextBuilder(bool paragraphs) : paragraphs_(paragraphs) {}

  // Appends the text content of `node` (an element or a text node) and its descendants.
  void AppendNode(pugi::xml_node node);
  // Appends raw text (whitespace inside it is normalised like element text).
  void AppendText(std::string_view text);
  // A word boundary (a space, or nothing between two CJK characters).
  void SoftBreak();
  // A paragraph boundary ("\n" in paragraph mode, otherwise a soft break).
  void ParagraphBreak();

  std::string Take();

 private:
  enum class Pending { kNone, kSpace, kSoft, kParagraph };
  void Raise(Pending p);
  void EnterOrLeave(pugi::xml_node element);

  bool paragraphs_;
  Pending pending_ = Pending::kNone;
  std::string out_;
};

// Single-line text of `node` (titles, claims, names).
std::string InlineText(pugi::xml_node node);
// Multi-paragraph text of `node` (descriptions, abstracts), paragraphs separated by "\n".
std::string BlockText(pugi::xml_node node);

// ---- mapping helpers -------------------------------------------------------------------------

void AddFinding(std::vector<model::Finding>* findings, std::string rule, model::Severity severity,
                std::string field, std::string message);

// ISO 639-1 from a lang attribute ("EN" -> "en", "ZH" -> "zh", " de" -> "de"); "" when empty.
// Values that are not two letters are kept lower-cased and reported (rule MAP-LANG, warning).
std::string MapLang(std::string_view raw, std::string_view field,
                    std::vector<model::Finding>* findings);

// ST.2 date -> ISO 8601 via model::ParseSt2Date. Empty input gives "" without a finding; an
// unparseable value gives "" and a finding (rule MAP-DATE, `severity`).
std::string MapDate(std::string_view raw, std::string_view field,
                    std::vector<model::Finding>* findings,
                    model::Severity severity = model::Severity::kWarning);

// Normalises `raw` with model::NormalizeIpcSymbol and appends it to `symbols` unless already
// present. A rejected value is reported (rule MAP-IPC or MAP-CPC, warning) with its text.
void AddClassification(std::string_view raw, std::string_view field, std::string_view rule,
                       std::vector<std::string>* symbols, std::vector<model::Finding>* findings);
// Same for split elements (section, class, subclass, main group, subgroup).
void AddClassificationParts(std::string_view section, std::string_view cls,
                            std::string_view subclass, std::string_view main_group,
                            std::string_view subgroup, std::string_view field,
                            std::string_view rule, std::vector<std::string>* symbols,
                            std::vector<model::Finding>* findings);

// The children of an ST.36 <document-id> (country, doc-number, kind, date, name), trimmed.
struct DocumentIdParts {
  std::string country;
  std::string number;
  std::string kind;
  std::string date;  // as written (ST.2), not yet parsed
  std::string name;
};
DocumentIdParts ReadDocumentId(pugi::xml_node document_id);

// A patent citation from a document-id (number normalised with the office's rules, date parsed
// with findings against `field`).
model::Citation PatentCitation(const DocumentIdParts& id, std::string category,
                               std::string_view field, std::vector<model::Finding>* findings);

// Appends `text` as a LangText unless empty.
void AddLangText(std::vector<model::LangText>* list, std::string lang, std::string text);

// Reports that identity fields are missing (rule MAP-ID, error) after a mapper has run: office,
// number, kind and publication date are the four mandatory ST.37 elements.
void CheckIdentity(const model::Record& record, std::string_view what,
                   std::vector<model::Finding>* findings);

}  // namespace ipdx::codec::internal
