// The HTTP server: the request pipeline (security headers, CORS, path checks, authentication,
// rate limits, size and time limits, audit and access logs, metrics) around the routes of
// routes.cc. One request runs on one worker thread from start to end, so the state the pipeline
// stages share lives in a thread_local RequestState.
#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>

#include "api/internal.h"
#include "api/server_internal.h"
#include "service/ledger.h"
#include "webui/webui.h"

namespace ipdx::api {

namespace {

thread_local RequestState t_request;

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Standard error codes for responses httplib makes itself (no route, bad request line ...).
std::pair<const char*, const char*> CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return {"invalidArgument", "the request is malformed"};
    case 401:
      return {"unauthenticated", "authentication required"};
    case 403:
      return {"forbidden", "not allowed"};
    case 404:
      return {"notFound", "no such resource"};
    case 405:
      return {"methodNotAllowed", "method not allowed on this resource"};
    case 408:
      return {"requestTimeout", "the request did not arrive in time"};
    case 413:
      return {"payloadTooLarge", "the request body is too large"};
    case 414:
      return {"uriTooLong", "the request URI is too long"};
    case 415:
      return {"unsupportedMediaType", "unsupported content type"};
    case 416:
      return {"rangeNotSatisfiable", "range not satisfiable"};
    case 429:
      return {"tooManyRequests", "rate limit exceeded"};
    case 503:
      return {"unavailable", "the service is unavailable"};
    default:
      return {status >= 500 ? "internal" : "invalidArgument", "request failed"};
  }
}

}  // namespace

RequestState& CurrentRequest() { return t_request; }

// ---- LogFile ---------------------------------------------------------------------------------

Status LogFile::Open(const std::string& path, bool flush_every_line) {
  flush_every_line_ = flush_every_line;
  if (path == "-") {
    stderr_ = true;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    FILE* f = std::fopen(path.c_str(), "a");
    if (f == nullptr) return Status::IOError("cannot open log file " + path);
    file_.reset(f);
  }
  if (!flush_every_line_) {
    flusher_ = std::jthread([this](std::stop_token stop) {
      std::string batch;
      while (!stop.stop_requested()) {
        {
          std::unique_lock lock(mu_);
          flush_cv_.wait_for(lock, stop, std::chrono::milliseconds(kLogFlushMs),
                             [] { return false; });
          batch.swap(pending_);
        }
        if (!batch.empty()) {
          std::lock_guard io(io_mu_);
          WriteOut(batch);
        }
        batch.clear();
      }
    });
  }
  return Status::Ok();
}

LogFile::~LogFile() {
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  std::lock_guard lock(mu_);
  std::lock_guard io(io_mu_);
  if (!pending_.empty()) WriteOut(pending_);
}

void LogFile::WriteOut(const std::string& text) {
  FILE* f = stderr_ ? stderr : file_.get();
  if (f == nullptr) return;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fflush(f);
}

void LogFile::Write(std::string_view line) {
  if (flush_every_line_) {
    std::string text;
    text.reserve(line.size() + 1);
    text.append(line).push_back('\n');
    std::lock_guard io(io_mu_);
    WriteOut(text);
    return;
  }
  std::lock_guard lock(mu_);
  pending_.append(line).push_back('\n');
}

// ---- ReaderPool ------------------------------------------------------------------------------

Status ReaderPool::Open(const std::string& path, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    auto slot = std::make_unique<Slot>();
    IPDX_ASSIGN_OR_RETURN(slot->store, store::Store::OpenSqlite(path));
    slots_.push_back(std::move(slot));
  }
  return Status::Ok();
}

ReaderPool::Slot* ReaderPool::TryTake() {
  thread_local size_t hint = 0;
  const size_t n = slots_.size();
  for (size_t i = 0; i < n; ++i) {
    Slot* slot = slots_[(hint + i) % n].get();
    if (!slot->busy.load() && !slot->busy.exchange(true)) {
      hint = (hint + i) % n;
      return slot;
    }
  }
  return nullptr;
}

ReaderPool::Lease ReaderPool::Acquire() {
  if (Slot* slot = TryTake()) return Lease(this, slot);
  std::unique_lock lock(mu_);
  waiting_.fetch_add(1);
  // Registered as waiting before looking again: a connection returned after this look sees the
  // count and wakes us (Release), one returned before it is found here.
  Slot* slot = nullptr;
  cv_.wait(lock, [&] { return (slot = TryTake()) != nullptr; });
  waiting_.fetch_sub(1);
  return Lease(this, slot);
}

