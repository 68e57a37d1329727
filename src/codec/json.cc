// Record JSON writer and reader, and the canonical content JSON behind the content hash.
// The layout is specified in docs/formats/record.md (format version 1); keep the two in step.
//
// The writers are hand-written (see "writer" below); the reader uses nlohmann::json, whose
// exceptions (parse errors, type errors) are caught inside this file.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codec/codec.h"
#include "common/hash.h"
#include "common/status.h"
#include "model/record.h"

namespace ipdx::codec {
namespace {

using Json = nlohmann::json;  // the reader's document tree

std::string_view SeverityName(model::Severity s) {
  return s == model::Severity::kWarning ? "warning" : "error";
}

// ---- writer -----------------------------------------------------------------------------------
//
// The record JSON and the canonical content JSON are written by hand rather than through
// nlohmann::json: building a json tree and dumping it copied and re-scanned every text twice per
// document and dominated ingest time. The output is byte for byte what nlohmann's dump() gives
// with ensure_ascii = false and error_handler_t::replace (json_writer_test.cc checks it against
// nlohmann over the sample corpus and randomised strings): compact "{"a":1,"b":[]}" or, pretty,
// two-space indentation with "": " after keys, "{}"/"[]" for empty containers; strings escape
// '"', '\\', \b \t \n \f \r and the other control characters as \u00XX (lower-case hex); U+007F
// and everything above is written as UTF-8; each invalid UTF-8 sequence becomes U+FFFD.

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;

// True when one of the 8 bytes of `w` needs a closer look: >= 0x80 (UTF-8 to validate), < 0x20
// (control character), '"' or '\\'. Exact as a yes/no answer (the classic has-less and
// has-zero-byte tricks; they may misplace the byte but never miss it or invent one).
inline bool NeedsAttention(uint64_t w) {
  const uint64_t high = w & kHighBits;
  const uint64_t control = (w - kOnes * 0x20) & ~w & kHighBits;
  const uint64_t q = w ^ (kOnes * '"');
  const uint64_t b = w ^ (kOnes * '\\');
  const uint64_t quote = (q - kOnes) & ~q & kHighBits;
  const uint64_t backslash = (b - kOnes) & ~b & kHighBits;
  return (high | control | quote | backslash) != 0;
}

// For a non-ASCII lead byte at s[0]: the length of the well-formed UTF-8 sequence that starts
// there (2..4), or 0 when it is not well-formed; then *consumed is the number of bytes that form
// the invalid prefix (the lead byte and the continuation bytes accepted before the first byte
// that does not fit, at least 1). This is the Unicode "well-formed byte sequence" table (3-7),
// which is also what nlohmann's UTF-8 automaton accepts: a rejected byte that followed an
// accepted prefix is read again as the start of the next character.
inline size_t Utf8Length(const unsigned char* s, size_t n, size_t* consumed) {
  const unsigned char c = s[0];
  size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    *consumed = 1;  // 0x80..0xC1, 0xF5..0xFF never start a character
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    if (k >= n || s[k] < lo || s[k] > hi) {
      *consumed = k;
      return 0;
    }
    lo = 0x80;
    hi = 0xBF;
  }
  return len;
}

// Appends `s` escaped (without the quotes).
void AppendEscaped(std::string_view s, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t run = 0;  // p[run, i) is clean and not yet appended
  size_t i = 0;
  while (i < n) {
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (NeedsAttention(w)) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = p[i];
    if (c >= 0x80) {
      size_t consumed = 0;
      const size_t len = Utf8Length(p + i, n - i, &consumed);
      if (len != 0) {
        i += len;
        continue;
      }
      out->append(s.data() + run, i - run);
      out->append("\xEF\xBF\xBD");
      i += consumed;
      run = i;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out->append(s.data() + run, i - run);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\r':
        out->append("\\r");
        break;
      default: {
        const char esc[6] = {
            '\\', 'u', '0', '0', "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]};
        out->append(esc, sizeof esc);
      }
    }
    ++i;
    run = i;
  }
  out->append(s.data() + run, n - run);
}

// Where the escaped form of a long string value sits in an already written JSON text: the same
// string written again (the canonical content after the record JSON, EncodeForStore) is hashed
// from there instead of being escaped a second time. `data`/`size` identify the source string
// object; they are compared, never dereferenced.
struct EscapedSpan {
  const char* data = nullptr;
  size_t size = 0;
  size_t offset = 0;  // of the escaped bytes (without quotes) in the written text
  size_t length = 0;
};
// Strings shorter than this are escaped again: looking them up would cost more.
constexpr size_t kMinSharedBytes = 256;

// Streams JSON into a string, either compact or indented like nlohmann's pretty dump. When a
// hasher is attached, the text is fed to it in chunks and the buffer is reused, so hashing the
// content never holds the whole canonical JSON in memory.
//
// Sharing escaped text (EncodeForStore): a writer given `record_spans` notes where each long
// string value it escaped landed in its output; a hashing writer given `reuse` (sorted by data)
// and `reuse_text` (that output) hashes a long value it finds there straight from reuse_text.
// Both writers must see the same, unchanged string objects (one const Record), so equal
// data/size means the same bytes.
class JsonWriter {
 public:
  JsonWriter(std::string* out, bool pretty, Sha256Hasher* hasher = nullptr)
      : out_(out), pretty_(pretty), hasher_(hasher) {}
  void RecordSpans(std::vector<EscapedSpan>* spans) { record_spans_ = spans; }
  void ReuseSpans(const std::vector<EscapedSpan>* spans, std::string_view text) {
    reuse_ = spans;
    reuse_text_ = text;
  }

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  // A member name inside an object; the value follows.
  void Key(std::string_view key) {
    Separate();
    out_->push_back('"');
    AppendEscaped(key, out_);
    out_->append(pretty_ ? "\": " : "\":");
    after_key_ = true;
  }

  void String(std::string_view value) {
    BeforeValue();
    out_->push_back('"');
    if (value.size() >= kMinSharedBytes && (record_spans_ != nullptr || reuse_ != nullptr)) {
      SharedString(value);
    } else {
      AppendEscaped(value, out_);
    }
    out_->push_back('"');
    MaybeFlush();
  }
  // A value that is not a member of the record (a temporary): never shared.
  void TransientString(std::string_view value) {
    BeforeValue();
    out_->push_back('"');
    AppendEscaped(value, out_);
    out_->push_back('"');
    MaybeFlush();
  }
  void Unsigned(uint64_t value) { Number(value); }
  void Signed(int64_t value) { Number(value); }

  // Hands the remaining text to the hasher.
  void Flush() {
    if (hasher_ != nullptr && !out_->empty()) {
      hasher_->Update(*out_);
      out_->clear();
    }
  }

 private:
  static constexpr size_t kFlushBytes = 64 << 10;

  template <typename T>
  void Number(T value) {
    BeforeValue();
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    (void)ec;  // 24 bytes hold any 64-bit integer
    out_->append(buf, static_cast<size_t>(end - buf));
  }

  void MaybeFlush() {
    if (hasher_ != nullptr && out_->size() >= kFlushBytes) Flush();
  }

  void SharedString(std::string_view value) {
    if (record_spans_ != nullptr) {
      const size_t offset = out_->size();
      AppendEscaped(value, out_);
      record_spans_->push_back({value.data(), value.size(), offset, out_->size() - offset});
      return;
    }
    auto it = std::lower_bound(
        reuse_->begin(), reuse_->end(), value.data(),
        [](const EscapedSpan& s, const char* data) { return std::less<>()(s.data, data); });
    if (hasher_ != nullptr && it != reuse_->end() && it->data == value.data() &&
        it->size == value.size()) {
      Flush();
      hasher_->Update(reuse_text_.substr(it->offset, it->length));
      return;
    }
    AppendEscaped(value, out_);
  }

  // Comma and (pretty) line break plus indentation before a member or an array element.
  void Separate() {
    if (!first_.empty()) {
      if (!first_.back()) out_->push_back(',');
      first_.back() = false;
      if (pretty_) {
        out_->push_back('\n');
        out_->append(2 * first_.size(), ' ');
      }
    }
  }
  void BeforeValue() {
    if (after_key_) {
      after_key_ = false;
    } else {
      Separate();
    }
  }
  void Open(char c) {
    BeforeValue();
    out_->push_back(c);
    first_.push_back(true);
  }
  void Close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty && pretty_) {
      out_->push_back('\n');
      out_->append(2 * first_.size(), ' ');
    }
    out_->push_back(c);
    MaybeFlush();
  }

