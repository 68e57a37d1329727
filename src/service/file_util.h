#pragma once
// Internal to service/: small file helpers shared by the node (ipdx.toml) and export.
// Stateless functions; safe to call from any thread for different paths.
#include <string>
#include <string_view>

#include "common/status.h"

namespace ipdx::service::internal {

// Writes `content` to `path` atomically: a temporary file in the same folder, rename over `path`.
// A reader (and a process that crashed half-way) sees the old file or the new one, never a
// partial one. With `durable` the data is fsync'ed before the rename, so it also survives a power
// loss; bulk writers (export) skip that cost. IOError naming the path and the system error
// otherwise; the temporary file is removed on failure.
Status WriteFileAtomic(const std::string& path, std::string_view content, bool durable = true);

}  // namespace ipdx::service::internal