Result<uint64_t> ReaderPool::ChangeSequence(store::Store& store) {
  // The token first, then the sequence: the sequence then reflects at least the state the token
  // names, and while the token stays the same nothing newer can exist. Racing refreshes may store
  // an older pair over a newer one; that only costs the next request a transaction.
  const std::optional<store::Store::ChangeTokenBytes> token = store.ChangeToken();
  if (token) {
    std::lock_guard lock(sequence_mu_);
    if (sequence_token_ == token) return sequence_;
  }
  IPDX_ASSIGN_OR_RETURN(const uint64_t sequence, store.ChangeSequence());
  if (token) {
    std::lock_guard lock(sequence_mu_);
    sequence_token_ = token;
    sequence_ = sequence;
  }
  return sequence;
}

void ReaderPool::Release(Slot* slot) {
  slot->busy.store(false);
  if (waiting_.load() > 0) {
    std::lock_guard lock(mu_);
    cv_.notify_one();
  }
}

// ---- Metrics ---------------------------------------------------------------------------------

namespace {
std::atomic<uint64_t> g_next_metrics_id{1};
}  // namespace

Metrics::Metrics() : id_(g_next_metrics_id.fetch_add(1)) {}

Metrics::Shard& Metrics::LocalShard() {
  // One shard per (thread, Metrics): a worker thread serves one server all its life, but tests
  // run several servers in one process, one after the other.
  thread_local uint64_t owner = 0;
  thread_local Shard* shard = nullptr;
  if (owner != id_) {
    auto made = std::make_unique<Shard>();
    shard = made.get();
    owner = id_;
    std::lock_guard lock(mu_);
    shards_.push_back(std::move(made));
  }
  return *shard;
}

void Metrics::Observe(std::string_view route, std::string_view method, int status, double seconds) {
  Shard& shard = LocalShard();
  std::lock_guard lock(shard.mu);
  const std::tuple<std::string_view, std::string_view, int> key{route, method, status};
  auto counter = shard.requests.find(key);
  if (counter == shard.requests.end()) {
    counter = shard.requests.emplace(std::tuple(std::string(route), std::string(method), status), 0)
                  .first;
  }
  ++counter->second;
  auto histogram = shard.latency.find(route);
  if (histogram == shard.latency.end()) {
    histogram = shard.latency.emplace(route, Histogram{}).first;
  }
  Histogram& h = histogram->second;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::Refused(const std::string& reason) {
  std::lock_guard lock(mu_);
  ++refused_[reason];
}

void Metrics::Ingested(const service::IngestSummary& s) {
  std::lock_guard lock(mu_);
  ingest_[0] += s.documents;
  ingest_[1] += s.accepted;
  ingest_[2] += s.updated;
  ingest_[3] += s.unchanged;
  ingest_[4] += s.rejected;
}

std::string Metrics::Render(const std::vector<std::pair<std::string, double>>& gauges) {
  std::lock_guard lock(mu_);
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests;
  std::map<std::string, Histogram> latency;
  for (const std::unique_ptr<Shard>& shard : shards_) {
    std::lock_guard shard_lock(shard->mu);
    for (const auto& [key, n] : shard->requests) requests[key] += n;
    for (const auto& [route, h] : shard->latency) {
      Histogram& sum = latency[route];
      for (size_t i = 0; i < kBuckets.size(); ++i) sum.counts[i] += h.counts[i];
      sum.count += h.count;
      sum.sum += h.sum;
    }
  }
  std::string out;
  out += "# HELP ipdx_http_requests_total HTTP requests by route, method and status.\n";
  out += "# TYPE ipdx_http_requests_total counter\n";
  for (const auto& [key, n] : requests) {
    const auto& [route, method, status] = key;
    out += fmt::format("ipdx_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                       route, method, status, n);
  }
  out += "# HELP ipdx_http_request_duration_seconds Time from request start to response.\n";
  out += "# TYPE ipdx_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("ipdx_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                         route, kBuckets[i], h.counts[i]);
    }
    out += fmt::format("ipdx_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                       route, h.count);
    out += fmt::format("ipdx_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum);
    out += fmt::format("ipdx_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route,
                       h.count);
  }
  out += "# HELP ipdx_http_refused_total Requests refused by the security pipeline, by reason.\n";
  out += "# TYPE ipdx_http_refused_total counter\n";
  for (const auto& [reason, n] : refused_) {
    out += fmt::format("ipdx_http_refused_total{{reason=\"{}\"}} {}\n", reason, n);
  }
  static constexpr const char* kIngestNames[] = {"documents", "accepted", "updated", "unchanged",
                                                 "rejected"};
  out += "# HELP ipdx_api_ingest_documents_total Documents ingested through the API, by outcome.\n";
  out += "# TYPE ipdx_api_ingest_documents_total counter\n";
  for (size_t i = 0; i < 5; ++i) {
    out += fmt::format("ipdx_api_ingest_documents_total{{outcome=\"{}\"}} {}\n", kIngestNames[i],
                       ingest_[i]);
  }
  for (const auto& [name, value] : gauges) {
    out += fmt::format("# TYPE {} gauge\n{} {}\n", name, name, value);
  }
  return out;
}

// ---- responses -------------------------------------------------------------------------------

void AddTrustedHeader(httplib::Response& res, const char* name, std::string_view value) {
  res.headers.emplace(name, value);
}

void SendJson(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void SendError(httplib::Response& res, int status, std::string_view code, std::string_view message,
               std::string_view details_json) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(ErrorBody(code, message, details_json), "application/json");
}

void SendStatus(httplib::Response& res, const Status& status) {
  // Internal details of stored data and I/O stay in the server's log; clients get the category.
  const int http = HttpStatusFor(status.code());
  if (http >= 500) {
    std::fprintf(stderr, "ipdx serve: %s\n", status.ToString().c_str());
    SendError(res, http, ErrorCodeFor(status.code()),
              status.code() == StatusCode::kUnavailable ? status.message()
                                                        : "internal error; see the server log");
    return;
  }
  SendError(res, http, ErrorCodeFor(status.code()), status.message());
}

bool ETagMatches(const std::string& if_none_match, const std::string& etag) {
  if (internal::Trim(if_none_match) == "*") return true;
  size_t pos = 0;
  while (pos < if_none_match.size()) {
    size_t comma = if_none_match.find(',', pos);
    if (comma == std::string::npos) comma = if_none_match.size();
    std::string_view tag = internal::Trim(std::string_view(if_none_match).substr(pos, comma - pos));
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);  // weak comparison (RFC 9110 13.1.2)
    if (tag == etag) return true;
    pos = comma + 1;
  }
  return false;
}

