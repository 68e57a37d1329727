// Tests of the pieces that make `ipdx serve` fast without making it wrong: the access-log JSON
// writer, the rendered-record cache (never stale), and searches in parallel on read-only index
// handles (correct while an ingest runs; an index behind or damaged is still caught up or rebuilt
// and reported). The server runs in-process on port 0 over a node with the bundled sample.
#include <gtest/gtest.h>
#include <httplib.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "api/api.h"
#include "api/internal.h"
#include "api/record_cache.h"
#include "api/search_pool.h"
#include "service/service.h"
#include "store/store.h"

namespace ipdx::api {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const fs::path kSource = IPDX_SOURCE_DIR;

TEST(AccessLogJson, EscapesLikeNlohmannAndReplacesBadUtf8) {
  const std::vector<std::string> cases = {
      "",
      "/ipdx/v1/patents/US-1-B2",
      "quote \" backslash \\ slash /",
      "\n\r\t\b\f",
      std::string("nul \0 x", 7),
      "\x01\x1f\x7f",
      "Gr\xc3\xbc\xc3\x9f \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
      "bad \xff byte",
      "cut \xe6\x97",
      "surrogate \xed\xa0\x80",
      "overlong \xc0\xaf"};
  for (const std::string& s : cases) {
    std::string ours;
    internal::AppendJsonString(&ours, s);
    const std::string theirs = Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
    EXPECT_EQ(ours, theirs) << "input: " << s;
    EXPECT_EQ(Json::parse(ours).get<std::string>().size() > 0, !s.empty());
  }
}

TEST(RecordCacheTest, ServesOnlyTheSequenceItWasRenderedAt) {
  RecordCache cache(1 << 20);
  auto entry = std::make_shared<RecordCache::Entry>(RecordCache::Entry{"{\"v\":1}", "\"a\""});
  cache.Put("jUS-1-B2", 7, entry);
  ASSERT_NE(cache.Find("jUS-1-B2", 7), nullptr);
  EXPECT_EQ(cache.Find("jUS-1-B2", 7)->body, "{\"v\":1}");
  EXPECT_EQ(cache.Find("jUS-1-B2", 8), nullptr) << "a write moved the store: never serve";
  EXPECT_EQ(cache.Find("xUS-1-B2", 7), nullptr);
  cache.Put("jUS-1-B2", 9, std::make_shared<RecordCache::Entry>(RecordCache::Entry{"v2", "\"b\""}));
  cache.Put("jUS-1-B2", 8, entry);  // a slower request that read an older sequence
  ASSERT_NE(cache.Find("jUS-1-B2", 9), nullptr);
  EXPECT_EQ(cache.Find("jUS-1-B2", 9)->body, "v2");
  EXPECT_EQ(cache.Find("jUS-1-B2", 8), nullptr);
}

TEST(RecordCacheTest, EvictsLeastRecentlyUsedWithinItsSize) {
  RecordCache cache(64 * 1024);
  const std::string body(4000, 'x');
  for (int i = 0; i < 100; ++i) {
    cache.Put("k" + std::to_string(i), 1,
              std::make_shared<RecordCache::Entry>(RecordCache::Entry{body, "\"e\""}));
    ASSERT_NE(cache.Find("k0", 1), nullptr) << "k0 is used all the time, so it stays";
  }
  EXPECT_LE(cache.bytes(), 64u * 1024);
  EXPECT_EQ(cache.Find("k1", 1), nullptr);
  EXPECT_NE(cache.Find("k99", 1), nullptr);
  cache.Put("huge", 1,
            std::make_shared<RecordCache::Entry>(RecordCache::Entry{std::string(20000, 'y'), ""}));
  EXPECT_EQ(cache.Find("huge", 1), nullptr) << "entries over a quarter of the cache are not kept";
}

// Stores a new version of `id` with `word` added to its title, straight into the store at `db`.
void StoreNewVersion(const fs::path& db, const std::string& id, const std::string& word) {
  auto store = store::Store::OpenSqlite(db.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->SetLocalPublisher("US").ok());
  auto rec = (*store)->GetRecord(id);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  ASSERT_FALSE(rec->titles.empty());
  rec->titles.front().text += " " + word;
  ASSERT_TRUE((*store)->Begin().ok());
  auto put = (*store)->PutRecord("US", &*rec);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  ASSERT_TRUE((*store)->Commit().ok());
}

// Not a test of its own: the other process of RecordChangedByAnotherProcessIsServedFresh (as an
// `ipdx ingest` beside the server would be), run through /proc/self/exe with its arguments in the
// environment. Skipped in a normal run.
TEST(OtherProcess, StoresANewVersion) {
  const char* db = std::getenv("IPDX_TEST_OTHER_DB");
  const char* id = std::getenv("IPDX_TEST_OTHER_ID");
  const char* word = std::getenv("IPDX_TEST_OTHER_WORD");
  if (db == nullptr || id == nullptr || word == nullptr) {
    GTEST_SKIP() << "run by ServeTest.RecordChangedByAnotherProcessIsServedFresh";
  }
  StoreNewVersion(db, id, word);
}

// Runs OtherProcess.StoresANewVersion in a new process; its exit status.
int StoreNewVersionInAnotherProcess(const fs::path& db, const std::string& id,
                                    const std::string& word) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  std::vector<std::string> args = {self, "--gtest_filter=OtherProcess.StoresANewVersion"};
  std::vector<std::string> vars = {"IPDX_TEST_OTHER_DB=" + db.string(), "IPDX_TEST_OTHER_ID=" + id,
                                   "IPDX_TEST_OTHER_WORD=" + word};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  for (std::string& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), envp.data()) != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A node with the sample, served in-process on port 0.