  std::string* out_;
  bool pretty_;
  Sha256Hasher* hasher_;
  std::vector<EscapedSpan>* record_spans_ = nullptr;
  const std::vector<EscapedSpan>* reuse_ = nullptr;
  std::string_view reuse_text_;
  bool after_key_ = false;
  std::vector<bool> first_;  // per open container: no member or element written yet
};

// ---- record JSON (human-readable key order, docs/formats/record.md section 2) -----------------

void WriteLangTexts(JsonWriter& w, const std::vector<model::LangText>& texts) {
  w.BeginArray();
  for (const auto& t : texts) {
    w.BeginObject();
    w.Key("lang");
    w.String(t.lang);
    w.Key("text");
    w.String(t.text);
    w.EndObject();
  }
  w.EndArray();
}

void WriteDocRef(JsonWriter& w, const model::DocRef& ref) {
  w.BeginObject();
  w.Key("office");
  w.String(ref.office);
  w.Key("number");
  w.String(ref.number);
  w.Key("date");
  w.String(ref.date);
  w.EndObject();
}

void WriteParties(JsonWriter& w, const std::vector<model::Party>& parties) {
  w.BeginArray();
  for (const auto& p : parties) {
    w.BeginObject();
    w.Key("name");
    w.String(p.name);
    w.Key("country");
    w.String(p.country);
    if (!p.address.empty()) {
      w.Key("address");
      w.String(p.address);
    }
    w.EndObject();
  }
  w.EndArray();
}

