// The private network namespace of `vap sandbox --uevents` and the socket
// that sends vapd's uevents into it as the kernel sends them.
//
// How (docs/architecture.md, "Uevents over netlink"): a listener such as
// libudev or `udevadm monitor --kernel` takes a message on
// NETLINK_KOBJECT_UEVENT's group 1 only from sender port 0 (the kernel)
// with uid 0 credentials, which no user socket can forge. But the kernel
// takes a message sent *to* its uevent socket by a task with CAP_SYS_ADMIN
// over the namespace's owner, appends the next SEQNUM and broadcasts it to
// group 1 of the sender's network namespace as its own
// (uevent_net_rcv_skb() in lib/kobject_uevent.c). The kernel does not
// refuse the host's namespace there, so this file does: a socket whose
// namespace is the host's never sends.
//
// The namespace is owned by a new user namespace, so that the kernel's own
// uevents (broadcast only to namespaces owned by the initial user
// namespace) never reach the sandbox: its listeners hear vapd alone.
#ifndef VAP_CLI_UEVENT_NETNS_H_
#define VAP_CLI_UEVENT_NETNS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "base/result.h"

namespace vap::cli {

// A new network namespace owned by a new user namespace (needs root); the
// descriptor keeps it alive and is what setns(2) takes.
Result<Fd> MakeUeventNetns();

class UeventNetlink {
 public:
  // A NETLINK_KOBJECT_UEVENT socket in `netns`; EPERM if `netns` turns out
  // to be the namespace this process started in.
  static Result<UeventNetlink> Open(const Fd& netns);

  // Has the kernel broadcast "ACTION@DEVPATH\0" + env, each entry
  // NUL-terminated, with its own SEQNUM appended (a SEQNUM entry in `env`
  // is left out). Refusals come back asynchronously and are counted.
  Status Send(std::string_view action, std::string_view devpath,
              const std::vector<std::string>& env);

  // Messages the kernel refused so far, and the first refusal's errno.
  uint64_t refused() const { return refused_; }
  int first_error() const { return first_error_; }

 private:
  explicit UeventNetlink(Fd fd) : fd_(std::move(fd)) {}
  void DrainAcks();

  Fd fd_;
  std::string buffer_;
  uint64_t refused_ = 0;
  int first_error_ = 0;
};

}  // namespace vap::cli

#endif  // VAP_CLI_UEVENT_NETNS_H_
