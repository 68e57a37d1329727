// The resources under /ipdx/v1 (docs/api/README.md; described by openapi.json). Each handler
// turns query parameters into a service or store call and the result into JSON; record JSON and
// ST.96 XML always come from codec/.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "api/internal.h"
#include "api/server_internal.h"
#include "codec/codec.h"
#include "model/model.h"
#include "service/exchange.h"
#include "service/search.h"

#ifndef IPDX_VERSION
#define IPDX_VERSION "0.1.0"
#endif

namespace ipdx::api {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const std::string kBase(kBasePath);

using internal::CanonicalId;

// An optional non-negative integer query parameter within [min, max].
Result<size_t> SizeParam(const httplib::Request& req, const char* name, size_t fallback, size_t min,
                         size_t max) {
  if (!req.has_param(name)) return fallback;
  auto v = internal::ParseUint(req.get_param_value(name));
  if (!v || *v < min || *v > max) {
    return Status::InvalidArgument(
        fmt::format("query parameter {} must be an integer from {} to {}", name, min, max));
  }
  return static_cast<size_t>(*v);
}

// Offset cursors for lists the store pages by offset: base64url("o:<offset>").
std::string OffsetCursor(size_t offset) {
  return internal::Base64UrlEncode("o:" + std::to_string(offset));
}
Result<size_t> ParseOffsetCursor(const httplib::Request& req) {
  if (!req.has_param("cursor")) return size_t{0};
  auto raw = internal::Base64UrlDecode(req.get_param_value("cursor"));
  if (!raw.ok() || raw->rfind("o:", 0) != 0) return Status::InvalidArgument("invalid cursor");
  auto v = internal::ParseUint(std::string_view(*raw).substr(2));
  if (!v || *v > 1000000) return Status::InvalidArgument("invalid cursor");
  return static_cast<size_t>(*v);
}

// Rebuilds a link to the same resource with some query parameters replaced.
std::string Link(const httplib::Request& req, const std::map<std::string, std::string>& set) {
  std::map<std::string, std::string> params;
  for (const auto& [k, v] : req.params) params[k] = v;
  for (const auto& [k, v] : set) params[k] = v;
  std::string out = req.path;
  char sep = '?';
  for (const auto& [k, v] : params) {
    out += sep;
    out += httplib::detail::encode_query_param(k) + "=" + httplib::detail::encode_query_param(v);
    sep = '&';
  }
  return out;
}

std::string FirstText(const std::vector<model::LangText>& texts) {
  for (const auto& t : texts) {
    if (t.lang == "en") return t.text;
  }
  return texts.empty() ? std::string() : texts.front().text;
}

bool WantsXml(const httplib::Request& req, Status* bad) {
  if (req.has_param("format")) {
    const std::string f = req.get_param_value("format");
    if (f == "st96" || f == "xml") return true;
    if (f != "json") *bad = Status::InvalidArgument("format must be json or st96");
    return false;
  }
  const std::string accept = req.get_header_value("Accept");
  const size_t xml = std::min(accept.find("application/xml"), accept.find("text/xml"));
  const size_t json = accept.find("application/json");
  return xml != std::string::npos && (json == std::string::npos || xml < json);
}

Json HitJson(const search::Hit& h) {
  return Json{{"id", h.id},
              {"publisher", h.publisher},
              {"score", h.score},
              {"title", h.title},
              {"publicationDate", h.publication_date},
              {"office", h.office},
              {"kind", h.kind},
              {"snippet", h.snippet.text},
              {"snippetHtml", h.snippet.ToHtml()},
              {"link", kBase + "/patents/" + h.id}};
}

Json FacetJson(const std::vector<search::FacetValue>& values) {
  Json out = Json::array();
  for (const auto& v : values) out.push_back({{"value", v.value}, {"count", v.count}});
  return out;
}

std::string_view NoticeAction(service::IndexNotice::Action a) {
  switch (a) {
    case service::IndexNotice::Action::kNone:
      return "none";
    case service::IndexNotice::Action::kCaughtUp:
      return "caughtUp";
    case service::IndexNotice::Action::kRebuilt:
      return "rebuilt";
    case service::IndexNotice::Action::kStale:
      return "stale";
  }
  return "none";
}

std::string SearchJson(const service::SearchResponse& r, const httplib::Request& req, size_t offset,
                       size_t limit) {
  Json out;
  out["total"] = r.total;
  out["totalExact"] = r.total_exact;
  out["offset"] = offset;
  out["limit"] = limit;
  Json hits = Json::array();
  for (const auto& h : r.hits) hits.push_back(HitJson(h));
  out["hits"] = std::move(hits);
  if (r.facets) {
    out["facets"] = {{"office", FacetJson(r.facets->office)},
                     {"ipcSubclass", FacetJson(r.facets->ipc_subclass)},
                     {"year", FacetJson(r.facets->year)},
                     {"applicant", FacetJson(r.facets->applicant)}};
    out["facetsExact"] = r.facets_exact;
  }
  Json notices = Json::array();
  for (const auto& n : r.notices) {
    notices.push_back(
        {{"action", NoticeAction(n.action)}, {"message", n.message}, {"documents", n.documents}});
  }
  out["notices"] = std::move(notices);
  Json links = {{"self", Link(req, {})}};
  if (offset + r.hits.size() < r.total && r.hits.size() == limit) {
    links["next"] = Link(req, {{"offset", std::to_string(offset + limit)}});
  }
  out["links"] = std::move(links);
  return Dump(out);
}

void SendQueryError(httplib::Response& res, const Status& st, const search::QueryError& qe) {
  if (st.code() == StatusCode::kInvalidArgument && !qe.message.empty()) {
    SendError(res, 400, "invalidQuery", qe.message,
              Dump(Json{{"position", qe.position}, {"message", qe.message}}));
    return;
  }
  SendStatus(res, st);
}

// The file name extension DocumentSplitter keys on, from the request's Content-Type.
std::optional<std::string> UploadExtension(const std::string& content_type) {
  std::string ct = content_type.substr(0, content_type.find(';'));
  ct = std::string(internal::Trim(ct));
  if (ct == "application/xml" || ct == "text/xml") return ".xml";
  if (ct == "application/x-ndjson" || ct == "application/jsonl" || ct == "application/json-lines" ||
      ct == "application/ndjson") {
    return ".jsonl";
  }
  if (ct == "application/zip") return ".zip";
  return std::nullopt;
}

}  // namespace

