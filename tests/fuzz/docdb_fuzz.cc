// libFuzzer target: bytes through Decode(); seeds in corpus/docdb (DOCDB exchange documents).
#include "tests/fuzz/fuzz_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipdx::fuzz::DecodeOne(data, size, "docdb-bulk");
  return 0;
}
