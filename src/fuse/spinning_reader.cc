#include "fuse/spinning_reader.h"

#include <poll.h>
#include <unistd.h>

namespace vap::fuse {

ssize_t SpinningReader::Read(int fd, void* buf, size_t len) {
  bool idle = false;
  if (spin_.count() > 0 && watching_.compare_exchange_strong(idle, true)) {
    // A zero-timeout poll(2) asks without sleeping; once the device is
    // readable, read(2) below does not block (unless another worker took
    // the request first, and then it waits for the next one as usual).
    const auto until = std::chrono::steady_clock::now() + spin_;
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, 0) == 0 && std::chrono::steady_clock::now() < until) {
    }
    watching_.store(false);
  }
  return read(fd, buf, len);
}

}  // namespace vap::fuse
