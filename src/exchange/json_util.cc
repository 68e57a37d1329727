// JSON helpers internal to exchange/ (json_util.h).
#include "exchange/json_util.h"

#include <cstdio>

#include "codec/codec.h"

namespace ipdx::exchange::internal {

void AppendJsonString(std::string& out, std::string_view text) {
  codec::AppendJsonString(&out, text);
}

Status Fields::Missing(const char* name, const char* type) const {
  return Status::InvalidArgument(what_ + ": missing or malformed " + type + " '" + name + "'");
}

Result<std::string> Fields::Text(const char* name) const {
  auto it = obj_.find(name);
  if (it == obj_.end() || !it->is_string()) return Missing(name, "string");
  return it->get<std::string>();
}

Result<uint64_t> Fields::Uint(const char* name) const {
  auto it = obj_.find(name);
  if (it == obj_.end() || !it->is_number_unsigned()) return Missing(name, "unsigned integer");
  return it->get<uint64_t>();
}

Result<std::vector<ledger::Hash>> Fields::Hashes(const char* name) const {
  auto it = obj_.find(name);
  if (it == obj_.end() || !it->is_array()) return Missing(name, "array of hashes");
  std::vector<ledger::Hash> out;
  out.reserve(it->size());
  for (const nlohmann::json& h : *it) {
    std::optional<ledger::Hash> hash =
        h.is_string() ? ledger::HashFromBase64(h.get_ref<const std::string&>()) : std::nullopt;
    if (!hash) return Status::InvalidArgument(what_ + ": '" + name + "' holds a non-hash");
    out.push_back(*hash);
  }
  return out;
}

}  // namespace ipdx::exchange::internal
