#pragma once
// A terminal progress bar on stderr: redraws in place at most ~10 times a second, only when
// stderr is a terminal (scripts and logs get no control characters). Externally synchronised.
#include <chrono>
#include <cstdint>
#include <string>

namespace ipdx::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();  // clears the line
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `total` may be 0 when unknown (then only counts and rate are shown).
  void Update(uint64_t done_bytes, uint64_t total_bytes, uint64_t items, const std::string& note);
  void Finish();

  bool enabled() const { return enabled_; }

 private:
  std::string label_;
  bool enabled_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace ipdx::cli