void Server::Impl::RegisterRoutes() {
  routes.reserve(32);

  AddRoute("GET", "/health", kScopeRead, true,
           [this](const httplib::Request&, httplib::Response& res, const httplib::ContentReader*) {
             auto lease = readers.Acquire();
             Result<int> v = lease->SchemaVersion();
             res.set_header("Cache-Control", "no-store");
             if (!v.ok()) {
               SendError(res, 503, "unavailable", "the store does not answer");
               return;
             }
             SendJson(res, 200, Dump(Json{{"status", "ok"}}));
           });

  AddRoute("GET", "/metrics", kScopeAdmin, false,
           [this](const httplib::Request&, httplib::Response& res, const httplib::ContentReader*) {
             std::vector<std::pair<std::string, double>> gauges;
             {
               auto lease = readers.Acquire();
               Result<uint64_t> n = lease->CountRecords();
               if (n.ok()) gauges.emplace_back("ipdx_store_records", static_cast<double>(*n));
             }
             uint64_t bytes = 0;
             for (const char* f : {"/ipdx.db", "/ipdx.db-wal"}) {
               std::error_code ec;
               uint64_t s = fs::file_size(home + f, ec);
               if (!ec) bytes += s;
             }
             gauges.emplace_back("ipdx_store_bytes", static_cast<double>(bytes));
             res.set_header("Cache-Control", "no-store");
             res.status = 200;
             res.set_content(metrics.Render(gauges), "text/plain; version=0.0.4");
           });

  AddRoute(
      "GET", kBase + "/openapi.json", kScopeRead, true,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        SendCacheable(req, res, std::string(OpenApiDocument()), "application/json",
                      "public, max-age=3600");
      });

  AddRoute(
      "GET", kBase + "/node", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        Json out;
        out["office"] = node->config().office;
        out["officeName"] = std::string(model::St3Name(node->config().office));
        out["software"] = {{"name", "ipdx"}, {"version", IPDX_VERSION}};
        out["apiVersion"] = "v1";
        out["basePath"] = kBase;
        {
          auto lease = readers.Acquire();
          Result<uint64_t> n = lease->CountRecords();
          if (!n.ok()) return SendStatus(res, n.status());
          out["records"] = *n;
        }
        // The log key: witnesses, peers and `ipdx verify --key` use it to check checkpoints and
        // receipts (the vkey text is the complete key; the rest is for display).
        out["logOrigin"] = log_key.name();
        out["publicKeys"] = Json::array({{{"use", "log"},
                                          {"type", "ed25519"},
                                          {"keyName", log_key.name()},
                                          {"keyId", fmt::format("{:08x}", log_key.key_id())},
                                          {"vkey", log_key.ToString()},
                                          {"checkpoint", kBase + "/log/checkpoint"}}});
        // The witness key: peers check our cosignatures of their checkpoints with it.
        const std::string witness = [&] {
          std::lock_guard lock(node_mu);
          return service::WitnessPublicKey(*node);
        }();
        if (auto wkey = ledger::VerifierKey::Parse(witness); wkey.ok()) {
          out["publicKeys"].push_back({{"use", "witness"},
                                       {"type", "ed25519-cosignature"},
                                       {"keyName", wkey->name()},
                                       {"keyId", fmt::format("{:08x}", wkey->key_id())},
                                       {"vkey", witness}});
        }
        out["feed"] = config.feed;
        out["publicReads"] = config.public_reads;
        out["tls"] = tls;
        SendCacheable(req, res, Dump(out), "application/json", "no-cache");
      });

  // ---- records ----
  AddRoute(
      "GET", kBase + "/patents", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto limit = SizeParam(req, "limit", 20, 1, 1000);
        if (!limit.ok()) return SendStatus(res, limit.status());
        std::string after;
        if (req.has_param("cursor")) {
          auto raw = internal::Base64UrlDecode(req.get_param_value("cursor"));
          if (!raw.ok() || raw->rfind("id:", 0) != 0) {
            return SendError(res, 400, "invalidArgument", "invalid cursor");
          }
          after = raw->substr(3);
        }
        auto lease = readers.Acquire();
        Result<uint64_t> total = lease->CountRecords();
        if (!total.ok()) return SendStatus(res, total.status());
        Result<std::vector<model::Record>> recs = lease->ListRecords(after, *limit);
        if (!recs.ok()) return SendStatus(res, recs.status());
        Json out;
        out["total"] = *total;
        out["count"] = recs->size();
        Json items = Json::array();
        for (const auto& r : *recs) {
          items.push_back({{"id", r.Id()},
                           {"office", r.office},
                           {"kind", r.kind},
                           {"publicationDate", r.publication_date},
                           {"title", FirstText(r.titles)},
                           {"version", r.version},
                           {"hash", r.hash},
                           {"link", kBase + "/patents/" + r.Id()}});
        }
        out["records"] = std::move(items);
        Json links = {{"self", Link(req, {})}};
        if (recs->size() == *limit) {
          links["next"] =
              Link(req, {{"cursor", internal::Base64UrlEncode("id:" + recs->back().Id())}});
          res.set_header("Link", "<" + links["next"].get<std::string>() + ">; rel=\"next\"");
        }
        out["links"] = std::move(links);
        SendCacheable(req, res, Dump(out), "application/json", "no-cache");
      });

  AddRoute(
      "POST", kBase + "/patents", kScopeWrite, false,
      [this](const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader* reader) { Ingest(req, res, reader); },
      /*streams_body=*/true);

  AddRoute(
      "GET", kBase + "/patents/search", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        search::SearchRequest sr;
        sr.query = req.get_param_value("q");
        if (sr.query.empty()) {
          return SendError(res, 400, "invalidArgument", "query parameter q is required");
        }
        auto offset = SizeParam(req, "offset", 0, 0, 100000);
        auto limit = SizeParam(req, "limit", 10, 1, search::kMaxLimit);
        auto facet_limit = SizeParam(req, "facetLimit", 20, 1, 1000);
        for (const auto* r : {&offset, &limit, &facet_limit}) {
          if (!r->ok()) return SendStatus(res, r->status());
        }
        sr.offset = *offset;
        sr.limit = *limit;
        sr.facet_limit = *facet_limit;
        const std::string sort = req.has_param("sort") ? req.get_param_value("sort") : "relevance";
        if (sort == "relevance") {
          sr.sort = search::SortOrder::kRelevance;
        } else if (sort == "dateDesc") {
          sr.sort = search::SortOrder::kDateDescending;
        } else if (sort == "dateAsc") {
          sr.sort = search::SortOrder::kDateAscending;
        } else {
          return SendError(res, 400, "invalidArgument",
                           "sort must be relevance, dateDesc or dateAsc");
        }
        const std::string facets = req.get_param_value("facets");
        sr.facets = facets == "true" || facets == "1";
        search::QueryError qe;
        Result<service::SearchResponse> r = RunSearch(&sr, nullptr, &qe);
        if (!r.ok()) return SendQueryError(res, r.status(), qe);
        SendCacheable(req, res, SearchJson(*r, req, sr.offset, sr.limit), "application/json",
                      "no-cache");
      });

  AddRoute("GET", kBase + "/patents/{id}", kScopeRead, false,
           [this](const httplib::Request& req, httplib::Response& res,
                  const httplib::ContentReader*) { GetRecord(req, res, std::nullopt); });
  routes.back().fill_matches = false;  // GetRecord reads PathParam

  AddRoute(
      "GET", kBase + "/patents/{id}/versions", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto id = CanonicalId(req.matches[1]);
        if (!id.ok()) return SendStatus(res, id.status());
        auto lease = readers.Acquire();
        auto versions = lease->ListVersions(*id);
        if (!versions.ok()) return SendStatus(res, versions.status());
        Json out;
        out["id"] = *id;
        Json items = Json::array();
        for (const auto& v : *versions) {
          items.push_back(
              {{"version", v.version},
               {"hash", v.hash},
               {"storedAt", v.stored_at},
               {"sourceFile", v.source_file},
               {"link", kBase + "/patents/" + *id + "/versions/" + std::to_string(v.version)}});
        }
        out["versions"] = std::move(items);
        SendCacheable(req, res, Dump(out), "application/json", "no-cache");
      });

  AddRoute(
      "GET", kBase + "/patents/{id}/versions/{version}", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto v = internal::ParseUint(PathParam(req, "version"));
        if (!v || *v == 0 || *v > 1000000) {
          return SendError(res, 400, "invalidArgument", "version must be a positive integer");
        }
        GetRecord(req, res, static_cast<int>(*v));
      });
  routes.back().fill_matches = false;

  AddRoute(
      "GET", kBase + "/patents/{id}/similar", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto id = CanonicalId(req.matches[1]);
        if (!id.ok()) return SendStatus(res, id.status());
        search::SimilarRequest sr;
        sr.id = *id;
        sr.publisher = req.get_param_value("publisher");
        Similar(req, res, std::move(sr));
      });

  AddRoute(
      "POST", kBase + "/similar", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        const std::string ct = req.get_header_value("Content-Type");
        if (ct.rfind("text/plain", 0) != 0) {
          return SendError(res, 415, "unsupportedMediaType",
                           "send the text as text/plain; charset=utf-8");
        }
        if (internal::Trim(req.body).empty()) {
          return SendError(res, 400, "invalidArgument", "the request body (text) is empty");
        }
        search::SimilarRequest sr;
        sr.text = req.body;
        sr.lang = req.get_param_value("lang");
        Similar(req, res, std::move(sr));
      });

  // ---- ingest bookkeeping ----
  AddRoute(
      "GET", kBase + "/rejects", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto limit = SizeParam(req, "limit", 50, 1, 1000);
        if (!limit.ok()) return SendStatus(res, limit.status());
        auto offset = ParseOffsetCursor(req);
        if (!offset.ok()) return SendStatus(res, offset.status());
        std::optional<int64_t> run;
        if (req.has_param("runId")) {
          auto v = internal::ParseUint(req.get_param_value("runId"));
          if (!v || *v == 0 || *v > INT64_MAX) {
            return SendError(res, 400, "invalidArgument", "runId must be a positive integer");
          }
          run = static_cast<int64_t>(*v);
        }
        auto lease = readers.Acquire();
        auto rows = lease->ListRejects(run, *offset + *limit + 1);
        if (!rows.ok()) return SendStatus(res, rows.status());
        Json items = Json::array();
        for (size_t i = *offset; i < rows->size() && i < *offset + *limit; ++i) {
          const auto& r = (*rows)[i];
          items.push_back({{"runId", r.run_id},
                           {"file", r.file},
                           {"offset", r.offset},
                           {"sourceSha256", r.source_sha256},
                           {"id", r.id},
                           {"format", r.format},
                           {"rule", r.rule},
                           {"field", r.field},
                           {"message", r.message},
                           {"createdAt", r.created_at}});
        }
        Json out;
        out["count"] = items.size();
        out["rejects"] = std::move(items);
        Json links = {{"self", Link(req, {})}};
        if (rows->size() > *offset + *limit) {
          links["next"] = Link(req, {{"cursor", OffsetCursor(*offset + *limit)}});
        }
        out["links"] = std::move(links);
        SendCacheable(req, res, Dump(out), "application/json", "no-cache");
      });

  AddRoute(
      "GET", kBase + "/ingestRuns", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto limit = SizeParam(req, "limit", 50, 1, 1000);
        if (!limit.ok()) return SendStatus(res, limit.status());
        auto offset = ParseOffsetCursor(req);
        if (!offset.ok()) return SendStatus(res, offset.status());
        auto lease = readers.Acquire();
        auto runs = lease->ListRuns(*offset + *limit + 1);
        if (!runs.ok()) return SendStatus(res, runs.status());
        Json items = Json::array();
        for (size_t i = *offset; i < runs->size() && i < *offset + *limit; ++i) {
          const auto& r = (*runs)[i];
          items.push_back({{"runId", r.run_id},
                           {"startedAt", r.started_at},
                           {"finishedAt", r.finished_at},
                           {"status", r.status},
                           {"documents", r.documents},
                           {"accepted", r.accepted},
                           {"updated", r.updated},
                           {"unchanged", r.unchanged},
                           {"rejected", r.rejected},
                           {"rejectsLink", kBase + "/rejects?runId=" + std::to_string(r.run_id)}});
        }
        Json out;
        out["count"] = items.size();
        out["ingestRuns"] = std::move(items);
        Json links = {{"self", Link(req, {})}};
        if (runs->size() > *offset + *limit) {
          links["next"] = Link(req, {{"cursor", OffsetCursor(*offset + *limit)}});
        }
        out["links"] = std::move(links);
        SendCacheable(req, res, Dump(out), "application/json", "no-cache");
      });

  RegisterLedgerRoutes();
  RegisterClassifyRoutes();
}

