#include "fuse/spinning_reader.h"

#include <poll.h>
#include <unistd.h>

namespace vap::fuse {

namespace {
// The count this thread's last Read added to: the request it returned is
// served by the time the thread reads again (libfuse's workers read,
// serve, read, ...), or when the thread ends (libfuse ends workers it
// has too many of right after they served one).
struct Serving {
  std::atomic<int>* count = nullptr;
  void Done() {
    if (count != nullptr) count->fetch_sub(1);
    count = nullptr;
  }
  ~Serving() { Done(); }
};
thread_local Serving serving;
}  // namespace

ssize_t SpinningReader::Read(int fd, void* buf, size_t len) {
  serving.Done();
  bool idle = false;
  // Watch only while no request is being served: the next request of a
  // caller waiting for a reply cannot come before the reply, and a long
  // store must not share its CPU with a watcher.
  if (spin_.count() > 0 && in_flight_.load() == 0 &&
      watching_.compare_exchange_strong(idle, true)) {
    // A zero-timeout poll(2) asks without sleeping; once the device is
    // readable, read(2) below does not block (unless another worker took
    // the request first, and then it waits for the next one as usual).
    const auto until = std::chrono::steady_clock::now() + spin_;
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, 0) == 0 && std::chrono::steady_clock::now() < until) {
    }
    watching_.store(false);
  }
  const ssize_t n = read(fd, buf, len);
  if (n > 0) {
    in_flight_.fetch_add(1);
    serving.count = &in_flight_;
  }
  return n;
}

}  // namespace vap::fuse
