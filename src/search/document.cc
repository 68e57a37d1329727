// Record -> Xapian document (schema.h), and snippets.
#include "search/document.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "model/model.h"

namespace ipdx::search::internal {

namespace {

std::string Join(std::string_view a, std::string_view b) {
  std::string out(a);
  out.append(b);
  return out;
}

std::string ChooseTitle(const model::Record& record, std::string* lang) {
  const std::string publication_lang = NormalizeLang(record.language);
  const model::LangText* chosen = nullptr;
  for (const std::string& want : {publication_lang, std::string("en")}) {
    if (want.empty()) continue;
    for (const model::LangText& title : record.titles) {
      if (NormalizeLang(title.lang) == want && !title.text.empty()) {
        chosen = &title;
        break;
      }
    }
    if (chosen != nullptr) break;
  }
  if (chosen == nullptr) {
    for (const model::LangText& title : record.titles) {
      if (!title.text.empty()) {
        chosen = &title;
        break;
      }
    }
  }
  if (chosen == nullptr) return {};
  *lang = NormalizeLang(chosen->lang);
  return CollapseSpaces(chosen->text);
}

class Indexer {
 public:
  Indexer(Analyzer* analyzer, const model::Record& record, BuiltDocument* out)
      : analyzer_(analyzer), out_(out), default_lang_(NormalizeLang(record.language)) {}

  // Indexes one text: positional unstemmed terms, and a Z term for each word whose stem differs
  // from the word (for text without a stemmer: for every word); schema.h.
  void Text(std::string_view prefix, std::string_view text, std::string_view text_lang,
            bool stemmed) {
    std::string lang = NormalizeLang(text_lang);
    if (lang.empty()) lang = default_lang_;
    const bool has_stemmer = stemmed && analyzer_->HasStemmer(lang);
    if (has_stemmer) out_->stem_langs.insert(lang);
    position_ += kPositionGap;
    Xapian::Document& doc = out_->document;
    std::string term(prefix);
    for (const Token& token : analyzer_->Tokenize(text)) {
      term.resize(prefix.size());
      term += token.term;
      if (token.positional) {
        doc.add_posting(term, ++position_);
      } else {
        doc.add_term(term);
      }
      if (!stemmed || token.cjk) continue;
      if (!has_stemmer) {
        doc.add_term(StemTerm(prefix, "", token.term));
        continue;
      }
      // A word that is its own stem is found through its X term (the query ORs both), so the
      // Z term would only repeat it: about half the stemmed postings of English text.
      const std::string& stem = analyzer_->StemRef(lang, token.lower);
      if (stem != token.term) doc.add_term(StemTerm(prefix, lang, stem));
    }
  }