namespace {

// The validator headers; true when the client's copy is current (304, no body).
bool NotModified(const httplib::Request& req, httplib::Response& res, const std::string& etag,
                 const std::string& cache_control) {
  // The ETag is a quoted hex digest and the Cache-Control one of the server's own values.
  AddTrustedHeader(res, "ETag", etag);
  AddTrustedHeader(res, "Cache-Control", cache_control);
  AddTrustedHeader(res, "Vary", "Accept, Accept-Encoding, Origin, Authorization");
  if (req.has_header("If-None-Match") && ETagMatches(req.get_header_value("If-None-Match"), etag)) {
    res.status = 304;
    return true;
  }
  res.status = 200;
  return false;
}

}  // namespace

void SendCacheable(const httplib::Request& req, httplib::Response& res, std::string body,
                   const char* content_type, const std::string& cache_control) {
  const std::string etag = "\"" + Sha256Hex(body).substr(0, 32) + "\"";
  if (!NotModified(req, res, etag, cache_control)) res.set_content(std::move(body), content_type);
}

void SendCacheableWithTag(const httplib::Request& req, httplib::Response& res,
                          const std::string& body, const std::string& etag,
                          const char* content_type, const std::string& cache_control) {
  if (!NotModified(req, res, etag, cache_control)) res.set_content(body, content_type);
}

// ---- Server::Impl ----------------------------------------------------------------------------

Server::Impl::Impl(std::string home_in, ServerConfig config_in)
    : home(std::move(home_in)),
      config(std::move(config_in)),
      cache_control_reads(config.public_reads ? "public, max-age=60" : "private, max-age=60"),
      cache_control_immutable(config.public_reads ? "public, max-age=31536000, immutable"
                                                  : "private, max-age=31536000, immutable"),
      limiter(config.rate_limit, config.rate_burst) {}

std::string Server::Impl::CacheControlForReads() const { return cache_control_reads; }

namespace {

// Whether `path` is one of `route`'s paths. Comparing segments is what the route's regex does
// for a plain template, without the regex engine (std::regex costs microseconds a route, and
// every request was matched against every route); routes with their own regex still use it.
bool PathMatches(const Route& route, std::string_view path) {
  if (!path.starts_with(route.literal_prefix)) return false;
  if (route.by_regex) return std::regex_match(path.begin(), path.end(), route.regex);
  for (const std::string& segment : route.segments) {
    if (path.empty() || path.front() != '/') return false;
    path.remove_prefix(1);
    const std::string_view part = path.substr(0, path.find('/'));
    if (segment.front() == '{' ? part.empty() : part != segment) return false;
    path.remove_prefix(part.size());
  }
  return path.empty();
}

}  // namespace

