// The Index: opening, updating, state and verification, search, facets and similar documents.
// Every Xapian exception is caught here and turned into a Status (search.h).
#include <fcntl.h>
#include <unistd.h>
#include <xapian.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "search/analyzer.h"
#include "search/document.h"
#include "search/query.h"
#include "search/schema.h"
#include "search/search.h"

namespace ipdx::search {

namespace {

namespace fs = std::filesystem;
using internal::Analyzer;
using internal::DocData;
using internal::HighlightTerms;

constexpr std::string_view kMetaFormat = "ipdx.format";
constexpr std::string_view kMetaDocuments = "ipdx.documents";
constexpr std::string_view kMetaMark = "ipdx.mark";
constexpr std::string_view kMetaLangs = "ipdx.langs";
// Text (bytes) and documents between the intermediate commits of a rebuild. Xapian keeps a
// transaction's changes in memory in trees of postings per term whose cost per posting grows with
// their size (cache misses): on the bench corpus (13 KB of text a document) commits every 250,
// 500, 2,000 and 10,000 documents took 39, 42, 51 and 110 CPU seconds for 10,000 documents, with
// 0.27, 0.29, 0.43 and 1.25 GB of memory. Fewer merges do not pay for the bigger trees.
constexpr uint64_t kRebuildCommitTextBytes = 6ull << 20;
constexpr uint64_t kRebuildCommitDocuments = 1000;

// Documents of a sharded rebuild's batch: kRebuildCommitDocuments, or smaller in tests (to get
// many batches and late copies from a small corpus).
std::atomic<uint64_t> rebuild_batch_documents{kRebuildCommitDocuments};

// The text a record gives the indexer, in bytes (what the rebuild's commit budget counts).
uint64_t RecordTextBytes(const model::Record& record) {
  uint64_t bytes = 256;  // identifiers, dates, classifications, names
  for (const auto* texts : {&record.titles, &record.abstracts, &record.descriptions}) {
    for (const model::LangText& t : *texts) bytes += t.text.size();
  }
  for (const model::ClaimSet& set : record.claims) {
    for (const std::string& claim : set.claims) bytes += claim.size();
  }
  return bytes;
}

// fsync of one file or folder (a rebuild is written without syncs, then synced once).
Status SyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + path + " to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IOError("cannot sync " + path);
  return Status::Ok();
}

// Syncs every file of the folder `dir`, then the folder itself.
Status SyncFolder(const std::string& dir) {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) IPDX_RETURN_IF_ERROR(SyncPath(entry.path().string()));
  }
  if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  return SyncPath(dir);
}

Status FromXapian(const Xapian::Error& e, std::string_view what) {
  const std::string message = std::string(what) + ": " + e.get_type() + ": " + e.get_msg();
  const std::string type = e.get_type();
  if (type == "DatabaseCorruptError") {
    return Status::Corruption(message + " (rebuild the index: ipdx reindex)");
  }
  if (type == "DatabaseLockError") {
    return Status::Unavailable(message + " (another process has the index open for writing)");
  }
  if (type == "DatabaseVersionError") {
    return Status::FailedPrecondition(message + " (rebuild the index: ipdx reindex)");
  }
  // A table that cannot be read (truncated, overwritten: "EOF reading block 2") is a damaged
  // index; a real disk failure would make the rebuild fail too, with the I/O error.
  if (type == "DatabaseOpeningError" || type == "DatabaseNotFoundError" ||
      type == "DatabaseError") {
    return Status::Corruption(message + " (damaged or not an index; rebuild: ipdx reindex)");
  }
  if (type == "WildcardError") return Status::InvalidArgument(message);
  if (type == "InvalidArgumentError") return Status::InvalidArgument(message);
  return Status::IOError(message);
}

std::vector<std::string> SplitLangs(const std::string& joined) {
  std::vector<std::string> out;
  std::stringstream in(joined);
  std::string lang;
  while (std::getline(in, lang, ',')) {
    if (!lang.empty()) out.push_back(lang);
  }
  return out;
}

// Merges the ipdx metadata of the shards of a sharded rebuild, which hold disjoint documents:
// document counts add up, stemming languages are united; format and mark are the same in every
// shard (written by the same rebuild).
class ShardCompactor : public Xapian::Compactor {
 public:
  std::string resolve_duplicate_metadata(const std::string& key, size_t num_tags,
                                         const std::string tags[]) override {
    // Glass hands the key as stored in its postlist table, behind a two-byte metadata marker.
    std::string_view name = key;
    if (name.size() >= 2 && name[0] == '\0' && name[1] == '\xc0') name.remove_prefix(2);
    if (name == kMetaDocuments) {
      uint64_t sum = 0;
      for (size_t i = 0; i < num_tags; ++i) sum += std::strtoull(tags[i].c_str(), nullptr, 10);
      return std::to_string(sum);
    }
    if (name == kMetaLangs) {
      std::set<std::string> langs;
      for (size_t i = 0; i < num_tags; ++i) {
        for (std::string& lang : SplitLangs(tags[i])) langs.insert(std::move(lang));
      }
      std::string joined;
      for (const std::string& lang : langs) joined += (joined.empty() ? "" : ",") + lang;
      return joined;
    }
    return tags[0];
  }
};

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

// Counts the values of one slot over the documents the matcher examines. Multi-valued slots hold
// JoinValues lists; each distinct value of a document counts once. With `fold`, values are
// counted case-insensitively and shown as first seen.
class FacetSpy : public Xapian::MatchSpy {
 public:
  FacetSpy(Xapian::valueno slot, bool multi, bool fold) : slot_(slot), multi_(multi), fold_(fold) {}

  void operator()(const Xapian::Document& doc, double /*weight*/) override {
    const std::string value = doc.get_value(slot_);
    if (value.empty()) return;
    if (!multi_) {
      Count(value);
      return;
    }
    std::vector<std::string> values = internal::SplitValues(value);
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (const std::string& v : values) Count(v);
  }

