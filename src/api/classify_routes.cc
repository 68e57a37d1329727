// Classification under /ipdx/v1 (docs/api/README.md "Classification", docs/classification.md):
// IPC titles, suggestions from the node's current model and examiners' decisions on them.
// Suggestions and decisions go through service/classify.h on the one Node (under node_mu).
#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "api/internal.h"
#include "api/server_internal.h"
#include "classify/classify.h"
#include "model/model.h"
#include "service/classify.h"

namespace ipdx::api {
namespace {

using Json = nlohmann::ordered_json;

const std::string kBase(kBasePath);
constexpr size_t kMaxSuggestions = 50;
constexpr size_t kMaxTextBytes = 1 << 20;

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A class "A61" or subclass "A61K" as given (letters upper-cased), or a main group "A61K 31/00"
// from any spelling NormalizeIpcSymbol accepts (a subgroup is reduced to its main group).
Result<std::pair<std::string, classify::Level>> IpcKey(std::string raw) {
  raw = std::string(internal::Trim(raw));
  for (char& c : raw) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto is_class = [](std::string_view s) {
    return s.size() == 3 && s[0] >= 'A' && s[0] <= 'H' && std::isdigit((unsigned char)s[1]) &&
           std::isdigit((unsigned char)s[2]);
  };
  if (is_class(raw)) return std::pair{raw, classify::Level::kClass};
  if (raw.size() == 4 && is_class(raw.substr(0, 3)) && raw[3] >= 'A' && raw[3] <= 'Z') {
    return std::pair{raw, classify::Level::kSubclass};
  }
  IPDX_ASSIGN_OR_RETURN(std::string symbol, model::NormalizeIpcSymbol(raw));
  std::string group = classify::Truncate(symbol, classify::Level::kMainGroup);
  if (group.empty()) return Status::InvalidArgument("'" + raw + "' is not an IPC symbol");
  return std::pair{group, classify::Level::kMainGroup};
}

Json TitleJson(const std::string& symbol, const classify::Titles& t) {
  return Json{{"symbol", symbol}, {"titleEn", t.en}, {"titleFr", t.fr}};
}

Json DecisionJson(const store::DecisionRow& d) {
  return Json{{"decisionId", d.decision_id},
              {"id", d.id},
              {"symbol", d.symbol},
              {"decision", d.decision},
              {"by", d.by},
              {"modelVersion", d.model_version},
              {"score", d.score},
              {"decidedAt", d.decided_at},
              {"link", kBase + "/patents/" + d.id}};
}

// Parses a JSON object request body; on failure the response is filled and nullopt returned.
std::optional<nlohmann::json> JsonObjectBody(const httplib::Request& req, httplib::Response& res) {
  const std::string ct = req.get_header_value("Content-Type");
  if (ct.rfind("application/json", 0) != 0) {
    SendError(res, 415, "unsupportedMediaType", "send a JSON object as application/json");
    return std::nullopt;
  }
  // The body size is bounded by max_body_bytes; parsing does not throw (allow_exceptions false).
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    SendError(res, 400, "invalidArgument", "the body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

// A string member (absent or null: empty). InvalidArgument when it is not a string.
Result<std::string> StringMember(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Status::InvalidArgument(std::string(name) + " must be a string");
  return it->get<std::string>();
}

}  // namespace

void Server::Impl::RegisterClassifyRoutes() {
  // ---- IPC titles ----
  // The symbol may contain '/' ("A61K 31/00", sent as A61K%2031%2F00 or A61K31/00).
  AddRoute(
      "GET", kBase + "/ipc/{symbol}", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto key = IpcKey(req.matches[1].str());
        if (!key.ok()) return SendStatus(res, key.status());
        const auto& [symbol, level] = *key;
        const classify::Titles t = classify::TitleOf(symbol);
        if (t.en.empty() && t.fr.empty()) {
          return SendError(res, 404, "notFound", "no IPC title is known for " + symbol);
        }
        Json out;
        out["symbol"] = symbol;
        out["level"] = std::string(classify::LevelName(level));
        out["title"] = t.en.empty() ? t.fr : t.en;
        out["titleEn"] = t.en;
        out["titleFr"] = t.fr;
        // The broader symbols with their titles, broadest first.
        Json parents = Json::array();
        if (level != classify::Level::kClass) {
          const std::string cls = symbol.substr(0, 3);
          parents.push_back(TitleJson(cls, classify::TitleOf(cls)));
        }
        if (level == classify::Level::kMainGroup) {
          const std::string sub = symbol.substr(0, 4);
          parents.push_back(TitleJson(sub, classify::TitleOf(sub)));
        }
        out["parents"] = std::move(parents);
        out["edition"] = {{"en", "IPC 2022.01"}, {"fr", "IPC 2021.01"}};
        // Titles are compiled into the binary: they change only with the software.
        SendCacheable(
            req, res, Dump(out), "application/json",
            (config.public_reads ? "public" : "private") + std::string(", max-age=86400"));
      },
      false, kBase + "/ipc/(.+)");

  // ---- suggestions ----
  AddRoute(
      "POST", kBase + "/classify", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto body = JsonObjectBody(req, res);
        if (!body) return;
        service::SuggestRequest sr;
        auto id = StringMember(*body, "id");
        auto text = StringMember(*body, "text");
        if (!id.ok()) return SendStatus(res, id.status());
        if (!text.ok()) return SendStatus(res, text.status());
        if (!id->empty() && !text->empty()) {
          return SendError(res, 400, "invalidArgument", "give either id or text, not both");
        }
        if (!id->empty()) {
          auto canonical = internal::CanonicalId(*id);
          if (!canonical.ok()) return SendStatus(res, canonical.status());
          sr.id = *canonical;
        } else if (internal::Trim(*text).empty()) {
          return SendError(res, 400, "invalidArgument",
                           "give id (a record on the node) or text (a claim, an abstract)");
        } else if (text->size() > kMaxTextBytes) {
          return SendError(res, 400, "invalidArgument",
                           fmt::format("text is longer than {} bytes", kMaxTextBytes));
        } else {
          sr.text = *text;
        }
        if (auto it = body->find("limit"); it != body->end() && !it->is_null()) {
          if (!it->is_number_unsigned() || it->get<uint64_t>() < 1 ||
              it->get<uint64_t>() > kMaxSuggestions) {
            return SendError(res, 400, "invalidArgument",
                             fmt::format("limit must be an integer from 1 to {}", kMaxSuggestions));
          }
          sr.limit = it->get<size_t>();
        }
        Result<service::SuggestResponse> r = [&] {
          std::lock_guard lock(node_mu);
          return service::Suggest(*node, sr);
        }();
        if (!r.ok()) return SendStatus(res, r.status());
        Json out;
        out["modelVersion"] = r->model_version;
        out["level"] = std::string(classify::LevelName(r->level));
        if (!r->id.empty()) out["id"] = r->id;
        out["current"] = r->current;
        Json suggestions = Json::array();
        for (const auto& s : r->suggestions) {
          suggestions.push_back({{"symbol", s.symbol},
                                 {"score", s.score},
                                 {"fasttext", s.fasttext},
                                 {"knn", s.knn},
                                 {"titleEn", s.title_en},
                                 {"titleFr", s.title_fr}});
        }
        out["suggestions"] = std::move(suggestions);
        Json neighbours = Json::array();
        for (const auto& n : r->reasons.neighbours) {
          neighbours.push_back({{"id", n.id}, {"score", n.score}, {"symbols", n.symbols}});
        }
        Json terms = Json::array();
        for (const auto& t : r->reasons.terms) {
          terms.push_back({{"term", t.term}, {"weight", t.weight}});
        }
        out["reasons"] = {{"neighbours", std::move(neighbours)}, {"terms", std::move(terms)}};
        if (!r->id.empty()) {
          out["links"] = {{"record", kBase + "/patents/" + r->id},
                          {"decisions", kBase + "/classify/decisions?id=" + r->id}};
        }
        res.set_header("Cache-Control", "no-store");
        SendJson(res, 200, Dump(out));
      });