 private:
  Analyzer* analyzer_;
  BuiltDocument* out_;
  std::string default_lang_;
  Xapian::termpos position_ = 0;
};

void AddClassification(Xapian::Document* doc, std::string_view prefix, const std::string& symbol,
                       std::vector<std::string>* subclasses) {
  const auto sym = ParseClassSymbol(symbol, false);
  if (!sym) {
    // Not a symbol ipdx can split (validation reports it); still findable as given.
    std::string upper = CollapseSpaces(symbol);
    for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (!upper.empty() && upper.size() < 100) doc->add_boolean_term(Join(prefix, upper));
    return;
  }
  for (const std::string* level :
       {&sym->section, &sym->cls, &sym->subclass, &sym->main_group, &sym->full}) {
    if (!level->empty()) doc->add_boolean_term(Join(prefix, *level));
  }
  if (subclasses != nullptr && !sym->subclass.empty() &&
      std::find(subclasses->begin(), subclasses->end(), sym->subclass) == subclasses->end()) {
    subclasses->push_back(sym->subclass);
  }
}

bool IsOfficeCode(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

void AddSection(DocData* data, char field, std::string_view lang, std::string_view text) {
  if (text.empty()) return;
  DocSection section;
  section.field = field;
  section.lang = NormalizeLang(lang);
  if (section.lang.empty()) section.lang = data->language;
  section.text = std::string(CutUtf8(text, kMaxSectionBytes));
  data->sections.push_back(std::move(section));
}

}  // namespace

std::string UniqueTerm(std::string_view publisher, std::string_view id) {
  return Join(kPrefixUnique, Join(publisher, Join("/", id)));
}

Result<BuiltDocument> BuildDocument(Analyzer* analyzer, const std::string& publisher,
                                    const model::Record& record) {
  if (!IsOfficeCode(publisher)) {
    return Status::InvalidArgument("publisher '" + publisher + "' is not a two-letter ST.3 code");
  }
  if (record.office.empty() || record.number.empty()) {
    return Status::InvalidArgument("record '" + record.Id() + "' has no office or number");
  }
  BuiltDocument out;
  Xapian::Document& doc = out.document;
  const std::string id = record.Id();
  out.unique_term = UniqueTerm(publisher, id);
  doc.add_boolean_term(out.unique_term);
  doc.add_boolean_term(Join(kPrefixId, id));
  doc.add_boolean_term(Join(kPrefixPublisher, publisher));
  doc.add_boolean_term(Join(kPrefixOffice, record.office));
  if (!record.kind.empty()) doc.add_boolean_term(Join(kPrefixKind, record.kind));

  // Numbers: with office, with office and kind, alone.
  const std::string number = model::NormalizePublicationNumber(record.office, record.number);
  doc.add_boolean_term(Join(kPrefixPubNumber, record.office + number));
  if (!record.kind.empty()) {
    doc.add_boolean_term(Join(kPrefixPubNumber, record.office + number + record.kind));
  }
  if (const std::string key = NumberOnlyKey(number); !key.empty()) {
    doc.add_boolean_term(Join(kPrefixPubNumberOnly, key));
  }
  if (!record.application.number.empty()) {
    const std::string office =
        record.application.office.empty() ? record.office : record.application.office;
    const std::string key =
        AppNumberKey(model::NormalizeApplicationNumber(office, record.application.number));
    if (!key.empty()) {
      doc.add_boolean_term(Join(kPrefixAppNumber, office + key));
      doc.add_boolean_term(Join(kPrefixAppNumberOnly, key));
    }
  }

  // Full text and names, each text after a position gap.
  Indexer indexer(analyzer, record, &out);
  for (const model::LangText& t : record.titles) indexer.Text(kPrefixTitle, t.text, t.lang, true);
  for (const model::LangText& t : record.abstracts) {
    indexer.Text(kPrefixAbstract, t.text, t.lang, true);
  }
  for (const model::ClaimSet& set : record.claims) {
    for (const std::string& claim : set.claims) indexer.Text(kPrefixClaims, claim, set.lang, true);
  }
  for (const model::LangText& t : record.descriptions) {
    indexer.Text(kPrefixDescription, t.text, t.lang, true);
  }
  for (const auto* parties : {&record.applicants, &record.assignees}) {
    for (const model::Party& party : *parties) {
      indexer.Text(kPrefixApplicant, party.name, "", false);
    }
  }
  for (const model::Party& party : record.inventors) {
    indexer.Text(kPrefixInventor, party.name, "", false);
  }

  std::vector<std::string> subclasses;
  for (const std::string& symbol : record.ipc) {
    AddClassification(&doc, kPrefixIpc, symbol, &subclasses);
  }
  std::vector<std::string> cpc_subclasses;
  for (const std::string& symbol : record.cpc) {
    AddClassification(&doc, kPrefixCpc, symbol, &cpc_subclasses);
  }
  if (subclasses.empty()) subclasses = std::move(cpc_subclasses);

  // Values: dates, facets, sort keys.
  const std::string pd = DateKey(record.publication_date);
  if (!pd.empty()) {
    doc.add_value(kSlotPublicationDate, pd);
    doc.add_value(kSlotYear, pd.substr(0, 4));
  }
  if (const std::string ad = DateKey(record.application.date); !ad.empty()) {
    doc.add_value(kSlotApplicationDate, ad);
  }
  std::string earliest;
  for (const model::DocRef& priority : record.priorities) {
    const std::string key = DateKey(priority.date);
    if (!key.empty() && (earliest.empty() || key < earliest)) earliest = key;
  }
  if (!earliest.empty()) doc.add_value(kSlotPriorityDate, earliest);
  doc.add_value(kSlotOffice, record.office);
  if (!record.kind.empty()) doc.add_value(kSlotKind, record.kind);
  doc.add_value(kSlotPublisher, publisher);
  if (!subclasses.empty()) doc.add_value(kSlotIpcSubclasses, JoinValues(subclasses));
  std::vector<std::string> names;
  for (const auto* parties : {&record.applicants, &record.assignees}) {
    for (const model::Party& party : *parties) {
      std::string name = CollapseSpaces(party.name);
      if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(std::move(name));
      }
    }
    if (!names.empty()) break;  // assignees only when there are no applicants
  }
  if (!names.empty()) doc.add_value(kSlotApplicants, JoinValues(names));

