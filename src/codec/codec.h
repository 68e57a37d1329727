#pragma once
// ipdx::codec: reading office documents into model::Record and writing records out.
//
// Reading is two steps so ingest can parallelise the expensive one:
//   1. DocumentSplitter streams an input file (plain XML, USPTO weekly files where many documents
//      are concatenated, .zip archives as the USPTO ships them, EPO DOCDB bulk files, ipdx JSON
//      lines) and yields one RawDocument at a time, holding only that document in memory.
//   2. Decode() detects the format of one RawDocument, parses it safely (no DTD or external
//      entity is ever fetched, internal-subset entities are never expanded, named entities
//      resolve from the tables the project ships, nesting depth and size are bounded) and maps
//      it to a Record. Problems are findings; an error finding means the document is rejected.
//
// Writing: ToJson/FromJson (docs/formats/record.md) and ToSt96Xml (ST.96 V6_0 PatentPublication).
//
// Threads: Decode and the writers are pure functions, safe to call concurrently. A
// DocumentSplitter is externally synchronised (one thread at a time).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/record.h"

namespace ipdx::codec {

// Largest single document accepted; bigger ones are rejected with rule "XML-SIZE".
inline constexpr uint64_t kMaxDocumentBytes = 64ull << 20;
// Deepest element nesting accepted; deeper ones are rejected with rule "XML-DEPTH".
inline constexpr int kMaxNestingDepth = 256;

struct RawDocument {
  std::string bytes;    // one complete document (for DOCDB, re-wrapped with its namespaces)
  std::string file;     // input path; "archive.zip!member.xml" for archive members
  uint64_t offset = 0;  // byte offset of the document in the (uncompressed) file or member
  std::string hint;     // container hint, e.g. "jsonl", "docdb-bulk"; empty for plain XML
};

// The outcome of decoding one document.
struct Decoded {
  std::optional<model::Record> record;   // absent when the document could not be mapped
  std::vector<model::Finding> findings;  // reader findings (errors reject the document)
  std::string format;                    // detected format, e.g. "uspto-grant-v4.5"
  std::string id_hint;                   // best-effort publication id for reject reports
  std::string source_sha256;             // hex SHA-256 of the document bytes (record or reject)
};

// Streams documents out of one input path. Memory use is bounded by the largest document, not
// the file size. Errors that concern one document (too large, truncated) are returned as a
// RawDocument whose bytes Decode() rejects with a precise finding; Status errors are reserved
// for I/O failures of the whole input.
class DocumentSplitter {
 public:
  virtual ~DocumentSplitter() = default;

  // Opens `path` (file; .zip archives are opened member by member; .jsonl/.ndjson are JSON
  // lines). Folders are expanded by the caller.
  static Result<std::unique_ptr<DocumentSplitter>> Open(const std::string& path);

  // The next document, or nullopt at the end of the input.
  virtual Result<std::optional<RawDocument>> Next() = 0;

  // Progress: bytes consumed so far and total bytes (0 when unknown), of the compressed input.
  virtual uint64_t bytes_done() const = 0;
  virtual uint64_t bytes_total() const = 0;
};

// Detects the format of `doc` and maps it to a Record. Never throws, never crashes on hostile
// input. The returned record has source.format/file/offset/sha256 filled; ingested_at, version
// and hash are left for the store.
Decoded Decode(const RawDocument& doc);

// ---- writers -------------------------------------------------------------------------------

// The record JSON of docs/formats/record.md (all fields, including source, version, hash,
// findings). `pretty` indents with two spaces.
std::string ToJson(const model::Record& record, bool pretty = false);

// Parses record JSON (as written by ToJson). Unknown names are ignored; wrong types are errors
// naming the field.
Result<model::Record> FromJson(std::string_view json);

// Appends `text` to *out as a JSON string literal (quotes included): the escapes of ToJson,
// control characters as \u00XX, and every ill-formed UTF-8 sequence replaced by U+FFFD (as
// nlohmann's "replace" error handler does). The one JSON string writer of ipdx; also used by the
// access log and the change feed. Thread-safe.
void AppendJsonString(std::string* out, std::string_view text);

// Canonical JSON of the record content (identity, bibliographic data, texts, classifications,
// citations), without source, findings, version and hash: the input of the content hash.
// Keys sorted, no insignificant whitespace, UTF-8.
std::string ContentJson(const model::Record& record);

// Hex SHA-256 of ContentJson(record).
std::string ContentHash(const model::Record& record);

// A record encoded for the store ahead of time, so that a bulk writer (ingest's one store
// thread) only writes: ingest workers call EncodeForStore in parallel and hand the result to
// store::Store::PutEncodedRecord. `json` is ToJson(record) (compact) cut before the value of its
// last-but-one member, i.e. it ends with `"version":`; FinishJson appends the version and hash
// the store decides, giving exactly ToJson of the stored record. Both are pure functions.
struct EncodedRecord {
  std::string hash;  // ContentHash(record)
  std::string json;  // ToJson(record) up to and including `"version":`
};
EncodedRecord EncodeForStore(const model::Record& record);
// Appends `VERSION,"hash":"HASH"}` to `json` (an EncodedRecord's json). `hash` is hex.
void FinishJson(std::string* json, int version, std::string_view hash);

// ST.96 V6_0 pat:PatentPublication XML for the record. Valid against the V6_0 schema for every
// record that passes validation.
std::string ToSt96Xml(const model::Record& record);

}  // namespace ipdx::codec
