// `ipdx search|similar|reindex`: the search use-cases of service/search.h on the command line.
// The JSON printed here is the serialisation of service::SearchResponse documented in
// docs/query-language.md ("JSON"); the HTTP API serialises the same struct the same way.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "cli/progress.h"
#include "model/model.h"
#include "service/search.h"

namespace ipdx::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

Json FacetJson(const std::vector<search::FacetValue>& values) {
  Json out = Json::array();
  for (const search::FacetValue& v : values)
    out.push_back({{"value", v.value}, {"count", v.count}});
  return out;
}

// The one serialisation of a SearchResponse for the CLI.
Json ToJson(const service::SearchResponse& response) {
  Json j;
  j["total"] = response.total;
  j["total_exact"] = response.total_exact;
  Json hits = Json::array();
  for (const search::Hit& hit : response.hits) {
    Json highlights = Json::array();
    for (const auto& [begin, end] : hit.snippet.highlights) highlights.push_back({begin, end});
    hits.push_back({{"id", hit.id},
                    {"publisher", hit.publisher},
                    {"score", hit.score},
                    {"title", hit.title},
                    {"snippet", hit.snippet.text},
                    {"highlights", std::move(highlights)},
                    {"publication_date", hit.publication_date},
                    {"office", hit.office},
                    {"kind", hit.kind}});
  }
  j["hits"] = std::move(hits);
  if (response.facets) {
    const search::Facets& f = *response.facets;
    j["facets"] = {{"office", FacetJson(f.office)},
                   {"ipc_subclass", FacetJson(f.ipc_subclass)},
                   {"year", FacetJson(f.year)},
                   {"applicant", FacetJson(f.applicant)}};
    j["facets_exact"] = response.facets_exact;
  }
  if (!response.notices.empty()) {
    Json notices = Json::array();
    for (const service::IndexNotice& n : response.notices) notices.push_back(n.message);
    j["notices"] = std::move(notices);
  }
  return j;
}

