// Unit tests of the HTTP side of exchange: the peer client (signed requests, zstd, retries,
// fallback to unsigned reads, error messages) against a scripted httplib server, and the access
// rules of the exchange routes (feed = "peers", cosignatures need a peer or an admin token)
// against the real Server in this process. Exchange end to end: tests/exchange/.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "api/api.h"
#include "api/internal.h"
#include "service/service.h"

namespace ipdx::api {
namespace {

namespace fs = std::filesystem;

ledger::SignerKey TestKey(const std::string& name) {
  std::array<uint8_t, 32> seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i * 7 + name.size());
  return ledger::SignerKey::FromSeed(name, ledger::KeyType::kEd25519, seed).value();
}

// A scripted peer: an httplib server on a free loopback port that records every request.
class FakePeer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  explicit FakePeer(Handler handler) : handler_(std::move(handler)) {
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu_);
        requests_.push_back(req);
      }
      handler_(req, res);
    };
    server_.Get(".*", record);
    server_.Post(".*", record);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakePeer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  std::vector<httplib::Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  Handler handler_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<httplib::Request> requests_;
};

HttpMessage MessageOf(const httplib::Request& req) {
  HttpMessage m;
  m.method = req.method;
  m.path = req.path;
  m.authority = req.get_header_value("Host");
  m.scheme = "http";
  for (const char* h : {"signature", "signature-input", "content-digest"}) {
    if (req.has_header(h)) m.headers[h] = req.get_header_value(h);
  }
  return m;
}

PeerClientOptions FastRetries() {
  PeerClientOptions o;
  o.retries = 2;
  o.backoff_ms = 10;
  o.connect_timeout_s = 2;
  o.read_timeout_s = 5;
  return o;
}

TEST(PeerClient, SignsEveryRequestSoThePeerCanVerifyIt) {
  const ledger::SignerKey key = TestKey("ipdx/EP");
  FakePeer peer([](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"entries\":[]}", "application/json");
  });
  auto t = MakeHttpPeerTransport(peer.url(), key, FastRetries());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  exchange::ChangeRequest cr;
  cr.after = 5;
  cr.limit = 7;
  cr.known = 3;
  auto body = (*t)->GetChanges(cr);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, "{\"entries\":[]}");
  ASSERT_TRUE((*t)->PostCosignature("checkpoint note\n").ok());

  auto reqs = peer.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].path, "/ipdx/v1/changes");
  EXPECT_EQ(reqs[0].get_param_value("after"), "5");
  EXPECT_EQ(reqs[0].get_param_value("limit"), "7");
  EXPECT_EQ(reqs[0].get_param_value("known"), "3");
  EXPECT_EQ(reqs[0].get_header_value("Accept-Encoding"), "zstd");
  EXPECT_EQ(reqs[1].path, "/ipdx/v1/log/cosignatures");
  EXPECT_EQ(reqs[1].body, "checkpoint note\n");
  EXPECT_EQ(reqs[1].get_header_value("Content-Type").rfind("text/plain", 0), 0u);

  // The peer verifies both with our pinned key; each request carries its own nonce.
  std::map<std::string, ledger::VerifierKey> pinned = {{key.name(), key.verifier()}};
  NonceCache nonces;
  for (const auto& r : reqs) {
    auto who =
        VerifyRequest(MessageOf(r), ContentDigest(r.body), pinned, nonces, internal::NowUnix());
    ASSERT_TRUE(who.ok()) << r.path << ": " << who.status().ToString();
    EXPECT_EQ(*who, "ipdx/EP");
  }
  // A replay of the first request is refused by the peer's nonce cache.
  auto replay =
      VerifyRequest(MessageOf(reqs[0]), ContentDigest(""), pinned, nonces, internal::NowUnix());
  EXPECT_EQ(replay.status().code(), StatusCode::kPermissionDenied);
  EXPECT_GT((*t)->bytes_received(), 14u);
}

TEST(PeerClient, DecompressesZstdAndCountsWireBytes) {
  const std::string json = "{\"entries\":[" + std::string(20000, ' ') + "]}";
  const std::string packed = exchange::ZstdCompress(json);
  FakePeer peer([&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Encoding", "zstd");
    res.set_content(packed, "application/json; charset=utf-8");
  });
  const ledger::SignerKey key = TestKey("ipdx/US");
  auto t = MakeHttpPeerTransport(peer.url() + "/", key, FastRetries());
  ASSERT_TRUE(t.ok());
  auto body = (*t)->GetChanges({});
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, json);
  EXPECT_GE((*t)->bytes_received(), packed.size());
  EXPECT_LT((*t)->bytes_received(), packed.size() + 1000);  // body + headers, not the JSON
}

