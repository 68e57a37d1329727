// libFuzzer target for the query language parser and compiler (built with -DIPDX_FUZZ=ON).
// Any input must give OK or InvalidArgument with a position inside the query, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "search/search.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  ipdx::search::QueryError error;
  const ipdx::Status status = ipdx::search::ValidateQuery(query, &error);
  if (!status.ok()) {
    if (status.code() != ipdx::StatusCode::kInvalidArgument) std::abort();
    if (error.position > query.size()) std::abort();
  }
  return 0;
}
