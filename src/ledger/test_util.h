#pragma once
// Helpers for the ledger tests: loading vector files from tests/ledger-vectors/ and hex/base64
// conversions. Test-only (included by *_test.cc files).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "ledger/internal.h"
#include "ledger/ledger.h"

namespace ipdx::ledger::testing {

inline std::filesystem::path VectorDir() {
  return std::filesystem::path(IPDX_SOURCE_DIR) / "tests" / "ledger-vectors";
}

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline nlohmann::json LoadJson(const std::string& name) {
  const std::string text = ReadFile(VectorDir() / name);
  EXPECT_FALSE(text.empty()) << "missing vector file " << name;
  return nlohmann::json::parse(text);
}

inline std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

inline Hash HashHex(std::string_view hex) { return internal::HashFromBytes(FromHex(hex)); }

inline std::string Hex(const Hash& h) { return HexEncode(h); }

}  // namespace ipdx::ledger::testing