void WriteStrings(JsonWriter& w, const std::vector<std::string>& values) {
  w.BeginArray();
  for (const auto& v : values) w.String(v);
  w.EndArray();
}

// key: value, unless the value is the empty string.
void PutIfNotEmpty(JsonWriter& w, std::string_view key, const std::string& value) {
  if (value.empty()) return;
  w.Key(key);
  w.String(value);
}

void WriteCitations(JsonWriter& w, const std::vector<model::Citation>& citations) {
  w.BeginArray();
  for (const auto& c : citations) {
    w.BeginObject();
    PutIfNotEmpty(w, "office", c.office);
    PutIfNotEmpty(w, "number", c.number);
    PutIfNotEmpty(w, "kind", c.kind);
    PutIfNotEmpty(w, "date", c.date);
    PutIfNotEmpty(w, "category", c.category);
    PutIfNotEmpty(w, "text", c.text);
    w.EndObject();
  }
  w.EndArray();
}

// The record JSON up to and including the key of its `version` member.
void WriteRecordHead(JsonWriter& w, const model::Record& r) {
  w.BeginObject();
  w.Key("format_version");
  w.Signed(model::kRecordFormatVersion);
  w.Key("id");
  w.TransientString(r.Id());
  w.Key("office");
  w.String(r.office);
  w.Key("number");
  w.String(r.number);
  w.Key("kind");
  w.String(r.kind);
  w.Key("publication_date");
  w.String(r.publication_date);
  PutIfNotEmpty(w, "grant_date", r.grant_date);
  w.Key("language");
  w.String(r.language);
  w.Key("application");
  WriteDocRef(w, r.application);
  w.Key("priorities");
  w.BeginArray();
  for (const auto& p : r.priorities) WriteDocRef(w, p);
  w.EndArray();
  w.Key("titles");
  WriteLangTexts(w, r.titles);
  w.Key("abstracts");
  WriteLangTexts(w, r.abstracts);
  w.Key("claims");
  w.BeginArray();
  for (const auto& set : r.claims) {
    w.BeginObject();
    w.Key("lang");
    w.String(set.lang);
    w.Key("claims");
    WriteStrings(w, set.claims);
    w.EndObject();
  }
  w.EndArray();
  w.Key("descriptions");
  WriteLangTexts(w, r.descriptions);
  w.Key("applicants");
  WriteParties(w, r.applicants);
  w.Key("inventors");
  WriteParties(w, r.inventors);
  w.Key("assignees");
  WriteParties(w, r.assignees);
  w.Key("agents");
  WriteParties(w, r.agents);
  w.Key("ipc");
  WriteStrings(w, r.ipc);
  w.Key("cpc");
  WriteStrings(w, r.cpc);
  w.Key("national");
  WriteStrings(w, r.national);
  w.Key("citations");
  WriteCitations(w, r.citations);
  w.Key("source");
  w.BeginObject();
  w.Key("format");
  w.String(r.source.format);
  w.Key("file");
  w.String(r.source.file);
  w.Key("offset");
  w.Unsigned(r.source.offset);
  w.Key("sha256");
  w.String(r.source.sha256);
  w.Key("ingested_at");
  w.String(r.source.ingested_at);
  w.EndObject();
  w.Key("findings");
  w.BeginArray();
  for (const auto& f : r.findings) {
    w.BeginObject();
    w.Key("rule");
    w.String(f.rule);
    w.Key("severity");
    w.String(SeverityName(f.severity));
    w.Key("field");
    w.String(f.field);
    w.Key("message");
    w.String(f.message);
    w.EndObject();
  }
  w.EndArray();
  w.Key("version");
}

