// The plain-HTTP connection loop (server_internal.h, MakePlainHttpServer): httplib's request
// parsing, routing hooks and response writing, over a socket stream that costs fewer system
// calls than httplib's own.
//
// httplib 0.11's SocketStream polls the socket before every read and every write, asks the
// kernel for the peer's and its own address on every request, and writes the status line and
// headers and then the body as two sends (two packets with TCP_NODELAY); between requests its
// keep-alive loop wakes every 11 ms. A cached record fetch cost eleven system calls (strace -c:
// six polls, two sends, recvfrom, getpeername, getsockname).
// ConnectionStream reads with recv and polls only when nothing is there, knows the addresses
// from the connection's start, and gathers a response in a buffer that goes out in one send
// after the request is done (or earlier, before it waits to read, or when the buffer is full),
// so a fetch costs a poll, a recv and a send. Everything httplib does with a request (parsing,
// limits, 100-continue, the pre-routing handler, the logger) is unchanged: the loop calls its
// Server::process_request.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "api/server_internal.h"

namespace ipdx::api {

namespace {

// A response larger than this goes out while it is written (httplib writes headers, then the
// body in one piece); smaller ones are sent whole with one call.
constexpr size_t kWriteBufferBytes = 64 * 1024;
constexpr size_t kReadBufferBytes = 16 * 1024;
// How often a connection waiting for its next request looks whether the server is stopping.
constexpr int kStopCheckMs = 50;

void AddressOf(const sockaddr_storage& addr, socklen_t len, std::string* ip, int* port) {
  if (addr.ss_family == AF_INET) {
    *port = ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    *port = ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  }
  std::array<char, NI_MAXHOST> host{};
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host.data(),
                  static_cast<socklen_t>(host.size()), nullptr, 0, NI_NUMERICHOST) == 0) {
    *ip = host.data();
  }
}

// Waits up to `timeout_ms` for `events` on `sock`; false on timeout or error.
bool PollFor(int sock, short events, int timeout_ms) {
  pollfd p{sock, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return true;
    if (r == 0 || errno != EINTR) return false;
  }
}

int TimeoutMs(time_t sec, time_t usec) {
  const int64_t ms = static_cast<int64_t>(sec) * 1000 + static_cast<int64_t>(usec) / 1000;
  return static_cast<int>(std::clamp<int64_t>(ms, 1, 24 * 3600 * 1000));
}

// One connection's socket, with a read buffer and a write buffer. Used by one thread.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int sock, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      AddressOf(addr, len, &remote_ip_, &remote_port_);
    }
    len = sizeof(addr);
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      AddressOf(addr, len, &local_ip_, &local_port_);
    }
    out_.reserve(kWriteBufferBytes);
  }

  bool is_readable() const override {
    return in_begin_ < in_end_ || PollFor(sock_, POLLIN, read_timeout_ms_);
  }
  bool is_writable() const override { return PollFor(sock_, POLLOUT, write_timeout_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (size == 1 && in_begin_ < in_end_) {  // httplib reads request lines byte by byte
      *ptr = in_[in_begin_++];
      return 1;
    }
    if (in_begin_ == in_end_) {
      // The client may be waiting for what we wrote (a 100 Continue) before it sends more.
      if (!Flush()) return -1;
      const ssize_t n = Receive(in_.data(), in_.size());
      if (n <= 0) return n;
      in_begin_ = 0;
      in_end_ = static_cast<size_t>(n);
    }
    const size_t n = std::min(size, in_end_ - in_begin_);
    std::memcpy(ptr, in_.data() + in_begin_, n);
    in_begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (out_.size() + size > kWriteBufferBytes) {
      if (!Flush()) return -1;
      if (size > kWriteBufferBytes) return SendAll(ptr, size) ? static_cast<ssize_t>(size) : -1;
    }
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = local_ip_;
    port = local_port_;
  }
  socket_t socket() const override { return sock_; }

  // Sends what the buffer holds. False when the peer is gone or stopped reading.
  bool Flush() {
    if (out_.empty()) return true;
    const bool ok = SendAll(out_.data(), out_.size());
    out_.clear();
    return ok;
  }

  // Waits for the first bytes of the next request, up to `timeout_s`, giving up early when
  // `stopping` turns true. False on timeout, stop, or a connection that failed.
  template <typename Stopping>
  bool WaitForRequest(time_t timeout_s, const Stopping& stopping) {
    if (in_begin_ < in_end_) return true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    for (;;) {
      pollfd p{sock_, POLLIN, 0};
      const int r = ::poll(&p, 1, kStopCheckMs);
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
      if (stopping() || std::chrono::steady_clock::now() >= deadline) return false;
    }
  }

 private:
  ssize_t Receive(char* buf, size_t size) {
    for (;;) {
      const ssize_t n = ::recv(sock_, buf, size, MSG_DONTWAIT);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (!PollFor(sock_, POLLIN, read_timeout_ms_)) return -1;
    }
  }

  bool SendAll(const char* data, size_t size) {
    while (size > 0) {
      const ssize_t n = ::send(sock_, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        data += n;
        size -= static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
          PollFor(sock_, POLLOUT, write_timeout_ms_)) {
        continue;
      }
      return false;
    }
    return true;
  }

  const int sock_;
  const int read_timeout_ms_;
  const int write_timeout_ms_;
  std::string remote_ip_;
  int remote_port_ = 0;
  std::string local_ip_;
  int local_port_ = 0;
  std::array<char, kReadBufferBytes> in_{};
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
  std::string out_;
};

class PlainHttpServer final : public httplib::Server {
 private:
  // Called by httplib on a worker thread for each accepted connection; owns and closes `sock`.
  bool process_and_close_socket(socket_t sock) override {
    bool ret = false;
    {
      ConnectionStream strm(sock, TimeoutMs(read_timeout_sec_, read_timeout_usec_),
                            TimeoutMs(write_timeout_sec_, write_timeout_usec_));
      const auto stopping = [this] { return svr_sock_ == INVALID_SOCKET; };
      for (size_t count = std::max<size_t>(keep_alive_max_count_, 1); count > 0; --count) {
        if (stopping() || !strm.WaitForRequest(keep_alive_timeout_sec_, stopping)) break;
        bool connection_closed = false;
        ret = process_request(strm, /*close_connection=*/count == 1, connection_closed, nullptr);
        if (!strm.Flush()) ret = false;
        if (!ret || connection_closed) break;
      }
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ret;
  }
};

}  // namespace

std::unique_ptr<httplib::Server> MakePlainHttpServer() {
  return std::make_unique<PlainHttpServer>();
}

}  // namespace ipdx::api
