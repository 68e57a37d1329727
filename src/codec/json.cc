// Record JSON writer and reader, and the canonical content JSON behind the content hash.
// The layout is specified in docs/formats/record.md (format version 1); keep the two in step.
//
// nlohmann::json is used only here in codec/. Every exception it can throw (parse errors, type
// errors, invalid UTF-8 on dump) is caught or avoided inside this file.
#include <cstdint>
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

using Json = nlohmann::json;                 // members sorted by key (std::map)
using OrderedJson = nlohmann::ordered_json;  // members in insertion order

// Invalid UTF-8 in a record (a reader bug or a hostile document) must not make dump() throw:
// each invalid byte sequence is written as U+FFFD instead (docs/formats/record.md, "Encoding").
constexpr auto kReplaceInvalidUtf8 = Json::error_handler_t::replace;

std::string_view SeverityName(model::Severity s) {
  return s == model::Severity::kWarning ? "warning" : "error";
}

// ---- writer (human-readable key order) --------------------------------------------------------

OrderedJson LangTextsToJson(const std::vector<model::LangText>& texts) {
  OrderedJson out = OrderedJson::array();
  for (const auto& t : texts) {
    OrderedJson j = OrderedJson::object();
    j["lang"] = t.lang;
    j["text"] = t.text;
    out.push_back(std::move(j));
  }
  return out;
}

OrderedJson DocRefToJson(const model::DocRef& ref) {
  OrderedJson j = OrderedJson::object();
  j["office"] = ref.office;
  j["number"] = ref.number;
  j["date"] = ref.date;
  return j;
}

OrderedJson PartiesToJson(const std::vector<model::Party>& parties) {
  OrderedJson out = OrderedJson::array();
  for (const auto& p : parties) {
    OrderedJson j = OrderedJson::object();
    j["name"] = p.name;
    j["country"] = p.country;
    if (!p.address.empty()) j["address"] = p.address;
    out.push_back(std::move(j));
  }
  return out;
}

OrderedJson StringsToJson(const std::vector<std::string>& values) {
  OrderedJson out = OrderedJson::array();
  for (const auto& v : values) out.push_back(v);
  return out;
}

OrderedJson CitationsToJson(const std::vector<model::Citation>& citations) {
  OrderedJson out = OrderedJson::array();
  for (const auto& c : citations) {
    OrderedJson j = OrderedJson::object();
    auto put = [&j](const char* key, const std::string& value) {
      if (!value.empty()) j[key] = value;
    };
    put("office", c.office);
    put("number", c.number);
    put("kind", c.kind);
    put("date", c.date);
    put("category", c.category);
    put("text", c.text);
    out.push_back(std::move(j));
  }
  return out;
}

// ---- canonical content (sorted keys, empty members omitted) ---------------------------------

// Sets obj[key] unless the value is "empty" per record.md: an empty string, an empty array or an
// object with no members. Array elements are never dropped (their position carries meaning).
void PutIfNotEmpty(Json& obj, const char* key, Json value) {
  if ((value.is_string() && value.get_ref<const std::string&>().empty()) ||
      (value.is_array() && value.empty()) || (value.is_object() && value.empty())) {
    return;
  }
  obj[key] = std::move(value);
}

Json CanonicalLangTexts(const std::vector<model::LangText>& texts) {
  Json out = Json::array();
  for (const auto& t : texts) {
    Json j = Json::object();
    PutIfNotEmpty(j, "lang", t.lang);
    PutIfNotEmpty(j, "text", t.text);
    out.push_back(std::move(j));
  }
  return out;
}

Json CanonicalDocRef(const model::DocRef& ref) {
  Json j = Json::object();
  PutIfNotEmpty(j, "office", ref.office);
  PutIfNotEmpty(j, "number", ref.number);
  PutIfNotEmpty(j, "date", ref.date);
  return j;
}

Json CanonicalParties(const std::vector<model::Party>& parties) {
  Json out = Json::array();
  for (const auto& p : parties) {
    Json j = Json::object();
    PutIfNotEmpty(j, "name", p.name);
    PutIfNotEmpty(j, "country", p.country);
    PutIfNotEmpty(j, "address", p.address);
    out.push_back(std::move(j));
  }
  return out;
}

Json CanonicalStrings(const std::vector<std::string>& values) {
  Json out = Json::array();
  for (const auto& v : values) out.push_back(v);
  return out;
}

