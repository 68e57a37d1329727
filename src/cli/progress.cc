#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace ipdx::cli {

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)),
      enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(uint64_t done_bytes, uint64_t total_bytes, uint64_t items,
                         const std::string& note) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? static_cast<double>(items) / secs : 0.0;
  std::string bar;
  if (total_bytes > 0) {
    constexpr int kWidth = 30;
    double frac = static_cast<double>(done_bytes) / static_cast<double>(total_bytes);
    if (frac > 1.0) frac = 1.0;
    int filled = static_cast<int>(frac * kWidth);
    bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " +
          fmt::format("{:5.1f}% ", frac * 100.0);
  }
  std::string shown = note;
  if (shown.size() > 40) shown = "..." + shown.substr(shown.size() - 37);
  fmt::print(stderr, "\r\033[K{} {}{} docs, {:.0f} docs/s, {:.1f} MB  {}", label_, bar, items, rate,
             static_cast<double>(done_bytes) / 1e6, shown);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (enabled_ && drawn_) {
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace ipdx::cli