// Terminal columns a code point takes: 2 for East Asian wide and full-width characters.
int Columns(char32_t c) {
  const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
                    (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
                    (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                    (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
  return wide ? 2 : 1;
}

// The indent (in terminal columns) of code point `position` of the UTF-8 `text`.
size_t CaretColumn(std::string_view text, size_t position) {
  size_t column = 0;
  size_t seen = 0;
  for (size_t i = 0; i < text.size() && seen < position; ++seen) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t len = lead < 0x80 ? 1 : lead >> 5 == 0x6 ? 2 : lead >> 4 == 0xE ? 3 : 4;
    if (i + len > text.size()) len = text.size() - i;
    char32_t c = len == 1 ? lead : static_cast<char32_t>(lead & (0x7F >> len));
    for (size_t k = 1; k < len; ++k) {
      c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    column += text[i] == '\t' ? 1 : static_cast<size_t>(Columns(c));
    i += len;
  }
  return column;
}

// A bad query: the message, then the query with a caret under the offending position (stderr).
void FailQuery(Context& ctx, const Status& status, const std::string& query,
               const search::QueryError& error) {
  ctx.Fail(status);
  if (status.code() != StatusCode::kInvalidArgument || error.message.empty()) return;
  std::string shown = query;
  for (char& c : shown) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  fmt::print(stderr, "  {}\n  {}^\n", shown, std::string(CaretColumn(shown, error.position), ' '));
}

void PrintNotices(const service::SearchResponse& response) {
  for (const service::IndexNotice& n : response.notices) {
    fmt::print(stderr, "ipdx: {}\n", n.message);
  }
}

// Matched words in bold on a terminal, as they are otherwise.
std::string Highlighted(const search::Snippet& snippet, bool terminal) {
  if (!terminal) return snippet.text;
  std::string out;
  size_t at = 0;
  for (const auto& [begin, end] : snippet.highlights) {
    if (begin < at || end > snippet.text.size() || begin > end) continue;
    out += snippet.text.substr(at, begin - at);
    out += "\033[1m" + snippet.text.substr(begin, end - begin) + "\033[0m";
    at = end;
  }
  out += snippet.text.substr(at);
  return out;
}

void PrintFacet(const char* name, const std::vector<search::FacetValue>& values) {
  if (values.empty()) return;
  std::string line;
  for (const search::FacetValue& v : values) {
    line += (line.empty() ? "" : ", ") + fmt::format("{} ({})", v.value, v.count);
  }
  fmt::print("  {:<13} {}\n", name, line);
}

void PrintText(const service::SearchResponse& response, size_t offset) {
  const bool terminal = isatty(STDOUT_FILENO) == 1;
  fmt::print("{}{} results\n", response.total_exact ? "" : "about ", response.total);
  size_t rank = offset;
  for (const search::Hit& hit : response.hits) {
    std::string title = hit.title;
    if (title.size() > 80) title = title.substr(0, 77) + "...";
    const std::string copy =
        hit.publisher == hit.office ? "" : " (copy from " + hit.publisher + ")";
    fmt::print("{:>4}. {:<22} {:<10} {:>7.3f}  {}{}\n", ++rank, hit.id, hit.publication_date,
               hit.score, title, copy);
    if (!hit.snippet.text.empty()) {
      fmt::print("      {}\n", Highlighted(hit.snippet, terminal));
    }
  }
  if (response.facets) {
    fmt::print("Facets{}:\n", response.facets_exact ? "" : " (over the first matches)");
    PrintFacet("office", response.facets->office);
    PrintFacet("ipc subclass", response.facets->ipc_subclass);
    PrintFacet("year", response.facets->year);
    PrintFacet("applicant", response.facets->applicant);
  }
}

void RegisterSearch(CLI::App& app, Context& ctx) {
  struct Args {
    std::vector<std::string> query;
    bool json = false;
    size_t limit = 10;
    size_t offset = 0;
    std::string sort = "relevance";
    bool facets = false;
    bool explain = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd =
      app.add_subcommand("search", "Search the records (query language: docs/query-language.md)");
  cmd->add_option("query", args->query,
                  "The query, e.g. 'ti:\"electric motor\" AND pd:2015..2018' (several words are "
                  "joined with spaces)")
      ->required();
  cmd->add_flag("--json", args->json,
                "JSON output: {total, hits:[{id, score, title, snippet}], "
                "facets}");
  cmd->add_option("--limit", args->limit, "Hits to show (at most 1000)")->capture_default_str();
  cmd->add_option("--offset", args->offset, "Hits to skip (pagination)")->capture_default_str();
  cmd->add_option("--sort", args->sort, "relevance, date (newest first) or date-asc")
      ->check(CLI::IsMember({"relevance", "date", "date-asc"}))
      ->capture_default_str();
  cmd->add_flag("--facets", args->facets, "Count office, IPC subclass, year and applicant");
  cmd->add_flag("--explain", args->explain, "Print the parsed query instead of searching");
  cmd->callback([&ctx, args] {
    std::string query;
    for (const std::string& part : args->query) query += (query.empty() ? "" : " ") + part;
    search::QueryError error;
    if (args->explain) {
      auto explained = search::ExplainQuery(query, &error);
      if (!explained.ok()) return FailQuery(ctx, explained.status(), query, error);
      fmt::print("{}\n", *explained);
      return;
    }
    // Syntax first: a bad query needs no node.
    Status valid = search::ValidateQuery(query, &error);
    if (!valid.ok()) return FailQuery(ctx, valid, query, error);
    auto node = ctx.OpenNode();
    if (!node) return;
    search::SearchRequest request;
    request.query = query;
    request.limit = args->limit;
    request.offset = args->offset;
    request.facets = args->facets;
    request.sort = args->sort == "date"       ? search::SortOrder::kDateDescending
                   : args->sort == "date-asc" ? search::SortOrder::kDateAscending
                                              : search::SortOrder::kRelevance;
    auto response = service::Search(*node, request, &error);
    if (!response.ok()) return FailQuery(ctx, response.status(), query, error);
    PrintNotices(*response);
    if (args->json) {
      fmt::print("{}\n", Dump(ToJson(*response)));
    } else {
      PrintText(*response, args->offset);
    }
  });
}

void RegisterSimilar(CLI::App& app, Context& ctx) {
  struct Args {
    std::string id;
    std::string publisher;
    std::string text;
    std::string lang;
    std::string filter;
    bool json = false;
    size_t limit = 10;
    size_t offset = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("similar",
                                 "Similar documents (prior art) to a stored record or to a text");
  auto* id = cmd->add_option("id", args->id, "Publication id of the example, e.g. US-8936998-B2");
  auto* text = cmd->add_option("--text", args->text, "A paragraph or claim instead of an id");
  id->excludes(text);
  cmd->add_option("--publisher", args->publisher, "Use this publisher's copy of the id");
  cmd->add_option("--lang", args->lang, "ISO 639-1 language of --text (for stemming)");
  cmd->add_option("--filter", args->filter,
                  "Only candidates matching this query, e.g. 'ipc:H04L AND pd<2015'");
  cmd->add_flag("--json", args->json, "JSON output, as for search");
  cmd->add_option("--limit", args->limit, "Hits to show (at most 1000)")->capture_default_str();
  cmd->add_option("--offset", args->offset, "Hits to skip (pagination)")->capture_default_str();
  cmd->callback([&ctx, args] {
    if (args->id.empty() && args->text.empty()) {
      return ctx.Fail(Status::InvalidArgument("similar: give a publication id or --text TEXT"));
    }
    search::QueryError error;
    if (!args->filter.empty()) {
      Status valid = search::ValidateQuery(args->filter, &error);
      if (!valid.ok()) return FailQuery(ctx, valid, args->filter, error);
    }
    search::SimilarRequest request;
    if (!args->id.empty()) {
      auto ref = model::ParsePublicationId(args->id);
      if (!ref.ok()) return ctx.Fail(ref.status());
      if (ref->kind.empty()) {
        return ctx.Fail(Status::InvalidArgument("'" + args->id +
                                                "' has no kind code; give the full id, e.g. " +
                                                ref->office + "-" + ref->number + "-B2"));
      }
      request.id = ref->office + "-" + ref->number + "-" + ref->kind;
    }
    auto node = ctx.OpenNode();
    if (!node) return;
    request.publisher = args->publisher;
    request.text = args->text;
    request.lang = args->lang;
    request.restrict_query = args->filter;
    request.limit = args->limit;
    request.offset = args->offset;
    auto response = service::Similar(*node, request, &error);
    if (!response.ok()) return FailQuery(ctx, response.status(), args->filter, error);
    PrintNotices(*response);
    if (args->json) {
      fmt::print("{}\n", Dump(ToJson(*response)));
    } else {
      PrintText(*response, args->offset);
    }
  });
}

void RegisterReindex(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "reindex", "Rebuild the search index from the store (the old index is kept until done)");
  cmd->callback([&ctx] {
    auto node = ctx.OpenNode();
    if (!node) return;
    ProgressBar bar("reindex");
    auto summary = service::Reindex(*node, [&bar](const service::ReindexProgress& p) {
      bar.Update(p.documents, p.total, p.documents, "");
    });
    bar.Finish();
    if (!summary.ok()) return ctx.Fail(summary.status());
    const double secs = summary->seconds > 0 ? summary->seconds : 1e-9;
    fmt::print("Reindexed {} records in {:.2f} s ({:.0f} docs/s); index at store change {}\n",
               summary->documents, summary->seconds, static_cast<double>(summary->documents) / secs,
               summary->sequence);
  });
}

}  // namespace

void RegisterSearchCommands(CLI::App& app, Context& ctx) {
  RegisterSearch(app, ctx);
  RegisterSimilar(app, ctx);
  RegisterReindex(app, ctx);
}

}  // namespace ipdx::cli
