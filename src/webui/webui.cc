#include "webui/webui.h"

#include <algorithm>

namespace ipdx::webui {

// Defined in the source generated from web/ at build time (embed_web.cmake), sorted by path.
extern const Asset kEmbeddedAssets[];
extern const size_t kEmbeddedAssetCount;

std::span<const Asset> Assets() { return {kEmbeddedAssets, kEmbeddedAssetCount}; }

const Asset* FindAsset(std::string_view path) {
  if (path == "/") path = "/index.html";
  // The table holds only the files of web/, so a lookup cannot escape it; such paths are
  // refused explicitly all the same so the rule does not depend on what web/ contains.
  if (path.empty() || path.front() != '/' || path.find("..") != std::string_view::npos ||
      path.find("//") != std::string_view::npos || path.find('\\') != std::string_view::npos ||
      path.find('\0') != std::string_view::npos) {
    return nullptr;
  }
  std::span<const Asset> all = Assets();
  auto it = std::lower_bound(all.begin(), all.end(), path,
                             [](const Asset& a, std::string_view p) { return a.path < p; });
  if (it == all.end() || it->path != path) return nullptr;
  return &*it;
}

}  // namespace ipdx::webui
