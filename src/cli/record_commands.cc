// `ipdx show|versions|list|export|rejects|runs`: read what the node holds.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "codec/codec.h"
#include "model/model.h"

namespace ipdx::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Accepts "US-8936998-B2", "US8936998B2", "US 8,936,998 B2" and returns the canonical id.
Result<std::string> CanonicalId(const std::string& raw) {
  auto ref = model::ParsePublicationId(raw);
  if (!ref.ok()) return ref.status();
  if (ref->kind.empty()) {
    return Status::InvalidArgument("'" + raw + "' has no kind code; give the full id, e.g. " +
                                   ref->office + "-" + ref->number + "-B2");
  }
  return ref->office + "-" + ref->number + "-" + ref->kind;
}

std::string FirstText(const std::vector<model::LangText>& texts) {
  for (const auto& t : texts) {
    if (t.lang == "en") return t.text;
  }
  return texts.empty() ? std::string() : texts.front().text;
}

void RegisterShow(CLI::App& app, Context& ctx) {
  struct Args {
    std::string id;
    std::string format = "json";
    int version = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("show", "Print one record (current or given version)");
  cmd->add_option("id", args->id, "Publication id, e.g. US-8936998-B2")->required();
  cmd->add_option("--format", args->format, "json or st96")
      ->check(CLI::IsMember({"json", "st96"}))
      ->capture_default_str();
  cmd->add_option("--version", args->version, "Record version (default: current)");
  cmd->callback([&ctx, args] {
    auto id = CanonicalId(args->id);
    if (!id.ok()) return ctx.Fail(id.status());
    auto node = ctx.OpenNode();
    if (!node) return;
    std::optional<int> version;
    if (args->version > 0) version = args->version;
    auto rec = node->store().GetRecord(*id, version);
    if (!rec.ok()) return ctx.Fail(rec.status());
    if (args->format == "st96") {
      fmt::print("{}", codec::ToSt96Xml(*rec));
    } else {
      fmt::print("{}\n", codec::ToJson(*rec, /*pretty=*/true));
    }
  });
}

void RegisterVersions(CLI::App& app, Context& ctx) {
  auto id_arg = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("versions", "List the stored versions of a record");
  cmd->add_option("id", *id_arg, "Publication id")->required();
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([&ctx, id_arg, json] {
    auto id = CanonicalId(*id_arg);
    if (!id.ok()) return ctx.Fail(id.status());
    auto node = ctx.OpenNode();
    if (!node) return;
    auto versions = node->store().ListVersions(*id);
    if (!versions.ok()) return ctx.Fail(versions.status());
    if (*json) {
      Json out = Json::array();
      for (const auto& v : *versions) {
        out.push_back({{"version", v.version},
                       {"hash", v.hash},
                       {"stored_at", v.stored_at},
                       {"source_file", v.source_file}});
      }
      fmt::print("{}\n", Dump(out));
      return;
    }
    for (const auto& v : *versions) {
      fmt::print("{:>4}  {}  {}  {}\n", v.version, v.stored_at, v.hash.substr(0, 16),
                 v.source_file);
    }
  });
}

void RegisterList(CLI::App& app, Context& ctx) {
  struct Args {
    bool json = false;
    size_t limit = 0;
    std::string after;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("list", "List the current version of every record");
  cmd->add_flag("--json", args->json, "JSON output: {total, records:[...]}");
  cmd->add_option("--limit", args->limit, "At most N records (0 = all)");
  cmd->add_option("--after", args->after, "Start after this id (pagination)");
  cmd->callback([&ctx, args] {
    auto node = ctx.OpenNode();
    if (!node) return;
    auto total = node->store().CountRecords();
    if (!total.ok()) return ctx.Fail(total.status());
    Json out_records = Json::array();
    std::string after = args->after;
    size_t printed = 0;
    constexpr size_t kPage = 500;
    if (!args->json) {
      fmt::print("{:<24} {:<11} {:>3}  {}\n", "ID", "PUBLISHED", "VER", "TITLE");
    }
    while (args->limit == 0 || printed < args->limit) {
      size_t want = kPage;
      if (args->limit != 0) want = std::min(kPage, args->limit - printed);
      auto page = node->store().ListRecords(after, want);
      if (!page.ok()) return ctx.Fail(page.status());
      if (page->empty()) break;
      for (const auto& r : *page) {
        std::string title = FirstText(r.titles);
        if (args->json) {
          out_records.push_back({{"id", r.Id()},
                                 {"office", r.office},
                                 {"kind", r.kind},
                                 {"publication_date", r.publication_date},
                                 {"title", title},
                                 {"version", r.version},
                                 {"hash", r.hash},
                                 {"source_format", r.source.format}});
        } else {
          if (title.size() > 70) title = title.substr(0, 67) + "...";
          fmt::print("{:<24} {:<11} {:>3}  {}\n", r.Id(), r.publication_date, r.version, title);
        }
        ++printed;
      }
      after = page->back().Id();
    }
    if (args->json) {
      Json out;
      out["total"] = *total;
      out["records"] = std::move(out_records);
      fmt::print("{}\n", Dump(out));
    } else {
      fmt::print("{} of {} records\n", printed, *total);
    }
  });
}

void RegisterExport(CLI::App& app, Context& ctx) {
  struct Args {
    std::string format;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("export", "Write every current record to a folder");
  cmd->add_option("--format", args->format, "json or st96")
      ->required()
      ->check(CLI::IsMember({"json", "st96"}));
  cmd->add_option("--out", args->out, "Output folder (created if needed)")->required();
  cmd->callback([&ctx, args] {
    auto node = ctx.OpenNode();
    if (!node) return;
    auto fmt_kind =
        args->format == "st96" ? service::ExportFormat::kSt96 : service::ExportFormat::kJson;
    auto summary = service::Export(*node, fmt_kind, args->out);
    if (!summary.ok()) return ctx.Fail(summary.status());
    fmt::print("Exported {} records as {} to {}\n", summary->records, args->format, args->out);
  });
}

void RegisterRejects(CLI::App& app, Context& ctx) {
  struct Args {
    bool json = false;
    int64_t run = 0;
    size_t limit = 1000;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("rejects", "List rejected documents with file, offset, rule");
  cmd->add_flag("--json", args->json, "JSON output");
  cmd->add_option("--run", args->run, "Only this ingest run");
  cmd->add_option("--limit", args->limit, "At most N rejects")->capture_default_str();
  cmd->callback([&ctx, args] {
    auto node = ctx.OpenNode();
    if (!node) return;
    std::optional<int64_t> run;
    if (args->run > 0) run = args->run;
    auto rejects = node->store().ListRejects(run, args->limit);
    if (!rejects.ok()) return ctx.Fail(rejects.status());
    if (args->json) {
      Json out = Json::array();
      for (const auto& r : *rejects) {
        out.push_back({{"run_id", r.run_id},
                       {"file", r.file},
                       {"offset", r.offset},
                       {"id", r.id},
                       {"format", r.format},
                       {"rule", r.rule},
                       {"field", r.field},
                       {"message", r.message},
                       {"source_sha256", r.source_sha256},
                       {"created_at", r.created_at}});
      }
      fmt::print("{}\n", Dump(out));
      return;
    }
    for (const auto& r : *rejects) {
      fmt::print("{}@{} {} [{}] {}{}\n", r.file, r.offset, r.id.empty() ? "-" : r.id, r.rule,
                 r.field.empty() ? "" : r.field + ": ", r.message);
    }
    fmt::print("{} rejects\n", rejects->size());
  });
}

void RegisterRuns(CLI::App& app, Context& ctx) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("runs", "List ingest runs with their counts");
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([&ctx, json] {
    auto node = ctx.OpenNode();
    if (!node) return;
    auto runs = node->store().ListRuns(100);
    if (!runs.ok()) return ctx.Fail(runs.status());
    if (*json) {
      Json out = Json::array();
      for (const auto& r : *runs) {
        out.push_back({{"run_id", r.run_id},
                       {"started_at", r.started_at},
                       {"finished_at", r.finished_at},
                       {"status", r.status},
                       {"documents", r.documents},
                       {"accepted", r.accepted},
                       {"updated", r.updated},
                       {"unchanged", r.unchanged},
                       {"rejected", r.rejected}});
      }
      fmt::print("{}\n", Dump(out));
      return;
    }
    fmt::print("{:>4}  {:<20}  {:<11}  {:>7} {:>7} {:>7} {:>7} {:>7}\n", "RUN", "STARTED", "STATUS",
               "DOCS", "NEW", "UPDATED", "SAME", "REJECT");
    for (const auto& r : *runs) {
      fmt::print("{:>4}  {:<20}  {:<11}  {:>7} {:>7} {:>7} {:>7} {:>7}\n", r.run_id, r.started_at,
                 r.status, r.documents, r.accepted, r.updated, r.unchanged, r.rejected);
    }
  });
}

}  // namespace

void RegisterRecordCommands(CLI::App& app, Context& ctx) {
  RegisterShow(app, ctx);
  RegisterVersions(app, ctx);
  RegisterList(app, ctx);
  RegisterExport(app, ctx);
  RegisterRejects(app, ctx);
  RegisterRuns(app, ctx);
}

}  // namespace ipdx::cli
