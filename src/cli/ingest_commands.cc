// `ipdx ingest`: read, validate and store documents, with a progress bar and a summary.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/context.h"
#include "cli/exit_codes.h"
#include "cli/progress.h"

namespace ipdx::cli {
namespace {

struct IngestArgs {
  std::vector<std::string> paths;
  bool json = false;
  int threads = 0;
  size_t batch = 500;
  size_t show_rejects = 20;
  bool no_index = false;
};

nlohmann::ordered_json SummaryJson(const service::IngestSummary& s) {
  nlohmann::ordered_json j;
  j["run_id"] = s.run_id;
  j["documents"] = s.documents;
  j["accepted"] = s.accepted;
  j["updated"] = s.updated;
  j["unchanged"] = s.unchanged;
  j["rejected"] = s.rejected;
  j["warnings"] = s.warnings;
  j["rejected_by_rule"] = nlohmann::ordered_json::object();
  for (const auto& [rule, n] : s.rejected_by_rule) j["rejected_by_rule"][rule] = n;
  j["rejects"] = nlohmann::ordered_json::array();
  for (const auto& r : s.rejects) {
    j["rejects"].push_back({{"file", r.file},
                            {"offset", r.offset},
                            {"id", r.id},
                            {"rule", r.rule},
                            {"field", r.field},
                            {"message", r.message}});
  }
  j["skipped_files"] = s.skipped_files;
  j["bytes"] = s.bytes;
  j["seconds"] = s.seconds;
  j["index"] = s.index_deferred ? "deferred" : s.index_warning.empty() ? "updated" : "failed";
  return j;
}

void PrintSummary(const service::IngestSummary& s, size_t show_rejects) {
  double secs = s.seconds > 0 ? s.seconds : 1e-9;
  fmt::print("Ingest run {}: {} documents, {:.1f} MB in {:.2f} s ({:.0f} docs/s)\n", s.run_id,
             s.documents, static_cast<double>(s.bytes) / 1e6, s.seconds,
             static_cast<double>(s.documents) / secs);
  fmt::print("  accepted (new)   {:>8}\n", s.accepted);
  fmt::print("  updated          {:>8}\n", s.updated);
  fmt::print("  unchanged        {:>8}\n", s.unchanged);
  fmt::print("  rejected         {:>8}\n", s.rejected);
  if (s.warnings > 0) fmt::print("  warnings kept    {:>8}\n", s.warnings);
  if (s.index_deferred) {
    fmt::print(
        "Search index not updated (--no-index): the next search or `ipdx reindex` does it.\n");
  }
  if (!s.skipped_files.empty()) {
    fmt::print("  skipped (documentation files, not documents): {}\n", s.skipped_files.size());
    for (const auto& f : s.skipped_files) fmt::print("    {}\n", f);
  }
  if (!s.rejected_by_rule.empty()) {
    fmt::print("Rejected by rule:\n");
    for (const auto& [rule, n] : s.rejected_by_rule) fmt::print("  {:<16} {:>8}\n", rule, n);
    fmt::print("Rejects:\n");
    size_t shown = 0;
    for (const auto& r : s.rejects) {
      if (shown++ == show_rejects) {
        fmt::print("  ... {} more: ipdx rejects --run {}\n", s.rejected - show_rejects, s.run_id);
        break;
      }
      fmt::print("  {}@{} {} [{}] {}{}\n", r.file, r.offset, r.id.empty() ? "-" : r.id, r.rule,
                 r.field.empty() ? "" : r.field + ": ", r.message);
    }
  }
}

}  // namespace

void RegisterIngestCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<IngestArgs>();
  auto* cmd = app.add_subcommand(
      "ingest",
      "Read, validate and store documents (XML files, USPTO weekly files, .zip archives, "
      "EPO DOCDB bulk files, ipdx JSON lines, or folders of them)");
  cmd->add_option("paths", args->paths, "Files or folders")->required();
  cmd->add_flag("--json", args->json, "Print one JSON object with the counts and rejects");
  cmd->add_option("--threads", args->threads, "Decode threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--batch", args->batch, "Documents per store transaction")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--show-rejects", args->show_rejects, "Rejects listed in the summary")
      ->capture_default_str();
  cmd->add_flag("--no-index", args->no_index,
                "Store only; leave the search index for the next search or `ipdx reindex` "
                "(quicker for bulk loads: one rebuild at the end)");
  cmd->callback([&ctx, args] {
    auto node = ctx.OpenNode();
    if (!node) return;
    ProgressBar bar("ingest");
    service::IngestOptions options;
    options.paths = args->paths;
    options.threads = args->threads;
    options.batch_size = args->batch;
    options.index = !args->no_index;
    options.on_progress = [&bar](const service::IngestProgress& p) {
      bar.Update(p.bytes_done, p.bytes_total, p.documents, p.file);
    };
    auto summary = service::Ingest(*node, options);
    bar.Finish();
    if (!summary.ok()) return ctx.Fail(summary.status());
    if (args->json) {
      fmt::print("{}\n", SummaryJson(*summary).dump(2, ' ', false,
                                                    nlohmann::json::error_handler_t::replace));
    } else {
      PrintSummary(*summary, args->show_rejects);
    }
    if (!summary->index_warning.empty()) {
      fmt::print(stderr, "ipdx: warning: {}\n", summary->index_warning);
    }
    ctx.exit_code = summary->rejected > 0 ? kExitRejects : kExitOk;
  });
}

}  // namespace ipdx::cli