  DocData data;
  data.publisher = publisher;
  data.id = id;
  data.language = NormalizeLang(record.language);
  data.title = ChooseTitle(record, &data.title_lang);
  data.publication_date = record.publication_date;
  data.office = record.office;
  data.kind = record.kind;
  for (const model::LangText& t : record.abstracts) AddSection(&data, 'a', t.lang, t.text);
  for (const model::ClaimSet& set : record.claims) {
    std::string joined;
    for (const std::string& claim : set.claims) {
      if (!joined.empty()) joined += "\n";
      joined += claim;
      if (joined.size() > kMaxSectionBytes) break;
    }
    AddSection(&data, 'c', set.lang, joined);
  }
  for (const model::LangText& t : record.descriptions) AddSection(&data, 'd', t.lang, t.text);
  doc.set_data(EncodeDocData(data));
  return out;
}

SnippetMaker::SnippetMaker(Analyzer* analyzer, const HighlightTerms& terms, size_t window_words,
                           size_t scan_bytes)
    : analyzer_(analyzer),
      terms_(terms),
      window_words_(window_words),
      scan_bytes_(std::max<size_t>(scan_bytes, 1)) {
  for (const std::string& word : terms.words) {
    word_concept_.emplace(word, static_cast<int>(word_concept_.size()));
  }
  for (const std::string& prefix : terms.prefixes) {
    prefixes_.emplace_back(prefix, static_cast<int>(word_concept_.size() + prefixes_.size()));
  }
  concepts_ = word_concept_.size() + prefixes_.size();
  // Byte needles for Regions: every query word, every stem without a final 'e' or 'i' (so
  // "happi" finds "happy", "agre" finds "agree"), every truncation prefix; only when all are
  // ASCII (a folded non-ASCII word has no one byte form to look for).
  std::set<std::string> needles(terms.words.begin(), terms.words.end());
  for (const std::string& stem : terms.stems) {
    std::string body = stem.substr(std::min(stem.size(), stem.find(':') + 1));
    if (body.size() > 3 && (body.back() == 'e' || body.back() == 'i')) body.pop_back();
    needles.insert(std::move(body));
  }
  needles.insert(terms.prefixes.begin(), terms.prefixes.end());
  for (const std::string& needle : needles) {
    const bool ascii = std::all_of(needle.begin(), needle.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (needle.empty() || !ascii) {
      needles_.clear();
      break;
    }
    needles_.push_back(needle);
  }
}

SnippetMaker::LangCache& SnippetMaker::Lang(const std::string& lang) {
  auto it = langs_.find(lang);
  if (it != langs_.end()) return it->second;
  LangCache cache;
  cache.stemmer = !terms_.stems.empty() && analyzer_->HasStemmer(lang);
  if (cache.stemmer) {
    // Which query word each stem stands for, so a window counts "motors" as the query word
    // "motor". The stems of HighlightTerms were made from the case-folded query words; folded
    // words differ only for accented ones, which then count as matches of no known word.
    for (const auto& [word, concept_id] : word_concept_) {
      cache.stem_concept.emplace(analyzer_->Stem(lang, word), concept_id);
    }
  }
  return langs_.emplace(lang, std::move(cache)).first->second;
}

int SnippetMaker::Match(const Token& token, LangCache& lang, const std::string& lang_code) {
  // The folded word is a function of the case-folded one, so one lookup of the latter caches the
  // whole decision (word, stem, prefix).
  auto cached = lang.match.find(token.lower);
  if (cached != lang.match.end()) return cached->second;
  int result = kNoMatch;
  if (auto it = word_concept_.find(token.term); it != word_concept_.end()) {
    result = it->second;
  } else if (lang.stemmer && !token.cjk &&
             terms_.stems.count(lang_code + ":" + analyzer_->Stem(lang_code, token.lower)) > 0) {
    auto known = lang.stem_concept.find(analyzer_->Stem(lang_code, token.lower));
    result = known == lang.stem_concept.end() ? kUnknownConcept : known->second;
  } else {
    for (const auto& [prefix, concept_id] : prefixes_) {
      if (token.term.starts_with(prefix)) {
        result = concept_id;
        break;
      }
    }
  }
  if (lang.match.size() >= kMaxCachedMatches) lang.match.clear();
  lang.match.emplace(token.lower, result);
  return result;
}

namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v';
}

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Moves `at` (a word start or end in ASCII text) back or forward over `words` whitespace-separated
// spans holding a letter or digit (each holds at least one token), to a span boundary.
size_t WalkWords(std::string_view text, size_t at, size_t words, bool back) {
  while (words > 0) {
    if (back ? at == 0 : at >= text.size()) break;
    // Skip whitespace, then one span, noting whether it holds a letter or digit.
    while (back ? (at > 0 && IsAsciiSpace(text[at - 1]))
                : (at < text.size() && IsAsciiSpace(text[at]))) {
      back ? --at : ++at;
    }
    bool alnum = false;
    while (back ? (at > 0 && !IsAsciiSpace(text[at - 1]))
                : (at < text.size() && !IsAsciiSpace(text[at]))) {
      alnum = alnum || IsAsciiAlnum(back ? text[at - 1] : text[at]);
      back ? --at : ++at;
    }
    if (alnum) --words;
  }
  return at;
}

}  // namespace

