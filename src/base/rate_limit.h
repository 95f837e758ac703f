// RateLimit: printk_ratelimited()'s rule (at most `burst` messages per
// `interval`, then silence until the interval ends), on model time.
//
// Not thread safe: guard it with the lock of the code that logs.
#ifndef VAP_BASE_RATE_LIMIT_H_
#define VAP_BASE_RATE_LIMIT_H_

#include "base/clock.h"

namespace vap {

class RateLimit {
 public:
  // The kernel's DEFAULT_RATELIMIT_INTERVAL (5 s) and _BURST (10).
  explicit RateLimit(Nanos interval = std::chrono::seconds(5), int burst = 10)
      : interval_(interval), burst_(burst) {}

  // Whether a message at `now` may be printed.
  bool Allow(Nanos now) {
    if (printed_ == 0 || now - begin_ >= interval_) {
      begin_ = now;
      printed_ = 0;
    }
    if (printed_ >= burst_) return false;
    ++printed_;
    return true;
  }

 private:
  const Nanos interval_;
  const int burst_;
  Nanos begin_{0};
  int printed_ = 0;
};

}  // namespace vap

#endif  // VAP_BASE_RATE_LIMIT_H_
