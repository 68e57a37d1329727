// The transparency log under /ipdx/v1 (docs/api/README.md "Ledger", docs/formats/ledger.md):
// the signed checkpoint, C2SP tlog-tiles (hash tiles and entry bundles), consistency proofs,
// record receipts and rights events. Everything that reads the log through the Node goes through
// service/ledger.h, which checks the log against its latest signed checkpoint first; tiles are
// read on the pooled read-only connections and only at sizes a signed checkpoint implies.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/internal.h"
#include "api/server_internal.h"
#include "service/ledger.h"

namespace ipdx::api {
namespace {

using Json = nlohmann::ordered_json;

const std::string kBase(kBasePath);
constexpr size_t kMaxEventsPerRequest = 1000;

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Json EventJson(const store::LoggedEvent& logged) {
  const ledger::Entry& e = logged.entry;
  Json j;
  j["leafIndex"] = logged.leaf_index;
  j["recordId"] = e.record_id;
  j["recordVersion"] = e.record_version;
  j["publisher"] = e.publisher;
  j["recordedAt"] = e.recorded_at;
  if (e.event) {
    const ledger::RightsEvent& ev = *e.event;
    const ledger::RightsEventInfo& info = ledger::RightsEventInfoFor(ev.type);
    j["type"] = std::string(info.name);
    j["st27Category"] = std::string(1, info.st27_category);
    j["st27Code"] = ev.st27_code;
    j["categoryTitle"] = std::string(info.category_title);
    j["effectiveDate"] = ev.effective_date;
    j["parties"] = ev.parties;
    j["details"] = ev.details;
    if (ev.supersedes > 0) {
      j["supersedes"] = ev.supersedes - 1;  // the corrected entry's leaf index
    } else {
      j["supersedes"] = nullptr;
    }
  }
  return j;
}

// One rights event from a request body object. `id` is the record of the path.
Result<service::RightsEventInput> EventFromJson(const nlohmann::json& j, const std::string& id,
                                                size_t index) {
  const std::string where = fmt::format("event {}: ", index);
  if (!j.is_object()) return Status::InvalidArgument(where + "must be a JSON object");
  auto text = [&](const char* name, std::string* out) -> Status {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return Status::Ok();
    if (!it->is_string()) return Status::InvalidArgument(where + name + " must be a string");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  service::RightsEventInput in;
  in.id = id;
  IPDX_RETURN_IF_ERROR(text("type", &in.type));
  IPDX_RETURN_IF_ERROR(text("st27Code", &in.st27_code));
  IPDX_RETURN_IF_ERROR(text("effectiveDate", &in.effective_date));
  if (in.effective_date.empty()) IPDX_RETURN_IF_ERROR(text("date", &in.effective_date));
  IPDX_RETURN_IF_ERROR(text("details", &in.details));
  if (in.type.empty()) return Status::InvalidArgument(where + "type is required");
  if (in.effective_date.empty()) {
    return Status::InvalidArgument(where + "effectiveDate (YYYY-MM-DD) is required");
  }
  if (auto it = j.find("parties"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Status::InvalidArgument(where + "parties must be an array");
    for (const auto& p : *it) {
      if (!p.is_string()) return Status::InvalidArgument(where + "each party must be a string");
      in.parties.push_back(p.get<std::string>());
    }
  }
  if (auto it = j.find("supersedes"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned()) {
      return Status::InvalidArgument(where + "supersedes must be the leaf index of an entry");
    }
    const uint64_t leaf = it->get<uint64_t>();
    if (leaf == UINT64_MAX) return Status::InvalidArgument(where + "supersedes is out of range");
    in.supersedes = leaf + 1;
  }
  if (auto it = j.find("id"); it != j.end() && it->is_string()) {
    auto other = internal::CanonicalId(it->get<std::string>());
    if (!other.ok() || *other != id) {
      return Status::InvalidArgument(where + "id does not name the record of the path (" + id +
                                     ")");
    }
  }
  return in;
}

// The smallest signed checkpoint size s with (s >> shift) == nodes, or nullopt. `sizes` ascending.
std::optional<uint64_t> SizeImplying(const std::vector<uint64_t>& sizes, unsigned shift,
                                     uint64_t nodes) {
  auto it = std::lower_bound(sizes.begin(), sizes.end(), nodes, [shift](uint64_t s, uint64_t n) {
    return (shift >= 64 ? 0 : s >> shift) < n;
  });
  if (it == sizes.end() || (shift >= 64 ? 0 : *it >> shift) != nodes) return std::nullopt;
  return *it;
}

}  // namespace

void Server::Impl::RegisterLedgerRoutes() {
  // ---- checkpoint ----
  AddRoute(
      "GET", kBase + "/log/checkpoint", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        std::optional<uint64_t> size;
        if (req.has_param("size")) {
          size = internal::ParseUint(req.get_param_value("size"));
          if (!size) return SendError(res, 400, "invalidArgument", "size must be an integer");
        }
        Result<service::SignedCheckpoint> cp = [&] {
          std::lock_guard lock(node_mu);
          return size ? service::CheckpointAt(*node, *size) : service::LatestCheckpoint(*node);
        }();
        if (!cp.ok()) return SendStatus(res, cp.status());
        // The note verbatim, with every cosignature the node holds. A checkpoint of a given size
        // only gains cosignatures; the latest changes whenever the log grows.
        SendCacheable(req, res, cp->note, "text/plain; charset=utf-8", "no-cache");
      });

  // ---- tiles (C2SP tlog-tiles) ----
  // Tiles are read at the size of a signed checkpoint: full tiles once any checkpoint covers
  // them (then they never change), a partial tile only at a width a checkpoint implies.
  auto tile = [this](const httplib::Request& req, httplib::Response& res, bool entries) {
    const std::string level = entries ? "0" : req.matches[1].str();
    const std::string index = entries ? req.matches[1].str() : req.matches[2].str();
    const std::string width = entries ? req.matches[2].str() : req.matches[3].str();
    auto id = ledger::ParseTilePath(level, width.empty() ? index : index + ".p/" + width);
    if (!id.ok()) return SendStatus(res, id.status());
    auto lease = readers.Acquire();
    ledger::LogStorage& log = lease->Log();
    auto sizes = log.CheckpointSizes();
    if (!sizes.ok()) return SendStatus(res, sizes.status());
    const unsigned shift = 8u * id->level;
    if (id->index > (UINT64_MAX - id->width) / 256) {
      return SendError(res, 404, "notFound", "no such tile");
    }
    const uint64_t nodes = id->index * 256 + id->width;  // hashes at this level the tile needs
    std::optional<uint64_t> size;
    if (id->width == 256) {
      if (!sizes->empty() && (shift >= 64 ? 0 : sizes->back() >> shift) >= nodes) {
        size = sizes->back();
      }
    } else {
      size = SizeImplying(*sizes, shift, nodes);
    }
    if (!size) {
      return SendError(
          res, 404, "notFound",
          "no signed checkpoint covers " +
              (entries ? ledger::EntryBundlePath(id->index, id->width) : ledger::TilePath(*id)));
    }
    Result<std::string> bytes = entries ? ledger::ReadEntryBundle(log, id->index, id->width, *size)
                                        : ledger::ReadTile(log, *id, *size);
    if (!bytes.ok()) return SendStatus(res, bytes.status());
    const std::string visibility = config.public_reads ? "public" : "private";
    // Both full and partial tiles are immutable: a tile of a given width never changes.
    SendCacheable(req, res, std::move(*bytes), "application/octet-stream",
                  visibility + ", max-age=31536000, immutable");
  };
  const std::string tile_index = R"(((?:x[0-9]{3}/)*[0-9]{3}))";
  AddRoute(
      "GET", kBase + "/log/tile/{L}/{N}", kScopeRead, false,
      [tile](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        tile(req, res, false);
      },
      false, kBase + "/log/tile/([0-9]{1,2})/" + tile_index + "()");
  AddRoute(
      "GET", kBase + "/log/tile/{L}/{N}.p/{W}", kScopeRead, false,
      [tile](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        tile(req, res, false);
      },
      false, kBase + "/log/tile/([0-9]{1,2})/" + tile_index + R"(\.p/([0-9]{1,3}))");
  AddRoute(
      "GET", kBase + "/log/tile/entries/{N}", kScopeRead, false,
      [tile](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        tile(req, res, true);
      },
      false, kBase + "/log/tile/entries/" + tile_index + "()");
  AddRoute(
      "GET", kBase + "/log/tile/entries/{N}.p/{W}", kScopeRead, false,
      [tile](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        tile(req, res, true);
      },
      false, kBase + "/log/tile/entries/" + tile_index + R"(\.p/([0-9]{1,3}))");

  // ---- consistency proof ----
  AddRoute(
      "GET", kBase + "/log/proofs/consistency", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto from = internal::ParseUint(req.get_param_value("from"));
        if (!from || *from == 0) {
          return SendError(res, 400, "invalidArgument",
                           "query parameter from (the older checkpoint's tree size, > 0) is "
                           "required");
        }
        std::optional<uint64_t> to = uint64_t{0};
        if (req.has_param("to")) to = internal::ParseUint(req.get_param_value("to"));
        if (!to) return SendError(res, 400, "invalidArgument", "to must be a tree size");
        Result<service::ConsistencyProofResult> p = [&] {
          std::lock_guard lock(node_mu);
          return service::ProveConsistency(*node, *from, *to);
        }();
        if (!p.ok()) return SendStatus(res, p.status());
        Json proof = Json::array();
        for (const ledger::Hash& h : p->proof) proof.push_back(ledger::HashToBase64(h));
        Json out;
        out["from"] = p->old_checkpoint.checkpoint.tree_size;
        out["to"] = p->new_checkpoint.checkpoint.tree_size;
        out["proof"] = std::move(proof);
        out["fromCheckpoint"] = p->old_checkpoint.note;
        out["toCheckpoint"] = p->new_checkpoint.note;
        // A proof between two given sizes never changes; one to "the latest" does.
        SendCacheable(req, res, Dump(out), "application/json",
                      req.has_param("to") ? "public, max-age=31536000, immutable" : "no-cache");
      });

