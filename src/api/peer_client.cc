// The HTTP side of exchange: a PeerTransport that reaches another node's API with signed requests
// (RFC 9421, the node's log key) and zstd-compressed change batches (docs/api/README.md
// "Exchange", docs/formats/exchange.md).
//
// Why the details are as they are:
//   * one keep-alive connection per transport: a sync makes many requests to one peer;
//   * the Host header is set here, so the @authority we sign is exactly what the peer receives;
//   * a retry signs again (fresh nonce): the peer refuses a replayed signature by design;
//   * bodies are read through a content receiver that stops at kMaxBatchBytes, so a hostile peer
//     cannot make us buffer without end, and the bytes counted are the bytes on the wire.
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "api/api.h"
#include "api/internal.h"

#ifndef IPDX_VERSION
#define IPDX_VERSION "0.1.0"
#endif

namespace ipdx::api {
namespace {

struct ParsedUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets
  int port = 0;
  std::string authority;  // as sent in Host: host[:port], lower case
  std::string prefix;     // path prefix without the trailing '/', may be empty
};

Result<ParsedUrl> ParseBaseUrl(const std::string& url) {
  ParsedUrl out;
  const size_t sep = url.find("://");
  if (sep == std::string::npos) {
    return Status::InvalidArgument("peer URL '" + url + "' must start with http:// or https://");
  }
  out.scheme = url.substr(0, sep);
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out.scheme != "http" && out.scheme != "https") {
    return Status::InvalidArgument("peer URL '" + url + "' must start with http:// or https://");
  }
  std::string rest = url.substr(sep + 3);
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) out.prefix = rest.substr(slash);
  while (!out.prefix.empty() && out.prefix.back() == '/') out.prefix.pop_back();
  if (out.prefix.find_first_of("?#") != std::string::npos) {
    return Status::InvalidArgument("peer URL '" + url + "' must not have a query or fragment");
  }
  if (authority.empty() || authority.find('@') != std::string::npos) {
    return Status::InvalidArgument("peer URL '" + url + "' has no host (or carries credentials)");
  }
  std::transform(authority.begin(), authority.end(), authority.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string port_text;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("bad IPv6 host in " + url);
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Status::InvalidArgument("bad host in " + url);
      port_text = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Status::InvalidArgument("peer URL '" + url + "' has no host");
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    auto p = internal::ParseUint(port_text);
    if (!p || *p == 0 || *p > 65535) {
      return Status::InvalidArgument("peer URL '" + url + "' has a bad port");
    }
    out.port = static_cast<int>(*p);
  }
  out.authority = authority;
  return out;
}

// The Status for an HTTP error status of the peer.
StatusCode CodeForHttp(int status) {
  switch (status) {
    case 400:
    case 413:
    case 414:
    case 415:
      return StatusCode::kInvalidArgument;
    case 401:
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 409:  // HttpStatusFor: AlreadyExists and FailedPrecondition
    case 412:
      return StatusCode::kFailedPrecondition;
    case 429:
    case 502:
    case 503:
    case 504:
      return StatusCode::kUnavailable;
    default:
      return status >= 500 ? StatusCode::kUnavailable : StatusCode::kInternal;
  }
}

bool Transient(int status) { return status == 429 || (status >= 502 && status <= 504); }

// "code: message" of the peer's standard error body, or the start of whatever it sent.
std::string ErrorText(const std::string& body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) {
    std::string code = j.contains("code") && j["code"].is_string() ? j["code"].get<std::string>()
                                                                   : std::string("error");
    return code + ": " + j["message"].get<std::string>();
  }
  std::string shown = body.substr(0, 200);
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return shown.empty() ? std::string("(no body)") : shown;
}

class HttpPeerTransport final : public exchange::PeerTransport {
 public:
  HttpPeerTransport(std::string base_url, ParsedUrl url, const ledger::SignerKey& key,
                    PeerClientOptions options)
      : base_url_(std::move(base_url)),
        url_(std::move(url)),
        key_(key),
        options_(std::move(options)) {}

