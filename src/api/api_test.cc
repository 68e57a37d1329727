// Unit tests of api/: RFC 9421 signatures (against the RFC's own Ed25519 example), the rate
// limiter, scopes, tokens, configuration, the error mapping, and the OpenAPI document against the
// routes the server registers.
#include "api/api.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "api/internal.h"
#include "service/service.h"

namespace ipdx::api {
namespace {

namespace fs = std::filesystem;

// RFC 9421 Appendix B.1.4 test-key-ed25519 (PKCS#8 DER; the last 32 bytes are the seed).
constexpr const char* kRfcKeyPkcs8 =
    "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF";

ledger::SignerKey RfcKey() {
  std::string der = internal::Base64Decode(kRfcKeyPkcs8).value();
  std::array<uint8_t, 32> seed{};
  std::copy(der.end() - 32, der.end(), seed.begin());
  return ledger::SignerKey::FromSeed("test-key-ed25519", ledger::KeyType::kEd25519, seed).value();
}

HttpMessage RfcRequest() {
  HttpMessage m;
  m.method = "POST";
  m.path = "/foo";
  m.query = "?param=Value&Pet=dog";
  m.authority = "example.com";
  m.scheme = "https";
  m.headers = {{"date", "Tue, 20 Apr 2021 02:07:55 GMT"},
               {"content-type", "application/json"},
               {"content-length", "18"}};
  return m;
}

TEST(Signature, MatchesRfc9421ExampleB26) {
  SignatureInput in;
  in.components = {"date", "@method", "@path", "@authority", "content-type", "content-length"};
  in.created = 1618884473;
  in.key_id = "test-key-ed25519";
  const std::string params = SerializeSignatureParams(in);
  EXPECT_EQ(params,
            "(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" "
            "\"content-length\");created=1618884473;keyid=\"test-key-ed25519\"");
  auto base = SignatureBase(RfcRequest(), in.components, params);
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(*base,
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
            "\"@method\": POST\n"
            "\"@path\": /foo\n"
            "\"@authority\": example.com\n"
            "\"content-type\": application/json\n"
            "\"content-length\": 18\n"
            "\"@signature-params\": " +
                params);
  auto sig = RfcKey().Sign(*base);
  ASSERT_TRUE(sig.ok());
  // Ed25519 is deterministic: the RFC's signature bytes exactly.
  EXPECT_EQ(internal::Base64Encode(sig->signature),
            "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw"
            "==");
}

TEST(Signature, ContentDigestIsRfc9530) {
  // RFC 9530 §2 example: {"hello": "world"}
  EXPECT_EQ(ContentDigest("{\"hello\": \"world\"}"),
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
}

struct Fixture {
  ledger::SignerKey key = RfcKey();
  std::map<std::string, ledger::VerifierKey> pinned{{"test-key-ed25519", key.verifier()}};
  NonceCache nonces;
  HttpMessage msg = [] {
    HttpMessage m;
    m.method = "POST";
    m.path = "/ipdx/v1/patents";
    m.authority = "node.example.org";
    m.scheme = "https";
    return m;
  }();
  static constexpr int64_t kNow = 1700000000;

  HttpMessage SignedMessage(std::string_view body, int64_t created, std::string nonce = {}) {
    auto h = SignRequest(key, msg, body, created, std::move(nonce));
    EXPECT_TRUE(h.ok());
    HttpMessage m = msg;
    m.headers["content-digest"] = h->content_digest;
    m.headers["signature-input"] = h->signature_input;
    m.headers["signature"] = h->signature;
    return m;
  }
};

TEST(Signature, VerifiesOnceAndRefusesReplayTamperingAndStaleness) {
  Fixture f;
  HttpMessage m = f.SignedMessage("body", Fixture::kNow);
  auto ok = VerifyRequest(m, ContentDigest("body"), f.pinned, f.nonces, Fixture::kNow);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, "test-key-ed25519");

  auto replay = VerifyRequest(m, ContentDigest("body"), f.pinned, f.nonces, Fixture::kNow + 1);
  EXPECT_EQ(replay.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(replay.status().message().find("replay"), std::string::npos);

  HttpMessage other = f.SignedMessage("body", Fixture::kNow);
  EXPECT_EQ(VerifyRequest(other, ContentDigest("tampered"), f.pinned, f.nonces, Fixture::kNow)
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  HttpMessage moved = f.SignedMessage("body", Fixture::kNow);
  moved.path = "/ipdx/v1/similar";
  EXPECT_EQ(VerifyRequest(moved, ContentDigest("body"), f.pinned, f.nonces, Fixture::kNow)
                .status()
                .code(),
            StatusCode::kPermissionDenied);
  HttpMessage other_host = f.SignedMessage("body", Fixture::kNow);
  other_host.authority = "evil.example.org";
  EXPECT_FALSE(
      VerifyRequest(other_host, ContentDigest("body"), f.pinned, f.nonces, Fixture::kNow).ok());

  HttpMessage stale = f.SignedMessage("body", Fixture::kNow - 301);
  EXPECT_NE(VerifyRequest(stale, ContentDigest("body"), f.pinned, f.nonces, Fixture::kNow)
                .status()
                .message()
                .find("window"),
            std::string::npos);
  HttpMessage future = f.SignedMessage("body", Fixture::kNow + 301);
  EXPECT_FALSE(
      VerifyRequest(future, ContentDigest("body"), f.pinned, f.nonces, Fixture::kNow).ok());

  std::map<std::string, ledger::VerifierKey> none;
  HttpMessage unpinned = f.SignedMessage("body", Fixture::kNow);
  EXPECT_NE(VerifyRequest(unpinned, ContentDigest("body"), none, f.nonces, Fixture::kNow)
                .status()
                .message()
                .find("not a pinned"),
            std::string::npos);
}

TEST(Signature, RefusesMalformedAndIncompleteHeaders) {
  Fixture f;
  HttpMessage base = f.SignedMessage("", Fixture::kNow);
  const std::string digest = ContentDigest("");
  auto check = [&](const char* header, const std::string& value, StatusCode want) {
    HttpMessage m = base;
    m.headers[header] = value;
    auto r = VerifyRequest(m, digest, f.pinned, f.nonces, Fixture::kNow);
    EXPECT_EQ(r.status().code(), want)
        << header << ": " << value << " -> " << r.status().ToString();
  };
  const std::string params = base.headers["signature-input"].substr(5);
  check("signature-input", "", StatusCode::kInvalidArgument);
  check("signature-input", "sig1=(\"@method\"", StatusCode::kInvalidArgument);
  check("signature-input", "sig1=" + params + ", sig2=" + params, StatusCode::kInvalidArgument);
  check("signature-input", "sig1=" + params + ";bogus=1", StatusCode::kInvalidArgument);
  check("signature-input",
        "sig1=(\"@method\" \"@path\" \"@authority\");created=1700000000;keyid=\"test-key-ed25519\";"
        "nonce=\"n\"",
        StatusCode::kPermissionDenied);  // content-digest not covered
  check("signature-input",
        "sig1=(\"@method\" \"@path\" \"@authority\" \"content-digest\");created=1700000000;keyid="
        "\"test-key-ed25519\"",
        StatusCode::kPermissionDenied);  // no nonce
  check("signature-input", "sig1=" + params + ";alg=\"rsa-pss-sha512\"",
        StatusCode::kPermissionDenied);
  check("signature", "sig1=:not base64!:", StatusCode::kInvalidArgument);
  check("signature", "other=" + base.headers["signature"].substr(5), StatusCode::kInvalidArgument);
  check("signature", "sig1=:" + internal::Base64Encode(std::string(64, 'x')) + ":",
        StatusCode::kPermissionDenied);
  HttpMessage no_sig = base;
  no_sig.headers.erase("signature");
  EXPECT_EQ(VerifyRequest(no_sig, digest, f.pinned, f.nonces, Fixture::kNow).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(NonceCacheTest, ForgetsExpiredAndStaysBounded) {
  NonceCache cache(3);
  EXPECT_TRUE(cache.Insert("k", "a", 100, 0));
  EXPECT_FALSE(cache.Insert("k", "a", 100, 50));
  EXPECT_TRUE(cache.Insert("other", "a", 100, 50));  // nonces are per key
  EXPECT_TRUE(cache.Insert("k", "a", 300, 101));     // expired at 100
  EXPECT_TRUE(cache.Insert("k", "b", 300, 101));
  EXPECT_TRUE(cache.Insert("k", "c", 300, 101));
  EXPECT_TRUE(cache.Insert("k", "d", 300, 101));  // evicts the oldest to stay at 3
}

TEST(RateLimiterTest, TokenBucketRefillsAtTheRate) {
  RateLimiter limiter(2, 4);  // 2/s, burst 4
  auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 4; ++i) {
    auto d = limiter.Take("a", t0);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, static_cast<uint64_t>(3 - i));
  }
  auto refused = limiter.Take("a", t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_s, 1u);
  EXPECT_EQ(refused.reset_s, 2u);
  EXPECT_TRUE(limiter.Take("b", t0).allowed);  // clients are independent
  EXPECT_TRUE(limiter.Take("a", t0 + std::chrono::milliseconds(500)).allowed);
  EXPECT_FALSE(limiter.Take("a", t0 + std::chrono::milliseconds(600)).allowed);
  EXPECT_TRUE(limiter.Take("a", t0 + std::chrono::seconds(60)).allowed);
  RateLimiter off(0, 10);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(off.Take("a", t0).allowed);
}

TEST(Scopes, ParseAndImply) {
  EXPECT_EQ(*ParseScopes("read"), kScopeRead);
  EXPECT_EQ(*ParseScopes("read, admin"), kScopeRead | kScopeAdmin);
  EXPECT_FALSE(ParseScopes("root").ok());
  EXPECT_FALSE(ParseScopes("").ok());
  EXPECT_EQ(ScopesToString(kScopeRead | kScopeWrite), "read,write");
  EXPECT_TRUE(HasScope(kScopeAdmin, kScopeRead));
  EXPECT_TRUE(HasScope(kScopeWrite, kScopeRead));
  EXPECT_FALSE(HasScope(kScopeRead, kScopeWrite));
  EXPECT_FALSE(HasScope(kScopeWrite, kScopeAdmin));
}

TEST(Errors, OneMappingAndOneShape) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kCorruption), 500);
  auto j = nlohmann::json::parse(ErrorBody("notFound", "no \"x\"", "{\"a\":1}"));
  EXPECT_EQ(j["code"], "notFound");
  EXPECT_EQ(j["message"], "no \"x\"");
  EXPECT_EQ(j["details"]["a"], 1);
  EXPECT_TRUE(nlohmann::json::parse(ErrorBody("c", "m"))["details"].is_object());
}

class NodeDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ipdx-api-unit-XXXXXX";
    home_ = mkdtemp(tmpl);
    ASSERT_TRUE(service::Node::Init(home_.string(), {"EP"}).ok());
  }
  void TearDown() override { fs::remove_all(home_); }
  fs::path home_;
};