  std::vector<FacetValue> Top(size_t limit, bool by_value_descending) const {
    std::vector<FacetValue> out;
    for (const auto& [key, entry] : counts_) out.push_back({entry.display, entry.count});
    if (by_value_descending) {
      std::sort(out.begin(), out.end(),
                [](const FacetValue& a, const FacetValue& b) { return a.value > b.value; });
    } else {
      std::sort(out.begin(), out.end(), [](const FacetValue& a, const FacetValue& b) {
        return a.count != b.count ? a.count > b.count : a.value < b.value;
      });
    }
    if (out.size() > limit) out.resize(limit);
    return out;
  }

 private:
  struct Entry {
    std::string display;
    uint64_t count = 0;
  };
  void Count(const std::string& value) {
    Entry& entry = counts_[fold_ ? AsciiLower(value) : value];
    if (entry.count == 0) entry.display = value;
    ++entry.count;
  }

  Xapian::valueno slot_;
  bool multi_;
  bool fold_;
  std::unordered_map<std::string, Entry> counts_;
};

}  // namespace

struct Index::Impl {
  std::string path;
  Options options;
  std::unique_ptr<Xapian::WritableDatabase> writable;
  std::unique_ptr<Xapian::Database> readable;
  std::unique_ptr<Analyzer> analyzer;
  std::vector<std::unique_ptr<Analyzer>> builders;  // one per ReplaceMany build thread
  bool in_transaction = false;
  std::set<std::string> langs;
  // A rebuild into a new folder (Index::Rebuild): documents are added without the unique-term
  // lookup of replace_document, unless the hash of their unique term was seen before in this
  // build (then replace_document decides exactly).
  bool fresh_build = false;
  std::unordered_set<uint64_t> built_terms;

  Xapian::Database& db() { return writable ? *writable : *readable; }

  void LoadLangs() {
    langs.clear();
    for (std::string& lang : SplitLangs(db().get_metadata(std::string(kMetaLangs)))) {
      langs.insert(std::move(lang));
    }
  }

  // A read-only index follows the writer's commits.
  void Refresh() {
    if (readable) {
      readable->reopen();
      LoadLangs();
    }
  }

  Status RequireWritable() const {
    if (!writable) return Status::FailedPrecondition("index " + path + " is open read-only");
    return Status::Ok();
  }

  void BeginIfNeeded() {
    if (!in_transaction) {
      // A flushed transaction: nothing reaches the disk before Commit writes it together with the
      // state, so the stored state always describes exactly the committed documents.
      writable->begin_transaction(true);
      in_transaction = true;
    }
  }

  void CancelQuietly() {
    if (!in_transaction) return;
    try {
      writable->cancel_transaction();
    } catch (const Xapian::Error&) {
      // Already failed; the Status of the original error is what the caller sees.
    }
    in_transaction = false;
  }

  Status Put(const std::string& publisher, const model::Record& record, bool replace) {
    IPDX_RETURN_IF_ERROR(RequireWritable());
    IPDX_ASSIGN_OR_RETURN(internal::BuiltDocument built,
                          internal::BuildDocument(analyzer.get(), publisher, record));
    return Insert(std::move(built), publisher, record, replace);
  }

  // Adds a built document (this thread: only the Xapian writes are serialised).
  Status Insert(internal::BuiltDocument built, const std::string& publisher,
                const model::Record& record, bool replace) {
    try {
      if (!replace && writable->term_exists(built.unique_term)) {
        return Status::AlreadyExists("index already holds " + record.Id() + " from publisher " +
                                     publisher);
      }
      BeginIfNeeded();
      if (fresh_build && built_terms.insert(std::hash<std::string>()(built.unique_term)).second) {
        writable->add_document(built.document);
      } else {
        writable->replace_document(built.unique_term, built.document);
      }
      bool new_lang = false;
      for (const std::string& lang : built.stem_langs) new_lang |= langs.insert(lang).second;
      if (new_lang) {
        std::string joined;
        for (const std::string& lang : langs) joined += (joined.empty() ? "" : ",") + lang;
        writable->set_metadata(std::string(kMetaLangs), joined);
      }
      return Status::Ok();
    } catch (const Xapian::Error& e) {
      CancelQuietly();
      LoadLangs();
      return FromXapian(e, "indexing " + record.Id());
    }
  }

  size_t BuildThreads() const {
    if (options.build_threads > 0) return std::min<size_t>(options.build_threads, 16);
    const size_t hardware = std::thread::hardware_concurrency();
    return std::clamp<size_t>(hardware > 1 ? hardware - 1 : 1, 1, 4);
  }

  // Builds items[begin, end) into out[0, end - begin) on `builders.size()` threads (the first
  // share on the calling thread). Never throws: a failure becomes that document's Status.
  void BuildRange(const std::vector<Index::Item>& items, size_t begin, size_t end,
                  std::vector<Result<internal::BuiltDocument>>* out) {
    out->clear();
    for (size_t i = begin; i < end; ++i) out->emplace_back(Status::Internal("not built"));
    const size_t threads = builders.size();
    auto share = [&](size_t t) {
      for (size_t i = begin + t; i < end; i += threads) {
        const Index::Item& item = items[i];
        try {
          (*out)[i - begin] =
              internal::BuildDocument(builders[t].get(), *item.publisher, *item.record);
        } catch (const Xapian::Error& e) {
          (*out)[i - begin] = FromXapian(e, "indexing " + item.record->Id());
        } catch (const std::exception& e) {
          (*out)[i - begin] = Status::Internal("indexing " + item.record->Id() + ": " + e.what());
        }
      }
    };
    std::vector<std::thread> helpers;
    for (size_t t = 1; t < threads; ++t) {
      try {
        helpers.emplace_back(share, t);
      } catch (const std::system_error&) {
        share(t);  // no thread to be had: do that share here
      }
    }
    share(0);
    for (std::thread& helper : helpers) helper.join();
  }