void Server::Impl::GetRecord(const httplib::Request& req, httplib::Response& res,
                             std::optional<int> version) {
  auto id = CanonicalId(PathParam(req, "id"));
  if (!id.ok()) return SendStatus(res, id.status());
  Status bad;
  const bool xml = WantsXml(req, &bad);
  if (!bad.ok()) return SendStatus(res, bad);
  // The rendered body and its ETag come from the cache when the store has not changed since they
  // were made (record_cache.h): the sequence is read before the record, never after.
  const std::string key =
      std::string(xml ? "x" : "j") + std::to_string(version.value_or(0)) + ":" + *id;
  std::shared_ptr<const RecordCache::Entry> entry;
  {
    auto lease = readers.Acquire();
    Result<uint64_t> sequence = readers.ChangeSequence(*lease);
    if (!sequence.ok()) return SendStatus(res, sequence.status());
    entry = record_cache.Find(key, *sequence);
    if (entry == nullptr) {
      Result<model::Record> rec = lease->GetRecord(*id, version);
      if (!rec.ok()) return SendStatus(res, rec.status());
      auto made = std::make_shared<RecordCache::Entry>();
      made->body = xml ? codec::ToSt96Xml(*rec) : codec::ToJson(*rec);
      made->etag = "\"" + Sha256Hex(made->body).substr(0, 32) + "\"";
      made->link = "<" + kBase + "/patents/" + *id + "/versions>; rel=\"version-history\"";
      entry = made;
      record_cache.Put(key, *sequence, std::move(made));
    }
  }
  res.set_header("Link", entry->link);
  // A stored version never changes; the current version may.
  SendCacheableWithTag(req, res, entry->body, entry->etag,
                       xml ? "application/xml" : "application/json",
                       version ? cache_control_immutable : cache_control_reads);
}

