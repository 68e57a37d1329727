// `ipdx peer ...` and `ipdx bundle ...`: exchange with other offices' nodes (service/exchange.h,
// docs/formats/exchange.md). Peers are reached over HTTP (api::MakeHttpPeerTransport) with
// requests signed by this node's log key; bundles carry the same batches offline.
//
// Exit codes: 0 ok; 1 a peer's data was refused as corrupt (fork, rollback, tampered entry or
// record: the evidence is kept, `ipdx peer status` lists it), or a failure; 2 usage, I/O, a
// refused signature or a peer that could not be reached cleanly (cli::ExitCodeFor).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "cli/context.h"
#include "cli/exit_codes.h"
#include "cli/progress.h"
#include "exchange/exchange.h"
#include "ledger/ledger.h"
#include "service/exchange.h"

namespace ipdx::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// ---- signals for `peer sync --follow` ----------------------------------------------------------
// The first SIGINT/SIGTERM asks the loop to stop after the round in progress (each batch is
// committed with its cursor, so stopping is always safe); a second one ends the process at once.
volatile std::sig_atomic_t g_stop_requested = 0;

extern "C" void OnStopSignal(int sig) {
  if (g_stop_requested != 0) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_stop_requested = 1;
}

// The first line of a checkpoint note's body fields, shown compactly: "ipdx/EP 1234 <root>".
std::string CheckpointSummary(const std::string& note) {
  if (note.empty()) return "none";
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < note.size() && lines.size() < 3) {
    size_t nl = note.find('\n', pos);
    if (nl == std::string::npos) nl = note.size();
    lines.push_back(note.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : " ") + l;
  return out;
}

Json PeerJson(const service::PeerView& p) {
  Json j;
  j["name"] = p.name;
  j["url"] = p.url;
  j["office"] = p.office;
  j["origin"] = p.origin;
  j["log_vkey"] = p.log_vkey;
  j["witness_vkey"] = p.witness_vkey;
  j["fingerprint"] = p.fingerprint;
  j["added_at"] = p.added_at;
  j["cursor"] = p.cursor;
  j["checkpoint_size"] = p.checkpoint_size;
  j["lag"] = p.lag;
  j["records"] = p.records;
  j["witnesses"] = p.witnesses;
  j["checkpoint"] = p.checkpoint;
  j["last_sync_at"] = p.last_sync_at;
  j["last_error"] = p.last_error;
  j["evidence"] = p.evidence;
  return j;
}

Json EvidenceJson(const service::EvidenceView& e) {
  return Json{{"evidence_id", e.evidence_id},
              {"peer", e.peer},
              {"kind", e.kind},
              {"detected_at", e.detected_at},
              {"message", e.message},
              {"checkpoint_before", e.checkpoint_before},
              {"checkpoint_after", e.checkpoint_after}};
}

Json ReportJson(const service::SyncReport& r) {
  return Json{{"peer", r.peer},
              {"ok", true},
              {"from_cursor", r.from_cursor},
              {"to_cursor", r.to_cursor},
              {"entries", r.entries},
              {"records", r.records},
              {"events", r.events},
              {"checkpoint", r.checkpoint},
              {"cosigned", r.cosigned},
              {"cosign_error", r.cosign_error},
              {"index_warning", r.index_warning},
              {"bytes", r.bytes},
              {"seconds", r.seconds}};
}

void PrintReport(const service::SyncReport& r) {
  const double secs = r.seconds > 0 ? r.seconds : 1e-9;
  fmt::print(
      "{}: {} entries ({} records, {} events), cursor {} -> {}, {:.1f} MB received in "
      "{:.2f} s ({:.0f} entries/s)\n",
      r.peer, r.entries, r.records, r.events, r.from_cursor, r.to_cursor,
      static_cast<double>(r.bytes) / 1e6, r.seconds, static_cast<double>(r.entries) / secs);
  if (!r.checkpoint.empty()) fmt::print("  checkpoint: {}\n", CheckpointSummary(r.checkpoint));
  if (r.cosigned) {
    fmt::print("  cosigned the peer's checkpoint and sent the cosignature back\n");
  } else if (!r.cosign_error.empty()) {
    fmt::print("  cosignature not delivered: {}\n", r.cosign_error);
  }
  if (!r.index_warning.empty()) fmt::print("  search index: {}\n", r.index_warning);
}

