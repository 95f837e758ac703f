// SpinningReader: how the mount's threads read requests from /dev/fuse
// (libfuse's custom I/O, fuse_session_custom_io()). One idle thread at a
// time watches the device for a short while before it blocks in read(2);
// the others block at once, as libfuse's own loop does.
//
// Why: a request is a round trip between two threads, the caller's and
// vapd's. A thread that blocks lets its CPU go idle, and on a virtual
// machine whose idle CPUs halt at once (no guest halt polling) waking it
// again goes through the hypervisor: tens of microseconds per wake-up, on
// each of the four requests of a `cat`. A request that arrives while one
// of vapd's threads is still watching needs no wake-up on vapd's side
// (docs/performance.md, "The mount": a `cat` about 25% faster here). The
// watch is bounded (`spin`), so an idle mount costs nothing; 0 turns it
// off.
//
// Thread safety: Read() is called by libfuse's workers concurrently; the
// watcher's turn is one atomic flag.
#ifndef VAP_FUSE_SPINNING_READER_H_
#define VAP_FUSE_SPINNING_READER_H_

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 35
#endif
#include <fuse_lowlevel.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>

namespace vap::fuse {

class SpinningReader {
 public:
  // Off unless asked for (vapd --fuse-spin-us): the watch makes reads
  // cheaper but not stores, whose cost is mostly the driver's work
  // (docs/performance.md, "The mount").
  static constexpr std::chrono::microseconds kDefaultSpin{0};

  explicit SpinningReader(std::chrono::microseconds spin) : spin_(spin) {}

  // read(2) of one request from `fd`, after watching it for up to `spin`
  // if no other thread is watching. Sets errno as read(2) does.
  ssize_t Read(int fd, void* buf, size_t len);
  // Requests read and not yet served.
  int TEST_in_flight() const { return in_flight_.load(); }

 private:
  const std::chrono::microseconds spin_;
  std::atomic<bool> watching_{false};
  // Requests read and not yet served.
  std::atomic<int> in_flight_{0};
};

// libfuse's custom I/O (fuse_session_custom_io()) for a session whose
// user data is a `Context*` with a `SpinningReader& reader()`: requests
// read through that reader, replies written as libfuse writes them.
template <typename Context>
const fuse_custom_io& SpinningIo() {
  static const fuse_custom_io io = [] {
    fuse_custom_io out{};
    out.read = [](int fd, void* buf, size_t len, void* userdata) {
      return static_cast<Context*>(userdata)->reader().Read(fd, buf, len);
    };
    out.writev = [](int fd, iovec* iov, int count, void*) {
      return writev(fd, iov, count);
    };
    return out;
  }();
  return io;
}

}  // namespace vap::fuse

#endif  // VAP_FUSE_SPINNING_READER_H_