const Route* Server::Impl::MatchRoute(const std::string& method, const std::string& path,
                                      bool* path_known) const {
  *path_known = false;
  const std::string_view m = method == "HEAD" ? std::string_view("GET") : method;
  for (const Route& r : routes) {
    if (PathMatches(r, path)) {
      *path_known = true;
      if (r.info.method == m) return &r;
    }
  }
  return nullptr;
}

void Server::Impl::AddSecurityHeaders(httplib::Response& res) const {
  // Constant values: added without set_header's scan for CR and LF (AddTrustedHeader).
  AddTrustedHeader(res, "X-Content-Type-Options", "nosniff");
  AddTrustedHeader(res, "Content-Security-Policy",
                   "default-src 'none'; frame-ancestors 'none'; sandbox");
  AddTrustedHeader(res, "Referrer-Policy", "no-referrer");
  AddTrustedHeader(res, "X-Frame-Options", "DENY");
  AddTrustedHeader(res, "Cross-Origin-Resource-Policy",
                   config.cors_origins.empty() ? "same-origin" : "cross-origin");
  if (tls) AddTrustedHeader(res, "Strict-Transport-Security", "max-age=31536000");
}

bool Server::Impl::OriginAllowed(const std::string& origin) const {
  for (const std::string& o : config.cors_origins) {
    if (o == "*" || o == origin) return true;
  }
  return false;
}

void Server::Impl::Refuse(httplib::Response& res, int status, std::string_view code,
                          const std::string& message, const std::string& reason) {
  RequestState& st = CurrentRequest();
  st.refused_reason = reason;
  metrics.Refused(reason);
  if (status == 401) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"ipdx\"");
  }
  SendError(res, status, code, message);
}

void Server::Impl::ApplyRateLimit(httplib::Response& res, const RateLimiter::Decision& d) const {
  if (limiter.rate() <= 0) return;
  const auto window = static_cast<uint64_t>(std::ceil(limiter.burst() / limiter.rate()));
  res.set_header("RateLimit-Policy",
                 fmt::format("\"default\";q={};w={}", static_cast<uint64_t>(limiter.burst()),
                             window == 0 ? 1 : window));
  res.set_header("RateLimit", fmt::format("\"default\";r={};t={}", d.remaining, d.reset_s));
  if (!d.allowed) res.set_header("Retry-After", std::to_string(d.retry_after_s));
}

httplib::Server::HandlerResponse Server::Impl::PreRouting(const httplib::Request& req,
                                                          httplib::Response& res) {
  httplib::Server::HandlerResponse r = PreRoutingChecks(req, res);
  if (r == httplib::Server::HandlerResponse::Handled &&
      (req.has_header("Content-Length") || req.has_header("Transfer-Encoding"))) {
    // The body of a request answered here is never read, so the connection cannot carry another
    // request: httplib closes it after the response when the request asks for that.
    const_cast<httplib::Request&>(req).set_header("Connection", "close");
    res.set_header("Connection", "close");
  }
  if (r == httplib::Server::HandlerResponse::Unhandled &&
      (req.method == "GET" || req.method == "HEAD") && !req.has_header("Content-Length") &&
      !req.has_header("Transfer-Encoding")) {
    // A read without a body is answered here: handing it back to httplib only has it match its
    // catch-all pattern with std::regex again (a large part of a cached record fetch).
    RunChosenRoute(req, res);
    return httplib::Server::HandlerResponse::Handled;
  }
  return r;
}

std::string PathParam(const httplib::Request& req, std::string_view name) {
  const Route* route = CurrentRequest().route;
  if (route == nullptr || route->by_regex) return {};
  // PathMatches has checked that the path has exactly the route's segments.
  std::string_view path = req.path;
  for (const std::string& segment : route->segments) {
    path.remove_prefix(std::min<size_t>(1, path.size()));  // the '/'
    const std::string_view part = path.substr(0, path.find('/'));
    if (segment.size() == name.size() + 2 && segment.front() == '{' &&
        std::string_view(segment).substr(1, name.size()) == name) {
      return std::string(part);
    }
    path.remove_prefix(part.size());
  }
  return {};
}

void Server::Impl::RunChosenRoute(const httplib::Request& req, httplib::Response& res) {
  const Route* route = CurrentRequest().route;
  if (route == nullptr) {  // cannot happen: PreRouting answers requests without a route
    SendError(res, 404, "notFound", "no resource at " + req.path);
    return;
  }
  // The handlers read path parameters from req.matches, as if httplib had matched the route.
  // httplib's Request object is not const (it passes it on as const&), so filling it is sound.
  // A route without parameters needs no match.
  if (route->fill_matches && (route->by_regex || route->info.path.find('{') != std::string::npos)) {
    std::regex_match(req.path, const_cast<httplib::Request&>(req).matches, route->regex);
  }
  RunRoute(*route, req, res, nullptr);
}

