#pragma once
// Internal to codec/: the streaming splitter behind DocumentSplitter::Open (splitter.cc) and the
// conventions it shares with Decode() (decode.cc). Externally synchronised, like the splitter.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codec/codec.h"
#include "common/status.h"

namespace ipdx::codec::internal {

// A RawDocument whose hint is "oversize:<bytes>" stands for a document larger than
// kMaxDocumentBytes; its bytes are only the first kOversizePrefixBytes. Decode rejects it with
// XML-SIZE naming the size.
inline constexpr std::string_view kOversizeHintPrefix = "oversize:";
inline constexpr size_t kOversizePrefixBytes = 64 << 10;
// Hint of an exchange-document cut out of a DOCDB bulk file or an OPS response.
inline constexpr std::string_view kDocdbBulkHint = "docdb-bulk";

// Where bytes come from: a file or the current member of an archive.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes; 0 at the end.
  virtual Result<size_t> Read(char* dst, size_t n) = 0;
};

// Splits one byte stream into documents (see codec.h for the container formats). Owns its
// source. `jsonl` forces JSON lines; `archive_member` skips content that is not XML or JSON
// (lists, HTML reports) instead of handing it to Decode.
class StreamSplitter {
 public:
  StreamSplitter(std::unique_ptr<ByteSource> source, std::string label, bool jsonl,
                 bool archive_member);
  Result<std::optional<RawDocument>> Next();

 private:
  Status Fill();
  void Discard(size_t n);
  RawDocument Make(size_t begin, size_t end, std::string hint) const;
  RawDocument Oversize(std::string prefix, uint64_t offset, uint64_t size) const;
  RawDocument WithExchNamespace(RawDocument doc, const std::string& root, size_t root_tag) const;
  RawDocument Fragment(size_t end) const;
  Result<std::optional<RawDocument>> NextConcatenated(std::string_view root_name);
  Result<std::optional<RawDocument>> SkipOversize(size_t doc_start);
  Result<std::optional<RawDocument>> NextJsonLine();
  Result<std::optional<RawDocument>> NextRaw();
  bool FirstLineIsJsonValue() const;
  Result<std::optional<RawDocument>> NextBulk();

  std::unique_ptr<ByteSource> source_;
  std::string label_;
  bool jsonl_;
  bool archive_member_;

  std::string buf_;    // bytes [base_, base_ + buf_.size()) of the stream
  uint64_t base_ = 0;  // stream offset of buf_[0]
  size_t pos_ = 0;     // start of the next document in buf_
  bool eof_ = false;
  bool yielded_any_ = false;
  std::string root_name_;
  size_t root_tag_begin_ = 0;

  // Bulk container state (DOCDB exchange-documents, OPS world-patent-data).
  bool bulk_ = false;
  size_t bulk_doc_start_ = 0;
  uint64_t bulk_abs_start_ = 0;
  int bulk_depth_ = 0;
  bool bulk_yielded_ = false;
  bool bulk_oversize_ = false;
  size_t scan_ = 0;
  size_t frag_start_ = std::string::npos;
  int frag_depth_ = 0;
  bool frag_oversize_ = false;
  uint64_t frag_abs_start_ = 0;
  std::string frag_prefix_;
  std::vector<std::vector<std::pair<std::string, std::string>>> ns_stack_;
};

}  // namespace ipdx::codec::internal
