// Integration tests of `ipdx serve` (issue 4): the real binary, started on port 0 in a temporary
// node folder holding the bundled USPTO sample, spoken to over HTTP and HTTPS.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../cli/serve_process.h"
#include "api/api.h"
#include "api/internal.h"
#include "ledger/ledger.h"

namespace ipdx {
namespace {

// The test's own TLS client writes to connections the server refuses (no client certificate);
// the write must fail with an error, not kill the test process with SIGPIPE.
const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

namespace fs = std::filesystem;
using Json = nlohmann::json;

const fs::path kSource = IPDX_SOURCE_DIR;
const std::string kSampleFile = (kSource / "data/sample/uspto/mpi-test-concatenated.xml").string();
constexpr const char* kRecordId = "US-11147202-B2";  // in mpi-test-concatenated.xml

std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs a command, returns (exit code, stdout).
std::pair<int, std::string> Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

std::string Ipdx(const fs::path& home) {
  return std::string(IPDX_BINARY) + " --home " + home.string() + " ";
}

// A node folder with the sample ingested, shared by the tests of one process.
class Node {
 public:
  Node() {
    char tmpl[] = "/tmp/ipdx-api-test-XXXXXX";
    home_ = mkdtemp(tmpl);
    EXPECT_EQ(Shell(Ipdx(home_) + "init --office US 2>&1").first, 0);
    auto [rc, out] = Shell(Ipdx(home_) + "ingest " + kSampleFile + " 2>&1");
    EXPECT_EQ(rc, 0) << out;
  }
  ~Node() { fs::remove_all(home_); }
  const fs::path& home() const { return home_; }
  std::string Token(const std::string& scope) {
    auto [rc, out] = Shell(Ipdx(home_) + "token create --scope " + scope + " --name t 2>/dev/null");
    EXPECT_EQ(rc, 0);
    while (!out.empty() && (out.back() == '\n')) out.pop_back();
    return out;
  }

 private:
  fs::path home_;
};

// One `ipdx serve` child process, with an httplib client for it.
class ServerProcess : public ipdx::testing::ServerProcess {
 public:
  using ipdx::testing::ServerProcess::ServerProcess;
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", port());
    c.set_read_timeout(30, 0);
    return c;
  }
};

Node& SharedNode() {
  static Node node;  // one per test process, removed at exit
  return node;
}

Json Parse(const std::string& body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << body;
  return j;
}

void ExpectErrorShape(const httplib::Result& r, int status, const std::string& code) {
  ASSERT_TRUE(r) << "no response";
  EXPECT_EQ(r->status, status) << r->body;
  Json j = Parse(r->body);
  EXPECT_EQ(j.value("code", ""), code) << r->body;
  EXPECT_TRUE(j.contains("message") && j["message"].is_string());
  EXPECT_TRUE(j.contains("details") && j["details"].is_object());
}

// Sends raw bytes on a fresh connection and returns what comes back (until close or timeout).
std::string RawExchange(int port, const std::string& bytes, int wait_ms = 3000,
                        int pause_after_ms = 0) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  (void)!write(fd, bytes.data(), bytes.size());
  if (pause_after_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_after_ms));
  std::string out;
  pollfd pfd{fd, POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (poll(&pfd, 1, 100) > 0) {
      char buf[4096];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) {
        out += "<closed>";
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return out;
}

// ---- read endpoints ---------------------------------------------------------------------------

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>(SharedNode().home(),
                                              std::vector<std::string>{"--rate-limit", "0"});
    ASSERT_TRUE(server_->ok()) << server_->Stderr();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->Stop(), 0) << server_->Stderr();
    server_.reset();
  }
  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<ServerProcess> ApiTest::server_;

TEST_F(ApiTest, HealthNodeAndOpenApi) {
  auto c = server_->Client();
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(Parse(h->body)["status"], "ok");

  auto n = c.Get("/ipdx/v1/node");
  ASSERT_TRUE(n);
  ASSERT_EQ(n->status, 200);
  Json node = Parse(n->body);
  EXPECT_EQ(node["office"], "US");
  EXPECT_EQ(node["records"], 2);
  EXPECT_EQ(node["software"]["name"], "ipdx");
  EXPECT_TRUE(node["publicKeys"].is_array());

  auto o = c.Get("/ipdx/v1/openapi.json");
  ASSERT_TRUE(o);
  ASSERT_EQ(o->status, 200);
  Json doc = Parse(o->body);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_TRUE(doc["paths"].contains("/ipdx/v1/patents/{id}"));
}

TEST_F(ApiTest, RecordAsJsonAndSt96InAnySpelling) {
  auto c = server_->Client();
  for (const char* spelling : {"US-11147202-B2", "US11147202B2", "US%2011147202%20B2"}) {
    auto r = c.Get(std::string("/ipdx/v1/patents/") + spelling);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << spelling << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    Json rec = Parse(r->body);
    EXPECT_EQ(rec["id"], kRecordId);
    EXPECT_EQ(rec["version"], 1);
    EXPECT_EQ(rec["hash"].get<std::string>().size(), 64u);
  }
  auto xml = c.Get("/ipdx/v1/patents/US-11147202-B2", {{"Accept", "application/xml"}});
  ASSERT_TRUE(xml);
  EXPECT_EQ(xml->status, 200);
  EXPECT_EQ(xml->get_header_value("Content-Type"), "application/xml");
  EXPECT_NE(xml->body.find("PatentPublication"), std::string::npos);
  auto xml2 = c.Get("/ipdx/v1/patents/US-11147202-B2?format=st96");
  ASSERT_TRUE(xml2);
  EXPECT_EQ(xml2->body, xml->body);

  ExpectErrorShape(c.Get("/ipdx/v1/patents/US-99999999-B2"), 404, "notFound");
  ExpectErrorShape(c.Get("/ipdx/v1/patents/not-an-id"), 400, "invalidArgument");
  ExpectErrorShape(c.Get("/ipdx/v1/patents/US-11147202-B2?format=pdf"), 400, "invalidArgument");
  ExpectErrorShape(c.Get("/ipdx/v1/nothing-here"), 404, "notFound");
  ExpectErrorShape(c.Delete("/ipdx/v1/patents/US-11147202-B2"), 405, "methodNotAllowed");
}