httplib::Server::HandlerResponse Server::Impl::PreRoutingChecks(const httplib::Request& req,
                                                                httplib::Response& res) {
  using HR = httplib::Server::HandlerResponse;
  RequestState& st = CurrentRequest();
  st = RequestState{};
  st.start = std::chrono::steady_clock::now();
  st.active = true;
  AddSecurityHeaders(res);

  // CORS: allowed origins get the headers; a preflight is answered here.
  const std::string origin = req.get_header_value("Origin");
  const bool cors = !origin.empty() && OriginAllowed(origin);
  if (cors) {
    bool any = std::find(config.cors_origins.begin(), config.cors_origins.end(), "*") !=
               config.cors_origins.end();
    res.set_header("Access-Control-Allow-Origin", any ? "*" : origin);
    if (!any) res.set_header("Vary", "Origin");
    res.set_header("Access-Control-Expose-Headers",
                   "ETag, Link, RateLimit, RateLimit-Policy, Retry-After");
  }
  if (req.method == "OPTIONS") {
    if (cors) {
      res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      res.set_header("Access-Control-Allow-Headers",
                     "Authorization, Content-Type, If-None-Match, Content-Digest, Signature, "
                     "Signature-Input, Accept");
      res.set_header("Access-Control-Max-Age", "600");
    }
    res.set_header("Allow", "GET, POST, OPTIONS");
    res.status = 204;
    return HR::Handled;
  }

  // Path checks. httplib has already percent-decoded the path: an encoded "..", NUL or backslash
  // is caught here too. No route serves files, but such paths are attacks and are refused loudly.
  const std::string& path = req.path;
  if (path.empty() || path[0] != '/' || path.find('\0') != std::string::npos ||
      path.find('\\') != std::string::npos || path.find("//") != std::string::npos ||
      path.find("/../") != std::string::npos || path.find("/./") != std::string::npos ||
      path.ends_with("/..") || path.ends_with("/.")) {
    Refuse(res, 400, "invalidPath", "the request path contains '..', '.', '//', NUL or '\\'",
           "bad_path");
    return HR::Handled;
  }

  // The web UI (src/webui, docs/web-ui.md): "/" and its static files, public like /health (they
  // hold no data). API paths are never web files, so this cannot shadow a route.
  if (const webui::Asset* asset = webui::FindAsset(path);
      asset != nullptr && (req.method == "GET" || req.method == "HEAD")) {
    res.headers.erase("Content-Security-Policy");  // the API's policy sandboxes the page
    res.set_header("Content-Security-Policy", std::string(webui::kContentSecurityPolicy));
    res.set_header("Cache-Control", "no-cache");
    res.set_header("ETag", std::string(asset->etag));
    res.status = req.get_header_value("If-None-Match") == asset->etag ? 304 : 200;
    if (res.status == 200) {
      res.set_content(std::string(asset->bytes), std::string(asset->content_type));
    }
    return HR::Handled;
  }

  bool path_known = false;
  st.route = MatchRoute(req.method, path, &path_known);
  if (st.route == nullptr) {
    if (path_known) {
      res.set_header("Allow", "GET, POST, OPTIONS");
      SendError(res, 405, "methodNotAllowed", req.method + " is not allowed on " + path);
    } else {
      SendError(res, 404, "notFound", "no resource at " + path);
    }
    return HR::Handled;
  }

  // Authentication (bearer token). A signature is checked once the body is in (RunRoute).
  const std::string auth = req.get_header_value("Authorization");
  const bool signed_request = req.has_header("Signature") || req.has_header("Signature-Input");
  std::string client_key = "ip:" + req.remote_addr;
  if (!auth.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0) {
      (void)limiter.Take(client_key, st.start);
      Refuse(res, 401, "unauthenticated", "Authorization must be 'Bearer <token>'", "bad_auth");
      return HR::Handled;
    }
    Result<Principal> p = [&]() -> Result<Principal> {
      std::lock_guard lock(tokens_mu);
      return CheckToken(*tokens, std::string_view(auth).substr(kBearer.size()));
    }();
    if (!p.ok()) {
      RateLimiter::Decision d = limiter.Take(client_key, st.start);
      ApplyRateLimit(res, d);
      if (p.status().code() != StatusCode::kPermissionDenied) {
        SendStatus(res, p.status());
        return HR::Handled;
      }
      Refuse(res, 401, "unauthenticated", p.status().message(), "bad_token");
      return HR::Handled;
    }
    st.principal = *p;
    client_key = "token:" + p->token_id;
  }

  // Rate limit per client.
  RateLimiter::Decision d = limiter.Take(client_key, st.start);
  ApplyRateLimit(res, d);
  if (!d.allowed) {
    Refuse(res, 429, "tooManyRequests",
           "rate limit exceeded; retry after " + std::to_string(d.retry_after_s) + " s",
           "rate_limit");
    return HR::Handled;
  }

  // Authorisation (scopes). Signed requests are authorised after their signature is verified.
  const RouteInfo& info = st.route->info;
  const bool public_route = info.always_public || (info.scope == kScopeRead && config.public_reads);
  if (!public_route && !HasScope(st.principal.scopes, info.scope)) {
    if (st.principal.token_id.empty() && signed_request) {
      st.signature_pending = true;
    } else if (st.principal.token_id.empty()) {
      Refuse(res, 401, "unauthenticated",
             std::string("this resource needs a token with scope ") +
                 ScopesToString(static_cast<uint8_t>(info.scope)),
             "no_credentials");
      return HR::Handled;
    } else {
      Refuse(res, 403, "forbidden",
             "token " + st.principal.token_id + " lacks scope " +
                 ScopesToString(static_cast<uint8_t>(info.scope)),
             "scope");
      return HR::Handled;
    }
  } else if (signed_request && st.principal.token_id.empty()) {
    // A signature on a public route is still checked: a bad one is refused, never ignored.
    st.signature_pending = true;
  }

  // Body size, before a byte of the body is read.
  if (req.has_header("Content-Length")) {
    auto length = internal::ParseUint(req.get_header_value("Content-Length"));
    if (!length) {
      Refuse(res, 400, "invalidArgument", "Content-Length is not a number", "bad_length");
      return HR::Handled;
    }
    if (*length > config.max_body_bytes) {
      Refuse(res, 413, "payloadTooLarge",
             "the body has " + std::to_string(*length) + " bytes; the limit is " +
                 std::to_string(config.max_body_bytes),
             "body_size");
      return HR::Handled;
    }
  }
  return HR::Unhandled;
}

