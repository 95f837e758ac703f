// The kernel log, as vap reproduces it: lines with the kernel's wording
// ("vfio_ap_mdev <uuid>: Userspace may not assign queue ..."), kept in a
// bounded in-memory ring (what `vap log` and tests read, like dmesg) and
// echoed to stderr (what vapd's journal shows).
//
// Thread safety: all methods may be called concurrently. The ring's lock
// is a leaf (docs/locking.md): do not log while holding another leaf lock.
#ifndef VAP_BASE_LOG_H_
#define VAP_BASE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace vap {

// printk levels that vfio_ap and the AP bus use.
enum class LogLevel : uint8_t {
  kErr = 3,
  kWarning = 4,
  kNotice = 5,
  kInfo = 6,
  kDebug = 7
};

// "err", "warn", "notice", "info", "debug" (dmesg's names).
const char* LogLevelName(LogLevel level);

struct LogLine {
  uint64_t seq;  // 1, 2, ... in order of logging; never reused
  Nanos time;    // model time from the logger's clock
  LogLevel level;
  std::string text;  // without a trailing newline
};

class Logger {
 public:
  static constexpr size_t kDefaultCapacity = 4096;

  // `clock` must outlive the logger. Lines beyond `capacity` push out the
  // oldest.
  explicit Logger(const Clock& clock, size_t capacity = kDefaultCapacity);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Records `text` (one line, no trailing newline).
  void Log(LogLevel level, std::string_view text) VAP_EXCLUDES(mu_);
  // dev_warn() and friends: "<driver> <device>: <text>", e.g.
  // DevLog(kWarning, "vfio_ap_mdev", uuid, "...").
  void DevLog(LogLevel level, std::string_view driver, std::string_view device,
              std::string_view text) VAP_EXCLUDES(mu_);

  // Lines with seq > `after_seq`, oldest first (all kept lines for 0).
  std::vector<LogLine> Read(uint64_t after_seq = 0) const VAP_EXCLUDES(mu_);
  // Text of the newest line; empty if none.
  std::string LastText() const VAP_EXCLUDES(mu_);
  // Seq of the newest line; 0 if nothing was logged yet.
  uint64_t last_seq() const VAP_EXCLUDES(mu_);

  // Echo lines at `level` or more severe to stderr as
  // "[    1.234567] <text>" (dmesg's format). Off by default.
  void EchoToStderr(bool on, LogLevel level = LogLevel::kDebug)
      VAP_EXCLUDES(mu_);
  // Also hands every line to `sink` (null: none) once it is kept, on the
  // thread that logged it, with no lock of the logger's held but maybe
  // the driver's: a sink returns soon and never calls into vap (the
  // library's HostOptions::log_sink).
  using Sink = std::function<void(const LogLine&)>;
  void SetSink(Sink sink) VAP_EXCLUDES(mu_);

 private:
  const Clock& clock_;
  const size_t capacity_;

  mutable Mutex mu_{LockRank::kLeaf, "log_ring"};
  std::deque<LogLine> ring_ VAP_GUARDED_BY(mu_);
  uint64_t next_seq_ VAP_GUARDED_BY(mu_) = 1;
  bool echo_ VAP_GUARDED_BY(mu_) = false;
  std::shared_ptr<const Sink> sink_ VAP_GUARDED_BY(mu_);
  LogLevel echo_level_ VAP_GUARDED_BY(mu_) = LogLevel::kDebug;
};

// "[    1.234567] " for a model time, as dmesg prints it.
std::string DmesgTimestamp(Nanos time);

}  // namespace vap

#endif  // VAP_BASE_LOG_H_
