// Compiles the query syntax tree to a Xapian::Query over the index schema (schema.h), checking
// field values on the way. Errors point at the value that is wrong.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "model/model.h"
#include "search/query.h"
#include "search/schema.h"

namespace ipdx::search::internal {

namespace {

std::vector<std::string_view> TextPrefixes(Field field) {
  switch (field) {
    case Field::kTitle:
      return {kPrefixTitle};
    case Field::kAbstract:
      return {kPrefixAbstract};
    case Field::kClaims:
      return {kPrefixClaims};
    case Field::kDescription:
      return {kPrefixDescription};
    case Field::kApplicant:
      return {kPrefixApplicant};
    case Field::kInventor:
      return {kPrefixInventor};
    default:
      return {std::begin(kTextPrefixes), std::end(kTextPrefixes)};
  }
}

unsigned DateSlot(Field field) {
  switch (field) {
    case Field::kAppDate:
      return kSlotApplicationDate;
    case Field::kPriorityDate:
      return kSlotPriorityDate;
    default:
      return kSlotPublicationDate;
  }
}

std::string Join(std::string_view a, std::string_view b) {
  std::string out(a);
  out.append(b);
  return out;
}

std::string Quoted(std::string_view s) { return "'" + std::string(CutUtf8(s, 60)) + "'"; }

bool StartsWithTwoLetters(std::string_view s) {
  auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  return s.size() >= 2 && letter(s[0]) && letter(s[1]);
}

std::string UpperAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return out;
}

class Compiler {
 public:
  Compiler(const CompileContext& context, HighlightTerms* highlights, RawError* error)
      : ctx_(context), hl_(highlights), error_(error) {}

  bool Compile(const Node& node, bool negated, Xapian::Query* out) {
    Xapian::Query q;
    if (!CompileUnboosted(node, negated, &q)) return false;
    if (node.boost != 1.0) q = Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q, node.boost);
    *out = std::move(q);
    return true;
  }

 private:
  bool Fail(size_t pos, std::string message) {
    error_->byte_pos = pos;
    error_->message = std::move(message);
    return false;
  }

  HighlightTerms* Hl(bool negated) { return negated ? nullptr : hl_; }

  bool CompileUnboosted(const Node& node, bool negated, Xapian::Query* out) {
    switch (node.kind) {
      case NodeKind::kAnd: {
        std::vector<Xapian::Query> required;
        std::vector<Xapian::Query> excluded;
        for (const Node& child : node.children) {
          Xapian::Query q;
          if (!Compile(child, negated, &q)) return false;
          required.push_back(std::move(q));
        }
        for (const Node& child : node.excluded) {
          Xapian::Query q;
          if (!Compile(child, !negated, &q)) return false;
          excluded.push_back(std::move(q));
        }
        Xapian::Query base = required.empty() ? Xapian::Query::MatchAll
                                              : Xapian::Query(Xapian::Query::OP_AND,
                                                              required.begin(), required.end());
        if (excluded.empty()) {
          *out = std::move(base);
        } else {
          *out =
              Xapian::Query(Xapian::Query::OP_AND_NOT, base,
                            Xapian::Query(Xapian::Query::OP_OR, excluded.begin(), excluded.end()));
        }
        return true;
      }
      case NodeKind::kOr: {
        std::vector<Xapian::Query> parts;
        for (const Node& child : node.children) {
          Xapian::Query q;
          if (!Compile(child, negated, &q)) return false;
          parts.push_back(std::move(q));
        }
        *out = Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
        return true;
      }
      case NodeKind::kNear:
      case NodeKind::kAdj:
        return Proximity(node, negated, out);
      case NodeKind::kDate:
        return Date(node, out);
      case NodeKind::kWildcard:
        return Wildcard(node, negated, out);
      case NodeKind::kWord:
      case NodeKind::kPhrase:
        return Value(node, negated, out);
    }
    return Fail(node.pos, "internal: unknown query node");
  }

