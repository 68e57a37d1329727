#pragma once
// Server::Impl and the pieces of the request pipeline shared by server.cc and routes.cc.
// Internal to api/; the only header besides exchange/ that includes httplib.
#include <httplib.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "api/api.h"
#include "api/record_cache.h"
#include "api/search_pool.h"
#include "search/search.h"
#include "service/service.h"

namespace ipdx::api {

struct Route;

// What the stages of one request share. Lives in a thread_local: httplib runs a request's
// pre-routing handler, route handler and logger on one worker thread.
struct RequestState {
  bool active = false;
  std::chrono::steady_clock::time_point start;
  Principal principal;
  const Route* route = nullptr;
  bool signature_pending = false;  // verify the signature once the body is in
  std::string refused_reason;      // for the audit log
  std::string audit_details;       // what a write did (run id, counts), for the audit log
};
RequestState& CurrentRequest();

// `reader` is null for routes called with the body already in req.body.
using RouteHandler = std::function<void(const httplib::Request&, httplib::Response&,
                                        const httplib::ContentReader* reader)>;

struct Route {
  RouteInfo info;
  std::regex regex;
  std::string regex_text;
  RouteHandler handler;
  bool streams_body = false;  // POST handler reads the body itself (ContentReader)
  // Matching without the regex (server.cc, PathMatches): every path of the route starts with
  // `literal_prefix`; when `by_regex` is false the path is exactly `segments` ("{...}" = any
  // non-empty segment), the same language as `regex`.
  std::string literal_prefix;
  std::vector<std::string> segments;
  bool by_regex = false;
  // Whether the handler reads req.matches, which costs a std::regex match a request; handlers of
  // plain templates may instead read PathParam and clear this.
  bool fill_matches = true;
};

// The value of path parameter {`name`} of the current request's route (a plain template, not
// by_regex): the same text req.matches would hold. Empty when the route has no such parameter.
std::string PathParam(const httplib::Request& req, std::string_view name);

// An append-only JSON-lines log ("-" = stderr). Thread-safe. With `flush_every_line` each line
// is flushed before Write returns (the audit log); otherwise lines are written in batches by a
// background thread at least every kLogFlushMs and when the object is destroyed (the access log:
// one system call per batch instead of per request).
inline constexpr int kLogFlushMs = 100;
class LogFile {
 public:
  LogFile() = default;
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  Status Open(const std::string& path, bool flush_every_line = true);
  void Write(std::string_view line);

 private:
  struct Closer {
    void operator()(FILE* f) const { std::fclose(f); }
  };
  void WriteOut(const std::string& text);  // under io_mu_
  std::mutex mu_;
  std::mutex io_mu_;
  bool stderr_ = false;
  bool flush_every_line_ = true;
  std::string pending_;  // mu_; batched lines not yet written
  std::unique_ptr<FILE, Closer> file_;
  std::condition_variable_any flush_cv_;
  std::jthread flusher_;  // last: stopped before the rest is destroyed
};

// Read-only store connections lent to one request at a time. Thread-safe. Every record fetch
// borrows one, so taking and returning a free connection is a compare-and-swap on its slot (each
// thread starts where it last found one); only when all are busy does a request wait on the
// mutex until one is returned.
class ReaderPool {
 public:
  struct Slot {
    std::unique_ptr<store::Store> store;
    std::atomic<bool> busy{false};
  };
  class Lease {
   public:
    Lease(ReaderPool* pool, Slot* slot) : pool_(pool), slot_(slot) {}
    ~Lease() {
      if (slot_ != nullptr) pool_->Release(slot_);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    store::Store* operator->() { return slot_->store.get(); }
    store::Store& operator*() { return *slot_->store; }

   private:
    ReaderPool* pool_;
    Slot* slot_;
  };
  Status Open(const std::string& path, size_t count);
  Lease Acquire();
  // The store's change sequence, read on `store` (a connection of this pool) only when its
  // ChangeToken says a transaction was committed since the sequence was last read (by any
  // connection or process) or cannot say: most requests read no SQLite transaction for it.
  Result<uint64_t> ChangeSequence(store::Store& store);

