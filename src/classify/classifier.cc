// The three models (fastText, kNN over a search index, calibrated ensemble), their training,
// the model folder and evaluation. Formats: docs/classification.md.
#include <fasttext/fasttext.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "classify/classify.h"
#include "classify/ensemble.h"
#include "common/clock.h"
#include "search/search.h"

namespace ipdx::classify {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kLabelPrefix = "__label__";
// Format 2 added main_exponent and the "labelled" lines; format 3 replaced Platt scaling
// (platt_a, platt_b) by the temperatures of the calibrated ensemble. Older models still load, with
// g = 0 (format 1) and both temperatures 1 (formats 1 and 2).
constexpr int kManifestFormat = 3;
// Exponents of the main-label rate tried on the validation split.
constexpr std::array<double, 3> kMainExponents = {0.0, 0.5, 1.0};
// fastText hashes word bigrams into this many rows; the input matrix is (words + buckets) x dim.
constexpr int kBuckets = 50000;
// Ensemble weights tried on the validation split.
constexpr int kWeightSteps = 20;
// A neighbour's secondary symbols weigh half its main one.
constexpr double kSecondaryVote = 0.5;

// English function words and the connecting words of claims ("wherein", "comprising", "said"):
// on a few hundred training documents they dominate fastText's averaged word vectors and say
// nothing about the technology. Sorted, for binary search.
constexpr std::array<std::string_view, 122> kStopWords = {
    "a",        "about",     "above",     "according",  "after",      "again",     "against",
    "all",      "also",      "an",        "and",        "any",        "are",       "as",
    "at",       "be",        "been",      "before",     "being",      "below",     "between",
    "both",     "but",       "by",        "can",        "claim",      "claimed",   "claims",
    "comprise", "comprised", "comprises", "comprising", "consisting", "consists",  "could",
    "did",      "do",        "does",      "during",     "each",       "either",    "for",
    "from",     "further",   "had",       "has",        "have",       "having",    "here",
    "how",      "if",        "in",        "include",    "includes",   "including", "into",
    "is",       "it",        "its",       "itself",     "least",      "may",       "more",
    "most",     "must",      "no",        "nor",        "not",        "of",        "on",
    "one",      "only",      "or",        "other",      "otherwise",  "said",      "same",
    "second",   "so",        "some",      "such",       "than",       "that",      "the",
    "their",    "them",      "then",      "there",      "thereby",    "therefrom", "therein",
    "thereof",  "thereon",   "these",     "they",       "third",      "this",      "those",
    "through",  "thus",      "to",        "under",      "until",      "upon",      "via",
    "was",      "were",      "what",      "when",       "where",      "whereby",   "wherein",
    "whether",  "which",     "while",     "who",        "whom",       "whose",     "with",
    "within",   "without",   "would"};

// fastText splits on whitespace only: lower-case ASCII, turn ASCII punctuation into spaces, drop
// bare numbers (claim numbers, reference numerals), single letters and kStopWords. Bytes >= 0x80
// (other scripts) are kept.
std::vector<std::string> Tokens(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&]() {
    if (cur.empty()) return;
    bool digits = std::all_of(cur.begin(), cur.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits && cur.size() > 1 &&
        !std::binary_search(kStopWords.begin(), kStopWords.end(), std::string_view(cur))) {
      out.push_back(cur);
    }
    cur.clear();
  };
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) {
      cur += ch;
    } else if (c >= 'A' && c <= 'Z') {
      cur += static_cast<char>(c - 'A' + 'a');
    } else {
      flush();
    }
  }
  flush();
  return out;
}

std::string TokenLine(std::string_view text) {
  std::string line;
  for (const std::string& t : Tokens(text)) {
    if (!line.empty()) line += ' ';
    line += t;
  }
  return line;
}

// fastText labels cannot hold spaces: "A61K 31/00" <-> "__label__A61K_31/00".
std::string ToFtLabel(std::string_view label) {
  std::string s(kLabelPrefix);
  for (char c : label) s += c == ' ' ? '_' : c;
  return s;
}
std::string FromFtLabel(std::string_view ft) {
  if (ft.substr(0, kLabelPrefix.size()) == kLabelPrefix) ft.remove_prefix(kLabelPrefix.size());
  std::string s;
  for (char c : ft) s += c == '_' ? ' ' : c;
  return s;
}

