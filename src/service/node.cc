// Node::Init and Node::Open: the node folder, ipdx.toml and the store (docs/formats/store.md).
#include <toml++/toml.h>

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "ledger/ledger.h"
#include "model/model.h"
#include "service/file_util.h"
#include "service/service.h"

namespace ipdx::service {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kNodeFormatVersion = 1;
constexpr const char* kConfigFile = "ipdx.toml";
// The log key (docs/formats/ledger.md §3): skey text, mode 0600, and its vkey beside it.
constexpr const char* kKeyDir = "keys";
constexpr const char* kPrivateKeyFile = "node.key";
constexpr const char* kPublicKeyFile = "node.pub";
// The witness key (docs/formats/exchange.md §5): cosigns peers' checkpoints.
constexpr const char* kWitnessKeyFile = "witness.key";
constexpr const char* kWitnessPubFile = "witness.pub";

// A node runs for an office that exists today: former codes (SU, DD, YU ...) stay valid in data
// but cannot publish new records.
Status CheckOfficeCode(const std::string& office) {
  switch (model::LookupSt3(office)) {
    case model::St3Status::kCurrent:
      return Status::Ok();
    case model::St3Status::kFormer:
      return Status::InvalidArgument("office code '" + office +
                                     "' is a former WIPO ST.3 code; a node needs a current one");
    case model::St3Status::kUnknown:
      break;
  }
  return Status::InvalidArgument("office code '" + office +
                                 "' is not a WIPO ST.3 office or country code (e.g. US, EP, WO)");
}

std::string NotANode(const std::string& home) {
  return home + " is not an ipdx node (no ipdx.toml); run: ipdx --home " + home +
         " init --office CC";
}

// Parses ipdx.toml into a NodeConfig. Every problem is FailedPrecondition naming the file and,
// for syntax errors, the line and column.
Result<NodeConfig> ReadConfig(const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Status::FailedPrecondition(path + ":" + std::to_string(where.line) + ":" +
                                      std::to_string(where.column) + ": " +
                                      std::string(e.description()));
  } catch (const std::exception& e) {
    return Status::FailedPrecondition(path + ": " + e.what());
  }
  std::optional<int64_t> format_version = table["format_version"].value<int64_t>();
  if (!format_version) {
    return Status::FailedPrecondition(path + ": missing integer key format_version");
  }
  if (*format_version > kNodeFormatVersion) {
    return Status::FailedPrecondition(path + ": format_version " + std::to_string(*format_version) +
                                      " was written by a newer ipdx (this one reads " +
                                      std::to_string(kNodeFormatVersion) + "); upgrade ipdx");
  }
  if (*format_version < 1) {
    return Status::FailedPrecondition(path + ": format_version " + std::to_string(*format_version) +
                                      " is not a valid version (1 is the first)");
  }
  std::optional<std::string> office = table["office"].value<std::string>();
  if (!office) return Status::FailedPrecondition(path + ": missing string key office");
  Status s = CheckOfficeCode(*office);
  if (!s.ok()) return Status::FailedPrecondition(path + ": " + s.message());
  NodeConfig config{*office, ledger::DefaultOrigin(*office)};
  if (const toml::node* origin = table.get("log_origin")) {
    std::optional<std::string> text = origin->value<std::string>();
    if (!text || !ledger::IsValidKeyName(*text)) {
      return Status::FailedPrecondition(path +
                                        ": log_origin must be a string without spaces or '+' "
                                        "(e.g. \"ipdx/" +
                                        *office + "\")");
    }
    config.log_origin = *text;
  }
  return config;
}

// Loads HOME/keys/node.key. When there is none: creates it if the log has never signed a
// checkpoint (a new node, or one made before the ledger existed), refuses otherwise (a new key
// would look like a different log to every peer). Signs the first checkpoint of a new key, so
// from then on the node's log is committed to under that key.
Result<ledger::SignerKey> LoadOrCreateLogKey(const fs::path& dir, const std::string& origin,
                                             store::Store& store) {
  const fs::path key_dir = dir / kKeyDir;
  const fs::path key_path = key_dir / kPrivateKeyFile;
  const fs::path pub_path = key_dir / kPublicKeyFile;
  std::error_code ec;
  if (fs::exists(key_path, ec)) {
    IPDX_ASSIGN_OR_RETURN(ledger::SignerKey key, ledger::ReadPrivateKeyFile(key_path.string()));
    if (key.name() != origin || key.type() != ledger::KeyType::kEd25519) {
      return Status::FailedPrecondition(
          key_path.string() + " is the key of log '" + key.name() + "' but ipdx.toml names '" +
          origin + "': the origin of a log never changes (docs/formats/ledger.md §3.1)");
    }
    if (!fs::exists(pub_path, ec)) {
      IPDX_RETURN_IF_ERROR(
          internal::WriteFileAtomic(pub_path.string(), key.verifier().ToString() + "\n"));
    }
    return key;
  }
  IPDX_ASSIGN_OR_RETURN(std::vector<uint64_t> signed_sizes, store.Log().CheckpointSizes());
  if (!signed_sizes.empty()) {
    return Status::FailedPrecondition(
        key_path.string() + " is missing but the node's log has " +
        std::to_string(signed_sizes.size()) +
        " signed checkpoints: restore the key file from a backup (a new key would be a new log)");
  }
  fs::create_directories(key_dir, ec);
  if (ec) return Status::IOError("cannot create " + key_dir.string() + ": " + ec.message());
  fs::permissions(key_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  IPDX_ASSIGN_OR_RETURN(ledger::SignerKey key,
                        ledger::SignerKey::Generate(origin, ledger::KeyType::kEd25519));
  IPDX_RETURN_IF_ERROR(ledger::WritePrivateKeyFile(key_path.string(), key));
  IPDX_RETURN_IF_ERROR(
      internal::WriteFileAtomic(pub_path.string(), key.verifier().ToString() + "\n"));
  IPDX_RETURN_IF_ERROR(ledger::SignCheckpoint(store.Log(), key).status());
  return key;
}

// Loads HOME/keys/witness.key, creating it when missing: unlike the log key, a lost witness key
// invalidates nothing already signed; peers pin the new one when they re-add the node.
Result<ledger::SignerKey> LoadOrCreateWitnessKey(const fs::path& dir, const std::string& origin) {
  const fs::path key_dir = dir / kKeyDir;
  const fs::path key_path = key_dir / kWitnessKeyFile;
  const fs::path pub_path = key_dir / kWitnessPubFile;
  std::error_code ec;
  if (fs::exists(key_path, ec)) {
    IPDX_ASSIGN_OR_RETURN(ledger::SignerKey key, ledger::ReadPrivateKeyFile(key_path.string()));
    if (key.type() != ledger::KeyType::kCosignatureV1) {
      return Status::FailedPrecondition(key_path.string() +
                                        " is not a cosignature/v1 (witness) key");
    }
    if (!fs::exists(pub_path, ec)) {
      IPDX_RETURN_IF_ERROR(
          internal::WriteFileAtomic(pub_path.string(), key.verifier().ToString() + "\n"));
    }
    return key;
  }
  fs::create_directories(key_dir, ec);
  if (ec) return Status::IOError("cannot create " + key_dir.string() + ": " + ec.message());
  IPDX_ASSIGN_OR_RETURN(
      ledger::SignerKey key,
      ledger::SignerKey::Generate(origin + "/witness", ledger::KeyType::kCosignatureV1));
  IPDX_RETURN_IF_ERROR(ledger::WritePrivateKeyFile(key_path.string(), key));
  IPDX_RETURN_IF_ERROR(
      internal::WriteFileAtomic(pub_path.string(), key.verifier().ToString() + "\n"));
  return key;
}

}  // namespace

