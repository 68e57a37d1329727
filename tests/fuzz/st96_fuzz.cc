// libFuzzer target: bytes through Decode(); seeds in corpus/st96 (ST.96 PatentPublication).
#include "tests/fuzz/fuzz_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipdx::fuzz::DecodeOne(data, size, "");
  return 0;
}
