// Exchange between offices end to end (issue 6, docs/formats/exchange.md): real `ipdx serve`
// processes of different offices on loopback port 0, each in its own temporary node folder with
// real sample data ingested, and the real `ipdx peer` / `ipdx bundle` commands between them.
//
//   US  data/sample/uspto/mpi-test-concatenated.xml (USPTO grant red book)
//   EP  data/sample/epo/grant (EPO ST.36 grants)
//   CN  data/sample/cn-jp (CNIPA and JPO ST.36)
//
// A TCP proxy in this process sits between a receiver and a publisher where a test needs to cut,
// stall or tamper with the connection, or to put another node behind the same URL (a forked or
// rolled-back log served under the same key). Seed nodes are ingested once per test process and
// copied (`cp -a`, keys included) for each test.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../cli/serve_process.h"
#include "api/api.h"
#include "api/internal.h"
#include "exchange/exchange.h"
#include "ledger/ledger.h"

namespace ipdx {
namespace {

const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::ReadFile;
using testing::RunIpdxAt;
using testing::RunResult;

const fs::path kSource = IPDX_SOURCE_DIR;

Json Parse(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

int Sh(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// ---- a node folder and its server ---------------------------------------------------------------

// One `ipdx serve` child process, without rate limits (the tests sync in quick succession).
class ServeProcess : public ipdx::testing::ServerProcess {
 public:
  explicit ServeProcess(const fs::path& home, std::vector<std::string> flags = {})
      : ipdx::testing::ServerProcess(home, WithoutRateLimit(std::move(flags))) {}

 private:
  static std::vector<std::string> WithoutRateLimit(std::vector<std::string> flags) {
    flags.insert(flags.begin(), {"--rate-limit", "0"});
    return flags;
  }
};

// ---- a TCP proxy that can cut, stall or tamper
// ---------------------------------------------------

class Proxy {
 public:
  enum class Mode {
    kPass,
    kCutChanges,    // cut the connection after `bytes` of a /changes response (first `count`)
    kStallChanges,  // from the `count`-th /changes request on, forward nothing more
    kBadSignature,  // ask for plain JSON, corrupt the checkpoint's log signature in /changes
  };

  explicit Proxy(int backend_port) : backend_port_(backend_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(listen_fd_, 64);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~Proxy() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    accept_thread_.join();
    std::lock_guard lock(mu_);
    for (auto& t : conn_threads_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void SetBackend(int port) { backend_port_ = port; }
  void SetMode(Mode mode, uint64_t bytes = 0, int count = 0) {
    std::lock_guard lock(mu_);
    mode_ = mode;
    bytes_ = bytes;
    count_ = count;
    changes_seen_ = 0;
    cut_done_ = 0;
    stalled_ = false;
  }
  bool stalled() {
    std::lock_guard lock(mu_);
    return stalled_;
  }
  int cuts() {
    std::lock_guard lock(mu_);
    return cut_done_;
  }

 private:
  static bool WriteAll(int fd, const char* data, size_t n) {
    while (n > 0) {
      ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      data += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  void AcceptLoop() {
    while (!stop_) {
      int c = accept(listen_fd_, nullptr, nullptr);
      if (c < 0) return;
      std::lock_guard lock(mu_);
      conn_threads_.emplace_back([this, c] { Serve(c); });
    }
  }

  void Serve(int client) {
    int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(backend_port_.load()));
    if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(server);
      close(client);
      return;
    }
    bool changes_response = false;  // the request in flight on this connection is /changes
    bool stall = false, tamper = false;
    uint64_t response_bytes = 0;
    std::string tamper_buffer;
    char buf[65536];
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    while (!stop_) {
      if (poll(fds, 2, 100) <= 0) continue;
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = recv(client, buf, sizeof buf, 0);
        if (n <= 0) break;
        std::string req(buf, static_cast<size_t>(n));
        if (req.rfind("GET /ipdx/v1/changes", 0) == 0) {
          std::lock_guard lock(mu_);
          changes_response = true;
          response_bytes = 0;
          ++changes_seen_;
          stall = mode_ == Mode::kStallChanges && changes_seen_ >= count_;
          if (stall) stalled_ = true;
          tamper = mode_ == Mode::kBadSignature;
        } else if (req.rfind("GET ", 0) == 0 || req.rfind("POST ", 0) == 0) {
          changes_response = false;
        }
        if (stall) continue;  // swallow: the receiver waits for an answer that never comes
        if (tamper && changes_response) {
          // Plain JSON, one response per connection, so the whole body can be rewritten.
          size_t at = req.find("Accept-Encoding: zstd");
          if (at != std::string::npos) req.replace(at, 21, "Accept-Encoding: identity");
          at = req.find("\r\n");
          if (at != std::string::npos) req.insert(at + 2, "Connection: close\r\n");
        }
        if (!WriteAll(server, req.data(), req.size())) break;
      }
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = recv(server, buf, sizeof buf, 0);
        if (n <= 0) {
          if (tamper && changes_response && !tamper_buffer.empty()) {
            CorruptSignature(&tamper_buffer);
            WriteAll(client, tamper_buffer.data(), tamper_buffer.size());
          }
          break;
        }
        if (stall) continue;
        if (tamper && changes_response) {
          tamper_buffer.append(buf, static_cast<size_t>(n));
          continue;
        }
        size_t forward = static_cast<size_t>(n);
        bool cut = false;
        if (changes_response) {
          std::lock_guard lock(mu_);
          if (mode_ == Mode::kCutChanges && cut_done_ < count_ &&
              response_bytes + forward > bytes_) {
            forward = static_cast<size_t>(bytes_ - response_bytes);
            cut = true;
            ++cut_done_;
          }
        }
        response_bytes += forward;
        if (!WriteAll(client, buf, forward)) break;
        if (cut) break;
      }
    }
    close(server);
    close(client);
  }

  // Flips one base64 character of the log signature line in the checkpoint note of the body.
  static void CorruptSignature(std::string* response) {
    const size_t body = response->find("\r\n\r\n");
    if (body == std::string::npos) return;
    const size_t cp = response->find("\"checkpoint\":\"", body);
    if (cp == std::string::npos) return;
    const std::string dash = "\xE2\x80\x94 ";  // "— " starts a signature line
    const size_t line = response->find(dash, cp);
    if (line == std::string::npos) return;
    const size_t space = response->find(' ', line + dash.size());
    if (space == std::string::npos) return;
    char& c = (*response)[space + 12];  // inside the signature bytes, after the key hash
    c = c == 'A' ? 'B' : 'A';
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> backend_port_;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> conn_threads_;
  Mode mode_ = Mode::kPass;
  uint64_t bytes_ = 0;
  int count_ = 0;
  int changes_seen_ = 0;
  int cut_done_ = 0;
  bool stalled_ = false;
};

// ---- seeds and fixtures
// ---------------------------------------------------------------------------

struct Seeds {
  fs::path root;
  fs::path us, ep, cn;
};

// Removes the seed nodes when the test process ends.
fs::path g_seed_root;
class SeedCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!g_seed_root.empty()) fs::remove_all(g_seed_root);
  }
};
[[maybe_unused]] ::testing::Environment* const kSeedCleanup =
    ::testing::AddGlobalTestEnvironment(new SeedCleanup);  // gtest owns it

const Seeds& SharedSeeds() {
  static const Seeds seeds = [] {
    Seeds s;
    char tmpl[] = "/tmp/ipdx-exchange-seeds-XXXXXX";
    s.root = mkdtemp(tmpl);
    g_seed_root = s.root;
    s.us = s.root / "US";
    s.ep = s.root / "EP";
    s.cn = s.root / "CN";
    const fs::path scratch = s.root;
    auto init = [&](const fs::path& home, const char* office, std::vector<std::string> inputs) {
      RunResult r = RunIpdxAt(home, {"init", "--office", office}, scratch);
      EXPECT_EQ(r.exit_code, 0) << r.err;
      std::vector<std::string> args = {"ingest"};
      args.insert(args.end(), inputs.begin(), inputs.end());
      r = RunIpdxAt(home, args, scratch);
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    };
    init(s.us, "US", {(kSource / "data/sample/uspto/mpi-test-concatenated.xml").string()});
    init(s.ep, "EP", {(kSource / "data/sample/epo/grant").string()});
    init(s.cn, "CN", {(kSource / "data/sample/cn-jp").string()});
    return s;
  }();
  return seeds;
}

class Exchange : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ipdx-exchange-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    if (::testing::Test::HasFailure()) {
      std::fprintf(stderr, "kept %s for inspection\n", dir_.c_str());
      return;
    }
    fs::remove_all(dir_);
  }
  // A copy of a seed node (keys included) under this test's folder.
  fs::path Copy(const fs::path& from, const std::string& name) {
    const fs::path to = dir_ / name;
    EXPECT_EQ(Sh("cp -a '" + from.string() + "' '" + to.string() + "'"), 0);
    return to;
  }
  RunResult Ipdx(const fs::path& home, const std::vector<std::string>& args) {
    return RunIpdxAt(home, args, dir_);
  }
  Json PeerStatus(const fs::path& home, const std::string& peer) {
    RunResult r = Ipdx(home, {"peer", "status", peer, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Json j = Parse(r.out);
    if (!j.is_array() || j.empty()) return Json::object();
    return j[0];
  }
  void AddPeer(const fs::path& home, const std::string& url, const std::string& name = {}) {
    std::vector<std::string> args = {"peer", "add", url, "--yes"};
    if (!name.empty()) args.insert(args.end(), {"--name", name});
    RunResult r = Ipdx(home, args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("SHA256:"), std::string::npos) << r.out;
  }
  // Rows of `sql` (one integer) in a node's store.
  static int64_t Count(const fs::path& home, const std::string& sql) {
    sqlite3* db = nullptr;
    int64_t n = -1;
    if (sqlite3_open_v2((home / "ipdx.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
        SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
  }
  static int64_t RecordsOf(const fs::path& home, const std::string& publisher) {
    return Count(home, "SELECT COUNT(*) FROM records WHERE publisher = '" + publisher + "'");
  }
  static int64_t LogSize(const fs::path& home) {
    return Count(home, "SELECT COALESCE(MAX(tree_size), 0) FROM log_checkpoints");
  }
  // Checks the refusal of a bad peer: non-zero exit, the peer named, evidence of `kinds` kept and
  // listed by `peer status`, and nothing of the bad batch stored.
  void ExpectRefused(const fs::path& receiver, const std::string& peer, const RunResult& r,
                     const std::vector<std::string>& kinds, int64_t records_before) {
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("peer " + peer), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("evidence"), std::string::npos) << r.err;
    Json st = PeerStatus(receiver, peer);
    EXPECT_GE(st.value("evidence", 0), 1) << st.dump();
    EXPECT_FALSE(st.value("last_error", "").empty()) << st.dump();
    ASSERT_TRUE(st.contains("evidence_list")) << st.dump();
    ASSERT_FALSE(st["evidence_list"].empty()) << st.dump();
    const std::string kind = st["evidence_list"].back().value("kind", "");
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), kind), kinds.end()) << st.dump();
    EXPECT_FALSE(st["evidence_list"].back().value("checkpoint_after", "").empty()) << st.dump();
    EXPECT_EQ(RecordsOf(receiver, peer), records_before);
    // The human view lists it too.
    RunResult text = Ipdx(receiver, {"peer", "status", peer});
    EXPECT_NE(text.out.find(kind), std::string::npos) << text.out;
  }

  fs::path dir_;
};

// ---- three offices -----------------------------------------------------------------------------

TEST_F(Exchange, ThreeOfficesSyncAllWaysSearchAndWitnessEachOther) {
  const Seeds& seeds = SharedSeeds();
  std::map<std::string, fs::path> homes = {
      {"US", Copy(seeds.us, "US")}, {"EP", Copy(seeds.ep, "EP")}, {"CN", Copy(seeds.cn, "CN")}};
  std::map<std::string, std::unique_ptr<ServeProcess>> servers;
  for (const auto& [office, home] : homes) {
    servers[office] = std::make_unique<ServeProcess>(home);
    ASSERT_TRUE(servers[office]->ok()) << office;
  }
  for (const auto& [office, home] : homes) {
    for (const auto& [other, unused] : homes) {
      if (other != office) AddPeer(home, servers[other]->url());
    }
    RunResult list = Ipdx(home, {"peer", "list", "--json"});
    ASSERT_EQ(list.exit_code, 0) << list.err;
    EXPECT_EQ(Parse(list.out).size(), 2u) << list.out;
  }
  // Pinning twice is refused.
  RunResult again = Ipdx(homes["US"], {"peer", "add", servers["EP"]->url(), "--yes"});
  EXPECT_NE(again.exit_code, 0);

  for (int round = 0; round < 2; ++round) {
    for (const auto& [office, home] : homes) {
      RunResult r = Ipdx(home, {"peer", "sync", "--json"});
      ASSERT_EQ(r.exit_code, 0) << office << ": " << r.out << r.err;
      Json reports = Parse(r.out);
      ASSERT_EQ(reports.size(), 2u) << r.out;
      for (const auto& rep : reports) {
        EXPECT_TRUE(rep.value("ok", false)) << rep.dump();
        EXPECT_EQ(rep.value("to_cursor", uint64_t{0}),
                  static_cast<uint64_t>(LogSize(homes[rep.value("peer", "")])))
            << rep.dump();
        if (round == 0) {
          EXPECT_TRUE(rep.value("cosigned", false)) << rep.dump();
        }
      }
    }
  }
  // Every node holds every other office's records as that office's copies.
  for (const auto& [office, home] : homes) {
    for (const auto& [other, other_home] : homes) {
      if (other == office) continue;
      EXPECT_EQ(RecordsOf(home, other), RecordsOf(other_home, other)) << office << " <- " << other;
      Json st = PeerStatus(home, other);
      EXPECT_EQ(st.value("lag", uint64_t{99}), 0u) << st.dump();
      EXPECT_EQ(st.value("evidence", 1), 0) << st.dump();
      EXPECT_TRUE(st.value("last_error", "x").empty()) << st.dump();
    }
  }
  // Search on US finds the EP and CN records (the index caught up with the synced records).
  httplib::Client us("127.0.0.1", servers["US"]->port());
  us.set_read_timeout(60, 0);
  auto check_search = [&](const std::string& publisher, const std::string& query) {
    auto r = us.Get("/ipdx/v1/patents/search?limit=50&q=" + query);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    Json hits = Parse(r->body)["hits"];
    bool found = false;
    for (const auto& h : hits) found = found || h.value("publisher", "") == publisher;
    EXPECT_TRUE(found) << publisher << " " << r->body.substr(0, 2000);
  };
  check_search("EP", "cc:EP");
  check_search("CN", "cc:CN");
  RunResult cli_search = Ipdx(homes["EP"], {"search", "cc:US", "--json"});
  EXPECT_EQ(cli_search.exit_code, 0) << cli_search.err;
  EXPECT_NE(cli_search.out.find("US-"), std::string::npos) << cli_search.out;

  // Witnessing: each node's checkpoint carries the other two offices' cosignatures.
  for (const auto& [office, home] : homes) {
    httplib::Client c("127.0.0.1", servers[office]->port());
    auto r = c.Get("/ipdx/v1/log/checkpoint");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    for (const auto& [other, unused] : homes) {
      if (other == office) continue;
      EXPECT_NE(r->body.find("\xE2\x80\x94 ipdx/" + other + "/witness "), std::string::npos)
          << office << " lacks " << other << "'s cosignature:\n"
          << r->body;
    }
  }
  // ... and the receivers count them on the checkpoint they verified in the second round.
  Json st = PeerStatus(homes["US"], "EP");
  EXPECT_GE(st.value("witnesses", 0), 1) << st.dump();
}

// ---- interrupted syncs
// ---------------------------------------------------------------------------

TEST_F(Exchange, KilledSyncResumesWithNothingLostOrDoubled) {
  const Seeds& seeds = SharedSeeds();
  const fs::path ep = Copy(seeds.ep, "EP"), us = Copy(seeds.us, "US");
  ServeProcess ep_server(ep);
  ASSERT_TRUE(ep_server.ok());
  Proxy proxy(ep_server.port());
  AddPeer(us, proxy.url(), "EP");
  proxy.SetMode(Proxy::Mode::kStallChanges, 0, 4);  // three batches pass, the fourth hangs

  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(IPDX_BINARY, IPDX_BINARY, "--home", us.c_str(), "peer", "sync", "EP", "--batch", "2",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!proxy.stalled() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(proxy.stalled());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);

  Json st = PeerStatus(us, "EP");
  const uint64_t cursor = st.value("cursor", uint64_t{0});
  EXPECT_GT(cursor, 0u) << st.dump();
  EXPECT_LT(cursor, static_cast<uint64_t>(LogSize(ep))) << st.dump();
  EXPECT_EQ(static_cast<uint64_t>(RecordsOf(us, "EP")), cursor);  // batches are all or nothing

  proxy.SetMode(Proxy::Mode::kPass);
  RunResult r = Ipdx(us, {"peer", "sync", "EP", "--batch", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json rep = Parse(r.out)[0];
  EXPECT_EQ(rep.value("from_cursor", uint64_t{0}), cursor) << rep.dump();
  EXPECT_EQ(RecordsOf(us, "EP"), RecordsOf(ep, "EP"));
  EXPECT_EQ(Count(us,
                  "SELECT COUNT(*) FROM (SELECT id FROM records WHERE publisher = 'EP' "
                  "GROUP BY id, version HAVING COUNT(*) > 1)"),
            0);
  // A second run has nothing to do.
  r = Ipdx(us, {"peer", "sync", "EP", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Parse(r.out)[0].value("entries", uint64_t{99}), 0u) << r.out;
  EXPECT_EQ(RecordsOf(us, "EP"), RecordsOf(ep, "EP"));
}

TEST_F(Exchange, ConnectionCutMidBatchKeepsNothingPartialAndRetries) {
  const Seeds& seeds = SharedSeeds();
  const fs::path ep = Copy(seeds.ep, "EP"), us = Copy(seeds.us, "US");
  ServeProcess ep_server(ep);
  ASSERT_TRUE(ep_server.ok());
  Proxy proxy(ep_server.port());
  AddPeer(us, proxy.url(), "EP");

  // Every connection is cut 700 bytes into a batch: the sync fails cleanly, naming the URL.
  proxy.SetMode(Proxy::Mode::kCutChanges, 700, 1000);
  RunResult r = Ipdx(us, {"peer", "sync", "EP", "--retries", "1"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find(proxy.url()), std::string::npos) << r.err;
  EXPECT_GE(proxy.cuts(), 2);  // the first attempt and the retry
  EXPECT_EQ(RecordsOf(us, "EP"), 0);
  EXPECT_EQ(PeerStatus(us, "EP").value("cursor", uint64_t{99}), 0u);

  // Only the first connection is cut: the retry finishes the job.
  proxy.SetMode(Proxy::Mode::kCutChanges, 700, 1);
  r = Ipdx(us, {"peer", "sync", "EP", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(proxy.cuts(), 1);
  EXPECT_EQ(RecordsOf(us, "EP"), RecordsOf(ep, "EP"));
}

// ---- misbehaving publishers
// -----------------------------------------------------------------------

// Two copies of one EP node (same keys): the original grows one way, the copy another.
class Misbehaving : public Exchange {
 protected:
  void SetUp() override {
    Exchange::SetUp();
    const Seeds& seeds = SharedSeeds();
    ep_ = Copy(seeds.ep, "EP");
    snapshot_ = Copy(ep_, "EP-snapshot");
    us_ = Copy(seeds.us, "US");
  }
  void Ingest(const fs::path& home, const std::vector<std::string>& files) {
    std::vector<std::string> args = {"ingest"};
    for (const auto& f : files)
      args.push_back((kSource / "data/sample/epo/application" / f).string());
    RunResult r = Ipdx(home, args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  // Serves ep_ through a proxy, pins it on us_ and syncs once; *before = EP records us_ holds.
  void PinAndSyncHonestly(int64_t* before) {
    server_ = std::make_unique<ServeProcess>(ep_);
    ASSERT_TRUE(server_->ok());
    proxy_ = std::make_unique<Proxy>(server_->port());
    AddPeer(us_, proxy_->url(), "EP");
    RunResult r = Ipdx(us_, {"peer", "sync", "EP"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    *before = RecordsOf(us_, "EP");
  }
  // The same URL (the proxy) now reaches a server of `home`, which holds the same keys.
  void ServeInstead(const fs::path& home) {
    server_.reset();
    server_ = std::make_unique<ServeProcess>(home);
    ASSERT_TRUE(server_->ok());
    proxy_->SetBackend(server_->port());
  }
  fs::path ep_, snapshot_, us_;
  std::unique_ptr<ServeProcess> server_;
  std::unique_ptr<Proxy> proxy_;
};

TEST_F(Misbehaving, ForkedLogIsRefusedWithEvidence) {
  const fs::path fork = Copy(snapshot_, "EP-fork");
  Ingest(ep_, {"v1-0-A1.xml", "v1-1-A1.xml"});
  Ingest(fork, {"v1-3-A1.xml", "v1-5-A1.xml"});
  int64_t before = 0;
  ASSERT_NO_FATAL_FAILURE(PinAndSyncHonestly(&before));

  // The same key now serves another history under the same URL.
  ASSERT_NO_FATAL_FAILURE(ServeInstead(fork));
  RunResult r = Ipdx(us_, {"peer", "sync", "EP"});
  ExpectRefused(us_, "EP", r, {"fork", "inconsistent"}, before);
  // Refused again on the next try: the peer stays stopped, nothing is stored.
  r = Ipdx(us_, {"peer", "sync", "EP"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(RecordsOf(us_, "EP"), before);
}

TEST_F(Misbehaving, RolledBackCheckpointIsRefusedWithEvidence) {
  Ingest(ep_, {"v1-0-A1.xml", "v1-1-A1.xml"});
  int64_t before = 0;
  ASSERT_NO_FATAL_FAILURE(PinAndSyncHonestly(&before));

  ASSERT_NO_FATAL_FAILURE(ServeInstead(snapshot_));  // an older backup of the node, restored
  RunResult r = Ipdx(us_, {"peer", "sync", "EP"});
  ExpectRefused(us_, "EP", r, {"rollback"}, before);
}

TEST_F(Misbehaving, TamperedRecordIsRefusedWithEvidence) {
  int64_t before = 0;
  ASSERT_NO_FATAL_FAILURE(PinAndSyncHonestly(&before));
  server_.reset();  // the publisher is stopped while its database is edited

  // New records on the publisher, one of them edited in its database behind ipdx's back.
  Ingest(ep_, {"v1-0-A1.xml", "v1-1-A1.xml"});
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((ep_ / "ipdx.db").c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE records SET json = json_set(json, '$.titles[0].text', "
                         "'TAMPERED ' || json_extract(json, '$.titles[0].text')) "
                         "WHERE rowid = (SELECT MAX(rowid) FROM records)",
                         nullptr, nullptr, &err),
            SQLITE_OK)
      << (err ? err : "");
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);

  ASSERT_NO_FATAL_FAILURE(ServeInstead(ep_));
  RunResult r = Ipdx(us_, {"peer", "sync", "EP"});
  ExpectRefused(us_, "EP", r, {"tampered-record"}, before);
}

TEST_F(Misbehaving, BadCheckpointSignatureIsRefusedWithEvidence) {
  ServeProcess server(ep_);
  ASSERT_TRUE(server.ok());
  Proxy proxy(server.port());
  AddPeer(us_, proxy.url(), "EP");
  proxy.SetMode(Proxy::Mode::kBadSignature);
  RunResult r = Ipdx(us_, {"peer", "sync", "EP"});
  ExpectRefused(us_, "EP", r, {"bad-signature"}, 0);
  // The same publisher through an honest connection is fine.
  proxy.SetMode(Proxy::Mode::kPass);
  r = Ipdx(us_, {"peer", "sync", "EP"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RecordsOf(us_, "EP"), RecordsOf(ep_, "EP"));
}

// ---- offline bundles
// -------------------------------------------------------------------------------

TEST_F(Exchange, BundleRoundTripAndTamperedBundleRefused) {
  const Seeds& seeds = SharedSeeds();
  const fs::path ep = Copy(seeds.ep, "EP"), us = Copy(seeds.us, "US"), cn = Copy(seeds.cn, "CN");
  {
    ServeProcess server(ep);  // only for pinning: the bundle itself travels offline
    ASSERT_TRUE(server.ok());
    AddPeer(us, server.url(), "EP");
    AddPeer(cn, server.url(), "EP");
  }
  const fs::path bundle = dir_ / "ep.bundle";
  RunResult r = Ipdx(ep, {"bundle", "export", "--since", "0", "--out", bundle.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json summary = Parse(r.out);
  EXPECT_EQ(summary.value("to", uint64_t{0}), static_cast<uint64_t>(LogSize(ep)));
  ASSERT_TRUE(fs::exists(bundle));
  EXPECT_FALSE(fs::exists(bundle.string() + ".tmp"));

  r = Ipdx(us, {"bundle", "import", bundle.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(RecordsOf(us, "EP"), RecordsOf(ep, "EP"));
  Json st = PeerStatus(us, "EP");
  EXPECT_EQ(st.value("cursor", uint64_t{0}), static_cast<uint64_t>(LogSize(ep)));
  // Importing it again adds nothing.
  r = Ipdx(us, {"bundle", "import", bundle.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RecordsOf(us, "EP"), RecordsOf(ep, "EP"));

  // A bundle with one record rewritten (and re-compressed, so only the content is wrong).
  const fs::path work = dir_ / "unpacked";
  fs::create_directories(work);
  ASSERT_EQ(Sh("tar -xf '" + bundle.string() + "' -C '" + work.string() + "'"), 0);
  const fs::path batch = work / "changes" / "000000.json.zst";
  ASSERT_TRUE(fs::exists(batch));
  auto json = exchange::ZstdDecompress(ReadFile(batch), exchange::kMaxBatchBytes);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  Json b = Parse(*json);
  bool changed = false;
  for (auto& e : b["entries"]) {
    if (e.contains("record") && e["record"].contains("titles") && !e["record"]["titles"].empty()) {
      e["record"]["titles"][0]["text"] = "TAMPERED " + e["record"]["titles"][0].value("text", "");
      changed = true;
      break;
    }
  }
  ASSERT_TRUE(changed);
  {
    std::ofstream out(batch, std::ios::binary | std::ios::trunc);
    out << exchange::ZstdCompress(b.dump());
  }
  const fs::path tampered = dir_ / "tampered.bundle";
  ASSERT_EQ(Sh("tar --format=pax -cf '" + tampered.string() + "' -C '" + work.string() +
               "' changes bundle.json"),
            0);
  r = Ipdx(cn, {"bundle", "import", tampered.string()});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_EQ(RecordsOf(cn, "EP"), 0);
  Json cst = PeerStatus(cn, "EP");
  EXPECT_GE(cst.value("evidence", 0), 1) << cst.dump();
  // The untampered bundle is still fine for that node afterwards.
  r = Ipdx(cn, {"bundle", "import", bundle.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RecordsOf(cn, "EP"), RecordsOf(ep, "EP"));
}

// ---- access to the feed
// ------------------------------------------------------------------------------

TEST_F(Exchange, FeedForPeersRefusesUnsignedAndReplayedRequests) {
  const Seeds& seeds = SharedSeeds();
  const fs::path ep = Copy(seeds.ep, "EP"), us = Copy(seeds.us, "US");
  std::string skey = ReadFile(us / "keys" / "node.key");
  while (!skey.empty() && (skey.back() == '\n' || skey.back() == '\r')) skey.pop_back();
  auto us_key = ledger::SignerKey::Parse(skey);
  ASSERT_TRUE(us_key.ok()) << us_key.status().ToString();
  // EP pins US's key in its configuration (as an operator would before `peer add` exists).
  ServeProcess server(ep, {"--feed", "peers", "--peer-key", us_key->verifier().ToString()});
  ASSERT_TRUE(server.ok());

  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60, 0);
  auto anon = c.Get("/ipdx/v1/changes?after=0&limit=5");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401) << anon->body;
  EXPECT_EQ(Parse(anon->body).value("code", ""), "unauthenticated");

  // One signed request, sent twice: the first is served, the replay refused.
  const std::string authority = "127.0.0.1:" + std::to_string(server.port());
  api::HttpMessage msg;
  msg.method = "GET";
  msg.path = "/ipdx/v1/changes";
  msg.authority = authority;
  msg.scheme = "http";
  auto signed_headers = api::SignRequest(*us_key, msg, "", api::internal::NowUnix());
  ASSERT_TRUE(signed_headers.ok());
  httplib::Headers h = {{"Host", authority},
                        {"Content-Digest", signed_headers->content_digest},
                        {"Signature-Input", signed_headers->signature_input},
                        {"Signature", signed_headers->signature}};
  auto first = c.Get("/ipdx/v1/changes?after=0&limit=5", h);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200) << first->body;
  EXPECT_NE(first->body.find("ipdx-changes/1"), std::string::npos);
  auto replay = c.Get("/ipdx/v1/changes?after=0&limit=5", h);
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 401) << replay->body;
  EXPECT_NE(replay->body.find("replay"), std::string::npos) << replay->body;

  // The real receiver (pinned the other way round too) syncs through the restricted feed.
  AddPeer(us, server.url(), "EP");
  RunResult r = Ipdx(us, {"peer", "sync", "EP"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(RecordsOf(us, "EP"), RecordsOf(ep, "EP"));
  // A node EP has not pinned cannot read it.
  const fs::path cn = Copy(seeds.cn, "CN");
  AddPeer(cn, server.url(), "EP");
  r = Ipdx(cn, {"peer", "sync", "EP"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("pinned peers only"), std::string::npos) << r.err;
  EXPECT_EQ(RecordsOf(cn, "EP"), 0);
}

TEST_F(Exchange, PeerAddRefusesWithoutTerminalUnlessYes) {
  const Seeds& seeds = SharedSeeds();
  const fs::path ep = Copy(seeds.ep, "EP"), us = Copy(seeds.us, "US");
  ServeProcess server(ep);
  ASSERT_TRUE(server.ok());
  RunResult r = Ipdx(us, {"peer", "add", server.url()});  // stdin is not a terminal here
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--yes"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("SHA256:"), std::string::npos) << r.out;  // the fingerprint was shown
  r = Ipdx(us, {"peer", "list", "--json"});
  EXPECT_EQ(Parse(r.out).size(), 0u);
  AddPeer(us, server.url(), "europe");
  r = Ipdx(us, {"peer", "remove", "europe"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Ipdx(us, {"peer", "remove", "europe"});
  EXPECT_NE(r.exit_code, 0);
  // An unreachable peer: a clear error naming the URL.
  r = Ipdx(us, {"peer", "add", "http://127.0.0.1:1", "--yes"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("http://127.0.0.1:1"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ipdx