  Status ReplaceMany(const std::vector<Index::Item>& items) {
    IPDX_RETURN_IF_ERROR(RequireWritable());
    while (builders.size() < BuildThreads()) {
      IPDX_ASSIGN_OR_RETURN(std::unique_ptr<Analyzer> builder, Analyzer::Create());
      builders.push_back(std::move(builder));
    }
    // Chunks small enough that the documents built ahead stay a few MB; the next chunk is built
    // in the background while this thread adds the current one.
    constexpr size_t kChunk = 32;
    using Built = std::vector<Result<internal::BuiltDocument>>;
    Built current;
    Built next;
    BuildRange(items, 0, std::min(kChunk, items.size()), &current);
    for (size_t begin = 0; begin < items.size(); begin += kChunk) {
      const size_t end = std::min(begin + kChunk, items.size());
      std::future<void> ahead;
      if (end < items.size()) {
        const size_t next_end = std::min(end + kChunk, items.size());
        try {
          ahead = std::async(std::launch::async,
                             [&, end, next_end] { BuildRange(items, end, next_end, &next); });
        } catch (const std::system_error&) {
          BuildRange(items, end, next_end, &next);  // no thread: build it before adding
        }
      }
      Status status;
      for (size_t i = begin; i < end && status.ok(); ++i) {
        Result<internal::BuiltDocument>& built = current[i - begin];
        status = built.ok() ? Insert(std::move(built).value(), *items[i].publisher,
                                     *items[i].record, /*replace=*/true)
                            : built.status();
      }
      if (ahead.valid()) ahead.get();  // BuildRange does not throw
      if (!status.ok()) return status;
      std::swap(current, next);
    }
    return Status::Ok();
  }

  struct Prepared {
    Xapian::Query query;
    HighlightTerms highlights;
  };

  Result<Prepared> Prepare(std::string_view text, QueryError* error) {
    internal::Node root;
    internal::RawError raw;
    if (!internal::ParseQuery(text, &root, &raw)) return internal::MakeQueryError(text, raw, error);
    internal::CompileContext context;
    context.analyzer = analyzer.get();
    context.stem_langs.assign(langs.begin(), langs.end());
    context.db = &db();
    context.wildcard_limit = options.wildcard_limit;
    Prepared prepared;
    if (!internal::CompileQuery(root, context, &prepared.query, &prepared.highlights, &raw)) {
      return internal::MakeQueryError(text, raw, error);
    }
    return prepared;
  }

  Result<SearchResult> Run(const Xapian::Query& query, const HighlightTerms& highlights,
                           size_t offset, size_t limit, SortOrder sort, bool facets,
                           size_t facet_limit) {
    if (limit > kMaxLimit) {
      return Status::InvalidArgument("limit " + std::to_string(limit) + " is above the maximum " +
                                     std::to_string(kMaxLimit));
    }
    // The spies outlive the Enquire that points at them.
    FacetSpy office(internal::kSlotOffice, false, false);
    FacetSpy ipc(internal::kSlotIpcSubclasses, true, false);
    FacetSpy year(internal::kSlotYear, false, false);
    FacetSpy applicant(internal::kSlotApplicants, true, true);
    Xapian::Enquire enquire(db());
    enquire.set_query(query);
    if (sort == SortOrder::kDateDescending) {
      enquire.set_sort_by_value_then_relevance(internal::kSlotPublicationDate, true);
    } else if (sort == SortOrder::kDateAscending) {
      enquire.set_sort_by_value_then_relevance(internal::kSlotPublicationDate, false);
    }
    if (facets) {
      for (FacetSpy* spy : {&office, &ipc, &year, &applicant}) enquire.add_matchspy(spy);
    }
    const uint64_t check_at_least =
        std::max<uint64_t>(offset + limit, facets ? kFacetSample : kExactTotalUpTo);
    const Xapian::MSet mset = enquire.get_mset(static_cast<Xapian::doccount>(offset),
                                               static_cast<Xapian::doccount>(limit),
                                               static_cast<Xapian::doccount>(check_at_least));
    SearchResult result;
    internal::SnippetMaker snippets(analyzer.get(), highlights);
    result.total = mset.get_matches_estimated();
    result.total_exact = mset.get_matches_lower_bound() == mset.get_matches_upper_bound();
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      const Xapian::Document doc = it.get_document();
      IPDX_ASSIGN_OR_RETURN(DocData data, internal::DecodeDocData(doc.get_data()));
      Hit hit;
      hit.id = data.id;
      hit.publisher = data.publisher;
      hit.score = it.get_weight();
      hit.title = data.title;
      hit.publication_date = data.publication_date;
      hit.office = data.office;
      hit.kind = data.kind;
      hit.snippet = snippets.Make(data);
      result.hits.push_back(std::move(hit));
    }
    if (facets) {
      Facets f;
      f.office = office.Top(facet_limit, false);
      f.ipc_subclass = ipc.Top(facet_limit, false);
      f.year = year.Top(facet_limit, true);
      f.applicant = applicant.Top(facet_limit, false);
      result.facets = std::move(f);
      result.facets_exact = result.total_exact && result.total <= check_at_least;
    }
    return result;
  }

  // Retries once when a read-only index was overwritten by the writer mid-search.
  template <typename F>
  Result<SearchResult> WithRetry(F&& body, std::string_view what) {
    for (int attempt = 0;; ++attempt) {
      try {
        Refresh();
        return body();
      } catch (const Xapian::DatabaseModifiedError& e) {
        if (attempt > 0) return FromXapian(e, what);
      } catch (const Xapian::Error& e) {
        return FromXapian(e, what);
      }
    }
  }

  Result<SearchResult> Similar(const SimilarRequest& request, QueryError* error);
};