bool Server::Impl::CheckSignature(const httplib::Request& req, httplib::Response& res,
                                  const std::string& body_digest) {
  RequestState& st = CurrentRequest();
  if (!st.signature_pending) return true;
  HttpMessage msg;
  msg.method = req.method;
  msg.path = req.path;
  msg.authority = req.get_header_value("Host");
  msg.scheme = tls ? "https" : "http";
  for (const char* h : {"signature", "signature-input", "content-digest", "content-type"}) {
    if (req.has_header(h)) msg.headers[h] = req.get_header_value(h);
  }
  Result<std::string> key = VerifyRequest(
      msg, body_digest, *PinnedPeers(msg.headers["signature-input"]), nonces, internal::NowUnix());
  if (!key.ok()) {
    Refuse(res, 401, "badSignature", key.status().message(), "bad_signature");
    return false;
  }
  st.principal.token_id = "peer:" + *key;
  // Pinned peers may read and write (push records, cosignatures); administration needs a token.
  st.principal.scopes = kScopeRead | kScopeWrite;
  st.signature_pending = false;
  const RouteInfo& info = st.route->info;
  const bool public_route = info.always_public || (info.scope == kScopeRead && config.public_reads);
  if (!public_route && !HasScope(st.principal.scopes, info.scope)) {
    Refuse(res, 403, "forbidden",
           "peer " + *key + " lacks scope " + ScopesToString(static_cast<uint8_t>(info.scope)),
           "scope");
    return false;
  }
  return true;
}