TEST_F(ApiTest, VersionsAndImmutableVersionCaching) {
  auto c = server_->Client();
  auto v = c.Get("/ipdx/v1/patents/US-11147202-B2/versions");
  ASSERT_TRUE(v);
  ASSERT_EQ(v->status, 200);
  Json versions = Parse(v->body);
  ASSERT_EQ(versions["versions"].size(), 1u);
  EXPECT_EQ(versions["versions"][0]["version"], 1);
  auto v1 = c.Get("/ipdx/v1/patents/US-11147202-B2/versions/1");
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->status, 200);
  EXPECT_NE(v1->get_header_value("Cache-Control").find("immutable"), std::string::npos);
  ExpectErrorShape(c.Get("/ipdx/v1/patents/US-11147202-B2/versions/7"), 404, "notFound");
  ExpectErrorShape(c.Get("/ipdx/v1/patents/US-11147202-B2/versions/x"), 400, "invalidArgument");
}

TEST_F(ApiTest, ListPaginatesWithNextLinks) {
  auto c = server_->Client();
  std::vector<std::string> ids;
  std::string next = "/ipdx/v1/patents?limit=1";
  for (int page = 0; page < 5 && !next.empty(); ++page) {
    auto r = c.Get(next);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    Json j = Parse(r->body);
    EXPECT_EQ(j["total"], 2);
    for (const auto& rec : j["records"]) ids.push_back(rec["id"]);
    next = j["links"].value("next", "");
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"US-11147202-B2", "US-11147203-B2"}));
  ExpectErrorShape(c.Get("/ipdx/v1/patents?cursor=%21%21"), 400, "invalidArgument");
  ExpectErrorShape(c.Get("/ipdx/v1/patents?limit=0"), 400, "invalidArgument");
  ExpectErrorShape(c.Get("/ipdx/v1/patents?limit=abc"), 400, "invalidArgument");
}

TEST_F(ApiTest, SearchAndSimilar) {
  auto c = server_->Client();
  auto s = c.Get("/ipdx/v1/patents/search?q=tractor&facets=true&limit=5");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->status, 200) << s->body;
  Json j = Parse(s->body);
  ASSERT_GE(j["total"].get<int>(), 1);
  EXPECT_EQ(j["hits"][0]["id"], "US-11147203-B2");
  EXPECT_TRUE(j["facets"]["office"].is_array());
  ExpectErrorShape(c.Get("/ipdx/v1/patents/search"), 400, "invalidArgument");
  ExpectErrorShape(c.Get("/ipdx/v1/patents/search?q=ti%3A%28unclosed"), 400, "invalidQuery");
  ExpectErrorShape(c.Get("/ipdx/v1/patents/search?q=x&sort=random"), 400, "invalidArgument");

  auto sim = c.Get("/ipdx/v1/patents/US-11147203-B2/similar");
  ASSERT_TRUE(sim);
  EXPECT_EQ(sim->status, 200) << sim->body;
  auto text = c.Post("/ipdx/v1/similar", "a tractor with a middle mounted implement",
                     "text/plain; charset=utf-8");
  ASSERT_TRUE(text);
  ASSERT_EQ(text->status, 200) << text->body;
  EXPECT_GE(Parse(text->body)["total"].get<int>(), 1);
  ExpectErrorShape(c.Post("/ipdx/v1/similar", "{}", "application/json"), 415,
                   "unsupportedMediaType");
}

TEST_F(ApiTest, RejectsAndIngestRuns) {
  auto c = server_->Client();
  auto runs = c.Get("/ipdx/v1/ingestRuns");
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->status, 200);
  Json j = Parse(runs->body);
  ASSERT_GE(j["ingestRuns"].size(), 1u);
  EXPECT_EQ(j["ingestRuns"].back()["runId"], 1);
  auto rejects = c.Get("/ipdx/v1/rejects?limit=10");
  ASSERT_TRUE(rejects);
  EXPECT_EQ(rejects->status, 200);
  EXPECT_TRUE(Parse(rejects->body)["rejects"].is_array());
  ExpectErrorShape(c.Get("/ipdx/v1/rejects?runId=-1"), 400, "invalidArgument");
}

