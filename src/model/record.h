#pragma once
// ipdx::model::Record: the canonical record every reader produces and every writer consumes.
//
// A Record is a plain value type (copyable, movable, no invariants enforced by the type):
// readers fill it, validate/ checks it, store/ persists its JSON (docs/formats/record.md).
// Dates are ISO 8601 strings that may be partial ("2015", "2015-01", "2015-01-20"), as ST.96
// com:DateType allows. Codes are stored normalised (trimmed, upper-case office and kind).
#include <cstdint>
#include <string>
#include <vector>

namespace ipdx::model {

// Version of the record JSON layout (docs/formats/record.md). Bump on incompatible change.
inline constexpr int kRecordFormatVersion = 1;

struct LangText {
  std::string lang;  // ISO 639-1, lower case; empty when unknown
  std::string text;
  bool operator==(const LangText&) const = default;
};

struct ClaimSet {
  std::string lang;
  std::vector<std::string> claims;  // one entry per claim, in order, plain text
  bool operator==(const ClaimSet&) const = default;
};

struct Party {
  std::string name;
  std::string country;  // ST.3, may be empty
  std::string address;  // free text, may be empty
  bool operator==(const Party&) const = default;
};

// Application or priority reference.
struct DocRef {
  std::string office;  // ST.3
  std::string number;  // normalised (see model/numbers.h)
  std::string date;    // ISO 8601, possibly partial; empty when unknown
  bool operator==(const DocRef&) const = default;
};

struct Citation {
  std::string office;
  std::string number;
  std::string kind;
  std::string date;
  std::string category;  // e.g. "cited by examiner", "X", "A"
  std::string text;      // non-patent literature text (then office/number are empty)
  bool operator==(const Citation&) const = default;
};

enum class Severity { kWarning, kError };

// A problem found in a document: where, which rule, how bad, what.
struct Finding {
  std::string rule;  // e.g. "ST16-1", "XML-XXE"
  Severity severity = Severity::kError;
  std::string field;    // record field or XML path, e.g. "kind", "priorities[0].date"
  std::string message;  // human readable, specific
  bool operator==(const Finding&) const = default;
};

struct Source {
  std::string format;       // e.g. "uspto-grant-v4.5", "ep-patent-document-1.5.1", "st96"
  std::string file;         // path as given to ingest (or archive!member)
  uint64_t offset = 0;      // byte offset of the document in the (uncompressed) file
  std::string sha256;       // of the source document bytes, hex
  std::string ingested_at;  // ISO 8601 UTC timestamp
  bool operator==(const Source&) const = default;
};

struct Record {
  // Identity (ST.3 office, number, ST.16 kind).
  std::string office;
  std::string number;
  std::string kind;
  std::string publication_date;  // ISO 8601
  std::string grant_date;        // ISO 8601 when the document is a grant and says so
  std::string language;          // publication language, ISO 639-1

  DocRef application;
  std::vector<DocRef> priorities;

  std::vector<LangText> titles;
  std::vector<LangText> abstracts;
  std::vector<ClaimSet> claims;
  std::vector<LangText> descriptions;

  std::vector<Party> applicants;
  std::vector<Party> inventors;
  std::vector<Party> assignees;
  std::vector<Party> agents;

  std::vector<std::string> ipc;       // normalised ST.8 symbols, "A61K 31/4439"
  std::vector<std::string> cpc;       // normalised, "A61K 31/4439"
  std::vector<std::string> national;  // national classification as given (e.g. US "514/338")

  std::vector<Citation> citations;

  Source source;
  std::vector<Finding> findings;  // warnings kept with the record

  // Set by the store: version number (1, 2, ...) and content hash (hex SHA-256 of the
  // canonical content JSON, see docs/formats/record.md).
  int version = 0;
  std::string hash;

  // "US-8936998-B2"
  std::string Id() const { return office + "-" + number + "-" + kind; }
  bool operator==(const Record&) const = default;
};

}  // namespace ipdx::model
