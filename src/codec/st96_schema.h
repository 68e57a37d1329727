#pragma once
// ST.96 V6_0 schema support for codec/: strict XSD validation of pat:PatentPublication documents
// (libxml2), and the code lists of the V6_0 Common schema that decide whether a value may appear
// in a coded element (the writer uses them to avoid emitting values the schema rejects).
//
// The schema files are the WIPO flattened V6_0 XSDs shipped in data/schema/st96-v6_0/
// (PatentPublication_V6_0.xsd and the three files it imports); see the PROVENANCE.md there.
// Callers resolve that folder (tests use IPDX_SOURCE_DIR; the node uses its install path).
//
// Safety: nothing is ever fetched from the network (libxml2's external entity loader is replaced,
// process-wide, by its no-network loader the first time a schema is loaded); documents are
// parsed without entity substitution (no XML_PARSE_NOENT), without DTD loading and with
// XML_PARSE_NONET. Errors and warnings of libxml2 are collected into the returned Status as
// "line N: message" and never printed.
//
// Threads: St96Schema is immutable after Load(); Validate() may be called concurrently from
// several threads (each call uses its own libxml2 validation context). The code-list functions
// are pure.
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ipdx::codec {

// A parsed ST.96 V6_0 PatentPublication schema.
class St96Schema {
 public:
  // Parses `schema_dir`/PatentPublication_V6_0.xsd (and its local imports). IOError when the
  // file is missing, Internal when libxml2 cannot compile it (with libxml2's messages).
  static Result<std::unique_ptr<St96Schema>> Load(const std::string& schema_dir);

  ~St96Schema();
  St96Schema(const St96Schema&) = delete;
  St96Schema& operator=(const St96Schema&) = delete;

  // OK when `xml` is well-formed and valid against the schema. Otherwise InvalidArgument whose
  // message lists the problems, one per line, as "line N: <libxml2 message>" (at most 50; the
  // rest are counted).
  Status Validate(std::string_view xml) const;

 private:
  struct Impl;
  explicit St96Schema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One-shot convenience: loads the schema from `schema_dir` and validates `xml` with it. Loading
// takes a noticeable time (the flattened XSDs are about 0.5 MB); keep an St96Schema when
// validating many documents.
Status ValidateSt96(std::string_view xml, const std::string& schema_dir);

// Code lists of the ST.96 V6_0 Common schema (exact, case-sensitive match):
// com:ExtendedWIPOST3CodeType (ST.3 codes, current and former: "US", "EP", "WO", "DD", "SU").
bool IsSt96OfficeCode(std::string_view code);
// com:ExtendedISOCountryCodeType (ISO 3166-1 alpha-2, current and former; not "EP" or "WO").
bool IsSt96CountryCode(std::string_view code);
// com:ExtendedISOLanguageCodeType (ISO 639-1, lower case: "en", "zh", "ja").
bool IsSt96LanguageCode(std::string_view code);

}  // namespace ipdx::codec
