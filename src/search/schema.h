#pragma once
// Internal to search/: the index schema (term prefixes, value slots, document data) shared by the
// indexer, the query compiler and the searcher. docs/query-language.md ("Index layout") lists the
// same table for people; a change here is an index format change: bump kIndexFormat so existing
// indexes are detected as stale and rebuilt.
//
// Term prefixes follow the Xapian convention (upper-case prefix; indexed words are always folded
// to lower case, so a prefix never runs into its term):
//   XTI XAB XCL XDE   title, abstract, claims, description: folded words with positions
//   Z<prefix><LL>     stem of a word in language LL ("ZXABENelectr"), only for words whose folded
//                     stem differs from the folded word: a word that is its own stem ("motor") is
//                     found through its X term, so a stemmed query is the synonym of Z<prefix><LL>
//                     + stem and <prefix> + stem for each language. Z<prefix> alone for every word
//                     of text without a stemmer (unknown language, or a language Xapian cannot
//                     stem). In a one-language index each non-CJK token counts once among the
//                     Z terms and the X term of its stem, so BM25 counts each word once; with
//                     several languages a token that equals another language's stem of the query
//                     word can count twice (docs/query-language.md).
//   XPA XIN           applicant/assignee and inventor names: folded words with positions
//   XIPC: XCPC:       classification hierarchy: "A", "A61", "A61K", "A61K 31", "A61K 31/4439"
//   XPN:              publication number with and without kind: "US8936998", "US8936998B2"
//   XPNN:             publication number alone, without office: "8936998"
//   XAN: XANN:        application number with office / alone (only letters and digits)
//   XCC: XKIND:       office (ST.3) and kind (ST.16)
//   XPUB:             publisher of the copy
//   XID:              publication id "US-8936998-B2" (all copies, any publisher)
//   Q                 the copy's unique term: publisher + "/" + publication id
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ipdx::search::internal {

// Version of the layout below. Stored in the index metadata; a different value means rebuild.
// 2: no Z term for a word that is its own stem.
inline constexpr int kIndexFormat = 2;

inline constexpr std::string_view kPrefixTitle = "XTI";
inline constexpr std::string_view kPrefixAbstract = "XAB";
inline constexpr std::string_view kPrefixClaims = "XCL";
inline constexpr std::string_view kPrefixDescription = "XDE";
inline constexpr std::string_view kPrefixApplicant = "XPA";
inline constexpr std::string_view kPrefixInventor = "XIN";
inline constexpr std::string_view kPrefixIpc = "XIPC:";
inline constexpr std::string_view kPrefixCpc = "XCPC:";
inline constexpr std::string_view kPrefixPubNumber = "XPN:";
inline constexpr std::string_view kPrefixPubNumberOnly = "XPNN:";
inline constexpr std::string_view kPrefixAppNumber = "XAN:";
inline constexpr std::string_view kPrefixAppNumberOnly = "XANN:";
inline constexpr std::string_view kPrefixOffice = "XCC:";
inline constexpr std::string_view kPrefixKind = "XKIND:";
inline constexpr std::string_view kPrefixPublisher = "XPUB:";
inline constexpr std::string_view kPrefixId = "XID:";
inline constexpr std::string_view kPrefixUnique = "Q";

// The four full-text fields, in the order `txt` searches them.
inline constexpr std::string_view kTextPrefixes[] = {kPrefixTitle, kPrefixAbstract, kPrefixClaims,
                                                     kPrefixDescription};

// Value slots. Dates are "YYYYMMDD" (partial ST.2 dates padded with "00"), so they sort as strings.
enum Slot : unsigned {
  kSlotPublicationDate = 0,
  kSlotApplicationDate = 1,
  kSlotPriorityDate = 2,  // earliest priority date
  kSlotOffice = 3,
  kSlotKind = 4,
  kSlotYear = 5,           // "YYYY" of the publication date
  kSlotIpcSubclasses = 6,  // multi-valued, see JoinValues
  kSlotApplicants = 7,     // multi-valued display names
  kSlotPublisher = 8,
};

// Gap in term positions between two texts of a document (two claims, the title and the abstract,
// two languages). Larger than the largest NEAR/ADJ distance, so proximity never spans texts.
inline constexpr unsigned kPositionGap = 1000;
// Largest distance accepted in NEAR/n and ADJ/n.
inline constexpr int kMaxDistance = 500;

// "Z" + prefix + upper-case language ("" when the text has no stemmer) + folded stem.
std::string StemTerm(std::string_view prefix, std::string_view lang, std::string_view stem);

// ISO 8601 date (possibly partial: "2015", "2015-03") to the 8-character slot key, missing parts
// as "00" ("2015-03" -> "20150300"). Empty when `iso` is not of that shape.
std::string DateKey(std::string_view iso);

// Query bounds for a partial date: the lowest and the highest key it covers
// ("2015" -> "20150000" / "20159999"; "2015-03-01" -> "20150301" / "20150301").
std::string DateKeyLow(std::string_view iso);
std::string DateKeyHigh(std::string_view iso);
// The key just before / after an 8-digit key, as a number ("20150000" -> "20149999").
std::string DateKeyPred(std::string_view key);
std::string DateKeySucc(std::string_view key);

// A parsed classification query or symbol: the hierarchy level terms for indexing, or the one term
// a query value stands for.
struct ClassSymbol {
  std::string section;     // "A"
  std::string cls;         // "A61"
  std::string subclass;    // "A61K"
  std::string main_group;  // "A61K 31" (no subgroup), empty if not given
  std::string full;        // "A61K 31/4439", empty if no subgroup given
  // The most specific level given, i.e. the term to search for.
  std::string Deepest() const;
};
// Parses "A", "A61", "a61k", "A61K31", "A61K 31", "A61K 31/4439", "A61K31/4439", "A61K 031/04"
// (spaces ignored, leading zeros of the groups dropped, subgroup keeps two digits at least).
// nullopt when the value has none of those shapes. `allow_open_subgroup` accepts "A61K 31/" or
// "A61K 31/44" as a prefix for truncation (then `full` is the prefix without padding).
std::optional<ClassSymbol> ParseClassSymbol(std::string_view value, bool allow_open_subgroup);

// Number keys. Publication numbers: office + normalised number (+ kind); the number alone has its
// leading zeros removed so "EP0001234" and "1234" meet. Application numbers keep only letters and
// digits, upper-cased ("12/134,151" -> "12134151").
std::string NumberOnlyKey(std::string_view number);
std::string AppNumberKey(std::string_view number);

// Multi-valued slots: values joined by U+001F (unit separator); control characters inside values
// are replaced by spaces when joining.
std::string JoinValues(const std::vector<std::string>& values);
std::vector<std::string> SplitValues(std::string_view joined);

// Collapses runs of whitespace to one space and trims: display names and facet values.
std::string CollapseSpaces(std::string_view s);

// The document data stored with every Xapian document: what a hit shows and what snippets and
// "similar documents" are made from, so a search needs no store lookup.
struct DocSection {
  char field = 'a';  // 'a' abstract, 'c' claims, 'd' description
  std::string lang;  // ISO 639-1 or empty
  std::string text;  // possibly cut at kMaxSectionBytes (at a UTF-8 boundary)
};
struct DocData {
  std::string publisher;
  std::string id;
  std::string title;
  std::string title_lang;
  std::string language;  // publication language
  std::string publication_date;
  std::string office;
  std::string kind;
  std::vector<DocSection> sections;
};
// Per-section cap on stored text for snippets (claims and description can be megabytes).
inline constexpr size_t kMaxSectionBytes = 32 * 1024;
std::string EncodeDocData(const DocData& data);
// Corruption when the bytes are not an encoding of this format.
Result<DocData> DecodeDocData(std::string_view bytes);

// Cuts `s` to at most `max_bytes` without splitting a UTF-8 sequence.
std::string_view CutUtf8(std::string_view s, size_t max_bytes);

}  // namespace ipdx::search::internal