bool SnippetMaker::Regions(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) {
  // Lower-case ASCII copy for the byte search; the words holding non-ASCII bytes are noted, since
  // folding ("Résumé" -> "resume", full-width letters, ligatures) can turn them into a match.
  lowered_.resize(text.size());
  hits_.clear();
  folded_spans_.clear();
  // Two simple loops the compiler vectorises: lower-casing, and looking for non-ASCII bytes.
  unsigned char high = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    high |= c;
    lowered_[i] = static_cast<char>(c + (static_cast<unsigned>(c - 'A') < 26u ? 32 : 0));
  }
  if (high >= 0x80) {
    size_t span_begin = 0;
    bool span_ascii = true;
    for (size_t i = 0; i <= text.size(); ++i) {
      const char c = i < text.size() ? text[i] : ' ';
      if (IsAsciiSpace(c)) {
        if (!span_ascii) {
          if (folded_spans_.size() == kMaxFoldedSpans) return false;  // much non-ASCII text
          folded_spans_.emplace_back(span_begin, i);
        }
        span_begin = i + 1;
        span_ascii = true;
      } else if (static_cast<unsigned char>(c) >= 0x80) {
        span_ascii = false;
      }
    }
  }
  for (const std::string& needle : needles_) {
    for (size_t at = lowered_.find(needle); at != std::string::npos;
         at = lowered_.find(needle, at + 1)) {
      hits_.emplace_back(at, at + needle.size());
      if (hits_.size() > kMaxRegionHits) return false;  // everywhere: analyse it all
    }
  }
  for (const auto& [begin, end] : folded_spans_) {
    const std::string folded = Analyzer::Fold(text.substr(begin, end - begin));
    for (const std::string& needle : needles_) {
      if (folded.find(needle) != std::string::npos) {
        hits_.emplace_back(begin, end);
        break;
      }
    }
  }
  std::sort(hits_.begin(), hits_.end());
  for (const auto& [hit_begin, hit_end] : hits_) {
    // The word around the hit, then a window's worth of words on either side: every window
    // holding the hit lies inside, and so does the first best window of the whole text.
    size_t from = hit_begin;
    while (from > 0 && !IsAsciiSpace(text[from - 1])) --from;
    size_t to = hit_end;
    while (to < text.size() && !IsAsciiSpace(text[to])) ++to;
    if (!out->empty() && from <= out->back().second) {
      from = out->back().first;
      out->pop_back();
    } else {
      from = WalkWords(text, from, window_words_, /*back=*/true);
    }
    to = WalkWords(text, to, window_words_, /*back=*/false);
    if (!out->empty() && from <= out->back().second) {
      out->back().second = std::max(out->back().second, to);
    } else {
      out->emplace_back(from, to);
    }
  }
  return true;
}

