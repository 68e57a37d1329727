#pragma once
// ipdx::api: the node's HTTP API (`ipdx serve`) and its zero-trust security (docs/api/README.md).
//
// Resources live under the versioned base path /ipdx/v1/ in WIPO ST.90 style: plural nouns,
// lowerCamelCase query names, opaque pagination cursors with `next` links, and one error body
// shape {"code": "...", "message": "...", "details": {...}} whose HTTP status comes from one
// function (HttpStatusFor). The routes are listed in Server::Routes() and described by the
// OpenAPI 3.0 document OpenApiDocument() served at /ipdx/v1/openapi.json.
//
// Security (zero trust: nothing is trusted because of where it comes from):
//   * every write needs authentication; reads are public or need a token (ServerConfig);
//   * bearer tokens carry scopes read < write < admin (each implies the ones before it); they are
//     shown once at creation and stored only as SHA-256 hashes (store::TokenStore);
//   * node-to-node requests may instead be signed with the peer's Ed25519 key (HTTP Message
//     Signatures, RFC 9421) and are checked against pinned peer keys, with replay protection;
//   * per-client token-bucket rate limits (RateLimit/RateLimit-Policy/Retry-After, 429), request
//     body size (413) and time (408) limits, an audit log of every write and every refused
//     request, TLS with optional client certificates.
//
// Threads: Server runs a pool of worker threads (ServerConfig::threads), one connection per
// worker at a time. Record reads use a pool of read-only SQLite connections (WAL: readers never
// block the writer or each other); writes (ingest) and search go through the one service::Node
// under a mutex, because the Node and the store are single-writer and externally synchronised.
// Everything else (rate limiter, nonce cache, metrics, logs) is internally synchronised.
//
// Errors: expected failures are Status values; exceptions from libraries are caught at the
// request boundary and become a 500 with the standard error body.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash.h"
#include "common/status.h"
#include "exchange/exchange.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace ipdx::api {

inline constexpr std::string_view kBasePath = "/ipdx/v1";

// ---- configuration ------------------------------------------------------------------------------

// The [server] section of HOME/ipdx.toml; every field is also a flag of `ipdx serve`.
struct ServerConfig {
  std::string listen = "127.0.0.1:8080";  // ADDR:PORT; port 0 picks a free port
  bool public_reads = true;               // false: every read needs a token with scope read
  std::vector<std::string> cors_origins;  // allowed browser origins; "*" allows any
  double rate_limit = 50;                 // requests per second per client; 0 disables
  double rate_burst = 100;                // bucket size (requests)
  uint64_t max_body_bytes = 64ull << 20;  // larger request bodies: 413
  int request_timeout_s = 30;             // a request (headers + body) must arrive within this
  int threads = 64;                       // worker threads = concurrent connections served
  std::string tls_cert;                   // PEM certificate chain; with tls_key enables HTTPS
  std::string tls_key;                    // PEM private key
  std::string tls_client_ca;              // PEM CA bundle: when set, client certificates required
  std::string access_log;                 // path; "-" = stderr; "" = HOME/logs/access.log
  std::string audit_log;                  // path; "" = HOME/logs/audit.log
  // Pinned peer keys allowed to sign requests (RFC 9421), as signed-note verifier keys
  // "name+hexid+base64"; the RFC 9421 keyid is the key name.
  std::vector<std::string> peer_keys;
  // Who may read the change feed (GET /ipdx/v1/changes): "public" (like other reads) or "peers"
  // (only requests signed by a pinned peer key, or an admin token).
  std::string feed = "public";
};

// Reads the [server] section of the TOML file at `path` over `*config` (keys absent from the file
// keep their values). A missing section is fine. FailedPrecondition naming the file, line and key
// for syntax errors, unknown keys and values of the wrong type or out of range.
Status ReadServerConfig(const std::string& path, ServerConfig* config);
// Checks a complete configuration (listen address, TLS files present in pairs, limits > 0).
Status ValidateServerConfig(const ServerConfig& config);

// ---- errors
// ---------------------------------------------------------------------------------------

// The one mapping from Status codes to HTTP status codes.
int HttpStatusFor(StatusCode code);
// The ST.90 error body {"code": ..., "message": ..., "details": {...}}; `details_json` must be a
// JSON object text (empty: {}).
std::string ErrorBody(std::string_view code, std::string_view message,
                      std::string_view details_json = {});
// The error code string of a Status code ("notFound", "invalidArgument", ...).
std::string_view ErrorCodeFor(StatusCode code);