TEST(PeerClient, RetriesTransientFailuresThenSucceeds) {
  std::atomic<int> calls{0};
  FakePeer peer([&](const httplib::Request&, httplib::Response& res) {
    if (calls.fetch_add(1) < 2) {
      res.status = 503;
      res.set_content(ErrorBody("unavailable", "busy"), "application/json");
      return;
    }
    res.set_content("{}", "application/json");
  });
  const ledger::SignerKey key = TestKey("ipdx/US");
  auto t = MakeHttpPeerTransport(peer.url(), key, FastRetries());
  ASSERT_TRUE(t.ok());
  auto body = (*t)->GetChanges({});
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(calls.load(), 3);
  // Every attempt is signed anew (a fresh nonce), or the peer would refuse the retry as a replay.
  auto reqs = peer.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_NE(reqs[0].get_header_value("Signature-Input"),
            reqs[1].get_header_value("Signature-Input"));
}

TEST(PeerClient, ErrorsNameTheUrlStatusAndPeerMessage) {
  FakePeer peer([](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content(ErrorBody("invalidArgument", "after is beyond the checkpoint"),
                    "application/json");
  });
  const ledger::SignerKey key = TestKey("ipdx/US");
  auto t = MakeHttpPeerTransport(peer.url(), key, FastRetries());
  ASSERT_TRUE(t.ok());
  auto body = (*t)->GetChanges({});
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = body.status().message();
  EXPECT_NE(m.find(peer.url()), std::string::npos) << m;
  EXPECT_NE(m.find("HTTP 400"), std::string::npos) << m;
  EXPECT_NE(m.find("after is beyond the checkpoint"), std::string::npos) << m;
  EXPECT_EQ(peer.requests().size(), 1u);  // a 400 is not retried
}

TEST(PeerClient, UnreachablePeerIsUnavailableAfterRetries) {
  int port = 0;
  {
    FakePeer gone([](const httplib::Request&, httplib::Response&) {});
    port = gone.port();
  }  // closed: nothing listens there now
  const ledger::SignerKey key = TestKey("ipdx/US");
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto t = MakeHttpPeerTransport(url, key, FastRetries());
  ASSERT_TRUE(t.ok());
  auto body = (*t)->GetChanges({});
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(body.status().message().find(url), std::string::npos);
  EXPECT_NE(body.status().message().find("3 attempts"), std::string::npos)
      << body.status().message();
}

TEST(PeerClient, ReadsFallBackToUnsignedWhenThePeerHasNotPinnedUs) {
  FakePeer peer([](const httplib::Request& req, httplib::Response& res) {
    if (req.has_header("Signature")) {
      res.status = 401;
      res.set_content(ErrorBody("badSignature", "key 'ipdx/US' is not a pinned peer key"),
                      "application/json");
      return;
    }
    res.set_content("{\"ok\":1}", "application/json");
  });
  const ledger::SignerKey key = TestKey("ipdx/US");
  auto t = MakeHttpPeerTransport(peer.url(), key, FastRetries());
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE((*t)->GetChanges({}).ok());
  ASSERT_TRUE((*t)->GetChanges({}).ok());
  auto reqs = peer.requests();
  ASSERT_EQ(reqs.size(), 3u);  // signed, unsigned, then unsigned from the start
  EXPECT_FALSE(reqs[2].has_header("Signature"));
  // A cosignature is never sent unsigned: it fails instead.
  Status st = (*t)->PostCosignature("note\n");
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  EXPECT_TRUE(peer.requests().back().has_header("Signature"));
}

TEST(PeerClient, RefusesBadUrls) {
  const ledger::SignerKey key = TestKey("ipdx/US");
  for (const char* url : {"ftp://x", "127.0.0.1:80", "http://", "http://user@host",
                          "http://host:99999", "http://host/a?b"}) {
    auto t = MakeHttpPeerTransport(url, key);
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << url;
  }
}

// ---- the exchange routes on the real server ----------------------------------------------------

class ServerInProcess : public ::testing::Test {
 protected:
  void Start(const std::string& feed) {
    home_ = fs::temp_directory_path() /
            ("ipdx-peer-client-test-" + std::to_string(::getpid()) + "-" + feed);
    fs::remove_all(home_);
    ASSERT_TRUE(service::Node::Init(home_.string(), {"US", ""}).ok());
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.threads = 2;
    config.feed = feed;
    config.rate_limit = 0;
    config.access_log = (home_ / "access.log").string();
    config.audit_log = (home_ / "audit.log").string();
    config.peer_keys = {peer_key_.verifier().ToString()};
    auto server = Server::Create(home_.string(), config);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    auto url = server_->Bind();
    ASSERT_TRUE(url.ok());
    url_ = *url;
    thread_ = std::thread([this] { (void)server_->Run(); });
  }
  void TearDown() override {
    if (server_) {
      server_->Stop();
      thread_.join();
      server_.reset();
    }
    fs::remove_all(home_);
  }
  httplib::Client Client() {
    httplib::Client c(url_);
    c.set_read_timeout(10, 0);
    return c;
  }
  std::string AdminToken() {
    auto tokens = store::TokenStore::OpenSqlite((home_ / "ipdx.db").string());
    EXPECT_TRUE(tokens.ok());
    auto t = CreateToken(**tokens, kScopeAdmin, "test");
    EXPECT_TRUE(t.ok());
    return t->token;
  }
  std::string WriteToken() {
    auto tokens = store::TokenStore::OpenSqlite((home_ / "ipdx.db").string());
    auto t = CreateToken(**tokens, kScopeWrite, "test");
    EXPECT_TRUE(t.ok());
    return t->token;
  }

