// ipdx_bench_parse_only: the parse-only ceiling of the ingest benchmark.
//
// Reads the same weekly files as `ipdx ingest`, cuts them into documents with the same boundary
// rule (an `<?xml` declaration followed by white space that starts a line or the file; see
// IsDocumentBoundary in src/codec/splitter_scan.h and bench/ingest/weekly.py) and parses every
// document with pugixml using the parse flags of ipdx's decoder. Nothing else is done with the
// tree: no safety pass, no mapping, no validation, no hashing, no storage. Its throughput is
// the upper bound any pugixml-based ingest can reach on this machine with this many threads.
//
// Usage: ipdx_bench_parse_only [--threads N] [--errors] FILE...
// Prints one JSON object on stdout: documents, parsed, failed, bytes, seconds, threads, flags.
// Exit code 0 when every file could be read (documents that do not parse are counted, not
// fatal), 2 on usage or I/O errors.
//
// Threads: one reader thread splits; with --threads N > 1, N workers parse from a bounded queue
// (so memory stays bounded by a few documents, whatever the file size).
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ipdx::bench {
namespace {

// The call ipdx's decoder makes (src/codec/decode.cc, DecodeXml): load_buffer, which copies the
// bytes and parses the copy, with pugi::parse_default. Keep the two in step.
constexpr unsigned int kParseFlags = pugi::parse_default;
constexpr size_t kChunkBytes = 4u << 20;
constexpr size_t kQueueDocuments = 16;

struct Document {
  std::string bytes;
  std::string file;
  uint64_t offset = 0;
};

struct Counters {
  std::atomic<uint64_t> documents{0};
  std::atomic<uint64_t> parsed{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> bytes{0};
};

// Parses one document exactly as ipdx does and counts the outcome.
void Parse(Document& doc, Counters& counters, bool print_errors) {
  pugi::xml_document tree;
  pugi::xml_parse_result result =
      tree.load_buffer(doc.bytes.data(), doc.bytes.size(), kParseFlags, pugi::encoding_utf8);
  if (result) {
    counters.parsed.fetch_add(1, std::memory_order_relaxed);
  } else {
    counters.failed.fetch_add(1, std::memory_order_relaxed);
    if (print_errors) {
      std::fprintf(stderr, "%s@%llu: %s at byte %lld\n", doc.file.c_str(),
                   static_cast<unsigned long long>(doc.offset), result.description(),
                   static_cast<long long>(result.offset));
    }
  }
}

// A bounded multi-consumer queue; Close() wakes every consumer once the producer is done.
class Queue {
 public:
  void Push(Document doc) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [this] { return items_.size() < kQueueDocuments; });
    items_.push_back(std::move(doc));
    not_empty_.notify_one();
  }
  bool Pop(Document* doc) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [this] { return closed_ || !items_.empty(); });
    if (items_.empty()) return false;
    *doc = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Document> items_;
  bool closed_ = false;
};

// True when the "<?xml" at buf[pos] starts a document: only spaces or tabs before it on its
// line, back to `floor` (the start of the current document).
bool IsBoundary(std::string_view buf, size_t pos, size_t floor) {
  size_t i = pos;
  while (i > floor && (buf[i - 1] == ' ' || buf[i - 1] == '\t')) --i;
  return i == floor || buf[i - 1] == '\n' || buf[i - 1] == '\r';
}

size_t FindDeclaration(std::string_view buf, size_t from) {
  while (true) {
    size_t p = buf.find("<?xml", from);
    if (p == std::string_view::npos || p + 5 >= buf.size()) return std::string_view::npos;
    char c = buf[p + 5];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return p;
    from = p + 1;
  }
}