// ---- scopes and tokens
// ----------------------------------------------------------------------------

// Scopes as a bit mask; admin implies write, write implies read.
enum Scope : uint8_t { kScopeNone = 0, kScopeRead = 1, kScopeWrite = 2, kScopeAdmin = 4 };
// "read", "write", "admin" (comma-separated lists allowed). InvalidArgument for anything else.
Result<uint8_t> ParseScopes(std::string_view text);
std::string ScopesToString(uint8_t scopes);  // "read,write"
bool HasScope(uint8_t granted, Scope needed);

struct IssuedToken {
  std::string token_id;  // public identifier ("tok_" + 12 hex), safe to log
  std::string token;     // the secret bearer token: shown once, never stored
  uint8_t scopes = 0;
};
// Creates a token with `scopes` (non-empty) and a human `name`; stores only its SHA-256.
Result<IssuedToken> CreateToken(store::TokenStore& tokens, uint8_t scopes, const std::string& name);

struct Principal {
  std::string token_id;  // token id, or "peer:<keyid>" for signed requests; empty: anonymous
  uint8_t scopes = kScopeNone;
};
// Checks a presented bearer token. PermissionDenied (without saying which part was wrong) for a
// malformed, unknown or revoked token; storage errors pass through.
Result<Principal> CheckToken(store::TokenStore& tokens, std::string_view presented);

// ---- HTTP Message Signatures (RFC 9421)
// -----------------------------------------------------------

// What a signature covers and how it was made. ipdx signs with label "sig1", components
// ("@method" "@path" "@authority" "content-digest") and parameters created, keyid, nonce, alg.
struct SignatureInput {
  std::string label = "sig1";
  std::vector<std::string> components;  // e.g. "@method", "content-digest"
  std::optional<int64_t> created;
  std::optional<int64_t> expires;
  std::string key_id;
  std::string nonce;
  std::string alg;  // "ed25519" or empty
  std::string tag;
};

// The request parts a signature base draws from. Header names are lower case.
struct HttpMessage {
  std::string method;     // "POST"
  std::string path;       // "/ipdx/v1/patents" (no query)
  std::string query;      // "?a=b" or empty
  std::string authority;  // "example.com" or "host:port", lower case
  std::string scheme;     // "http" or "https"
  std::map<std::string, std::string> headers;
};

// RFC 9530 Content-Digest of `body`: "sha-256=:<base64>:"; the second form from a SHA-256
// computed while the body streamed in.
std::string ContentDigest(std::string_view body);
std::string ContentDigestOf(const Sha256Digest& sha256);
// The serialised signature parameters (the value after "label=" in Signature-Input).
std::string SerializeSignatureParams(const SignatureInput& input);
// The RFC 9421 §2.5 signature base. InvalidArgument for a component the message lacks or that
// ipdx does not support.
Result<std::string> SignatureBase(const HttpMessage& message, const std::vector<std::string>& comps,
                                  std::string_view serialized_params);

struct SignedHeaders {
  std::string content_digest;   // Content-Digest header value
  std::string signature_input;  // Signature-Input header value
  std::string signature;        // Signature header value
};
// Signs `message` (whose headers get content-digest from `body`) with `key` (the RFC 9421 keyid
// is the key name): covered components "@method" "@path" "@authority" "content-digest", created
// = `created_unix`, a fresh random nonce (when `nonce` is empty), alg "ed25519".
Result<SignedHeaders> SignRequest(const ledger::SignerKey& key, HttpMessage message,
                                  std::string_view body, int64_t created_unix,
                                  std::string nonce = {});

// Remembers (keyid, nonce) pairs for the acceptance window so a signed request is accepted once.
// Thread-safe. Bounded: when full, the oldest entries are dropped first (they are also the first
// to leave the window).
class NonceCache {
 public:
  explicit NonceCache(size_t max_entries = 1 << 20) : max_entries_(max_entries) {}
  // False when the pair was seen and has not expired; otherwise remembers it until `expires_unix`.
  bool Insert(const std::string& key_id, const std::string& nonce, int64_t expires_unix,
              int64_t now_unix);

 private:
  std::mutex mu_;
  size_t max_entries_;
  std::map<std::string, int64_t> seen_;            // keyid + '\n' + nonce -> expiry
  std::multimap<int64_t, std::string> by_expiry_;  // expiry -> key in seen_
};

