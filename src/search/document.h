#pragma once
// Internal to search/: turns a model::Record into the Xapian document of schema.h, and builds the
// snippets shown with hits from the stored document data.
#include <xapian.h>

#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/record.h"
#include "search/analyzer.h"
#include "search/query.h"
#include "search/schema.h"
#include "search/search.h"

namespace ipdx::search::internal {

// "Q" + publisher + "/" + publication id.
std::string UniqueTerm(std::string_view publisher, std::string_view id);

struct BuiltDocument {
  Xapian::Document document;
  std::string unique_term;
  std::set<std::string> stem_langs;  // languages whose stemmed terms the document holds
};

// InvalidArgument when the record has no office or number, or the publisher is not a two-letter
// code.
Result<BuiltDocument> BuildDocument(Analyzer* analyzer, const std::string& publisher,
                                    const model::Record& record);

// The best passage (about `window_words` words) of the abstract, claims or description for the
// highlight terms, or the start of the first text when nothing matches.
Snippet MakeSnippet(Analyzer* analyzer, const DocData& data, const HighlightTerms& terms,
                    size_t window_words = 32);

}  // namespace ipdx::search::internal