class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ipdx-serve-perf-XXXXXX";
    home_ = mkdtemp(tmpl);
    ASSERT_TRUE(service::Node::Init(home_.string(), {.office = "US"}).ok());
    auto node = service::Node::Open(home_.string());
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    service::IngestOptions options;
    options.paths = {(kSource / "data/sample/uspto/mpi-test-concatenated.xml").string()};
    auto summary = service::Ingest(**node, options);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    ASSERT_GT(summary->accepted, 0u);
  }
  void Start() {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.rate_limit = 0;
    config.threads = 24;
    auto server = Server::Create(home_.string(), config);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    auto url = server_->Bind();
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    port_ = std::stoi(url->substr(url->rfind(':') + 1));
    runner_ = std::thread([this] { (void)server_->Run(); });
  }
  void TearDown() override {
    if (server_ != nullptr) {
      server_->Stop();
      runner_.join();
      server_.reset();
    }
    fs::remove_all(home_);
  }
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120, 0);
    return c;
  }
  Json Search(const std::string& query) {
    auto r = Client().Get("/ipdx/v1/patents/search?limit=100&q=" +
                          httplib::detail::encode_query_param(query));
    EXPECT_TRUE(r);
    if (!r) return Json();
    EXPECT_EQ(r->status, 200) << r->body;
    return Json::parse(r->body);
  }
  static std::set<std::string> Ids(const Json& j) {
    std::set<std::string> ids;
    for (const auto& h : j["hits"]) ids.insert(h["id"].get<std::string>());
    return ids;
  }
  static std::set<std::string> Actions(const Json& j) {
    std::set<std::string> actions;
    for (const auto& n : j["notices"]) actions.insert(n["action"].get<std::string>());
    return actions;
  }
  // Stores a new version of `id` with `word` added to its title, straight into the store (as
  // another process or a killed ingest would): the index does not know it.
  void NewVersionBehindTheIndex(const std::string& id, const std::string& word) {
    StoreNewVersion(home_ / "ipdx.db", id, word);
  }

  fs::path home_;
  std::unique_ptr<Server> server_;
  std::thread runner_;
  int port_ = 0;
};

TEST_F(ServeTest, CachedRecordIsNeverStale) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto c = Client();
  auto first = c.Get("/ipdx/v1/patents/US-11147202-B2");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);
  auto again = c.Get("/ipdx/v1/patents/US11147202B2");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, first->body);
  EXPECT_EQ(again->get_header_value("ETag"), first->get_header_value("ETag"));
  auto not_modified = c.Get("/ipdx/v1/patents/US-11147202-B2",
                            {{"If-None-Match", first->get_header_value("ETag")}});
  ASSERT_TRUE(not_modified);
  EXPECT_EQ(not_modified->status, 304);
  auto xml = c.Get("/ipdx/v1/patents/US-11147202-B2?format=st96");
  ASSERT_TRUE(xml);
  EXPECT_EQ(xml->get_header_value("Content-Type"), "application/xml");
  EXPECT_NE(xml->get_header_value("ETag"), first->get_header_value("ETag"));

  ASSERT_NO_FATAL_FAILURE(NewVersionBehindTheIndex("US-11147202-B2", "Quuxification"));
  auto changed = c.Get("/ipdx/v1/patents/US-11147202-B2");
  ASSERT_TRUE(changed);
  ASSERT_EQ(changed->status, 200);
  EXPECT_NE(changed->get_header_value("ETag"), first->get_header_value("ETag"));
  EXPECT_EQ(Json::parse(changed->body)["version"], 2);
  EXPECT_NE(changed->body.find("Quuxification"), std::string::npos);
  auto stale_tag = c.Get("/ipdx/v1/patents/US-11147202-B2",
                         {{"If-None-Match", first->get_header_value("ETag")}});
  ASSERT_TRUE(stale_tag);
  EXPECT_EQ(stale_tag->status, 200) << "the old ETag must not match the new version";
  auto v1 = c.Get("/ipdx/v1/patents/US-11147202-B2/versions/1");
  ASSERT_TRUE(v1);
  EXPECT_EQ(Json::parse(v1->body)["version"], 1);
}

