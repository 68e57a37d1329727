// DocumentSplitter: streams documents out of plain XML files, USPTO concatenated weekly files,
// EPO DOCDB bulk files and OPS responses, ipdx JSON lines and .zip archives of any of these.
//
// Memory: the buffer holds the current document plus one read chunk. A document larger than
// kMaxDocumentBytes is not buffered: its first kOversizePrefixBytes are kept (so the reject can
// name the document) and the rest is skipped up to the next document boundary.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "codec/codec.h"
#include "codec/splitter_internal.h"
#include "codec/splitter_scan.h"

namespace ipdx::codec {
namespace internal {
namespace {

constexpr size_t kChunkBytes = 1 << 20;
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kExchNamespace = "http://www.epo.org/exchange";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EndsWithCi(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && Lower(s.substr(s.size() - suffix.size())) == suffix;
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

class FileSource : public ByteSource {
 public:
  FileSource(std::unique_ptr<FILE, FileCloser> f, std::string path)
      : f_(std::move(f)), path_(std::move(path)) {}
  Result<size_t> Read(char* dst, size_t n) override {
    size_t got = std::fread(dst, 1, n, f_.get());
    if (got < n && std::ferror(f_.get())) {
      return Status::IOError("cannot read " + path_ + ": " + std::strerror(errno));
    }
    done_ += got;
    return got;
  }
  uint64_t bytes_done() const { return done_; }

 private:
  std::unique_ptr<FILE, FileCloser> f_;
  std::string path_;
  uint64_t done_ = 0;
};

// Reads the data of the current member of an open archive. Borrows the archive.
class ArchiveMemberSource : public ByteSource {
 public:
  ArchiveMemberSource(struct archive* a, std::string label) : a_(a), label_(std::move(label)) {}
  Result<size_t> Read(char* dst, size_t n) override {
    la_ssize_t got = archive_read_data(a_, dst, n);
    if (got < 0) {
      const char* err = archive_error_string(a_);
      return Status::IOError("cannot read " + label_ + ": " + (err ? err : "archive error"));
    }
    return static_cast<size_t>(got);
  }

 private:
  struct archive* a_;
  std::string label_;
};

}  // namespace

StreamSplitter::StreamSplitter(std::unique_ptr<ByteSource> source, std::string label, bool jsonl,
                               bool archive_member)
    : source_(std::move(source)),
      label_(std::move(label)),
      jsonl_(jsonl),
      archive_member_(archive_member) {}

Status StreamSplitter::Fill() {
  if (eof_) return Status::Ok();
  size_t old = buf_.size();
  buf_.resize(old + kChunkBytes);
  Result<size_t> got = source_->Read(buf_.data() + old, kChunkBytes);
  if (!got.ok()) {
    buf_.resize(old);
    return got.status();
  }
  buf_.resize(old + *got);
  if (*got == 0) eof_ = true;
  return Status::Ok();
}

void StreamSplitter::Discard(size_t n) {
  buf_.erase(0, n);
  base_ += n;
}

RawDocument StreamSplitter::Make(size_t begin, size_t end, std::string hint) const {
  RawDocument doc;
  doc.bytes = buf_.substr(begin, end - begin);
  doc.file = label_;
  doc.offset = base_ + begin;
  doc.hint = std::move(hint);
  return doc;
}

RawDocument StreamSplitter::Oversize(std::string prefix, uint64_t offset, uint64_t size) const {
  RawDocument doc;
  doc.bytes = std::move(prefix);
  doc.file = label_;
  doc.offset = offset;
  doc.hint = std::string(kOversizeHintPrefix) + std::to_string(size);
  return doc;
}

Result<std::optional<RawDocument>> StreamSplitter::Next() {
  if (bulk_) return NextBulk();
  // Everything before pos_ belongs to documents already returned. It is dropped once a chunk's
  // worth has gathered, not after every document: dropping moves the bytes after pos_ (most of a
  // chunk) to the front, which per document of a weekly file moved several times its size.
  if (pos_ >= kChunkBytes) {
    Discard(pos_);
    pos_ = 0;
  }
  for (;;) {
    while (pos_ < buf_.size() && IsSpace(buf_[pos_])) ++pos_;
    if (pos_ + 3 > buf_.size() && !eof_) {
      IPDX_RETURN_IF_ERROR(Fill());
      continue;
    }
    if (std::string_view(buf_).substr(pos_, 3) == kBom) {
      pos_ += 3;
      continue;
    }
    if (pos_ < buf_.size() || eof_) break;
  }
  if (pos_ >= buf_.size()) {
    if (!yielded_any_ && !archive_member_) {
      // An empty file is reported (Decode rejects it) rather than ignored silently.
      yielded_any_ = true;
      return std::optional<RawDocument>(Make(0, buf_.size(), ""));
    }
    return std::optional<RawDocument>();
  }
  char first = buf_[pos_];
  if (!jsonl_ && first == '{' && !yielded_any_ && !FirstLineIsJsonValue()) {
    // One pretty-printed JSON record (as `ipdx export --format json` writes): the whole file
    // is one document.
    return NextRaw();
  }
  if (jsonl_ || (first == '{' && !yielded_any_)) {
    jsonl_ = true;
    yielded_any_ = true;
    return NextJsonLine();
  }
  if (first != '<') {
    if (archive_member_) return std::optional<RawDocument>();  // *lst.txt and the like
    return NextRaw();
  }
  // Find the root element: it decides between one document per XML declaration and a bulk
  // container whose children are the documents.
  size_t p = pos_;
  Token root;
  for (;;) {
    if (p >= buf_.size()) {
      if (eof_) break;
      IPDX_RETURN_IF_ERROR(Fill());
      continue;
    }
    Token tok = NextToken(buf_, p, eof_);
    if (tok.type == TokenType::kIncomplete) {
      if (eof_ || p - pos_ > kMaxDocumentBytes) break;
      IPDX_RETURN_IF_ERROR(Fill());
      continue;
    }
    if (tok.type == TokenType::kStartTag || tok.type == TokenType::kEmptyTag) {
      root = tok;
      root_tag_begin_ = p;
      break;
    }
    if (tok.type == TokenType::kStray) break;
    if (tok.type == TokenType::kText &&
        std::any_of(buf_.begin() + p, buf_.begin() + tok.end, [](char c) { return !IsSpace(c); })) {
      break;
    }
    p = tok.end;
  }
  if (archive_member_ && !yielded_any_) {
    std::string head = Lower(std::string_view(buf_).substr(pos_, 64));
    if (EndsWithCi(label_, ".html") || EndsWithCi(label_, ".htm") ||
        head.starts_with("<!doctype html") || head.starts_with("<html")) {
      return std::optional<RawDocument>();  // *rpt.html reports in USPTO weekly zips
    }
  }
  yielded_any_ = true;
  root_name_ = std::string(root.name);
  if (root.type == TokenType::kStartTag && (SplitLocalName(root.name) == "exchange-documents" ||
                                            SplitLocalName(root.name) == "world-patent-data")) {
    bulk_ = true;
    bulk_doc_start_ = pos_;
    bulk_depth_ = 1;
    bulk_yielded_ = false;
    bulk_oversize_ = false;
    frag_start_ = std::string::npos;
    ns_stack_.clear();
    ns_stack_.push_back(NamespaceDeclarations(std::string_view(buf_).substr(p, root.end - p)));
    scan_ = root.end;
    return NextBulk();
  }
  return NextConcatenated(root.type == TokenType::kIncomplete ? std::string_view() : root.name);
}

Result<std::optional<RawDocument>> StreamSplitter::NextConcatenated(std::string_view root_name) {
  const size_t doc_start = pos_;
  const std::string root(root_name);
  size_t root_tag = root_tag_begin_;
  size_t search = doc_start + 1;
  for (;;) {
    size_t q = buf_.find("<?xml", search);
    while (q != std::string::npos && !IsDocumentBoundary(buf_, q, doc_start)) {
      q = buf_.find("<?xml", q + 1);
    }
    if (q != std::string::npos && q + 6 <= buf_.size()) {
      size_t end = q;
      while (end > doc_start && (buf_[end - 1] == ' ' || buf_[end - 1] == '\t')) --end;
      pos_ = q;
      return std::optional<RawDocument>(
          WithExchNamespace(Make(doc_start, end, ""), root, root_tag - doc_start));
    }
    if (eof_) {
      pos_ = buf_.size();
      return std::optional<RawDocument>(
          WithExchNamespace(Make(doc_start, buf_.size(), ""), root, root_tag - doc_start));
    }
    search = buf_.size() > doc_start + 8 ? buf_.size() - 7 : doc_start + 1;
    if (buf_.size() - doc_start > kMaxDocumentBytes) return SkipOversize(doc_start);
    IPDX_RETURN_IF_ERROR(Fill());
  }
}

RawDocument StreamSplitter::WithExchNamespace(RawDocument doc, const std::string& root,
                                              size_t root_tag) const {
  // Single DOCDB documents cut out of bulk files use exch: without declaring it (pitfall 10).
  if (SplitPrefix(root) != "exch" || root_tag >= doc.bytes.size()) return doc;
  Token tok = NextToken(doc.bytes, root_tag, true);
  if (tok.type != TokenType::kStartTag && tok.type != TokenType::kEmptyTag) return doc;
  for (const auto& [name, text] :
       NamespaceDeclarations(std::string_view(doc.bytes).substr(root_tag, tok.end - root_tag))) {
    if (name == "xmlns:exch") return doc;
  }
  doc.bytes.insert(root_tag + 1 + root.size(),
                   " xmlns:exch=\"" + std::string(kExchNamespace) + "\"");
  return doc;
}

Result<std::optional<RawDocument>> StreamSplitter::SkipOversize(size_t doc_start) {
  const uint64_t abs_start = base_ + doc_start;
  std::string prefix = buf_.substr(doc_start, kOversizePrefixBytes);
  for (;;) {
    // Keep a short tail so that a boundary split across two reads is still seen.
    size_t keep_from = buf_.size() > 64 ? buf_.size() - 64 : 0;
    size_t q = buf_.find("<?xml");
    while (q != std::string::npos && !(IsDocumentBoundary(buf_, q, 0) && base_ + q > abs_start)) {
      q = buf_.find("<?xml", q + 1);
    }
    if (q != std::string::npos && q + 6 <= buf_.size()) {
      pos_ = q;
      return std::optional<RawDocument>(Oversize(prefix, abs_start, base_ + q - abs_start));
    }
    if (eof_) {
      pos_ = buf_.size();
      return std::optional<RawDocument>(
          Oversize(prefix, abs_start, base_ + buf_.size() - abs_start));
    }
    Discard(keep_from);
    IPDX_RETURN_IF_ERROR(Fill());
  }
}

Result<std::optional<RawDocument>> StreamSplitter::NextJsonLine() {
  for (;;) {
    size_t nl = buf_.find('\n', pos_);
    if (nl == std::string::npos && !eof_) {
      if (buf_.size() - pos_ > kMaxDocumentBytes) {
        // Skip the rest of an oversize line.
        const uint64_t abs_start = base_ + pos_;
        std::string prefix = buf_.substr(pos_, kOversizePrefixBytes);
        for (;;) {
          Discard(buf_.size());
          pos_ = 0;
          IPDX_RETURN_IF_ERROR(Fill());
          size_t e = buf_.find('\n');
          if (e != std::string::npos || eof_) {
            size_t end = e == std::string::npos ? buf_.size() : e;
            pos_ = e == std::string::npos ? buf_.size() : e + 1;
            return std::optional<RawDocument>(Oversize(prefix, abs_start, base_ + end - abs_start));
          }
        }
      }
      IPDX_RETURN_IF_ERROR(Fill());
      continue;
    }
    size_t end = nl == std::string::npos ? buf_.size() : nl;
    size_t begin = pos_;
    pos_ = nl == std::string::npos ? buf_.size() : nl + 1;
    size_t trimmed = end;
    while (trimmed > begin && IsSpace(buf_[trimmed - 1])) --trimmed;
    size_t lead = begin;
    while (lead < trimmed && IsSpace(buf_[lead])) ++lead;
    if (lead == trimmed) {
      if (pos_ >= buf_.size() && eof_) return std::optional<RawDocument>();
      continue;
    }
    return std::optional<RawDocument>(Make(lead, trimmed, "jsonl"));
  }
}

bool StreamSplitter::FirstLineIsJsonValue() const {
  // JSON lines put a whole object on each line, so the first line ends with '}'. A file whose
  // first line does not (a lone "{", as pretty printers write) is one multi-line document.
  size_t nl = buf_.find('\n', pos_);
  size_t end = nl == std::string::npos ? buf_.size() : nl;
  while (end > pos_ && IsSpace(buf_[end - 1])) --end;
  return end > pos_ && buf_[end - 1] == '}';
}

Result<std::optional<RawDocument>> StreamSplitter::NextRaw() {
  // Not XML and not JSON: one document of the whole remaining input, so Decode can say what
  // it is (APS greenbook text, binary data).
  size_t begin = pos_;
  while (!eof_) {
    if (buf_.size() - begin > kMaxDocumentBytes) {
      const uint64_t abs_start = base_ + begin;
      std::string prefix = buf_.substr(begin, kOversizePrefixBytes);
      while (!eof_) {
        Discard(buf_.size());
        IPDX_RETURN_IF_ERROR(Fill());
      }
      pos_ = buf_.size();
      return std::optional<RawDocument>(
          Oversize(prefix, abs_start, base_ + buf_.size() - abs_start));
    }
    IPDX_RETURN_IF_ERROR(Fill());
  }
  pos_ = buf_.size();
  yielded_any_ = true;
  return std::optional<RawDocument>(Make(begin, buf_.size(), ""));
}

RawDocument StreamSplitter::Fragment(size_t end) const {
  // Re-wrap: the fragment's start tag gets every namespace declaration in scope that it does
  // not make itself, so the document stands alone.
  std::string_view view(buf_);
  Token start = NextToken(view, frag_start_, true);
  std::string_view tag = view.substr(frag_start_, start.end - frag_start_);
  std::vector<std::string> own;
  for (auto& [name, text] : NamespaceDeclarations(tag)) own.push_back(name);
  std::string extra;
  for (auto it = ns_stack_.rbegin(); it != ns_stack_.rend(); ++it) {
    for (const auto& [name, text] : *it) {
      if (std::find(own.begin(), own.end(), name) != own.end()) continue;
      own.push_back(name);
      extra += " " + text;
    }
  }
  if (SplitPrefix(start.name) == "exch" &&
      std::find(own.begin(), own.end(), "xmlns:exch") == own.end()) {
    extra += " xmlns:exch=\"" + std::string(kExchNamespace) + "\"";
  }
  RawDocument doc = Make(frag_start_, end, std::string(kDocdbBulkHint));
  doc.bytes.insert(1 + start.name.size(), extra);
  return doc;
}

Result<std::optional<RawDocument>> StreamSplitter::NextBulk() {
  for (;;) {
    if (scan_ >= buf_.size() || NextToken(buf_, scan_, eof_).type == TokenType::kIncomplete) {
      if (eof_) {
        // The input ends inside the container: hand out what there is, Decode says truncated.
        bulk_ = false;
        pos_ = buf_.size();
        if (frag_start_ != std::string::npos) {
          if (frag_oversize_) {
            return std::optional<RawDocument>(
                Oversize(frag_prefix_, frag_abs_start_, base_ + buf_.size() - frag_abs_start_));
          }
          return std::optional<RawDocument>(Fragment(buf_.size()));
        }
        if (!bulk_yielded_ && !bulk_oversize_) {
          return std::optional<RawDocument>(Make(bulk_doc_start_, buf_.size(), ""));
        }
        return std::optional<RawDocument>();
      }
      IPDX_RETURN_IF_ERROR(Fill());
      continue;
    }
    Token tok = NextToken(buf_, scan_, eof_);
    size_t at = scan_;
    scan_ = tok.end;
    if (tok.type == TokenType::kStartTag) {
      if (frag_start_ == std::string::npos && SplitLocalName(tok.name) == "exchange-document") {
        frag_start_ = at;
        frag_depth_ = bulk_depth_;
        frag_oversize_ = false;
        frag_abs_start_ = base_ + at;
      } else if (frag_start_ == std::string::npos) {
        ns_stack_.push_back(NamespaceDeclarations(std::string_view(buf_).substr(at, tok.end - at)));
      }
      ++bulk_depth_;
    } else if (tok.type == TokenType::kEndTag) {
      --bulk_depth_;
      if (frag_start_ != std::string::npos && bulk_depth_ == frag_depth_) {
        std::optional<RawDocument> doc;
        if (frag_oversize_) {
          doc = Oversize(frag_prefix_, frag_abs_start_, base_ + tok.end - frag_abs_start_);
        } else {
          doc = Fragment(tok.end);
        }
        frag_start_ = std::string::npos;
        bulk_yielded_ = true;
        Discard(scan_);
        scan_ = 0;
        return doc;
      }
      if (frag_start_ == std::string::npos && !ns_stack_.empty()) ns_stack_.pop_back();
      if (bulk_depth_ == 0) {
        bulk_ = false;
        pos_ = scan_;
        if (!bulk_yielded_) {
          // A container without exchange documents (an OPS family, legal or full-text
          // response): one document, for Decode to name.
          if (bulk_oversize_) {
            return std::optional<RawDocument>(
                Oversize(frag_prefix_, bulk_abs_start_, base_ + scan_ - bulk_abs_start_));
          }
          return std::optional<RawDocument>(Make(bulk_doc_start_, scan_, ""));
        }
        return Next();
      }
    }
    // Bound the memory: an oversize fragment (or container prefix) keeps only its first bytes.
    if (frag_start_ != std::string::npos && !frag_oversize_ &&
        scan_ - frag_start_ > kMaxDocumentBytes) {
      frag_oversize_ = true;
      frag_prefix_ = buf_.substr(frag_start_, kOversizePrefixBytes);
    }
    if (frag_start_ == std::string::npos && !bulk_yielded_ && !bulk_oversize_ &&
        scan_ - bulk_doc_start_ > kMaxDocumentBytes) {
      bulk_oversize_ = true;
      bulk_abs_start_ = base_ + bulk_doc_start_;
      frag_prefix_ = buf_.substr(bulk_doc_start_, kOversizePrefixBytes);
    }
    if ((frag_oversize_ || (bulk_oversize_ && frag_start_ == std::string::npos)) && scan_ > 0) {
      Discard(scan_);
      scan_ = 0;
      if (frag_start_ != std::string::npos) frag_start_ = 0;
    }
  }
}

// ---- .zip archives ---------------------------------------------------------------------------

namespace {

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

class ZipSplitter : public DocumentSplitter {
 public:
  ZipSplitter(std::unique_ptr<struct archive, ArchiveDeleter> a, std::string path, uint64_t total)
      : a_(std::move(a)), path_(std::move(path)), total_(total) {}