// Streams `path` and hands each document (leading blank bytes dropped) to `sink`. Returns false
// on an I/O error.
template <typename Sink>
bool SplitFile(const std::string& path, Sink&& sink) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    std::fprintf(stderr, "parse_only: cannot open %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  std::string name = path.substr(path.find_last_of('/') + 1);
  std::string buf;
  uint64_t base = 0;  // file offset of buf[0]
  size_t doc_start = 0, scan_from = 0;
  bool first = true, eof = false;
  auto emit = [&](size_t begin, size_t end) {
    while (begin < end &&
           (buf[begin] == ' ' || buf[begin] == '\t' || buf[begin] == '\r' || buf[begin] == '\n')) {
      ++begin;
    }
    if (begin < end) sink(Document{buf.substr(begin, end - begin), name, base + begin});
  };
  std::vector<char> chunk(kChunkBytes);
  while (true) {
    if (!eof) {
      size_t n = std::fread(chunk.data(), 1, chunk.size(), f.get());
      if (n > 0) buf.append(chunk.data(), n);
      if (n < chunk.size()) {
        if (std::ferror(f.get())) {
          std::fprintf(stderr, "parse_only: read error in %s\n", path.c_str());
          return false;
        }
        eof = true;
      }
    }
    if (first && buf.size() >= 3) {
      if (buf.compare(0, 3, "\xEF\xBB\xBF") == 0) doc_start = scan_from = 3;
      first = false;
    }
    std::string_view view(buf);
    for (size_t p; (p = FindDeclaration(view, scan_from)) != std::string_view::npos;) {
      scan_from = p + 5;
      if (p > doc_start && IsBoundary(view, p, doc_start)) {
        emit(doc_start, p);
        doc_start = p;
      }
    }
    if (eof) {
      emit(doc_start, buf.size());
      return true;
    }
    // A declaration cut by the chunk end starts within the last 5 bytes.
    if (buf.size() > 5 && scan_from < buf.size() - 5) scan_from = buf.size() - 5;
    if (doc_start > 0) {  // keep only the current document in memory
      buf.erase(0, doc_start);
      base += doc_start;
      scan_from -= doc_start;
      doc_start = 0;
    }
  }
}

int Run(int argc, char** argv) {
  int threads = 1;
  bool print_errors = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--errors") {
      print_errors = true;
    } else if (a.starts_with("--")) {
      std::fprintf(stderr, "usage: ipdx_bench_parse_only [--threads N] [--errors] FILE...\n");
      return 2;
    } else {
      files.emplace_back(a);
    }
  }
  if (files.empty() || threads < 1 || threads > 1024) {
    std::fprintf(stderr, "usage: ipdx_bench_parse_only [--threads N] [--errors] FILE...\n");
    return 2;
  }

  Counters counters;
  bool io_ok = true;
  auto start = std::chrono::steady_clock::now();
  if (threads == 1) {
    for (const auto& path : files) {
      io_ok &= SplitFile(path, [&](Document doc) {
        counters.documents.fetch_add(1, std::memory_order_relaxed);
        counters.bytes.fetch_add(doc.bytes.size(), std::memory_order_relaxed);
        Parse(doc, counters, print_errors);
      });
    }
  } else {
    Queue queue;
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        Document doc;
        while (queue.Pop(&doc)) Parse(doc, counters, print_errors);
      });
    }
    for (const auto& path : files) {
      io_ok &= SplitFile(path, [&](Document doc) {
        counters.documents.fetch_add(1, std::memory_order_relaxed);
        counters.bytes.fetch_add(doc.bytes.size(), std::memory_order_relaxed);
        queue.Push(std::move(doc));
      });
    }
    queue.Close();
    workers.clear();  // joins
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"documents\": %llu, \"parsed\": %llu, \"failed\": %llu, \"bytes\": %llu, "
      "\"seconds\": %.6f, \"threads\": %d, \"flags\": \"0x%x\", \"pugixml\": %d}\n",
      static_cast<unsigned long long>(counters.documents.load()),
      static_cast<unsigned long long>(counters.parsed.load()),
      static_cast<unsigned long long>(counters.failed.load()),
      static_cast<unsigned long long>(counters.bytes.load()), seconds, threads, kParseFlags,
      PUGIXML_VERSION);
  return io_ok ? 0 : 2;
}

}  // namespace
}  // namespace ipdx::bench

int main(int argc, char** argv) { return ipdx::bench::Run(argc, argv); }
