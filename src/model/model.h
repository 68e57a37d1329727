#pragma once
// ipdx::model: the record model (record.h) and the WIPO code tables and parsers that readers,
// validation and search share. Everything here is a pure function over immutable tables
// compiled into the binary; safe to call from any thread.
//
//   ST.3  office and country codes (current and former), from the ST.96 V6_0 Common schema.
//   ST.16 kind codes: shape check and a per-office table of known kinds.
//   ST.2  dates: basic CCYYMMDD and extended CCYY-MM-DD, partial dates (YYYYMM00, YYYY0000).
//   ST.8  IPC symbols in their many input shapes, normalised to "A61K 31/4439".
//   Publication and application numbers, normalised per office.
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "model/record.h"

namespace ipdx::model {

// ---- ST.3 ------------------------------------------------------------------------------------
enum class St3Status { kUnknown, kCurrent, kFormer };
// Looks up a two-letter code (already trimmed and upper-cased). Also knows the IGO/regional
// codes of the table (EP, WO, EM, ...).
St3Status LookupSt3(std::string_view code);
// Name of a known code ("Germany"), empty if unknown.
std::string_view St3Name(std::string_view code);
// Trims and upper-cases ("ep " -> "EP").
std::string NormalizeOfficeCode(std::string_view raw);

// ---- ST.16 -----------------------------------------------------------------------------------
// Trims and upper-cases a kind code ("a1 " -> "A1").
std::string NormalizeKindCode(std::string_view raw);
// ^[A-Z][0-9]?$ after normalisation.
bool IsWellFormedKindCode(std::string_view kind);
// True when the office's published list of kinds contains `kind`; nullopt when ipdx has no table
// for the office (then only the shape is checked).
std::optional<bool> IsKnownKindForOffice(std::string_view office, std::string_view kind);

// ---- ST.2 ------------------------------------------------------------------------------------
// Parses "20150120", "2015-01-20", partial "201501", "2015-01", "2015", "20150100", "20150000"
// and returns ISO 8601 ("2015-01-20", "2015-01", "2015"). Checks the calendar (no Feb 30).
// InvalidArgument with a specific message otherwise.
Result<std::string> ParseSt2Date(std::string_view raw);
// True when `iso` is a full date (YYYY-MM-DD), not partial.
bool IsFullDate(std::string_view iso);

// ---- ST.8 / IPC ------------------------------------------------------------------------------
// Normalises any of the input shapes seen in real files to "A61K 31/4439":
//   "A61K 31/4439", "A61K31/4439", "A61K  31/4439  20060101AFI...", ST.8 50-column records,
//   OPS token forms "B01J   8/    00            A I", the 14-character canonical form
//   "A01B0001020000", edition-prefixed IPC1-7 " 7A 61K 9/16 A", NO-BREAK SPACE separators,
//   CPC without a space "A61B2017/320052". Subgroups keep at least two digits ("1/02", "31/00").
// Returns InvalidArgument naming the problem when the input is not an IPC/CPC symbol.
Result<std::string> NormalizeIpcSymbol(std::string_view raw);
// Builds a symbol from USPTO/ST.96 split elements (section, class, subclass, main group,
// subgroup), validating each element.
Result<std::string> IpcFromParts(std::string_view section, std::string_view cls,
                                 std::string_view subclass, std::string_view main_group,
                                 std::string_view subgroup);
// "A61K 31/4439" -> "A61K"; "A61K 31/4439" -> "A61K 31/00" for MainGroup.
std::string IpcSubclass(std::string_view symbol);
std::string IpcMainGroup(std::string_view symbol);

// ---- numbers ---------------------------------------------------------------------------------
// Normalises a publication number for an office: strips separators, spaces and the office
// prefix; removes leading zeros where the office does not use them (US "08936998" ->
// "8936998"; keeps letter prefixes "D0967598" -> "D967598", "RE049257" -> "RE49257"); WO
// original "2022/259205" -> "2022259205".
std::string NormalizePublicationNumber(std::string_view office, std::string_view raw);
// Normalises an application number: trims, removes spaces and thousands separators; keeps check
// digits ("17171508.9") and series prefixes ("60/984910").
std::string NormalizeApplicationNumber(std::string_view office, std::string_view raw);

// Parses a publication id in any common spelling ("US-8936998-B2", "US8936998B2",
// "US 8,936,998 B2", "us8936998") into office, number and (possibly empty) kind.
struct PublicationRef {
  std::string office;
  std::string number;
  std::string kind;
};
Result<PublicationRef> ParsePublicationId(std::string_view raw);

}  // namespace ipdx::model