// Tab-separated files: tabs, newlines and backslashes in values are escaped.
std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char n = s[++i];
    out += n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n;
  }
  return out;
}
std::vector<std::string> SplitOn(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.emplace_back(s.substr(start, p == std::string_view::npos ? p : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}
std::string JoinSymbols(const std::vector<std::string>& symbols) {
  std::string s;
  for (const std::string& sym : symbols) {
    if (!s.empty()) s += ';';
    s += sym;
  }
  return s;
}

Status WriteFile(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return Status::IOError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot rename " + tmp.string() + ": " + ec.message());
  return Status::Ok();
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> LabelsOf(const std::vector<Scored>& ranked) {
  std::vector<std::string> out;
  out.reserve(ranked.size());
  for (const Scored& s : ranked) out.push_back(s.label);
  return out;
}

// CPU time of the calling thread: suggestion cost that other load on the machine does not inflate.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string FormatDouble(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

std::string ManifestText(const Manifest& m) {
  std::string s;
  auto kv = [&s](std::string_view k, const std::string& v) {
    s += k;
    s += '\t';
    s += Escape(v);
    s += '\n';
  };
  kv("format", std::to_string(kManifestFormat));
  kv("version", m.version);
  kv("level", std::string(LevelName(m.level)));
  kv("seed", std::to_string(m.seed));
  kv("threads", std::to_string(m.threads));
  kv("epochs", std::to_string(m.epochs));
  kv("dim", std::to_string(m.dim));
  kv("word_ngrams", std::to_string(m.word_ngrams));
  kv("learning_rate", FormatDouble(m.learning_rate));
  kv("neighbours", std::to_string(m.neighbours));
  kv("training_documents", std::to_string(m.training_documents));
  kv("validation_documents", std::to_string(m.validation_documents));
  kv("test_documents", std::to_string(m.test_documents));
  kv("labels", std::to_string(m.labels));
  kv("cpc_documents", std::to_string(m.cpc_documents));
  kv("confirmed_symbols", std::to_string(m.confirmed_symbols));
  kv("ensemble_weight", FormatDouble(m.ensemble_weight));
  kv("main_exponent", FormatDouble(m.main_exponent));
  kv("fasttext_temperature", FormatDouble(m.fasttext_temperature));
  kv("ensemble_temperature", FormatDouble(m.ensemble_temperature));
  kv("training_seconds", FormatDouble(m.training_seconds));
  kv("created_at", m.created_at);
  kv("notes", m.notes);
  for (const Scored& p : m.priors) {
    s += "prior\t" + Escape(p.label) + "\t" + FormatDouble(p.score) + "\n";
  }
  for (const Scored& p : m.label_documents) {
    s += "labelled\t" + Escape(p.label) + "\t" + FormatDouble(p.score) + "\n";
  }
  return s;
}

Result<Manifest> ParseManifest(const std::string& text, const std::string& path) {
  Manifest m;
  std::map<std::string, std::string> kv;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f = SplitOn(line, '\t');
    if ((f[0] == "prior" || f[0] == "labelled") && f.size() == 3) {
      char* end = nullptr;
      double count = std::strtod(f[2].c_str(), &end);
      if (end == f[2].c_str()) {
        return Status::Corruption(path + ": bad " + f[0] + " line '" + line + "'");
      }
      (f[0] == "prior" ? m.priors : m.label_documents).push_back({Unescape(f[1]), count});
    } else if (f.size() == 2) {
      kv[f[0]] = Unescape(f[1]);
    } else {
      return Status::Corruption(path + ": bad line '" + line + "'");
    }
  }
  const std::string& format = kv["format"];
  if (format != "1" && format != "2" && format != std::to_string(kManifestFormat)) {
    return Status::Corruption(path + ": manifest format '" + kv["format"] + "', expected 1 to " +
                              std::to_string(kManifestFormat));
  }
  auto num = [&](const char* key, auto* out) -> Status {
    auto it = kv.find(key);
    if (it == kv.end()) return Status::Corruption(path + ": no '" + key + "'");
    try {
      using T = std::remove_pointer_t<decltype(out)>;
      if constexpr (std::is_same_v<T, double>) {
        *out = std::stod(it->second);
      } else {
        *out = static_cast<T>(std::stoll(it->second));
      }
    } catch (const std::exception&) {
      return Status::Corruption(path + ": bad '" + key + "': '" + it->second + "'");
    }
    return Status::Ok();
  };
  m.version = kv["version"];
  Result<Level> level = ParseLevel(kv["level"]);
  if (!level.ok()) return Status::Corruption(path + ": " + level.status().message());
  m.level = *level;
  IPDX_RETURN_IF_ERROR(num("seed", &m.seed));
  IPDX_RETURN_IF_ERROR(num("threads", &m.threads));
  IPDX_RETURN_IF_ERROR(num("epochs", &m.epochs));
  IPDX_RETURN_IF_ERROR(num("dim", &m.dim));
  IPDX_RETURN_IF_ERROR(num("word_ngrams", &m.word_ngrams));
  IPDX_RETURN_IF_ERROR(num("learning_rate", &m.learning_rate));
  IPDX_RETURN_IF_ERROR(num("neighbours", &m.neighbours));
  IPDX_RETURN_IF_ERROR(num("training_documents", &m.training_documents));
  IPDX_RETURN_IF_ERROR(num("validation_documents", &m.validation_documents));
  IPDX_RETURN_IF_ERROR(num("test_documents", &m.test_documents));
  IPDX_RETURN_IF_ERROR(num("labels", &m.labels));
  IPDX_RETURN_IF_ERROR(num("cpc_documents", &m.cpc_documents));
  IPDX_RETURN_IF_ERROR(num("confirmed_symbols", &m.confirmed_symbols));
  IPDX_RETURN_IF_ERROR(num("ensemble_weight", &m.ensemble_weight));
  if (format != "1") IPDX_RETURN_IF_ERROR(num("main_exponent", &m.main_exponent));
  if (format != "1" && format != "2") {
    IPDX_RETURN_IF_ERROR(num("fasttext_temperature", &m.fasttext_temperature));
    IPDX_RETURN_IF_ERROR(num("ensemble_temperature", &m.ensemble_temperature));
    if (!(m.fasttext_temperature > 0) || !(m.ensemble_temperature > 0)) {
      return Status::Corruption(path + ": temperatures must be positive");
    }
  }
  IPDX_RETURN_IF_ERROR(num("training_seconds", &m.training_seconds));
  m.created_at = kv["created_at"];
  m.notes = kv["notes"];
  return m;
}

std::string ExampleLine(const Example& ex) {
  const model::Record& r = ex.record;
  return Escape(r.office) + "\t" + Escape(r.number) + "\t" + Escape(r.kind) + "\t" +
         Escape(r.language) + "\t" + (ex.cpc ? "cpc" : "ipc") + "\t" +
         Escape(JoinSymbols(ex.symbols)) + "\t" + Escape(ExampleText(r)) + "\n";
}

Result<Example> ParseExampleLine(const std::string& line, const std::string& path) {
  std::vector<std::string> f = SplitOn(line, '\t');
  if (f.size() != 7) return Status::Corruption(path + ": bad example line");
  Example ex;
  ex.record.office = Unescape(f[0]);
  ex.record.number = Unescape(f[1]);
  ex.record.kind = Unescape(f[2]);
  ex.record.language = Unescape(f[3]);
  ex.cpc = f[4] == "cpc";
  for (std::string& s : SplitOn(Unescape(f[5]), ';')) {
    if (!s.empty()) ex.symbols.push_back(std::move(s));
  }
  ex.record.abstracts.push_back({ex.record.language, Unescape(f[6])});
  return ex;
}

}  // namespace

struct Classifier::Impl {
  std::string dir;
  Manifest manifest;
  fasttext::FastText fasttext;
  std::unique_ptr<search::Index> knn;
  std::unordered_map<std::string, std::vector<std::string>> knn_symbols;  // id -> symbols

  // fastText one-vs-all probabilities of every label, best first.
  std::vector<Scored> RankFastText(const std::string& text) const;
  // kNN votes: each neighbour's score is shared by its labels (main 1, others kSecondaryVote),
  // normalised by the total score of the neighbours.
  Result<std::vector<Scored>> RankKnn(const std::string& text, const std::string& exclude_id,
                                      std::vector<Neighbour>* neighbours);
  // The mixture of ensemble.h before its last temperature: fastText's distribution at
  // temperature t_ft and kNN's, mixed with weight w and weighed by main_rate^g; sums to 1.
  std::vector<Scored> Combine(const std::vector<Scored>& ft, const std::vector<Scored>& knn,
                              double w, double g, double t_ft) const;
  // How often a label, when a training document has it, is that document's main label, smoothed:
  // (main + 1) / (documents + 2). Filled by Load from the manifest; empty for format-1 models.
  std::unordered_map<std::string, double> main_rate;
  std::vector<TermWeight> Terms(const std::string& text, const std::string& label) const;
};

std::vector<Scored> Classifier::Impl::RankFastText(const std::string& text) const {
  std::vector<Scored> out;
  std::istringstream in(TokenLine(text) + "\n");
  std::vector<std::pair<fasttext::real, std::string>> predictions;
  const int32_t k = std::max<int32_t>(1, fasttext.getDictionary()->nlabels());
  try {
    fasttext.predictLine(in, predictions, k, 0.0);
  } catch (const std::exception&) {
    return out;  // nothing fastText can rank (no known word)
  }
  out.reserve(predictions.size());
  for (const auto& [p, label] : predictions) out.push_back({FromFtLabel(label), p});
  SortScored(&out);
  return out;
}

Result<std::vector<Scored>> Classifier::Impl::RankKnn(const std::string& text,
                                                      const std::string& exclude_id,
                                                      std::vector<Neighbour>* neighbours) {
  search::SimilarRequest request;
  request.text = text;
  request.limit = manifest.neighbours + (exclude_id.empty() ? 0 : 1);
  Result<search::SearchResult> result = knn->Similar(request);
  if (!result.ok()) {
    // A text without a single indexed term finds no neighbour: no vote, not an error.
    if (result.status().code() == StatusCode::kInvalidArgument) return std::vector<Scored>{};
    return result.status();
  }
  std::map<std::string, double> votes;
  double total = 0;
  size_t used = 0;
  for (const search::Hit& hit : result->hits) {
    if (hit.id == exclude_id) continue;
    if (used++ == manifest.neighbours) break;
    auto it = knn_symbols.find(hit.id);
    if (it == knn_symbols.end()) continue;
    const double w = std::max(0.0, hit.score);
    total += w;
    std::vector<std::string> labels = LabelsAt(it->second, manifest.level);
    for (size_t i = 0; i < labels.size(); ++i) votes[labels[i]] += i == 0 ? w : w * kSecondaryVote;
    if (neighbours != nullptr) neighbours->push_back({hit.id, hit.score, it->second});
  }
  std::vector<Scored> out;
  if (total <= 0) return out;
  for (auto& [label, v] : votes) out.push_back({label, v / total});
  SortScored(&out);
  return out;
}

std::vector<Scored> Classifier::Impl::Combine(const std::vector<Scored>& ft,
                                              const std::vector<Scored>& knn, double w, double g,
                                              double t_ft) const {
  return Mix(FastTextDistribution(ft, t_ft), VoteDistribution(knn), w, g, main_rate);
}

std::vector<TermWeight> Classifier::Impl::Terms(const std::string& text,
                                                const std::string& label) const {
  std::vector<TermWeight> out;
  try {
    const int32_t label_id = fasttext.getLabelId(ToFtLabel(label));
    if (label_id < 0) return out;
    std::shared_ptr<const fasttext::DenseMatrix> output = fasttext.getOutputMatrix();
    std::vector<std::string> tokens = Tokens(text);
    if (tokens.empty()) return out;
    // The hidden vector is the mean of the input rows of the line's words (and n-grams, and the
    // end-of-line token); a word's share of a label's logit is its row . output row / count. A
    // word weighs for the label by how much more it adds to this label's logit than to the
    // average label's: what sets the label apart. (The absolute share can be negative for every
    // word when the suggestion rests on the kNN vote, leaving no reason to show.)
    const double n = static_cast<double>(tokens.size() + 1);
    const int64_t labels = output->size(0);
    std::map<std::string, int> counts;
    for (const std::string& t : tokens) {
      if (fasttext.getWordId(t) >= 0) ++counts[t];
    }
    std::map<std::string, double> weights;
    fasttext::Vector vec(fasttext.getDimension());
    for (const auto& [t, count] : counts) {
      fasttext.getWordVector(vec, t);
      double mean = 0;
      for (int64_t j = 0; j < labels; ++j) mean += static_cast<double>(output->dotRow(vec, j));
      mean /= static_cast<double>(std::max<int64_t>(labels, 1));
      weights[t] = (static_cast<double>(output->dotRow(vec, label_id)) - mean) * count / n;
    }
    for (auto& [term, w] : weights) {
      if (w > 0) out.push_back({term, w});
    }
  } catch (const std::exception&) {
    return {};  // an explanation is best effort; the suggestion stands without it
  }
  std::sort(out.begin(), out.end(), [](const TermWeight& a, const TermWeight& b) {
    return a.weight != b.weight ? a.weight > b.weight : a.term < b.term;
  });
  if (out.size() > 10) out.resize(10);
  return out;
}

Classifier::Classifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Classifier::~Classifier() = default;

const Manifest& Classifier::manifest() const { return impl_->manifest; }

Result<Rankings> Classifier::Rank(const std::string& text, size_t limit,
                                  const std::string& exclude_id, Explanation* why) {
  Rankings r;
  r.fasttext = impl_->RankFastText(text);
  IPDX_ASSIGN_OR_RETURN(
      r.knn, impl_->RankKnn(text, exclude_id, why != nullptr ? &why->neighbours : nullptr));
  const Manifest& m = impl_->manifest;
  r.ensemble = Sharpen(
      impl_->Combine(r.fasttext, r.knn, m.ensemble_weight, m.main_exponent, m.fasttext_temperature),
      m.ensemble_temperature);
  if (why != nullptr && !r.ensemble.empty()) why->terms = impl_->Terms(text, r.ensemble[0].label);
  for (auto* v : {&r.fasttext, &r.knn, &r.ensemble}) {
    if (v->size() > limit) v->resize(limit);
  }
  return r;
}

Result<std::vector<Example>> Classifier::HeldOut() const {
  const fs::path path = fs::path(impl_->dir) / "heldout.tsv";
  IPDX_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::vector<Example> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    IPDX_ASSIGN_OR_RETURN(Example ex, ParseExampleLine(line, path.string()));
    out.push_back(std::move(ex));
  }
  return out;
}

