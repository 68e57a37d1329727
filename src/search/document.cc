// Record -> Xapian document (schema.h), and snippets.
#include "search/document.h"

#include <algorithm>
#include <map>
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

  // Indexes one text: positional unstemmed terms and one Z term per word (schema.h).
  void Text(std::string_view prefix, std::string_view text, std::string_view text_lang,
            bool stemmed) {
    std::string lang = NormalizeLang(text_lang);
    if (lang.empty()) lang = default_lang_;
    const bool has_stemmer = stemmed && analyzer_->HasStemmer(lang);
    if (has_stemmer) out_->stem_langs.insert(lang);
    position_ += kPositionGap;
    Xapian::Document& doc = out_->document;
    for (const Token& token : analyzer_->Tokenize(text)) {
      const std::string term = Join(prefix, token.term);
      if (token.positional) {
        doc.add_posting(term, ++position_);
      } else {
        doc.add_term(term);
      }
      if (stemmed && !token.cjk) {
        doc.add_term(has_stemmer ? StemTerm(prefix, lang, analyzer_->Stem(lang, token.lower))
                                 : StemTerm(prefix, "", token.term));
      }
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

Snippet MakeSnippet(Analyzer* analyzer, const DocData& data, const HighlightTerms& terms,
                    size_t window_words) {
  Snippet snippet;
  if (data.sections.empty() || window_words == 0) return snippet;

  struct Candidate {
    size_t section = 0;
    size_t begin = 0, end = 0;  // byte range in the section text
    int64_t score = -1;
    std::vector<std::pair<size_t, size_t>> matches;
  };
  Candidate best;
  std::map<std::string, std::string> stem_cache;  // lang + ":" + lower -> lang + ":" + stem

  for (size_t s = 0; s < data.sections.size(); ++s) {
    const DocSection& section = data.sections[s];
    const std::vector<Token> tokens = analyzer->Tokenize(section.text);
    // Positional tokens define the window; a non-positional CJK unigram belongs to the bigram
    // before it.
    std::vector<size_t> slots;  // positional index of each token
    std::vector<size_t> positional;
    std::vector<bool> matched(tokens.size(), false);
    const bool stemmer = !terms.stems.empty() && analyzer->HasStemmer(section.lang);
    for (size_t i = 0; i < tokens.size(); ++i) {
      const Token& t = tokens[i];
      if (t.positional) positional.push_back(i);
      slots.push_back(positional.empty() ? 0 : positional.size() - 1);
      bool hit = terms.words.count(t.term) > 0;
      if (!hit && stemmer && !t.cjk) {
        const std::string key = section.lang + ":" + t.lower;
        auto it = stem_cache.find(key);
        if (it == stem_cache.end()) {
          it = stem_cache.emplace(key, section.lang + ":" + analyzer->Stem(section.lang, t.lower))
                   .first;
        }
        hit = terms.stems.count(it->second) > 0;
      }
      if (!hit) {
        for (const std::string& prefix : terms.prefixes) {
          if (t.term.starts_with(prefix)) {
            hit = true;
            break;
          }
        }
      }
      matched[i] = hit;
    }
    if (positional.empty()) continue;
    // Score each window start: distinct matched words first, then matches.
    for (size_t start = 0; start < positional.size(); ++start) {
      const size_t stop = std::min(positional.size(), start + window_words);
      std::set<std::string> distinct;
      int64_t count = 0;
      for (size_t i = positional[start]; i < tokens.size() && slots[i] < stop; ++i) {
        if (matched[i]) {
          distinct.insert(tokens[i].term);
          ++count;
        }
      }
      const int64_t score = static_cast<int64_t>(distinct.size()) * 1000 + count;
      if (score > best.score && (score > 0 || best.score < 0)) {
        best.section = s;
        best.begin = start == 0 ? 0 : tokens[positional[start]].begin;
        best.end = tokens[positional[stop - 1]].end;
        best.score = score;
        best.matches.clear();
        for (size_t i = positional[start]; i < tokens.size() && slots[i] < stop; ++i) {
          if (matched[i]) best.matches.emplace_back(tokens[i].begin, tokens[i].end);
        }
      }
      if (count == 0 && score == 0 && best.score >= 0 && start > 0) {
        // No matches in this section beyond here are better than what we have; keep scanning
        // only while matches remain ahead.
        bool ahead = false;
        for (size_t i = positional[start]; i < tokens.size(); ++i) {
          if (matched[i]) {
            ahead = true;
            break;
          }
        }
        if (!ahead) break;
      }
    }
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
