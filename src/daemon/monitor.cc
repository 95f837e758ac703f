#include "daemon/monitor.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "base/uevent.h"

namespace vap::daemon {

namespace {

using rpc::Json;
using namespace std::chrono_literals;

Json Notification(const char* method, Json params) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

Json EventJson(const Uevent& e) {
  return {{"seqnum", e.seqnum()},
          {"action", e.action()},
          {"devpath", e.devpath()},
          {"subsystem", e.subsystem()},
          {"env", e.Env()}};
}

// Sends the subscription's events until the peer goes; a loss (the
// subscriber's queue was full) is reported before the next event, with
// the total lost so far.
void Pump(UeventHub::Subscription& sub, const std::string& subsystem,
          rpc::StreamSink& sink) {
  uint64_t reported = 0;
  while (!sink.PeerGone()) {
    const std::optional<Uevent> e = sub.Next(200ms);
    if (const uint64_t lost = sub.dropped(); lost != reported) {
      if (!sink.Send(Notification("uevent.lost", {{"dropped", lost}}))) return;
      reported = lost;
    }
    if (!e || (!subsystem.empty() && e->subsystem() != subsystem)) continue;
    if (!sink.Send(Notification("uevent", EventJson(*e)))) return;
  }
}

}  // namespace

void RegisterMonitor(rpc::Dispatcher& d, System& s) {
  d.RegisterStream("uevent.monitor", [&s](const Json& p) -> Result<rpc::Stream> {
    std::string subsystem;
    if (p.contains("subsystem")) {
      if (!p["subsystem"].is_string())
        return rpc::InvalidParams("'subsystem' must be a string");
      subsystem = p["subsystem"];
    }
    // Subscribed before the answer: nothing sent after it is missed.
    std::shared_ptr<UeventHub::Subscription> sub = s.uevents().Subscribe();
    return rpc::Stream([sub, subsystem](rpc::StreamSink& sink) {
      Pump(*sub, subsystem, sink);
    });
  });
}

}  // namespace vap::daemon
