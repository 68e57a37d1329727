// libFuzzer target: bytes as a whole input file through DocumentSplitter (plain, concatenated,
// bulk, JSON lines; the first byte chooses the file name so .zip and .jsonl paths run too) and
// every document through Decode(). Seeds in corpus/splitter.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "codec/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* const kExt[] = {".xml", ".zip", ".jsonl", ".dat"};
  std::string path = "/tmp/ipdx-fuzz-splitter-" + std::to_string(::getpid()) + kExt[data[0] & 3];
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data + 1, 1, size - 1, f);
  std::fclose(f);
  auto splitter = ipdx::codec::DocumentSplitter::Open(path);
  if (splitter.ok()) {
    for (int i = 0; i < 10000; ++i) {
      auto next = (*splitter)->Next();
      if (!next.ok() || !next->has_value()) break;
      (void)ipdx::codec::Decode(**next);
    }
  }
  std::remove(path.c_str());
  return 0;
}