Json CanonicalContent(const model::Record& r) {
  Json c = Json::object();
  PutIfNotEmpty(c, "office", r.office);
  PutIfNotEmpty(c, "number", r.number);
  PutIfNotEmpty(c, "kind", r.kind);
  PutIfNotEmpty(c, "publication_date", r.publication_date);
  PutIfNotEmpty(c, "grant_date", r.grant_date);
  PutIfNotEmpty(c, "language", r.language);
  PutIfNotEmpty(c, "application", CanonicalDocRef(r.application));
  Json priorities = Json::array();
  for (const auto& p : r.priorities) priorities.push_back(CanonicalDocRef(p));
  PutIfNotEmpty(c, "priorities", std::move(priorities));
  PutIfNotEmpty(c, "titles", CanonicalLangTexts(r.titles));
  PutIfNotEmpty(c, "abstracts", CanonicalLangTexts(r.abstracts));
  Json claims = Json::array();
  for (const auto& set : r.claims) {
    Json j = Json::object();
    PutIfNotEmpty(j, "lang", set.lang);
    PutIfNotEmpty(j, "claims", CanonicalStrings(set.claims));
    claims.push_back(std::move(j));
  }
  PutIfNotEmpty(c, "claims", std::move(claims));
  PutIfNotEmpty(c, "descriptions", CanonicalLangTexts(r.descriptions));
  PutIfNotEmpty(c, "applicants", CanonicalParties(r.applicants));
  PutIfNotEmpty(c, "inventors", CanonicalParties(r.inventors));
  PutIfNotEmpty(c, "assignees", CanonicalParties(r.assignees));
  PutIfNotEmpty(c, "agents", CanonicalParties(r.agents));
  PutIfNotEmpty(c, "ipc", CanonicalStrings(r.ipc));
  PutIfNotEmpty(c, "cpc", CanonicalStrings(r.cpc));
  PutIfNotEmpty(c, "national", CanonicalStrings(r.national));
  Json citations = Json::array();
  for (const auto& ci : r.citations) {
    Json j = Json::object();
    PutIfNotEmpty(j, "office", ci.office);
    PutIfNotEmpty(j, "number", ci.number);
    PutIfNotEmpty(j, "kind", ci.kind);
    PutIfNotEmpty(j, "date", ci.date);
    PutIfNotEmpty(j, "category", ci.category);
    PutIfNotEmpty(j, "text", ci.text);
    citations.push_back(std::move(j));
  }
  PutIfNotEmpty(c, "citations", std::move(citations));
  return c;
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

std::string ToJson(const model::Record& record, bool pretty) {
  OrderedJson j = OrderedJson::object();
  j["format_version"] = model::kRecordFormatVersion;
  j["id"] = record.Id();
  j["office"] = record.office;
  j["number"] = record.number;
  j["kind"] = record.kind;
  j["publication_date"] = record.publication_date;
  if (!record.grant_date.empty()) j["grant_date"] = record.grant_date;
  j["language"] = record.language;
  j["application"] = DocRefToJson(record.application);
  OrderedJson priorities = OrderedJson::array();
  for (const auto& p : record.priorities) priorities.push_back(DocRefToJson(p));
  j["priorities"] = std::move(priorities);
  j["titles"] = LangTextsToJson(record.titles);
  j["abstracts"] = LangTextsToJson(record.abstracts);
  OrderedJson claims = OrderedJson::array();
  for (const auto& set : record.claims) {
    OrderedJson c = OrderedJson::object();
    c["lang"] = set.lang;
    c["claims"] = StringsToJson(set.claims);
    claims.push_back(std::move(c));
  }
  j["claims"] = std::move(claims);
  j["descriptions"] = LangTextsToJson(record.descriptions);
  j["applicants"] = PartiesToJson(record.applicants);
  j["inventors"] = PartiesToJson(record.inventors);
  j["assignees"] = PartiesToJson(record.assignees);
  j["agents"] = PartiesToJson(record.agents);
  j["ipc"] = StringsToJson(record.ipc);
  j["cpc"] = StringsToJson(record.cpc);
  j["national"] = StringsToJson(record.national);
  j["citations"] = CitationsToJson(record.citations);
  OrderedJson source = OrderedJson::object();
  source["format"] = record.source.format;
  source["file"] = record.source.file;
  source["offset"] = record.source.offset;
  source["sha256"] = record.source.sha256;
  source["ingested_at"] = record.source.ingested_at;
  j["source"] = std::move(source);
  OrderedJson findings = OrderedJson::array();
  for (const auto& f : record.findings) {
    OrderedJson fj = OrderedJson::object();
    fj["rule"] = f.rule;
    fj["severity"] = SeverityName(f.severity);
    fj["field"] = f.field;
    fj["message"] = f.message;
    findings.push_back(std::move(fj));
  }
  j["findings"] = std::move(findings);
  j["version"] = record.version;
  j["hash"] = record.hash;
  return j.dump(pretty ? 2 : -1, ' ', /*ensure_ascii=*/false, kReplaceInvalidUtf8);
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
  return CanonicalContent(record).dump(-1, ' ', /*ensure_ascii=*/false, kReplaceInvalidUtf8);
}

std::string ContentHash(const model::Record& record) { return Sha256Hex(ContentJson(record)); }

}  // namespace ipdx::codec
