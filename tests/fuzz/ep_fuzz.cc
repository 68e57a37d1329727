// libFuzzer target: bytes through Decode(); seeds in corpus/ep (EP publication-server documents).
#include "tests/fuzz/fuzz_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipdx::fuzz::DecodeOne(data, size, "");
  return 0;
}