  // Words and phrases in the full-text and name fields.
  bool Text(const Node& node, bool negated, Xapian::Query* out) {
    const std::vector<std::string_view> prefixes = TextPrefixes(node.field);
    std::vector<Token> tokens;
    for (Token& token : ctx_.analyzer->Tokenize(node.text)) {
      if (token.positional) tokens.push_back(std::move(token));
    }
    if (tokens.empty()) {
      return Fail(node.value_pos, Quoted(node.text) + " has no searchable characters");
    }
    HighlightTerms* hl = Hl(negated);
    if (tokens.size() == 1) {
      const Token& token = tokens[0];
      if (node.kind == NodeKind::kWord && IsTextField(node.field) && !token.cjk) {
        *out = StemmedWordQuery(ctx_.analyzer, prefixes, ctx_.stem_langs, token, hl);
        return true;
      }
      if (hl != nullptr) hl->words.insert(token.term);
      std::vector<Xapian::Query> terms;
      for (std::string_view prefix : prefixes) terms.emplace_back(Join(prefix, token.term));
      *out = Xapian::Query(Xapian::Query::OP_SYNONYM, terms.begin(), terms.end());
      return true;
    }
    // Several words (a phrase, or one query word the analyzer splits: "3-methyl", CJK bigrams):
    // an exact phrase over the unstemmed terms.
    std::vector<Xapian::Query> parts;
    for (const Token& token : tokens) {
      if (hl != nullptr) hl->words.insert(token.term);
      parts.push_back(AnyField(prefixes, {token.term}));
    }
    *out = Xapian::Query(Xapian::Query::OP_PHRASE, parts.begin(), parts.end(), parts.size());
    return true;
  }

  // OR of `terms` in every field of `prefixes`: one subquery of OP_PHRASE / OP_NEAR.
  static Xapian::Query AnyField(const std::vector<std::string_view>& prefixes,
                                const std::vector<std::string>& terms) {
    std::vector<Xapian::Query> alternatives;
    for (std::string_view prefix : prefixes) {
      for (const std::string& term : terms) alternatives.emplace_back(Join(prefix, term));
    }
    if (alternatives.size() == 1) return alternatives[0];
    return Xapian::Query(Xapian::Query::OP_OR, alternatives.begin(), alternatives.end());
  }

  bool Value(const Node& node, bool negated, Xapian::Query* out) {
    if (IsTextField(node.field) || IsNameField(node.field)) return Text(node, negated, out);
    const std::string_view value = node.text;
    switch (node.field) {
      case Field::kIpc:
      case Field::kCpc: {
        const auto sym = ParseClassSymbol(value, false);
        if (!sym) {
          return Fail(node.value_pos,
                      Quoted(value) +
                          " is not a classification symbol: expected a section (A), "
                          "class (A61), subclass (A61K), main group (A61K 31) or "
                          "group (A61K 31/4439)");
        }
        const std::string_view prefix = node.field == Field::kIpc ? kPrefixIpc : kPrefixCpc;
        *out = Xapian::Query(Join(prefix, sym->Deepest()));
        return true;
      }
      case Field::kPubNumber: {
        if (StartsWithTwoLetters(value)) {
          auto ref = model::ParsePublicationId(value);
          if (!ref.ok()) return Fail(node.value_pos, ref.status().message());
          *out = Xapian::Query(Join(kPrefixPubNumber, ref->office + ref->number + ref->kind));
          return true;
        }
        const std::string key = NumberOnlyKey(value);
        if (key.find_first_of("0123456789") == std::string::npos) {
          return Fail(node.value_pos, Quoted(value) + " is not a number");
        }
        *out = Xapian::Query(Join(kPrefixPubNumberOnly, key));
        return true;
      }
      case Field::kAppNumber: {
        const std::string upper = UpperAscii(value);
        if (StartsWithTwoLetters(value) && !upper.starts_with("PCT")) {
          const std::string office = upper.substr(0, 2);
          const std::string key = AppNumberKey(model::NormalizeApplicationNumber(office, upper));
          if (key.empty()) return Fail(node.value_pos, Quoted(value) + " has no number");
          *out = Xapian::Query(Join(kPrefixAppNumber, office + key));
          return true;
        }
        const std::string key = AppNumberKey(value);
        if (key.find_first_of("0123456789") == std::string::npos) {
          return Fail(node.value_pos, Quoted(value) + " is not a number");
        }
        *out = Xapian::Query(Join(kPrefixAppNumberOnly, key));
        return true;
      }
      case Field::kOffice: {
        const std::string code = model::NormalizeOfficeCode(value);
        if (model::LookupSt3(code) == model::St3Status::kUnknown) {
          return Fail(node.value_pos, Quoted(value) + " is not an ST.3 office code");
        }
        *out = Xapian::Query(Join(kPrefixOffice, code));
        return true;
      }
      case Field::kKind: {
        const std::string kind = model::NormalizeKindCode(value);
        if (!model::IsWellFormedKindCode(kind)) {
          return Fail(
              node.value_pos,
              Quoted(value) + " is not an ST.16 kind code (a letter and an optional digit)");
        }
        *out = Xapian::Query(Join(kPrefixKind, kind));
        return true;
      }
      default:
        return Fail(node.value_pos, "internal: field without a value rule");
    }
  }

