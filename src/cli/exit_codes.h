#pragma once
// Exit codes of the ipdx command line (documented in README and `ipdx --help`).
#include "common/status.h"

namespace ipdx::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // internal error, corruption, anything unexpected
inline constexpr int kExitUsage = 2;    // bad arguments, missing files, I/O errors
inline constexpr int kExitRejects = 3;  // the command ran, but some documents were rejected

// The one place where a Status becomes an exit code.
int ExitCodeFor(const Status& status);

}  // namespace ipdx::cli