  Result<std::optional<RawDocument>> Next() override {
    for (;;) {
      if (member_) {
        IPDX_ASSIGN_OR_RETURN(std::optional<RawDocument> doc, member_->Next());
        if (doc) return doc;
        member_.reset();
      }
      struct archive_entry* entry = nullptr;
      int r = archive_read_next_header(a_.get(), &entry);
      if (r == ARCHIVE_EOF) {
        finished_ = true;
        return std::optional<RawDocument>();
      }
      if (r < ARCHIVE_WARN) {
        const char* err = archive_error_string(a_.get());
        return Status::Corruption("cannot read archive " + path_ + ": " +
                                  (err ? err : "unknown error"));
      }
      if (archive_entry_filetype(entry) != AE_IFREG) continue;
      const char* name = archive_entry_pathname(entry);
      std::string label = path_ + "!" + (name ? name : "");
      bool jsonl = EndsWithCi(label, ".jsonl") || EndsWithCi(label, ".ndjson");
      member_ = std::make_unique<StreamSplitter>(
          std::make_unique<ArchiveMemberSource>(a_.get(), label), label, jsonl,
          /*archive_member=*/true);
    }
  }
  uint64_t bytes_done() const override {
    // The central directory at the end is never read through the filter: report completion.
    if (finished_) return total_;
    return static_cast<uint64_t>(archive_filter_bytes(a_.get(), -1));
  }
  uint64_t bytes_total() const override { return total_; }