  // Expands a truncation prefix to the terms it matches (at most the limit), or checks the limit
  // only (`terms` null). Without a database the expansion is left to Xapian at search time.
  bool CountExpansions(const Node& node, const std::string& prefix,
                       std::vector<std::string>* terms) {
    if (ctx_.db == nullptr) return true;
    size_t n = 0;
    for (auto it = ctx_.db->allterms_begin(prefix); it != ctx_.db->allterms_end(prefix); ++it) {
      if (++n > ctx_.wildcard_limit) {
        return Fail(node.value_pos, Quoted(node.text + "*") + " matches more than " +
                                        std::to_string(ctx_.wildcard_limit) +
                                        " different words; give more letters before '*'");
      }
      if (terms != nullptr) terms->push_back(*it);
    }
    return true;
  }

  bool Wildcard(const Node& node, bool negated, Xapian::Query* out) {
    std::vector<std::string> prefixes;
    if (IsTextField(node.field) || IsNameField(node.field)) {
      std::string stem;
      if (!TruncationStem(node, &stem)) return false;
      if (HighlightTerms* hl = Hl(negated)) hl->prefixes.insert(stem);
      for (std::string_view prefix : TextPrefixes(node.field))
        prefixes.push_back(Join(prefix, stem));
    } else if (node.field == Field::kIpc || node.field == Field::kCpc) {
      const auto sym = ParseClassSymbol(node.text, true);
      if (!sym) {
        return Fail(node.value_pos, Quoted(node.text) +
                                        " is not the start of a classification "
                                        "symbol (e.g. A61K 31/44*)");
      }
      prefixes.push_back(Join(node.field == Field::kIpc ? kPrefixIpc : kPrefixCpc, sym->Deepest()));
    } else if (node.field == Field::kPubNumber || node.field == Field::kAppNumber) {
      const bool pub = node.field == Field::kPubNumber;
      if (StartsWithTwoLetters(node.text)) {
        prefixes.push_back(
            Join(pub ? kPrefixPubNumber : kPrefixAppNumber, AppNumberKey(node.text)));
      } else {
        prefixes.push_back(Join(pub ? kPrefixPubNumberOnly : kPrefixAppNumberOnly,
                                pub ? NumberOnlyKey(node.text) : AppNumberKey(node.text)));
      }
    } else {
      return Fail(node.value_pos, "truncation is not supported in field '" +
                                      std::string(FieldName(node.field)) + "'");
    }
    std::vector<Xapian::Query> parts;
    for (const std::string& prefix : prefixes) {
      if (!CountExpansions(node, prefix, nullptr)) return false;
      parts.emplace_back(Xapian::Query::OP_WILDCARD, prefix,
                         static_cast<Xapian::termcount>(ctx_.wildcard_limit),
                         Xapian::Query::WILDCARD_LIMIT_ERROR);
    }
    *out = parts.size() == 1 ? parts[0]
                             : Xapian::Query(Xapian::Query::OP_SYNONYM, parts.begin(), parts.end());
    return true;
  }