TEST_F(ApiTest, ETagGzipAndSecurityHeaders) {
  auto c = server_->Client();
  auto r = c.Get("/ipdx/v1/patents/US-11147202-B2");
  ASSERT_TRUE(r);
  const std::string etag = r->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
  EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_FALSE(r->get_header_value("Cache-Control").empty());
  auto again = c.Get("/ipdx/v1/patents/US-11147202-B2", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto other = c.Get("/ipdx/v1/patents/US-11147202-B2", {{"If-None-Match", "\"other\""}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);

  httplib::Client raw("127.0.0.1", server_->port());
  raw.set_decompress(false);
  auto gz = raw.Get("/ipdx/v1/patents/US-11147202-B2", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  EXPECT_LT(gz->body.size(), r->body.size());
  ASSERT_GE(gz->body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz->body[0]), 0x1f);  // gzip magic
}

TEST_F(ApiTest, PathTraversalIsRefused) {
  for (const char* path : {"/ipdx/v1/../../etc/passwd", "/ipdx/v1/patents/%2e%2e/%2e%2e/etc",
                           "/ipdx/v1/patents/..%2f..%2fetc%2fpasswd", "/ipdx/v1//patents",
                           "/ipdx/v1/patents/a%5c..%5cb", "/ipdx/v1/patents/x%00y"}) {
    std::string resp = RawExchange(
        server_->port(),
        std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3000);
    EXPECT_EQ(resp.rfind("HTTP/1.1 400", 0), 0u) << path << ": " << resp.substr(0, 200);
    EXPECT_EQ(resp.find("root:"), std::string::npos);
  }
}

TEST_F(ApiTest, MetricsNeedAdminAndCountRequests) {
  auto c = server_->Client();
  auto health = c.Get("/health");  // ctest runs each test in a process (and server) of its own
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  ExpectErrorShape(c.Get("/metrics"), 401, "unauthenticated");
  const std::string read = SharedNode().Token("read");
  auto forbidden = c.Get("/metrics", {{"Authorization", "Bearer " + read}});
  ExpectErrorShape(forbidden, 403, "forbidden");
  const std::string admin = SharedNode().Token("admin");
  auto m = c.Get("/metrics", {{"Authorization", "Bearer " + admin}});
  ASSERT_TRUE(m);
  ASSERT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("ipdx_http_requests_total{route=\"/health\""), std::string::npos);
  EXPECT_NE(m->body.find("ipdx_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(m->body.find("ipdx_store_records 2"), std::string::npos);
  EXPECT_NE(m->body.find("ipdx_store_bytes"), std::string::npos);
}

// ---- writes and authentication ------------------------------------------------------------------

class WriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    peer_ = std::make_unique<ledger::SignerKey>(
        ledger::SignerKey::Generate("peer-ep", ledger::KeyType::kEd25519).value());
    other_ = std::make_unique<ledger::SignerKey>(
        ledger::SignerKey::Generate("peer-ep", ledger::KeyType::kEd25519).value());
    server_ = std::make_unique<ServerProcess>(
        node_.home(), std::vector<std::string>{"--rate-limit", "0", "--max-body-bytes", "300000",
                                               "--peer-key", peer_->verifier().ToString()});
    ASSERT_TRUE(server_->ok()) << server_->Stderr();
  }
  httplib::Headers Signed(const ledger::SignerKey& key, const std::string& method,
                          const std::string& path, const std::string& body) {
    api::HttpMessage msg;
    msg.method = method;
    msg.path = path;
    msg.authority = "127.0.0.1:" + std::to_string(server_->port());
    auto h = api::SignRequest(key, msg, body,
                              std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return {{"Content-Digest", h->content_digest},
            {"Signature-Input", h->signature_input},
            {"Signature", h->signature}};
  }

  Node node_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<ledger::SignerKey> peer_;
  std::unique_ptr<ledger::SignerKey> other_;
};

TEST_F(WriteTest, IngestNeedsWriteScopeAndReportsEachDocument) {
  const std::string body = Slurp(kSampleFile);
  auto c = server_->Client();
  auto anon = c.Post("/ipdx/v1/patents", body, "application/xml");
  ExpectErrorShape(anon, 401, "unauthenticated");
  EXPECT_NE(anon->get_header_value("WWW-Authenticate").find("Bearer"), std::string::npos);

  const std::string read = node_.Token("read");
  ExpectErrorShape(
      c.Post("/ipdx/v1/patents", {{"Authorization", "Bearer " + read}}, body, "application/xml"),
      403, "forbidden");
  ExpectErrorShape(c.Post("/ipdx/v1/patents", {{"Authorization", "Bearer ipdx_tok_garbage"}}, body,
                          "application/xml"),
                   401, "unauthenticated");
  ExpectErrorShape(c.Post("/ipdx/v1/patents", {{"Authorization", "Basic dXNlcjpwdw=="}}, body,
                          "application/xml"),
                   401, "unauthenticated");

  const std::string write = node_.Token("write");
  // A token differing in its secret part only must fail.
  std::string forged = write;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  ExpectErrorShape(
      c.Post("/ipdx/v1/patents", {{"Authorization", "Bearer " + forged}}, body, "application/xml"),
      401, "unauthenticated");

  auto ok =
      c.Post("/ipdx/v1/patents", {{"Authorization", "Bearer " + write}}, body, "application/xml");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  Json j = Parse(ok->body);
  EXPECT_EQ(j["documents"], 2);
  EXPECT_EQ(j["unchanged"], 2);  // the node already holds the sample
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_EQ(j["results"][0]["id"], kRecordId);
  EXPECT_EQ(j["results"][0]["outcome"], "stored");
  EXPECT_EQ(j["results"][0]["version"], 1);
  EXPECT_EQ(j["results"][1]["offset"].get<uint64_t>(), body.find("<?xml", 1));

  // A not-well-formed document: rejected with its rule; nothing stored -> 422 in the error shape.
  const std::string bad =
      Slurp(kSource / "src/service/testdata/ep-application-v1-4-A1-1-not-well-formed.xml");
  auto rej =
      c.Post("/ipdx/v1/patents", {{"Authorization", "Bearer " + write}}, bad, "application/xml");
  ExpectErrorShape(rej, 422, "allRejected");
  Json details = Parse(rej->body)["details"];
  ASSERT_EQ(details["results"].size(), 1u);
  EXPECT_EQ(details["results"][0]["outcome"], "rejected");
  EXPECT_FALSE(details["results"][0]["rule"].get<std::string>().empty());
  auto runs = Parse(c.Get("/ipdx/v1/ingestRuns")->body);
  EXPECT_EQ(runs["ingestRuns"][0]["rejected"], 1);

  ExpectErrorShape(
      c.Post("/ipdx/v1/patents", {{"Authorization", "Bearer " + write}}, body, "application/pdf"),
      415, "unsupportedMediaType");

  // Revocation takes effect immediately.
  const std::string id = write.substr(5, 16);
  EXPECT_EQ(Shell(Ipdx(node_.home()) + "token revoke " + id + " >/dev/null 2>&1").first, 0);
  ExpectErrorShape(
      c.Post("/ipdx/v1/patents", {{"Authorization", "Bearer " + write}}, body, "application/xml"),
      401, "unauthenticated");
  auto [rc, list] = Shell(Ipdx(node_.home()) + "token list --json");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(list.find(write.substr(22)), std::string::npos) << "secrets must never be listed";

  // The audit log has the write and the refusals.
  const std::string audit = Slurp(node_.home() / "logs/audit.log");
  EXPECT_NE(audit.find("\"event\":\"write\""), std::string::npos);
  EXPECT_NE(audit.find("\"reason\":\"no_credentials\""), std::string::npos);
  EXPECT_NE(audit.find("\"reason\":\"scope\""), std::string::npos);
  EXPECT_NE(audit.find("\"reason\":\"bad_token\""), std::string::npos);
  EXPECT_EQ(audit.find(write), std::string::npos) << "tokens must never be logged";
  // The access log is written in batches (at least every 100 ms): wait for the line.
  std::string access;
  for (int i = 0; i < 50 && access.find("\"durationMs\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    access = Slurp(node_.home() / "logs/access.log");
  }
  EXPECT_NE(access.find("\"durationMs\""), std::string::npos);
}

TEST_F(WriteTest, SignedRequestsFromPinnedPeers) {
  const std::string body = Slurp(kSampleFile);
  auto c = server_->Client();
  httplib::Headers h = Signed(*peer_, "POST", "/ipdx/v1/patents", body);
  auto ok = c.Post("/ipdx/v1/patents", h, body, "application/xml");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;

  // The same request again: replay.
  auto replay = c.Post("/ipdx/v1/patents", h, body, "application/xml");
  ExpectErrorShape(replay, 401, "badSignature");
  EXPECT_NE(Parse(replay->body)["message"].get<std::string>().find("replay"), std::string::npos);

  // Another body under the first signature: the digest no longer matches.
  httplib::Headers h2 = Signed(*peer_, "POST", "/ipdx/v1/patents", body);
  ExpectErrorShape(c.Post("/ipdx/v1/patents", h2, body + " ", "application/xml"), 401,
                   "badSignature");
  // A digest forged to match the new body: the signature does not verify.
  httplib::Headers h3 = Signed(*peer_, "POST", "/ipdx/v1/patents", body);
  h3.erase("Content-Digest");
  h3.emplace("Content-Digest", api::ContentDigest(body + " "));
  ExpectErrorShape(c.Post("/ipdx/v1/patents", h3, body + " ", "application/xml"), 401,
                   "badSignature");
  // Same key name, different (unpinned) key.
  ExpectErrorShape(c.Post("/ipdx/v1/patents", Signed(*other_, "POST", "/ipdx/v1/patents", body),
                          body, "application/xml"),
                   401, "badSignature");
  // Signed for another path.
  ExpectErrorShape(c.Post("/ipdx/v1/patents", Signed(*peer_, "POST", "/ipdx/v1/similar", body),
                          body, "application/xml"),
                   401, "badSignature");
  // A bad signature on a public read is refused too, never ignored.
  httplib::Headers bad_get = Signed(*other_, "GET", "/ipdx/v1/node", "");
  ExpectErrorShape(c.Get("/ipdx/v1/node", bad_get), 401, "badSignature");
  auto good_get = c.Get("/ipdx/v1/node", Signed(*peer_, "GET", "/ipdx/v1/node", ""));
  ASSERT_TRUE(good_get);
  EXPECT_EQ(good_get->status, 200);
}

TEST_F(WriteTest, OversizedMalformedAndSlowBodies) {
  const std::string write = node_.Token("write");
  auto c = server_->Client();
  std::string big(400000, 'x');
  ExpectErrorShape(
      c.Post("/ipdx/v1/patents", {{"Authorization", "Bearer " + write}}, big, "application/xml"),
      413, "payloadTooLarge");
  // Malformed XML and JSON lines: rejects, not errors of the server.
  auto junk = c.Post("/ipdx/v1/patents", {{"Authorization", "Bearer " + write}},
                     "<us-patent-grant><unclosed>", "application/xml");
  ExpectErrorShape(junk, 422, "allRejected");
  auto jsonl = c.Post("/ipdx/v1/patents", {{"Authorization", "Bearer " + write}},
                      "{\"office\": 12}\nnot json\n", "application/x-ndjson");
  ExpectErrorShape(jsonl, 422, "allRejected");
  EXPECT_EQ(Parse(jsonl->body)["details"]["results"].size(), 2u);
  // An empty body.
  ExpectErrorShape(
      c.Post("/ipdx/v1/patents", {{"Authorization", "Bearer " + write}}, "", "application/xml"),
      400, "invalidArgument");
  // A lying Content-Length: headers promise more than the limit.
  std::string resp = RawExchange(server_->port(),
                                 "POST /ipdx/v1/patents HTTP/1.1\r\nHost: x\r\nAuthorization: "
                                 "Bearer " +
                                     write +
                                     "\r\nContent-Type: application/xml\r\nContent-Length: "
                                     "99999999999\r\n\r\n");
  EXPECT_EQ(resp.rfind("HTTP/1.1 413", 0), 0u) << resp.substr(0, 200);
  // The server is still healthy.
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST(ApiLimits, SlowClientsAreCutOff) {
  Node& node = SharedNode();
  const std::string write = node.Token("write");
  ServerProcess server(node.home(), {"--request-timeout", "1", "--rate-limit", "0"});
  ASSERT_TRUE(server.ok()) << server.Stderr();
  // Headers that never finish: after the request timeout (1 s) the request is answered 400; it
  // is never processed.
  std::string resp = RawExchange(server.port(), "GET /health HTTP/1.1\r\nHost: x\r\n", 3000);
  EXPECT_EQ(resp.rfind("HTTP/1.1 400", 0), 0u) << resp;
  EXPECT_EQ(resp.find("\"status\":\"ok\""), std::string::npos);
  // A body that stops half-way: 408 (or a closed connection), never a stored document.
  resp = RawExchange(server.port(),
                     "POST /ipdx/v1/patents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + write +
                         "\r\nContent-Type: application/xml\r\nContent-Length: 1000\r\n\r\n<a>",
                     6000);
  EXPECT_TRUE(resp.rfind("HTTP/1.1 408", 0) == 0 || resp == "<closed>") << resp;
  // Other clients are served meanwhile and afterwards.
  auto c = server.Client();
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST(ApiLimits, RateLimitPerClient) {
  Node& node = SharedNode();
  ServerProcess server(node.home(), {"--rate-limit", "0.5", "--rate-burst", "3"});
  ASSERT_TRUE(server.ok()) << server.Stderr();
  auto c = server.Client();
  for (int i = 0; i < 3; ++i) {
    auto r = c.Get("/health");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << i;
    EXPECT_EQ(r->get_header_value("RateLimit-Policy"), "\"default\";q=3;w=6");
    EXPECT_NE(r->get_header_value("RateLimit").find("r=" + std::to_string(2 - i)),
              std::string::npos)
        << r->get_header_value("RateLimit");
  }
  auto refused = c.Get("/health");
  ExpectErrorShape(refused, 429, "tooManyRequests");
  EXPECT_EQ(refused->get_header_value("Retry-After"), "2");
  // A token is its own client with its own bucket.
  const std::string read = node.Token("read");
  auto with_token = c.Get("/health", {{"Authorization", "Bearer " + read}});
  ASSERT_TRUE(with_token);
  EXPECT_EQ(with_token->status, 200);
  const std::string audit = Slurp(node.home() / "logs/audit.log");
  EXPECT_NE(audit.find("\"reason\":\"rate_limit\""), std::string::npos);
}

TEST(ApiConfig, PrivateReadsCorsAndTomlSettings) {
  Node node;
  {
    std::ofstream toml(node.home() / "ipdx.toml", std::ios::app);
    toml << "\n[server]\npublic_reads = false\ncors_origins = [\"https://ui.example.org\"]\n"
            "rate_limit = 0\n";
  }
  ServerProcess server(node.home());
  ASSERT_TRUE(server.ok()) << server.Stderr();
  auto c = server.Client();
  ExpectErrorShape(c.Get("/ipdx/v1/patents/US-11147202-B2"), 401, "unauthenticated");
  auto health = c.Get("/health");  // always public
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const std::string read = node.Token("read");
  auto r = c.Get("/ipdx/v1/patents/US-11147202-B2", {{"Authorization", "Bearer " + read}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Cache-Control").rfind("private", 0), 0u);

  auto pre = c.Options("/ipdx/v1/patents", {{"Origin", "https://ui.example.org"},
                                            {"Access-Control-Request-Method", "GET"}});
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
  EXPECT_EQ(pre->get_header_value("Access-Control-Allow-Origin"), "https://ui.example.org");
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);
  auto evil = c.Get("/health", {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(evil);
  EXPECT_FALSE(evil->has_header("Access-Control-Allow-Origin"));

  // A flag overrides the file.
  ServerProcess open_server(node.home(), {"--public-reads", "true"});
  ASSERT_TRUE(open_server.ok()) << open_server.Stderr();
  auto pub = open_server.Client().Get("/ipdx/v1/patents/US-11147202-B2");
  ASSERT_TRUE(pub);
  EXPECT_EQ(pub->status, 200);

  // Unknown settings are refused with the file and line.
  {
    std::ofstream toml(node.home() / "ipdx.toml", std::ios::app);
    toml << "no_such_setting = 1\n";
  }
  auto [rc, out] = Shell(Ipdx(node.home()) + "serve --listen 127.0.0.1:0 2>&1");
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("no_such_setting"), std::string::npos) << out;
}

TEST(ApiServe, GracefulShutdownAndHelp) {
  auto [rc, help] = Shell(std::string(IPDX_BINARY) + " serve --help");
  EXPECT_EQ(rc, 0);
  for (const char* flag :
       {"--listen", "--public-reads", "--cors-origin", "--rate-limit", "--max-body-bytes",
        "--tls-cert", "--tls-key", "--tls-client-ca", "--peer-key", "[server] listen"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  ServerProcess server(SharedNode().home());
  ASSERT_TRUE(server.ok());
  // An ingest in flight when SIGTERM arrives still completes: half of its body is sent, then the
  // signal, then the rest.
  const std::string token = SharedNode().Token("write");
  const std::string body = Slurp(kSampleFile);
  const std::string head =
      "POST /ipdx/v1/patents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
      "\r\nContent-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n";
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string first = head + body.substr(0, body.size() / 2);
  ASSERT_EQ(write(fd, first.data(), first.size()), static_cast<ssize_t>(first.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server.Terminate();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string rest = body.substr(body.size() / 2);
  ASSERT_EQ(write(fd, rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  EXPECT_EQ(resp.rfind("HTTP/1.1 200", 0), 0u) << resp.substr(0, 300);
  EXPECT_NE(resp.find("\"documents\":2"), std::string::npos);
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_NE(server.Stderr().find("stopped"), std::string::npos);
}

// ---- TLS
// ------------------------------------------------------------------------------------------

TEST(ApiTls, ServesHttpsAndCanRequireClientCertificates) {
  if (Shell("command -v openssl >/dev/null").first != 0) GTEST_SKIP() << "no openssl command";
  Node& node = SharedNode();
  const fs::path dir = node.home() / "tls";
  fs::create_directories(dir);
  const std::string d = dir.string();
  // A CA, a server certificate for 127.0.0.1 and a client certificate, all self-made.
  const std::string cmds =
      "cd " + d +
      " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "
      "/CN=ipdx-test-ca 2>/dev/null"
      " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "
      "/CN=127.0.0.1 2>/dev/null"
      " && printf 'subjectAltName=IP:127.0.0.1' > san.ext"
      " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out "
      "server.pem -days 2 -extfile san.ext 2>/dev/null"
      " && openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "
      "/CN=peer-client 2>/dev/null"
      " && openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out "
      "client.pem -days 2 2>/dev/null";
  ASSERT_EQ(Shell(cmds).first, 0);

  {
    ServerProcess server(node.home(), {"--tls-cert", d + "/server.pem", "--tls-key",
                                       d + "/server.key", "--rate-limit", "0"});
    ASSERT_TRUE(server.ok()) << server.Stderr();
    EXPECT_EQ(server.url().rfind("https://", 0), 0u);
    httplib::SSLClient c("127.0.0.1", server.port());
    c.set_ca_cert_path((d + "/ca.pem").c_str());
    c.enable_server_certificate_verification(true);
    auto r = c.Get("/ipdx/v1/patents/US-11147202-B2");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 200);
    EXPECT_FALSE(r->get_header_value("Strict-Transport-Security").empty());
    // Plain HTTP to the TLS port gets nothing useful.
    auto plain = server.Client().Get("/health");
    EXPECT_TRUE(!plain || plain->status != 200);
  }
  {
    ServerProcess server(node.home(),
                         {"--tls-cert", d + "/server.pem", "--tls-key", d + "/server.key",
                          "--tls-client-ca", d + "/ca.pem", "--rate-limit", "0"});
    ASSERT_TRUE(server.ok()) << server.Stderr();
    httplib::SSLClient anonymous("127.0.0.1", server.port());
    anonymous.set_ca_cert_path((d + "/ca.pem").c_str());
    anonymous.enable_server_certificate_verification(true);
    auto refused = anonymous.Get("/health");
    EXPECT_TRUE(!refused) << "a client without a certificate must not get a response";
    httplib::SSLClient with_cert("127.0.0.1", server.port(), d + "/client.pem", d + "/client.key");
    with_cert.set_ca_cert_path((d + "/ca.pem").c_str());
    with_cert.enable_server_certificate_verification(true);
    auto ok = with_cert.Get("/health");
    ASSERT_TRUE(ok) << httplib::to_string(ok.error());
    EXPECT_EQ(ok->status, 200);
  }
}

// The audit log once it contains `needle` (the server writes a request's line after the response
// went out), or as it is after 10 s.
std::string AuditLogWith(const fs::path& home, const std::string& needle) {
  std::string audit;
  for (int i = 0; i < 100; ++i) {
    audit = Slurp(home / "logs/audit.log");
    if (audit.find(needle) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return audit;
}

// ---- ledger: checkpoint, tiles, proofs, receipts, rights events ---------------------------------

// A node of its own (events change its log), served with rate limits off.
class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(node_.home(),
                                              std::vector<std::string>{"--rate-limit", "0"});
    ASSERT_TRUE(server_->ok()) << server_->Stderr();
  }
  // The node's log key as published in GET /node.
  ledger::VerifierKey NodeKey() {
    auto n = server_->Client().Get("/ipdx/v1/node");
    EXPECT_TRUE(n && n->status == 200);
    Json node = Parse(n->body);
    // The log key, then the witness key (issue 6) that cosigns peers' checkpoints.
    EXPECT_EQ(node["publicKeys"].size(), 2u) << n->body;
    EXPECT_EQ(node["publicKeys"][1].value("use", ""), "witness") << n->body;
    const std::string vkey = node["publicKeys"][0].value("vkey", "");
    auto key = ledger::VerifierKey::Parse(vkey);
    EXPECT_TRUE(key.ok()) << vkey;
    EXPECT_EQ(node["publicKeys"][0]["keyName"], key->name());
    EXPECT_EQ(node["publicKeys"][0]["keyId"], fmt::format("{:08x}", key->key_id()));
    EXPECT_EQ(node["logOrigin"], key->name());
    EXPECT_EQ(key->name(), "ipdx/US");
    return *key;
  }
  // The latest checkpoint, verified with the node's key.
  ledger::Checkpoint Checkpoint(const ledger::VerifierKey& key, std::string* note_out = nullptr) {
    auto r = server_->Client().Get("/ipdx/v1/log/checkpoint");
    EXPECT_TRUE(r && r->status == 200);
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; charset=utf-8");
    auto note = ledger::OpenNote(r->body, std::span<const ledger::VerifierKey>(&key, 1));
    EXPECT_TRUE(note.ok()) << note.status().ToString() << "\n" << r->body;
    if (note_out != nullptr) *note_out = r->body;
    auto cp = ledger::ParseCheckpoint(note->note.text);
    EXPECT_TRUE(cp.ok());
    return *cp;
  }

  Node node_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(LedgerTest, CheckpointAndTilesRebuildTheSignedRoot) {
  const ledger::VerifierKey key = NodeKey();
  const ledger::Checkpoint cp = Checkpoint(key);
  EXPECT_EQ(cp.origin, "ipdx/US");
  ASSERT_EQ(cp.tree_size, 2u);  // the two sample records, one leaf each
  auto c = server_->Client();

  // Level-0 partial tile of the checkpoint's width: its hashes fold to the signed root.
  auto t = c.Get("/ipdx/v1/log/tile/0/000.p/" + std::to_string(cp.tree_size));
  ASSERT_TRUE(t);
  ASSERT_EQ(t->status, 200) << t->body;
  EXPECT_EQ(t->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_NE(t->get_header_value("Cache-Control").find("immutable"), std::string::npos);
  ASSERT_EQ(t->body.size(), 32 * cp.tree_size);
  std::vector<ledger::Hash> leaves(cp.tree_size);
  for (size_t i = 0; i < leaves.size(); ++i) std::memcpy(leaves[i].data(), &t->body[32 * i], 32);
  EXPECT_EQ(ledger::RootFromLeafHashes(leaves), cp.root);

  // The entry bundle: each entry hashes to its leaf and decodes to a record version.
  auto b = c.Get("/ipdx/v1/log/tile/entries/000.p/" + std::to_string(cp.tree_size));
  ASSERT_TRUE(b);
  ASSERT_EQ(b->status, 200) << b->body;
  auto entries = ledger::ParseEntryBundle(b->body);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), cp.tree_size);
  for (size_t i = 0; i < entries->size(); ++i) {
    EXPECT_EQ(ledger::LeafHash((*entries)[i]), leaves[i]) << i;
    auto e = ledger::DecodeEntry((*entries)[i]);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->type, ledger::EntryType::kRecordVersion);
    EXPECT_EQ(e->publisher, "US");
  }

  // Tiles no signed checkpoint implies, or malformed paths.
  ExpectErrorShape(c.Get("/ipdx/v1/log/tile/0/000"), 404, "notFound");  // full: not yet
  ExpectErrorShape(c.Get("/ipdx/v1/log/tile/0/000.p/3"), 404, "notFound");
  ExpectErrorShape(c.Get("/ipdx/v1/log/tile/entries/001.p/2"), 404, "notFound");
  ExpectErrorShape(c.Get("/ipdx/v1/log/tile/1/000.p/1"), 404, "notFound");
  ExpectErrorShape(c.Get("/ipdx/v1/log/tile/0/000.p/256"), 400, "invalidArgument");
  ExpectErrorShape(c.Get("/ipdx/v1/log/tile/64/000"), 400, "invalidArgument");
  ExpectErrorShape(c.Get("/ipdx/v1/log/tile/0/x000"), 404, "notFound");  // no route
  ExpectErrorShape(c.Get("/ipdx/v1/log/checkpoint?size=7"), 404, "notFound");
  auto at = c.Get("/ipdx/v1/log/checkpoint?size=2");
  ASSERT_TRUE(at);
  EXPECT_EQ(at->status, 200);
}

TEST_F(LedgerTest, ReceiptOverHttpVerifiesOfflineWithThePublishedKey) {
  const ledger::VerifierKey key = NodeKey();
  auto c = server_->Client();
  auto r = c.Get(std::string("/ipdx/v1/patents/") + kRecordId + "/receipt");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  Json receipt = Parse(r->body);
  EXPECT_EQ(receipt["format"], "ipdx-receipt/1");
  EXPECT_EQ(receipt["key_name"], "ipdx/US");
  // Another spelling and an explicit version give the same proof.
  auto v1 = c.Get("/ipdx/v1/patents/US11147202B2/receipt?version=1");
  ASSERT_TRUE(v1);
  ASSERT_EQ(v1->status, 200);
  EXPECT_EQ(Parse(v1->body)["leaf_index"], receipt["leaf_index"]);

  // `ipdx verify` checks it offline with the key from GET /node: no node folder involved.
  const fs::path dir = node_.home() / "verify";
  fs::create_directories(dir);
  {
    std::ofstream(dir / "receipt.json") << r->body;
    std::ofstream(dir / "node.vkey") << key.ToString() << "\n";
  }
  const std::string verify = std::string(IPDX_BINARY) + " --home " + (dir / "none").string() +
                             " verify " + (dir / "receipt.json").string() + " --key ";
  auto [rc, out] = Shell(verify + (dir / "node.vkey").string() + " 2>&1");
  EXPECT_EQ(rc, 0) << out;
  // A receipt whose entry was altered fails; so does a key that is not the node's.
  Json tampered = receipt;
  std::string entry = tampered["entry"];
  entry[entry.size() / 2] = entry[entry.size() / 2] == 'A' ? 'B' : 'A';
  tampered["entry"] = entry;
  std::ofstream(dir / "tampered.json") << tampered.dump();
  EXPECT_EQ(Shell(std::string(IPDX_BINARY) + " --home " + (dir / "none").string() + " verify " +
                  (dir / "tampered.json").string() + " --key " + (dir / "node.vkey").string() +
                  " >/dev/null 2>&1")
                .first,
            1);
  auto other = ledger::SignerKey::Generate("ipdx/US", ledger::KeyType::kEd25519);
  ASSERT_TRUE(other.ok());
  std::ofstream(dir / "other.vkey") << other->verifier().ToString() << "\n";
  EXPECT_EQ(Shell(verify + (dir / "other.vkey").string() + " >/dev/null 2>&1").first, 1);

  ExpectErrorShape(c.Get("/ipdx/v1/patents/US-1-B2/receipt"), 404, "notFound");
  ExpectErrorShape(c.Get(std::string("/ipdx/v1/patents/") + kRecordId + "/receipt?version=9"), 404,
                   "notFound");
  ExpectErrorShape(c.Get(std::string("/ipdx/v1/patents/") + kRecordId + "/receipt?version=x"), 400,
                   "invalidArgument");
}

TEST_F(LedgerTest, RightsEventsNeedWriteScopeAreLoggedAndProvenConsistent) {
  const ledger::VerifierKey key = NodeKey();
  const ledger::Checkpoint before = Checkpoint(key);
  auto c = server_->Client();
  const std::string path = std::string("/ipdx/v1/patents/") + kRecordId + "/events";
  const std::string event =
      R"({"type":"assignment","effectiveDate":"2022-03-01","parties":["Acme Corp"],)"
      R"("details":"Reel 1234 / Frame 56"})";

  auto none = c.Get(path);
  ASSERT_TRUE(none);
  ASSERT_EQ(none->status, 200) << none->body;
  EXPECT_EQ(Parse(none->body)["events"].size(), 0u);

  ExpectErrorShape(c.Post(path, event, "application/json"), 401, "unauthenticated");
  const std::string read = node_.Token("read");
  ExpectErrorShape(c.Post(path, {{"Authorization", "Bearer " + read}}, event, "application/json"),
                   403, "forbidden");
  const std::string write = node_.Token("write");
  const httplib::Headers auth = {{"Authorization", "Bearer " + write}};
  ExpectErrorShape(c.Post(path, auth, event, "text/plain"), 415, "unsupportedMediaType");
  ExpectErrorShape(c.Post(path, auth, "{not json", "application/json"), 400, "invalidArgument");
  ExpectErrorShape(
      c.Post(path, auth, R"({"type":"sale","effectiveDate":"2022-03-01"})", "application/json"),
      400, "invalidArgument");
  ExpectErrorShape(
      c.Post(path, auth, R"({"type":"grant","effectiveDate":"2022-13-45"})", "application/json"),
      400, "invalidArgument");
  ExpectErrorShape(c.Post(path, auth, R"({"type":"grant"})", "application/json"), 400,
                   "invalidArgument");
  ExpectErrorShape(c.Post("/ipdx/v1/patents/US-1-B2/events", auth, event, "application/json"), 404,
                   "notFound");
  // Refused requests added nothing to the log.
  EXPECT_EQ(Checkpoint(key).tree_size, before.tree_size);

  auto ok = c.Post(path, auth, event, "application/json");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 201) << ok->body;
  Json added = Parse(ok->body);
  ASSERT_EQ(added["events"].size(), 1u);
  const Json& e = added["events"][0];
  EXPECT_EQ(e["type"], "assignment");
  EXPECT_EQ(e["st27Category"], "R");
  EXPECT_EQ(e["st27Code"], "R14");
  EXPECT_EQ(e["effectiveDate"], "2022-03-01");
  EXPECT_EQ(e["parties"][0], "Acme Corp");
  EXPECT_EQ(e["recordId"], kRecordId);
  EXPECT_EQ(e["leafIndex"], before.tree_size);
  std::string note;
  const ledger::Checkpoint after = Checkpoint(key, &note);
  EXPECT_EQ(after.tree_size, before.tree_size + 1);
  EXPECT_EQ(added["checkpoint"], note);

  // A batch (array form) is one transaction: one bad event and nothing is logged.
  ExpectErrorShape(
      c.Post(
          path, auth,
          R"([{"type":"renewal","effectiveDate":"2023-01-01"},{"type":"x","effectiveDate":"2023-01-01"}])",
          "application/json"),
      400, "invalidArgument");
  EXPECT_EQ(Checkpoint(key).tree_size, after.tree_size);

  auto list = c.Get(path);
  ASSERT_TRUE(list);
  Json events = Parse(list->body)["events"];
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["details"], "Reel 1234 / Frame 56");
  EXPECT_EQ(events[0]["supersedes"], nullptr);

  // The new checkpoint is consistent with the old one: verify the proof ourselves.
  auto p = c.Get("/ipdx/v1/log/proofs/consistency?from=" + std::to_string(before.tree_size) +
                 "&to=" + std::to_string(after.tree_size));
  ASSERT_TRUE(p);
  ASSERT_EQ(p->status, 200) << p->body;
  Json proof = Parse(p->body);
  std::vector<ledger::Hash> hashes;
  for (const auto& h : proof["proof"]) {
    auto raw = api::internal::Base64Decode(h.get<std::string>());
    ASSERT_TRUE(raw.ok());
    ASSERT_EQ(raw->size(), 32u);
    ledger::Hash hash;
    std::memcpy(hash.data(), raw->data(), 32);
    hashes.push_back(hash);
  }
  EXPECT_TRUE(
      ledger::VerifyConsistency(before.tree_size, after.tree_size, before.root, after.root, hashes)
          .ok());
  ExpectErrorShape(c.Get("/ipdx/v1/log/proofs/consistency"), 400, "invalidArgument");
  ExpectErrorShape(c.Get("/ipdx/v1/log/proofs/consistency?from=3&to=2"), 400, "invalidArgument");

  // The write is in the audit log, with what it did (never the token).
  const std::string audit =
      AuditLogWith(node_.home(), "rights event(s) [assignment] for US-11147202-B2");
  EXPECT_NE(audit.find("rights event(s) [assignment] for US-11147202-B2"), std::string::npos)
      << audit;
  EXPECT_EQ(audit.find(write), std::string::npos);
}

// ---- classification: IPC titles, suggestions, decisions -----------------------------------------

TEST_F(LedgerTest, IpcTitlesInEnglishAndFrench) {
  auto c = server_->Client();
  auto sub = c.Get("/ipdx/v1/ipc/A61K");
  ASSERT_TRUE(sub);
  ASSERT_EQ(sub->status, 200) << sub->body;
  Json j = Parse(sub->body);
  EXPECT_EQ(j["level"], "subclass");
  EXPECT_NE(j["titleEn"].get<std::string>().find("MEDICAL"), std::string::npos) << sub->body;
  EXPECT_FALSE(j["titleFr"].get<std::string>().empty());
  EXPECT_EQ(j["title"], j["titleEn"]);
  // A main group in any spelling, the slash encoded or not; a subgroup gives its main group.
  for (const char* spelling : {"A61K%2031%2F00", "A61K31/00", "a61k%2031%2F4439"}) {
    auto g = c.Get(std::string("/ipdx/v1/ipc/") + spelling);
    ASSERT_TRUE(g);
    ASSERT_EQ(g->status, 200) << spelling << " " << g->body;
    Json gj = Parse(g->body);
    EXPECT_EQ(gj["symbol"], "A61K 31/00") << spelling;
    EXPECT_EQ(gj["level"], "group");
    EXPECT_FALSE(gj["titleEn"].get<std::string>().empty());
    EXPECT_EQ(gj["parents"][1]["symbol"], "A61K");
  }
  ExpectErrorShape(c.Get("/ipdx/v1/ipc/not-a-symbol"), 400, "invalidArgument");
  ExpectErrorShape(c.Get("/ipdx/v1/ipc/A01Z"), 404, "notFound");
  ExpectErrorShape(c.Get("/ipdx/v1/ipc/A61K%2099%2F00"), 404, "notFound");
}

TEST_F(LedgerTest, ClassifyNeedsAModelThenSuggestsAndRecordsDecisions) {
  auto c = server_->Client();
  const std::string by_id = std::string(R"({"id":")") + kRecordId + R"(","limit":3})";
  ExpectErrorShape(c.Post("/ipdx/v1/classify", by_id, "application/json"), 409,
                   "failedPrecondition");
  ExpectErrorShape(c.Post("/ipdx/v1/classify", "text", "text/plain"), 415, "unsupportedMediaType");
  ExpectErrorShape(c.Post("/ipdx/v1/classify", "{}", "application/json"), 400, "invalidArgument");

  // Train a model (the node's two records plus the bundled labelled corpus); the running server
  // picks up the new current model.
  auto [rc, out] = Shell(Ipdx(node_.home()) + "classifier train --extra-data " +
                         (kSource / "data/classify/mini_labelled_corpus.jsonl").string() + " 2>&1");
  ASSERT_EQ(rc, 0) << out;

  auto r = c.Post("/ipdx/v1/classify", by_id, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  Json s = Parse(r->body);
  EXPECT_FALSE(s["modelVersion"].get<std::string>().empty());
  EXPECT_EQ(s["level"], "subclass");
  EXPECT_EQ(s["id"], kRecordId);
  EXPECT_TRUE(s["current"].is_array());
  ASSERT_FALSE(s["suggestions"].empty());
  EXPECT_LE(s["suggestions"].size(), 3u);
  for (const auto& sg : s["suggestions"]) {
    EXPECT_EQ(sg["symbol"].get<std::string>().size(), 4u) << sg;
    EXPECT_GE(sg["score"].get<double>(), 0.0);
    EXPECT_LE(sg["score"].get<double>(), 1.0);
    EXPECT_TRUE(sg.contains("fasttext") && sg.contains("knn") && sg.contains("titleEn"));
  }
  EXPECT_TRUE(s["reasons"]["neighbours"].is_array());
  EXPECT_TRUE(s["reasons"]["terms"].is_array());
  auto text =
      c.Post("/ipdx/v1/classify",
             R"({"text":"A pharmaceutical composition comprising a compound for treating cancer"})",
             "application/json");
  ASSERT_TRUE(text);
  ASSERT_EQ(text->status, 200) << text->body;
  EXPECT_FALSE(Parse(text->body)["suggestions"].empty());

  // Decisions: write scope, recorded with the examiner and the model's score, then listed.
  const std::string symbol = s["suggestions"][0]["symbol"];
  const std::string decision = std::string(R"({"id":")") + kRecordId + R"(","symbol":")" + symbol +
                               R"(","decision":"accept","accept":true,"by":"E. Xaminer"})";
  ExpectErrorShape(c.Post("/ipdx/v1/classify/decisions", decision, "application/json"), 401,
                   "unauthenticated");
  const httplib::Headers auth = {{"Authorization", "Bearer " + node_.Token("write")}};
  ExpectErrorShape(c.Post("/ipdx/v1/classify/decisions", auth,
                          std::string(R"({"id":")") + kRecordId +
                              R"(","symbol":"A61K","decision":"maybe","by":"E"})",
                          "application/json"),
                   400, "invalidArgument");
  auto d = c.Post("/ipdx/v1/classify/decisions", auth, decision, "application/json");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->status, 201) << d->body;
  Json row = Parse(d->body);
  EXPECT_EQ(row["decision"], "accept");
  EXPECT_EQ(row["symbol"], symbol);
  EXPECT_EQ(row["by"], "E. Xaminer");
  EXPECT_EQ(row["modelVersion"], s["modelVersion"]);
  EXPECT_FALSE(row["decidedAt"].get<std::string>().empty());
  auto list = c.Get(std::string("/ipdx/v1/classify/decisions?id=") + kRecordId);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  EXPECT_EQ(Parse(list->body)["decisions"].size(), 1u);
  const std::string audit = AuditLogWith(node_.home(), "classification decision");
  EXPECT_NE(audit.find("classification decision"), std::string::npos) << audit;
}

}  // namespace
}  // namespace ipdx
