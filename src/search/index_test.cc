// Index + search on hand-built multilingual records: stemming, accents, CJK, fields, numbers,
// classification hierarchy, dates, proximity, facets, snippets, similar documents, state.
#include <gtest/gtest.h>
#include <xapian.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "search/search.h"

namespace ipdx::search {
namespace internal {
// index.cc: documents a batch (segment) of a sharded rebuild holds at most; 0 restores the default.
void SetRebuildBatchDocumentsForTest(uint64_t documents);
}  // namespace internal
namespace {

namespace fs = std::filesystem;

model::Record Rec(const std::string& office, const std::string& number, const std::string& kind,
                  const std::string& lang, const std::string& pd) {
  model::Record r;
  r.office = office;
  r.number = number;
  r.kind = kind;
  r.language = lang;
  r.publication_date = pd;
  return r;
}

// The fixture corpus. Ids are referred to by the tests below.
std::vector<model::Record> Corpus() {
  std::vector<model::Record> out;
  {
    model::Record r = Rec("US", "8936998", "B2", "en", "2015-01-20");
    r.titles = {{"en", "Electric motor with cooled rotor"}};
    r.abstracts = {{"en", "An electric motor comprising a rotor and a stator. <Fast> & quiet."}};
    r.claims = {{"en",
                 {"1. An electric motor having cooling channels filled with oil.",
                  "2. The motor of claim 1, wherein the oil is cooled."}}};
    r.applicants = {{"Acme Motors Inc.", "US", ""}};
    r.inventors = {{"John Smith", "US", ""}};
    r.ipc = {"H02K 9/19", "H02K 1/32"};
    r.cpc = {"H02K 9/197"};
    r.application = {"US", "13/123,456", "2012-05-01"};
    r.priorities = {{"US", "61/482,000", "2011-05-03"}};
    out.push_back(r);
  }
  {
    // Near-duplicate of the first, published later.
    model::Record r = Rec("US", "9000000", "B2", "en", "2016-05-01");
    r.titles = {{"en", "Electric motor with a cooled rotor"}};
    r.abstracts = {{"en", "An electric motor comprising a rotor and a stator, cooled by oil."}};
    r.claims = {{"en", {"1. An electric motor having cooling channels filled with oil."}}};
    r.applicants = {{"ACME MOTORS INC.", "US", ""}};
    r.ipc = {"H02K 9/19"};
    r.application = {"US", "14/000,001", "2014-02-01"};
    out.push_back(r);
  }
  {
    model::Record r = Rec("EP", "1000000", "B1", "de", "2016-03-01");
    r.titles = {{"de", "Elektrischer Motor mit Kühlung"}, {"en", "Electric machine with cooling"}};
    r.abstracts = {{"de", "Die Motoren werden durch Kühlung der Gehäuse gekühlt."}};
    r.applicants = {{"Siemens AG", "DE", ""}};
    r.ipc = {"H02K 9/19"};
    r.application = {"EP", "17171508.9", "2017-05-01"};
    out.push_back(r);
  }
  {
    model::Record r = Rec("FR", "3000001", "A1", "fr", "2017-07-07");
    r.titles = {{"fr", "Moteur électrique à refroidissement"}};
    r.abstracts = {{"fr", "Les moteurs électriques sont refroidis par de l'huile."}};
    r.applicants = {{"Société Générale d'Électricité", "FR", ""}};
    r.ipc = {"H02K 9/19"};
    out.push_back(r);
  }
  {
    model::Record r = Rec("CN", "108000001", "A", "zh", "2018-06-05");
    r.titles = {{"zh", "显示设备"}};
    r.abstracts = {{"zh", "一种显示设备，包括显示面板和背光模块。"}};
    r.applicants = {{"京东方科技集团股份有限公司", "CN", ""}};
    r.ipc = {"G09G 3/36"};
    out.push_back(r);
  }
  {
    model::Record r = Rec("JP", "2017000001", "A", "ja", "2017");
    r.titles = {{"ja", "ウェーハの加工方法"}};
    r.abstracts = {{"ja", "ウェーハを分割する加工方法を提供する。"}};
    r.ipc = {"H01L 21/301"};
    out.push_back(r);
  }
  {
    model::Record r = Rec("EP", "2000000", "A1", "en", "2014-09-10");
    r.titles = {{"en", "Pharmaceutical composition containing a pyridine derivative"}};
    r.abstracts = {{"en", "A pharmaceutical composition of a pyridine derivative for tumours."}};
    r.applicants = {{"Pharma SA", "CH", ""}};
    r.ipc = {"A61K 31/4439", "A61P 35/00"};
    out.push_back(r);
  }
  {
    model::Record r = Rec("EP", "2000001", "A1", "en", "2013");
    r.titles = {{"en", "Tablet formulation"}};
    r.abstracts = {{"en", "A tablet of an active compound and an excipient."}};
    r.applicants = {{"Pharma SA", "CH", ""}};
    r.ipc = {"A61K 31/00", "A61K 9/20"};
    out.push_back(r);
  }
  return out;
}

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("ipdx_search_" +
            std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "index").string();
    auto opened = Index::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    index_ = std::move(opened).value();
    for (const model::Record& r : Corpus()) {
      ASSERT_TRUE(index_->Add(r.office, r).ok()) << r.Id();
    }
    // A republished copy of the first record, from another publisher.
    ASSERT_TRUE(index_->Add("EP", Corpus()[0]).ok());
    ASSERT_TRUE(index_->Commit("seq-9").ok());
  }
  void TearDown() override {
    index_.reset();
    fs::remove_all(dir_);
  }

  // Ids (publisher/id) of all hits of a query.
  std::set<std::string> Ids(const std::string& query) {
    SearchRequest request;
    request.query = query;
    request.limit = 100;
    auto result = index_->Search(request);
    EXPECT_TRUE(result.ok()) << query << ": " << result.status().ToString();
    std::set<std::string> ids;
    if (!result.ok()) return ids;
    for (const Hit& hit : result->hits) ids.insert(hit.publisher + "/" + hit.id);
    EXPECT_EQ(result->total, ids.size()) << query;
    return ids;
  }

  fs::path dir_;
  std::string path_;
  std::unique_ptr<Index> index_;
};