Status Node::Init(const std::string& home, const NodeConfig& config) {
  if (home.empty()) return Status::InvalidArgument("empty node folder (--home)");
  // Callers may pass the code as typed ("us "); the file and the store keep the normalised form.
  const std::string office = model::NormalizeOfficeCode(config.office);
  IPDX_RETURN_IF_ERROR(CheckOfficeCode(office));

  const fs::path dir(home);
  const fs::path config_path = dir / kConfigFile;
  std::error_code ec;
  if (fs::exists(config_path, ec)) {
    return Status::AlreadyExists(home + " is already an ipdx node (" + config_path.string() +
                                 " exists)");
  }
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    return Status::FailedPrecondition(home + " exists and is not a folder");
  }
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + home + ": " + ec.message());

  const std::string origin =
      config.log_origin.empty() ? ledger::DefaultOrigin(office) : config.log_origin;
  if (!ledger::IsValidKeyName(origin)) {
    return Status::InvalidArgument("log origin '" + origin +
                                   "' is not a valid key name (no spaces, no '+')");
  }

  // The store and the log key first, the configuration last: a folder with ipdx.toml always has
  // its database and its key. A store or key left by an earlier, interrupted init is reused if it
  // belongs to the same office and origin.
  {
    IPDX_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                          store::Store::OpenSqlite((dir / Node::kStoreFile).string()));
    IPDX_RETURN_IF_ERROR(store->SetLocalPublisher(office));
    IPDX_RETURN_IF_ERROR(LoadOrCreateLogKey(dir, origin, *store).status());
    IPDX_RETURN_IF_ERROR(LoadOrCreateWitnessKey(dir, origin).status());
  }
  std::string toml =
      "# ipdx node configuration (docs/formats/store.md)\n"
      "format_version = " +
      std::to_string(kNodeFormatVersion) +
      "\n"
      "# WIPO ST.3 code of the office running this node: the publisher of its records.\n"
      "office = \"" +
      office +
      "\"\n"
      "# Checkpoint origin of the node's log and name of its key (keys/node.key); never changes.\n"
      "log_origin = \"" +
      origin + "\"\n";
  return internal::WriteFileAtomic(config_path.string(), toml);
}

Result<std::unique_ptr<Node>> Node::Open(const std::string& home) {
  const fs::path dir(home);
  const fs::path config_path = dir / kConfigFile;
  std::error_code ec;
  if (!fs::is_regular_file(config_path, ec)) return Status::FailedPrecondition(NotANode(home));
  IPDX_ASSIGN_OR_RETURN(NodeConfig config, ReadConfig(config_path.string()));

  const fs::path store_path = dir / Node::kStoreFile;
  // Opening would silently create an empty store and hide the loss.
  if (!fs::exists(store_path, ec)) {
    return Status::FailedPrecondition(store_path.string() +
                                      " is missing: the node's records are gone. Restore it "
                                      "from a backup, or remove ipdx.toml and run ipdx init.");
  }
  IPDX_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                        store::Store::OpenSqlite(store_path.string()));
  IPDX_RETURN_IF_ERROR(store->SetLocalPublisher(config.office).WithContext(config_path.string()));
  IPDX_ASSIGN_OR_RETURN(ledger::SignerKey key, LoadOrCreateLogKey(dir, config.log_origin, *store));
  auto node = std::make_unique<Node>(Key{}, home, std::move(config), std::move(store));
  IPDX_ASSIGN_OR_RETURN(ledger::SignerKey witness,
                        LoadOrCreateWitnessKey(dir, node->config_.log_origin));
  node->log_key_ = std::move(key);
  node->witness_key_ = std::move(witness);
  return node;
}

}  // namespace ipdx::service