  // The folded form of the one word before '*'.
  bool TruncationStem(const Node& node, std::string* stem) {
    std::vector<Token> tokens;
    for (Token& token : ctx_.analyzer->Tokenize(node.text)) {
      if (token.positional) tokens.push_back(std::move(token));
    }
    if (tokens.size() != 1) {
      return Fail(node.value_pos,
                  "truncation applies to one word; " + Quoted(node.text) +
                      (tokens.empty() ? " has no searchable characters" : " is several words"));
    }
    *stem = tokens[0].term;
    return true;
  }

  // One operand of NEAR/ADJ: the terms that may stand at its position.
  bool PositionalTerms(const Node& node, bool negated, std::vector<std::string>* terms) {
    if (node.boost != 1.0) {
      return Fail(node.pos,
                  "boosts inside NEAR/ADJ are not supported; boost the whole group instead");
    }
    if (node.kind == NodeKind::kOr) {
      for (const Node& child : node.children) {
        if (!PositionalTerms(child, negated, terms)) return false;
      }
      return true;
    }
    const bool text = IsTextField(node.field) || IsNameField(node.field);
    if (text && node.kind == NodeKind::kWildcard) {
      std::string stem;
      if (!TruncationStem(node, &stem)) return false;
      if (HighlightTerms* hl = Hl(negated)) hl->prefixes.insert(stem);
      for (std::string_view prefix : TextPrefixes(node.field)) {
        if (ctx_.db == nullptr) {
          terms->push_back(Join(prefix, stem));  // validation only: never searched
          continue;
        }
        if (!CountExpansions(node, Join(prefix, stem), terms)) return false;
      }
      return true;
    }
    if (text && (node.kind == NodeKind::kWord || node.kind == NodeKind::kPhrase)) {
      std::vector<Token> tokens;
      for (Token& token : ctx_.analyzer->Tokenize(node.text)) {
        if (token.positional) tokens.push_back(std::move(token));
      }
      if (tokens.size() != 1) {
        return Fail(node.value_pos,
                    "NEAR/ADJ operands are single words; " + Quoted(node.text) +
                        (tokens.empty() ? " has no searchable characters"
                                        : " is several words (use ADJ/0 between them)"));
      }
      if (HighlightTerms* hl = Hl(negated)) hl->words.insert(tokens[0].term);
      for (std::string_view prefix : TextPrefixes(node.field)) {
        terms->push_back(Join(prefix, tokens[0].term));
      }
      return true;
    }
    return Fail(node.pos,
                "NEAR/ADJ operands are words, truncated words or (word OR word) in the text and "
                "name fields; " +
                    DescribeNode(node) + " is not");
  }

  bool Proximity(const Node& node, bool negated, Xapian::Query* out) {
    std::vector<Xapian::Query> parts;
    bool empty = false;
    for (const Node& child : node.children) {
      std::vector<std::string> terms;
      if (!PositionalTerms(child, negated, &terms)) return false;
      std::sort(terms.begin(), terms.end());
      terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
      if (terms.empty()) empty = true;  // a truncation that matches no word
      std::vector<Xapian::Query> alternatives(terms.begin(), terms.end());
      parts.push_back(
          alternatives.size() == 1
              ? alternatives[0]
              : Xapian::Query(Xapian::Query::OP_OR, alternatives.begin(), alternatives.end()));
    }
    if (empty) {
      *out = Xapian::Query::MatchNothing;
      return true;
    }
    // NEAR/n and ADJ/n allow n other words between the operands: the window covers the operands
    // themselves plus n positions.
    const auto window = static_cast<Xapian::termcount>(node.distance + parts.size());
    *out = Xapian::Query(
        node.kind == NodeKind::kNear ? Xapian::Query::OP_NEAR : Xapian::Query::OP_PHRASE,
        parts.begin(), parts.end(), window);
    return true;
  }

  bool ParseDate(std::string_view text, size_t pos, std::string* iso) {
    auto parsed = model::ParseSt2Date(text);
    if (!parsed.ok()) {
      return Fail(pos, parsed.status().message() +
                           " (dates are 2015, 2015-03, 2015-03-01 or "
                           "20150301)");
    }
    *iso = std::move(parsed).value();
    return true;
  }