 private:
  std::unique_ptr<struct archive, ArchiveDeleter> a_;
  std::string path_;
  uint64_t total_;
  std::unique_ptr<StreamSplitter> member_;
  bool finished_ = false;
};

class FileSplitter : public DocumentSplitter {
 public:
  FileSplitter(std::unique_ptr<FILE, FileCloser> f, const std::string& path, uint64_t total,
               bool jsonl)
      : total_(total) {
    auto source = std::make_unique<FileSource>(std::move(f), path);
    source_ = source.get();
    stream_ = std::make_unique<StreamSplitter>(std::move(source), path, jsonl, false);
  }
  Result<std::optional<RawDocument>> Next() override { return stream_->Next(); }
  uint64_t bytes_done() const override { return source_->bytes_done(); }
  uint64_t bytes_total() const override { return total_; }

 private:
  uint64_t total_;
  FileSource* source_;  // owned by stream_
  std::unique_ptr<StreamSplitter> stream_;
};

}  // namespace
}  // namespace internal

Result<std::unique_ptr<DocumentSplitter>> DocumentSplitter::Open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(path + " is a folder; the caller expands folders into files");
  }
  std::unique_ptr<FILE, internal::FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  char magic[4] = {};
  size_t got = std::fread(magic, 1, 4, f.get());
  std::rewind(f.get());
  bool zip = internal::EndsWithCi(path, ".zip") ||
             (got == 4 && std::string_view(magic, 4) == std::string_view("PK\x03\x04", 4));
  const uint64_t total = static_cast<uint64_t>(st.st_size);
  if (!zip) {
    bool jsonl = internal::EndsWithCi(path, ".jsonl") || internal::EndsWithCi(path, ".ndjson");
    return std::unique_ptr<DocumentSplitter>(
        std::make_unique<internal::FileSplitter>(std::move(f), path, total, jsonl));
  }
  f.reset();
  std::unique_ptr<struct archive, internal::ArchiveDeleter> a(archive_read_new());
  if (!a) return Status::Internal("archive_read_new failed");
  archive_read_support_format_zip(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    const char* err = archive_error_string(a.get());
    return Status::Corruption("cannot open archive " + path + ": " +
                              (err ? err : "not a readable .zip archive"));
  }
  return std::unique_ptr<DocumentSplitter>(
      std::make_unique<internal::ZipSplitter>(std::move(a), path, total));
}

}  // namespace ipdx::codec