 private:
  Slot* TryTake();
  void Release(Slot* slot);
  std::mutex sequence_mu_;
  // The token read just BEFORE sequence_ was read (so sequence_ is at least the state it names).
  std::optional<store::Store::ChangeTokenBytes> sequence_token_;  // sequence_mu_
  uint64_t sequence_ = 0;                                         // sequence_mu_
  std::vector<std::unique_ptr<Slot>> slots_;                      // fixed after Open
  std::atomic<int> waiting_{0};                                   // requests blocked in Acquire
  std::mutex mu_;
  std::condition_variable cv_;
};

// Prometheus counters and histograms. Thread-safe. Every request is observed, so request counts
// and latencies go to a shard of the calling thread (its own mutex, which only Render ever
// contends); Render adds the shards up. Shards live as long as the Metrics.
class Metrics {
 public:
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  Metrics();
  void Observe(std::string_view route, std::string_view method, int status, double seconds);
  void Refused(const std::string& reason);
  void Ingested(const service::IngestSummary& summary);
  // The exposition text, with extra gauges (name, value) appended.
  std::string Render(const std::vector<std::pair<std::string, double>>& gauges);

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  struct Shard {
    std::mutex mu;
    // Transparent comparators: a request that finds its counters allocates nothing.
    std::map<std::tuple<std::string, std::string, int>, uint64_t, std::less<>> requests;
    std::map<std::string, Histogram, std::less<>> latency;
  };
  Shard& LocalShard();

  const uint64_t id_;  // tells this Metrics from an earlier one at the same address
  std::mutex mu_;
  std::vector<std::unique_ptr<Shard>> shards_;  // mu_
  std::map<std::string, uint64_t> refused_;     // mu_
  std::array<uint64_t, 5> ingest_{};            // mu_
};

// Adds a header whose value the server made itself (a constant, a digest, its configuration),
// skipping httplib's check for CR and LF that set_header makes on every header: that check is for
// values that come from a request, which must still go through set_header.
void AddTrustedHeader(httplib::Response& res, const char* name, std::string_view value);
void SendJson(httplib::Response& res, int status, const std::string& body);
void SendError(httplib::Response& res, int status, std::string_view code, std::string_view message,
               std::string_view details_json = {});
// The standard error body for a Status (5xx details go to the server log, not the client).
void SendStatus(httplib::Response& res, const Status& status);
// 200 with an ETag (content hash of `body`) and Cache-Control, or 304 when If-None-Match matches.
void SendCacheable(const httplib::Request& req, httplib::Response& res, std::string body,
                   const char* content_type, const std::string& cache_control);
// The same with the ETag already known (quoted).
void SendCacheableWithTag(const httplib::Request& req, httplib::Response& res,
                          const std::string& body, const std::string& etag,
                          const char* content_type, const std::string& cache_control);
bool ETagMatches(const std::string& if_none_match, const std::string& etag);

// An httplib::Server for plain HTTP whose connections run on ConnectionStream
// (http_connection.cc): the same request handling, with a poll, a recv and one send per request
// instead of about nine system calls. TLS keeps httplib::SSLServer.
std::unique_ptr<httplib::Server> MakePlainHttpServer();

struct Server::Impl {
  Impl(std::string home, ServerConfig config);