void Server::Impl::Similar(const httplib::Request& req, httplib::Response& res,
                           search::SimilarRequest sr) {
  auto offset = SizeParam(req, "offset", 0, 0, 100000);
  auto limit = SizeParam(req, "limit", 10, 1, search::kMaxLimit);
  if (!offset.ok()) return SendStatus(res, offset.status());
  if (!limit.ok()) return SendStatus(res, limit.status());
  sr.offset = *offset;
  sr.limit = *limit;
  sr.restrict_query = req.get_param_value("q");
  search::QueryError qe;
  Result<service::SearchResponse> r = RunSearch(nullptr, &sr, &qe);
  if (!r.ok()) return SendQueryError(res, r.status(), qe);
  SendJson(res, 200, SearchJson(*r, req, sr.offset, sr.limit));
  res.set_header("Cache-Control", "no-cache");
}

void Server::Impl::Ingest(const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader* reader) {
  RequestState& st = CurrentRequest();
  if (reader == nullptr) {
    if (!CheckSignature(req, res, ContentDigest(""))) return;
    return SendError(res, 400, "invalidArgument",
                     "the body is empty; send ST.36/ST.96 XML, JSON lines or a zip archive");
  }
  const auto ext = UploadExtension(req.get_header_value("Content-Type"));
  if (!ext) {
    return SendError(res, 415, "unsupportedMediaType",
                     "Content-Type must be application/xml, text/xml, application/x-ndjson or "
                     "application/zip");
  }
  // Stream the body into HOME/uploads: the uploads are the provenance of what they stored
  // (record source.file), named by their SHA-256 so a repeated upload is one file.
  const fs::path dir = fs::path(home) / "uploads";
  std::error_code ec;
  fs::create_directories(dir, ec);
  auto rnd = internal::RandomBytes(8);
  if (!rnd.ok()) return SendStatus(res, rnd.status());
  const fs::path part = dir / (".upload-" +
                               HexEncode(std::span<const uint8_t>(
                                   reinterpret_cast<const uint8_t*>(rnd->data()), rnd->size())) +
                               ".part");
  std::ofstream upload(part, std::ios::binary);
  if (!upload) return SendStatus(res, Status::IOError("cannot write " + part.string()));
  Sha256Hasher hasher;
  uint64_t total = 0;
  bool too_large = false;
  bool timed_out = false;
  const auto deadline = st.start + std::chrono::seconds(config.request_timeout_s);
  const bool complete = (*reader)([&](const char* data, size_t len) {
    if (std::chrono::steady_clock::now() > deadline) {
      timed_out = true;
      return false;
    }
    total += len;
    if (total > config.max_body_bytes) {
      too_large = true;
      return false;
    }
    hasher.Update(std::string_view(data, len));
    upload.write(data, static_cast<std::streamsize>(len));
    return static_cast<bool>(upload);
  });
  upload.close();
  auto discard = [&] { fs::remove(part, ec); };
  if (too_large) {
    discard();
    res.set_header("Connection", "close");
    return Refuse(res, 413, "payloadTooLarge",
                  "the body exceeds " + std::to_string(config.max_body_bytes) + " bytes",
                  "body_size");
  }
  if (timed_out || (!complete && std::chrono::steady_clock::now() > deadline)) {
    discard();
    res.set_header("Connection", "close");
    return Refuse(
        res, 408, "requestTimeout",
        "the body did not arrive within " + std::to_string(config.request_timeout_s) + " s",
        "timeout");
  }
  if (!complete || !upload) {
    discard();
    res.set_header("Connection", "close");
    return SendError(res, 400, "invalidArgument", "the request body could not be read completely");
  }
  const Sha256Digest digest = hasher.Finish();
  if (!CheckSignature(req, res, ContentDigestOf(digest))) return discard();
  if (total == 0) {
    discard();
    return SendError(res, 400, "invalidArgument", "the body is empty");
  }
  const fs::path file = dir / (HexEncode(digest) + *ext);
  fs::rename(part, file, ec);
  if (ec) {
    discard();
    return SendStatus(res, Status::IOError("cannot store the upload: " + ec.message()));
  }

  // Which documents the body holds (file + offset -> id), for per-document results.
  struct DocResult {
    std::string file;
    uint64_t offset = 0;
    std::string id;
  };
  std::vector<DocResult> docs;
  constexpr size_t kMaxResults = 10000;
  bool results_truncated = false;
  {
    auto splitter = codec::DocumentSplitter::Open(file.string());
    if (!splitter.ok()) return SendStatus(res, splitter.status());
    for (;;) {
      auto next = (*splitter)->Next();
      if (!next.ok()) return SendStatus(res, next.status());
      if (!next->has_value()) break;
      if (docs.size() >= kMaxResults) {
        results_truncated = true;
        continue;
      }
      const codec::RawDocument& raw = **next;
      codec::Decoded decoded = codec::Decode(raw);
      docs.push_back(
          {raw.file, raw.offset, decoded.record ? decoded.record->Id() : decoded.id_hint});
    }
  }

  service::IngestOptions options;
  options.paths = {file.string()};
  Result<service::IngestSummary> summary = [&] {
    std::lock_guard lock(node_mu);
    return service::Ingest(*node, options);
  }();
  if (!summary.ok()) return SendStatus(res, summary.status());
  metrics.Ingested(*summary);
  st.audit_details = fmt::format(
      "run {}: {} documents, {} accepted, {} updated, {} unchanged, {} rejected, upload {}",
      summary->run_id, summary->documents, summary->accepted, summary->updated, summary->unchanged,
      summary->rejected, file.filename().string());

  std::map<std::pair<std::string, uint64_t>, const service::RejectInfo*> rejects;
  for (const auto& r : summary->rejects) rejects[{r.file, r.offset}] = &r;
  Json results = Json::array();
  {
    auto lease = readers.Acquire();
    for (const DocResult& d : docs) {
      Json item;
      item["offset"] = d.offset;
      if (d.file != file.string()) item["member"] = d.file.substr(d.file.find('!') + 1);
      item["id"] = d.id;
      auto it = rejects.find({d.file, d.offset});
      if (it != rejects.end()) {
        item["outcome"] = "rejected";
        item["rule"] = it->second->rule;
        item["field"] = it->second->field;
        item["message"] = it->second->message;
      } else {
        item["outcome"] = "stored";
        auto rec = lease->GetRecordFrom(node->config().office, d.id);
        if (rec.ok()) {
          item["version"] = rec->version;
          item["hash"] = rec->hash;
          item["link"] = kBase + "/patents/" + d.id;
        }
      }
      results.push_back(std::move(item));
    }
  }
  Json out;
  out["runId"] = summary->run_id;
  out["documents"] = summary->documents;
  out["accepted"] = summary->accepted;
  out["updated"] = summary->updated;
  out["unchanged"] = summary->unchanged;
  out["rejected"] = summary->rejected;
  Json by_rule = Json::object();
  for (const auto& [rule, n] : summary->rejected_by_rule) by_rule[rule] = n;
  out["rejectedByRule"] = std::move(by_rule);
  out["results"] = std::move(results);
  out["resultsTruncated"] = results_truncated || summary->rejects_truncated;
  if (!summary->index_warning.empty()) out["indexWarning"] = summary->index_warning;
  out["links"] = {{"run", kBase + "/ingestRuns"},
                  {"rejects", kBase + "/rejects?runId=" + std::to_string(summary->run_id)}};
  res.set_header("Cache-Control", "no-store");
  if (summary->documents > 0 && summary->rejected == summary->documents) {
    // Nothing was stored: an error, in the one error shape, with the per-document results.
    return SendError(res, 422, "allRejected", "every document was rejected; see details.results",
                     Dump(out));
  }
  SendJson(res, 200, Dump(out));
}

}  // namespace ipdx::api