Snippet SnippetMaker::Make(const DocData& data) {
  Snippet snippet;
  if (data.sections.empty() || window_words_ == 0) return snippet;

  struct Candidate {
    size_t section = 0;
    size_t begin = 0, end = 0;  // byte range in the section text
    int64_t score = -1;
    std::vector<std::pair<size_t, size_t>> matches;
  };
  Candidate best;
  const bool nothing_to_match = terms_.empty();
  // With needles, sections are first searched for them as bytes and only the regions around
  // the places found are analysed (Regions); without any place found in any section, or when a
  // region pass chose nothing, the whole text is analysed as before.
  const bool use_regions = !nothing_to_match && !needles_.empty();
  std::vector<std::pair<size_t, size_t>> ranges;

  // Chooses `best` over all sections (with regions: over the regions of each section).
  auto scan = [&](bool regions) {
    for (size_t s = 0; s < data.sections.size(); ++s) {
      const DocSection& section = data.sections[s];
      ranges.clear();
      if (!regions || !Regions(section.text, &ranges)) {
        // Pieces of about scan_bytes_, cut at whitespace, analysed in order (see below).
        for (size_t at = 0; at < section.text.size();) {
          size_t to = at + std::min(section.text.size() - at, scan_bytes_);
          while (to < section.text.size() && !IsAsciiSpace(section.text[to])) ++to;
          ranges.emplace_back(at, to);
          at = to;
        }
      }
      bool section_complete = false;  // the best window of this section holds every query word
      bool section_matched = false;
      size_t analysed = 0;
      for (const auto& [range_begin, range_end] : ranges) {
        // Once a match was seen, the section is left after scan_bytes_ of analysed text: a
        // passage from the start of a long description serves as well as one deep inside, and
        // analysing all of it is most of the cost of a search's snippets.
        if (section_matched && analysed >= scan_bytes_) break;
        analysed += range_end - range_begin;
        const size_t base = range_begin;
        // With nothing to match only the first window of the first section is shown: analyse just
        // enough of the text for it (a word more than the window, so its last word is whole).
        std::string_view text = std::string_view(section.text).substr(base, range_end - base);
        if (nothing_to_match) text = CutUtf8(text, (window_words_ + 1) * 64);
        std::vector<Token> tokens = analyzer_->Tokenize(text);
        if (nothing_to_match && text.size() < section.text.size()) {
          size_t positional = 0;
          for (const Token& t : tokens) positional += t.positional ? 1 : 0;
          if (positional <= window_words_) tokens = analyzer_->Tokenize(section.text);
        }
        for (Token& t : tokens) {
          t.begin += base;
          t.end += base;
        }
        // Positional tokens define the window; a non-positional CJK unigram belongs to the bigram
        // before it (its slot).
        std::vector<size_t> positional;
        std::vector<size_t> slots(tokens.size());
        // Per token: the interned id of its matched term (distinct words count once), or -1.
        std::vector<int> term_of(tokens.size(), -1);
        std::vector<int> concept_of(tokens.size(), kNoMatch);
        std::unordered_map<std::string_view, int> term_ids;
        size_t last_matched = 0;
        bool any_match = false;
        LangCache* lang = nothing_to_match ? nullptr : &Lang(section.lang);
        for (size_t i = 0; i < tokens.size(); ++i) {
          const Token& t = tokens[i];
          if (t.positional) positional.push_back(i);
          slots[i] = positional.empty() ? 0 : positional.size() - 1;
          if (lang == nullptr) continue;
          const int concept_id = Match(t, *lang, section.lang);
          if (concept_id == kNoMatch) continue;
          concept_of[i] = concept_id;
          term_of[i] = term_ids.emplace(t.term, static_cast<int>(term_ids.size())).first->second;
          last_matched = i;
          any_match = true;
        }
        section_matched = section_matched || any_match;
        if (positional.empty()) continue;
        // A section without matches cannot beat a window already chosen.
        if (!any_match && best.score >= 0) continue;

        // Slide a window of window_words_ positional tokens over the section, keeping the counts of
        // each matched term and query word in it: score = distinct matched words * 1000 + matches.
        std::vector<int> term_count(term_ids.size(), 0);
        std::vector<int> concept_count(concepts_, 0);
        size_t distinct = 0, count = 0, covered = 0;
        auto add = [&](size_t i, int delta) {
          if (term_of[i] < 0) return;
          int& tc = term_count[term_of[i]];
          if (delta > 0 ? tc++ == 0 : --tc == 0) distinct += delta > 0 ? 1 : -1;
          count += delta > 0 ? 1 : -1;
          if (concept_of[i] >= 0) {
            int& cc = concept_count[concept_of[i]];
            if (delta > 0 ? cc++ == 0 : --cc == 0) covered += delta > 0 ? 1 : -1;
          }
        };
        size_t in = 0;                         // next token to enter the window
        size_t out = 0;                        // next token to leave it
        size_t best_start = 0, best_stop = 0;  // positional indexes of the best window here
        bool best_here = false;
        bool best_complete = false;
        for (size_t start = 0; start < positional.size(); ++start) {
          // Stop when no match lies at or after the window start: later windows score 0.
          if (start > 0 && best.score >= 0 && (!any_match || positional[start] > last_matched))
            break;
          const size_t stop = std::min(positional.size(), start + window_words_);
          while (out < positional[start]) add(out++, -1);
          while (in < tokens.size() && slots[in] < stop) add(in++, +1);
          const int64_t score = static_cast<int64_t>(distinct) * 1000 + static_cast<int64_t>(count);
          if (score > best.score && (score > 0 || best.score < 0)) {
            best.section = s;
            best.begin = start == 0 && base == 0 ? 0 : tokens[positional[start]].begin;
            best.end = tokens[positional[stop - 1]].end;
            best.score = score;
            best_start = start;
            best_stop = stop;
            best_here = true;
            best_complete = concepts_ > 0 && covered == concepts_;
          }
          // The window holds the end of the text: later windows only lose words.
          if (in == tokens.size()) break;
        }
        if (best_here) {
          best.matches.clear();
          for (size_t i = positional[best_start]; i < tokens.size() && slots[i] < best_stop; ++i) {
            if (term_of[i] >= 0) best.matches.emplace_back(tokens[i].begin, tokens[i].end);
          }
        }
        if (best_here) section_complete = best_complete;
      }
      // A window holding every query word is good enough: later sections are not analysed.
      if (section_complete || (nothing_to_match && best.score >= 0)) return;
    }
  };
  scan(use_regions);
  if (use_regions && best.score <= 0) {
    // No region held a match (the words occur only inside other words, or only in forms the
    // byte search cannot see): analyse everything.
    best = Candidate{};
    scan(false);
  }
  if (best.score < 0) return snippet;

  const std::string& text = data.sections[best.section].text;
  // Merge overlapping matches (CJK bigrams overlap).
  std::sort(best.matches.begin(), best.matches.end());
  std::vector<std::pair<size_t, size_t>> merged;
  for (const auto& m : best.matches) {
    if (!merged.empty() && m.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, m.second);
    } else {
      merged.push_back(m);
    }
  }
  // Copy the passage with whitespace collapsed, translating the match offsets.
  std::string out;
  if (best.begin > 0) out += "… ";
  size_t next = 0;  // next merged match to open or close
  bool open = false;
  size_t open_at = 0;
  bool space = false;
  for (size_t i = best.begin; i < best.end; ++i) {
    if (!open && next < merged.size() && merged[next].first == i) {
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      open = true;
      open_at = out.size();
    }
    if (open && merged[next].second == i) {
      snippet.highlights.emplace_back(open_at, out.size());
      open = false;
      ++next;
    }
    const char c = text[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  if (open) snippet.highlights.emplace_back(open_at, out.size());
  size_t rest = best.end;
  while (rest < text.size() &&
         (text[rest] == ' ' || text[rest] == '\n' || text[rest] == '\r' || text[rest] == '\t')) {
    ++rest;
  }
  if (rest < text.size()) out += " …";
  snippet.text = std::move(out);
  return snippet;
}

Snippet MakeSnippet(Analyzer* analyzer, const DocData& data, const HighlightTerms& terms,
                    size_t window_words, size_t scan_bytes) {
  return SnippetMaker(analyzer, terms, window_words, scan_bytes).Make(data);
}

}  // namespace ipdx::search::internal

namespace ipdx::search {

std::string Snippet::ToHtml() const {
  std::string out;
  auto escape = [&](size_t from, size_t to) {
    for (size_t i = from; i < to && i < text.size(); ++i) {
      switch (text[i]) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          out.push_back(text[i]);
      }
    }
  };
  size_t at = 0;
  for (const auto& [begin, end] : highlights) {
    if (begin < at || end < begin || end > text.size()) continue;  // malformed: skip
    escape(at, begin);
    out += "<b>";
    escape(begin, end);
    out += "</b>";
    at = end;
  }
  escape(at, text.size());
  return out;
}

}  // namespace ipdx::search
