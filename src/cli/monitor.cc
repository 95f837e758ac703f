#include "cli/monitor.h"

#include <fmt/format.h>
#include <time.h>

#include <cstdio>
#include <string>

namespace vap::cli {

using rpc::Json;

namespace {

// udevadm monitor's event line: the source, the receipt's CLOCK_MONOTONIC
// time, the action, the devpath and the subsystem.
void PrintEvent(const Json& e, bool property) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  fmt::print("{:<6}[{}.{:06}] {:<8} {} ({})\n", "KERNEL", ts.tv_sec,
             ts.tv_nsec / 1000, e.value("action", ""), e.value("devpath", ""),
             e.value("subsystem", ""));
  if (property) {
    // As udevadm: a value's trailing newlines (APMASK's) are not printed.
    for (const Json& kv : e["env"]) {
      std::string line = kv.get<std::string>();
      while (!line.empty() && line.back() == '\n') line.pop_back();
      fmt::print("{}\n", line);
    }
    fmt::print("\n");
  }
  std::fflush(stdout);
}

}  // namespace

int RunMonitor(rpc::Client& client, const MonitorOptions& options) {
  Json params = Json::object();
  if (!options.subsystem.empty()) params["subsystem"] = options.subsystem;
  Result<rpc::Reply> reply = client.Call("uevent.monitor", params);
  if (!reply.ok() || !reply->ok) {
    fmt::print(stderr, "vap: monitor: {}\n",
               reply.ok() ? reply->error.value("message", "error")
                          : reply.status().ToString());
    return 1;
  }
  fmt::print("monitor will print the received events for:\n"
             "KERNEL - the kernel uevent\n\n");
  std::fflush(stdout);
  uint64_t lost = 0;
  for (;;) {
    Result<Json> n = client.NextNotification();
    if (!n.ok()) {
      fmt::print(stderr, "vap: monitor: {}\n", n.status().message());
      return 1;
    }
    const std::string method = (*n)["method"];
    const Json& p = (*n)["params"];
    if (method == "uevent.lost") {
      const uint64_t total = p.value("dropped", uint64_t{0});
      fmt::print(stderr,
                 "vap: monitor: {} events lost: this reader was too slow "
                 "(netlink's ENOBUFS)\n",
                 total - lost);
      lost = total;
    } else if (method == "uevent") {
      PrintEvent(p, options.property);
    }
  }
}

}  // namespace vap::cli