// Verifies the signature of a request against the pinned keys (by key name = keyid). Requires
// exactly one signature, covering at least "@method" "@path" "@authority" "content-digest", with
// created within `max_skew_s` of now (and not past expires), a nonce not seen before, alg absent
// or "ed25519", and a Content-Digest header that matches `body`. PermissionDenied naming the
// reason otherwise (unknown key, bad signature, replay, stale, digest mismatch); InvalidArgument
// for malformed headers. `body_digest` is ContentDigest() of the body received. Returns the keyid.
Result<std::string> VerifyRequest(const HttpMessage& message, std::string_view body_digest,
                                  const std::map<std::string, ledger::VerifierKey>& pinned,
                                  NonceCache& nonces, int64_t now_unix, int64_t max_skew_s = 300);

// ---- rate limiting
// --------------------------------------------------------------------------------

// Token buckets keyed by client (token id or IP address). Thread-safe. Idle full buckets are
// forgotten, so memory stays bounded by the clients active within a refill period.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(double rate_per_s, double burst) : rate_(rate_per_s), burst_(burst) {}
  struct Decision {
    bool allowed = true;
    uint64_t remaining = 0;      // whole requests left in the bucket
    uint64_t retry_after_s = 0;  // when refused: seconds until one request is allowed
    uint64_t reset_s = 0;        // seconds until the bucket is full again
  };
  Decision Take(const std::string& client, Clock::time_point now);
  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  std::mutex mu_;
  double rate_;
  double burst_;
  std::map<std::string, Bucket> buckets_;
  Clock::time_point last_sweep_{};
};

// ---- the server
// -----------------------------------------------------------------------------------

struct RouteInfo {
  std::string method;  // "GET", "POST"
  std::string path;    // OpenAPI template, "/ipdx/v1/patents/{id}"
  Scope scope;         // needed scope (read routes are public when ServerConfig::public_reads)
  bool always_public = false;  // /health, /openapi.json
};

// The OpenAPI 3.0 document of the API (JSON text, embedded at build time from openapi.json).
std::string_view OpenApiDocument();

// ---- peer client (exchange over HTTP) -------------------------------------------------------

struct PeerClientOptions {
  int connect_timeout_s = 10;
  int read_timeout_s = 300;  // a batch of kMaxBatchEntries records may take a while to build
  int retries = 3;           // transient failures (no connection, 429, 502-504) retried, backoff
  int backoff_ms = 500;      // first retry delay; doubled each time (Retry-After when longer)
  std::string ca_file;       // PEM CA bundle for https peers; empty: the system's default
  bool verify_tls = true;    // false only for tests with self-signed certificates
  std::string client_cert;   // PEM client certificate (peers that require one) and its key
  std::string client_key;
};

// A PeerTransport (exchange/exchange.h) over HTTP(S) to the node at `base_url`
// ("https://ipdx.example.org", optionally with a path prefix). Every request is signed with
// `node_key` (RFC 9421, keyid = the key's name), sends Accept-Encoding: zstd and decompresses
// zstd bodies with exchange::ZstdDecompress (limit exchange::kMaxBatchBytes). A peer that has not
// pinned our key yet refuses signed reads; reads then fall back to unsigned requests, which a
// public feed answers. Errors name the URL, the HTTP status and the peer's error message:
// Unavailable for network failures and 5xx (after the retries), PermissionDenied for 401/403,
// NotFound, InvalidArgument as the peer's status says. `node_key` must outlive the transport.
// Not thread-safe (one sync uses one transport).
Result<std::unique_ptr<exchange::PeerTransport>> MakeHttpPeerTransport(
    const std::string& base_url, const ledger::SignerKey& node_key, PeerClientOptions options = {});

// One node's HTTP server. Create, then Bind (reports the address), then Run (blocks) until Stop
// is called from another thread. Stop lets in-flight requests finish. The Server must outlive
// Run; Stop may be called from any thread (not from a signal handler).
class Server {
 public:
  // Opens the node at `home` (service::Node), its token store and `config.threads` read
  // connections. FailedPrecondition for a folder that is not a node or a bad configuration.
  static Result<std::unique_ptr<Server>> Create(const std::string& home, ServerConfig config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket. Returns the base URL, "http://127.0.0.1:PORT" (https with TLS).
  Result<std::string> Bind();
  // Serves until Stop(); returns once in-flight requests have finished.
  Status Run();
  void Stop();

  // Every route the server answers (besides OPTIONS preflights), for the OpenAPI test.
  std::vector<RouteInfo> Routes() const;

  struct Impl;  // server_internal.h
  explicit Server(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ipdx::api
