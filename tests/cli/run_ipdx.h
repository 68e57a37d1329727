#pragma once
// Shared by the command-line tests: runs the real `ipdx` binary (IPDX_BINARY) as a child process
// and captures its exit code, stdout and stderr. Not thread-safe: each call writes
// `scratch_dir/stdout` and `scratch_dir/stderr`.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ipdx::testing {

struct RunResult {
  int exit_code = -1;  // 128 + signal when the process was killed
  std::string out;
  std::string err;
};

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs IPDX_BINARY with `args` (argv[1..]) and waits for it.
inline RunResult RunIpdx(const std::vector<std::string>& args,
                         const std::filesystem::path& scratch_dir) {
  std::vector<std::string> argv = {IPDX_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::filesystem::path out = scratch_dir / "stdout", err = scratch_dir / "stderr";
  pid_t pid = fork();
  if (pid == 0) {
    int fo = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fo, 1);
    dup2(fe, 2);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

// The same with `--home home` in front of `args`.
inline RunResult RunIpdxAt(const std::filesystem::path& home, const std::vector<std::string>& args,
                           const std::filesystem::path& scratch_dir) {
  std::vector<std::string> all = {"--home", home.string()};
  all.insert(all.end(), args.begin(), args.end());
  return RunIpdx(all, scratch_dir);
}

}  // namespace ipdx::testing