void Server::Impl::Log(const httplib::Request& req, const httplib::Response& res) {
  // Requests httplib answers before routing (a malformed request line) have no state of ours.
  RequestState& st = CurrentRequest();
  if (!st.active) st = RequestState{};
  const auto now = std::chrono::steady_clock::now();
  const double seconds = st.active ? std::chrono::duration<double>(now - st.start).count() : 0.0;
  const std::string_view route =
      st.route != nullptr ? std::string_view(st.route->info.path) : "unmatched";
  metrics.Observe(route, req.method, res.status, seconds);

  // The access line is written by hand: it is made for every request, and an ordered_json object
  // of nine members costs more than the rest of a cached record fetch.
  const std::string time = internal::NowIso();
  const double duration_ms = std::round(seconds * 1e6) / 1e3;
  std::string text;
  text.reserve(256 + req.path.size());
  text += "{\"time\":";
  internal::AppendJsonString(&text, time);
  text += ",\"client\":";
  internal::AppendJsonString(&text, req.remote_addr);
  text += ",\"method\":";
  internal::AppendJsonString(&text, req.method);
  text += ",\"path\":";
  internal::AppendJsonString(&text, req.path);
  text += ",\"route\":";
  internal::AppendJsonString(&text, route);
  fmt::format_to(std::back_inserter(text), ",\"status\":{},\"bytes\":{},\"durationMs\":{}",
                 res.status, res.body.size(), duration_ms);
  text += ",\"tokenId\":";
  internal::AppendJsonString(&text, st.principal.token_id);
  text += '}';
  access_log.Write(text);

  const bool write = req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS";
  const bool refused = !st.refused_reason.empty() || res.status == 401 || res.status == 403 ||
                       res.status == 408 || res.status == 413 || res.status == 429;
  if ((write && st.route != nullptr && st.route->info.scope != kScopeRead) || refused) {
    Json a;
    a["time"] = time;
    a["client"] = req.remote_addr;
    a["method"] = req.method;
    a["path"] = req.path;
    a["route"] = route;
    a["status"] = res.status;
    a["bytes"] = res.body.size();
    a["durationMs"] = duration_ms;
    a["tokenId"] = st.principal.token_id;
    a["event"] = refused ? "refused" : "write";
    if (!st.refused_reason.empty()) a["reason"] = st.refused_reason;
    if (!st.audit_details.empty()) a["details"] = st.audit_details;
    a["userAgent"] = req.get_header_value("User-Agent");
    audit_log.Write(Dump(a));
  }
  st = RequestState{};
}

void Server::Impl::RunRoute(const Route& route, const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader* reader) {
  RequestState& st = CurrentRequest();
  try {
    // The body's digest is worth computing only for a signed request (a SHA-256 a request).
    if (reader == nullptr && st.signature_pending &&
        !CheckSignature(req, res, ContentDigest(req.body))) {
      return;
    }
    route.handler(req, res, reader);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ipdx serve: %s %s: exception: %s\n", req.method.c_str(), req.path.c_str(),
                 e.what());
    SendError(res, 500, "internal", "internal error; see the server log");
  }
}

void Server::Impl::AddRoute(std::string method, std::string path, Scope scope, bool always_public,
                            RouteHandler handler, bool streams_body, std::string regex) {
  // {name} in the OpenAPI template -> one path segment.
  const bool by_regex = !regex.empty();
  std::string re = by_regex ? std::move(regex)
                            : std::regex_replace(path, std::regex(R"(\{[A-Za-z]+\})"), "([^/]+)");
  Route r{RouteInfo{std::move(method), std::move(path), scope, always_public}, std::regex(re), re,
          std::move(handler), streams_body};
  const std::string& tmpl = r.info.path;
  r.literal_prefix = tmpl.substr(0, tmpl.find('{'));
  r.by_regex = by_regex;
  for (size_t pos = 1; pos <= tmpl.size() && !r.by_regex;) {
    size_t slash = tmpl.find('/', pos);
    if (slash == std::string::npos) slash = tmpl.size();
    std::string segment = tmpl.substr(pos, slash - pos);
    const bool param = segment.size() > 2 && segment.front() == '{' && segment.back() == '}' &&
                       segment.find('{', 1) == std::string::npos;
    // A segment mixing text and a parameter, or an empty one, is left to the regex.
    if (segment.empty() || (!param && segment.find_first_of("{}") != std::string::npos)) {
      r.by_regex = true;
    }
    r.segments.push_back(std::move(segment));
    pos = slash + 1;
  }
  routes.push_back(std::move(r));
}