Result<std::unique_ptr<Classifier>> Classifier::Load(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound("no classifier model at " + dir);
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  const fs::path root(dir);
  {
    IPDX_ASSIGN_OR_RETURN(std::string text, ReadFile(root / "manifest.tsv"));
    IPDX_ASSIGN_OR_RETURN(impl->manifest, ParseManifest(text, (root / "manifest.tsv").string()));
    std::unordered_map<std::string, double> main_counts;
    for (const Scored& p : impl->manifest.priors) main_counts[p.label] = p.score;
    for (const Scored& l : impl->manifest.label_documents) {
      impl->main_rate[l.label] = (main_counts[l.label] + 1) / (l.score + 2);
    }
  }
  {
    const fs::path path = root / "labels.tsv";
    Result<std::string> text = ReadFile(path);
    if (!text.ok()) return Status::Corruption(dir + ": model folder without labels.tsv");
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      std::vector<std::string> f = SplitOn(line, '\t');
      if (f.size() != 2) return Status::Corruption(path.string() + ": bad line");
      std::vector<std::string> symbols;
      for (std::string& s : SplitOn(Unescape(f[1]), ';')) {
        if (!s.empty()) symbols.push_back(std::move(s));
      }
      impl->knn_symbols[Unescape(f[0])] = std::move(symbols);
    }
  }
  const std::string ft_path = (root / "fasttext.bin").string();
  if (!fs::exists(ft_path, ec))
    return Status::Corruption(dir + ": model folder without fasttext.bin");
  try {
    impl->fasttext.loadModel(ft_path);
  } catch (const std::exception& e) {
    return Status::Corruption(ft_path + ": not a fastText model: " + e.what());
  }
  search::Index::Options options;
  options.read_only = true;
  Result<std::unique_ptr<search::Index>> index =
      search::Index::Open((root / "knn").string(), options);
  if (!index.ok()) {
    return Status::Corruption(dir + ": kNN index: " + index.status().message());
  }
  impl->knn = std::move(index).value();
  return std::unique_ptr<Classifier>(new Classifier(std::move(impl)));
}