  Status Connect() {
    const std::string scheme_host_port =
        url_.scheme + "://" +
        (url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host) + ":" +
        std::to_string(url_.port);
    try {
      if (!options_.client_cert.empty()) {
        client_ = std::make_unique<httplib::Client>(scheme_host_port, options_.client_cert,
                                                    options_.client_key);
      } else {
        client_ = std::make_unique<httplib::Client>(scheme_host_port);
      }
    } catch (const std::exception& e) {
      return Status::InvalidArgument("peer " + base_url_ + ": " + e.what());
    }
    if (!client_->is_valid()) {
      return Status::InvalidArgument("peer " + base_url_ +
                                     ": cannot set up the client (bad client certificate or key?)");
    }
    client_->set_keep_alive(true);
    client_->set_connection_timeout(options_.connect_timeout_s, 0);
    client_->set_read_timeout(options_.read_timeout_s, 0);
    client_->set_write_timeout(options_.read_timeout_s, 0);
    if (url_.scheme == "https") {
      client_->enable_server_certificate_verification(options_.verify_tls);
      if (!options_.ca_file.empty()) client_->set_ca_cert_path(options_.ca_file);
    }
    return Status::Ok();
  }

  Result<exchange::NodeInfo> GetNodeInfo() override {
    IPDX_ASSIGN_OR_RETURN(std::string body, Get(std::string(kBasePath) + "/node", ""));
    Result<exchange::NodeInfo> info = exchange::ParseNodeInfo(body);
    if (!info.ok()) {
      return Status(info.status().code(),
                    "peer " + base_url_ + ": node information: " + info.status().message());
    }
    return info;
  }

  Result<std::string> GetChanges(const exchange::ChangeRequest& request) override {
    std::string query =
        "?after=" + std::to_string(request.after) + "&limit=" + std::to_string(request.limit);
    if (request.known > 0) query += "&known=" + std::to_string(request.known);
    return Get(std::string(kBasePath) + "/changes", query);
  }

  Status PostCosignature(std::string_view cosigned_checkpoint) override {
    // Never unsigned: only a pinned peer's signature (or an admin token) may add cosignatures.
    IPDX_ASSIGN_OR_RETURN(Reply reply,
                          Send("POST", std::string(kBasePath) + "/log/cosignatures", "",
                               cosigned_checkpoint, "text/plain; charset=utf-8", true));
    if (reply.status / 100 != 2) return ErrorFor("POST", "/log/cosignatures", reply);
    return Status::Ok();
  }

  uint64_t bytes_received() const override { return bytes_received_; }

 private:
  struct Reply {
    int status = 0;
    std::string body;
    std::string content_encoding;
  };

  Status ErrorFor(const std::string& method, const std::string& what, const Reply& reply) const {
    return Status(CodeForHttp(reply.status),
                  "peer " + base_url_ + ": " + method + " " + std::string(kBasePath) + what +
                      ": HTTP " + std::to_string(reply.status) + " " + ErrorText(reply.body));
  }

  // GET with signature; falls back to unsigned once when the peer has not pinned our key (a
  // public resource is then still readable). Decompresses zstd.
  Result<std::string> Get(const std::string& path, const std::string& query) {
    IPDX_ASSIGN_OR_RETURN(Reply reply, Send("GET", path, query, {}, nullptr, !unsigned_reads_));
    if (reply.status == 401 && !unsigned_reads_ &&
        reply.body.find("is not a pinned peer key") != std::string::npos) {
      unsigned_reads_ = true;
      IPDX_ASSIGN_OR_RETURN(reply, Send("GET", path, query, {}, nullptr, false));
    }
    const std::string what = path.substr(kBasePath.size()) + query;
    if (reply.status != 200) return ErrorFor("GET", what, reply);
    if (reply.content_encoding == "zstd") {
      Result<std::string> plain = exchange::ZstdDecompress(reply.body, exchange::kMaxBatchBytes);
      if (!plain.ok()) {
        return Status(plain.status().code(), "peer " + base_url_ + ": GET " + path + query +
                                                 ": bad zstd body: " + plain.status().message());
      }
      return std::move(*plain);
    }
    if (!reply.content_encoding.empty() && reply.content_encoding != "identity") {
      return Status::InvalidArgument("peer " + base_url_ + ": GET " + path + query +
                                     ": unexpected Content-Encoding " + reply.content_encoding);
    }
    return std::move(reply.body);
  }

