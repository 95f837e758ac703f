#include "cli/uevent_netns.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace vap::cli {
namespace {

// A socket on NETLINK_KOBJECT_UEVENT's group 1 (what libudev's "kernel"
// monitor opens), made in `netns`, or here if it is null.
Fd Listener(const Fd* netns) {
  Fd home(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (netns != nullptr && setns(netns->get(), CLONE_NEWNET) != 0) return Fd();
  Fd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT));
  if (netns != nullptr && setns(home.get(), CLONE_NEWNET) != 0) return Fd();
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = 1;
  const int on = 1;
  if (bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      setsockopt(sock.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0)
    return Fd();
  return sock;
}

struct Received {
  std::string payload;
  uint32_t sender_port = 1;
  uint32_t groups = 0;
  int uid = -1;
};

// The next message that names /devices/vaptest, within `ms`.
bool ReceiveOurs(const Fd& sock, int ms, Received* out) {
  pollfd p{sock.get(), POLLIN, 0};
  while (poll(&p, 1, ms) == 1) {
    char buf[8192];
    char control[CMSG_SPACE(sizeof(ucred))];
    sockaddr_nl from{};
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(sock.get(), &msg, 0);
    if (n <= 0) return false;
    std::string payload(buf, static_cast<size_t>(n));
    if (payload.find("/devices/vaptest") == std::string::npos) continue;
    out->payload = payload;
    out->sender_port = from.nl_pid;
    out->groups = from.nl_groups;
    if (cmsghdr* c = CMSG_FIRSTHDR(&msg); c && c->cmsg_type == SCM_CREDENTIALS)
      out->uid = static_cast<int>(reinterpret_cast<ucred*>(CMSG_DATA(c))->uid);
    return true;
  }
  return false;
}

TEST(UeventNetnsTest, NeverOpensInTheHostsNamespace) {
  Fd here(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(here.valid());
  Result<UeventNetlink> netlink = UeventNetlink::Open(here);
  ASSERT_FALSE(netlink.ok());
  EXPECT_EQ(netlink.status().errno_value(), EPERM);
}

TEST(UeventNetnsTest, TheKernelBroadcastsInTheSandboxAlone) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (CAP_SYS_ADMIN)";
  Result<Fd> netns = MakeUeventNetns();
  ASSERT_TRUE(netns.ok()) << netns.status().ToString();
  Result<UeventNetlink> netlink = UeventNetlink::Open(*netns);
  ASSERT_TRUE(netlink.ok()) << netlink.status().ToString();
  Fd inside = Listener(&*netns), here = Listener(nullptr);
  ASSERT_TRUE(inside.valid());
  ASSERT_TRUE(here.valid());

  // vap's own SEQNUM is left out: the kernel appends its own.
  const std::vector<std::string> env = {"ACTION=change", "DEVPATH=/devices/vaptest",
                                        "SUBSYSTEM=vaptest", "SEQNUM=5"};
  ASSERT_TRUE(netlink->Send("change", "/devices/vaptest", env).ok());
  Received got;
  ASSERT_TRUE(ReceiveOurs(inside, 2000, &got));
  // What libudev checks: the kernel's port, group 1, uid 0.
  EXPECT_EQ(got.sender_port, 0u);
  EXPECT_EQ(got.groups, 1u);
  EXPECT_EQ(got.uid, 0);
  static constexpr char kHead[] =
      "change@/devices/vaptest\0ACTION=change\0DEVPATH=/devices/vaptest\0"
      "SUBSYSTEM=vaptest\0SEQNUM=";
  const std::string head(kHead, sizeof kHead - 1);
  ASSERT_EQ(got.payload.substr(0, head.size()), head);
  EXPECT_NE(got.payload.substr(head.size()), std::string("5\0", 2));
  EXPECT_EQ(got.payload.back(), '\0');
  Received leaked;
  EXPECT_FALSE(ReceiveOurs(here, 200, &leaked)) << "reached this namespace";

  // Over 2048 bytes: the kernel refuses it (EINVAL), asynchronously.
  EXPECT_EQ(netlink->refused(), 0u);
  ASSERT_TRUE(netlink
                  ->Send("change", "/devices/vaptest",
                         {"SUBSYSTEM=vaptest", "BIG=" + std::string(2100, 'x')})
                  .ok());
  EXPECT_EQ(netlink->refused(), 1u);
  EXPECT_EQ(netlink->first_error(), EINVAL);
  EXPECT_FALSE(ReceiveOurs(inside, 200, &got));
}

}  // namespace
}  // namespace vap::cli