TEST_F(NodeDir, TokensAreStoredOnlyAsHashes) {
  auto tokens = store::TokenStore::OpenSqlite((home_ / "ipdx.db").string());
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  auto issued = CreateToken(**tokens, kScopeWrite, "ingest robot");
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->token.rfind("ipdx_tok_", 0), 0u);
  auto who = CheckToken(**tokens, issued->token);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->token_id, issued->token_id);
  EXPECT_EQ(who->scopes, kScopeWrite);
  auto row = (*tokens)->GetToken(issued->token_id);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->sha256, Sha256Hex(issued->token));
  EXPECT_EQ(row->name, "ingest robot");
  // The secret is nowhere in the database file.
  std::ifstream db(home_ / "ipdx.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find(issued->token.substr(22)), std::string::npos);

  std::string wrong = issued->token;
  wrong[30] = wrong[30] == 'a' ? 'b' : 'a';
  EXPECT_EQ(CheckToken(**tokens, wrong).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckToken(**tokens, "short").status().code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE((*tokens)->RevokeToken(issued->token_id).ok());
  EXPECT_EQ(CheckToken(**tokens, issued->token).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ((*tokens)->RevokeToken("tok_000000000000").code(), StatusCode::kNotFound);
  EXPECT_EQ((*tokens)->ListTokens()->size(), 1u);
  EXPECT_FALSE(CreateToken(**tokens, kScopeNone, "x").ok());
}

TEST_F(NodeDir, ServerConfigFromToml) {
  const fs::path toml = home_ / "ipdx.toml";
  {
    std::ofstream f(toml, std::ios::app);
    f << "\n[server]\nlisten = \"0.0.0.0:9000\"\npublic_reads = false\ncors_origins = [\"*\"]\n"
         "rate_limit = 5\nrate_burst = 10\nmax_body_bytes = 1000\n";
  }
  ServerConfig c;
  ASSERT_TRUE(ReadServerConfig(toml.string(), &c).ok());
  EXPECT_EQ(c.listen, "0.0.0.0:9000");
  EXPECT_FALSE(c.public_reads);
  EXPECT_EQ(c.cors_origins, std::vector<std::string>{"*"});
  EXPECT_EQ(c.rate_limit, 5);
  EXPECT_EQ(c.max_body_bytes, 1000u);
  EXPECT_EQ(c.threads, 64);  // untouched default
  EXPECT_TRUE(ValidateServerConfig(c).ok());
  {
    std::ofstream f(toml, std::ios::app);
    f << "threads = \"many\"\n";
  }
  Status bad = ReadServerConfig(toml.string(), &c);
  EXPECT_EQ(bad.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(bad.message().find("threads"), std::string::npos);

  ServerConfig v;
  v.listen = "localhost";
  EXPECT_FALSE(ValidateServerConfig(v).ok());
  v.listen = "127.0.0.1:70000";
  EXPECT_FALSE(ValidateServerConfig(v).ok());
  v.listen = "127.0.0.1:0";
  v.tls_cert = "/nonexistent.pem";
  EXPECT_FALSE(ValidateServerConfig(v).ok());
  v.tls_cert.clear();
  v.peer_keys = {"not a key"};
  EXPECT_FALSE(ValidateServerConfig(v).ok());
  v.peer_keys = {RfcKey().verifier().ToString()};
  EXPECT_TRUE(ValidateServerConfig(v).ok());
}

// Every route the server registers is in the OpenAPI document, and every operation in the
// document is a route of the server.
TEST_F(NodeDir, OpenApiDocumentMatchesTheRoutes) {
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.threads = 2;
  config.access_log = (home_ / "access.log").string();
  auto server = Server::Create(home_.string(), config);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::set<std::pair<std::string, std::string>> routes;
  for (const RouteInfo& r : (*server)->Routes()) routes.insert({r.method, r.path});
  EXPECT_GE(routes.size(), 14u);

  auto doc = nlohmann::json::parse(OpenApiDocument());
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  std::set<std::pair<std::string, std::string>> documented;
  for (auto& [path, item] : doc["paths"].items()) {
    for (auto& [method, op] : item.items()) {
      std::string m = method;
      std::transform(m.begin(), m.end(), m.begin(), ::toupper);
      documented.insert({m, path});
      // Every operation documents its error responses in the one shape.
      EXPECT_TRUE(op["responses"].contains("400")) << m << " " << path;
    }
  }
  EXPECT_EQ(routes, documented);
  // Scopes in the document agree with the server: writes need write, /metrics admin.
  for (const RouteInfo& r : (*server)->Routes()) {
    std::string m = r.method;
    std::transform(m.begin(), m.end(), m.begin(), ::tolower);
    const auto& security = doc["paths"][r.path][m]["security"];
    ASSERT_TRUE(security.is_array()) << r.path;
    if (r.scope == kScopeWrite || r.scope == kScopeAdmin) {
      EXPECT_FALSE(security[0].empty()) << r.path << " must not allow anonymous access";
      EXPECT_EQ(security[0]["bearerAuth"][0], ScopesToString(r.scope)) << r.path;
    }
    if (r.always_public) {
      EXPECT_TRUE(security[0].empty()) << r.path;
    }
  }
}

}  // namespace
}  // namespace ipdx::api
