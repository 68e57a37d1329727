// Token buckets per client.
#include <algorithm>
#include <cmath>

#include "api/api.h"

namespace ipdx::api {

RateLimiter::Decision RateLimiter::Take(const std::string& client, Clock::time_point now) {
  Decision d;
  if (rate_ <= 0) {
    d.remaining = static_cast<uint64_t>(burst_);
    return d;
  }
  std::lock_guard lock(mu_);
  // A bucket untouched for a full refill period is full again: forgetting it changes nothing.
  const auto full_after = std::chrono::duration<double>(burst_ / rate_);
  if (now - last_sweep_ >
      std::max<Clock::duration>(std::chrono::duration_cast<Clock::duration>(full_after),
                                std::chrono::seconds(10))) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      if (now - it->second.updated >= full_after) {
        it = buckets_.erase(it);
      } else {
        ++it;
      }
    }
    last_sweep_ = now;
  }
  auto [it, inserted] = buckets_.try_emplace(client, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted) {
    double elapsed = std::chrono::duration<double>(now - b.updated).count();
    if (elapsed > 0) b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.updated = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    d.allowed = true;
  } else {
    d.allowed = false;
    d.retry_after_s = static_cast<uint64_t>(std::ceil((1 - b.tokens) / rate_));
    if (d.retry_after_s == 0) d.retry_after_s = 1;
  }
  d.remaining = static_cast<uint64_t>(std::floor(b.tokens));
  d.reset_s = static_cast<uint64_t>(std::ceil((burst_ - b.tokens) / rate_));
  return d;
}

}  // namespace ipdx::api