Status Server::Impl::Start() {
  IPDX_RETURN_IF_ERROR(ValidateServerConfig(config));
  IPDX_ASSIGN_OR_RETURN(node, service::Node::Open(home));
  IPDX_ASSIGN_OR_RETURN(log_key, ledger::VerifierKey::Parse(service::LogPublicKey(*node)));
  const std::string db = home + "/ipdx.db";
  IPDX_ASSIGN_OR_RETURN(tokens, store::TokenStore::OpenSqlite(db));
  IPDX_RETURN_IF_ERROR(readers.Open(db, static_cast<size_t>(std::clamp(config.threads, 1, 16))));
  for (const std::string& vkey : config.peer_keys) {
    IPDX_ASSIGN_OR_RETURN(ledger::VerifierKey key, ledger::VerifierKey::Parse(vkey));
    peers.emplace(key.name(), key);
  }
  IPDX_RETURN_IF_ERROR(ReloadPeers());
  IPDX_RETURN_IF_ERROR(
      access_log.Open(config.access_log.empty() ? home + "/logs/access.log" : config.access_log,
                      /*flush_every_line=*/false));
  // Searches beyond the cores only queue for CPU; a few more cover reads that wait for the disk.
  searchers = std::make_unique<SearchPool>(
      node->index_path(),
      std::clamp<size_t>(2 * std::max(1u, std::thread::hardware_concurrency()), 4, 32));
  IPDX_RETURN_IF_ERROR(
      audit_log.Open(config.audit_log.empty() ? home + "/logs/audit.log" : config.audit_log));

  tls = !config.tls_cert.empty();
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(
        config.tls_cert.c_str(), config.tls_key.c_str(),
        config.tls_client_ca.empty() ? nullptr : config.tls_client_ca.c_str());
    if (!ssl->is_valid()) {
      return Status::InvalidArgument("cannot use TLS certificate " + config.tls_cert + " and key " +
                                     config.tls_key + " (unreadable, mismatched or not PEM)");
    }
    http = std::move(ssl);
  } else {
    http = MakePlainHttpServer();
  }
  RegisterRoutes();
  RegisterExchangeRoutes();

  const int threads = config.threads;
  // httplib takes ownership of the queue it is given (it deletes it when the server stops).
  http->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  http->set_keep_alive_max_count(10000);
  http->set_keep_alive_timeout(5);
  http->set_read_timeout(config.request_timeout_s, 0);
  http->set_write_timeout(config.request_timeout_s, 0);
  http->set_payload_max_length(config.max_body_bytes);
  http->set_tcp_nodelay(true);
  http->set_socket_options([this](socket_t sock) {
    httplib::default_socket_options(sock);
    listen_socket = static_cast<int>(sock);
  });
  http->set_pre_routing_handler(
      [this](const httplib::Request& req, httplib::Response& res) { return PreRouting(req, res); });
  http->set_logger(
      [this](const httplib::Request& req, const httplib::Response& res) { Log(req, res); });
  http->set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty() && res.status != 304) {
          auto [code, message] = CodeForHttpStatus(res.status);
          SendError(res, res.status, code, message);
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  http->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        std::fprintf(stderr, "ipdx serve: %s %s: exception: %s\n", req.method.c_str(),
                     req.path.c_str(), what.c_str());
        SendError(res, 500, "internal", "internal error; see the server log");
      });
  // PreRouting has chosen the route, so httplib need not match every route's regex again: one
  // handler a method runs the chosen route. Only body-streaming POST routes are registered by
  // their own regex, since httplib picks its content-reader handlers before reading a body.
  for (const Route& r : routes) {
    if (r.info.method != "POST" || !r.streams_body) continue;
    const Route* rp = &r;
    http->Post(r.regex_text, [this, rp](const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& reader) {
      RunRoute(*rp, req, res, &reader);
    });
  }
  auto chosen = [this](const httplib::Request& req, httplib::Response& res) {
    RunChosenRoute(req, res);
  };
  http->Get("/.*", chosen);   // PreRouting runs GET routes itself; this serves the rest
  http->Post("/.*", chosen);  // POST routes, and streaming ones called without a body
  return Status::Ok();
}

// ---- Server ----------------------------------------------------------------------------------

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::Create(const std::string& home, ServerConfig config) {
  auto impl = std::make_unique<Impl>(home, std::move(config));
  IPDX_RETURN_IF_ERROR(impl->Start());
  return std::make_unique<Server>(std::move(impl));
}

Result<std::string> Server::Bind() {
  const std::string& listen = impl_->config.listen;
  size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const int port = std::stoi(listen.substr(colon + 1));
  int bound = 0;
  if (port == 0) {
    bound = impl_->http->bind_to_any_port(host);
  } else {
    bound = impl_->http->bind_to_port(host, port) ? port : -1;
  }
  if (bound <= 0) {
    return Status::Unavailable("cannot listen on " + listen + " (address in use or not local)");
  }
  // Listening again on a listening socket only changes its backlog (the kernel caps it at
  // net.core.somaxconn). Without it, a burst of new connections overflows the queue.
  if (impl_->listen_socket >= 0 && ::listen(impl_->listen_socket, SOMAXCONN) != 0) {
    return Status::Unavailable("cannot listen on " + listen + ": " + std::strerror(errno));
  }
  impl_->port = bound;
  const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(impl_->tls ? "https" : "http") + "://" + shown + ":" + std::to_string(bound);
}

Status Server::Run() {
  if (impl_->port == 0) return Status::FailedPrecondition("Server::Run before Bind");
  if (!impl_->http->listen_after_bind()) {
    return Status::Unavailable("the server stopped listening unexpectedly");
  }
  return Status::Ok();
}

void Server::Stop() { impl_->http->stop(); }

std::vector<RouteInfo> Server::Routes() const {
  std::vector<RouteInfo> out;
  for (const Route& r : impl_->routes) out.push_back(r.info);
  return out;
}

}  // namespace ipdx::api
