// `ipdx log ...`, `ipdx event ...`, `ipdx receipt`, `ipdx verify`: the node's transparency log
// (docs/formats/ledger.md). Exit codes: 0 ok; 1 corruption, or a receipt or record that does not
// verify; 2 usage or I/O problems.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/context.h"
#include "cli/exit_codes.h"
#include "common/hash.h"
#include "ledger/ledger.h"
#include "model/model.h"
#include "service/ledger.h"

namespace ipdx::cli {
namespace {

namespace fs = std::filesystem;
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

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read " + path);
  return ss.str();
}

// Written to a temporary name and renamed, so a reader never sees half a receipt.
Status WriteTextFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return Status::IOError("cannot write " + tmp);
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Status::IOError("cannot write " + path + ": " + ec.message());
  }
  return Status::Ok();
}

Json EntryJson(const ledger::Entry& e) {
  Json j;
  j["type"] = e.type == ledger::EntryType::kRecordVersion ? "record-version" : "rights-event";
  j["publisher"] = e.publisher;
  j["record_id"] = e.record_id;
  j["record_version"] = e.record_version;
  if (e.type == ledger::EntryType::kRecordVersion) j["content_hash"] = HexEncode(e.content_hash);
  j["recorded_at"] = e.recorded_at;
  if (e.event) {
    const ledger::RightsEventInfo& info = ledger::RightsEventInfoFor(e.event->type);
    j["event"] = {{"type", std::string(info.name)},
                  {"st27_code", e.event->st27_code},
                  {"st27_category", std::string(1, info.st27_category)},
                  {"effective_date", e.event->effective_date},
                  {"parties", e.event->parties},
                  {"details", e.event->details}};
    if (e.event->supersedes > 0) j["event"]["supersedes_leaf"] = e.event->supersedes - 1;
  }
  return j;
}

std::string Describe(const ledger::Entry& e) {
  if (e.type == ledger::EntryType::kRecordVersion) {
    return fmt::format("{} version {} (content hash {})", e.record_id, e.record_version,
                       HexEncode(e.content_hash));
  }
  const ledger::RightsEventInfo& info = ledger::RightsEventInfoFor(e.event->type);
  return fmt::format("{} event of {} ({}, effective {})", info.name, e.record_id,
                     e.event->st27_code, e.event->effective_date);
}

// ---- ipdx log ------------------------------------------------------------------------------