  Status Start();
  void RegisterRoutes();          // routes.cc
  void RegisterLedgerRoutes();    // ledger_routes.cc
  void RegisterClassifyRoutes();  // classify_routes.cc
  void RegisterExchangeRoutes();  // exchange_routes.cc
  // The keys signed requests are checked against: config peer_keys plus the peers pinned in the
  // node (store peers table, read on a read connection). PinnedPeers reloads them when the keyid
  // of `signature_input` is unknown, so `ipdx peer add` takes effect without a restart.
  // Thread-safe (exchange_routes.cc).
  Status ReloadPeers();
  std::shared_ptr<const std::map<std::string, ledger::VerifierKey>> PinnedPeers(
      const std::string& signature_input);
  // `path` is the OpenAPI template; each {name} matches one path segment unless `regex` (an
  // ECMAScript regular expression for the whole path, one group per {name}) says otherwise.
  void AddRoute(std::string method, std::string path, Scope scope, bool always_public,
                RouteHandler handler, bool streams_body = false, std::string regex = {});
  const Route* MatchRoute(const std::string& method, const std::string& path,
                          bool* path_known) const;
  httplib::Server::HandlerResponse PreRouting(const httplib::Request& req, httplib::Response& res);
  httplib::Server::HandlerResponse PreRoutingChecks(const httplib::Request& req,
                                                    httplib::Response& res);
  // Verifies a pending signature; on failure the response is filled and false returned.
  bool CheckSignature(const httplib::Request& req, httplib::Response& res,
                      const std::string& body_digest);
  void RunRoute(const Route& route, const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader* reader);
  // Runs the route PreRouting chose (CurrentRequest().route) on a request without a body stream.
  void RunChosenRoute(const httplib::Request& req, httplib::Response& res);
  void Log(const httplib::Request& req, const httplib::Response& res);
  void AddSecurityHeaders(httplib::Response& res) const;
  bool OriginAllowed(const std::string& origin) const;
  void Refuse(httplib::Response& res, int status, std::string_view code, const std::string& message,
              const std::string& reason);
  void ApplyRateLimit(httplib::Response& res, const RateLimiter::Decision& d) const;
  std::string CacheControlForReads() const;
  // Handlers shared by several routes (routes.cc).
  void GetRecord(const httplib::Request& req, httplib::Response& res, std::optional<int> version);
  // Search and similar documents on a read-only index handle when the service says it can be
  // trusted, else on the Node under node_mu (search_routes.cc; service/search.h).
  Result<service::SearchResponse> RunSearch(const search::SearchRequest* search,
                                            const search::SimilarRequest* similar,
                                            search::QueryError* error);
  void Similar(const httplib::Request& req, httplib::Response& res, search::SimilarRequest sr);
  void Ingest(const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader* reader);

  std::string home;
  ServerConfig config;
  // Cache-Control of current records and lists ("public, max-age=60", private when reads need a
  // token) and of stored versions (immutable), made once from the configuration.
  std::string cache_control_reads;
  std::string cache_control_immutable;
  bool tls = false;
  int port = 0;
  // The listening socket, as httplib made it (set_socket_options sees it before bind), so Bind
  // can give it a deep accept queue: httplib listens with a backlog of 5, and the connections a
  // client opens at once beyond that are dropped and retried a second or more later.
  int listen_socket = -1;

  // The node: ingest and search (externally synchronised, so under node_mu).
  std::mutex node_mu;
  std::unique_ptr<service::Node> node;
  ledger::VerifierKey log_key;  // the node's log key (service::LogPublicKey), read at Start
  std::mutex tokens_mu;
  std::unique_ptr<store::TokenStore> tokens;
  ReaderPool readers;
  std::unique_ptr<SearchPool> searchers;  // read-only index handles (set by Start)
  RecordCache record_cache{kRecordCacheBytes};
  static constexpr size_t kRecordCacheBytes = size_t{64} << 20;

  RateLimiter limiter;
  NonceCache nonces;
  std::map<std::string, ledger::VerifierKey> peers;  // from config peer_keys
  std::mutex peers_mu;
  std::shared_ptr<const std::map<std::string, ledger::VerifierKey>> pinned_peers;  // peers_mu
  Metrics metrics;
  LogFile access_log;
  LogFile audit_log;

  std::vector<Route> routes;  // fixed after Start; httplib handlers point into it
  std::unique_ptr<httplib::Server> http;
};

}  // namespace ipdx::api
