// The hand-written record JSON writer (json.cc) must give exactly the bytes nlohmann::json's
// dump() gave before it (ensure_ascii = false, error_handler_t::replace): the stored JSON, the
// exported files and above all the content hash must not change. This test keeps the original
// nlohmann-based writer as the reference and compares ToJson (compact and pretty), ContentJson
// and ContentHash with it over every record decoded from data/sample/ and over randomised
// records whose strings hold control characters, quotes, backslashes, valid multi-byte UTF-8 and
// invalid UTF-8 of every kind.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "codec/codec.h"
#include "common/hash.h"
#include "model/record.h"

namespace ipdx::codec {
namespace {

// ---- reference: the nlohmann-based writer as it was --------------------------------------------

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;
constexpr auto kReplace = Json::error_handler_t::replace;

OrderedJson RefLangTexts(const std::vector<model::LangText>& texts) {
  OrderedJson out = OrderedJson::array();
  for (const auto& t : texts) {
    OrderedJson j = OrderedJson::object();
    j["lang"] = t.lang;
    j["text"] = t.text;
    out.push_back(std::move(j));
  }
  return out;
}

OrderedJson RefDocRef(const model::DocRef& ref) {
  OrderedJson j = OrderedJson::object();
  j["office"] = ref.office;
  j["number"] = ref.number;
  j["date"] = ref.date;
  return j;
}

OrderedJson RefParties(const std::vector<model::Party>& parties) {
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

OrderedJson RefStrings(const std::vector<std::string>& values) {
  OrderedJson out = OrderedJson::array();
  for (const auto& v : values) out.push_back(v);
  return out;
}

OrderedJson RefCitations(const std::vector<model::Citation>& citations) {
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

std::string RefToJson(const model::Record& record, bool pretty) {
  OrderedJson j = OrderedJson::object();
  j["format_version"] = model::kRecordFormatVersion;
  j["id"] = record.Id();
  j["office"] = record.office;
  j["number"] = record.number;
  j["kind"] = record.kind;
  j["publication_date"] = record.publication_date;
  if (!record.grant_date.empty()) j["grant_date"] = record.grant_date;
  j["language"] = record.language;
  j["application"] = RefDocRef(record.application);
  OrderedJson priorities = OrderedJson::array();
  for (const auto& p : record.priorities) priorities.push_back(RefDocRef(p));
  j["priorities"] = std::move(priorities);
  j["titles"] = RefLangTexts(record.titles);
  j["abstracts"] = RefLangTexts(record.abstracts);
  OrderedJson claims = OrderedJson::array();
  for (const auto& set : record.claims) {
    OrderedJson c = OrderedJson::object();
    c["lang"] = set.lang;
    c["claims"] = RefStrings(set.claims);
    claims.push_back(std::move(c));
  }
  j["claims"] = std::move(claims);
  j["descriptions"] = RefLangTexts(record.descriptions);
  j["applicants"] = RefParties(record.applicants);
  j["inventors"] = RefParties(record.inventors);
  j["assignees"] = RefParties(record.assignees);
  j["agents"] = RefParties(record.agents);
  j["ipc"] = RefStrings(record.ipc);
  j["cpc"] = RefStrings(record.cpc);
  j["national"] = RefStrings(record.national);
  j["citations"] = RefCitations(record.citations);
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
    fj["severity"] = f.severity == model::Severity::kWarning ? "warning" : "error";
    fj["field"] = f.field;
    fj["message"] = f.message;
    findings.push_back(std::move(fj));
  }
  j["findings"] = std::move(findings);
  j["version"] = record.version;
  j["hash"] = record.hash;
  return j.dump(pretty ? 2 : -1, ' ', /*ensure_ascii=*/false, kReplace);
}

void PutIfNotEmpty(Json& obj, const char* key, Json value) {
  if ((value.is_string() && value.get_ref<const std::string&>().empty()) ||
      (value.is_array() && value.empty()) || (value.is_object() && value.empty())) {
    return;
  }
  obj[key] = std::move(value);
}

Json RefCanonicalLangTexts(const std::vector<model::LangText>& texts) {
  Json out = Json::array();
  for (const auto& t : texts) {
    Json j = Json::object();
    PutIfNotEmpty(j, "lang", t.lang);
    PutIfNotEmpty(j, "text", t.text);
    out.push_back(std::move(j));
  }
  return out;
}

Json RefCanonicalDocRef(const model::DocRef& ref) {
  Json j = Json::object();
  PutIfNotEmpty(j, "office", ref.office);
  PutIfNotEmpty(j, "number", ref.number);
  PutIfNotEmpty(j, "date", ref.date);
  return j;
}

Json RefCanonicalParties(const std::vector<model::Party>& parties) {
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

Json RefCanonicalStrings(const std::vector<std::string>& values) {
  Json out = Json::array();
  for (const auto& v : values) out.push_back(v);
  return out;
}

std::string RefContentJson(const model::Record& r) {
  Json c = Json::object();
  PutIfNotEmpty(c, "office", r.office);
  PutIfNotEmpty(c, "number", r.number);
  PutIfNotEmpty(c, "kind", r.kind);
  PutIfNotEmpty(c, "publication_date", r.publication_date);
  PutIfNotEmpty(c, "grant_date", r.grant_date);
  PutIfNotEmpty(c, "language", r.language);
  PutIfNotEmpty(c, "application", RefCanonicalDocRef(r.application));
  Json priorities = Json::array();
  for (const auto& p : r.priorities) priorities.push_back(RefCanonicalDocRef(p));
  PutIfNotEmpty(c, "priorities", std::move(priorities));
  PutIfNotEmpty(c, "titles", RefCanonicalLangTexts(r.titles));
  PutIfNotEmpty(c, "abstracts", RefCanonicalLangTexts(r.abstracts));
  Json claims = Json::array();
  for (const auto& set : r.claims) {
    Json j = Json::object();
    PutIfNotEmpty(j, "lang", set.lang);
    PutIfNotEmpty(j, "claims", RefCanonicalStrings(set.claims));
    claims.push_back(std::move(j));
  }
  PutIfNotEmpty(c, "claims", std::move(claims));
  PutIfNotEmpty(c, "descriptions", RefCanonicalLangTexts(r.descriptions));
  PutIfNotEmpty(c, "applicants", RefCanonicalParties(r.applicants));
  PutIfNotEmpty(c, "inventors", RefCanonicalParties(r.inventors));
  PutIfNotEmpty(c, "assignees", RefCanonicalParties(r.assignees));
  PutIfNotEmpty(c, "agents", RefCanonicalParties(r.agents));
  PutIfNotEmpty(c, "ipc", RefCanonicalStrings(r.ipc));
  PutIfNotEmpty(c, "cpc", RefCanonicalStrings(r.cpc));
  PutIfNotEmpty(c, "national", RefCanonicalStrings(r.national));
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
  return c.dump(-1, ' ', /*ensure_ascii=*/false, kReplace);
}

// Compares every writer with the reference; returns the number of mismatches (reported).
int ExpectSameAsReference(const model::Record& r, const std::string& what) {
  int failures = 0;
  for (bool pretty : {false, true}) {
    const std::string got = ToJson(r, pretty);
    const std::string want = RefToJson(r, pretty);
    if (got != want) {
      ++failures;
      size_t at = 0;
      while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
      ADD_FAILURE() << what << ": ToJson(pretty=" << pretty << ") differs at byte " << at
                    << "\n got: " << got.substr(at > 40 ? at - 40 : 0, 100)
                    << "\nwant: " << want.substr(at > 40 ? at - 40 : 0, 100);
    }
  }
  const std::string content = ContentJson(r);
  const std::string want_content = RefContentJson(r);
  if (content != want_content) {
    ++failures;
    size_t at = 0;
    while (at < content.size() && at < want_content.size() && content[at] == want_content[at]) {
      ++at;
    }
    ADD_FAILURE() << what << ": ContentJson differs at byte " << at
                  << "\n got: " << content.substr(at > 40 ? at - 40 : 0, 100)
                  << "\nwant: " << want_content.substr(at > 40 ? at - 40 : 0, 100);
  }
  if (ContentHash(r) != Sha256Hex(want_content)) {
    ++failures;
    ADD_FAILURE() << what << ": ContentHash differs";
  }
  // The ingest path (EncodeForStore + FinishJson, which hashes long texts from their escaped
  // form in the record JSON) gives the same hash and, once the store completes it, the same JSON
  // as ToJson of the stored record.
  EncodedRecord encoded = EncodeForStore(r);
  if (encoded.hash != Sha256Hex(want_content)) {
    ++failures;
    ADD_FAILURE() << what << ": EncodeForStore's hash differs from the content hash";
  }
  model::Record stored = r;
  stored.hash = encoded.hash;
  FinishJson(&encoded.json, stored.version, encoded.hash);
  if (encoded.json != RefToJson(stored, /*pretty=*/false)) {
    ++failures;
    ADD_FAILURE() << what << ": EncodeForStore + FinishJson differs from ToJson";
  }
  return failures;
}

// ---- every record of the sample corpus --------------------------------------------------------

TEST(JsonWriterTest, SameBytesAsNlohmannForEverySampleRecord) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(IPDX_SOURCE_DIR) / "data" / "sample";
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() != ".md") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 50u) << "data/sample is missing";
  size_t records = 0;
  size_t with_description = 0;
  int failures = 0;
  for (const std::string& file : files) {
    auto splitter = DocumentSplitter::Open(file);
    if (!splitter.ok()) continue;  // an unreadable sample is the splitter tests' business
    for (;;) {
      auto next = (*splitter)->Next();
      if (!next.ok() || !next->has_value()) break;
      Decoded d = Decode(**next);
      if (!d.record) continue;
      model::Record r = std::move(*d.record);
      r.findings = std::move(d.findings);  // as ingest stores them
      r.source.ingested_at = "2024-05-01T12:00:00Z";
      r.version = 2;
      r.hash = ContentHash(r);
      ++records;
      if (!r.descriptions.empty()) ++with_description;
      failures += ExpectSameAsReference(r, file + " @" + std::to_string(r.source.offset));
      if (failures > 5) FAIL() << "stopping after " << failures << " mismatches";
    }
  }
  EXPECT_GE(records, 60u);
  EXPECT_GE(with_description, 30u);
}

// ---- randomised records -----------------------------------------------------------------------

class RandomText {
 public:
  explicit RandomText(uint32_t seed) : rng_(seed) {}

  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  // Mostly plain ASCII words with every kind of trouble mixed in, at every alignment.
  std::string String(size_t max_len) {
    static constexpr std::string_view kPieces[] = {
        "\"", "\\", "\n", "\r", "\t", "\b", "\f", std::string_view("\0", 1), "\x01", "\x1f", "\x7f",
        "/", "<&>", "é", "ß", "€", "显示", "𝄞", "\xC2\xA0",
        // Invalid UTF-8: stray continuation, overlong, surrogate, beyond U+10FFFF, truncated
        // sequences, lead bytes that never occur, and a lead followed by ASCII.
        "\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF", "\xED\xA0\x80",
        "\xED\xBF\xBF", "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80",
        "\xFF", "\xFE", "\xC3", "\xE2\x82", "\xF0\x9D\x84", "\xC3(", "\xE2\x28\xA1",
        "\xF0\x28\x8C\x28", "\xEF\xBF\xBE", "\xEF\xBF\xBF", "\xF4\x8F\xBF\xBF"};
    std::string s;
    const size_t len = Below(max_len + 1);
    while (s.size() < len) {
      const size_t pick = Below(10);
      if (pick < 5) {
        const size_t word = 1 + Below(12);
        for (size_t k = 0; k < word; ++k) s += static_cast<char>('a' + Below(26));
        s += ' ';
      } else if (pick < 9) {
        const size_t k = Below(std::size(kPieces));
        s += kPieces[k];
      } else {
        s += static_cast<char>(Below(256));  // any byte at all
      }
    }
    return s;
  }

