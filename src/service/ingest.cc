// service::Ingest: read -> decode + validate (worker threads) -> store (this thread, in order).
//
// Threads and memory. One producer thread streams documents out of the inputs, N workers decode
// and validate them and encode each record to store (content hash and record JSON,
// codec::EncodeForStore), and the calling thread writes them to the store in input order (the
// store is externally synchronised, and input order makes versions deterministic); the writer is
// the one serial stage, so it does nothing a worker can do. All documents between
// the producer and the writer live in one window that is bounded both in count and in source
// bytes, so memory does not grow with the input size and a slow document cannot make the others
// pile up behind it.
//
// The search index is written on a thread of its own (service::IngestIndexer), from what the
// store has committed, so storing and indexing run at the same time.
//
// Crash safety. Each batch (records, rejects and the run's counts) is one store transaction.
// After a kill the store is at the last committed batch; the re-run finds the committed documents
// unchanged (same content hash) and their rejects already present (same source hash and rule).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "codec/codec.h"
#include "common/clock.h"
#include "service/file_util.h"
#include "service/ledger.h"
#include "service/search.h"
#include "service/service.h"
#include "validate/validate.h"

namespace ipdx::service {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Window bounds. 32 MiB of source bytes in flight (counted with the document that would enter)
// keeps peak memory (source + decoded records + parser state of the documents being decoded) far
// below 256 MiB; one document larger than the budget is still let through alone.
constexpr uint64_t kMaxInflightBytes = 32ull << 20;
constexpr size_t kMinInflightDocs = 16;
constexpr auto kProgressInterval = std::chrono::milliseconds(100);
// Rule stored when a decoder returns neither a record nor an error finding (docs/formats/store.md).
constexpr const char* kNoRecordRule = "INGEST-1";

struct InputFile {
  std::string path;
  uint64_t size = 0;
};

bool IsHidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

// Documentation that travels with data sets (README.md, PROVENANCE.md, LICENSE) is not a
// document. Inside a folder such files are skipped and listed in the summary; a file named
// explicitly on the command line is always read.
bool IsDocumentationFile(const fs::path& p) {
  std::string name = p.filename().string();
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name.ends_with(".md") || name.starts_with("license") || name.starts_with("readme") ||
         name.starts_with("copying");
}

// Expands the inputs into files: folders recursively in sorted order without hidden files or
// folders, given files as they are. Checks everything before anything is written.
Result<std::vector<InputFile>> ExpandPaths(const std::vector<std::string>& paths,
                                           std::vector<std::string>* skipped) {
  std::vector<InputFile> out;
  for (const std::string& path : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      if (ec && ec != std::errc::no_such_file_or_directory) {
        return Status::IOError("cannot access " + path + ": " + ec.message());
      }
      return Status::NotFound("no such file or folder: " + path);
    }
    if (fs::is_regular_file(st)) {
      uint64_t size = fs::file_size(path, ec);
      if (ec) return Status::IOError("cannot read the size of " + path + ": " + ec.message());
      out.push_back({path, size});
      continue;
    }
    if (!fs::is_directory(st)) {
      return Status::InvalidArgument(path + " is neither a file nor a folder");
    }
    std::vector<InputFile> found;
    fs::recursive_directory_iterator it(path, fs::directory_options::none, ec);
    if (ec) return Status::IOError("cannot list " + path + ": " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return Status::IOError("cannot list " + path + ": " + ec.message());
      const fs::directory_entry& entry = *it;
      if (IsHidden(entry.path())) {
        if (entry.is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (!entry.is_regular_file(ec)) continue;
      if (IsDocumentationFile(entry.path())) {
        skipped->push_back(entry.path().string());
        continue;
      }
      uint64_t size = entry.file_size(ec);
      if (ec) {
        return Status::IOError("cannot read the size of " + entry.path().string() + ": " +
                               ec.message());
      }
      found.push_back({entry.path().string(), size});
    }
    if (ec) return Status::IOError("cannot list " + path + ": " + ec.message());
    std::sort(found.begin(), found.end(),
              [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
    out.insert(out.end(), std::make_move_iterator(found.begin()),
               std::make_move_iterator(found.end()));
  }
  return out;
}

const model::Finding* FirstError(const std::vector<model::Finding>& findings) {
  for (const model::Finding& f : findings) {
    if (f.severity == model::Severity::kError) return &f;
  }
  return nullptr;
}

// One document on its way from the producer to the writer.
struct WorkItem {
  codec::RawDocument raw;
  uint64_t raw_size = 0;  // raw.bytes.size() before the worker frees the bytes
  size_t file_index = 0;
  // Filled by a worker.
  codec::Decoded decoded;
  // For a record to store (no error finding): its content hash and JSON, computed by the worker
  // so that the writer thread only writes (store::Store::PutEncodedRecord).
  std::optional<codec::EncodedRecord> encoded;
  bool done = false;
};

// The shared state of the pipeline. Every member is guarded by `mu`.
class Pipeline {
 public:
  Pipeline(std::vector<InputFile> files, size_t max_docs, std::string ingested_at)
      : files_(std::move(files)), max_docs_(max_docs), ingested_at_(std::move(ingested_at)) {}

  // Producer thread: streams every document into the window.
  void Produce() {
    uint64_t completed_bytes = 0;
    for (size_t i = 0; i < files_.size(); ++i) {
      const InputFile& file = files_[i];
      auto splitter = codec::DocumentSplitter::Open(file.path);
      if (!splitter.ok()) return FailProducer(splitter.status().WithContext(file.path));
      for (;;) {
        auto next = (*splitter)->Next();
        if (!next.ok()) return FailProducer(next.status().WithContext(file.path));
        if (!next->has_value()) break;
        auto item = std::make_unique<WorkItem>();
        item->raw = std::move(**next);
        item->raw_size = item->raw.bytes.size();
        item->file_index = i;
        bytes_done_.store(completed_bytes + std::min((*splitter)->bytes_done(), file.size));
        std::unique_lock lock(mu_);
        space_cv_.wait(lock, [&] {
          return abort_ || window_.empty() ||
                 (window_.size() < max_docs_ &&
                  inflight_bytes_ + item->raw_size <= kMaxInflightBytes);
        });
        if (abort_) return;
        inflight_bytes_ += item->raw_size;
        window_.push_back(std::move(item));
        ++produced_;
        work_cv_.notify_one();
      }
      completed_bytes += file.size;
      bytes_done_.store(completed_bytes);
    }
    std::lock_guard lock(mu_);
    producer_done_ = true;
    work_cv_.notify_all();
    done_cv_.notify_all();
  }

  // Worker thread: decodes and validates documents until the input ends or the run aborts.
  void Work() {
    for (;;) {
      WorkItem* item = nullptr;
      {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [&] { return abort_ || next_decode_ < produced_ || producer_done_; });
        if (abort_ || next_decode_ >= produced_) return;  // aborted, or input ended
        item = window_[next_decode_ - written_].get();
        ++next_decode_;
      }
      try {
        item->decoded = codec::Decode(item->raw);
        codec::Decoded& d = item->decoded;
        if (d.record) validate::Validate(*d.record, &d.findings);
        if (d.record && FirstError(d.findings) == nullptr) {
          // To be stored: everything left is a warning, kept with the record; the record is
          // complete but for version and hash, which the store decides.
          d.record->findings = std::move(d.findings);
          d.findings.clear();
          d.record->source.ingested_at = ingested_at_;
          item->encoded = codec::EncodeForStore(*d.record);
        }
        // Only the hash and position are needed from here on; free the bytes early.
        std::string().swap(item->raw.bytes);
      } catch (const std::exception& e) {
        std::lock_guard lock(mu_);
        FailWorker(Status::Internal("decoding " + item->raw.file + " at offset " +
                                    std::to_string(item->raw.offset) + ": " + e.what()));
        return;
      }
      std::lock_guard lock(mu_);
      item->done = true;
      done_cv_.notify_all();
    }
  }

  // Writer: the next document in input order, or nullptr at the end of the input or after a
  // worker failure (check status() then). After a producer failure the documents read before it
  // are still handed out: they are complete.
  std::unique_ptr<WorkItem> NextDone() {
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] {
      if (worker_failed_ || abort_) return true;
      if (!window_.empty()) return window_.front()->done;
      return producer_done_;
    });
    if (worker_failed_ || abort_ || window_.empty()) return nullptr;
    std::unique_ptr<WorkItem> item = std::move(window_.front());
    window_.pop_front();
    ++written_;
    inflight_bytes_ -= item->raw_size;
    space_cv_.notify_one();
    return item;
  }

  // Stops every thread (writer error, or the end).
  void Abort() {
    std::lock_guard lock(mu_);
    abort_ = true;
    space_cv_.notify_all();
    work_cv_.notify_all();
    done_cv_.notify_all();
  }

  Status status() {
    std::lock_guard lock(mu_);
    return error_;
  }
  uint64_t bytes_done() const { return bytes_done_.load(); }
  const std::vector<InputFile>& files() const { return files_; }

 private:
  void FailProducer(Status s) {
    std::lock_guard lock(mu_);
    producer_done_ = true;
    if (error_.ok()) error_ = std::move(s);
    work_cv_.notify_all();
    done_cv_.notify_all();
  }
  // Caller holds mu_.
  void FailWorker(Status s) {
    worker_failed_ = true;
    if (error_.ok()) error_ = std::move(s);
    done_cv_.notify_all();
  }

  const std::vector<InputFile> files_;
  const size_t max_docs_;
  const std::string ingested_at_;  // source.ingested_at of every record of the run
  std::atomic<uint64_t> bytes_done_{0};

  std::mutex mu_;
  std::condition_variable space_cv_;              // producer waits for room in the window
  std::condition_variable work_cv_;               // workers wait for documents
  std::condition_variable done_cv_;               // writer waits for the front document
  std::deque<std::unique_ptr<WorkItem>> window_;  // window_[0] is document number written_
  uint64_t produced_ = 0;                         // documents pushed so far
  uint64_t written_ = 0;                          // documents taken by the writer
  uint64_t next_decode_ = 0;                      // next document a worker takes
  uint64_t inflight_bytes_ = 0;
  bool producer_done_ = false;
  bool worker_failed_ = false;
  bool abort_ = false;
  Status error_;
};

// Joins the pipeline threads on every path out of Ingest.
class ThreadGroup {
 public:
  explicit ThreadGroup(Pipeline* p) : pipeline_(p) {}
  ~ThreadGroup() { JoinAll(); }
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;
  template <typename F>
  void Start(F f) {
    threads_.emplace_back(std::move(f));
  }
  void JoinAll() {
    pipeline_->Abort();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  Pipeline* pipeline_;
  std::vector<std::thread> threads_;
};

// Writes one document (record or reject) and counts it.
Status WriteItem(store::Store& store, const std::string& publisher, int64_t run_id, WorkItem& item,
                 IngestSummary* summary) {
  ++summary->documents;
  codec::Decoded& d = item.decoded;
  if (item.encoded) {
    // The worker found no error finding and prepared the record (Pipeline::Work).
    model::Record& record = *d.record;
    IPDX_ASSIGN_OR_RETURN(store::PutResult put,
                          store.PutEncodedRecord(publisher, &record, &*item.encoded));
    switch (put.outcome) {
      case store::PutOutcome::kNew:
        ++summary->accepted;
        break;
      case store::PutOutcome::kUpdated:
        ++summary->updated;
        break;
      case store::PutOutcome::kUnchanged:
        ++summary->unchanged;
        break;
    }
    summary->warnings += record.findings.size();
    return Status::Ok();
  }

  store::RejectRow row;
  row.run_id = run_id;
  row.file = item.raw.file;
  row.offset = item.raw.offset;
  row.source_sha256 = d.source_sha256;
  row.id = d.record ? d.record->Id() : d.id_hint;
  row.format = d.format;
  const model::Finding* error = FirstError(d.findings);
  if (error != nullptr) {
    row.rule = error->rule;
    row.field = error->field;
    row.message = error->message;
  } else {
    row.rule = kNoRecordRule;
    row.message =
        "the document produced no record and no error finding (format '" + d.format + "')";
  }
  IPDX_RETURN_IF_ERROR(store.PutReject(row));
  ++summary->rejected;
  ++summary->rejected_by_rule[row.rule];
  if (summary->rejects.size() < kMaxRejectsInSummary) {
    summary->rejects.push_back(
        {row.file, row.offset, row.id, row.rule, row.field, std::move(row.message)});
  } else {
    summary->rejects_truncated = true;
  }
  return Status::Ok();
}

store::IngestRun RunRow(const IngestSummary& s, const std::string& status) {
  store::IngestRun run;
  run.run_id = s.run_id;
  run.status = status;
  run.documents = s.documents;
  run.accepted = s.accepted;
  run.updated = s.updated;
  run.unchanged = s.unchanged;
  run.rejected = s.rejected;
  return run;
}

std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

}  // namespace

Result<IngestSummary> Ingest(Node& node, const IngestOptions& options) {
  const Clock::time_point start = Clock::now();
  if (options.paths.empty()) return Status::InvalidArgument("ingest: no input paths given");
  if (options.batch_size == 0) return Status::InvalidArgument("ingest: batch_size must be >= 1");
  std::vector<std::string> skipped;
  IPDX_ASSIGN_OR_RETURN(std::vector<InputFile> files, ExpandPaths(options.paths, &skipped));

  uint64_t bytes_total = 0;
  for (const InputFile& f : files) bytes_total += f.size;
  const int threads = options.threads > 0
                          ? options.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));

  store::Store& store = node.store();
  // Without the memory map: the run's reads (the existing versions of what it stores) would keep
  // their mapped pages resident, growing its memory with the database (store.h).
  const store::Store::UnmappedReads unmapped(&store);
  const std::string& publisher = node.config().office;
  IngestSummary summary;
  summary.skipped_files = std::move(skipped);
  IPDX_ASSIGN_OR_RETURN(summary.run_id, store.StartRun(JoinLines(options.paths)));
  const std::string ingested_at = NowUtcIso8601();

  // The index follows the store on a thread of its own (search.h), unless it is left for later.
  std::optional<IngestIndexer> indexer;
  if (options.index) indexer.emplace(node);

  Pipeline pipeline(std::move(files), std::max(kMinInflightDocs, static_cast<size_t>(threads) * 4),
                    ingested_at);
  Status status;
  {
    ThreadGroup group(&pipeline);
    try {
      group.Start([&pipeline] { pipeline.Produce(); });
      for (int i = 0; i < threads; ++i) group.Start([&pipeline] { pipeline.Work(); });
    } catch (const std::system_error& e) {
      status = Status::Internal(std::string("cannot start ingest threads: ") + e.what());
    }

    bool in_txn = false;
    bool store_failed = false;
    size_t in_batch = 0;
    Clock::time_point last_progress = start;
    while (status.ok()) {
      std::unique_ptr<WorkItem> item = pipeline.NextDone();
      if (!item) break;
      if (!in_txn) {
        status = store.Begin();
        if (!status.ok()) {
          store_failed = true;
          break;
        }
        in_txn = true;
      }
      status = WriteItem(store, publisher, summary.run_id, *item, &summary);
      if (status.ok() && ++in_batch >= options.batch_size) {
        status = store.UpdateRun(RunRow(summary, "running"));
        if (status.ok()) status = store.Commit();
        if (status.ok() && indexer) indexer->Committed();
        in_txn = !status.ok();
        in_batch = 0;
      }
      if (!status.ok()) {
        store_failed = true;
        break;
      }
      if (options.on_progress) {
        Clock::time_point now = Clock::now();
        if (now - last_progress >= kProgressInterval) {
          last_progress = now;
          options.on_progress({pipeline.files()[item->file_index].path, pipeline.bytes_done(),
                               bytes_total, summary.documents});
        }
      }
    }
    group.JoinAll();
    if (in_txn) {
      if (store_failed) {
        // The failed statement may have left the batch half-done; the re-run redoes it.
        (void)store.Rollback();
      } else {
        // The end, or a reader/decoder failure: every document written so far is complete.
        Status end = store.UpdateRun(RunRow(summary, "running"));
        if (end.ok()) end = store.Commit();
        if (end.ok() && indexer) indexer->Committed();
        if (!end.ok()) (void)store.Rollback();
        if (status.ok()) status = end;
      }
    }
    if (status.ok()) status = pipeline.status();
  }
  if (indexer) {
    // The store is done; the index may still be catching up.
    const Result<uint64_t> sequence = store.ChangeSequence();
    const uint64_t target = sequence.ok() ? *sequence : 0;
    indexer->Finish(&summary, [&](uint64_t indexed_to) {
      if (!options.on_progress) return;
      options.on_progress(
          {"search index: change " + std::to_string(indexed_to) + " of " + std::to_string(target),
           pipeline.bytes_done(), bytes_total, summary.documents});
    });
  } else {
    summary.index_deferred = true;
  }

  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!status.ok()) {
    (void)store.FinishRun(RunRow(summary, "failed"));
    return status;
  }
  summary.bytes = bytes_total;
  IPDX_RETURN_IF_ERROR(store.FinishRun(RunRow(summary, "finished")));
  // Every batch has committed (durable): sign a checkpoint over the run's log leaves.
  IPDX_ASSIGN_OR_RETURN(SignedCheckpoint checkpoint, UpdateCheckpoint(node));
  summary.checkpoint = std::move(checkpoint.note);
  if (options.on_progress) {
    options.on_progress({pipeline.files().empty() ? std::string() : pipeline.files().back().path,
                         bytes_total, bytes_total, summary.documents});
  }
  return summary;
}

}  // namespace ipdx::service
