#pragma once
// Shared by the HTTP and exchange integration tests: one `ipdx serve` child process (IPDX_BINARY)
// listening on a free loopback port, found from its first stdout line
// ("listening on http://127.0.0.1:PORT"). Its stderr goes to HOME/serve-<test pid>.err. Stopped
// (SIGTERM, then waited for) by Stop() or the destructor. Not thread-safe.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "run_ipdx.h"

namespace ipdx::testing {

class ServerProcess {
 public:
  // Starts `ipdx --home HOME serve --listen 127.0.0.1:0 FLAGS...` and waits (at most 60 s) for
  // the listening line; ok() tells whether it came.
  explicit ServerProcess(const std::filesystem::path& home,
                         const std::vector<std::string>& flags = {}) {
    int out_pipe[2];
    if (pipe(out_pipe) != 0) return;
    stderr_path_ = home / ("serve-" + std::to_string(getpid()) + ".err");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out_pipe[1], 1);
      int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(err, 2);
      close(out_pipe[0]);
      std::vector<std::string> args = {IPDX_BINARY, "--home",   home.string(),
                                       "serve",     "--listen", "127.0.0.1:0"};
      args.insert(args.end(), flags.begin(), flags.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out_pipe[1]);
    out_fd_ = out_pipe[0];
    std::string line;
    pollfd pfd{out_fd_, POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      if (poll(&pfd, 1, 200) > 0) {
        char c;
        if (read(out_fd_, &c, 1) != 1) break;
        line += c;
      }
    }
    const std::string prefix = "listening on ";
    if (line.rfind(prefix, 0) == 0) {
      url_ = line.substr(prefix.size());
      url_.pop_back();
      port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
    } else {
      std::fprintf(stderr, "ipdx serve at %s did not start: first line '%s'\n%s\n", home.c_str(),
                   line.c_str(), ReadFile(stderr_path_).c_str());
    }
  }
  ~ServerProcess() { Stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  void Terminate() {
    if (pid_ > 0) kill(pid_, SIGTERM);
  }
  // SIGTERM, then waits; returns the exit code (128 + signal when killed).
  int Stop() {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    if (out_fd_ >= 0) close(out_fd_);
    out_fd_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }
  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  const std::string& url() const { return url_; }
  std::string Stderr() const { return ReadFile(stderr_path_); }

 private:
  pid_t pid_ = 0;
  int out_fd_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
  std::string url_;
  std::filesystem::path stderr_path_;
};

}  // namespace ipdx::testing
