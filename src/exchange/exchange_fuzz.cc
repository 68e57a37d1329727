// libFuzzer target for the exchange parsers: batches (and their verification against a fixed
// trust and empty state), node information, bundle manifests and zstd frames. Nothing may crash,
// leak or read out of bounds, whatever the bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exchange/exchange.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipdx;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const auto key =
      ledger::SignerKey::FromSeed("ipdx/EP", ledger::KeyType::kEd25519, std::array<uint8_t, 32>{});
  if (auto batch = exchange::ParseChangeBatch(input); batch.ok() && key.ok()) {
    const exchange::PeerTrust trust{"EP", "ipdx/EP", key->verifier()};
    (void)exchange::VerifyChangeBatch(*batch, trust, {}, nullptr);
    (void)exchange::FormatChangeBatch(*batch);
  }
  (void)exchange::ParseNodeInfo(input);
  (void)exchange::ParseBundleManifest(input);
  (void)exchange::ZstdDecompress(input, 1 << 20);
  return 0;
}
