// Levels, symbol truncation, examples from records, the deterministic split and the WIPO-alpha
// metrics.
#include <algorithm>
#include <cctype>
#include <string>

#include "classify/classify.h"

namespace ipdx::classify {
namespace {

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// FNV-1a, 64 bits: a stable hash for the split (std::hash may differ between library versions).
uint64_t StableHash(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kClass:
      return "class";
    case Level::kSubclass:
      return "subclass";
    case Level::kMainGroup:
      return "group";
  }
  return "subclass";
}

Result<Level> ParseLevel(std::string_view name) {
  if (name == "class") return Level::kClass;
  if (name == "subclass") return Level::kSubclass;
  if (name == "group" || name == "main-group") return Level::kMainGroup;
  return Status::InvalidArgument("unknown classification level '" + std::string(name) +
                                 "' (expected class, subclass or group)");
}

std::string Truncate(std::string_view symbol, Level level) {
  // Section letter (A-H; Y for CPC tagging), two class digits, subclass letter.
  if (symbol.size() < 3 || !IsUpper(symbol[0]) || !IsDigit(symbol[1]) || !IsDigit(symbol[2])) {
    return {};
  }
  if (level == Level::kClass) return std::string(symbol.substr(0, 3));
  if (symbol.size() < 4 || !IsUpper(symbol[3])) return {};
  if (level == Level::kSubclass) return std::string(symbol.substr(0, 4));
  // "A61K 31/4439": a space, the main group digits, '/'.
  if (symbol.size() < 6 || symbol[4] != ' ') return {};
  size_t i = 5;
  while (i < symbol.size() && IsDigit(symbol[i])) ++i;
  if (i == 5 || i - 5 > 4 || i >= symbol.size() || symbol[i] != '/') return {};
  return std::string(symbol.substr(0, i)) + "/00";
}

std::string ExampleText(const model::Record& record) {
  std::string text;
  auto add = [&text](const std::string& s) {
    if (s.empty()) return;
    if (!text.empty()) text += '\n';
    text += s;
  };
  for (const model::LangText& t : record.titles) add(t.text);
  for (const model::LangText& t : record.abstracts) add(t.text);
  for (const model::ClaimSet& set : record.claims) {
    for (const std::string& claim : set.claims) add(claim);
  }
  return text;
}

std::optional<Example> ExampleFromRecord(const model::Record& record) {
  Example ex;
  ex.record.office = record.office;
  ex.record.number = record.number;
  ex.record.kind = record.kind;
  ex.record.language = record.language;
  ex.record.publication_date = record.publication_date;
  ex.record.titles = record.titles;
  ex.record.abstracts = record.abstracts;
  ex.record.claims = record.claims;
  ex.record.ipc = record.ipc;
  ex.record.cpc = record.cpc;
  if (!record.ipc.empty()) {
    ex.symbols = record.ipc;
  } else {
    ex.symbols = record.cpc;
    ex.cpc = true;
  }
  if (LabelsAt(ex.symbols, Level::kSubclass).empty()) return std::nullopt;
  if (ExampleText(ex.record).empty()) return std::nullopt;
  return ex;
}

std::vector<std::string> LabelsAt(const std::vector<std::string>& symbols, Level level) {
  std::vector<std::string> out;
  for (const std::string& s : symbols) {
    std::string label = Truncate(s, level);
    if (label.empty()) continue;
    if (std::find(out.begin(), out.end(), label) == out.end()) out.push_back(std::move(label));
  }
  return out;
}

Metrics ComputeMetrics(const std::vector<std::vector<std::string>>& gold,
                       const std::vector<std::vector<std::string>>& predicted) {
  Metrics m;
  uint64_t top = 0, three = 0, all = 0;
  for (size_t i = 0; i < gold.size(); ++i) {
    const std::vector<std::string>& g = gold[i];
    if (g.empty()) continue;
    ++m.documents;
    if (i >= predicted.size() || predicted[i].empty()) continue;
    const std::vector<std::string>& p = predicted[i];
    if (p[0] == g[0]) ++top;
    for (size_t k = 0; k < p.size() && k < 3; ++k) {
      if (p[k] == g[0]) {
        ++three;
        break;
      }
    }
    if (std::find(g.begin(), g.end(), p[0]) != g.end()) ++all;
  }
  if (m.documents > 0) {
    const double n = static_cast<double>(m.documents);
    m.top_prediction = static_cast<double>(top) / n;
    m.three_guesses = static_cast<double>(three) / n;
    m.all_categories = static_cast<double>(all) / n;
  }
  return m;
}

Split SplitExamples(std::vector<Example> examples, Level level) {
  Split split;
  for (Example& ex : examples) {
    if (LabelsAt(ex.symbols, level).empty()) continue;
    const uint64_t bucket = StableHash(ex.record.Id()) % 100;
    if (bucket < 70) {
      split.train.push_back(std::move(ex));
    } else if (bucket < 85) {
      split.validation.push_back(std::move(ex));
    } else {
      split.test.push_back(std::move(ex));
    }
  }
  return split;
}

}  // namespace ipdx::classify
