// The byte-scanning hot paths of the codec skip 8 bytes at a time (TextBuilder::AppendText in
// xml_text.cc, FindInvalidXmlChar in xml_safety.cc). They must give exactly what the plain
// byte-by-byte versions gave. This test keeps those versions as the reference and compares
// them on randomised input built to hit every block alignment: runs of words with single and
// double spaces, tabs, line breaks, CJK and other multi-byte text, control characters and
// invalid UTF-8.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "codec/xml_safety.h"
#include "codec/xml_text.h"

namespace ipdx::codec::internal {
namespace {

// ---- reference: TextBuilder text rules, one byte at a time -----------------------------------

bool RefIsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

char32_t RefDecodeAt(std::string_view s, size_t i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return b0;
  int len = (b0 >= 0xF0) ? 4 : (b0 >= 0xE0) ? 3 : (b0 >= 0xC0) ? 2 : 1;
  if (len == 1 || i + len > s.size()) return b0;
  char32_t cp = b0 & (0x7F >> len);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

char32_t RefLastCodePoint(std::string_view s) {
  if (s.empty()) return 0;
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80 && s.size() - i < 4) --i;
  return RefDecodeAt(s, i);
}

bool RefIsCjk(char32_t cp) {
  return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFFEF) ||
         (cp >= 0x20000 && cp <= 0x3FFFF);
}

class RefTextBuilder {
 public:
  explicit RefTextBuilder(bool paragraphs) : paragraphs_(paragraphs) {}
  void SoftBreak() { Raise(kSoft); }
  void ParagraphBreak() { Raise(paragraphs_ ? kParagraph : kSoft); }
  void AppendText(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
      char c = text[i];
      if (RefIsSpace(c)) {
        Raise((c == '\n' || c == '\r') ? kSoft : kSpace);
        ++i;
        continue;
      }
      if (pending_ != kNone && !out_.empty()) {
        if (pending_ == kParagraph) {
          out_ += '\n';
        } else if (pending_ == kSoft && RefIsCjk(RefLastCodePoint(out_)) &&
                   RefIsCjk(RefDecodeAt(text, i))) {
        } else {
          out_ += ' ';
        }
      }
      pending_ = kNone;
      size_t j = i;
      while (j < text.size() && !RefIsSpace(text[j])) ++j;
      out_.append(text.substr(i, j - i));
      i = j;
    }
  }
  std::string Take() { return std::move(out_); }

 private:
  enum Pending { kNone, kSpace, kSoft, kParagraph };
  void Raise(Pending p) {
    if (p > pending_) pending_ = p;
  }
  bool paragraphs_;
  Pending pending_ = kNone;
  std::string out_;
};

// ---- reference: FindInvalidXmlChar, one byte at a time ---------------------------------------

size_t RefFindInvalidXmlChar(std::string_view s, std::string* why) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        *why = "control character U+00" + std::string(1, "0123456789ABCDEF"[c >> 4]) +
               std::string(1, "0123456789ABCDEF"[c & 15]) + " is not allowed in XML 1.0";
        return i;
      }
      ++i;
      continue;
    }
    int len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      *why = "invalid UTF-8 lead byte";
      return i;
    }
    if (i + len > n) {
      *why = "incomplete UTF-8 sequence";
      return i;
    }
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        *why = "invalid UTF-8 continuation byte";
        return i;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) {
      *why = "invalid UTF-8 sequence (overlong, surrogate or non-character)";
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// ---- random text --------------------------------------------------------------------------------

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  // Text whose troubles are rare enough that long clean stretches occur, and dense enough
  // that they land at every offset of an 8-byte block.
  std::string Text(size_t max_len, bool allow_bad) {
    static constexpr std::string_view kSpaces[] = {" ",  " ",    " ",   " ",   "  ",    "\n",
                                                   "\t", "\r\n", " \n", "\n ", "   \t "};
    static constexpr std::string_view kWords[] = {
        "a",    "of",     "the",      "device", "comprising", "H2O",      "10-3",
        "(1),", "本发明", "涉及",     "抗体",   "。",         "ウェーハ", "München",
        "€",    "𝄞",      "\xC2\xA0", "x\x01y", "\x0B",       "\x0C"};
    static constexpr std::string_view kBad[] = {
        "\x80",         "\xC3",         "\xC0\x80",     "\xE0\x80\x80",
        "\xED\xA0\x80", "\xEF\xBF\xBE", "\xEF\xBF\xBF", "\xF4\x90\x80\x80",
        "\xF8",         "\xFF",         "\x00"};
    std::string s;
    const size_t len = Below(max_len + 1);
    while (s.size() < len) {
      const size_t pick = Below(100);
      if (pick < 45) {
        s += kWords[Below(pick < 40 ? 8 : std::size(kWords))];
      } else if (pick < 90) {
        s += kSpaces[Below(pick < 80 ? 4 : std::size(kSpaces))];
      } else if (pick < 99 || !allow_bad) {
        for (size_t k = Below(20); k > 0; --k) s += static_cast<char>('a' + Below(26));
      } else {
        const std::string_view bad = kBad[Below(std::size(kBad))];
        s += bad.empty() ? std::string(1, '\0') : std::string(bad);
      }
    }
    return s;
  }

 private:
  std::mt19937 rng_;
};

