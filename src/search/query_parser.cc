// The query language parser: a lexer and a recursive-descent parser over the grammar of
// docs/query-language.md. Only syntax is checked here; values are checked by the compiler.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "search/query.h"
#include "search/schema.h"

namespace ipdx::search::internal {

namespace {

struct FieldEntry {
  std::string_view name;
  Field field;
};
constexpr FieldEntry kFields[] = {
    {"txt", Field::kTxt},          {"ti", Field::kTitle},       {"ab", Field::kAbstract},
    {"cl", Field::kClaims},        {"de", Field::kDescription}, {"pa", Field::kApplicant},
    {"in", Field::kInventor},      {"ipc", Field::kIpc},        {"cpc", Field::kCpc},
    {"pn", Field::kPubNumber},     {"an", Field::kAppNumber},   {"cc", Field::kOffice},
    {"kind", Field::kKind},        {"pd", Field::kPubDate},     {"ad", Field::kAppDate},
    {"prd", Field::kPriorityDate},
};
constexpr std::string_view kFieldList = "txt ti ab cl de pa in ipc cpc pn an cc kind pd ad prd";

// Deeper nesting is refused rather than risking the stack on hostile input.
constexpr int kMaxDepth = 64;

enum class Tok {
  kWord,
  kPhrase,
  kLParen,
  kRParen,
  kField,
  kAnd,
  kOr,
  kNot,
  kMinus,
  kNear,
  kAdj,
  kEnd
};

struct LexToken {
  Tok type = Tok::kEnd;
  size_t pos = 0;
  size_t end = 0;
  std::string text;
  Field field = Field::kTxt;
  Cmp cmp = Cmp::kEq;
  int distance = 0;
  bool wildcard = false;
  bool has_boost = false;
  double boost = 1.0;
};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

const FieldEntry* FindField(std::string_view name) {
  const std::string lower = LowerAscii(name);
  for (const FieldEntry& entry : kFields) {
    if (entry.name == lower) return &entry;
  }
  return nullptr;
}

// Byte length of a whitespace character at q[i]: ASCII spaces, NO-BREAK SPACE, the U+2000..U+200A
// spaces, NARROW NO-BREAK SPACE and IDEOGRAPHIC SPACE (typed by CJK input methods); 0 otherwise.
size_t SpaceLen(std::string_view q, size_t i) {
  const auto b = [&](size_t k) { return k < q.size() ? static_cast<unsigned char>(q[k]) : 0u; };
  const unsigned c = b(i);
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return 1;
  if (c == 0xC2 && b(i + 1) == 0xA0) return 2;
  if (c == 0xE3 && b(i + 1) == 0x80 && b(i + 2) == 0x80) return 3;
  if (c == 0xE2 && b(i + 1) == 0x80 &&
      ((b(i + 2) >= 0x80 && b(i + 2) <= 0x8A) || b(i + 2) == 0xAF)) {
    return 3;
  }
  return 0;
}

// Byte length of a double quotation mark at q[i]: '"', or the typographic “ ” „ that word
// processors substitute; 0 otherwise.
size_t QuoteLen(std::string_view q, size_t i) {
  if (q[i] == '"') return 1;
  if (i + 2 < q.size() && static_cast<unsigned char>(q[i]) == 0xE2 &&
      static_cast<unsigned char>(q[i + 1]) == 0x80) {
    const auto c = static_cast<unsigned char>(q[i + 2]);
    if (c == 0x9C || c == 0x9D || c == 0x9E) return 3;
  }
  return 0;
}

bool EndsWord(std::string_view q, size_t i) {
  const char c = q[i];
  return c == '(' || c == ')' || c == '^' || SpaceLen(q, i) > 0 || QuoteLen(q, i) > 0;
}

size_t CodePoints(std::string_view q, size_t byte_pos) {
  size_t n = 0;
  for (size_t i = 0; i < byte_pos && i < q.size(); ++i) {
    if ((static_cast<unsigned char>(q[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string Quoted(std::string_view s) {
  if (s.size() > 40) return "'" + std::string(CutUtf8(s, 40)) + "…'";
  return "'" + std::string(s) + "'";
}

class Lexer {
 public:
  Lexer(std::string_view q, RawError* error) : q_(q), error_(error) {}

  bool Run(std::vector<LexToken>* out) {
    size_t i = 0;
    while (i < q_.size()) {
      if (const size_t n = SpaceLen(q_, i)) {
        i += n;
        continue;
      }
      const char c = q_[i];
      if (c == '(' || c == ')') {
        LexToken t;
        t.type = c == '(' ? Tok::kLParen : Tok::kRParen;
        t.pos = i;
        t.end = i + 1;
        out->push_back(t);
        ++i;
        continue;
      }
      if (c == '^') {
        if (!Boost(&i, out)) return false;
        continue;
      }
      if (const size_t n = QuoteLen(q_, i)) {
        if (!Phrase(&i, n, out)) return false;
        continue;
      }
      if (c == '-') {
        if (i + 1 >= q_.size() || SpaceLen(q_, i + 1) > 0 || q_[i + 1] == ')' || q_[i + 1] == '-') {
          return Fail(i, "expected a term right after '-' (it excludes what follows)");
        }
        LexToken t;
        t.type = Tok::kMinus;
        t.pos = i;
        t.end = i + 1;
        out->push_back(t);
        ++i;
        continue;
      }
      if (!Word(&i, out)) return false;
    }
    LexToken end;
    end.type = Tok::kEnd;
    end.pos = end.end = q_.size();
    out->push_back(end);
    return true;
  }

 private:
  bool Fail(size_t pos, std::string message) {
    error_->byte_pos = pos;
    error_->message = std::move(message);
    return false;
  }

  bool Boost(size_t* i, std::vector<LexToken>* out) {
    const size_t caret = *i;
    if (out->empty() || out->back().end != caret ||
        (out->back().type != Tok::kWord && out->back().type != Tok::kPhrase &&
         out->back().type != Tok::kRParen)) {
      return Fail(caret, "'^' must directly follow a term, a phrase or ')'");
    }
    if (out->back().has_boost) return Fail(caret, "a term has one boost at most");
    size_t j = caret + 1;
    while (j < q_.size() && IsDigit(q_[j])) ++j;
    if (j < q_.size() && q_[j] == '.') {
      ++j;
      while (j < q_.size() && IsDigit(q_[j])) ++j;
    }
    const std::string number(q_.substr(caret + 1, j - caret - 1));
    if (number.empty() || number == "." || !IsDigit(number[0])) {
      return Fail(caret + 1, "expected a number after '^' (a boost such as ^2 or ^0.5)");
    }
    const double value = std::strtod(number.c_str(), nullptr);
    if (!(value > 0) || value > 1000) {
      return Fail(caret + 1, "boost " + number + " is out of range (greater than 0, at most 1000)");
    }
    if (j < q_.size() && !EndsWord(q_, j)) {
      return Fail(j, "expected a space or ')' after the boost ^" + number);
    }
    out->back().has_boost = true;
    out->back().boost = value;
    out->back().end = j;
    *i = j;
    return true;
  }

  bool Phrase(size_t* i, size_t open_len, std::vector<LexToken>* out) {
    const size_t open = *i;
    size_t j = open + open_len;
    size_t close_len = 0;
    while (j < q_.size()) {
      close_len = QuoteLen(q_, j);
      if (close_len > 0) break;
      if (q_[j] == '*') {
        return Fail(j,
                    "truncation '*' is not supported inside a phrase; use ADJ/0 between words, "
                    "e.g. electr* ADJ/0 motor");
      }
      ++j;
    }
    if (close_len == 0) return Fail(open, "unterminated phrase: missing closing '\"'");
    LexToken t;
    t.type = Tok::kPhrase;
    t.pos = open;
    t.end = j + close_len;
    t.text = std::string(q_.substr(open + open_len, j - open - open_len));
    bool blank = true;
    for (size_t k = 0; k < t.text.size();) {
      const size_t n = SpaceLen(t.text, k);
      if (n == 0) {
        blank = false;
        break;
      }
      k += n;
    }
    if (blank) return Fail(open, "empty phrase \"\"");
    out->push_back(std::move(t));
    *i = j + close_len;
    return true;
  }

  bool Word(size_t* i, std::vector<LexToken>* out) {
    const size_t start = *i;
    // Field prefix: letters, then ':' or a comparison ("ti:", "pd>=", "pd:<2015").
    size_t j = start;
    while (j < q_.size() && IsAsciiLetter(q_[j])) ++j;
    if (j > start && j < q_.size() && (q_[j] == ':' || q_[j] == '<' || q_[j] == '>')) {
      const std::string_view name = q_.substr(start, j - start);
      const FieldEntry* entry = FindField(name);
      if (entry == nullptr) {
        return Fail(start,
                    "unknown field " + Quoted(name) + " (fields: " + std::string(kFieldList) + ")");
      }
      LexToken t;
      t.type = Tok::kField;
      t.pos = start;
      t.field = entry->field;
      size_t k = j;
      if (q_[k] == ':') ++k;
      size_t op_pos = k;
      if (k < q_.size() && (q_[k] == '<' || q_[k] == '>')) {
        const bool less = q_[k] == '<';
        ++k;
        const bool equal = k < q_.size() && q_[k] == '=';
        if (equal) ++k;
        t.cmp = less ? (equal ? Cmp::kLe : Cmp::kLt) : (equal ? Cmp::kGe : Cmp::kGt);
        if (!IsDateField(entry->field)) {
          return Fail(op_pos,
                      "comparisons ('<', '>=', ...) apply to the date fields pd, ad and "
                      "prd, not to " +
                          Quoted(entry->name));
        }
      }
      t.end = k;
      out->push_back(std::move(t));
      *i = k;
      return true;
    }
    j = start;
    while (j < q_.size() && !EndsWord(q_, j)) ++j;
    std::string_view word = q_.substr(start, j - start);
    *i = j;
    LexToken t;
    t.pos = start;
    t.end = j;
    const std::string upper = [&] {
      std::string u(word);
      for (char& c : u) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
      return u;
    }();
    if (upper == "AND" || upper == "OR" || upper == "NOT") {
      t.type = upper == "AND" ? Tok::kAnd : upper == "OR" ? Tok::kOr : Tok::kNot;
      t.text = upper;
      out->push_back(std::move(t));
      return true;
    }
    for (const std::string_view op : {std::string_view("NEAR"), std::string_view("ADJ")}) {
      if (upper == op ||
          (upper.starts_with(op) && upper.size() > op.size() && upper[op.size()] == '/')) {
        t.type = op == "NEAR" ? Tok::kNear : Tok::kAdj;
        t.distance = op == "NEAR" ? 5 : 0;
        if (upper.size() > op.size()) {
          const std::string digits = upper.substr(op.size() + 1);
          bool ok = !digits.empty() && digits.size() <= 4;
          for (char c : digits) ok = ok && IsDigit(c);
          if (!ok) {
            return Fail(start + op.size() + 1,
                        "expected a number of words after '" + std::string(op) + "/'");
          }
          t.distance = std::stoi(digits);
          if (t.distance > kMaxDistance) {
            return Fail(start + op.size() + 1, "distance " + digits + " is too large (at most " +
                                                   std::to_string(kMaxDistance) + ")");
          }
        }
        t.text = std::string(op) + "/" + std::to_string(t.distance);
        out->push_back(std::move(t));
        return true;
      }
    }
    t.type = Tok::kWord;
    if (word.ends_with('*')) {
      word.remove_suffix(1);
      t.wildcard = true;
      if (word.empty()) return Fail(start, "'*' needs at least one character before it");
    }
    if (const size_t star = word.find('*'); star != std::string_view::npos) {
      return Fail(start + star, "only right truncation is supported: one '*' at the end of a word");
    }
    t.text = std::string(word);
    out->push_back(std::move(t));
    return true;
  }

  std::string_view q_;
  RawError* error_;
};

class Parser {
 public:
  Parser(std::string_view q, const std::vector<LexToken>& tokens, RawError* error)
      : q_(q), t_(tokens), error_(error) {}

  bool Run(Node* root) {
    if (Peek().type == Tok::kEnd) return Fail(0, "empty query");
    if (!ParseOr(Field::kTxt, root)) return false;
    if (Peek().type == Tok::kRParen) {
      return Fail(Peek().pos, "unexpected ')' without a matching '('");
    }
    if (Peek().type != Tok::kEnd) return Fail(Peek().pos, "unexpected " + Text(Peek()));
    return true;
  }

 private:
  const LexToken& Peek() const { return t_[i_]; }
  void Advance() {
    if (t_[i_].type != Tok::kEnd) ++i_;
  }
  bool Fail(size_t pos, std::string message) {
    error_->byte_pos = pos;
    error_->message = std::move(message);
    return false;
  }
  std::string Text(const LexToken& t) const {
    if (t.type == Tok::kEnd) return "end of query";
    return Quoted(q_.substr(t.pos, t.end - t.pos));
  }
  static bool StartsOperand(Tok type) {
    return type == Tok::kWord || type == Tok::kPhrase || type == Tok::kLParen ||
           type == Tok::kField || type == Tok::kNot || type == Tok::kMinus;
  }

  bool ParseOr(Field field, Node* out) {
    if (Peek().type == Tok::kOr) return Fail(Peek().pos, "'OR' needs a term before it");
    Node first;
    if (!ParseAnd(field, &first)) return false;
    if (Peek().type != Tok::kOr) {
      *out = std::move(first);
      return true;
    }
    Node node;
    node.kind = NodeKind::kOr;
    node.pos = first.pos;
    node.field = field;
    node.children.push_back(std::move(first));
    while (Peek().type == Tok::kOr) {
      Advance();
      if (!StartsOperand(Peek().type)) {
        return Fail(Peek().pos, "expected a term after 'OR', found " + Text(Peek()));
      }
      Node next;
      if (!ParseAnd(field, &next)) return false;
      node.children.push_back(std::move(next));
    }
    *out = std::move(node);
    return true;
  }

  bool ParseAnd(Field field, Node* out) {
    Node node;
    node.kind = NodeKind::kAnd;
    node.pos = Peek().pos;
    node.field = field;
    const LexToken* pending_and = nullptr;
    while (true) {
      const LexToken& t = Peek();
      if (t.type == Tok::kEnd || t.type == Tok::kRParen || t.type == Tok::kOr) {
        if (pending_and != nullptr) {
          return Fail(t.pos, "expected a term after 'AND', found " + Text(t));
        }
        break;
      }
      if (t.type == Tok::kAnd) {
        if (node.children.empty() && node.excluded.empty()) {
          return Fail(t.pos, "'AND' needs a term before it");
        }
        if (pending_and != nullptr) return Fail(t.pos, "expected a term after 'AND', found 'AND'");
        pending_and = &t;
        Advance();
        continue;
      }
      pending_and = nullptr;
      if (t.type == Tok::kNot || t.type == Tok::kMinus) {
        const std::string what = t.type == Tok::kNot ? "'NOT'" : "'-'";
        Advance();
        if (!StartsOperand(Peek().type) || Peek().type == Tok::kNot || Peek().type == Tok::kMinus) {
          return Fail(Peek().pos, "expected a term after " + what + ", found " + Text(Peek()));
        }
        Node negated;
        if (!ParseProx(field, &negated)) return false;
        node.excluded.push_back(std::move(negated));
        continue;
      }
      if (t.type == Tok::kNear || t.type == Tok::kAdj) {
        return Fail(t.pos, Text(t) + " needs a term before it");
      }
      Node child;
      if (!ParseProx(field, &child)) return false;
      node.children.push_back(std::move(child));
    }
    if (node.children.empty() && node.excluded.empty()) {
      return Fail(Peek().pos, "expected a term, found " + Text(Peek()));
    }
    if (node.children.size() == 1 && node.excluded.empty()) {
      *out = std::move(node.children[0]);
    } else {
      *out = std::move(node);
    }
    return true;
  }

  bool ParseProx(Field field, Node* out) {
    Node first;
    if (!ParsePrimary(field, &first)) return false;
    if (Peek().type != Tok::kNear && Peek().type != Tok::kAdj) {
      *out = std::move(first);
      return true;
    }
    const LexToken head = Peek();
    Node node;
    node.kind = head.type == Tok::kNear ? NodeKind::kNear : NodeKind::kAdj;
    node.distance = head.distance;
    node.pos = first.pos;
    node.value_pos = head.pos;
    node.field = field;
    node.children.push_back(std::move(first));
    while (Peek().type == Tok::kNear || Peek().type == Tok::kAdj) {
      const LexToken op = Peek();
      if (op.type != head.type || op.distance != head.distance) {
        return Fail(op.pos, "one proximity chain uses one operator and distance: " + Text(op) +
                                " follows " + Text(head) + " (combine separate chains with AND)");
      }
      Advance();
      const Tok next = Peek().type;
      if (next != Tok::kWord && next != Tok::kPhrase && next != Tok::kLParen &&
          next != Tok::kField) {
        return Fail(Peek().pos, "expected a word after " + Text(op) + ", found " + Text(Peek()));
      }
      Node child;
      if (!ParsePrimary(field, &child)) return false;
      node.children.push_back(std::move(child));
    }
    *out = std::move(node);
    return true;
  }

  bool MakeTerm(Field field, const LexToken& t, size_t field_pos, Node* out) {
    Node node;
    node.pos = field_pos;
    node.value_pos = t.pos;
    node.field = field;
    node.text = t.text;
    if (t.has_boost) node.boost = t.boost;
    if (IsDateField(field)) {
      if (t.wildcard) {
        return Fail(t.end - 1, "truncation is not supported for dates; use a range such as " +
                                   std::string(FieldName(field)) + ":2015..2016");
      }
      node.kind = NodeKind::kDate;
    } else if (t.wildcard) {
      node.kind = NodeKind::kWildcard;
    } else {
      node.kind = t.type == Tok::kPhrase ? NodeKind::kPhrase : NodeKind::kWord;
    }
    *out = std::move(node);
    return true;
  }

  bool ParsePrimary(Field field, Node* out) {
    const LexToken t = Peek();
    switch (t.type) {
      case Tok::kLParen: {
        if (++depth_ > kMaxDepth) {
          return Fail(t.pos, "parentheses nested too deeply (at most " + std::to_string(kMaxDepth) +
                                 " levels)");
        }
        Advance();
        if (Peek().type == Tok::kRParen) return Fail(Peek().pos, "empty parentheses '()'");
        Node inner;
        if (!ParseOr(field, &inner)) return false;
        if (Peek().type != Tok::kRParen) {
          return Fail(Peek().pos, "expected ')' to close '(' at position " +
                                      std::to_string(CodePoints(q_, t.pos)) + ", found " +
                                      Text(Peek()));
        }
        if (Peek().has_boost) inner.boost *= Peek().boost;
        Advance();
        --depth_;
        *out = std::move(inner);
        return true;
      }
      case Tok::kField: {
        Advance();
        const LexToken v = Peek();
        const std::string name = std::string(FieldName(t.field));
        if (t.cmp != Cmp::kEq) {
          if (v.type != Tok::kWord || v.pos != t.end) {
            return Fail(v.pos, "expected a date right after " + Text(t));
          }
          Node node;
          if (!MakeTerm(t.field, v, t.pos, &node)) return false;
          node.cmp = t.cmp;
          Advance();
          *out = std::move(node);
          return true;
        }
        if (v.pos != t.end ||
            (v.type != Tok::kWord && v.type != Tok::kPhrase && v.type != Tok::kLParen)) {
          return Fail(t.end, "expected a value right after '" + name + ":'");
        }
        if (v.type == Tok::kLParen) return ParsePrimary(t.field, out);
        if (!MakeTerm(t.field, v, t.pos, out)) return false;
        Advance();
        return true;
      }
      case Tok::kWord:
      case Tok::kPhrase:
        if (!MakeTerm(field, t, t.pos, out)) return false;
        Advance();
        return true;
      case Tok::kRParen:
        return Fail(t.pos, "unexpected ')' without a matching '('");
      case Tok::kEnd:
        return Fail(t.pos, "expected a term at the end of the query");
      default:
        return Fail(t.pos, "expected a term, found " + Text(t));
    }
  }

  std::string_view q_;
  const std::vector<LexToken>& t_;
  RawError* error_;
  size_t i_ = 0;
  int depth_ = 0;
};

std::string CmpText(Cmp cmp) {
  switch (cmp) {
    case Cmp::kEq:
      return ":";
    case Cmp::kLt:
      return "<";
    case Cmp::kLe:
      return "<=";
    case Cmp::kGt:
      return ">";
    case Cmp::kGe:
      return ">=";
  }
  return ":";
}

}  // namespace

std::string_view FieldName(Field field) {
  for (const FieldEntry& entry : kFields) {
    if (entry.field == field) return entry.name;
  }
  return "txt";
}

bool IsTextField(Field field) {
  return field == Field::kTxt || field == Field::kTitle || field == Field::kAbstract ||
         field == Field::kClaims || field == Field::kDescription;
}
bool IsNameField(Field field) { return field == Field::kApplicant || field == Field::kInventor; }
bool IsDateField(Field field) {
  return field == Field::kPubDate || field == Field::kAppDate || field == Field::kPriorityDate;
}

Status MakeQueryError(std::string_view query, const RawError& raw, QueryError* out) {
  QueryError error;
  error.position = CodePoints(query, raw.byte_pos);
  error.message = raw.message;
  Status status =
      Status::InvalidArgument("position " + std::to_string(error.position) + ": " + error.message);
  if (out != nullptr) *out = std::move(error);
  return status;
}

bool ParseQuery(std::string_view query, Node* root, RawError* error) {
  std::vector<LexToken> tokens;
  Lexer lexer(query, error);
  if (!lexer.Run(&tokens)) return false;
  Parser parser(query, tokens, error);
  return parser.Run(root);
}

std::string DescribeNode(const Node& node) {
  std::string out;
  auto list = [&](std::string_view name) {
    out = std::string(name) + "(";
    bool first = true;
    for (const Node& child : node.children) {
      if (!first) out += ", ";
      first = false;
      out += DescribeNode(child);
    }
    for (const Node& child : node.excluded) {
      if (!first) out += ", ";
      first = false;
      out += "-" + DescribeNode(child);
    }
    out += ")";
  };
  const std::string field(FieldName(node.field));
  switch (node.kind) {
    case NodeKind::kWord:
      out = field + ":" + node.text;
      break;
    case NodeKind::kPhrase:
      out = field + ":\"" + node.text + "\"";
      break;
    case NodeKind::kWildcard:
      out = field + ":" + node.text + "*";
      break;
    case NodeKind::kDate:
      out = field + CmpText(node.cmp) + node.text;
      break;
    case NodeKind::kAnd:
      list("AND");
      break;
    case NodeKind::kOr:
      list("OR");
      break;
    case NodeKind::kNear:
      list("NEAR/" + std::to_string(node.distance));
      break;
    case NodeKind::kAdj:
      list("ADJ/" + std::to_string(node.distance));
      break;
  }
  if (node.boost != 1.0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "^%g", node.boost);
    out += buf;
  }
  return out;
}

}  // namespace ipdx::search::internal