Index::Index(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Index::~Index() {
  if (impl_ && impl_->writable) {
    // Uncommitted changes are dropped: the stored state still describes the last commit.
    impl_->CancelQuietly();
    try {
      impl_->writable->close();
    } catch (const Xapian::Error&) {
      // Nothing to report from a destructor; the index state was written by the last Commit.
    }
  }
}

Result<std::unique_ptr<Index>> Index::Open(const std::string& path, const Options& options) {
  IPDX_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, OpenImpl(path, options, 0));
  return std::unique_ptr<Index>(new Index(std::move(impl)));
}

Result<std::unique_ptr<Index::Impl>> Index::OpenImpl(const std::string& path,
                                                     const Options& options, int extra_flags) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  IPDX_ASSIGN_OR_RETURN(impl->analyzer, Analyzer::Create());
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  const bool empty_dir = exists && fs::is_directory(path, ec) && fs::is_empty(path, ec);
  try {
    if (options.read_only) {
      if (!exists) return Status::NotFound("no index at " + path);
      impl->readable = std::make_unique<Xapian::Database>(path);
    } else {
      if (!exists && !options.create_if_missing) return Status::NotFound("no index at " + path);
      // An existing, non-empty folder is opened, never recreated: a damaged index must be reported,
      // not silently replaced by an empty one.
      const int flags =
          extra_flags |
          ((exists && !empty_dir) ? Xapian::DB_OPEN
                                  : (Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS));
      impl->writable = std::make_unique<Xapian::WritableDatabase>(path, flags);
      if (!exists || empty_dir) {
        impl->writable->set_metadata(std::string(kMetaFormat),
                                     std::to_string(internal::kIndexFormat));
        impl->writable->set_metadata(std::string(kMetaDocuments), "0");
        impl->writable->set_metadata(std::string(kMetaMark), "");
        impl->writable->commit();
      }
    }
    const std::string format = impl->db().get_metadata(std::string(kMetaFormat));
    if (format.empty()) {
      return Status::FailedPrecondition("index at " + path +
                                        " has no ipdx format marker: not an ipdx index; rebuild");
    }
    if (format != std::to_string(internal::kIndexFormat)) {
      return Status::FailedPrecondition(
          "index at " + path + " has format " + format + ", this ipdx reads format " +
          std::to_string(internal::kIndexFormat) + ": rebuild (ipdx reindex)");
    }
    impl->LoadLangs();
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "opening index " + path);
  }
  return impl;
}

namespace {

// Opens a new rebuild folder for writing without fsyncs (handed in by Index::Rebuild, which may
// use Index's private open). `fresh_build`: documents are added without the unique-term lookup.
using FreshOpener =
    std::function<Result<std::unique_ptr<Index>>(const std::string& folder, bool fresh_build)>;

// Merges index folders, in the given order, into `dest`: document ids follow on from one folder
// to the next, the ipdx metadata is merged by ShardCompactor.
Status MergeFolders(const std::vector<std::string>& folders, const std::string& dest) {
  try {
    Xapian::Database combined;
    for (const std::string& folder : folders) combined.add_database(Xapian::Database(folder));
    ShardCompactor compactor;
    combined.compact(dest, 0, 0, compactor);
    return Status::Ok();
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "merging the rebuilt index shards into " + dest);
  }
}

// The parallel part of Index::Rebuild. The calling thread reads the source and cuts it into
// batches of the rebuild's commit budget; batch b goes to writer b mod K, one of K threads that
// each own a shard database (DIR/shard-N): text analysis and adding both run on the writer's
// thread, with a commit after every batch (memory stays bounded by K budgets). The caller merges
// the shards in order: the documents are numbered shard by shard, which only the order of equal
// hits (ties in ranking) can show, and which is the same for every rebuild with K writers.
// Long-lived shards rather than a database per batch: Xapian's merge keeps each source's
// postlist chunks, so K sources keep the postlist table as compact as one writer's.
//
// A copy given again after its batch was cut may be in another shard: it goes to `late`
// (DIR/late, written on the calling thread with replace semantics) and the caller replaces it in
// the merged index, where it keeps the place of its first version like Replace does.
//
// Externally synchronised (Run once); the threads it starts are joined before Run returns.
class ShardedBuild {
 public:
  ShardedBuild(std::string dir, std::string mark, FreshOpener open)
      : dir_(std::move(dir)), mark_(std::move(mark)), open_(std::move(open)) {}