// Prints the error and, for a refused batch, the evidence kept against the peer.
void ReportFailure(Context& ctx, service::Node& node, const std::string& peer, const Status& st,
                   bool json, Json* out) {
  std::vector<service::EvidenceView> evidence;
  const bool refused =
      st.code() == StatusCode::kCorruption || st.code() == StatusCode::kPermissionDenied;
  if (refused && !peer.empty()) {
    auto ev = service::ListEvidence(node, peer);
    if (ev.ok()) evidence = std::move(*ev);
  }
  if (json) {
    Json j{{"peer", peer},
           {"ok", false},
           {"refused", refused},
           {"error", st.message()},
           {"exit_code", ExitCodeFor(st)}};
    j["evidence"] = Json::array();
    for (const auto& e : evidence) j["evidence"].push_back(EvidenceJson(e));
    out->push_back(std::move(j));
  }
  const std::string who = peer.empty() ? std::string() : "peer " + peer + ": ";
  fmt::print(stderr, "ipdx: error: {}{}{}\n", refused ? "refused: " : "", who, st.message());
  if (!evidence.empty()) {
    const auto& e = evidence.back();
    fmt::print(stderr,
               "  evidence {} ({}) kept at {}; `ipdx peer status {}` lists all {} piece(s)\n",
               e.evidence_id, e.kind, e.detected_at, peer, evidence.size());
  }
  // The worst failure decides the exit code (corruption over usage).
  const int code = ExitCodeFor(st);
  if (ctx.exit_code == kExitOk || code == kExitFailure) ctx.exit_code = code;
}

// A progress bar fed by SyncProgress; shows entries of the current run.
class SyncBar {
 public:
  explicit SyncBar(const std::string& label) : bar_(label) {}
  void operator()(const service::SyncProgress& p) {
    if (!started_) {
      start_cursor_ = p.cursor;
      started_ = true;
    }
    const uint64_t total = p.target > start_cursor_ ? p.target - start_cursor_ : 0;
    const uint64_t done = p.cursor > start_cursor_ ? p.cursor - start_cursor_ : 0;
    bar_.Update(done, total, p.records,
                fmt::format("{} {}/{} entries, {:.1f} MB", p.peer, p.cursor, p.target,
                            static_cast<double>(p.bytes) / 1e6));
  }
  void Finish() { bar_.Finish(); }

 private:
  ProgressBar bar_;
  bool started_ = false;
  uint64_t start_cursor_ = 0;
};

// ---- ipdx peer ------------------------------------------------------------------------------

struct AddArgs {
  std::string url;
  std::string name;
  bool yes = false;
};

struct SyncArgs {
  std::string name;
  bool follow = false;
  double interval_s = 60;
  bool json = false;
  size_t batch = exchange::kDefaultBatchEntries;
  bool no_cosign = false;
  int retries = 3;
  std::string ca_file;
  bool insecure = false;
};

