#pragma once
// ipdx::webui: the web UI (the files under web/, docs/web-ui.md) embedded in the binary.
//
// At build time every file under web/ becomes a constant in a generated C++ source (see
// CMakeLists.txt and embed_web.cmake), with its content type and an ETag computed from its bytes.
// The HTTP server (api/) serves them at "/" and below; nothing is read from disk at run time, so a
// node serves exactly the UI it was built with.
//
// Ownership: every Asset and the bytes it points to are static data that live for the whole
// program. Threads: FindAsset is pure and thread-safe. Errors: an unknown path is nullptr.
#include <cstddef>
#include <span>
#include <string_view>

namespace ipdx::webui {

struct Asset {
  std::string_view path;          // URL path, "/index.html", "/js/main.js"
  std::string_view content_type;  // "text/html; charset=utf-8", "text/javascript; charset=utf-8"
  std::string_view bytes;         // the file's contents
  std::string_view etag;          // strong validator, quoted: "\"sha256-prefix\""
};

// The asset served at URL path `path` (without query string): "/" and "/index.html" are the
// single-page application; "/js/main.js" etc. its files. nullptr for anything else, including
// paths with "..", "//", a backslash or a NUL (nothing outside web/ is embedded anyway).
const Asset* FindAsset(std::string_view path);

// Every embedded asset, sorted by path.
std::span<const Asset> Assets();

// The Content-Security-Policy the UI is served with: scripts, styles, images and connections
// only from the node itself; no inline script or style, no plugins, no framing.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

}  // namespace ipdx::webui