  // Reads `source` to its end; the first error (source, indexing, Xapian) stops every writer.
  Status Run(const RecordSource& source, size_t writers) {
    shards_.resize(writers);
    for (size_t w = 0; w < writers; ++w) {
      shards_[w].folder = dir_ + "/shard-" + std::to_string(w);
      try {
        shards_[w].thread = std::thread([this, w] { WriterLoop(w); });
      } catch (const std::system_error&) {
        // No thread: this shard's batches are written on the calling thread.
      }
    }
    Status status = Produce(source);
    {
      std::lock_guard<std::mutex> lock(mu_);
      producing_ = false;
      if (!status.ok() && error_.ok()) error_ = status;
    }
    cv_.notify_all();
    for (Shard& shard : shards_) {
      if (shard.thread.joinable()) shard.thread.join();
      shard.index.reset();  // a shard written on this thread (no thread could be started)
    }
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

  // After a successful Run: the shard folders in order (shards that got no batch have none),
  // and the late copies (null when there were none).
  std::vector<std::string> Folders() const {
    std::vector<std::string> out;
    for (const Shard& shard : shards_) {
      if (shard.used) out.push_back(shard.folder);
    }
    return out;
  }
  std::unique_ptr<Index>& late() { return late_; }
  std::string LateFolder() const { return dir_ + "/late"; }

 private:
  using Batch = std::vector<std::pair<std::string, model::Record>>;
  struct Shard {
    std::string folder;
    std::thread thread;
    std::deque<Batch> queue;       // under mu_
    bool used = false;             // a batch was handed to it (set by the reader)
    std::unique_ptr<Index> index;  // the writer's thread only
  };

  Status Produce(const RecordSource& source) {
    std::unordered_set<uint64_t> earlier;  // unique-term hashes of the batches handed out
    std::vector<uint64_t> current;
    Batch batch;
    uint64_t batch_bytes = 0;
    uint64_t late_documents = 0;
    uint64_t late_bytes = 0;
    uint64_t next_batch = 0;
    std::string publisher;
    model::Record record;
    bool more = true;
    while (more) {
      IPDX_ASSIGN_OR_RETURN(more, source(&publisher, &record));
      if (more) {
        const uint64_t hash =
            std::hash<std::string>()(internal::UniqueTerm(publisher, record.Id()));
        if (earlier.count(hash) > 0) {
          IPDX_RETURN_IF_ERROR(AddLate(publisher, record, &late_documents, &late_bytes));
          continue;
        }
        current.push_back(hash);
        batch_bytes += RecordTextBytes(record);
        batch.emplace_back(std::move(publisher), std::move(record));
      }
      // Each of the K writers holds about one batch being written and one queued, and Xapian's
      // pending changes grow with the batch's text: K batches of 1/K of the one-writer budget keep
      // a sharded rebuild's memory near that of one writer.
      const bool full = batch.size() >= rebuild_batch_documents.load() ||
                        batch_bytes >= kRebuildCommitTextBytes / shards_.size();
      if (!batch.empty() && (full || !more)) {
        earlier.insert(current.begin(), current.end());
        current.clear();
        batch_bytes = 0;
        IPDX_RETURN_IF_ERROR(Hand(next_batch++ % shards_.size(), std::move(batch)));
        batch = Batch();
      }
    }
    if (late_) IPDX_RETURN_IF_ERROR(late_->Commit(mark_));
    return Status::Ok();
  }

  Status AddLate(const std::string& publisher, const model::Record& record, uint64_t* documents,
                 uint64_t* bytes) {
    if (!late_) {
      IPDX_ASSIGN_OR_RETURN(late_, open_(LateFolder(), false));
    }
    IPDX_RETURN_IF_ERROR(late_->Replace(publisher, record).WithContext("rebuild"));
    *bytes += RecordTextBytes(record);
    if (++*documents >= kRebuildCommitDocuments || *bytes >= kRebuildCommitTextBytes) {
      IPDX_RETURN_IF_ERROR(late_->Commit(mark_));
      *documents = 0;
      *bytes = 0;
    }
    return Status::Ok();
  }

  // Queues a batch for shard `w`, waiting while it has one queued already (the reader stays at
  // most one batch a writer ahead).
  Status Hand(size_t w, Batch batch) {
    Shard& shard = shards_[w];
    shard.used = true;
    if (!shard.thread.joinable()) return WriteBatch(w, batch);
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return shard.queue.empty() || !error_.ok(); });
      if (!error_.ok()) return error_;
      shard.queue.push_back(std::move(batch));
    }
    cv_.notify_all();
    return Status::Ok();
  }

  void WriterLoop(size_t w) {
    Shard& shard = shards_[w];
    for (;;) {
      Batch batch;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !shard.queue.empty() || !producing_ || !error_.ok(); });
        if (!error_.ok() || shard.queue.empty()) break;
        batch = std::move(shard.queue.front());
        shard.queue.pop_front();
      }
      cv_.notify_all();  // room in the queue for the reader
      Status status = WriteBatch(w, batch);
      if (!status.ok()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (error_.ok()) error_ = status;
        }
        cv_.notify_all();
        break;
      }
    }
    shard.index.reset();  // closes the shard (its last commit holds every batch)
  }

  // Adds a batch to shard `w` and commits it. Never throws.
  Status WriteBatch(size_t w, const Batch& batch) {
    Shard& shard = shards_[w];
    try {
      if (!shard.index) {
        IPDX_ASSIGN_OR_RETURN(shard.index, open_(shard.folder, true));
      }
      for (const auto& [publisher, record] : batch) {
        IPDX_RETURN_IF_ERROR(shard.index->Replace(publisher, record).WithContext("rebuild"));
      }
      return shard.index->Commit(mark_);
    } catch (const Xapian::Error& e) {
      return FromXapian(e, "rebuilding the index");
    } catch (const std::exception& e) {
      return Status::Internal(std::string("rebuilding the index: ") + e.what());
    }
  }

  const std::string dir_;
  const std::string mark_;
  const FreshOpener open_;
  std::unique_ptr<Index> late_;  // the reader's thread only
  std::vector<Shard> shards_;    // sized before the threads start

  std::mutex mu_;
  std::condition_variable cv_;
  bool producing_ = true;
  Status error_;
};

// Index::Rebuild with one writer: text analysis on helper threads (ReplaceMany), every Xapian
// write on this thread into one database `fresh`, compacted into `compacted`.
Status RebuildSingle(const std::string& fresh, const std::string& compacted,
                     const RecordSource& source, const std::string& mark, const FreshOpener& open) {
  {
    IPDX_ASSIGN_OR_RETURN(std::unique_ptr<Index> index, open(fresh, true));
    // Records are taken in groups so their text analysis runs in parallel (ReplaceMany).
    constexpr size_t kGroup = 256;
    std::vector<std::pair<std::string, model::Record>> group(kGroup);
    std::vector<Index::Item> items;
    uint64_t pending = 0;
    uint64_t pending_bytes = 0;
    bool more = true;
    while (more) {
      size_t n = 0;
      while (n < kGroup) {
        IPDX_ASSIGN_OR_RETURN(more, source(&group[n].first, &group[n].second));
        if (!more) break;
        ++n;
      }
      items.clear();
      for (size_t i = 0; i < n; ++i) {
        items.push_back({&group[i].first, &group[i].second});
        pending_bytes += RecordTextBytes(group[i].second);
      }
      IPDX_RETURN_IF_ERROR(index->ReplaceMany(items).WithContext("rebuild"));
      // Bounded memory: the folder only becomes the index after the final commit and the swap,
      // so intermediate commits are invisible to users.
      pending += n;
      if (pending >= kRebuildCommitDocuments || pending_bytes >= kRebuildCommitTextBytes) {
        IPDX_RETURN_IF_ERROR(index->Commit(""));
        pending = 0;
        pending_bytes = 0;
      }
    }
    IPDX_RETURN_IF_ERROR(index->Commit(mark));
  }
  // The tables were filled in document order with intermediate merges, leaving B-tree blocks
  // part-empty; a compacted copy is about a sixth smaller and quicker to search, for about 2% of
  // the build's time. Compaction keeps the document ids and the metadata (format, state).
  try {
    Xapian::Database(fresh).compact(compacted, Xapian::DBCOMPACT_NO_RENUMBER);
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "compacting the rebuilt index " + fresh);
  }
  return Status::Ok();
}

