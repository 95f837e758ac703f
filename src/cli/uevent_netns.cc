#include "cli/uevent_netns.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace vap::cli {

namespace {

Status SysError(const std::string& what) {
  const int e = errno;
  return Status::Error(e, fmt::format("{}: {}", what, strerror(e)));
}

// The same namespace: the same nsfs inode.
bool SameNamespace(int a, int b) {
  struct stat sa {}, sb {};
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// The helper, made by clone(2) in the new namespaces: it only waits to be
// killed (or for its parent to die). Raw system calls only: it runs on a
// stack of its own, and a sanitizer's runtime does not know it.
__attribute__((no_sanitize("address", "thread", "undefined"))) int
HoldNamespace(void* /*arg*/) {
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  for (;;) syscall(SYS_pause);
  return 0;
}

}  // namespace

Result<Fd> MakeUeventNetns() {
  // clone(2), not fork + unshare: unshare(CLONE_NEWUSER) refuses a
  // process with threads (EINVAL), which a sanitizer's fork child has.
  constexpr size_t kStack = 64 * 1024;
  std::vector<char> stack(kStack);
  const pid_t pid = clone(HoldNamespace, stack.data() + kStack,
                          CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, nullptr);
  if (pid < 0) {
    return Status::Error(errno, fmt::format("a private user and network "
                                            "namespace (clone): {}",
                                            strerror(errno)));
  }
  Fd fd(open(fmt::format("/proc/{}/ns/net", pid).c_str(), O_RDONLY | O_CLOEXEC));
  Result<Fd> ns = fd.valid() ? Result<Fd>(std::move(fd))
                             : Result<Fd>(SysError("open the helper's ns/net"));
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  return ns;
}

Result<UeventNetlink> UeventNetlink::Open(const Fd& netns) {
  Fd home(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home.valid()) return SysError("open /proc/thread-self/ns/net");
  if (SameNamespace(home.get(), netns.get()))
    return Status::Error(EPERM, "refusing to send uevents into the host's "
                                "network namespace");
  if (setns(netns.get(), CLONE_NEWNET) != 0)
    return SysError("setns into the sandbox's network namespace");
  // A socket belongs to the namespace it was made in, for good.
  Fd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT));
  const int socket_errno = errno;
  if (setns(home.get(), CLONE_NEWNET) != 0)
    return SysError("setns back into the host's network namespace");
  if (!sock.valid()) {
    errno = socket_errno;
    return SysError("socket(NETLINK_KOBJECT_UEVENT)");
  }
  // What the kernel will broadcast into is the socket's namespace: check
  // that, not what we meant it to be.
  Fd sock_ns(ioctl(sock.get(), SIOCGSKNS));
  if (!sock_ns.valid()) return SysError("SIOCGSKNS");
  Fd init_ns(open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC));
  if (SameNamespace(sock_ns.get(), home.get()) ||
      (init_ns.valid() && SameNamespace(sock_ns.get(), init_ns.get())))
    return Status::Error(EPERM, "refusing to send uevents into the host's "
                                "network namespace");
  sockaddr_nl self{};
  self.nl_family = AF_NETLINK;  // nl_pid 0: the kernel picks a port
  if (bind(sock.get(), reinterpret_cast<const sockaddr*>(&self), sizeof self) != 0)
    return SysError("bind the uevent socket");
  return UeventNetlink(std::move(sock));
}

Status UeventNetlink::Send(std::string_view action, std::string_view devpath,
                           const std::vector<std::string>& env) {
  buffer_.clear();
  buffer_.append(action).append("@").append(devpath).push_back('\0');
  for (const std::string& kv : env) {
    if (kv.rfind("SEQNUM=", 0) == 0) continue;  // the kernel adds its own
    buffer_.append(kv).push_back('\0');
  }
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(sizeof header + buffer_.size());
  header.nlmsg_type = NLMSG_MIN_TYPE;  // below it, the kernel skips the message
  header.nlmsg_flags = NLM_F_REQUEST;
  iovec iov[2] = {{&header, sizeof header}, {buffer_.data(), buffer_.size()}};
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;  // nl_pid 0, no groups: the kernel's socket
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof kernel;
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  while (sendmsg(fd_.get(), &msg, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return SysError("send a uevent");
  }
  DrainAcks();
  return Status::Ok();
}

// The kernel answers a refused message (EPERM, EINVAL when over 2048
// bytes) with an error message to our port, at once.
void UeventNetlink::DrainAcks() {
  alignas(nlmsghdr) char reply[4096];
  ssize_t n;
  while ((n = recv(fd_.get(), reply, sizeof reply, MSG_DONTWAIT)) > 0) {
    const auto* h = reinterpret_cast<const nlmsghdr*>(reply);
    if (static_cast<size_t>(n) < sizeof *h + sizeof(nlmsgerr) ||
        h->nlmsg_type != NLMSG_ERROR)
      continue;
    // What NLMSG_DATA() gives, without its C cast.
    const auto* e = reinterpret_cast<const nlmsgerr*>(reply + NLMSG_HDRLEN);
    if (e->error == 0) continue;
    if (refused_++ == 0) first_error_ = -e->error;
  }
}

}  // namespace vap::cli