  ledger::SignerKey peer_key_ = TestKey("ipdx/EP");
  fs::path home_;
  std::unique_ptr<Server> server_;
  std::string url_;
  std::thread thread_;
};

TEST_F(ServerInProcess, FeedForPeersRefusesUnsignedAndUnknownKeys) {
  Start("peers");
  auto c = Client();
  auto r = c.Get("/ipdx/v1/changes?after=0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  EXPECT_NE(r->body.find("pinned peers only"), std::string::npos) << r->body;

  // Signed by a key the node has not pinned: refused, and the client cannot fall back either.
  const ledger::SignerKey stranger = TestKey("ipdx/JP");
  auto t = MakeHttpPeerTransport(url_, stranger, FastRetries());
  ASSERT_TRUE(t.ok());
  auto batch = (*t)->GetChanges({});
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().code(), StatusCode::kPermissionDenied) << batch.status().ToString();

  // Bad parameters are refused before any work, once the caller may read the feed.
  auto admin = AdminToken();
  httplib::Headers h = {{"Authorization", "Bearer " + admin}};
  auto bad = c.Get("/ipdx/v1/changes?limit=0", h);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  bad = c.Get("/ipdx/v1/changes?after=x", h);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
}

TEST_F(ServerInProcess, PublicFeedAnswersUnsignedReadsWithTheOneErrorShapeOrABatch) {
  Start("public");
  auto c = Client();
  auto r = c.Get("/ipdx/v1/changes?after=0&limit=10");
  ASSERT_TRUE(r);
  // A batch (200) when the feed is built, otherwise a standard error body; never 401.
  EXPECT_NE(r->status, 401) << r->body;
  EXPECT_NE(r->body.find('{'), std::string::npos);
  auto node = c.Get("/ipdx/v1/node");
  ASSERT_TRUE(node);
  EXPECT_NE(node->body.find("\"feed\":\"public\""), std::string::npos) << node->body;
}

TEST_F(ServerInProcess, CosignaturesNeedAPinnedPeerOrAnAdminToken) {
  Start("public");
  auto c = Client();
  auto anon = c.Post("/ipdx/v1/log/cosignatures", "x\n", "text/plain");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401) << anon->body;
  httplib::Headers w = {{"Authorization", "Bearer " + WriteToken()}};
  auto write = c.Post("/ipdx/v1/log/cosignatures", w, "x\n", "text/plain");
  ASSERT_TRUE(write);
  EXPECT_EQ(write->status, 403) << write->body;
  // A pinned peer gets through the access rules; the note itself is then judged (it is not one
  // of our checkpoints), so the answer is an error about the note, not about access.
  auto t = MakeHttpPeerTransport(url_, peer_key_, FastRetries());
  ASSERT_TRUE(t.ok());
  Status st = (*t)->PostCosignature("not a checkpoint\n");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message().find("badSignature"), std::string::npos) << st.ToString();
  EXPECT_EQ(st.message().find("HTTP 401"), std::string::npos) << st.ToString();
  EXPECT_EQ(st.message().find("accepted from pinned peers"), std::string::npos) << st.ToString();
}

TEST(ServerConfigFeed, ReadAndValidated) {
  const fs::path dir = fs::temp_directory_path() / ("ipdx-feed-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path toml = dir / "ipdx.toml";
  { std::ofstream(toml) << "[server]\nfeed = \"peers\"\n"; }
  ServerConfig c;
  ASSERT_TRUE(ReadServerConfig(toml.string(), &c).ok());
  EXPECT_EQ(c.feed, "peers");
  { std::ofstream(toml) << "[server]\nfeed = \"everyone\"\n"; }
  Status st = ReadServerConfig(toml.string(), &c);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("feed"), std::string::npos);
  ServerConfig v;
  v.feed = "nobody";
  EXPECT_EQ(ValidateServerConfig(v).code(), StatusCode::kInvalidArgument);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ipdx::api