// Replaces the late copies of a sharded rebuild (ShardedBuild) in the merged index `merged`, in
// their order, and updates its state.
Status ReplaceLateCopies(const std::string& late, const std::string& merged,
                         const std::string& mark) {
  try {
    Xapian::Database copies(late);
    Xapian::WritableDatabase db(merged, Xapian::DB_OPEN | Xapian::DB_NO_SYNC);
    db.begin_transaction(true);
    for (auto it = copies.postlist_begin(""); it != copies.postlist_end(""); ++it) {
      const Xapian::Document doc = copies.get_document(*it);
      Xapian::TermIterator term = doc.termlist_begin();
      term.skip_to(std::string(internal::kPrefixUnique));
      if (term == doc.termlist_end() || !(*term).starts_with(internal::kPrefixUnique)) {
        return Status::Internal("rebuild: a late copy in " + late + " has no unique term");
      }
      db.replace_document(*term, doc);
    }
    std::set<std::string> langs;
    const Xapian::Database& written = db;
    const Xapian::Database& late_copies = copies;
    for (const Xapian::Database* from : {&written, &late_copies}) {
      for (std::string& lang : SplitLangs(from->get_metadata(std::string(kMetaLangs)))) {
        langs.insert(std::move(lang));
      }
    }
    std::string joined;
    for (const std::string& lang : langs) joined += (joined.empty() ? "" : ",") + lang;
    db.set_metadata(std::string(kMetaLangs), joined);
    db.set_metadata(std::string(kMetaDocuments), std::to_string(db.get_doccount()));
    db.set_metadata(std::string(kMetaMark), mark);
    db.commit_transaction();
    db.close();
    return Status::Ok();
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "replacing the late copies of the rebuild in " + merged);
  }
}

// Index::Rebuild with `writers` writer threads (ShardedBuild), merged into `compacted`.
Status RebuildSharded(const std::string& fresh, const std::string& compacted,
                      const RecordSource& source, const std::string& mark, const FreshOpener& open,
                      size_t writers) {
  std::error_code ec;
  fs::create_directories(fresh, ec);
  if (ec) return Status::IOError("cannot create " + fresh + ": " + ec.message());
  ShardedBuild build(fresh, mark, open);
  Status status = build.Run(source, writers);
  if (!status.ok()) {
    build.late().reset();
    fs::remove_all(fresh, ec);  // else the next rebuild removes it
    return status;
  }
  const bool late = build.late() != nullptr;
  build.late().reset();
  std::vector<std::string> folders = build.Folders();
  if (folders.empty()) {  // an empty source: an empty index with the state
    const std::string empty = fresh + "/shard-empty";
    IPDX_ASSIGN_OR_RETURN(std::unique_ptr<Index> index, open(empty, true));
    IPDX_RETURN_IF_ERROR(index->Commit(mark));
    folders.push_back(empty);
  }
  // The merge is also the compaction (B-tree blocks filled), as in RebuildSingle.
  IPDX_RETURN_IF_ERROR(MergeFolders(folders, compacted));
  if (late) IPDX_RETURN_IF_ERROR(ReplaceLateCopies(build.LateFolder(), compacted, mark));
  // The merged state must describe the merged documents (Verify relies on it).
  try {
    Xapian::Database merged(compacted);
    const std::string documents = merged.get_metadata(std::string(kMetaDocuments));
    if (documents != std::to_string(merged.get_doccount()) ||
        merged.get_metadata(std::string(kMetaMark)) != mark) {
      return Status::Internal("rebuild: the merged index holds " +
                              std::to_string(merged.get_doccount()) +
                              " documents but its state says " + documents);
    }
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "checking the merged index " + compacted);
  }
  return Status::Ok();
}

}  // namespace

namespace internal {

// Test seam (declared by index_test.cc): documents a batch of a sharded rebuild holds at most; 0
// restores the default.
void SetRebuildBatchDocumentsForTest(uint64_t documents) {
  rebuild_batch_documents.store(documents > 0 ? documents : kRebuildCommitDocuments);
}

}  // namespace internal

