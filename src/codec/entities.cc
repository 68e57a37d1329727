#include "codec/entities.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>

namespace ipdx::codec::internal {
namespace {

struct EntityEntry {
  std::string_view name;
  std::string_view replacement;  // as written in the DTD: character references
};

// Sorted by name (byte order); generated from data/entities/ by gen_entity_table.cmake.
constexpr EntityEntry kEntities[] = {
#include "entity_table.inc"
};

// Expands the character references (&#xHHHH; and &#DDDD;) of a DTD replacement text. Text that
// is not a reference is copied. Returns nullopt on a malformed reference (a bad table entry).
std::optional<std::string> ExpandCharRefs(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '&' || i + 2 >= text.size() || text[i + 1] != '#') {
      out.push_back(text[i++]);
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos) return std::nullopt;
    std::string_view digits = text.substr(i + 2, semi - i - 2);
    int base = 10;
    if (!digits.empty() && (digits[0] == 'x' || digits[0] == 'X')) {
      base = 16;
      digits.remove_prefix(1);
    }
    uint32_t value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty()) {
      return std::nullopt;
    }
    if (!AppendUtf8(static_cast<char32_t>(value), &out)) return std::nullopt;
    i = semi + 1;
  }
  return out;
}

}  // namespace

bool AppendUtf8(char32_t cp, std::string* out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return true;
}

size_t NamedEntityCount() { return std::size(kEntities); }

std::optional<std::string> LookupNamedEntity(std::string_view name) {
  const auto* it =
      std::lower_bound(std::begin(kEntities), std::end(kEntities), name,
                       [](const EntityEntry& e, std::string_view n) { return e.name < n; });
  if (it == std::end(kEntities) || it->name != name) return std::nullopt;
  // The USPTO table double-escapes the markup characters ("&#x26;#x3C;" for '<'), as a DTD
  // must so that the replacement text is well-formed; expanding twice gives the character.
  std::optional<std::string> once = ExpandCharRefs(it->replacement);
  if (!once) return std::nullopt;
  if (once->find("&#") == std::string::npos) return once;
  return ExpandCharRefs(*once);
}

}  // namespace ipdx::codec::internal