void RegisterLog(CLI::App& app, Context& ctx) {
  auto* log = app.add_subcommand("log", "The node's transparency log: checkpoints, proofs, check");
  log->require_subcommand(1);

  auto cp_json = std::make_shared<bool>(false);
  auto* checkpoint = log->add_subcommand("checkpoint", "Print the latest signed checkpoint");
  checkpoint->add_flag("--json", *cp_json, "JSON: {origin, tree_size, root, note}");
  checkpoint->callback([&ctx, cp_json] {
    auto node = ctx.OpenNode();
    if (!node) return;
    auto cp = service::LatestCheckpoint(*node);
    if (!cp.ok()) return ctx.Fail(cp.status());
    if (*cp_json) {
      fmt::print("{}\n", Dump(Json{{"origin", cp->checkpoint.origin},
                                   {"tree_size", cp->checkpoint.tree_size},
                                   {"root", ledger::HashToBase64(cp->checkpoint.root)},
                                   {"note", cp->note}}));
    } else {
      fmt::print("{}", cp->note);
    }
  });

  auto* key = log->add_subcommand("key", "Print the node's log verifier key (vkey)");
  key->callback([&ctx] {
    auto node = ctx.OpenNode();
    if (!node) return;
    fmt::print("{}\n", service::LogPublicKey(*node));
  });

  struct ProveArgs {
    std::string inclusion;
    int version = 0;
    std::vector<uint64_t> consistency;
    bool json = false;
  };
  auto pa = std::make_shared<ProveArgs>();
  auto* prove = log->add_subcommand("prove", "Print an inclusion or a consistency proof");
  auto* inc = prove->add_option("--inclusion", pa->inclusion,
                                "Publication id: prove its version is in the log");
  prove->add_option("--version", pa->version, "Record version (default: current)")->needs(inc);
  auto* cons = prove
                   ->add_option("--consistency", pa->consistency,
                                "OLD NEW: prove checkpoint NEW extends checkpoint OLD")
                   ->expected(2);
  inc->excludes(cons);
  prove->add_flag("--json", pa->json, "JSON output");
  prove->callback([&ctx, pa] {
    if (pa->inclusion.empty() && pa->consistency.empty()) {
      return ctx.Fail(Status::InvalidArgument("give --inclusion ID or --consistency OLD NEW"));
    }
    auto node = ctx.OpenNode();
    if (!node) return;
    if (!pa->inclusion.empty()) {
      auto id = CanonicalId(pa->inclusion);
      if (!id.ok()) return ctx.Fail(id.status());
      std::optional<int> version;
      if (pa->version > 0) version = pa->version;
      auto receipt = service::RecordReceipt(*node, *id, version);
      if (!receipt.ok()) return ctx.Fail(receipt.status());
      if (pa->json) {
        fmt::print("{}", ledger::ReceiptToJson(*receipt));
      } else {
        fmt::print("{}", ledger::ReceiptToTlogProof(*receipt));
      }
      return;
    }
    auto proof = service::ProveConsistency(*node, pa->consistency[0], pa->consistency[1]);
    if (!proof.ok()) return ctx.Fail(proof.status());
    Json hashes = Json::array();
    for (const ledger::Hash& h : proof->proof) hashes.push_back(ledger::HashToBase64(h));
    if (pa->json) {
      fmt::print("{}\n", Dump(Json{{"old_size", proof->old_checkpoint.checkpoint.tree_size},
                                   {"new_size", proof->new_checkpoint.checkpoint.tree_size},
                                   {"proof", hashes},
                                   {"old_checkpoint", proof->old_checkpoint.note},
                                   {"new_checkpoint", proof->new_checkpoint.note}}));
      return;
    }
    fmt::print("consistency {} {}\n", proof->old_checkpoint.checkpoint.tree_size,
               proof->new_checkpoint.checkpoint.tree_size);
    for (const auto& h : hashes) fmt::print("{}\n", h.get<std::string>());
    fmt::print("\n{}\n{}", proof->old_checkpoint.note, proof->new_checkpoint.note);
  });

  auto* check = log->add_subcommand(
      "check", "Recompute the whole tree from the stored leaves and compare with the checkpoints");
  check->callback([&ctx] {
    auto node = ctx.OpenNode();
    if (!node) return;
    auto report = service::CheckLog(*node);
    if (!report.ok()) {
      fmt::print(stderr, "ipdx: log check FAILED: {}\n", report.status().message());
      ctx.exit_code = ExitCodeFor(report.status());
      return;
    }
    fmt::print(
        "log OK: {} leaves ({} record versions, {} rights events), {} signed checkpoints, "
        "{} stored records re-hashed\n",
        report->counts.tree_size, report->counts.record_versions, report->counts.rights_events,
        report->counts.checkpoints, report->records_checked);
    if (report->latest) {
      fmt::print("latest checkpoint: {} size {}\n", report->latest->checkpoint.origin,
                 report->latest->checkpoint.tree_size);
    }
  });
}

// ---- ipdx event ----------------------------------------------------------------------------