// The change token (Store::ChangeToken) moves with every commit, from any connection, and only
// then; inside a transaction it cannot speak for the connection's own uncommitted rows.
TEST_F(ServeTest, StoreChangeTokenMovesWithEveryCommitAndOnlyThen) {
  const std::string db = (home_ / "ipdx.db").string();
  auto reader = store::Store::OpenSqlite(db);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto writer = store::Store::OpenSqlite(db);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->SetLocalPublisher("US").ok());
  const auto before = (*reader)->ChangeToken();
  ASSERT_TRUE(before.has_value()) << "a store in WAL mode can always tell";
  auto sequence = (*reader)->ChangeSequence();
  ASSERT_TRUE(sequence.ok());
  EXPECT_EQ((*reader)->ChangeToken(), before) << "nothing was committed";
  auto rec = (*reader)->GetRecord("US-11147202-B2");
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ((*reader)->ChangeToken(), before) << "reading commits nothing";

  rec->titles.front().text += " Tokenword";
  ASSERT_TRUE((*writer)->Begin().ok());
  ASSERT_TRUE((*writer)->PutRecord("US", &*rec).ok());
  EXPECT_FALSE((*writer)->ChangeToken().has_value()) << "uncommitted rows of its own";
  EXPECT_EQ((*reader)->ChangeToken(), before) << "not committed yet";
  ASSERT_TRUE((*writer)->Commit().ok());
  const auto after = (*reader)->ChangeToken();
  ASSERT_TRUE(after.has_value());
  EXPECT_NE(after, before) << "another connection committed";
  EXPECT_EQ((*writer)->ChangeToken(), after) << "one database, one token";
  auto moved = (*reader)->ChangeSequence();
  ASSERT_TRUE(moved.ok());
  EXPECT_GT(*moved, *sequence);

  ASSERT_EQ(StoreNewVersionInAnotherProcess(home_ / "ipdx.db", "US-11147202-B2", "Procword"), 0);
  EXPECT_NE((*reader)->ChangeToken(), after) << "another process committed";
}

// A record changed by another process (an `ipdx ingest` beside the server) is served fresh at
// once, although the server reads no change sequence while nothing was committed.
TEST_F(ServeTest, RecordChangedByAnotherProcessIsServedFresh) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto c = Client();
  const std::string path = "/ipdx/v1/patents/US-11147202-B2";
  std::string etag;
  for (int i = 0; i < 3; ++i) {  // rendered once, then from the cache
    auto r = c.Get(path);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    EXPECT_EQ(Json::parse(r->body)["version"], 1);
    if (i > 0) {
      EXPECT_EQ(r->get_header_value("ETag"), etag);
    }
    etag = r->get_header_value("ETag");
  }
  for (int version = 2; version <= 3; ++version) {
    const std::string word = "Otherprocessword" + std::to_string(version);
    ASSERT_EQ(StoreNewVersionInAnotherProcess(home_ / "ipdx.db", "US-11147202-B2", word), 0);
    for (int i = 0; i < 2; ++i) {
      auto r = c.Get(path);
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200);
      EXPECT_EQ(Json::parse(r->body)["version"], version);
      EXPECT_NE(r->body.find(word), std::string::npos);
      EXPECT_NE(r->get_header_value("ETag"), etag);
    }
    auto stale = c.Get(path, {{"If-None-Match", etag}});
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->status, 200) << "the ETag of the older version must not match";
    etag = stale->get_header_value("ETag");
  }
}