void WriteRecord(JsonWriter& w, const model::Record& r) {
  WriteRecordHead(w, r);
  w.Signed(r.version);
  w.Key("hash");
  w.String(r.hash);
  w.EndObject();
}

// Bytes of text in the record: the output is about this plus the markup, so reserving it up
// front saves the string's repeated regrowth on large descriptions.
size_t TextBytes(const model::Record& r) {
  size_t n = 0;
  for (const auto* list : {&r.titles, &r.abstracts, &r.descriptions}) {
    for (const auto& t : *list) n += t.text.size() + 32;
  }
  for (const auto& set : r.claims) {
    for (const auto& c : set.claims) n += c.size() + 4;
  }
  for (const auto* list : {&r.applicants, &r.inventors, &r.assignees, &r.agents}) {
    for (const auto& p : *list) n += p.name.size() + p.address.size() + 48;
  }
  for (const auto& c : r.citations) n += c.text.size() + c.number.size() + 80;
  for (const auto* list : {&r.ipc, &r.cpc, &r.national}) n += list->size() * 24;
  for (const auto& f : r.findings) n += f.message.size() + f.field.size() + 64;
  return n + r.priorities.size() * 64 + r.source.file.size() + 512;
}

// ---- canonical content (sorted keys, empty members omitted, section 4) ------------------------
//
// Members are written in byte order of their names; a member whose value is the empty string,
// an empty array or an object without members is left out, array elements never are.

void CanonicalLangTexts(JsonWriter& w, std::string_view key,
                        const std::vector<model::LangText>& texts) {
  if (texts.empty()) return;
  w.Key(key);
  w.BeginArray();
  for (const auto& t : texts) {
    w.BeginObject();
    PutIfNotEmpty(w, "lang", t.lang);
    PutIfNotEmpty(w, "text", t.text);
    w.EndObject();
  }
  w.EndArray();
}

void CanonicalDocRef(JsonWriter& w, const model::DocRef& ref) {
  w.BeginObject();
  PutIfNotEmpty(w, "date", ref.date);
  PutIfNotEmpty(w, "number", ref.number);
  PutIfNotEmpty(w, "office", ref.office);
  w.EndObject();
}

void CanonicalParties(JsonWriter& w, std::string_view key, const std::vector<model::Party>& list) {
  if (list.empty()) return;
  w.Key(key);
  w.BeginArray();
  for (const auto& p : list) {
    w.BeginObject();
    PutIfNotEmpty(w, "address", p.address);
    PutIfNotEmpty(w, "country", p.country);
    PutIfNotEmpty(w, "name", p.name);
    w.EndObject();
  }
  w.EndArray();
}