  // Empty about a third of the time, so the omission rules are exercised.
  std::string Maybe(size_t max_len) { return Below(3) == 0 ? std::string() : String(max_len); }

 private:
  std::mt19937 rng_;
};

model::Record RandomRecord(RandomText& t) {
  model::Record r;
  r.office = t.Maybe(3);
  r.number = t.Maybe(12);
  r.kind = t.Maybe(3);
  r.publication_date = t.Maybe(10);
  r.grant_date = t.Maybe(10);
  r.language = t.Maybe(2);
  r.application = {t.Maybe(3), t.Maybe(14), t.Maybe(10)};
  for (size_t i = t.Below(3); i > 0; --i) r.priorities.push_back({t.Maybe(3), t.Maybe(9), ""});
  for (auto* list : {&r.titles, &r.abstracts, &r.descriptions}) {
    for (size_t i = t.Below(3); i > 0; --i) list->push_back({t.Maybe(2), t.Maybe(400)});
  }
  for (size_t i = t.Below(3); i > 0; --i) {
    model::ClaimSet set{t.Maybe(2), {}};
    for (size_t k = t.Below(4); k > 0; --k) set.claims.push_back(t.Maybe(120));
    r.claims.push_back(std::move(set));
  }
  for (auto* list : {&r.applicants, &r.inventors, &r.assignees, &r.agents}) {
    for (size_t i = t.Below(3); i > 0; --i) list->push_back({t.Maybe(30), t.Maybe(2), t.Maybe(40)});
  }
  for (auto* list : {&r.ipc, &r.cpc, &r.national}) {
    for (size_t i = t.Below(3); i > 0; --i) list->push_back(t.Maybe(14));
  }
  for (size_t i = t.Below(4); i > 0; --i) {
    r.citations.push_back(
        {t.Maybe(2), t.Maybe(9), t.Maybe(2), t.Maybe(10), t.Maybe(20), t.Maybe(60)});
  }
  r.source = {t.Maybe(20), t.Maybe(40), static_cast<uint64_t>(t.Below(1u << 30)) << t.Below(34),
              t.Maybe(64), t.Maybe(20)};
  for (size_t i = t.Below(3); i > 0; --i) {
    r.findings.push_back({t.Maybe(8),
                          t.Below(2) == 0 ? model::Severity::kWarning : model::Severity::kError,
                          t.Maybe(20), t.Maybe(80)});
  }
  r.version = static_cast<int>(t.Below(5));
  r.hash = t.Maybe(64);
  return r;
}

TEST(JsonWriterTest, SameBytesAsNlohmannForRandomRecords) {
  RandomText t(20240501);
  int failures = 0;
  for (int i = 0; i < 3000 && failures <= 5; ++i) {
    failures += ExpectSameAsReference(RandomRecord(t), "random record " + std::to_string(i));
  }
  // The extremes of the numbers and an empty record.
  model::Record r;
  r.source.offset = UINT64_MAX;
  r.version = -7;
  failures += ExpectSameAsReference(r, "extreme numbers");
  failures += ExpectSameAsReference(model::Record{}, "empty record");
  EXPECT_EQ(failures, 0);
}

// Every byte value followed by interesting bytes, at the start of, across and at the end of the
// 8-byte blocks the escaper scans.
TEST(JsonWriterTest, SameBytesAsNlohmannForEveryBytePair) {
  int failures = 0;
  for (int a = 0; a < 256 && failures <= 5; ++a) {
    for (int b : {0x00, 0x22, 0x41, 0x5C, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC3, 0xE0,
                  0xED, 0xF0, 0xF4, 0xFF}) {
      for (size_t pad : {0, 6, 7, 13}) {
        model::Record r;
        r.titles.push_back(
            {"", std::string(pad, 'x') + static_cast<char>(a) + static_cast<char>(b) + "\x80y"});
        failures +=
            ExpectSameAsReference(r, "bytes " + std::to_string(a) + "," + std::to_string(b) +
                                         " after " + std::to_string(pad));
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace ipdx::codec