void RegisterEvent(CLI::App& app, Context& ctx) {
  auto* event = app.add_subcommand("event", "Rights events (grant, assignment, licence, ...)");
  event->require_subcommand(1);

  struct AddArgs {
    std::string id;
    std::string type;
    std::string date;
    std::string code;
    std::vector<std::string> parties;
    std::string details;
    int64_t supersedes = -1;
    bool json = false;
  };
  auto aa = std::make_shared<AddArgs>();
  std::string types;
  for (const std::string& n : service::RightsEventTypeNames())
    types += (types.empty() ? "" : ", ") + n;
  auto* add = event->add_subcommand("add", "Record a rights event as a leaf of the log");
  add->add_option("id", aa->id, "Publication id of a record on this node")->required();
  add->add_option("--type", aa->type, "One of: " + types)->required();
  add->add_option("--date", aa->date, "Date the event took effect, YYYY-MM-DD")->required();
  add->add_option("--code", aa->code, "ST.27 detailed event code (default: the type's)");
  add->add_option("--party", aa->parties, "Party name as published (repeatable)");
  add->add_option("--details", aa->details, "Short free text as published");
  add->add_option("--supersedes", aa->supersedes, "Correction: leaf index of the corrected entry");
  add->add_flag("--json", aa->json, "JSON output");
  add->callback([&ctx, aa] {
    auto id = CanonicalId(aa->id);
    if (!id.ok()) return ctx.Fail(id.status());
    auto node = ctx.OpenNode();
    if (!node) return;
    service::RightsEventInput in{*id, aa->type, aa->code, aa->date, aa->parties, aa->details, 0};
    if (aa->supersedes >= 0) in.supersedes = static_cast<uint64_t>(aa->supersedes) + 1;
    auto added =
        service::AddRightsEvents(*node, std::span<const service::RightsEventInput>(&in, 1));
    if (!added.ok()) return ctx.Fail(added.status());
    const store::LoggedEvent& e = added->events.front();
    if (aa->json) {
      Json j = EntryJson(e.entry);
      j["leaf_index"] = e.leaf_index;
      j["checkpoint"] = added->checkpoint.note;
      fmt::print("{}\n", Dump(j));
      return;
    }
    fmt::print("Recorded {} as leaf {}; checkpoint {} size {}\n", Describe(e.entry), e.leaf_index,
               added->checkpoint.checkpoint.origin, added->checkpoint.checkpoint.tree_size);
  });

  auto la = std::make_shared<std::pair<std::string, bool>>();
  auto* list = event->add_subcommand("list", "List the rights events of a record");
  list->add_option("id", la->first, "Publication id")->required();
  list->add_flag("--json", la->second, "JSON output");
  list->callback([&ctx, la] {
    auto id = CanonicalId(la->first);
    if (!id.ok()) return ctx.Fail(id.status());
    auto node = ctx.OpenNode();
    if (!node) return;
    auto events = service::ListRightsEvents(*node, *id);
    if (!events.ok()) return ctx.Fail(events.status());
    if (la->second) {
      Json out = Json::array();
      for (const store::LoggedEvent& e : *events) {
        Json j = EntryJson(e.entry);
        j["leaf_index"] = e.leaf_index;
        out.push_back(std::move(j));
      }
      fmt::print("{}\n", Dump(out));
      return;
    }
    if (events->empty()) {
      fmt::print("No rights events for {}\n", *id);
      return;
    }
    fmt::print("{:>6}  {:<10}  {:<24}  {:<4}  {}\n", "LEAF", "DATE", "TYPE", "ST27", "PARTIES");
    for (const store::LoggedEvent& e : *events) {
      const ledger::RightsEvent& ev = *e.entry.event;
      std::string parties;
      for (const std::string& p : ev.parties) parties += (parties.empty() ? "" : "; ") + p;
      if (!ev.details.empty()) parties += (parties.empty() ? "" : "  ") + ("(" + ev.details + ")");
      fmt::print("{:>6}  {:<10}  {:<24}  {:<4}  {}\n", e.leaf_index, ev.effective_date,
                 ledger::RightsEventInfoFor(ev.type).name, ev.st27_code, parties);
    }
  });
}

// ---- ipdx receipt, ipdx verify -------------------------------------------------------------