void CanonicalStrings(JsonWriter& w, std::string_view key, const std::vector<std::string>& list) {
  if (list.empty()) return;
  w.Key(key);
  WriteStrings(w, list);
}

void WriteCanonicalContent(JsonWriter& w, const model::Record& r) {
  w.BeginObject();
  CanonicalLangTexts(w, "abstracts", r.abstracts);
  CanonicalParties(w, "agents", r.agents);
  CanonicalParties(w, "applicants", r.applicants);
  const model::DocRef& app = r.application;
  if (!app.date.empty() || !app.number.empty() || !app.office.empty()) {
    w.Key("application");
    CanonicalDocRef(w, app);
  }
  CanonicalParties(w, "assignees", r.assignees);
  if (!r.citations.empty()) {
    w.Key("citations");
    w.BeginArray();
    for (const auto& c : r.citations) {
      w.BeginObject();
      PutIfNotEmpty(w, "category", c.category);
      PutIfNotEmpty(w, "date", c.date);
      PutIfNotEmpty(w, "kind", c.kind);
      PutIfNotEmpty(w, "number", c.number);
      PutIfNotEmpty(w, "office", c.office);
      PutIfNotEmpty(w, "text", c.text);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!r.claims.empty()) {
    w.Key("claims");
    w.BeginArray();
    for (const auto& set : r.claims) {
      w.BeginObject();
      CanonicalStrings(w, "claims", set.claims);
      PutIfNotEmpty(w, "lang", set.lang);
      w.EndObject();
    }
    w.EndArray();
  }
  CanonicalStrings(w, "cpc", r.cpc);
  CanonicalLangTexts(w, "descriptions", r.descriptions);
  PutIfNotEmpty(w, "grant_date", r.grant_date);
  CanonicalParties(w, "inventors", r.inventors);
  CanonicalStrings(w, "ipc", r.ipc);
  PutIfNotEmpty(w, "kind", r.kind);
  PutIfNotEmpty(w, "language", r.language);
  CanonicalStrings(w, "national", r.national);
  PutIfNotEmpty(w, "number", r.number);
  PutIfNotEmpty(w, "office", r.office);
  if (!r.priorities.empty()) {
    w.Key("priorities");
    w.BeginArray();
    for (const auto& p : r.priorities) CanonicalDocRef(w, p);
    w.EndArray();
  }
  PutIfNotEmpty(w, "publication_date", r.publication_date);
  CanonicalLangTexts(w, "titles", r.titles);
  w.EndObject();
}

// ---- reader -----------------------------------------------------------------------------------

std::string Member(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Element(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

Status Expected(const std::string& path, std::string_view expected, const Json& got) {
  return Status::InvalidArgument(path + ": expected " + std::string(expected) + ", got " +
                                 got.type_name());
}

// Finds `key` in `obj`; nullptr when absent or null (null is the same as absent, record.md).
const Json* Find(const Json& obj, std::string_view key) {
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status ReadString(const Json& obj, std::string_view key, const std::string& path,
                  std::string* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return Expected(Member(path, key), "string", *v);
  *out = v->get<std::string>();
  return Status::Ok();
}

Status ReadObject(const Json& obj, std::string_view key, const std::string& path,
                  const Json** out) {
  *out = Find(obj, key);
  if (*out != nullptr && !(*out)->is_object()) return Expected(Member(path, key), "object", **out);
  return Status::Ok();
}

// Calls `each(element, element_path)` for each element of array member `key`.
template <typename F>
Status ReadArray(const Json& obj, std::string_view key, const std::string& path, F each) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  const std::string member = Member(path, key);
  if (!v->is_array()) return Expected(member, "array", *v);
  for (size_t i = 0; i < v->size(); ++i) IPDX_RETURN_IF_ERROR(each((*v)[i], Element(member, i)));
  return Status::Ok();
}

Status ReadStrings(const Json& obj, std::string_view key, const std::string& path,
                   std::vector<std::string>* out) {
  return ReadArray(obj, key, path, [out](const Json& e, const std::string& p) {
    if (!e.is_string()) return Expected(p, "string", e);
    out->push_back(e.get<std::string>());
    return Status::Ok();
  });
}

Status RequireObject(const Json& e, const std::string& path) {
  return e.is_object() ? Status::Ok() : Expected(path, "object", e);
}

Status ReadLangTexts(const Json& obj, std::string_view key, const std::string& path,
                     std::vector<model::LangText>* out) {
  return ReadArray(obj, key, path, [out](const Json& e, const std::string& p) {
    IPDX_RETURN_IF_ERROR(RequireObject(e, p));
    model::LangText t;
    IPDX_RETURN_IF_ERROR(ReadString(e, "lang", p, &t.lang));
    IPDX_RETURN_IF_ERROR(ReadString(e, "text", p, &t.text));
    out->push_back(std::move(t));
    return Status::Ok();
  });
}

Status ReadDocRef(const Json& e, const std::string& p, model::DocRef* ref) {
  IPDX_RETURN_IF_ERROR(RequireObject(e, p));
  IPDX_RETURN_IF_ERROR(ReadString(e, "office", p, &ref->office));
  IPDX_RETURN_IF_ERROR(ReadString(e, "number", p, &ref->number));
  IPDX_RETURN_IF_ERROR(ReadString(e, "date", p, &ref->date));
  return Status::Ok();
}

Status ReadParties(const Json& obj, std::string_view key, const std::string& path,
                   std::vector<model::Party>* out) {
  return ReadArray(obj, key, path, [out](const Json& e, const std::string& p) {
    IPDX_RETURN_IF_ERROR(RequireObject(e, p));
    model::Party party;
    IPDX_RETURN_IF_ERROR(ReadString(e, "name", p, &party.name));
    IPDX_RETURN_IF_ERROR(ReadString(e, "country", p, &party.country));
    IPDX_RETURN_IF_ERROR(ReadString(e, "address", p, &party.address));
    out->push_back(std::move(party));
    return Status::Ok();
  });
}

// Integer member that must fit in [min, max]; floats, booleans and strings are rejected.
template <typename T>
Status ReadInteger(const Json& obj, std::string_view key, const std::string& path, T* out) {
  const Json* v = Find(obj, key);
  if (v == nullptr) return Status::Ok();
  const std::string member = Member(path, key);
  if (v->is_number_unsigned()) {
    const auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      return Status::InvalidArgument(member + ": " + std::to_string(u) + " is out of range");
    }
    *out = static_cast<T>(u);
    return Status::Ok();
  }
  if (v->is_number_integer()) {  // signed and negative (non-negative ones are unsigned above)
    return Status::InvalidArgument(member + ": " + std::to_string(v->get<int64_t>()) +
                                   " is out of range (must not be negative)");
  }
  return Expected(member, "non-negative integer", *v);
}

Status ReadRecord(const Json& j, model::Record* r) {
  const std::string root;
  if (!j.is_object()) return Expected("(record)", "object", j);

  if (const Json* v = Find(j, "format_version"); v != nullptr) {
    if (!v->is_number_integer()) return Expected("format_version", "integer", *v);
    if (v->get<int64_t>() != model::kRecordFormatVersion) {
      return Status::InvalidArgument("format_version: " + std::to_string(v->get<int64_t>()) +
                                     " is not supported (this build reads version " +
                                     std::to_string(model::kRecordFormatVersion) + ")");
    }
  }

  IPDX_RETURN_IF_ERROR(ReadString(j, "office", root, &r->office));
  IPDX_RETURN_IF_ERROR(ReadString(j, "number", root, &r->number));
  IPDX_RETURN_IF_ERROR(ReadString(j, "kind", root, &r->kind));
  std::string id;
  IPDX_RETURN_IF_ERROR(ReadString(j, "id", root, &id));
  if (!id.empty() && id != r->Id()) {
    return Status::InvalidArgument("id: \"" + id + "\" does not match office-number-kind \"" +
                                   r->Id() + "\"");
  }
  IPDX_RETURN_IF_ERROR(ReadString(j, "publication_date", root, &r->publication_date));
  IPDX_RETURN_IF_ERROR(ReadString(j, "grant_date", root, &r->grant_date));
  IPDX_RETURN_IF_ERROR(ReadString(j, "language", root, &r->language));

  const Json* application = nullptr;
  IPDX_RETURN_IF_ERROR(ReadObject(j, "application", root, &application));
  if (application != nullptr) {
    IPDX_RETURN_IF_ERROR(ReadDocRef(*application, "application", &r->application));
  }
  IPDX_RETURN_IF_ERROR(ReadArray(j, "priorities", root, [r](const Json& e, const std::string& p) {
    model::DocRef ref;
    IPDX_RETURN_IF_ERROR(ReadDocRef(e, p, &ref));
    r->priorities.push_back(std::move(ref));
    return Status::Ok();
  }));

  IPDX_RETURN_IF_ERROR(ReadLangTexts(j, "titles", root, &r->titles));
  IPDX_RETURN_IF_ERROR(ReadLangTexts(j, "abstracts", root, &r->abstracts));
  IPDX_RETURN_IF_ERROR(ReadArray(j, "claims", root, [r](const Json& e, const std::string& p) {
    IPDX_RETURN_IF_ERROR(RequireObject(e, p));
    model::ClaimSet set;
    IPDX_RETURN_IF_ERROR(ReadString(e, "lang", p, &set.lang));
    IPDX_RETURN_IF_ERROR(ReadStrings(e, "claims", p, &set.claims));
    r->claims.push_back(std::move(set));
    return Status::Ok();
  }));
  IPDX_RETURN_IF_ERROR(ReadLangTexts(j, "descriptions", root, &r->descriptions));

  IPDX_RETURN_IF_ERROR(ReadParties(j, "applicants", root, &r->applicants));
  IPDX_RETURN_IF_ERROR(ReadParties(j, "inventors", root, &r->inventors));
  IPDX_RETURN_IF_ERROR(ReadParties(j, "assignees", root, &r->assignees));
  IPDX_RETURN_IF_ERROR(ReadParties(j, "agents", root, &r->agents));

  IPDX_RETURN_IF_ERROR(ReadStrings(j, "ipc", root, &r->ipc));
  IPDX_RETURN_IF_ERROR(ReadStrings(j, "cpc", root, &r->cpc));
  IPDX_RETURN_IF_ERROR(ReadStrings(j, "national", root, &r->national));

  IPDX_RETURN_IF_ERROR(ReadArray(j, "citations", root, [r](const Json& e, const std::string& p) {
    IPDX_RETURN_IF_ERROR(RequireObject(e, p));
    model::Citation c;
    IPDX_RETURN_IF_ERROR(ReadString(e, "office", p, &c.office));
    IPDX_RETURN_IF_ERROR(ReadString(e, "number", p, &c.number));
    IPDX_RETURN_IF_ERROR(ReadString(e, "kind", p, &c.kind));
    IPDX_RETURN_IF_ERROR(ReadString(e, "date", p, &c.date));
    IPDX_RETURN_IF_ERROR(ReadString(e, "category", p, &c.category));
    IPDX_RETURN_IF_ERROR(ReadString(e, "text", p, &c.text));
    r->citations.push_back(std::move(c));
    return Status::Ok();
  }));

  const Json* source = nullptr;
  IPDX_RETURN_IF_ERROR(ReadObject(j, "source", root, &source));
  if (source != nullptr) {
    const std::string p = "source";
    IPDX_RETURN_IF_ERROR(ReadString(*source, "format", p, &r->source.format));
    IPDX_RETURN_IF_ERROR(ReadString(*source, "file", p, &r->source.file));
    IPDX_RETURN_IF_ERROR(ReadInteger(*source, "offset", p, &r->source.offset));
    IPDX_RETURN_IF_ERROR(ReadString(*source, "sha256", p, &r->source.sha256));
    IPDX_RETURN_IF_ERROR(ReadString(*source, "ingested_at", p, &r->source.ingested_at));
  }

  IPDX_RETURN_IF_ERROR(ReadArray(j, "findings", root, [r](const Json& e, const std::string& p) {
    IPDX_RETURN_IF_ERROR(RequireObject(e, p));
    model::Finding f;
    IPDX_RETURN_IF_ERROR(ReadString(e, "rule", p, &f.rule));
    std::string severity = "error";
    IPDX_RETURN_IF_ERROR(ReadString(e, "severity", p, &severity));
    if (severity == "warning") {
      f.severity = model::Severity::kWarning;
    } else if (severity == "error") {
      f.severity = model::Severity::kError;
    } else {
      return Status::InvalidArgument(
          Member(p, "severity") + ": expected \"warning\" or \"error\", got \"" + severity + "\"");
    }
    IPDX_RETURN_IF_ERROR(ReadString(e, "field", p, &f.field));
    IPDX_RETURN_IF_ERROR(ReadString(e, "message", p, &f.message));
    r->findings.push_back(std::move(f));
    return Status::Ok();
  }));

  IPDX_RETURN_IF_ERROR(ReadInteger(j, "version", root, &r->version));
  IPDX_RETURN_IF_ERROR(ReadString(j, "hash", root, &r->hash));
  return Status::Ok();
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  AppendEscaped(text, out);
  out->push_back('"');
}

std::string ToJson(const model::Record& record, bool pretty) {
  std::string out;
  out.reserve(TextBytes(record) * (pretty ? 5 : 4) / 4);
  JsonWriter w(&out, pretty);
  WriteRecord(w, record);
  return out;
}

Result<model::Record> FromJson(std::string_view json) {
  Json j;
  try {
    j = Json::parse(json.begin(), json.end());
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string("record JSON: ") + e.what());
  }
  model::Record record;
  try {
    IPDX_RETURN_IF_ERROR(ReadRecord(j, &record));
  } catch (const Json::exception& e) {
    // Every access above is type-checked first; this is a last line of defence so that no
    // library exception leaves the module.
    return Status::Internal(std::string("record JSON: ") + e.what());
  }
  return record;
}

std::string ContentJson(const model::Record& record) {
  std::string out;
  out.reserve(TextBytes(record));
  JsonWriter w(&out, /*pretty=*/false);
  WriteCanonicalContent(w, record);
  return out;
}

EncodedRecord EncodeForStore(const model::Record& record) {
  EncodedRecord out;
  // Room for the tail FinishJson appends (a version and 64 hex digits), so the store's thread
  // completes the JSON without reallocating it.
  out.json.reserve(TextBytes(record) + 128);
  std::vector<EscapedSpan> spans;
  {
    JsonWriter w(&out.json, /*pretty=*/false);
    w.RecordSpans(&spans);
    WriteRecordHead(w, record);
  }
  // The content hash, with the long texts (descriptions, claims, abstracts) hashed from their
  // escaped form in the record JSON rather than escaped twice: the same bytes ContentHash hashes.
  std::sort(spans.begin(), spans.end(), [](const EscapedSpan& a, const EscapedSpan& b) {
    return std::less<>()(a.data, b.data);
  });
  Sha256Hasher hasher;
  std::string buffer;
  buffer.reserve(80 << 10);
  JsonWriter w(&buffer, /*pretty=*/false, &hasher);
  w.ReuseSpans(&spans, out.json);
  WriteCanonicalContent(w, record);
  w.Flush();
  out.hash = HexEncode(hasher.Finish());
  return out;
}

void FinishJson(std::string* json, int version, std::string_view hash) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, version);
  (void)ec;  // 16 bytes hold any int
  json->append(buf, static_cast<size_t>(end - buf));
  json->append(",\"hash\":\"");
  json->append(hash);
  json->append("\"}");
}

std::string ContentHash(const model::Record& record) {
  Sha256Hasher hasher;
  std::string buffer;
  buffer.reserve(80 << 10);
  JsonWriter w(&buffer, /*pretty=*/false, &hasher);
  WriteCanonicalContent(w, record);
  w.Flush();
  return HexEncode(hasher.Finish());
}

}  // namespace ipdx::codec
