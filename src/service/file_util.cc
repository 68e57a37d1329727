#include "service/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace ipdx::service::internal {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Status WriteFileAtomic(const std::string& path, std::string_view content, bool durable) {
  // The temporary name is hidden (leading '.') and unique per process, so a crashed writer
  // leaves at most a stray hidden file and two writers never share one.
  std::filesystem::path target(path);
  std::filesystem::path tmp = target.parent_path() / ("." + target.filename().string() + ".tmp" +
                                                      std::to_string(::getpid()));
  const std::string tmp_path = tmp.string();
  int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", tmp_path);
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Errno("cannot write", tmp_path);
      ::close(fd);
      ::unlink(tmp_path.c_str());
      return s;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  // fsync before rename: otherwise a power loss can leave the new name pointing at an empty file.
  if (durable && ::fsync(fd) != 0) {
    Status s = Errno("cannot sync", tmp_path);
    ::close(fd);
    ::unlink(tmp_path.c_str());
    return s;
  }
  if (::close(fd) != 0) {
    Status s = Errno("cannot close", tmp_path);
    ::unlink(tmp_path.c_str());
    return s;
  }
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) {
    Status s = Errno("cannot rename " + tmp_path + " to", path);
    ::unlink(tmp_path.c_str());
    return s;
  }
  return Status::Ok();
}

}  // namespace ipdx::service::internal
