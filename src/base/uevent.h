// The kernel's uevents (lib/kobject_uevent.c) as vap sends them: each
// event is "ACTION@DEVPATH" and its KEY=VALUE list in the kernel's order
// (ACTION, DEVPATH, SUBSYSTEM, the caller's keys, the device's keys,
// SEQNUM last), numbered from one counter shared by every event, and
// handed to every subscriber: `vap monitor`, the netlink sender of `vap
// sandbox --uevents`, tests.
//
// Sending never blocks and never fails for a subscriber's sake: each
// subscription has a bounded queue (32 MiB of events), and an event that
// does not fit is dropped for that subscriber and counted, as a netlink
// socket whose receive buffer is full loses the message (ENOBUFS).
//
// Thread safety: every method may be called from any thread. The hub's
// lock is a leaf (docs/locking.md U1): events may be sent with any other
// lock held but a leaf one.
#ifndef VAP_BASE_UEVENT_H_
#define VAP_BASE_UEVENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "base/thread_annotations.h"

namespace vap {

// The kernel's limits (include/linux/kobject.h): 64 keys (one slot kept
// for the terminating NULL) and 2048 bytes of KEY=VALUE strings.
inline constexpr size_t kUeventMaxKeys = 63;
inline constexpr size_t kUeventBufferSize = 2048;

class Uevent {
 public:
  // The netlink message: "ACTION@DEVPATH\0KEY=VALUE\0...SEQNUM=n\0".
  explicit Uevent(std::string message, uint64_t seqnum)
      : message_(std::move(message)), seqnum_(seqnum) {}

  const std::string& netlink_message() const { return message_; }
  uint64_t seqnum() const { return seqnum_; }
  std::string action() const { return Get("ACTION"); }
  std::string devpath() const { return Get("DEVPATH"); }
  std::string subsystem() const { return Get("SUBSYSTEM"); }
  // The value of `key`; empty if the event has none.
  std::string Get(std::string_view key) const;
  // Every KEY=VALUE, in order.
  std::vector<std::string> Env() const;

 private:
  std::string message_;
  uint64_t seqnum_;
};

class UeventHub {
 public:
  class Subscription;
  static constexpr size_t kQueueBytes = 32u << 20;

  UeventHub();
  ~UeventHub();
  UeventHub(const UeventHub&) = delete;
  UeventHub& operator=(const UeventHub&) = delete;

  // kobject_uevent_env(): sends ACTION=`action`, DEVPATH=`devpath`,
  // SUBSYSTEM=`subsystem`, then `env` (KEY=VALUE each), then SEQNUM.
  // ENOMEM, and no number used, if that exceeds the kernel's limits.
  Status Send(std::string_view action, std::string_view devpath,
              std::string_view subsystem, const std::vector<std::string>& env);
  // When nobody listens, numbers an event without one being built (the
  // kernel's SEQNUM counts the events nobody hears) and answers true; the
  // caller then builds and sends nothing. False when someone listens: build
  // the event and Send() it. Saves formatting 131,072 events on the
  // `full` host's first scan, before any subscriber can exist.
  bool NumberIfUnheard();
  // The last SEQNUM sent (/sys/kernel/uevent_seqnum).
  uint64_t seqnum() const;
  // Events sent from now on, up to `queue_bytes` waiting at a time.
  std::unique_ptr<Subscription> Subscribe(size_t queue_bytes = kQueueBytes);

 private:
  struct Shared;
  const std::shared_ptr<Shared> shared_;
};

class UeventHub::Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // The next event, waiting up to `timeout` (real time) for one; nullopt
  // if none came or the subscription was closed.
  std::optional<Uevent> Next(std::chrono::nanoseconds timeout);
  // Events dropped because the queue was full.
  uint64_t dropped() const;
  // Wakes a waiting Next() for good (a stream's end).
  void Close();

 private:
  friend class UeventHub;
  struct Queue;
  Subscription(std::shared_ptr<Shared> shared, std::shared_ptr<Queue> queue);

  const std::shared_ptr<Shared> shared_;
  const std::shared_ptr<Queue> queue_;
};

}  // namespace vap

#endif  // VAP_BASE_UEVENT_H_