// Asks on the terminal; false without one (the caller explains --yes).
bool Confirm(const std::string& question) {
  if (isatty(STDIN_FILENO) != 1) return false;
  fmt::print(stderr, "{} [y/N] ", question);
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

void RegisterPeer(CLI::App& app, Context& ctx) {
  auto* peer = app.add_subcommand(
      "peer",
      "Other offices' nodes: pin their keys, pull and verify their change feeds, witness their "
      "checkpoints");
  peer->require_subcommand(1);

  // ---- add ----
  auto add_args = std::make_shared<AddArgs>();
  auto* add = peer->add_subcommand(
      "add",
      "Fetch a node's information (office, log and witness keys) and pin its keys after you "
      "compare the fingerprint with the other office over a second channel");
  add->add_option("url", add_args->url, "The peer's base URL (http(s)://host:port)")->required();
  add->add_option("--name", add_args->name, "Local name (default: the peer's office code)");
  add->add_flag("--yes", add_args->yes,
                "Pin without asking (scripts; check the fingerprint some other way first)");
  add->callback([&ctx, add_args] {
    auto node = ctx.OpenNode();
    if (!node) return;
    auto transport = api::MakeHttpPeerTransport(add_args->url, node->log_key());
    if (!transport.ok()) return ctx.Fail(transport.status());
    auto info = (*transport)->GetNodeInfo();
    if (!info.ok()) return ctx.Fail(info.status());
    auto key = ledger::VerifierKey::Parse(info->log_vkey);
    if (!key.ok()) return ctx.Fail(key.status());
    const std::string name = add_args->name.empty() ? info->office : add_args->name;
    fmt::print("Peer {} at {}\n", name, add_args->url);
    fmt::print("  office       {}\n", info->office);
    fmt::print("  origin       {}\n", info->origin);
    fmt::print("  log key      {}\n", info->log_vkey);
    fmt::print("  fingerprint  {}\n", exchange::KeyFingerprint(*key));
    if (!info->witness_vkey.empty()) {
      auto wkey = ledger::VerifierKey::Parse(info->witness_vkey);
      fmt::print("  witness key  {}\n", info->witness_vkey);
      if (wkey.ok()) fmt::print("  witness fp   {}\n", exchange::KeyFingerprint(*wkey));
    }
    fmt::print("  software     ipdx {}\n", info->software_version);
    std::fflush(stdout);
    if (!add_args->yes) {
      if (isatty(STDIN_FILENO) != 1) {
        return ctx.Fail(Status::FailedPrecondition(
            "not pinned: confirm the fingerprint on a terminal, or pass --yes after checking it "
            "with the other office"));
      }
      if (!Confirm("Pin these keys? Compare the fingerprint with " + info->office +
                   " over the phone or another trusted channel.")) {
        return ctx.Fail(Status::FailedPrecondition("not pinned: not confirmed"));
      }
    }
    Status st = service::AddPeer(*node, name, add_args->url, *info);
    if (!st.ok()) return ctx.Fail(st);
    fmt::print("pinned peer {} ({}); `ipdx peer sync {}` pulls its records\n", name, info->origin,
               name);
  });

  // ---- list ----
  auto list_json = std::make_shared<bool>(false);
  auto* list = peer->add_subcommand("list", "The pinned peers");
  list->add_flag("--json", *list_json, "JSON array of peers");
  list->callback([&ctx, list_json] {
    auto node = ctx.OpenNode();
    if (!node) return;
    auto peers = service::ListPeers(*node);
    if (!peers.ok()) return ctx.Fail(peers.status());
    if (*list_json) {
      Json arr = Json::array();
      for (const auto& p : *peers) arr.push_back(PeerJson(p));
      fmt::print("{}\n", Dump(arr));
      return;
    }
    if (peers->empty()) {
      fmt::print("no peers; add one with `ipdx peer add URL`\n");
      return;
    }
    fmt::print("{:<12} {:<6} {:<40} {:>10} {:>8} {:>9}  {}\n", "NAME", "OFFICE", "URL", "CURSOR",
               "LAG", "RECORDS", "FINGERPRINT");
    for (const auto& p : *peers) {
      fmt::print("{:<12} {:<6} {:<40} {:>10} {:>8} {:>9}  {}\n", p.name, p.office,
                 p.url.empty() ? "(bundles only)" : p.url, p.cursor, p.lag, p.records,
                 p.fingerprint);
    }
  });

  // ---- remove ----
  auto remove_name = std::make_shared<std::string>();
  auto* remove =
      peer->add_subcommand("remove", "Unpin a peer (the records received from it are kept)");
  remove->add_option("name", *remove_name, "The peer's local name")->required();
  remove->callback([&ctx, remove_name] {
    auto node = ctx.OpenNode();
    if (!node) return;
    Status st = service::RemovePeer(*node, *remove_name);
    if (!st.ok()) return ctx.Fail(st);
    fmt::print("removed peer {} (records received from it are kept)\n", *remove_name);
  });

  // ---- status ----
  auto status_name = std::make_shared<std::string>();
  auto status_json = std::make_shared<bool>(false);
  auto* status = peer->add_subcommand(
      "status", "Per peer: cursor, lag, last checkpoint, witnesses, last error and evidence");
  status->add_option("name", *status_name, "One peer (default: all)");
  status->add_flag("--json", *status_json, "JSON array of peers, each with its evidence");
  status->callback([&ctx, status_name, status_json] {
    auto node = ctx.OpenNode();
    if (!node) return;
    std::vector<service::PeerView> peers;
    if (!status_name->empty()) {
      auto p = service::GetPeer(*node, *status_name);
      if (!p.ok()) return ctx.Fail(p.status());
      peers.push_back(std::move(*p));
    } else {
      auto all = service::ListPeers(*node);
      if (!all.ok()) return ctx.Fail(all.status());
      peers = std::move(*all);
    }
    Json arr = Json::array();
    for (const auto& p : peers) {
      auto ev = service::ListEvidence(*node, p.name);
      if (!ev.ok()) return ctx.Fail(ev.status());
      if (*status_json) {
        Json j = PeerJson(p);
        j["evidence_list"] = Json::array();
        for (const auto& e : *ev) j["evidence_list"].push_back(EvidenceJson(e));
        arr.push_back(std::move(j));
        continue;
      }
      fmt::print("{} ({}, {})\n", p.name, p.office, p.url.empty() ? "bundles only" : p.url);
      fmt::print("  cursor       {} of {} (lag {})\n", p.cursor, p.checkpoint_size, p.lag);
      fmt::print("  records      {}\n", p.records);
      fmt::print("  checkpoint   {}\n", CheckpointSummary(p.checkpoint));
      fmt::print("  witnesses    {}\n", p.witnesses);
      fmt::print("  last sync    {}\n", p.last_sync_at.empty() ? "never" : p.last_sync_at);
      fmt::print("  last error   {}\n", p.last_error.empty() ? "none" : p.last_error);
      fmt::print("  evidence     {}\n", ev->size());
      for (const auto& e : *ev) {
        fmt::print("    #{} {} at {}: {}\n", e.evidence_id, e.kind, e.detected_at, e.message);
      }
    }
    if (*status_json) fmt::print("{}\n", Dump(arr));
  });

  // ---- sync ----
  auto sync_args = std::make_shared<SyncArgs>();
  auto* sync = peer->add_subcommand(
      "sync",
      "Pull and verify the change feed of one peer (or of every peer with a URL) until this node "
      "has every entry of the peer's latest checkpoint; cosign it and send the cosignature back");
  sync->add_option("name", sync_args->name, "One peer (default: all)");
  auto* follow = sync->add_flag("--follow", sync_args->follow,
                                "Keep syncing every --interval seconds until SIGINT/SIGTERM");
  sync->add_option("--interval", sync_args->interval_s, "Seconds between rounds with --follow")
      ->check(CLI::Range(0.1, 86400.0))
      ->needs(follow);
  sync->add_option("--batch", sync_args->batch, "Entries per request")
      ->check(CLI::Range(size_t{1}, exchange::kMaxBatchEntries));
  sync->add_flag("--no-cosign", sync_args->no_cosign, "Do not cosign the peer's checkpoint");
  sync->add_option("--retries", sync_args->retries, "Retries of transient network failures")
      ->check(CLI::Range(0, 10));
  sync->add_option("--ca-file", sync_args->ca_file, "PEM CA bundle for https peers");
  sync->add_flag("--insecure", sync_args->insecure,
                 "Do not verify the peer's TLS certificate (testing only; data is still verified "
                 "against the pinned keys)");
  sync->add_flag("--json", sync_args->json, "JSON array of per-peer results (per round)");
  sync->callback([&ctx, sync_args] {
    auto node = ctx.OpenNode();
    if (!node) return;
    const SyncArgs& a = *sync_args;
    if (a.follow) {
      g_stop_requested = 0;
      std::signal(SIGINT, OnStopSignal);
      std::signal(SIGTERM, OnStopSignal);
    }
    api::PeerClientOptions client;
    client.retries = a.retries;
    client.ca_file = a.ca_file;
    client.verify_tls = !a.insecure;
    for (;;) {
      std::vector<service::PeerView> peers;
      if (!a.name.empty()) {
        auto p = service::GetPeer(*node, a.name);
        if (!p.ok()) return ctx.Fail(p.status());
        if (p->url.empty()) {
          return ctx.Fail(Status::FailedPrecondition(
              "peer " + a.name + " has no URL (bundles only): use `ipdx bundle import`"));
        }
        peers.push_back(std::move(*p));
      } else {
        auto all = service::ListPeers(*node);
        if (!all.ok()) return ctx.Fail(all.status());
        for (auto& p : *all) {
          if (!p.url.empty()) peers.push_back(std::move(p));
        }
        if (peers.empty() && !a.follow) {
          fmt::print(stderr, "no peers with a URL; add one with `ipdx peer add URL`\n");
        }
      }
      Json results = Json::array();
      for (const auto& p : peers) {
        if (g_stop_requested != 0) break;
        auto transport = api::MakeHttpPeerTransport(p.url, node->log_key(), client);
        if (!transport.ok()) {
          ReportFailure(ctx, *node, p.name, transport.status(), a.json, &results);
          continue;
        }
        SyncBar bar("sync " + p.name);
        service::SyncOptions options;
        options.batch_entries = a.batch;
        options.cosign = !a.no_cosign;
        options.on_progress = [&bar](const service::SyncProgress& sp) { bar(sp); };
        auto report = service::SyncPeer(*node, p.name, **transport, options);
        bar.Finish();
        if (!report.ok()) {
          ReportFailure(ctx, *node, p.name, report.status(), a.json, &results);
          continue;
        }
        if (a.json) {
          results.push_back(ReportJson(*report));
        } else {
          PrintReport(*report);
        }
      }
      if (a.json) fmt::print("{}\n", Dump(results));
      std::fflush(stdout);
      if (!a.follow) return;
      const auto until = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(static_cast<int64_t>(a.interval_s * 1000));
      while (g_stop_requested == 0 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (g_stop_requested != 0) {
        fmt::print(stderr, "ipdx peer sync: stopping (signal received)\n");
        return;
      }
    }
  });
}

// ---- ipdx bundle ----------------------------------------------------------------------------

struct ExportArgs {
  uint64_t since = 0;
  std::string out;
  bool json = false;
};

struct ImportArgs {
  std::string file;
  bool json = false;
  bool no_cosign = false;
};

void RegisterBundle(CLI::App& app, Context& ctx) {
  auto* bundle = app.add_subcommand(
      "bundle", "Offline exchange: one archive of log entries, records, proofs and a checkpoint");
  bundle->require_subcommand(1);

  auto ex = std::make_shared<ExportArgs>();
  auto* exp = bundle->add_subcommand(
      "export", "Write this node's log entries from a cursor, with records and proofs, to FILE");
  exp->add_option("--since", ex->since,
                  "Cursor: the number of leaves the receiver already has (its `peer status` "
                  "cursor for this node)")
      ->required();
  exp->add_option("--out", ex->out, "The archive to write")->required();
  exp->add_flag("--json", ex->json, "JSON summary");
  exp->callback([&ctx, ex] {
    auto node = ctx.OpenNode();
    if (!node) return;
    SyncBar bar("bundle");
    auto summary = service::ExportBundle(*node, ex->since, ex->out,
                                         [&bar](const service::SyncProgress& p) { bar(p); });
    bar.Finish();
    if (!summary.ok()) return ctx.Fail(summary.status());
    if (ex->json) {
      fmt::print("{}\n", Dump(Json{{"path", summary->path},
                                   {"origin", summary->origin},
                                   {"from", summary->from},
                                   {"to", summary->to},
                                   {"entries", summary->entries},
                                   {"bytes", summary->bytes}}));
      return;
    }
    fmt::print("wrote {}: {} entries [{}, {}) of {}, {:.1f} MB\n", summary->path, summary->entries,
               summary->from, summary->to, summary->origin,
               static_cast<double>(summary->bytes) / 1e6);
  });

  auto im = std::make_shared<ImportArgs>();
  auto* imp = bundle->add_subcommand(
      "import",
      "Verify a bundle exactly as `peer sync` verifies a feed (its origin must be a pinned peer) "
      "and store its records");
  imp->add_option("file", im->file, "The archive")->required();
  imp->add_flag("--json", im->json, "JSON summary");
  imp->add_flag("--no-cosign", im->no_cosign, "Do not cosign the bundle's checkpoint");
  imp->callback([&ctx, im] {
    auto node = ctx.OpenNode();
    if (!node) return;
    SyncBar bar("import");
    service::SyncOptions options;
    options.cosign = !im->no_cosign;
    options.on_progress = [&bar](const service::SyncProgress& p) { bar(p); };
    auto report = service::ImportBundle(*node, im->file, options);
    bar.Finish();
    Json results = Json::array();
    if (!report.ok()) {
      // The peer is named in the message; evidence is listed by `ipdx peer status`.
      ReportFailure(ctx, *node, "", report.status(), im->json, &results);
      if (im->json) fmt::print("{}\n", Dump(results));
      return;
    }
    if (im->json) {
      fmt::print("{}\n", Dump(ReportJson(*report)));
      return;
    }
    PrintReport(*report);
  });
}

}  // namespace

void RegisterExchangeCommands(CLI::App& app, Context& ctx) {
  RegisterPeer(app, ctx);
  RegisterBundle(app, ctx);
}

}  // namespace ipdx::cli