  bool Date(const Node& node, Xapian::Query* out) {
    const unsigned slot = DateSlot(node.field);
    const std::string_view text = node.text;
    if (node.cmp == Cmp::kEq) {
      std::string_view lo = text, hi = text;
      size_t hi_pos = node.value_pos;
      const size_t dots = text.find("..");
      if (dots != std::string_view::npos) {
        lo = text.substr(0, dots);
        hi = text.substr(dots + 2);
        hi_pos = node.value_pos + dots + 2;
        if (lo.empty() && hi.empty()) {
          return Fail(node.value_pos, "a date range needs at least one end (2015.., ..2018)");
        }
      }
      std::string lo_iso, hi_iso;
      if (!lo.empty() && !ParseDate(lo, node.value_pos, &lo_iso)) return false;
      if (!hi.empty() && !ParseDate(hi, hi_pos, &hi_iso)) return false;
      const std::string lo_key = lo.empty() ? "" : DateKeyLow(lo_iso);
      const std::string hi_key = hi.empty() ? "" : DateKeyHigh(hi_iso);
      if (!lo_key.empty() && !hi_key.empty() && lo_key > hi_key) {
        return Fail(node.value_pos,
                    "empty date range: " + std::string(lo) + " is after " + std::string(hi));
      }
      if (lo_key.empty()) {
        *out = Xapian::Query(Xapian::Query::OP_VALUE_LE, slot, hi_key);
      } else if (hi_key.empty()) {
        *out = Xapian::Query(Xapian::Query::OP_VALUE_GE, slot, lo_key);
      } else {
        *out = Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot, lo_key, hi_key);
      }
      return true;
    }
    if (text.find("..") != std::string_view::npos) {
      return Fail(node.value_pos, "a comparison takes one date, not a range");
    }
    std::string iso;
    if (!ParseDate(text, node.value_pos, &iso)) return false;
    switch (node.cmp) {
      case Cmp::kLt: {
        const std::string key = DateKeyPred(DateKeyLow(iso));
        *out = Xapian::Query(Xapian::Query::OP_VALUE_LE, slot, key);
        return true;
      }
      case Cmp::kLe:
        *out = Xapian::Query(Xapian::Query::OP_VALUE_LE, slot, DateKeyHigh(iso));
        return true;
      case Cmp::kGt:
        *out = Xapian::Query(Xapian::Query::OP_VALUE_GE, slot, DateKeySucc(DateKeyHigh(iso)));
        return true;
      default:
        *out = Xapian::Query(Xapian::Query::OP_VALUE_GE, slot, DateKeyLow(iso));
        return true;
    }
  }

  const CompileContext& ctx_;
  HighlightTerms* hl_;
  RawError* error_;
};

}  // namespace

Xapian::Query StemmedWordQuery(Analyzer* analyzer, const std::vector<std::string_view>& prefixes,
                               const std::vector<std::string>& stem_langs, const Token& token,
                               HighlightTerms* highlights) {
  std::vector<std::string> terms;
  for (std::string_view prefix : prefixes) {
    terms.push_back(StemTerm(prefix, "", token.term));
    for (const std::string& lang : stem_langs) {
      const std::string stem = analyzer->Stem(lang, token.lower);
      // Words that are their own stem have no Z term: their X term stands for it (schema.h).
      terms.push_back(StemTerm(prefix, lang, stem));
      terms.push_back(Join(prefix, stem));
      if (highlights != nullptr) highlights->stems.insert(lang + ":" + stem);
    }
  }
  if (highlights != nullptr) highlights->words.insert(token.term);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return Xapian::Query(Xapian::Query::OP_SYNONYM, terms.begin(), terms.end());
}

bool CompileQuery(const Node& root, const CompileContext& context, Xapian::Query* out,
                  HighlightTerms* highlights, RawError* error) {
  try {
    Compiler compiler(context, highlights, error);
    return compiler.Compile(root, false, out);
  } catch (const Xapian::Error& e) {
    error->byte_pos = root.pos;
    error->message = "index error while expanding the query: " + e.get_msg();
    return false;
  }
}

}  // namespace ipdx::search::internal