TEST(ScanFastPath, TextBuilderMatchesByteByByteReference) {
  Gen g(7);
  for (int round = 0; round < 4000; ++round) {
    const bool paragraphs = g.Below(2) == 0;
    TextBuilder fast(paragraphs);
    RefTextBuilder ref(paragraphs);
    std::vector<std::string> pieces;
    for (size_t op = 1 + g.Below(6); op > 0; --op) {
      const size_t what = g.Below(10);
      if (what == 0) {
        fast.SoftBreak();
        ref.SoftBreak();
      } else if (what == 1) {
        fast.ParagraphBreak();
        ref.ParagraphBreak();
      } else {
        pieces.push_back(g.Text(what < 8 ? 40 : 400, /*allow_bad=*/true));
        fast.AppendText(pieces.back());
        ref.AppendText(pieces.back());
      }
    }
    const std::string got = fast.Take();
    const std::string want = ref.Take();
    if (got != want) {
      std::string input;
      for (const auto& p : pieces) input += "[" + p + "]";
      FAIL() << "round " << round << "\ninput: " << input << "\n  got: [" << got << "]\n want: ["
             << want << "]";
    }
  }
}

TEST(ScanFastPath, CollapseSpaceOnEveryAlignment) {
  // A lone space, a double space and each line break at every offset of two blocks.
  for (std::string_view gap : {" ", "  ", "\n", "\t", " \n", "\r"}) {
    for (size_t at = 0; at < 20; ++at) {
      std::string s(24, 'w');
      s.replace(at, 0, gap);
      RefTextBuilder ref(false);
      ref.AppendText(s);
      EXPECT_EQ(CollapseSpace(s), ref.Take()) << "gap " << static_cast<int>(gap[0]) << " at " << at;
    }
  }
}

TEST(ScanFastPath, FindInvalidXmlCharMatchesByteByByteReference) {
  Gen g(11);
  for (int round = 0; round < 20000; ++round) {
    std::string s = g.Text(g.Below(4) == 0 ? 300 : 40, /*allow_bad=*/g.Below(3) != 0);
    std::string why_fast;
    std::string why_ref;
    const size_t got = FindInvalidXmlChar(s, &why_fast);
    const size_t want = RefFindInvalidXmlChar(s, &why_ref);
    ASSERT_EQ(got, want) << "round " << round << " input [" << s << "]";
    ASSERT_EQ(why_fast, why_ref) << "round " << round;
  }
  // Each byte value at each offset of a block, between clean ASCII.
  for (int b = 0; b < 256; ++b) {
    for (size_t at = 0; at < 17; ++at) {
      std::string s(24, 'a');
      s[at] = static_cast<char>(b);
      std::string why_fast;
      std::string why_ref;
      ASSERT_EQ(FindInvalidXmlChar(s, &why_fast), RefFindInvalidXmlChar(s, &why_ref))
          << "byte " << b << " at " << at;
      ASSERT_EQ(why_fast, why_ref);
    }
  }
}

}  // namespace
}  // namespace ipdx::codec::internal
