#pragma once
// Shared body of the Decode() fuzz targets: any bytes, under a container hint, must decode
// without crashing, and a decoded record must serialise to JSON and back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/codec.h"

namespace ipdx::fuzz {

inline void DecodeOne(const uint8_t* data, size_t size, std::string_view hint) {
  codec::RawDocument doc;
  doc.bytes.assign(reinterpret_cast<const char*>(data), size);
  doc.file = "fuzz.xml";
  doc.hint = std::string(hint);
  codec::Decoded decoded = codec::Decode(doc);
  if (decoded.record) {
    std::string json = codec::ToJson(*decoded.record);
    (void)codec::FromJson(json);
  }
}

}  // namespace ipdx::fuzz
