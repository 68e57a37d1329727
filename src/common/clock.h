#pragma once
// Wall-clock time as the store, ledger and classifier record it. Thread-safe.
#include <string>

namespace ipdx {

// UTC now as ISO 8601 with seconds, e.g. "2026-11-25T16:03:40Z".
std::string NowUtcIso8601();

}  // namespace ipdx
