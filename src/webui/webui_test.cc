#include "webui/webui.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace ipdx::webui {
namespace {

namespace fs = std::filesystem;

const fs::path kWebDir = fs::path(IPDX_SOURCE_DIR) / "web";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(WebUi, RootServesTheApplicationShell) {
  const Asset* root = FindAsset("/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root, FindAsset("/index.html"));
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_NE(root->bytes.find("<main id=\"main\""), std::string_view::npos);
  EXPECT_NE(root->bytes.find("<script type=\"module\" src=\"js/main.js\">"),
            std::string_view::npos);
}

TEST(WebUi, EmbedsEveryFileOfWebExactly) {
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kWebDir)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string rel = "/" + fs::relative(entry.path(), kWebDir).generic_string();
    const Asset* a = FindAsset(rel);
    ASSERT_NE(a, nullptr) << rel << " is not embedded (rebuild re-runs embed_web.cmake)";
    EXPECT_EQ(a->bytes, ReadFile(entry.path())) << rel << " is embedded out of date";
  }
  EXPECT_EQ(Assets().size(), files);
}

TEST(WebUi, ContentTypesAndEtags) {
  std::set<std::string_view> etags;
  for (const Asset& a : Assets()) {
    ASSERT_FALSE(a.content_type.empty()) << a.path;
    if (a.path.ends_with(".js")) {
      EXPECT_EQ(a.content_type, "text/javascript; charset=utf-8");
    }
    if (a.path.ends_with(".css")) {
      EXPECT_EQ(a.content_type, "text/css; charset=utf-8");
    }
    if (a.path.ends_with(".svg")) {
      EXPECT_EQ(a.content_type, "image/svg+xml");
    }
    ASSERT_EQ(a.etag.size(), 34u) << a.path;
    EXPECT_EQ(a.etag.front(), '"');
    EXPECT_EQ(a.etag.back(), '"');
    EXPECT_TRUE(etags.insert(a.etag).second) << "two assets share ETag " << a.etag;
  }
  for (size_t i = 1; i < Assets().size(); ++i) {
    EXPECT_LT(Assets()[i - 1].path, Assets()[i].path) << "assets must be sorted for FindAsset";
  }
}

TEST(WebUi, UnknownAndHostilePathsAreNotFound) {
  for (std::string_view p :
       {"", "index.html", "/nope.js", "/js", "/js/", "/../CMakeLists.txt", "/js/../index.html",
        "//index.html", "/js\\main.js", "/ipdx/v1/patents", "/metrics", "/index.html/"}) {
    EXPECT_EQ(FindAsset(p), nullptr) << p;
  }
  EXPECT_EQ(FindAsset(std::string_view("/index.html\0x", 13)), nullptr);
}

// Every module a script imports and every file the page links is embedded: a missing file would
// be a broken page only a browser would notice.
TEST(WebUi, EveryReferencedFileIsEmbedded) {
  const std::regex import_re(R"re((?:from\s+|import\()'(\.{1,2}/[^']+)')re");
  size_t imports = 0;
  for (const Asset& a : Assets()) {
    if (!a.path.ends_with(".js")) continue;
    const std::string text(a.bytes);
    const fs::path dir = fs::path(std::string(a.path)).parent_path();
    for (auto it = std::sregex_iterator(text.begin(), text.end(), import_re);
         it != std::sregex_iterator(); ++it) {
      const std::string target = (dir / (*it)[1].str()).lexically_normal().generic_string();
      EXPECT_NE(FindAsset(target), nullptr) << a.path << " imports " << target;
      ++imports;
    }
  }
  EXPECT_GT(imports, 10u) << "the import pattern no longer matches the scripts";
  const std::string index(FindAsset("/")->bytes);
  const std::regex ref_re(R"re((?:href|src)="([a-z][^"#:]*)")re");
  for (auto it = std::sregex_iterator(index.begin(), index.end(), ref_re);
       it != std::sregex_iterator(); ++it) {
    EXPECT_NE(FindAsset("/" + (*it)[1].str()), nullptr) << "index.html references " << (*it)[1];
  }
}

// The UI never turns data into markup: no HTML sinks in any script (data goes through text nodes;
// snippets are rebuilt node by node in dom.js), and no inline script or style, which the Content
// Security Policy would block.
TEST(WebUi, NoHtmlInjectionSinksAndNoInlineCode) {
  for (const Asset& a : Assets()) {
    const std::string text(a.bytes);
    if (a.path.ends_with(".js")) {
      for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                               "eval(", "new Function", "createContextualFragment"}) {
        EXPECT_EQ(text.find(sink), std::string::npos) << a.path << " uses " << sink;
      }
    }
    if (a.path.ends_with(".html")) {
      EXPECT_EQ(text.find("style="), std::string::npos) << a.path;
      EXPECT_EQ(text.find("<style"), std::string::npos) << a.path;
      EXPECT_EQ(std::regex_search(text, std::regex("<script(?![^>]*\\bsrc=)")), false) << a.path;
      EXPECT_EQ(std::regex_search(text, std::regex("\\son[a-z]+=")), false) << a.path;
    }
  }
  EXPECT_NE(kContentSecurityPolicy.find("script-src 'self'"), std::string_view::npos);
  EXPECT_EQ(kContentSecurityPolicy.find("unsafe"), std::string_view::npos);
}

// "No page over 200 KB before data" (issue 8): the whole UI, every page's code included, is under
// that budget, so no single page can exceed it.
TEST(WebUi, WholeUiFitsThePageBudget) {
  size_t total = 0;
  for (const Asset& a : Assets()) total += a.bytes.size();
  EXPECT_LT(total, 200u * 1024u) << "the web UI has grown to " << total << " bytes";
}

}  // namespace
}  // namespace ipdx::webui
