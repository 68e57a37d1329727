#pragma once
// Internal to exchange/: JSON helpers shared by the batch, bundle and node-information code.
// Stateless; thread-safe.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ledger/ledger.h"

namespace ipdx::exchange::internal {

// Appends `text` as a JSON string literal (quotes, escapes; UTF-8 passed through).
void AppendJsonString(std::string& out, std::string_view text);

// Typed reads of an object's members; every failure is InvalidArgument naming `what` and the
// field. Borrows the object.
class Fields {
 public:
  Fields(const nlohmann::json& obj, std::string what) : obj_(obj), what_(std::move(what)) {}
  Result<std::string> Text(const char* name) const;
  Result<uint64_t> Uint(const char* name) const;
  Result<std::vector<ledger::Hash>> Hashes(const char* name) const;

 private:
  Status Missing(const char* name, const char* type) const;
  const nlohmann::json& obj_;
  std::string what_;
};

}  // namespace ipdx::exchange::internal