  // ---- decisions ----
  AddRoute(
      "POST", kBase + "/classify/decisions", kScopeWrite, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        auto body = JsonObjectBody(req, res);
        if (!body) return;
        service::DecisionInput in;
        auto id = StringMember(*body, "id");
        auto symbol = StringMember(*body, "symbol");
        auto by = StringMember(*body, "by");
        auto decision = StringMember(*body, "decision");
        for (const auto* m : {&id, &symbol, &by, &decision}) {
          if (!m->ok()) return SendStatus(res, m->status());
        }
        if (id->empty() || symbol->empty() || by->empty()) {
          return SendError(res, 400, "invalidArgument", "id, symbol and by are required");
        }
        auto canonical = internal::CanonicalId(*id);
        if (!canonical.ok()) return SendStatus(res, canonical.status());
        std::optional<bool> accept;
        if (*decision == "accept") accept = true;
        if (*decision == "reject") accept = false;
        if (!decision->empty() && !accept) {
          return SendError(res, 400, "invalidArgument", "decision must be accept or reject");
        }
        if (auto it = body->find("accept"); it != body->end() && !it->is_null()) {
          if (!it->is_boolean()) return SendError(res, 400, "invalidArgument", "accept: boolean");
          if (accept && *accept != it->get<bool>()) {
            return SendError(res, 400, "invalidArgument", "decision and accept disagree");
          }
          accept = it->get<bool>();
        }
        if (!accept) {
          return SendError(res, 400, "invalidArgument",
                           "give decision (accept or reject) or accept (true or false)");
        }
        in.id = *canonical;
        in.symbol = *symbol;
        in.accept = *accept;
        in.by = *by;
        Result<store::DecisionRow> row = [&] {
          std::lock_guard lock(node_mu);
          return service::Decide(*node, in);
        }();
        if (!row.ok()) return SendStatus(res, row.status());
        CurrentRequest().audit_details =
            fmt::format("classification decision {}: {} {} for {} by {} (model {})",
                        row->decision_id, row->decision, row->symbol, row->id, row->by,
                        row->model_version.empty() ? "none" : row->model_version);
        res.set_header("Location", kBase + "/classify/decisions?id=" + row->id);
        res.set_header("Cache-Control", "no-store");
        SendJson(res, 201, Dump(DecisionJson(*row)));
      });

  AddRoute(
      "GET", kBase + "/classify/decisions", kScopeRead, false,
      [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader*) {
        std::string id;
        if (req.has_param("id")) {
          auto canonical = internal::CanonicalId(req.get_param_value("id"));
          if (!canonical.ok()) return SendStatus(res, canonical.status());
          id = *canonical;
        }
        Result<std::vector<store::DecisionRow>> rows = [&] {
          std::lock_guard lock(node_mu);
          return service::ListDecisions(*node, id);
        }();
        if (!rows.ok()) return SendStatus(res, rows.status());
        Json items = Json::array();
        for (const auto& d : *rows) items.push_back(DecisionJson(d));
        Json out;
        out["count"] = items.size();
        out["decisions"] = std::move(items);
        SendCacheable(req, res, Dump(out), "application/json", "no-cache");
      });
}

}  // namespace ipdx::api
