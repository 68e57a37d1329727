// Node information as a peer sees it, and key fingerprints (docs/formats/exchange.md §1).
#include <nlohmann/json.hpp>
#include <string>

#include "common/hash.h"
#include "exchange/exchange.h"

namespace ipdx::exchange {

Result<NodeInfo> ParseNodeInfo(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("node information: not JSON");
  if (!j.is_object()) return Status::InvalidArgument("node information: not a JSON object");
  NodeInfo info;
  auto text = [&](const nlohmann::json& obj, const char* name) -> Result<std::string> {
    auto it = obj.find(name);
    if (it == obj.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return Status::InvalidArgument(std::string("node information: missing or empty string '") +
                                     name + "'");
    }
    return it->get<std::string>();
  };
  IPDX_ASSIGN_OR_RETURN(info.office, text(j, "office"));
  IPDX_ASSIGN_OR_RETURN(info.origin, text(j, "logOrigin"));
  if (auto sw = j.find("software"); sw != j.end() && sw->is_object()) {
    if (auto v = sw->find("version"); v != sw->end() && v->is_string()) {
      info.software_version = v->get<std::string>();
    }
  }
  auto keys = j.find("publicKeys");
  if (keys == j.end() || !keys->is_array()) {
    return Status::InvalidArgument("node information: missing array 'publicKeys'");
  }
  for (const nlohmann::json& k : *keys) {
    if (!k.is_object())
      return Status::InvalidArgument("node information: a publicKeys entry is not an object");
    IPDX_ASSIGN_OR_RETURN(std::string use, text(k, "use"));
    if (use != "log" && use != "witness") continue;  // later key uses are ignored
    IPDX_ASSIGN_OR_RETURN(std::string vkey, text(k, "vkey"));
    auto parsed = ledger::VerifierKey::Parse(vkey);
    if (!parsed.ok()) {
      return Status::InvalidArgument("node information: " + use +
                                     " key does not parse: " + parsed.status().message());
    }
    if (use == "log") {
      if (!info.log_vkey.empty()) return Status::InvalidArgument("node information: two log keys");
      if (parsed->type() != ledger::KeyType::kEd25519) {
        return Status::InvalidArgument("node information: the log key is not an Ed25519 note key");
      }
      if (parsed->name() != info.origin) {
        return Status::InvalidArgument("node information: log key name '" + parsed->name() +
                                       "' is not the log origin '" + info.origin + "'");
      }
      info.log_vkey = vkey;
    } else {
      if (!info.witness_vkey.empty()) {
        return Status::InvalidArgument("node information: two witness keys");
      }
      if (parsed->type() != ledger::KeyType::kCosignatureV1) {
        return Status::InvalidArgument(
            "node information: the witness key is not a cosignature/v1 key");
      }
      info.witness_vkey = vkey;
    }
  }
  if (info.log_vkey.empty()) {
    return Status::InvalidArgument("node information: no publicKeys entry with use \"log\"");
  }
  return info;
}

std::string KeyFingerprint(const ledger::VerifierKey& key) {
  const Sha256Digest digest = Sha256(key.ToString());
  std::string b64 = ledger::EncodeBase64(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

}  // namespace ipdx::exchange
