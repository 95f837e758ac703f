#include "cli/uevent_forwarder.h"

#include <fmt/format.h>

#include <cstring>
#include <utility>
#include <vector>

namespace vap::cli {

using rpc::Json;

Result<std::unique_ptr<UeventForwarder>> UeventForwarder::Subscribe(
    const std::string& socket, UeventNetlink netlink, const std::string& guest) {
  VAP_ASSIGN_OR_RETURN(rpc::Client client, rpc::Client::Connect(socket, 30));
  Json params = Json::object();
  if (!guest.empty()) params["guest"] = guest;
  VAP_ASSIGN_OR_RETURN(const rpc::Reply reply,
                       client.Call("uevent.monitor", params));
  if (!reply.ok) {
    return Status::Error(EIO, "uevent.monitor: " +
                                  reply.error.value("message", "error"));
  }
  return std::unique_ptr<UeventForwarder>(
      new UeventForwarder(std::move(client), std::move(netlink)));
}

void UeventForwarder::Start() { thread_ = std::thread([this] { Run(); }); }

void UeventForwarder::Run() {
  while (!stopping_.load(std::memory_order_relaxed)) {
    Result<Json> n = client_.NextNotification();
    if (!n.ok()) {
      if (!stopping_.load(std::memory_order_relaxed))
        fmt::print(stderr, "vap sandbox: uevents: {}\n", n.status().message());
      return;
    }
    const Json& p = (*n)["params"];
    if ((*n)["method"] == "uevent.lost") {
      lost_ = p.value("dropped", uint64_t{0});
      continue;
    }
    const std::vector<std::string> env = p.value("env", std::vector<std::string>{});
    const Status sent = netlink_.Send(p.value("action", ""),
                                      p.value("devpath", ""), env);
    if (!sent.ok()) {
      fmt::print(stderr, "vap sandbox: uevents: {}\n", sent.message());
      return;
    }
    ++forwarded_;
  }
}

UeventForwarder::~UeventForwarder() {
  if (thread_.joinable()) {
    stopping_.store(true, std::memory_order_relaxed);
    client_.Shutdown();
    thread_.join();
  }
  if (lost_ != 0) {
    fmt::print(stderr,
               "vap sandbox: uevents: {} lost: forwarding fell behind vapd "
               "(netlink's ENOBUFS)\n",
               lost_);
  }
  if (netlink_.refused() != 0) {
    fmt::print(stderr, "vap sandbox: uevents: the kernel refused {} of {}: {}\n",
               netlink_.refused(), forwarded_,
               strerror(netlink_.first_error()));
  }
}

}  // namespace vap::cli
