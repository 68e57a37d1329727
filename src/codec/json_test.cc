// Tests of the record JSON (docs/formats/record.md): round trips, key order, omission rules,
// error paths, invalid UTF-8, and the worked example of the spec (canonical form and hash).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "codec/codec.h"
#include "common/hash.h"
#include "model/record.h"

namespace ipdx::codec {
namespace {

model::Record FullRecord() {
  model::Record r;
  r.office = "US";
  r.number = "8936998";
  r.kind = "B2";
  r.publication_date = "2015-01-20";
  r.grant_date = "2015-01-20";
  r.language = "en";
  r.application = {"US", "13/606,283", "2012-09-07"};
  r.priorities = {{"JP", "2011-195123", "2011-09-07"}, {"CN", "201110123456.7", "2011-05"}};
  r.titles = {{"en", "Display device"}, {"zh", "显示设备"}, {"ja", "ウェーハの加工方法"}};
  r.abstracts = {{"en", "Tab\there, newline\nthere, quote \" backslash \\ and \x01 control."}};
  r.claims = {{"en", {"1. A device comprising: a panel.", "2. The device of claim 1."}},
              {"de", {"1. Vorrichtung, umfassend: ein Paneel."}}};
  r.descriptions = {{"en", "BACKGROUND & <summary> ]]> end"}};
  r.applicants = {{"Sony Corporation", "JP", "Tokyo"}};
  r.inventors = {{"山田 太郎", "JP", ""}, {"Jane Doe", "", ""}};
  r.assignees = {{"Sony Corporation", "JP", "Minato-ku, Tokyo"}};
  r.agents = {{"Oblon, McClelland", "US", ""}};
  r.ipc = {"G09G 3/36", "G02F 1/1333"};
  r.cpc = {"G09G 3/3648"};
  r.national = {"345/87"};
  r.citations = {{"US", "5432100", "A", "1995-07", "cited by examiner", ""},
                 {"", "", "", "", "", "Smith, J. Phys. 12 (1896) 3-4"}};
  r.source = {"uspto-grant-v4.5", "ipg150120.xml", 123456789012ull,
              "aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233",
              "2024-05-01T12:00:00Z"};
  r.findings = {{"ST16-2", model::Severity::kWarning, "kind", "kind B2 unusual"},
                {"ST2-1", model::Severity::kError, "priorities[1].date", "partial date"}};
  r.version = 3;
  r.hash = "00ff";
  return r;
}

TEST(RecordJsonTest, FullRecordRoundTrips) {
  const model::Record r = FullRecord();
  for (bool pretty : {false, true}) {
    auto back = FromJson(ToJson(r, pretty));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, r);
  }
}

TEST(RecordJsonTest, EmptyRecordRoundTrips) {
  const model::Record r;
  auto back = FromJson(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
}

TEST(RecordJsonTest, EmptyElementsInsideListsRoundTrip) {
  model::Record r;
  r.office = "EP";
  r.number = "1";
  r.kind = "A1";
  r.titles = {{"", ""}, {"fr", ""}};
  r.claims = {{"", {"", "2."}}, {"en", {}}};
  r.citations = {{}};
  r.inventors = {{"", "", ""}};
  r.ipc = {""};
  auto back = FromJson(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
  // In the canonical form, empty members disappear but array elements keep their positions.
  EXPECT_EQ(ContentJson(r), R"({"citations":[{}],"claims":[{"claims":["","2."]},{"lang":"en"}],)"
                            R"("inventors":[{}],"ipc":[""],"kind":"A1","number":"1","office":"EP",)"
                            R"("titles":[{},{"lang":"fr"}]})");
}

TEST(RecordJsonTest, KeyOrderIsTheDocumentedOne) {
  const std::string json = ToJson(FullRecord());
  const char* keys[] = {"\"format_version\"",
                        "\"id\"",
                        "\"office\"",
                        "\"number\"",
                        "\"kind\"",
                        "\"publication_date\"",
                        "\"grant_date\"",
                        "\"language\"",
                        "\"application\"",
                        "\"priorities\"",
                        "\"titles\"",
                        "\"abstracts\"",
                        "\"claims\":[{",
                        "\"descriptions\"",
                        "\"applicants\"",
                        "\"inventors\"",
                        "\"assignees\"",
                        "\"agents\"",
                        "\"ipc\"",
                        "\"cpc\"",
                        "\"national\"",
                        "\"citations\"",
                        "\"source\"",
                        "\"findings\"",
                        "\"version\"",
                        "\"hash\""};
  size_t last = 0;
  for (const char* key : keys) {
    const size_t at = json.find(key, last);
    ASSERT_NE(at, std::string::npos) << key << " missing or out of order in " << json;
    last = at;
  }
  EXPECT_EQ(json.rfind("{\"format_version\":1,\"id\":\"US-8936998-B2\",", 0), 0u) << json;
}

TEST(RecordJsonTest, OptionalMembersAreOmittedWhenEmpty) {
  model::Record r = FullRecord();
  r.grant_date.clear();
  const std::string json = ToJson(r);
  EXPECT_EQ(json.find("grant_date"), std::string::npos);
  // Inventor "山田 太郎" has no address: no "address" member for that party.
  EXPECT_NE(json.find(R"({"name":"山田 太郎","country":"JP"})"), std::string::npos) << json;
  // The non-patent citation has only "text".
  EXPECT_NE(json.find(R"({"text":"Smith, J. Phys. 12 (1896) 3-4"})"), std::string::npos);
  // Required members stay even when empty.
  const std::string empty = ToJson(model::Record{});
  EXPECT_NE(empty.find(R"("application":{"office":"","number":"","date":""})"), std::string::npos)
      << empty;
  EXPECT_NE(empty.find(R"("titles":[])"), std::string::npos);
}

TEST(RecordJsonTest, ControlCharactersAreEscaped) {
  const std::string json = ToJson(FullRecord());
  EXPECT_NE(json.find(R"(Tab\there, newline\nthere, quote \" backslash \\ and \u0001 control.)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("显示设备"), std::string::npos) << "CJK must be written as UTF-8";
}

TEST(RecordJsonTest, PrettyOutputIndentsWithTwoSpaces) {
  const std::string json = ToJson(FullRecord(), /*pretty=*/true);
  EXPECT_EQ(json.rfind("{\n  \"format_version\": 1,\n  \"id\": ", 0), 0u) << json.substr(0, 80);
}

TEST(RecordJsonTest, UnknownNamesAndNullsAreIgnored) {
  auto r = FromJson(R"({"office":"EP","number":"1000000","kind":"A1","x-extra":{"a":[1,2]},)"
                    R"("grant_date":null,"titles":[{"lang":"en","text":"T","note":"n"}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Id(), "EP-1000000-A1");
  ASSERT_EQ(r->titles.size(), 1u);
  EXPECT_EQ(r->titles[0].text, "T");
  EXPECT_TRUE(r->grant_date.empty());
}

struct BadCase {
  const char* json;
  const char* message_part;
};

TEST(RecordJsonTest, WrongTypesNameTheField) {
  const BadCase cases[] = {
      {R"({"titles":[{"lang":"en","text":"a"},{"text":"b"},{"text":3}]})",
       "titles[2].text: expected string, got number"},
      {R"({"office":["US"]})", "office: expected string, got array"},
      {R"({"application":"US 1"})", "application: expected object, got string"},
      {R"({"priorities":[{"date":20150120}]})", "priorities[0].date: expected string"},
      {R"({"claims":[{"lang":"en","claims":["1.",{}]}]})",
       "claims[0].claims[1]: expected string, got object"},
      {R"({"inventors":[{"name":"A"},"B"]})", "inventors[1]: expected object, got string"},
      {R"({"ipc":"A61K 31/00"})", "ipc: expected array, got string"},
      {R"({"source":{"offset":-5}})", "source.offset: -5 is out of range"},
      {R"({"source":{"offset":1.5}})", "source.offset: expected non-negative integer"},
      {R"({"version":"2"})", "version: expected non-negative integer, got string"},
      {R"({"version":99999999999})", "version: 99999999999 is out of range"},
      {R"({"findings":[{"rule":"R","severity":"fatal"}]})",
       R"(findings[0].severity: expected "warning" or "error", got "fatal")"},
      {R"({"format_version":2})", "format_version: 2 is not supported"},
      {R"({"office":"US","number":"1","kind":"A","id":"US-2-A"})",
       R"(id: "US-2-A" does not match office-number-kind "US-1-A")"},
      {R"([1,2])", "(record): expected object, got array"},
      {R"({"office":"US",)", "record JSON: [json.exception.parse_error"},
      {"", "record JSON: [json.exception.parse_error"},
      {"{\"office\":\"U\xff\"}", "record JSON: [json.exception.parse_error"},
  };
  for (const auto& c : cases) {
    auto r = FromJson(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_NE(r.status().message().find(c.message_part), std::string::npos)
        << "input: " << c.json << "\nmessage: " << r.status().message();
  }
}

TEST(RecordJsonTest, InvalidUtf8IsReplacedNotThrown) {
  model::Record r;
  r.office = "US";
  r.number = "1";
  r.kind = "A";
  r.titles = {{"en", std::string("bad \xC3\x28 and \xFF end")}};
  std::string json;
  ASSERT_NO_THROW(json = ToJson(r));
  EXPECT_NE(json.find("bad \xEF\xBF\xBD( and \xEF\xBF\xBD end"), std::string::npos) << json;
  std::string content;
  ASSERT_NO_THROW(content = ContentJson(r));
  EXPECT_NE(content.find("\xEF\xBF\xBD"), std::string::npos);
  auto back = FromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->titles[0].text, "bad \xEF\xBF\xBD( and \xEF\xBF\xBD end");
  // The hash of a record with invalid bytes equals that of its repaired form.
  EXPECT_EQ(ContentHash(r), ContentHash(*back));
}

TEST(ContentJsonTest, ExcludesSourceFindingsVersionAndHash) {
  const model::Record r = FullRecord();
  const std::string content = ContentJson(r);
  for (const char* absent : {"source", "findings", "\"version\"", "\"hash\"", "format_version",
                             "\"id\"", "ipg150120.xml", "ST16-2"}) {
    EXPECT_EQ(content.find(absent), std::string::npos) << absent << " in " << content;
  }
  model::Record other = r;
  other.source = {};
  other.findings.clear();
  other.version = 9;
  other.hash = "different";
  EXPECT_EQ(ContentJson(other), content);
  EXPECT_EQ(ContentHash(other), ContentHash(r));
}

TEST(ContentJsonTest, EveryContentFieldChangesTheHash) {
  const model::Record base = FullRecord();
  const std::string h = ContentHash(base);
  using Mutator = void (*)(model::Record&);
  const Mutator mutators[] = {
      [](model::Record& r) { r.office = "EP"; },
      [](model::Record& r) { r.number += "0"; },
      [](model::Record& r) { r.kind = "B1"; },
      [](model::Record& r) { r.publication_date = "2015-01-21"; },
      [](model::Record& r) { r.grant_date.clear(); },
      [](model::Record& r) { r.language = "de"; },
      [](model::Record& r) { r.application.date = "2012-09-08"; },
      [](model::Record& r) { r.priorities.pop_back(); },
      [](model::Record& r) { r.titles[1].lang = "ja"; },
      [](model::Record& r) { r.abstracts[0].text += " "; },
      [](model::Record& r) { std::swap(r.claims[0].claims[0], r.claims[0].claims[1]); },
      [](model::Record& r) { r.descriptions.clear(); },
      [](model::Record& r) { r.applicants[0].address.clear(); },
      [](model::Record& r) { r.inventors[1].country = "US"; },
      [](model::Record& r) { r.assignees[0].name = "Sony Corp."; },
      [](model::Record& r) { r.agents.clear(); },
      [](model::Record& r) { std::swap(r.ipc[0], r.ipc[1]); },
      [](model::Record& r) { r.cpc.push_back("G09G 2300/0426"); },
      [](model::Record& r) { r.national[0] = "345/88"; },
      [](model::Record& r) { r.citations[0].category = "cited by applicant"; },
      [](model::Record& r) { r.citations[1].text += "."; },
  };
  for (size_t i = 0; i < std::size(mutators); ++i) {
    model::Record r = base;
    mutators[i](r);
    EXPECT_NE(ContentHash(r), h) << "mutator " << i;
  }
}

TEST(ContentJsonTest, IsSortedCompactAndHashIsSha256OfIt) {
  const model::Record r = FullRecord();
  const std::string content = ContentJson(r);
  EXPECT_EQ(content.find('\n'), std::string::npos);
  EXPECT_EQ(content.find("\": "), std::string::npos);
  EXPECT_EQ(content.find(", \""), std::string::npos);
  // Top-level keys in byte order.
  const char* sorted[] = {
      "\"abstracts\"", "\"agents\"", "\"applicants\"", "\"application\"",      "\"assignees\"",
      "\"citations\"", "\"claims\"", "\"cpc\"",        "\"descriptions\"",     "\"grant_date\"",
      "\"inventors\"", "\"ipc\"",    "\"kind\"",       "\"language\"",         "\"national\"",
      "\"number\"",    "\"office\"", "\"priorities\"", "\"publication_date\"", "\"titles\""};
  size_t last = 0;
  for (const char* key : sorted) {
    const size_t at = content.find(key, last);
    ASSERT_NE(at, std::string::npos) << key << " missing or out of order in " << content;
    last = at;
  }
  EXPECT_EQ(ContentHash(r), Sha256Hex(content));
  EXPECT_EQ(ContentHash(r).size(), 64u);
}

// ---- the worked example of docs/formats/record.md ---------------------------------------------

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The body of the fenced block whose info string is "```<info>" (without the final newline).
std::string FencedBlock(const std::string& doc, const std::string& info) {
  const std::string open = "```" + info + "\n";
  const size_t start = doc.find(open);
  if (start == std::string::npos) return {};
  const size_t body = start + open.size();
  const size_t end = doc.find("\n```", body);
  if (end == std::string::npos) return {};
  return doc.substr(body, end - body);
}

TEST(RecordFormatSpecTest, WorkedExampleMatchesTheCode) {
  const std::string doc = ReadFile(std::string(IPDX_SOURCE_DIR) + "/docs/formats/record.md");
  ASSERT_FALSE(doc.empty()) << "docs/formats/record.md not found";
  const std::string record_json = FencedBlock(doc, "json example-record");
  const std::string canonical = FencedBlock(doc, "json example-canonical");
  const std::string hash = FencedBlock(doc, "text example-hash");
  ASSERT_FALSE(record_json.empty());
  ASSERT_FALSE(canonical.empty());
  ASSERT_EQ(hash.size(), 64u) << hash;

  auto r = FromJson(record_json);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The spec's record JSON is exactly what ToJson writes (pretty form).
  EXPECT_EQ(ToJson(*r, /*pretty=*/true), record_json);
  EXPECT_EQ(ContentJson(*r), canonical);
  // The hash in the spec is the SHA-256 of the canonical text in the spec, and the code agrees.
  EXPECT_EQ(Sha256Hex(canonical), hash);
  EXPECT_EQ(ContentHash(*r), hash);
}

}  // namespace
}  // namespace ipdx::codec
