// Exchange between offices over HTTP (docs/api/README.md "Exchange", docs/formats/exchange.md):
// the change feed other nodes pull, the cosignatures they send back, and the set of pinned peer
// keys that node-to-node signatures are checked against.
//
// The feed is built on a pooled read-only connection (WAL: it never blocks ingest) and compressed
// with zstd when the client accepts it. A zstd body is labelled "application/json;
// charset=utf-8": httplib gzips "application/json" on its own when the client also accepts gzip,
// which would compress the compressed body and replace our Content-Encoding.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "api/internal.h"
#include "api/server_internal.h"
#include "service/exchange.h"

namespace ipdx::api {
namespace {

using Json = nlohmann::ordered_json;

const std::string kBase(kBasePath);
constexpr size_t kMaxCosignatureBytes = 64 * 1024;

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// True when Accept-Encoding lists `coding` without q=0 (RFC 9110 §12.5.3).
bool AcceptsEncoding(const std::string& header, std::string_view coding) {
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string::npos) comma = header.size();
    std::string_view item = internal::Trim(std::string_view(header).substr(pos, comma - pos));
    pos = comma + 1;
    const size_t semi = item.find(';');
    std::string_view name = internal::Trim(item.substr(0, semi));
    if (name.size() != coding.size() ||
        !std::equal(name.begin(), name.end(), coding.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      continue;
    }
    if (semi == std::string_view::npos) return true;
    std::string_view params = item.substr(semi + 1);
    std::string compact;
    for (char c : params) {
      if (c != ' ') compact += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    // q=0, q=0.0, q=0.00, q=0.000 refuse the coding.
    if (compact.rfind("q=0", 0) == 0 && compact.find_first_not_of("0.", 2) == std::string::npos) {
      return false;
    }
    return true;
  }
  return false;
}

// The keyid parameter of a Signature-Input header, or "" (only a hint for reloading pinned keys;
// VerifyRequest parses the header strictly).
std::string KeyIdHint(const std::string& signature_input) {
  const std::string marker = "keyid=\"";
  const size_t at = signature_input.find(marker);
  if (at == std::string::npos) return {};
  const size_t end = signature_input.find('"', at + marker.size());
  if (end == std::string::npos) return {};
  return signature_input.substr(at + marker.size(), end - at - marker.size());
}

bool IsPeer(const Principal& p) { return p.token_id.rfind("peer:", 0) == 0; }

}  // namespace

Status Server::Impl::ReloadPeers() {
  auto keys = std::make_shared<std::map<std::string, ledger::VerifierKey>>(peers);
  // A read connection, not the node: a long ingest holds node_mu, and signature checks must not
  // wait for it.
  Result<std::vector<store::PeerRow>> pinned = [&] {
    auto lease = readers.Acquire();
    return lease->ListPeers();
  }();
  if (!pinned.ok()) return pinned.status();
  for (const store::PeerRow& p : *pinned) {
    Result<ledger::VerifierKey> key = ledger::VerifierKey::Parse(p.log_vkey);
    if (!key.ok()) {
      return Status::Corruption("pinned peer " + p.name +
                                " has an unreadable log key: " + key.status().message());
    }
    keys->emplace(key->name(), *key);  // a key from the configuration wins
  }
  std::lock_guard lock(peers_mu);
  pinned_peers = std::move(keys);
  return Status::Ok();
}

std::shared_ptr<const std::map<std::string, ledger::VerifierKey>> Server::Impl::PinnedPeers(
    const std::string& signature_input) {
  const std::string key_id = KeyIdHint(signature_input);
  {
    std::lock_guard lock(peers_mu);
    const bool known = pinned_peers != nullptr && pinned_peers->count(key_id) != 0;
    if (pinned_peers != nullptr && (known || key_id.empty())) return pinned_peers;
  }
  // A peer pinned by `ipdx peer add` (another process) while the server runs: read the pinned
  // peers again. One indexed read of a small table on a read connection, cheaper than the
  // signature check itself, so unknown keys cost the store little; the rate limiter bounds them.
  Status st = ReloadPeers();
  if (!st.ok())
    std::fprintf(stderr, "ipdx serve: reloading pinned peers: %s\n", st.ToString().c_str());
  std::lock_guard lock(peers_mu);
  if (pinned_peers == nullptr) {
    pinned_peers = std::make_shared<std::map<std::string, ledger::VerifierKey>>(peers);
  }
  return pinned_peers;
}

void Server::Impl::RegisterExchangeRoutes() {
  // ---- change feed ----
  AddRoute(
      "GET", kBase + "/changes", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        const Principal& who = CurrentRequest().principal;
        if (config.feed == "peers" && !IsPeer(who) && !HasScope(who.scopes, kScopeAdmin)) {
          if (who.token_id.empty()) {
            return Refuse(res, 401, "unauthenticated",
                          "the change feed of this node is open to pinned peers only: sign the "
                          "request (RFC 9421) with a pinned peer key",
                          "feed_peers_only");
          }
          return Refuse(res, 403, "forbidden",
                        "the change feed of this node is open to pinned peers (and admin "
                        "tokens) only",
                        "feed_peers_only");
        }
        exchange::ChangeRequest cr;
        auto param = [&](const char* name, uint64_t fallback, uint64_t min,
                         uint64_t max) -> std::optional<uint64_t> {
          if (!req.has_param(name)) return fallback;
          auto v = internal::ParseUint(req.get_param_value(name));
          if (!v || *v < min || *v > max) return std::nullopt;
          return v;
        };
        auto after = param("after", 0, 0, UINT64_MAX);
        auto limit = param("limit", exchange::kDefaultBatchEntries, 1, exchange::kMaxBatchEntries);
        auto known = param("known", 0, 0, UINT64_MAX);
        if (!after) return SendError(res, 400, "invalidArgument", "after must be a leaf count");
        if (!limit) {
          return SendError(
              res, 400, "invalidArgument",
              fmt::format("limit must be an integer from 1 to {}", exchange::kMaxBatchEntries));
        }
        if (!known) return SendError(res, 400, "invalidArgument", "known must be a tree size");
        cr.after = *after;
        cr.limit = static_cast<size_t>(*limit);
        cr.known = *known;
        Result<std::string> batch = [&] {
          auto lease = readers.Acquire();
          return exchange::BuildChangeBatch(*lease, cr);
        }();
        if (!batch.ok()) return SendStatus(res, batch.status());
        res.set_header("Cache-Control", "no-store");
        res.set_header("Vary", "Accept-Encoding, Authorization, Signature");
        res.status = 200;
        if (AcceptsEncoding(req.get_header_value("Accept-Encoding"), "zstd")) {
          const size_t plain = batch->size();
          std::string packed = exchange::ZstdCompress(*batch);
          res.set_header("Content-Encoding", "zstd");
          CurrentRequest().audit_details =
              fmt::format("{} bytes, {} compressed", plain, packed.size());
          res.set_content(std::move(packed), "application/json; charset=utf-8");
        } else {
          res.set_content(std::move(*batch), "application/json");
        }
      });