TEST_F(ServeTest, ParallelSearchesAreCorrectWhileAnIngestRuns) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Json reference = Search("tractor OR vehicle");
  const std::set<std::string> expected = Ids(reference);
  ASSERT_FALSE(expected.empty());
  EXPECT_TRUE(reference["notices"].empty()) << reference.dump();

  // An ingest of more documents holds the node for a while; searches keep answering.
  // The other sample files, concatenated as a weekly file is.
  std::string upload;
  for (const auto& entry : fs::recursive_directory_iterator(kSource / "data/sample/uspto")) {
    if (entry.path().extension() != ".xml" ||
        entry.path().filename() == "mpi-test-concatenated.xml") {
      continue;
    }
    std::ifstream f(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    upload += ss.str();
    upload += "\n";
  }
  ASSERT_GT(upload.size(), 100000u) << "the sample files are missing";
  const std::string token = [&] {
    auto tokens = store::TokenStore::OpenSqlite((home_ / "ipdx.db").string());
    EXPECT_TRUE(tokens.ok());
    auto created = CreateToken(**tokens, kScopeWrite | kScopeRead, "test");
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->token : std::string();
  }();
  std::atomic<bool> ingest_done = false;
  std::thread ingest([&] {
    auto r = Client().Post("/ipdx/v1/patents", {{"Authorization", "Bearer " + token}}, upload,
                           "application/xml");
    EXPECT_TRUE(r);
    if (r) {
      EXPECT_EQ(r->status, 200) << r->body;
    }
    ingest_done = true;
  });
  std::atomic<int> searches = 0;
  std::vector<std::thread> searchers;
  for (int t = 0; t < 6; ++t) {
    searchers.emplace_back([&] {
      for (int i = 0; i < 15; ++i) {
        const Json j = Search("tractor OR vehicle");
        const std::set<std::string> ids = Ids(j);
        // Everything found before the ingest is still found; anything else is new.
        for (const std::string& id : expected) EXPECT_TRUE(ids.count(id)) << id;
        for (const std::string& a : Actions(j)) {
          EXPECT_TRUE(a == "stale" || a == "caughtUp") << j["notices"].dump();
        }
        ++searches;
      }
    });
  }
  for (auto& t : searchers) t.join();
  ingest.join();
  EXPECT_EQ(searches, 6 * 15);
  EXPECT_TRUE(ingest_done);

  // Once the ingest is done, searches see everything, with no notice.
  const Json after = Search("tractor OR vehicle");
  EXPECT_TRUE(after["notices"].empty()) << after.dump();
  const Json all = Search("pd>=1900");
  auto listed = Client().Get("/ipdx/v1/patents?limit=1");
  ASSERT_TRUE(listed);
  EXPECT_EQ(all["total"], Json::parse(listed->body)["total"]) << "every stored record is found";
}

TEST_F(ServeTest, IndexBehindIsCaughtUpAndDamagedIndexIsRebuilt) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const Json before = Search("tractor");
  ASSERT_FALSE(Ids(before).empty());
  ASSERT_TRUE(Search("tractor")["notices"].empty());  // the read-only path

  ASSERT_NO_FATAL_FAILURE(NewVersionBehindTheIndex("US-11147203-B2", "Zyzzyvaword"));
  const Json caught = Search("ti:zyzzyvaword");
  EXPECT_EQ(Ids(caught), std::set<std::string>{"US-11147203-B2"}) << caught.dump();
  EXPECT_EQ(Actions(caught), std::set<std::string>{"caughtUp"}) << caught.dump();
  EXPECT_TRUE(Search("ti:zyzzyvaword")["notices"].empty());

  // Damage the index under the open handles: the search finds out and the node rebuilds it.
  for (const auto& entry : fs::directory_iterator(home_ / "index")) {
    if (entry.path().extension() != ".glass") continue;
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    const std::string junk(8192 * 4, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const Json rebuilt = Search("ti:zyzzyvaword");
  EXPECT_EQ(Ids(rebuilt), std::set<std::string>{"US-11147203-B2"}) << rebuilt.dump();
  EXPECT_TRUE(Actions(rebuilt).count("rebuilt")) << rebuilt.dump();
  const Json next = Search("tractor");
  EXPECT_EQ(Ids(next), Ids(before));
  EXPECT_TRUE(next["notices"].empty()) << next.dump();
}

// Under a load beyond the handles, searches are served in arrival order: a handle given back goes
// to the request that has waited longest, never to one that arrives later (such barging is what
// left some searches waiting past the client's timeout while others were served).
TEST_F(ServeTest, SearchPoolServesWaitingRequestsInArrivalOrder) {
  SearchPool pool((home_ / "index").string(), /*max_handles=*/1);
  std::optional<Result<SearchPool::Lease>> first(pool.Acquire());
  ASSERT_TRUE(first->ok()) << first->status().ToString();
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> waiters;
  constexpr int kWaiters = 6;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&pool, &mu, &order, i] {
      Result<SearchPool::Lease> lease = pool.Acquire();
      EXPECT_TRUE(lease.ok());
      std::lock_guard lock(mu);  // released before the lease: the order is recorded first
      order.push_back(i);
    });
    while (pool.waiting() < static_cast<size_t>(i + 1)) std::this_thread::yield();
  }
  first.reset();  // the handle goes to waiter 0, not to the request below that comes later
  {
    Result<SearchPool::Lease> late = pool.Acquire();
    ASSERT_TRUE(late.ok());
    std::lock_guard lock(mu);
    order.push_back(kWaiters);
  }
  for (std::thread& t : waiters) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, kWaiters}));
  EXPECT_EQ(pool.open_handles(), 1u);
  EXPECT_EQ(pool.waiting(), 0u);
}

}  // namespace
}  // namespace ipdx::api
