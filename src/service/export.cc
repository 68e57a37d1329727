// service::Export: the current version of every record, one file per record.
#include <filesystem>
#include <string>
#include <system_error>

#include "codec/codec.h"
#include "service/file_util.h"
#include "service/service.h"

namespace ipdx::service {
namespace {

// Records are read a page at a time so memory does not grow with the store.
constexpr size_t kExportPageSize = 256;

// Publication ids are "OFFICE-NUMBER-KIND" with normalised parts, but they come from documents:
// a stray '/' or ".." must never reach the file system as a path.
std::string FileNameFor(const std::string& id) {
  std::string out;
  out.reserve(id.size());
  for (char c : id) {
    const bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
    out += safe ? c : '_';
  }
  if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');
  return out;
}

}  // namespace

Result<ExportSummary> Export(Node& node, ExportFormat format, const std::string& out_dir) {
  if (out_dir.empty()) return Status::InvalidArgument("export: empty output folder");
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status::IOError("cannot create " + out_dir + ": " + ec.message());
  if (!fs::is_directory(out_dir, ec)) {
    return Status::FailedPrecondition(out_dir + " exists and is not a folder");
  }
  const char* extension = format == ExportFormat::kJson ? ".json" : ".xml";

  ExportSummary summary;
  summary.out_dir = out_dir;
  std::string after;
  for (;;) {
    IPDX_ASSIGN_OR_RETURN(std::vector<model::Record> page,
                          node.store().ListRecords(after, kExportPageSize));
    if (page.empty()) break;
    for (const model::Record& record : page) {
      std::string content = format == ExportFormat::kJson ? codec::ToJson(record, /*pretty=*/true)
                                                          : codec::ToSt96Xml(record);
      if (content.empty() || content.back() != '\n') content += '\n';
      const std::string path =
          (fs::path(out_dir) / (FileNameFor(record.Id()) + extension)).string();
      IPDX_RETURN_IF_ERROR(internal::WriteFileAtomic(path, content, /*durable=*/false));
      ++summary.records;
    }
    after = page.back().Id();
  }
  return summary;
}

}  // namespace ipdx::service