  // One request with retries of transient failures. Returns the peer's reply whatever its status
  // (Unavailable only when no usable reply came after the retries).
  Result<Reply> Send(const std::string& method, const std::string& path, const std::string& query,
                     std::string_view body, const char* content_type, bool sign) {
    Status last = Status::Unavailable("no attempt");
    int delay_ms = options_.backoff_ms;
    for (int attempt = 0; attempt <= options_.retries; ++attempt) {
      if (attempt > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        delay_ms *= 2;
      }
      httplib::Request req;
      req.method = method;
      req.path = url_.prefix + path + query;
      req.set_header("Host", url_.authority);
      req.set_header("Accept", "application/json");
      req.set_header("Accept-Encoding", "zstd");
      req.set_header("User-Agent", "ipdx/" IPDX_VERSION);
      if (content_type != nullptr) req.set_header("Content-Type", content_type);
      req.body = std::string(body);
      if (sign) {
        HttpMessage msg;
        msg.method = method;
        msg.path = url_.prefix + path;
        msg.query = query;
        msg.authority = url_.authority;
        msg.scheme = url_.scheme;
        IPDX_ASSIGN_OR_RETURN(SignedHeaders sh,
                              SignRequest(key_, std::move(msg), body, internal::NowUnix()));
        req.set_header("Content-Digest", sh.content_digest);
        req.set_header("Signature-Input", sh.signature_input);
        req.set_header("Signature", sh.signature);
      }
      std::string received;
      bool too_large = false;
      req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
        if (received.size() + n > exchange::kMaxBatchBytes) {
          too_large = true;
          return false;
        }
        received.append(data, n);
        return true;
      };
      httplib::Response res;
      httplib::Error err = httplib::Error::Success;
      const bool ok = client_->send(req, res, err);
      bytes_received_ += received.size();
      for (const auto& [name, value] : res.headers)
        bytes_received_ += name.size() + value.size() + 4;
      if (too_large) {
        return Status::InvalidArgument("peer " + base_url_ + ": " + method + " " + path + query +
                                       ": the response exceeds " +
                                       std::to_string(exchange::kMaxBatchBytes) + " bytes");
      }
      if (!ok) {
        last =
            Status::Unavailable("peer " + base_url_ + ": " + method + " " + path + query + ": " +
                                httplib::to_string(err) + " (after " + std::to_string(attempt + 1) +
                                " attempt" + (attempt == 0 ? "" : "s") + ")");
        continue;
      }
      Reply reply{res.status, std::move(received), res.get_header_value("Content-Encoding")};
      if (Transient(res.status) && attempt < options_.retries) {
        if (res.has_header("Retry-After")) {
          auto s = internal::ParseUint(res.get_header_value("Retry-After"));
          if (s && *s <= 60) delay_ms = std::max(delay_ms, static_cast<int>(*s) * 1000);
        }
        last = ErrorFor(method, path.substr(kBasePath.size()) + query, reply);
        continue;
      }
      return reply;
    }
    return last;
  }

  std::string base_url_;
  ParsedUrl url_;
  const ledger::SignerKey& key_;
  PeerClientOptions options_;
  std::unique_ptr<httplib::Client> client_;
  uint64_t bytes_received_ = 0;
  bool unsigned_reads_ = false;
};

}  // namespace

Result<std::unique_ptr<exchange::PeerTransport>> MakeHttpPeerTransport(
    const std::string& base_url, const ledger::SignerKey& node_key, PeerClientOptions options) {
  IPDX_ASSIGN_OR_RETURN(ParsedUrl url, ParseBaseUrl(base_url));
  if (options.retries < 0 || options.retries > 10 || options.backoff_ms < 0) {
    return Status::InvalidArgument("retries must be 0..10 and backoff_ms >= 0");
  }
  std::string shown = base_url;
  while (!shown.empty() && shown.back() == '/') shown.pop_back();
  auto transport =
      std::make_unique<HttpPeerTransport>(shown, std::move(url), node_key, std::move(options));
  IPDX_RETURN_IF_ERROR(transport->Connect());
  return std::unique_ptr<exchange::PeerTransport>(std::move(transport));
}

}  // namespace ipdx::api