  // ---- cosignatures from witnesses ----
  // Scope write in the table (so anonymous requests stop early); the handler then requires a
  // pinned peer's signature or an admin token, because a cosignature is trust, not data.
  AddRoute(
      "POST", kBase + "/log/cosignatures", kScopeWrite, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        RequestState& st = CurrentRequest();
        if (!IsPeer(st.principal) && !HasScope(st.principal.scopes, kScopeAdmin)) {
          return Refuse(res, 403, "forbidden",
                        "cosignatures are accepted from pinned peers (signed requests) or with "
                        "an admin token",
                        "scope");
        }
        const std::string ct = req.get_header_value("Content-Type");
        if (ct.rfind("text/plain", 0) != 0) {
          return SendError(res, 415, "unsupportedMediaType",
                           "send the cosigned checkpoint note as text/plain");
        }
        if (req.body.empty() || req.body.size() > kMaxCosignatureBytes) {
          return SendError(res, req.body.empty() ? 400 : 413,
                           req.body.empty() ? "invalidArgument" : "payloadTooLarge",
                           fmt::format("send one cosigned checkpoint note (1 to {} bytes)",
                                       kMaxCosignatureBytes));
        }
        Result<int> kept = [&] {
          std::lock_guard lock(node_mu);
          return service::AcceptCosignature(*node, req.body);
        }();
        if (!kept.ok()) return SendStatus(res, kept.status());
        st.audit_details =
            fmt::format("{} new cosignature(s) from {}", *kept, st.principal.token_id);
        Json out;
        out["accepted"] = *kept;
        out["links"] = {{"checkpoint", kBase + "/log/checkpoint"}};
        res.set_header("Cache-Control", "no-store");
        SendJson(res, 200, Dump(out));
      });
}

}  // namespace ipdx::api