using Set = std::set<std::string>;

// Xapian 1.4.22's checker (Database::check) deletes a table object through a base pointer of
// another size inside libxapian; AddressSanitizer aborts on it (new-delete-type-mismatch). The
// deep check is exercised in the normal build only.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kXapianCheckUnderAsan = true;
#else
constexpr bool kXapianCheckUnderAsan = false;
#endif

}  // namespace

void PrintTo(const FacetValue& v, std::ostream* os) { *os << v.value << "=" << v.count; }

namespace {
const std::string kUs1 = "US/US-8936998-B2";
const std::string kUs1Ep = "EP/US-8936998-B2";
const std::string kUs2 = "US/US-9000000-B2";
const std::string kEpDe = "EP/EP-1000000-B1";
const std::string kFr = "FR/FR-3000001-A1";
const std::string kCn = "CN/CN-108000001-A";
const std::string kJp = "JP/JP-2017000001-A";
const std::string kPharma = "EP/EP-2000000-A1";
const std::string kTablet = "EP/EP-2000001-A1";

TEST_F(IndexTest, ReplicatedCopiesAreSeparateDocuments) {
  auto count = index_->DocumentCount();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, Corpus().size() + 1);
  EXPECT_EQ(index_->Add("US", Corpus()[0]).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(index_->Replace("US", Corpus()[0]).ok());
  EXPECT_EQ(*index_->DocumentCount(), Corpus().size() + 1);
}

TEST_F(IndexTest, PublicationNumbersInAnySpelling) {
  const Set both = {kUs1, kUs1Ep};
  EXPECT_EQ(Ids("pn:US8936998"), both);
  EXPECT_EQ(Ids("pn:\"US 8,936,998 B2\""), both);
  EXPECT_EQ(Ids("pn:US-8936998-B2"), both);
  EXPECT_EQ(Ids("pn:us08936998"), both);
  EXPECT_EQ(Ids("pn:8936998"), both);
  EXPECT_EQ(Ids("pn:\"8,936,998\""), both);
  EXPECT_EQ(Ids("pn:US8936998B1"), Set{});  // wrong kind
  EXPECT_EQ(Ids("pn:EP1000000"), Set{kEpDe});
  EXPECT_EQ(Ids("pn:US89*"), both);
}

TEST_F(IndexTest, ApplicationNumbers) {
  EXPECT_EQ(Ids("an:\"US 13/123,456\""), (Set{kUs1, kUs1Ep}));
  EXPECT_EQ(Ids("an:13123456"), (Set{kUs1, kUs1Ep}));
  EXPECT_EQ(Ids("an:EP17171508.9"), Set{kEpDe});
  EXPECT_EQ(Ids("an:17171508.9"), Set{kEpDe});
}

TEST_F(IndexTest, EnglishStemming) {
  EXPECT_EQ(Ids("ti:motors"), (Set{kUs1, kUs1Ep, kUs2, kEpDe}));  // EP: German "Motor"
  EXPECT_EQ(Ids("cl:cooling"), (Set{kUs1, kUs1Ep, kUs2}));
  EXPECT_EQ(Ids("cl:cools"), (Set{kUs1, kUs1Ep, kUs2}));
  // Quoting one word turns stemming off: "cooled" is only in the claims of the first record.
  EXPECT_EQ(Ids("cl:\"cooled\""), (Set{kUs1, kUs1Ep}));
}

TEST_F(IndexTest, GermanStemmingAndAccents) {
  // "Motoren" (German plural) is found from "motor"; "Kühlung" with or without the umlaut.
  EXPECT_EQ(Ids("ab:motor"), (Set{kUs1, kUs1Ep, kUs2, kEpDe}));
  EXPECT_EQ(Ids("ab:kuhlung"), Set{kEpDe});
  EXPECT_EQ(Ids("ab:Kühlung"), Set{kEpDe});
  EXPECT_EQ(Ids("ab:gekühlt"), Set{kEpDe});
  EXPECT_EQ(Ids("ab:\"motoren\""), Set{kEpDe});
}

TEST_F(IndexTest, FrenchStemmingAndAccents) {
  EXPECT_EQ(Ids("electrique"), Set{kFr});
  EXPECT_EQ(Ids("ÉLECTRIQUES"), Set{kFr});
  EXPECT_EQ(Ids("ab:moteur"), Set{kFr});
  EXPECT_EQ(Ids("ab:huile"), Set{kFr});  // "l'huile"
  EXPECT_EQ(Ids("pa:\"societe generale\""), Set{kFr});
}

TEST_F(IndexTest, ChineseAndJapanese) {
  EXPECT_EQ(Ids("显示设备"), Set{kCn});
  EXPECT_EQ(Ids("ti:显示"), Set{kCn});
  EXPECT_EQ(Ids("显"), Set{kCn});  // one character: the unigram
  EXPECT_EQ(Ids("备显"), Set{});   // no such adjacent pair (punctuation in between)
  EXPECT_EQ(Ids("背光模块"), Set{kCn});
  EXPECT_EQ(Ids("ウェーハ"), Set{kJp});
  EXPECT_EQ(Ids("ｳｪｰﾊ"), Set{kJp});  // half-width katakana
  EXPECT_EQ(Ids("加工方法 AND ipc:H01L"), Set{kJp});
  EXPECT_EQ(Ids("pa:京东方"), Set{kCn});
}

TEST_F(IndexTest, PhraseVersusProximity) {
  // Abstracts: "... comprising a rotor and a stator ..."
  const Set us = {kUs1, kUs1Ep, kUs2};
  EXPECT_EQ(Ids("\"rotor and a stator\""), us);
  EXPECT_EQ(Ids("\"rotor stator\""), Set{});
  EXPECT_EQ(Ids("rotor NEAR/2 stator"), us);
  EXPECT_EQ(Ids("stator NEAR/2 rotor"), us);  // either order
  EXPECT_EQ(Ids("rotor NEAR/1 stator"), Set{});
  EXPECT_EQ(Ids("rotor ADJ/2 stator"), us);
  EXPECT_EQ(Ids("stator ADJ/2 rotor"), Set{});  // ordered
  EXPECT_EQ(Ids("(rotor OR armature) ADJ/2 stat*"), us);
  // Proximity never spans two texts: the title ends with "rotor", the abstract starts with "An".
  EXPECT_EQ(Ids("rotor ADJ/0 an"), Set{});
  EXPECT_EQ(Ids("\"rotor an\""), Set{});
}

TEST_F(IndexTest, TruncationAndItsLimit) {
  EXPECT_EQ(Ids("electr*"), (Set{kUs1, kUs1Ep, kUs2, kEpDe, kFr}));
  EXPECT_EQ(Ids("ti:elektr*"), Set{kEpDe});
  index_.reset();
  Index::Options options;
  options.wildcard_limit = 3;
  auto small = Index::Open(path_, options);
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  SearchRequest request;
  request.query = "motor AND c*";
  QueryError error;
  auto result = (*small)->Search(request, &error);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(error.position, 10u);
  EXPECT_NE(error.message.find("more than 3"), std::string::npos) << error.message;
}

TEST_F(IndexTest, HierarchicalClassification) {
  EXPECT_EQ(Ids("ipc:A61K"), (Set{kPharma, kTablet}));
  EXPECT_EQ(Ids("ipc:\"A61K 31\""), (Set{kPharma, kTablet}));
  EXPECT_EQ(Ids("ipc:\"A61K 31/4439\""), Set{kPharma});
  EXPECT_EQ(Ids("ipc:A61K31/4439"), Set{kPharma});
  EXPECT_EQ(Ids("ipc:\"A61K 9\""), Set{kTablet});
  EXPECT_EQ(Ids("ipc:A61"), (Set{kPharma, kTablet}));
  EXPECT_EQ(Ids("ipc:a"), (Set{kPharma, kTablet}));
  EXPECT_EQ(Ids("ipc:A61P"), Set{kPharma});
  EXPECT_EQ(Ids("ipc:A61K31/44*"), Set{kPharma});
  EXPECT_EQ(Ids("cpc:H02K"), (Set{kUs1, kUs1Ep}));
  EXPECT_EQ(Ids("cpc:\"H02K 9/197\""), (Set{kUs1, kUs1Ep}));
}

TEST_F(IndexTest, DateRanges) {
  EXPECT_EQ(Ids("pd:2015..2016"), (Set{kUs1, kUs1Ep, kUs2, kEpDe}));
  EXPECT_EQ(Ids("pd>=2016-03-01"), (Set{kUs2, kEpDe, kFr, kCn, kJp}));
  EXPECT_EQ(Ids("pd>2016-03-01"), (Set{kUs2, kFr, kCn, kJp}));
  EXPECT_EQ(Ids("pd<2015"), (Set{kPharma, kTablet}));
  EXPECT_EQ(Ids("pd<=2015-01-20"), (Set{kUs1, kUs1Ep, kPharma, kTablet}));
  EXPECT_EQ(Ids("pd:2017"), (Set{kFr, kJp}));  // the JP date is the partial "2017"
  EXPECT_EQ(Ids("pd:2017-07"), Set{kFr});      // a year-only date is not in a month
  EXPECT_EQ(Ids("pd:20170707"), Set{kFr});
  EXPECT_EQ(Ids("pd:2018.."), Set{kCn});
  EXPECT_EQ(Ids("ad:..2012-12-31"), (Set{kUs1, kUs1Ep}));
  EXPECT_EQ(Ids("prd:2011"), (Set{kUs1, kUs1Ep}));
}

TEST_F(IndexTest, FieldsBooleansAndCodes) {
  EXPECT_EQ(Ids("pa:siemens"), Set{kEpDe});
  EXPECT_EQ(Ids("pa:\"acme motors\""), (Set{kUs1, kUs1Ep, kUs2}));
  EXPECT_EQ(Ids("in:smith"), (Set{kUs1, kUs1Ep}));
  EXPECT_EQ(Ids("cc:ep"), (Set{kEpDe, kPharma, kTablet}));
  EXPECT_EQ(Ids("kind:B1"), Set{kEpDe});
  EXPECT_EQ(Ids("motor -cc:US"), (Set{kEpDe}));
  EXPECT_EQ(Ids("motor NOT pa:acme"), (Set{kEpDe}));
  EXPECT_EQ(Ids("ti:(pyridine OR tablet)"), (Set{kPharma, kTablet}));
  EXPECT_EQ(Ids("NOT ipc:H02K NOT ipc:A61K NOT ipc:H01L"), Set{kCn});
  EXPECT_EQ(Ids("oil AND pd<2016"), (Set{kUs1, kUs1Ep}));
}

TEST_F(IndexTest, BoostChangesRanking) {
  // "pyridine" is in one document, "motor" in several: BM25 ranks the rare word first...
  SearchRequest request;
  request.query = "motor OR pyridine";
  auto plain = index_->Search(request);
  ASSERT_TRUE(plain.ok());
  ASSERT_FALSE(plain->hits.empty());
  EXPECT_EQ(plain->hits[0].id, "EP-2000000-A1");
  // ...unless the common word is boosted.
  request.query = "motor^50 OR pyridine";
  auto boosted = index_->Search(request);
  ASSERT_TRUE(boosted.ok());
  ASSERT_FALSE(boosted->hits.empty());
  EXPECT_NE(boosted->hits[0].id, "EP-2000000-A1");
  EXPECT_TRUE(Ids("motor").count(boosted->hits[0].publisher + "/" + boosted->hits[0].id))
      << boosted->hits[0].id;
}

TEST_F(IndexTest, SortPaginationAndTotals) {
  SearchRequest request;
  request.query = "ipc:H02K";
  request.sort = SortOrder::kDateDescending;
  request.limit = 2;
  auto page1 = index_->Search(request);
  ASSERT_TRUE(page1.ok());
  EXPECT_EQ(page1->total, 5u);
  EXPECT_TRUE(page1->total_exact);
  ASSERT_EQ(page1->hits.size(), 2u);
  EXPECT_EQ(page1->hits[0].id, "FR-3000001-A1");  // 2017-07-07
  EXPECT_EQ(page1->hits[1].id, "US-9000000-B2");  // 2016-05-01
  request.offset = 2;
  request.limit = 10;
  auto page2 = index_->Search(request);
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ(page2->hits.size(), 3u);
  EXPECT_EQ(page2->hits[0].id, "EP-1000000-B1");  // 2016-03-01
  EXPECT_EQ(page2->hits[1].publication_date, "2015-01-20");
  request.sort = SortOrder::kDateAscending;
  request.offset = 0;
  request.limit = 1;
  auto oldest = index_->Search(request);
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(oldest->hits[0].id, "US-8936998-B2");
  request.limit = kMaxLimit + 1;
  EXPECT_EQ(index_->Search(request).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(IndexTest, Facets) {
  SearchRequest request;
  request.query = "ipc:H02K OR ipc:A61K";
  request.facets = true;
  auto result = index_->Search(request);
  ASSERT_TRUE(result.ok());
  ASSERT_TRUE(result->facets.has_value());
  EXPECT_TRUE(result->facets_exact);
  const Facets& f = *result->facets;
  // Office facet counts the office named in the id (the EP copy of the US record is "US").
  // Equal counts are ordered by value.
  EXPECT_EQ(f.office, (std::vector<FacetValue>{{"EP", 3}, {"US", 3}, {"FR", 1}}));
  EXPECT_EQ(f.ipc_subclass, (std::vector<FacetValue>{{"H02K", 5}, {"A61K", 2}, {"A61P", 1}}));
  EXPECT_EQ(f.year, (std::vector<FacetValue>{
                        {"2017", 1}, {"2016", 2}, {"2015", 2}, {"2014", 1}, {"2013", 1}}));
  // "Acme Motors Inc." and "ACME MOTORS INC." are one applicant.
  ASSERT_FALSE(f.applicant.empty());
  EXPECT_EQ(f.applicant[0], (FacetValue{"Acme Motors Inc.", 3}));
  EXPECT_EQ(f.applicant[1], (FacetValue{"Pharma SA", 2}));
}

TEST_F(IndexTest, SnippetsHighlightMatchesAndEscape) {
  SearchRequest request;
  request.query = "pn:US8936998B2 AND stators";
  request.limit = 1;
  auto result = index_->Search(request);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->hits.size(), 1u);
  const Hit& hit = result->hits[0];
  EXPECT_EQ(hit.title, "Electric motor with cooled rotor");
  const Snippet& s = hit.snippet;
  ASSERT_EQ(s.highlights.size(), 1u) << s.text;
  EXPECT_EQ(s.text.substr(s.highlights[0].first, s.highlights[0].second - s.highlights[0].first),
            "stator");
  const std::string html = s.ToHtml();
  EXPECT_NE(html.find("<b>stator</b>"), std::string::npos) << html;
  EXPECT_NE(html.find("&lt;Fast&gt; &amp; quiet"), std::string::npos) << html;
  EXPECT_EQ(html.find("<Fast>"), std::string::npos);

  request.query = "背光";
  auto cjk = index_->Search(request);
  ASSERT_TRUE(cjk.ok());
  ASSERT_EQ(cjk->hits.size(), 1u);
  EXPECT_NE(cjk->hits[0].snippet.ToHtml().find("<b>背光</b>"), std::string::npos)
      << cjk->hits[0].snippet.text;
}

TEST_F(IndexTest, SimilarFromRecordFindsTheNearDuplicateFirst) {
  SimilarRequest request;
  request.id = "US-8936998-B2";
  auto result = index_->Similar(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_FALSE(result->hits.empty());
  EXPECT_EQ(result->hits[0].id, "US-9000000-B2");
  for (const Hit& hit : result->hits) EXPECT_NE(hit.id, "US-8936998-B2");  // both copies out
  // Restricted by a query: the near-duplicate is from 2016.
  request.restrict_query = "pd<2016";
  auto restricted = index_->Similar(request);
  ASSERT_TRUE(restricted.ok());
  for (const Hit& hit : restricted->hits) EXPECT_LT(hit.publication_date, "2016");
  request.restrict_query = "pd<";
  QueryError error;
  EXPECT_EQ(index_->Similar(request, &error).status().code(), StatusCode::kInvalidArgument);
  request.id = "US-1-B1";
  request.restrict_query.clear();
  EXPECT_EQ(index_->Similar(request).status().code(), StatusCode::kNotFound);
}

TEST_F(IndexTest, SimilarFromText) {
  SimilarRequest request;
  request.text =
      "A pharmaceutical composition comprising a pyridine derivative, for tumours, given as a "
      "tablet with an excipient.";
  request.lang = "en";
  auto result = index_->Similar(request);
  ASSERT_TRUE(result.ok());
  ASSERT_FALSE(result->hits.empty());
  EXPECT_EQ(result->hits[0].id, "EP-2000000-A1");
  request.restrict_query = "ipc:A61K NOT ipc:A61P";  // not the pyridine document
  auto restricted = index_->Similar(request);
  ASSERT_TRUE(restricted.ok());
  ASSERT_FALSE(restricted->hits.empty());
  EXPECT_EQ(restricted->hits[0].id, "EP-2000001-A1");
  EXPECT_EQ(index_->Similar(SimilarRequest{}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(IndexTest, StateVerifyAndBehind) {
  auto state = index_->State();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->mark, "seq-9");
  EXPECT_EQ(state->documents, Corpus().size() + 1);
  EXPECT_TRUE(index_->Verify("seq-9", Corpus().size() + 1).ok());
  // The store moved on: behind.
  EXPECT_EQ(index_->Verify("seq-10", Corpus().size() + 1).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(index_->Verify("seq-9", Corpus().size() + 2).code(), StatusCode::kFailedPrecondition);
  // Uncommitted changes are lost on close; the state still describes the last commit.
  ASSERT_TRUE(index_->Delete("JP", "JP-2017000001-A").ok());
  EXPECT_EQ(index_->Delete("JP", "JP-2017000001-A").code(), StatusCode::kNotFound);
  index_.reset();
  auto reopened = Index::Open(path_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE((*reopened)->Verify("seq-9", Corpus().size() + 1).ok());
  ASSERT_TRUE((*reopened)->Delete("JP", "JP-2017000001-A").ok());
  ASSERT_TRUE((*reopened)->Commit("seq-10").ok());
  EXPECT_TRUE((*reopened)->Verify("seq-10", Corpus().size()).ok());
  if (!kXapianCheckUnderAsan) {
    EXPECT_TRUE((*reopened)->DeepCheck().ok());
  }
}

TEST_F(IndexTest, ReadOnlyReaderSeesCommits) {
  Index::Options ro;
  ro.read_only = true;
  auto reader = Index::Open(path_, ro);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  SearchRequest request;
  request.query = "pa:siemens";
  EXPECT_EQ((*reader)->Search(request)->total, 1u);
  EXPECT_EQ((*reader)->Add("EP", Corpus()[0]).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(index_->Delete("EP", "EP-1000000-B1").ok());
  EXPECT_EQ((*reader)->Search(request)->total, 1u);  // not committed yet
  ASSERT_TRUE(index_->Commit("seq-10").ok());
  EXPECT_EQ((*reader)->Search(request)->total, 0u);
  // A second writer is refused while the first holds the lock.
  EXPECT_EQ(Index::Open(path_).status().code(), StatusCode::kUnavailable);
}

TEST_F(IndexTest, MissingAndDamagedIndexesAreDetected) {
  Index::Options no_create;
  no_create.create_if_missing = false;
  EXPECT_EQ(Index::Open((dir_ / "nothing").string(), no_create).status().code(),
            StatusCode::kNotFound);
  Index::Options ro;
  ro.read_only = true;
  EXPECT_EQ(Index::Open((dir_ / "nothing").string(), ro).status().code(), StatusCode::kNotFound);
  index_.reset();

  // A folder that is not an index is not silently replaced by an empty one.
  fs::create_directories(dir_ / "junk");
  std::ofstream(dir_ / "junk" / "file") << "not an index";
  EXPECT_EQ(Index::Open((dir_ / "junk").string()).status().code(), StatusCode::kCorruption);

  // Overwrite every block of the posting list table (a disk error, a bad copy).
  const fs::path postlist = fs::path(path_) / "postlist.glass";
  ASSERT_TRUE(fs::exists(postlist));
  {
    const auto size = static_cast<size_t>(fs::file_size(postlist));
    std::fstream f(postlist, std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(size, '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  // Opening or searching reports Corruption, and so does the deep check: never a wrong answer.
  auto damaged = Index::Open(path_);
  if (damaged.ok()) {
    SearchRequest request;
    request.query = "motor";
    auto searched = (*damaged)->Search(request);
    EXPECT_EQ(searched.status().code(), StatusCode::kCorruption) << searched.status().ToString();
    if (!kXapianCheckUnderAsan) {
      const Status check = (*damaged)->DeepCheck();
      EXPECT_EQ(check.code(), StatusCode::kCorruption) << check.ToString();
    }
  } else {
    EXPECT_EQ(damaged.status().code(), StatusCode::kCorruption) << damaged.status().ToString();
  }

  // The version file gone: the folder is no longer recognisable.
  damaged = Status::Internal("closed");
  fs::remove(fs::path(path_) / "iamglass");
  EXPECT_EQ(Index::Open(path_).status().code(), StatusCode::kCorruption);
}

TEST_F(IndexTest, RebuildReplacesTheIndex) {
  index_.reset();
  std::vector<model::Record> records = Corpus();
  records.resize(3);
  size_t next = 0;
  RecordSource source = [&](std::string* publisher, model::Record* record) -> Result<bool> {
    if (next == records.size()) return false;
    *record = records[next++];
    *publisher = record->office;
    return true;
  };
  auto rebuilt = Index::Rebuild(path_, source, "seq-20", {});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_TRUE((*rebuilt)->Verify("seq-20", 3).ok());
  EXPECT_FALSE(fs::exists(path_ + ".rebuild"));
  EXPECT_FALSE(fs::exists(path_ + ".old"));
  rebuilt->reset();

  // A failing source leaves the existing index untouched.
  next = 0;
  RecordSource failing = [&](std::string* publisher, model::Record* record) -> Result<bool> {
    if (next == 2) return Status::IOError("store read failed");
    *record = records[next++];
    *publisher = record->office;
    return true;
  };
  auto failed = Index::Rebuild(path_, failing, "seq-21", {});
  EXPECT_EQ(failed.status().code(), StatusCode::kIOError);
  auto reopened = Index::Open(path_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE((*reopened)->Verify("seq-20", 3).ok());
}

// Index format 2: a word that is its own stem has no Z term; the stemmed query reaches it through
// its X term, in every field, and phrases still work on the X terms.
TEST_F(IndexTest, WordsThatAreTheirOwnStemAreFoundWithoutAZTerm) {
  index_.reset();
  {
    Xapian::Database db(path_);
    EXPECT_FALSE(db.term_exists("ZXTIENmotor"));  // "motor" stems to itself: no Z term
    EXPECT_TRUE(db.term_exists("XTImotor"));
    EXPECT_TRUE(db.term_exists("ZXCLENcool"));  // "cooling", "cooled"
    EXPECT_FALSE(db.term_exists("ZXCLENoil"));
    EXPECT_TRUE(db.term_exists("ZXABDEmotor"));  // "Motoren"
  }
  auto opened = Index::Open(path_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  index_ = std::move(opened).value();
  // "motors" only differs from the indexed "motor" by its stem; "oils" from "oil".
  EXPECT_EQ(Ids("ti:motors"), (Set{kUs1, kUs1Ep, kUs2, kEpDe}));
  EXPECT_EQ(Ids("cl:oils"), (Set{kUs1, kUs1Ep, kUs2}));
  EXPECT_EQ(Ids("cl:cool"), (Set{kUs1, kUs1Ep, kUs2}));
  EXPECT_EQ(Ids("txt:oils AND ti:rotors"), (Set{kUs1, kUs1Ep, kUs2}));
  EXPECT_EQ(Ids("ti:\"electric motor\""), (Set{kUs1, kUs1Ep, kUs2}));
  EXPECT_EQ(Ids("cl:\"filled with oil\""), (Set{kUs1, kUs1Ep, kUs2}));
  EXPECT_EQ(Ids("ab:\"filled with oil\""), Set{});
  // Every inflection reaches every other, whichever of them is its own stem.
  std::unique_ptr<Index> fresh;
  {
    auto made = Index::Open((dir_ / "inflections").string());
    ASSERT_TRUE(made.ok());
    fresh = std::move(made).value();
  }
  const std::vector<std::string> forms = {"motor", "motors", "motoring", "motored"};
  for (size_t i = 0; i < forms.size(); ++i) {
    model::Record r = Rec("US", std::to_string(i + 1), "A1", "en", "2015");
    r.abstracts = {{"en", forms[i] + " pump"}};
    ASSERT_TRUE(fresh->Add("US", r).ok());
  }
  ASSERT_TRUE(fresh->Commit("m").ok());
  for (const std::string& form : forms) {
    SearchRequest request;
    request.query = "ab:" + form;
    auto result = fresh->Search(request);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->hits.size(), forms.size()) << form;
    request.query = "ab:\"" + form + "\"";  // quoted: that form only
    result = fresh->Search(request);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->hits.size(), 1u) << form;
  }
}

// A rebuild adds documents without the unique-term lookup, so a copy given twice must still end
// up once (the later version); what an interrupted rebuild leaves behind is never the index and
// is cleared by the next rebuild; the result is compacted and passes the deep check.
TEST_F(IndexTest, RebuildDeduplicatesAndIgnoresLeftovers) {
  index_.reset();
  // An interrupted rebuild: a half-built index (committed without the final mark) and a
  // half-compacted copy beside the real one.
  {
    auto partial = Index::Open(path_ + ".rebuild");
    ASSERT_TRUE(partial.ok());
    ASSERT_TRUE((*partial)->Add("US", Corpus()[0]).ok());
    ASSERT_TRUE((*partial)->Commit("").ok());
    fs::create_directories(path_ + ".compact");
    std::ofstream(path_ + ".compact/postlist.glass") << "torn";
  }
  {
    auto still = Index::Open(path_);
    ASSERT_TRUE(still.ok());
    EXPECT_TRUE((*still)->Verify("seq-9", Corpus().size() + 1).ok());
  }
  std::vector<model::Record> records = Corpus();
  model::Record revised = records[0];
  revised.titles = {{"en", "Revised hydraulic pump"}};
  records.push_back(revised);  // the same copy again, later version
  size_t next = 0;
  RecordSource source = [&](std::string* publisher, model::Record* record) -> Result<bool> {
    if (next == records.size()) return false;
    *record = records[next++];
    *publisher = record->office;
    return true;
  };
  auto rebuilt = Index::Rebuild(path_, source, "seq-30", {});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_TRUE((*rebuilt)->Verify("seq-30", Corpus().size()).ok());
  EXPECT_FALSE(fs::exists(path_ + ".rebuild"));
  EXPECT_FALSE(fs::exists(path_ + ".compact"));
  if (!kXapianCheckUnderAsan) {
    EXPECT_TRUE((*rebuilt)->DeepCheck().ok());
  }
  index_ = std::move(rebuilt).value();
  EXPECT_EQ(Ids("ti:hydraulic"), Set{kUs1});
  EXPECT_EQ(Ids("ti:\"electric motor\""), Set{kUs2});
  // The rebuilt index takes updates like any other.
  ASSERT_TRUE(index_->Replace("US", Corpus()[0]).ok());
  ASSERT_TRUE(index_->Commit("seq-31").ok());
  EXPECT_EQ(Ids("ti:\"electric motor\""), (Set{kUs1, kUs2}));
  EXPECT_EQ(Ids("ti:hydraulic"), Set{});
}

// ReplaceMany (parallel text analysis, chunked) must index exactly what Replace does, in order.
TEST_F(IndexTest, ReplaceManyIndexesWhatReplaceDoes) {
  // 100 copies across several chunks: the corpus under new numbers, some ids twice (the later
  // version wins in both paths).
  std::vector<std::pair<std::string, model::Record>> copies;
  for (int i = 0; i < 100; ++i) {
    const int base = i % 90;  // 90..99 are new versions of 0..9
    model::Record r = Corpus()[base % Corpus().size()];
    r.number = std::to_string(5000000 + base);
    if (i >= 90) r.titles.push_back({"en", "Revised title number " + std::to_string(i)});
    copies.emplace_back(r.office, std::move(r));
  }
  auto open_fresh = [&](const std::string& name, size_t threads) {
    Index::Options options;
    options.build_threads = threads;
    auto opened = Index::Open((dir_ / name).string(), options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return std::move(opened).value();
  };
  std::unique_ptr<Index> one_by_one = open_fresh("serial", 1);
  for (const auto& [publisher, record] : copies) {
    ASSERT_TRUE(one_by_one->Replace(publisher, record).ok());
  }
  ASSERT_TRUE(one_by_one->Commit("m").ok());
  for (size_t threads : {1, 3}) {
    std::unique_ptr<Index> many = open_fresh("many" + std::to_string(threads), threads);
    std::vector<Index::Item> items;
    for (const auto& [publisher, record] : copies) items.push_back({&publisher, &record});
    ASSERT_TRUE(many->ReplaceMany(items).ok());
    ASSERT_TRUE(many->Commit("m").ok());
    EXPECT_EQ(*many->DocumentCount(), 90u);
    EXPECT_EQ(*many->Languages(), *one_by_one->Languages());
    for (const char* query : {"motor", "ti:revised", "\"electric motor\"", "moteur", "显示",
                              "cooling NEAR/3 oil", "pa:acme", "ipc:H02K AND pd>=2016"}) {
      SearchRequest request;
      request.query = query;
      request.limit = 100;
      auto a = one_by_one->Search(request);
      auto b = many->Search(request);
      ASSERT_TRUE(a.ok() && b.ok()) << query;
      EXPECT_GT(a->total, 0u) << query;
      ASSERT_EQ(a->hits.size(), b->hits.size()) << query;
      for (size_t i = 0; i < a->hits.size(); ++i) {
        EXPECT_EQ(a->hits[i].id, b->hits[i].id) << query;
        EXPECT_DOUBLE_EQ(a->hits[i].score, b->hits[i].score) << query;
        EXPECT_EQ(a->hits[i].title, b->hits[i].title) << query;
      }
    }
  }
}

TEST_F(IndexTest, ReplaceManyStopsAtTheFirstBadItem) {
  std::vector<std::pair<std::string, model::Record>> copies;
  for (int i = 0; i < 70; ++i) {
    model::Record r = Corpus()[0];
    r.number = std::to_string(7000000 + i);
    copies.emplace_back(i == 40 ? "usa" : "US", std::move(r));
  }
  std::vector<Index::Item> items;
  for (const auto& [publisher, record] : copies) items.push_back({&publisher, &record});
  const uint64_t before = *index_->DocumentCount();
  EXPECT_EQ(index_->ReplaceMany(items).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(index_->Commit("seq-10").ok());
  EXPECT_EQ(*index_->DocumentCount(), before + 40);
}

TEST_F(IndexTest, RecordsWithoutIdentityAreRejected) {
  model::Record empty;
  EXPECT_EQ(index_->Add("US", empty).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(index_->Add("usa", Corpus()[0]).code(), StatusCode::kInvalidArgument);
}

// Sharded rebuilds (several writer threads, each writing its own segment, merged at the end).
class ShardedRebuildTest : public IndexTest {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    // Batches of 7 documents: the 300 copies below make 40+ batches spread over every shard, and
    // late copies (ids given again after their batch, maybe in another shard).
    internal::SetRebuildBatchDocumentsForTest(7);
    for (int i = 0; i < 300; ++i) {
      const int base = i < 280 ? i : (i - 280) * 13;  // 280..299: new versions of earlier ids
      model::Record r = Corpus()[base % Corpus().size()];
      r.number = std::to_string(6000000 + base);
      if (i >= 280) r.titles.push_back({"en", "Revised title number " + std::to_string(i)});
      if (i == 3) r.titles.push_back({"en", "Overwritten in its own batch"});
      copies_.emplace_back(r.office, std::move(r));
    }
    // Copy 4 again right away: a duplicate inside one batch (replaced by its segment's writer).
    copies_.insert(copies_.begin() + 4, copies_[3]);
    copies_[4].second.titles.pop_back();
  }
  void TearDown() override {
    internal::SetRebuildBatchDocumentsForTest(0);
    IndexTest::TearDown();
  }

  RecordSource Source(size_t fail_at = SIZE_MAX) {
    next_ = 0;
    return [this, fail_at](std::string* publisher, model::Record* record) -> Result<bool> {
      if (next_ == fail_at) return Status::IOError("store read failed");
      if (next_ == copies_.size()) return false;
      *publisher = copies_[next_].first;
      *record = copies_[next_].second;
      ++next_;
      return true;
    };
  }

  std::unique_ptr<Index> RebuildWith(const std::string& path, size_t writers) {
    Index::Options options;
    options.build_threads = writers;
    auto rebuilt = Index::Rebuild(path, Source(), "seq-40", options);
    EXPECT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
    if (!rebuilt.ok()) return nullptr;
    return std::move(rebuilt).value();
  }

  std::vector<std::pair<std::string, model::Record>> copies_;
  size_t next_ = 0;
};

// Same documents, same state and the same results (scores, snippets, facets) whatever the number
// of writers; the same document ids for the same number.
TEST_F(ShardedRebuildTest, AnyNumberOfWritersGivesTheSameIndex) {
  index_.reset();
  std::unique_ptr<Index> one = RebuildWith((dir_ / "one").string(), 1);
  std::unique_ptr<Index> four = RebuildWith((dir_ / "four").string(), 4);
  std::unique_ptr<Index> two = RebuildWith((dir_ / "two").string(), 2);
  std::unique_ptr<Index> again = RebuildWith((dir_ / "again").string(), 4);
  ASSERT_TRUE(one && four && two && again);
  const uint64_t distinct = 280;
  for (Index* index : {one.get(), four.get(), two.get()}) {
    EXPECT_EQ(*index->DocumentCount(), distinct);
    EXPECT_TRUE(index->Verify("seq-40", distinct).ok());
    EXPECT_EQ(*index->State(), *one->State());
    EXPECT_EQ(*index->Languages(), *one->Languages());
    if (!kXapianCheckUnderAsan) {
      EXPECT_TRUE(index->DeepCheck().ok());
    }
  }
  EXPECT_EQ(*four->Languages(), (std::vector<std::string>{"de", "en", "fr"}));
  EXPECT_FALSE(fs::exists((dir_ / "four.rebuild")));
  EXPECT_FALSE(fs::exists((dir_ / "four.compact")));
  // Every copy once under its unique term; document ids contiguous, and the same in two
  // rebuilds with the same number of writers.
  one.reset();
  four.reset();
  two.reset();
  again.reset();
  {
    Xapian::Database b((dir_ / "four").string());
    Xapian::Database c((dir_ / "two").string());
    Xapian::Database d((dir_ / "again").string());
    EXPECT_EQ(b.get_lastdocid(), distinct);
    EXPECT_EQ(c.get_lastdocid(), distinct);
    for (const auto& [publisher, record] : copies_) {
      const std::string term = "Q" + publisher + "/" + record.Id();
      ASSERT_EQ(b.get_termfreq(term), 1u) << term;
      ASSERT_EQ(c.get_termfreq(term), 1u) << term;
      EXPECT_EQ(*b.postlist_begin(term), *d.postlist_begin(term)) << term;
    }
  }
  one = std::move(Index::Open((dir_ / "one").string())).value();
  four = std::move(Index::Open((dir_ / "four").string())).value();
  for (const char* query :
       {"motor", "ti:revised", "\"electric motor\"", "moteur", "显示", "cooling NEAR/3 oil",
        "pa:acme", "ipc:H02K AND pd>=2016", "cc:EP", "ab:\"pyridine derivative\"", "Motoren"}) {
    for (SortOrder sort : {SortOrder::kRelevance, SortOrder::kDateDescending}) {
      SearchRequest request;
      request.query = query;
      request.limit = 1000;
      request.sort = sort;
      request.facets = true;
      auto a = one->Search(request);
      auto b = four->Search(request);
      ASSERT_TRUE(a.ok() && b.ok()) << query;
      EXPECT_GT(a->total, 0u) << query;
      EXPECT_EQ(a->total, b->total) << query;
      ASSERT_EQ(a->hits.size(), b->hits.size()) << query;
      // Equal hits (same score, same date) may come in another order: compare them sorted.
      auto key = [&](const Hit& hit) {
        return std::make_tuple(sort == SortOrder::kRelevance ? "" : hit.publication_date,
                               -std::round(hit.score * 1e9), hit.publisher + "/" + hit.id,
                               hit.title, hit.snippet.text);
      };
      std::vector<decltype(key(Hit()))> a_hits, b_hits;
      for (size_t i = 0; i < a->hits.size(); ++i) {
        a_hits.push_back(key(a->hits[i]));
        b_hits.push_back(key(b->hits[i]));
      }
      std::sort(a_hits.begin(), a_hits.end());
      std::sort(b_hits.begin(), b_hits.end());
      EXPECT_EQ(a_hits, b_hits) << query;
      // Ranked in the same order but for ties.
      for (size_t i = 0; i < a->hits.size(); ++i) {
        EXPECT_NEAR(a->hits[i].score, b->hits[i].score, 1e-9) << query << " hit " << i;
        if (sort != SortOrder::kRelevance) {
          EXPECT_EQ(a->hits[i].publication_date, b->hits[i].publication_date) << query;
        }
      }
      EXPECT_EQ(a->facets->office, b->facets->office) << query;
      EXPECT_EQ(a->facets->applicant, b->facets->applicant) << query;
      EXPECT_EQ(a->facets->ipc_subclass, b->facets->ipc_subclass) << query;
    }
  }
  // The later version of a copy wins, in its own batch and across batches.
  SearchRequest request;
  request.query = "ti:revised";
  request.limit = 100;
  EXPECT_EQ(four->Search(request)->total, 20u);
  request.query = "ti:overwritten";
  EXPECT_EQ(four->Search(request)->total, 0u);
  // The merged index takes updates like any other.
  ASSERT_TRUE(four->Replace(copies_[0].first, copies_[0].second).ok());
  ASSERT_TRUE(four->Commit("seq-41").ok());
  EXPECT_TRUE(four->Verify("seq-41", distinct).ok());
}

// Without late copies the merged state comes from merging the shards' metadata alone: document
// counts added up, stemming languages united (French only in the second shard).
TEST_F(ShardedRebuildTest, MergedStateAddsUpTheShards) {
  index_.reset();
  copies_.clear();
  for (int i = 0; i < 50; ++i) {
    model::Record r = Corpus()[i == 7 ? 3 : 0];
    r.number = std::to_string(8000000 + i);
    copies_.emplace_back(r.office, std::move(r));
  }
  std::unique_ptr<Index> rebuilt = RebuildWith(path_, 3);
  ASSERT_TRUE(rebuilt);
  EXPECT_FALSE(fs::exists(path_ + ".rebuild"));
  EXPECT_EQ(*rebuilt->State(), (IndexState{rebuilt->State()->format, 50, "seq-40"}));
  EXPECT_TRUE(rebuilt->Verify("seq-40", 50).ok());
  EXPECT_EQ(*rebuilt->Languages(), (std::vector<std::string>{"en", "fr"}));
  index_ = std::move(rebuilt);
  EXPECT_EQ(Ids("ab:moteur").size(), 1u);
  EXPECT_EQ(Ids("ab:refroidi").size(), 1u);  // the French stem of "refroidis"
}

// Leftover shard folders of an interrupted sharded rebuild are never the index and are removed
// by the next rebuild.
TEST_F(ShardedRebuildTest, LeftoverShardsAreIgnoredAndRemoved) {
  index_.reset();
  {
    fs::create_directories(path_ + ".rebuild");
    auto partial = Index::Open(path_ + ".rebuild/shard-0");
    ASSERT_TRUE(partial.ok());
    ASSERT_TRUE((*partial)->Add("US", Corpus()[0]).ok());
    ASSERT_TRUE((*partial)->Commit("seq-40").ok());
    fs::create_directories(path_ + ".rebuild/late");
    std::ofstream(path_ + ".rebuild/late/postlist.glass") << "torn";
  }
  {
    auto still = Index::Open(path_);
    ASSERT_TRUE(still.ok());
    EXPECT_TRUE((*still)->Verify("seq-9", Corpus().size() + 1).ok());
  }
  std::unique_ptr<Index> rebuilt = RebuildWith(path_, 3);
  ASSERT_TRUE(rebuilt);
  EXPECT_TRUE(rebuilt->Verify("seq-40", 280).ok());
  EXPECT_FALSE(fs::exists(path_ + ".rebuild"));
  // US-8936998-B2 was only in the leftover segment and the old index.
  index_ = std::move(rebuilt);
  EXPECT_EQ(Ids("pn:US8936998"), Set{});
}

// A failure at any point (the source, a record the indexer rejects) leaves the old index as it
// was and nothing behind.
TEST_F(ShardedRebuildTest, FailuresLeaveTheOldIndex) {
  index_.reset();
  Index::Options options;
  options.build_threads = 4;
  for (size_t fail_at : {0, 5, 150, 299}) {
    auto failed = Index::Rebuild(path_, Source(fail_at), "seq-40", options);
    EXPECT_EQ(failed.status().code(), StatusCode::kIOError) << fail_at;
    EXPECT_FALSE(fs::exists(path_ + ".rebuild")) << fail_at;
    EXPECT_FALSE(fs::exists(path_ + ".compact")) << fail_at;
    auto still = Index::Open(path_);
    ASSERT_TRUE(still.ok());
    EXPECT_TRUE((*still)->Verify("seq-9", Corpus().size() + 1).ok()) << fail_at;
  }
  copies_[200].first = "usa";  // not a publisher code: the writer of its batch fails
  auto rejected = Index::Rebuild(path_, Source(), "seq-40", options);
  EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument);
  auto still = Index::Open(path_);
  ASSERT_TRUE(still.ok());
  EXPECT_TRUE((*still)->Verify("seq-9", Corpus().size() + 1).ok());
  // An empty source makes an empty index with the state.
  copies_.clear();
  auto empty = Index::Rebuild(path_, Source(), "seq-0", options);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE((*empty)->Verify("seq-0", 0).ok());
}

}  // namespace
}  // namespace ipdx::search
