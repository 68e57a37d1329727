// zstd frames for feed batches and bundle members (docs/formats/exchange.md §2.3).
#include <zstd.h>

#include <memory>
#include <string>

#include "exchange/exchange.h"

namespace ipdx::exchange {
namespace {
struct DctxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};
}  // namespace

std::string ZstdCompress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  // Compressing into a buffer of ZSTD_compressBound bytes cannot fail except on allocation
  // failure inside zstd; an empty result then fails decompression at the receiver, loudly.
  if (ZSTD_isError(n)) return {};
  out.resize(n);
  return out;
}

Result<std::string> ZstdDecompress(std::string_view data, size_t max_bytes) {
  // Streaming, so a frame that lies about (or omits) its content size cannot make us allocate
  // more than max_bytes: output grows in steps and stops at the limit.
  std::unique_ptr<ZSTD_DCtx, DctxFree> dctx(ZSTD_createDCtx());
  if (!dctx) return Status::Internal("zstd: cannot create a decompression context");
  std::string out;
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  size_t last = 1;
  while (in.pos < in.size || last != 0) {
    ZSTD_outBuffer o{chunk.data(), chunk.size(), 0};
    const size_t before = in.pos;
    last = ZSTD_decompressStream(dctx.get(), &o, &in);
    if (ZSTD_isError(last)) {
      return Status::InvalidArgument(std::string("zstd: ") + ZSTD_getErrorName(last));
    }
    if (out.size() + o.pos > max_bytes) {
      return Status::InvalidArgument("zstd: decompressed data exceeds the limit of " +
                                     std::to_string(max_bytes) + " bytes");
    }
    out.append(chunk.data(), o.pos);
    if (o.pos == 0 && in.pos == before) {
      if (in.pos == in.size && last != 0) {
        return Status::InvalidArgument("zstd: truncated frame");
      }
      if (in.pos == in.size) break;
    }
  }
  if (data.empty()) return Status::InvalidArgument("zstd: empty input");
  return out;
}

}  // namespace ipdx::exchange