  // ---- receipts ----
  AddRoute(
      "GET", kBase + "/patents/{id}/receipt", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto id = internal::CanonicalId(req.matches[1]);
        if (!id.ok()) return SendStatus(res, id.status());
        std::optional<int> version;
        if (req.has_param("version")) {
          auto v = internal::ParseUint(req.get_param_value("version"));
          if (!v || *v == 0 || *v > 1000000) {
            return SendError(res, 400, "invalidArgument", "version must be a positive integer");
          }
          version = static_cast<int>(*v);
        }
        Result<ledger::Receipt> receipt = [&] {
          std::lock_guard lock(node_mu);
          return service::RecordReceipt(*node, *id, version);
        }();
        if (!receipt.ok()) return SendStatus(res, receipt.status());
        res.set_header("Content-Disposition", "attachment; filename=\"" + *id + "-receipt.json\"");
        // A receipt names the checkpoint it was proven against; a later call may use a newer one.
        SendCacheable(req, res, ledger::ReceiptToJson(*receipt), "application/json", "no-cache");
      });

  // ---- rights events ----
  AddRoute(
      "GET", kBase + "/patents/{id}/events", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto id = internal::CanonicalId(req.matches[1]);
        if (!id.ok()) return SendStatus(res, id.status());
        Result<std::vector<store::LoggedEvent>> events = [&] {
          std::lock_guard lock(node_mu);
          return service::ListRightsEvents(*node, *id);
        }();
        if (!events.ok()) return SendStatus(res, events.status());
        Json items = Json::array();
        for (const auto& e : *events) items.push_back(EventJson(e));
        Json out;
        out["id"] = *id;
        out["count"] = items.size();
        out["events"] = std::move(items);
        SendCacheable(req, res, Dump(out), "application/json", "no-cache");
      });

  AddRoute(
      "POST", kBase + "/patents/{id}/events", kScopeWrite, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto id = internal::CanonicalId(req.matches[1]);
        if (!id.ok()) return SendStatus(res, id.status());
        const std::string ct = req.get_header_value("Content-Type");
        if (ct.rfind("application/json", 0) != 0) {
          return SendError(res, 415, "unsupportedMediaType", "send the event as application/json");
        }
        // A request body is the one JSON the API reads; nlohmann does not throw with
        // allow_exceptions = false, and the body size is bounded by max_body_bytes.
        const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
        if (body.is_discarded()) {
          return SendError(res, 400, "invalidArgument", "the body is not valid JSON");
        }
        const nlohmann::json* list = &body;
        if (body.is_object() && body.contains("events")) list = &body["events"];
        std::vector<service::RightsEventInput> inputs;
        if (list->is_array()) {
          if (list->empty() || list->size() > kMaxEventsPerRequest) {
            return SendError(res, 400, "invalidArgument",
                             fmt::format("send 1 to {} events", kMaxEventsPerRequest));
          }
          for (size_t i = 0; i < list->size(); ++i) {
            auto in = EventFromJson((*list)[i], *id, i);
            if (!in.ok()) return SendStatus(res, in.status());
            inputs.push_back(std::move(*in));
          }
        } else {
          auto in = EventFromJson(*list, *id, 0);
          if (!in.ok()) return SendStatus(res, in.status());
          inputs.push_back(std::move(*in));
        }
        Result<service::AddedEvents> added = [&] {
          std::lock_guard lock(node_mu);
          return service::AddRightsEvents(*node, inputs);
        }();
        if (!added.ok()) return SendStatus(res, added.status());
        Json items = Json::array();
        std::string types;
        for (const auto& e : added->events) {
          items.push_back(EventJson(e));
          if (e.entry.event) {
            types += (types.empty() ? "" : ",") +
                     std::string(ledger::RightsEventInfoFor(e.entry.event->type).name);
          }
        }
        CurrentRequest().audit_details =
            fmt::format("{} rights event(s) [{}] for {}: leaves {}..{}, checkpoint size {}",
                        added->events.size(), types, *id,
                        added->events.empty() ? 0 : added->events.front().leaf_index,
                        added->events.empty() ? 0 : added->events.back().leaf_index,
                        added->checkpoint.checkpoint.tree_size);
        Json out;
        out["id"] = *id;
        out["events"] = std::move(items);
        out["checkpoint"] = added->checkpoint.note;
        out["links"] = {{"events", kBase + "/patents/" + *id + "/events"},
                        {"checkpoint", kBase + "/log/checkpoint"}};
        res.set_header("Location", kBase + "/patents/" + *id + "/events");
        res.set_header("Cache-Control", "no-store");
        SendJson(res, 201, Dump(out));
      });
}

}  // namespace ipdx::api
