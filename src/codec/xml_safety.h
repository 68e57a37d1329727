#pragma once
// Internal to codec/: the safety pass every XML document goes through before pugixml sees it.
//
// pugixml never fetches anything, but it also does not process DTDs: it would silently keep an
// undeclared `&lsqb;` as literal text and accept a raw '&'. PrepareXml() therefore scans the
// bytes once, without recursion, and
//   - rejects external entity declarations in the internal DTD subset (XML-XXE), whatever their
//     use; NDATA (unparsed) entities such as Red Book TIFF images are harmless and ignored;
//   - rejects references to entities declared in the internal subset (XML-ENTITY): ipdx never
//     expands them, which rules out billion-laughs and quadratic-blowup attacks;
//   - resolves every other named entity from the compiled tables (entities.h), or rejects the
//     document naming the unknown entity (XML-ENTITY);
//   - bounds element nesting by kMaxNestingDepth (XML-DEPTH) before any tree is built;
//   - rejects invalid UTF-8, forbidden control characters and a raw '&' (XML-WELLFORMED);
//   - recognises a document that stops inside markup or an open element (XML-TRUNCATED).
// The output text is what pugixml parses; offsets in it map back to the input for messages.
//
// Pure functions; thread-safe. Nothing here allocates more than a few times the input size.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/record.h"

namespace ipdx::codec::internal {

struct PreparedXml {
  std::string text;        // input with the BOM removed and named entities replaced
  std::string doctype;     // the DOCTYPE declaration as written, empty when absent
  std::string root_name;   // qualified name of the first element, e.g. "exch:exchange-document"
  bool truncated = false;  // the input ends inside markup or inside an open element
  std::vector<model::Finding> findings;  // errors: the document must be rejected

  // Maps a byte offset in `text` back to the byte offset in the input given to PrepareXml.
  size_t InputOffset(size_t text_offset) const;

  // (offset in text just after a replacement, offset in input just after the reference)
  std::vector<std::pair<size_t, size_t>> offset_map;
  size_t bom_bytes = 0;
};

// Runs the safety pass over one complete document. Never throws.
PreparedXml PrepareXml(std::string_view bytes);

// "line 12, column 5 (byte 345)" for a byte offset into `bytes` (1-based line and column,
// column counted in bytes).
std::string DescribePosition(std::string_view bytes, size_t offset);

// Returns the offset of the first byte that is not valid UTF-8 or is a control character XML 1.0
// forbids, or npos when the text is clean. `why` receives a short explanation.
size_t FindInvalidXmlChar(std::string_view bytes, std::string* why);

}  // namespace ipdx::codec::internal