void RegisterReceipt(CLI::App& app, Context& ctx) {
  struct Args {
    std::string id;
    int version = 0;
    int64_t leaf = -1;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("receipt", "Write an offline-verifiable receipt of a record");
  cmd->add_option("id", args->id, "Publication id (omit with --leaf)");
  cmd->add_option("--version", args->version, "Record version (default: current)");
  cmd->add_option("--leaf", args->leaf, "Leaf index instead of a record (e.g. a rights event)");
  cmd->add_option("--out", args->out, "Write to FILE instead of standard output");
  cmd->callback([&ctx, args] {
    if (args->id.empty() == (args->leaf < 0)) {
      return ctx.Fail(Status::InvalidArgument("give a publication id or --leaf N"));
    }
    auto node = ctx.OpenNode();
    if (!node) return;
    Result<ledger::Receipt> receipt = Status::Internal("unset");
    if (args->leaf >= 0) {
      receipt = service::LeafReceipt(*node, static_cast<uint64_t>(args->leaf));
    } else {
      auto id = CanonicalId(args->id);
      if (!id.ok()) return ctx.Fail(id.status());
      std::optional<int> version;
      if (args->version > 0) version = args->version;
      receipt = service::RecordReceipt(*node, *id, version);
    }
    if (!receipt.ok()) return ctx.Fail(receipt.status());
    const std::string json = ledger::ReceiptToJson(*receipt);  // ends in a newline
    if (args->out.empty()) {
      fmt::print("{}", json);
      return;
    }
    Status st = WriteTextFile(args->out, json);
    if (!st.ok()) return ctx.Fail(st);
    fmt::print(stderr, "Receipt for leaf {} (tree size {}) written to {}\n", receipt->leaf_index,
               receipt->tree_size, args->out);
  });
}

// A verification that ran and said no: exit 1 with the reason.
void Invalid(Context& ctx, const std::string& what, const Status& why) {
  fmt::print(stderr, "ipdx: INVALID {}: {}\n", what, why.message());
  ctx.exit_code = kExitFailure;
}

void RegisterVerify(CLI::App& app, Context& ctx) {
  struct Args {
    std::string target;
    std::string key;
    int version = 0;
    bool json = false;
    std::vector<std::string> witness_keys;
    int min_witnesses = -1;  // -1: 1 when witness keys are given, else 0
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "verify",
      "Verify a receipt file offline (no database), or a record of this node against its log");
  cmd->add_option("target", args->target, "RECEIPT_FILE or a publication id")->required();
  cmd->add_option("--key", args->key,
                  "Trusted log key: vkey text or a file of vkeys (default: HOME/keys/node.pub)");
  cmd->add_option("--version", args->version, "Record version (with an id; default: current)");
  cmd->add_flag("--json", args->json, "JSON output");
  cmd->add_option("--witness-key", args->witness_keys,
                  "Trusted witness key (cosignature vkey text or a file of them); repeatable");
  cmd->add_option("--min-witnesses", args->min_witnesses,
                  "Witnesses (of --witness-key) that must have cosigned the checkpoint "
                  "(default: 1 when witness keys are given)");
  cmd->callback([&ctx, args] {
    std::error_code ec;
    // k-of-n witnesses over the receipt's checkpoint (docs/formats/exchange.md §5).
    std::vector<ledger::VerifierKey> witness_keys;
    for (const std::string& w : args->witness_keys) {
      std::string text = w;
      if (fs::is_regular_file(w, ec)) {
        auto file = ReadTextFile(w);
        if (!file.ok()) return ctx.Fail(file.status());
        text = *file;
      }
      auto keys = service::ParseTrustedKeys(text);
      if (!keys.ok()) return ctx.Fail(keys.status().WithContext("--witness-key"));
      witness_keys.insert(witness_keys.end(), keys->begin(), keys->end());
    }
    const size_t min_witnesses = args->min_witnesses >= 0 ? static_cast<size_t>(args->min_witnesses)
                                                          : (witness_keys.empty() ? 0 : 1);
    // Empty when no witnesses are required; otherwise the witnesses that cosigned, or the
    // refusal already reported (returns false).
    auto check_witnesses = [&](const std::string& what, const std::string& checkpoint,
                               std::vector<std::string>* names) {
      if (min_witnesses == 0 && witness_keys.empty()) return true;
      auto verified = service::CheckWitnesses(checkpoint, witness_keys, min_witnesses);
      if (!verified.ok()) {
        if (verified.status().code() == StatusCode::kInvalidArgument) {
          ctx.Fail(verified.status());
        } else {
          Invalid(ctx, what, verified.status());
        }
        return false;
      }
      for (const ledger::VerifierKey& k : *verified) names->push_back(k.name());
      return true;
    };
    std::vector<std::string> witnessed_by;
    if (fs::is_regular_file(args->target, ec)) {
      // Offline: the receipt and the key only.
      std::string key_text = args->key;
      if (key_text.empty()) key_text = (fs::path(ctx.home) / "keys" / "node.pub").string();
      if (fs::is_regular_file(key_text, ec)) {
        auto text = ReadTextFile(key_text);
        if (!text.ok()) return ctx.Fail(text.status());
        key_text = *text;
      } else if (args->key.empty()) {
        return ctx.Fail(Status::InvalidArgument(
            "no trusted key: give --key VKEY (or a file of vkeys); " + key_text + " is missing"));
      }
      auto keys = service::ParseTrustedKeys(key_text);
      if (!keys.ok()) return ctx.Fail(keys.status());
      auto receipt = ReadTextFile(args->target);
      if (!receipt.ok()) return ctx.Fail(receipt.status());
      auto verified = service::VerifyReceiptJson(*receipt, *keys);
      if (!verified.ok()) return Invalid(ctx, "receipt " + args->target, verified.status());
      auto parsed = ledger::ReceiptFromJson(*receipt);
      if (!parsed.ok()) return ctx.Fail(parsed.status());
      if (!check_witnesses("receipt " + args->target, parsed->checkpoint, &witnessed_by)) return;
      if (args->json) {
        Json j{{"valid", true},
               {"entry", EntryJson(verified->entry)},
               {"origin", verified->checkpoint.origin},
               {"tree_size", verified->checkpoint.tree_size},
               {"verified_by", verified->verified_by.front().ToString()},
               {"witnesses", witnessed_by}};
        fmt::print("{}\n", Dump(j));
        return;
      }
      fmt::print("VALID: {} is in log {} at tree size {}, signed by {}\n",
                 Describe(verified->entry), verified->checkpoint.origin,
                 verified->checkpoint.tree_size, verified->verified_by.front().ToString());
      if (!witnessed_by.empty()) {
        fmt::print("Cosigned by {} of the witnesses given\n", witnessed_by.size());
      }
      return;
    }
    auto id = CanonicalId(args->target);
    if (!id.ok()) {
      return ctx.Fail(Status::InvalidArgument(
          args->target +
          " is neither a receipt file nor a publication id: " + id.status().message()));
    }
    auto node = ctx.OpenNode();
    if (!node) return;
    std::optional<int> version;
    if (args->version > 0) version = args->version;
    auto result = service::VerifyRecord(*node, *id, version);
    if (!result.ok()) {
      if (result.status().code() == StatusCode::kNotFound) return ctx.Fail(result.status());
      return Invalid(ctx, *id, result.status());
    }
    if (!check_witnesses(*id, result->receipt.checkpoint, &witnessed_by)) return;
    if (args->json) {
      Json j{{"valid", true},
             {"witnesses", witnessed_by},
             {"leaf_index", result->receipt.leaf_index},
             {"entry", EntryJson(result->verified.entry)},
             {"origin", result->verified.checkpoint.origin},
             {"tree_size", result->verified.checkpoint.tree_size}};
      fmt::print("{}\n", Dump(j));
      return;
    }
    fmt::print("VALID: {} is leaf {} of log {} (tree size {}) and the stored record hashes to it\n",
               Describe(result->verified.entry), result->receipt.leaf_index,
               result->verified.checkpoint.origin, result->verified.checkpoint.tree_size);
    if (!witnessed_by.empty()) {
      fmt::print("Cosigned by {} of the witnesses given\n", witnessed_by.size());
    }
  });
}

}  // namespace

void RegisterLedgerCommands(CLI::App& app, Context& ctx) {
  RegisterLog(app, ctx);
  RegisterEvent(app, ctx);
  RegisterReceipt(app, ctx);
  RegisterVerify(app, ctx);
}

}  // namespace ipdx::cli