Result<std::unique_ptr<Index>> Index::Rebuild(const std::string& path, const RecordSource& source,
                                              const std::string& mark, const Options& options) {
  if (options.read_only) return Status::InvalidArgument("a rebuild needs a writable index");
  const std::string fresh = path + ".rebuild";
  const std::string compacted = path + ".compact";
  const std::string old = path + ".old";
  std::error_code ec;
  for (const std::string* leftover : {&fresh, &compacted}) {
    fs::remove_all(*leftover, ec);  // left over by an interrupted rebuild
    if (ec) return Status::IOError("cannot remove " + *leftover + ": " + ec.message());
  }
  const size_t hardware = std::thread::hardware_concurrency();
  const size_t writers = options.build_threads > 0 ? std::min<size_t>(options.build_threads, 16)
                                                   : std::clamp<size_t>(hardware, 1, 4);
  // No fsync per commit: the folders are nobody's index until complete, synced once below and
  // renamed into place; a rebuild cut short is removed and redone by the next one.
  const FreshOpener open = [&options](const std::string& folder,
                                      bool fresh_build) -> Result<std::unique_ptr<Index>> {
    Options build_options = options;
    build_options.create_if_missing = true;
    IPDX_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl,
                          OpenImpl(folder, build_options, Xapian::DB_NO_SYNC));
    impl->fresh_build = fresh_build;
    return std::unique_ptr<Index>(new Index(std::move(impl)));
  };
  if (writers > 1) {
    IPDX_RETURN_IF_ERROR(RebuildSharded(fresh, compacted, source, mark, open, writers));
  } else {
    IPDX_RETURN_IF_ERROR(RebuildSingle(fresh, compacted, source, mark, open));
  }
  IPDX_RETURN_IF_ERROR(SyncFolder(compacted).WithContext("rebuild"));
  fs::remove_all(fresh, ec);
  fs::remove_all(old, ec);
  if (fs::exists(path)) {
    fs::rename(path, old, ec);
    if (ec) return Status::IOError("cannot move " + path + " aside: " + ec.message());
  }
  fs::rename(compacted, path, ec);
  if (ec) return Status::IOError("cannot move " + compacted + " to " + path + ": " + ec.message());
  const std::string parent = fs::path(path).parent_path().string();
  IPDX_RETURN_IF_ERROR(SyncPath(parent.empty() ? "." : parent).WithContext("rebuild"));
  fs::remove_all(old, ec);
  return Open(path, options);
}

Status Index::Add(const std::string& publisher, const model::Record& record) {
  return impl_->Put(publisher, record, false);
}

Status Index::Replace(const std::string& publisher, const model::Record& record) {
  return impl_->Put(publisher, record, true);
}

Status Index::ReplaceMany(const std::vector<Item>& items) { return impl_->ReplaceMany(items); }

Status Index::Delete(const std::string& publisher, const std::string& id) {
  IPDX_RETURN_IF_ERROR(impl_->RequireWritable());
  const std::string term = internal::UniqueTerm(publisher, id);
  try {
    if (!impl_->writable->term_exists(term)) {
      return Status::NotFound("index holds no " + id + " from publisher " + publisher);
    }
    impl_->BeginIfNeeded();
    impl_->writable->delete_document(term);
    return Status::Ok();
  } catch (const Xapian::Error& e) {
    impl_->CancelQuietly();
    return FromXapian(e, "deleting " + id);
  }
}

Status Index::Commit(const std::string& mark) {
  IPDX_RETURN_IF_ERROR(impl_->RequireWritable());
  try {
    impl_->BeginIfNeeded();
    Xapian::WritableDatabase& db = *impl_->writable;
    db.set_metadata(std::string(kMetaFormat), std::to_string(internal::kIndexFormat));
    db.set_metadata(std::string(kMetaDocuments), std::to_string(db.get_doccount()));
    db.set_metadata(std::string(kMetaMark), mark);
    db.commit_transaction();
    impl_->in_transaction = false;
    return Status::Ok();
  } catch (const Xapian::Error& e) {
    impl_->CancelQuietly();
    return FromXapian(e, "committing index " + impl_->path);
  }
}

Result<IndexState> Index::State() {
  try {
    impl_->Refresh();
    Xapian::Database& db = impl_->db();
    IndexState state;
    const std::string format = db.get_metadata(std::string(kMetaFormat));
    const std::string documents = db.get_metadata(std::string(kMetaDocuments));
    try {
      state.format = format.empty() ? 0 : std::stoi(format);
      state.documents = documents.empty() ? 0 : std::stoull(documents);
    } catch (const std::exception&) {
      return Status::Corruption("index " + impl_->path + " has a malformed state: format '" +
                                format + "', documents '" + documents + "'");
    }
    state.mark = db.get_metadata(std::string(kMetaMark));
    return state;
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "reading index state");
  }
}

Status Index::Verify(const std::string& expected_mark, uint64_t expected_documents) {
  IPDX_ASSIGN_OR_RETURN(IndexState state, State());
  try {
    if (state.format != internal::kIndexFormat) {
      return Status::FailedPrecondition("index format " + std::to_string(state.format) +
                                        ", this ipdx writes " +
                                        std::to_string(internal::kIndexFormat) + ": rebuild");
    }
    if (impl_->in_transaction) {
      return Status::FailedPrecondition("index has uncommitted changes; Commit before Verify");
    }
    const uint64_t held = impl_->db().get_doccount();
    if (held != state.documents) {
      return Status::Corruption("index holds " + std::to_string(held) +
                                " documents but its last commit recorded " +
                                std::to_string(state.documents) + ": rebuild");
    }
    if (state.mark != expected_mark) {
      return Status::FailedPrecondition("index is behind the store: index at mark '" + state.mark +
                                        "', store at '" + expected_mark + "': rebuild");
    }
    if (held != expected_documents) {
      return Status::FailedPrecondition("index holds " + std::to_string(held) +
                                        " documents, the store " +
                                        std::to_string(expected_documents) + ": rebuild");
    }
    return Status::Ok();
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "verifying index");
  }
}

Status Index::DeepCheck() {
  std::ostringstream report;
  try {
    const size_t errors = Xapian::Database::check(impl_->path, Xapian::DBCHECK_FULL_TREE, &report);
    if (errors > 0) {
      std::string text = report.str();
      if (text.size() > 2000) text = text.substr(text.size() - 2000);
      return Status::Corruption("index " + impl_->path + ": " + std::to_string(errors) +
                                " errors found by the checker: " + text);
    }
    return Status::Ok();
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "checking index " + impl_->path);
  }
}

Result<uint64_t> Index::DocumentCount() {
  try {
    impl_->Refresh();
    return static_cast<uint64_t>(impl_->db().get_doccount());
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "counting index documents");
  }
}

Result<std::vector<std::string>> Index::Languages() {
  try {
    impl_->Refresh();
    return std::vector<std::string>(impl_->langs.begin(), impl_->langs.end());
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "reading index languages");
  }
}