Result<std::unique_ptr<Classifier>> Classifier::Train(const Split& split,
                                                      const TrainOptions& options,
                                                      const std::string& dir,
                                                      const std::string& version,
                                                      const std::string& notes) {
  const auto started = std::chrono::steady_clock::now();
  const Level level = options.level;
  auto progress = [&options](std::string_view stage, double f) {
    if (options.on_progress) options.on_progress(stage, f);
  };

  // What the models can learn from.
  std::vector<const Example*> train;
  std::map<std::string, double> main_counts;
  std::map<std::string, double> label_documents;
  std::set<std::string> labels;
  uint64_t cpc_documents = 0;
  for (const Example& ex : split.train) {
    std::vector<std::string> l = LabelsAt(ex.symbols, level);
    if (l.empty() || ExampleText(ex.record).empty()) continue;
    train.push_back(&ex);
    main_counts[l[0]] += 1;
    for (const std::string& x : l) label_documents[x] += 1;
    labels.insert(l.begin(), l.end());
    if (ex.cpc) ++cpc_documents;
  }
  size_t validation = 0;
  for (const Example& ex : split.validation) {
    if (!LabelsAt(ex.symbols, level).empty()) ++validation;
  }
  if (train.size() < kMinTrainingDocuments || validation < kMinValidationDocuments ||
      labels.size() < kMinLabels) {
    return Status::FailedPrecondition(
        "too little data to train a " + std::string(LevelName(level)) +
        " classifier: " + std::to_string(train.size()) + " training and " +
        std::to_string(validation) + " validation documents with a " +
        std::string(LevelName(level)) + " symbol, " + std::to_string(labels.size()) +
        " distinct labels; needed: at least " + std::to_string(kMinTrainingDocuments) +
        " training and " + std::to_string(kMinValidationDocuments) + " validation documents and " +
        std::to_string(kMinLabels) +
        " distinct labels (about 35 classified documents in all, "
        "since 70 % train, 15 % validate and 15 % are held out; ingest more classified records "
        "or pass --extra-data FILE)");
  }

  std::error_code ec;
  if (fs::exists(dir, ec)) return Status::AlreadyExists("model folder " + dir + " exists");
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  const fs::path root(dir);

  // 1. fastText.
  {
    const fs::path input = root / "fasttext.train";
    {
      std::ofstream out(input, std::ios::binary | std::ios::trunc);
      for (const Example* ex : train) {
        for (const std::string& l : LabelsAt(ex->symbols, level)) out << ToFtLabel(l) << ' ';
        out << TokenLine(ExampleText(ex->record)) << '\n';
      }
      out.flush();
      if (!out) return Status::IOError("cannot write " + input.string());
    }
    fasttext::Args args;
    args.input = input.string();
    args.model = fasttext::model_name::sup;
    args.loss = fasttext::loss_name::ova;
    args.dim = options.dim;
    args.epoch = options.epochs;
    args.lr = options.learning_rate;
    args.wordNgrams = options.word_ngrams;
    args.bucket = options.word_ngrams > 1 ? kBuckets : 0;
    args.minCount = 1;
    args.minCountLabel = 1;
    args.minn = 0;
    args.maxn = 0;
    args.thread = std::max(1, options.threads);
    args.seed = options.seed;
    args.verbose = 0;
    fasttext::FastText ft;
    try {
      ft.train(args, [&progress](float p, float, double, double, int64_t) {
        progress("fasttext", static_cast<double>(p));
      });
      ft.saveModel((root / "fasttext.bin").string());
    } catch (const std::exception& e) {
      return Status::Internal(std::string("fastText training failed: ") + e.what());
    }
    fs::remove(input, ec);
    progress("fasttext", 1);
  }

  // 2. kNN: a search index over the training documents, and their symbols.
  {
    IPDX_ASSIGN_OR_RETURN(std::unique_ptr<search::Index> index,
                          search::Index::Open((root / "knn").string()));
    std::string labels_tsv;
    for (size_t i = 0; i < train.size(); ++i) {
      IPDX_RETURN_IF_ERROR(index->Replace(train[i]->record.office, train[i]->record));
      labels_tsv +=
          Escape(train[i]->record.Id()) + "\t" + Escape(JoinSymbols(train[i]->symbols)) + "\n";
      if (i % 256 == 0) progress("knn", static_cast<double>(i) / static_cast<double>(train.size()));
    }
    IPDX_RETURN_IF_ERROR(index->Commit("classifier " + version));
    IPDX_RETURN_IF_ERROR(WriteFile(root / "labels.tsv", labels_tsv));
    progress("knn", 1);
  }

  // 3. The manifest without the ensemble, so the models can be loaded for validation.
  Manifest m;
  m.version = version;
  m.level = level;
  m.seed = options.seed;
  m.threads = std::max(1, options.threads);
  m.epochs = options.epochs;
  m.dim = options.dim;
  m.word_ngrams = options.word_ngrams;
  m.learning_rate = options.learning_rate;
  m.neighbours = options.neighbours;
  m.training_documents = train.size();
  m.validation_documents = validation;
  m.test_documents = split.test.size();
  m.labels = labels.size();
  m.cpc_documents = cpc_documents;
  m.confirmed_symbols = options.confirmed_symbols;
  m.ensemble_weight = 0.5;
  m.created_at = NowUtcIso8601();
  m.notes = notes;
  for (auto& [label, count] : main_counts) m.priors.push_back({label, count});
  SortScored(&m.priors);
  for (auto& [label, count] : label_documents) m.label_documents.push_back({label, count});
  IPDX_RETURN_IF_ERROR(WriteFile(root / "manifest.tsv", ManifestText(m)));
  {
    std::string heldout;
    for (const Example& ex : split.test) heldout += ExampleLine(ex);
    IPDX_RETURN_IF_ERROR(WriteFile(root / "heldout.tsv", heldout));
  }

  // 4. Validation (the validation split only; the test split is never read here):
  //    a. fastText's temperature T_f by the log-loss of the main label (calibration);
  //    b. the ensemble weight w and the main-label exponent g by the mean reciprocal rank of the
  //       main label (a smoother criterion than three-guesses on a few hundred documents; then
  //       three-guesses, then the weight nearest 0.5 and the smaller exponent);
  //    c. the ensemble's temperature T_e by the log-loss of the main label (calibration; it never
  //       reorders labels, so it cannot undo b).
  {
    IPDX_ASSIGN_OR_RETURN(std::unique_ptr<Classifier> c, Load(dir));
    std::vector<std::vector<Scored>> ft, knn;
    std::vector<std::vector<std::string>> gold;
    std::vector<std::string> main;
    size_t done = 0;
    for (const Example& ex : split.validation) {
      std::vector<std::string> g = LabelsAt(ex.symbols, level);
      if (g.empty()) continue;
      const std::string text = ExampleText(ex.record);
      ft.push_back(c->impl_->RankFastText(text));
      IPDX_ASSIGN_OR_RETURN(std::vector<Scored> k,
                            c->impl_->RankKnn(text, ex.record.Id(), nullptr));
      knn.push_back(std::move(k));
      main.push_back(g[0]);
      gold.push_back(std::move(g));
      progress("validation", static_cast<double>(++done) / static_cast<double>(validation));
    }
    const double t_ft = FitTemperature(ft, main, FastTextDistribution);
    // The members' distributions do not depend on w and g: computed once, not per grid point.
    std::vector<std::vector<Scored>> ft_dist, knn_dist;
    ft_dist.reserve(gold.size());
    knn_dist.reserve(gold.size());
    for (size_t i = 0; i < gold.size(); ++i) {
      ft_dist.push_back(FastTextDistribution(ft[i], t_ft));
      knn_dist.push_back(VoteDistribution(knn[i]));
    }
    const auto& main_rate = c->impl_->main_rate;
    double best_w = 0.5, best_g = 0;
    std::tuple<double, double, double, double> best{-1, -1, -1, 0};
    for (double g : kMainExponents) {
      for (int step = 0; step <= kWeightSteps; ++step) {
        const double w = static_cast<double>(step) / kWeightSteps;
        std::vector<std::vector<std::string>> predicted;
        double mrr = 0;
        for (size_t i = 0; i < gold.size(); ++i) {
          predicted.push_back(LabelsOf(Mix(ft_dist[i], knn_dist[i], w, g, main_rate)));
          const auto& p = predicted.back();
          auto hit = std::find(p.begin(), p.end(), gold[i][0]);
          if (hit != p.end()) mrr += 1.0 / static_cast<double>(hit - p.begin() + 1);
        }
        Metrics mt = ComputeMetrics(gold, predicted);
        std::tuple<double, double, double, double> key{mrr, mt.three_guesses, -std::abs(w - 0.5),
                                                       -g};
        if (key > best) {
          best = key;
          best_w = w;
          best_g = g;
        }
      }
    }
    std::vector<std::vector<Scored>> mixed;
    mixed.reserve(gold.size());
    for (size_t i = 0; i < gold.size(); ++i) {
      mixed.push_back(Mix(ft_dist[i], knn_dist[i], best_w, best_g, main_rate));
    }
    size_t calibrated = 0;
    MainLabelLogLoss(mixed, main, &calibrated);
    m.fasttext_temperature = t_ft;
    m.ensemble_weight = best_w;
    m.main_exponent = best_g;
    m.ensemble_temperature = FitTemperature(mixed, main, Sharpen);
    if (calibrated == 0) {
      // No validation document's main label is known to the models: nothing to calibrate on.
      m.notes += m.notes.empty() ? "" : "; ";
      m.notes += "calibration not fitted (no validation main label known to the models)";
    }
  }
  m.training_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  IPDX_RETURN_IF_ERROR(WriteFile(root / "manifest.tsv", ManifestText(m)));
  return Load(dir);
}

