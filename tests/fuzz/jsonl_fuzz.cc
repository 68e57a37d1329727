// libFuzzer target: one ipdx JSON line through Decode() (FromJson); seeds in corpus/jsonl.
#include "tests/fuzz/fuzz_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ipdx::fuzz::DecodeOne(data, size, "jsonl");
  return 0;
}
