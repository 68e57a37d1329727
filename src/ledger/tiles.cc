// C2SP tlog-tiles v0.1.0 paths (docs/formats/ledger.md §5).
#include <string>

#include "ledger/internal.h"
#include "ledger/ledger.h"

namespace ipdx::ledger {
namespace {

// 1234067 -> "x001/x234/067".
std::string IndexPath(uint64_t n) {
  std::string out;
  // Groups from most significant: collect least significant first.
  std::vector<unsigned> groups;
  do {
    groups.push_back(static_cast<unsigned>(n % 1000));
    n /= 1000;
  } while (n > 0);
  for (size_t i = groups.size(); i-- > 0;) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%s%03u", i > 0 ? "x" : "", groups[i]);
    out += buf;
    if (i > 0) out += '/';
  }
  return out;
}

std::string WithWidth(std::string path, uint16_t width) {
  if (width < 256) path += ".p/" + std::to_string(width);
  return path;
}

}  // namespace

std::string TilePath(const TileId& tile) {
  return WithWidth("tile/" + std::to_string(tile.level) + "/" + IndexPath(tile.index), tile.width);
}

std::string EntryBundlePath(uint64_t index, uint16_t width) {
  return WithWidth("tile/entries/" + IndexPath(index), width);
}

Result<std::string> EntryBundlePathForLeaf(uint64_t leaf_index, uint64_t tree_size) {
  if (leaf_index >= tree_size) {
    return Status::InvalidArgument("leaf " + std::to_string(leaf_index) +
                                   " is not in a tree of size " + std::to_string(tree_size));
  }
  const uint64_t index = leaf_index / 256;
  const uint64_t width = std::min<uint64_t>(256, tree_size - index * 256);
  return EntryBundlePath(index, static_cast<uint16_t>(width));
}

Result<TileId> ParseTilePath(std::string_view level, std::string_view index) {
  auto fail = [&](std::string_view why) {
    return Status::InvalidArgument("tile path " + std::string(level) + "/" + std::string(index) +
                                   ": " + std::string(why));
  };
  auto lv = internal::ParseDecimal(level);
  if (!lv || *lv > 63) return fail("level must be 0..63");
  TileId tile;
  tile.level = static_cast<uint8_t>(*lv);
  std::string_view rest = index;
  if (size_t p = rest.find(".p/"); p != std::string_view::npos) {
    auto w = internal::ParseDecimal(rest.substr(p + 3));
    if (!w || *w == 0 || *w > 255) return fail("partial width must be 1..255");
    tile.width = static_cast<uint16_t>(*w);
    rest = rest.substr(0, p);
  }
  uint64_t n = 0;
  while (true) {
    const size_t slash = rest.find('/');
    const bool last = slash == std::string_view::npos;
    std::string_view group = last ? rest : rest.substr(0, slash);
    if (!last) {
      if (group.size() != 4 || group[0] != 'x') return fail("inner groups are x + 3 digits");
      group.remove_prefix(1);
    } else if (group.size() != 3) {
      return fail("the last group is 3 digits");
    }
    for (char c : group) {
      if (c < '0' || c > '9') return fail("non-digit in index");
    }
    const uint64_t g = static_cast<uint64_t>(std::stoul(std::string(group)));
    if (n > (UINT64_MAX - g) / 1000) return fail("index overflows 64 bits");
    n = n * 1000 + g;
    if (last) break;
    rest.remove_prefix(slash + 1);
  }
  tile.index = n;
  return tile;
}

std::vector<TileId> TilesForSize(uint64_t tree_size) {
  std::vector<TileId> out;
  for (uint8_t level = 0; level < 8; ++level) {
    const uint64_t nodes = tree_size >> (8 * level);
    if (nodes == 0) break;
    for (uint64_t i = 0; i < nodes / 256; ++i) out.push_back(TileId{level, i, 256});
    if (nodes % 256 != 0) {
      out.push_back(TileId{level, nodes / 256, static_cast<uint16_t>(nodes % 256)});
    }
  }
  return out;
}

}  // namespace ipdx::ledger