Result<Evaluation> Evaluate(Classifier& classifier) {
  const Manifest& m = classifier.manifest();
  IPDX_ASSIGN_OR_RETURN(std::vector<Example> test, classifier.HeldOut());
  Evaluation ev;
  ev.version = m.version;
  ev.trained_level = m.level;
  ev.training_documents = m.training_documents;
  std::vector<Level> levels = {Level::kClass, Level::kSubclass};
  if (m.level == Level::kMainGroup) levels.push_back(Level::kMainGroup);
  const std::vector<std::string> models = {"fasttext", "knn", "ensemble", "majority"};
  // predicted[level][model] and gold[level] per document.
  std::map<Level, std::map<std::string, std::vector<std::vector<std::string>>>> predicted;
  std::map<Level, std::vector<std::vector<std::string>>> gold;
  double seconds = 0;
  for (const Example& ex : test) {
    if (LabelsAt(ex.symbols, m.level).empty()) continue;
    ++ev.test_documents;
    const double t0 = ThreadCpuSeconds();
    // Timed like a suggestion: the three models and the explanation.
    Explanation why;
    IPDX_ASSIGN_OR_RETURN(Rankings r,
                          classifier.Rank(ExampleText(ex.record), 1000, ex.record.Id(), &why));
    seconds += ThreadCpuSeconds() - t0;
    for (Level level : levels) {
      gold[level].push_back(LabelsAt(ex.symbols, level));
      auto& p = predicted[level];
      p["fasttext"].push_back(LabelsOf(Coarsen(r.fasttext, level)));
      p["knn"].push_back(LabelsOf(Coarsen(r.knn, level)));
      p["ensemble"].push_back(LabelsOf(Coarsen(r.ensemble, level)));
      p["majority"].push_back(LabelsOf(Coarsen(m.priors, level)));
    }
  }
  if (ev.test_documents == 0) {
    return Status::FailedPrecondition("model " + m.version +
                                      " holds no held-out test document to evaluate on");
  }
  ev.seconds_per_document = seconds / static_cast<double>(ev.test_documents);
  for (Level level : levels) {
    for (const std::string& model : models) {
      ev.rows.push_back({model, level, ComputeMetrics(gold[level], predicted[level][model])});
    }
  }
  return ev;
}

}  // namespace ipdx::classify