Result<SearchResult> Index::Search(const SearchRequest& request, QueryError* error) {
  return impl_->WithRetry(
      [&]() -> Result<SearchResult> {
        IPDX_ASSIGN_OR_RETURN(Impl::Prepared prepared, impl_->Prepare(request.query, error));
        return impl_->Run(prepared.query, prepared.highlights, request.offset, request.limit,
                          request.sort, request.facets, request.facet_limit);
      },
      "searching");
}

Result<SearchResult> Index::Similar(const SimilarRequest& request, QueryError* error) {
  return impl_->WithRetry([&]() { return impl_->Similar(request, error); }, "similar documents");
}

Result<SearchResult> Index::Impl::Similar(const SimilarRequest& request, QueryError* error) {
  Xapian::Database& database = db();
  std::string text;
  std::string lang = internal::NormalizeLang(request.lang);
  if (!request.id.empty()) {
    const std::string term = request.publisher.empty()
                                 ? std::string(internal::kPrefixId) + request.id
                                 : internal::UniqueTerm(request.publisher, request.id);
    auto it = database.postlist_begin(term);
    if (it == database.postlist_end(term)) {
      return Status::NotFound("no indexed copy of " + request.id +
                              (request.publisher.empty() ? "" : " from " + request.publisher));
    }
    IPDX_ASSIGN_OR_RETURN(DocData data,
                          internal::DecodeDocData(database.get_document(*it).get_data()));
    text = data.title;
    for (const internal::DocSection& section : data.sections) {
      if (section.field == 'a' || section.field == 'c') text += "\n" + section.text;
    }
    if (lang.empty()) lang = data.language.empty() ? data.title_lang : data.language;
  } else if (!request.text.empty()) {
    text = request.text;
  } else {
    return Status::InvalidArgument("similar documents need an id or a text");
  }

  // Term statistics of the example: frequency in the text and document frequency in the index.
  struct Candidate {
    internal::Token token;
    uint64_t tf = 0;
    double score = 0;
  };
  std::map<std::string, Candidate> candidates;
  for (internal::Token& token : analyzer->Tokenize(text)) {
    if (!token.positional) continue;
    // Bare numbers are mostly reference numerals ("10", "12a") and claim numbers: noise.
    bool digits = true;
    for (char c : token.term) digits = digits && c >= '0' && c <= '9';
    if (digits || (!token.cjk && token.term.size() < 2)) continue;
    Candidate& c = candidates[token.term];
    if (c.tf == 0) c.token = token;
    ++c.tf;
  }
  const double n = static_cast<double>(database.get_doccount()) + 1;
  std::vector<Candidate> ranked;
  for (auto& [term, c] : candidates) {
    Xapian::doccount df = 0;
    for (std::string_view prefix : internal::kTextPrefixes) {
      df = std::max(df, database.get_termfreq(std::string(prefix) + term));
    }
    if (df == 0) continue;  // no indexed document has it: cannot contribute
    c.score = (1 + std::log(static_cast<double>(c.tf))) * std::log(n / df);
    if (c.score <= 0) continue;
    ranked.push_back(std::move(c));
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  if (ranked.size() > request.max_terms) ranked.resize(request.max_terms);

  std::vector<std::string> stem_langs;
  if (!lang.empty() && analyzer->HasStemmer(lang)) {
    stem_langs.push_back(lang);
  } else {
    stem_langs.assign(langs.begin(), langs.end());
  }
  const std::vector<std::string_view> prefixes(std::begin(internal::kTextPrefixes),
                                               std::end(internal::kTextPrefixes));
  HighlightTerms highlights;
  std::vector<Xapian::Query> parts;
  for (const Candidate& c : ranked) {
    Xapian::Query q;
    if (c.token.cjk) {
      std::vector<Xapian::Query> terms;
      for (std::string_view prefix : prefixes)
        terms.emplace_back(std::string(prefix) + c.token.term);
      q = Xapian::Query(Xapian::Query::OP_SYNONYM, terms.begin(), terms.end());
      highlights.words.insert(c.token.term);
    } else {
      q = internal::StemmedWordQuery(analyzer.get(), prefixes, stem_langs, c.token, &highlights);
    }
    // The example's term frequency weighs like BM25's query-frequency factor (k3 = 1).
    const double tf = static_cast<double>(c.tf);
    parts.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, q, 2 * tf / (1 + tf));
  }
  Xapian::Query query(Xapian::Query::OP_OR, parts.begin(), parts.end());
  if (parts.empty()) query = Xapian::Query::MatchNothing;
  if (request.exclude_same_id && !request.id.empty()) {
    query = Xapian::Query(Xapian::Query::OP_AND_NOT, query,
                          Xapian::Query(std::string(internal::kPrefixId) + request.id));
  }
  if (!request.restrict_query.empty()) {
    IPDX_ASSIGN_OR_RETURN(Prepared restriction, Prepare(request.restrict_query, error));
    query = Xapian::Query(Xapian::Query::OP_FILTER, query, restriction.query);
  }
  return Run(query, highlights, request.offset, request.limit, SortOrder::kRelevance, false, 0);
}

Status ValidateQuery(std::string_view query, QueryError* error) {
  return ExplainQuery(query, error).status();
}

Result<std::string> ExplainQuery(std::string_view query, QueryError* error) {
  internal::Node root;
  internal::RawError raw;
  if (!internal::ParseQuery(query, &root, &raw)) return internal::MakeQueryError(query, raw, error);
  IPDX_ASSIGN_OR_RETURN(std::unique_ptr<Analyzer> analyzer, Analyzer::Create());
  internal::CompileContext context;
  context.analyzer = analyzer.get();
  Xapian::Query compiled;
  if (!internal::CompileQuery(root, context, &compiled, nullptr, &raw)) {
    return internal::MakeQueryError(query, raw, error);
  }
  return internal::DescribeNode(root);
}

}  // namespace ipdx::search
