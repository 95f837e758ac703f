// `vap sandbox --uevents`: vapd's uevents, streamed by its uevent.monitor
// method, sent into the sandbox's network namespace one by one, in order.
#ifndef VAP_CLI_UEVENT_FORWARDER_H_
#define VAP_CLI_UEVENT_FORWARDER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "base/result.h"
#include "cli/uevent_netns.h"
#include "rpc/client.h"

namespace vap::cli {

class UeventForwarder {
 public:
  // Subscribes on vapd's socket: every event vapd sends from this call's
  // return on is forwarded once Start() runs, none before. With `guest`,
  // that guest's own kernel's events instead of the host's.
  static Result<std::unique_ptr<UeventForwarder>> Subscribe(
      const std::string& socket, UeventNetlink netlink,
      const std::string& guest = "");
  // Forwards on a thread of its own until destroyed.
  void Start();
  // Stops; says on stderr what was lost: events vapd dropped because
  // forwarding fell behind, messages the kernel refused.
  ~UeventForwarder();

 private:
  UeventForwarder(rpc::Client client, UeventNetlink netlink)
      : client_(std::move(client)), netlink_(std::move(netlink)) {}
  void Run();

  // Used by the thread alone while it runs; read after it is joined.
  rpc::Client client_;
  UeventNetlink netlink_;
  uint64_t forwarded_ = 0;
  uint64_t lost_ = 0;  // vapd's count (uevent.lost)
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace vap::cli

#endif  // VAP_CLI_UEVENT_FORWARDER_H_
