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
    // A guest's own kernel's events (its AP bus) instead of the host's.
    // The subscription keeps only the hub's queue, not the guest: a stop
    // or a reboot ends the events, and the stream ends with its peer.
    UeventHub* hub = &s.uevents();
    std::shared_ptr<guest::GuestKernel> kernel;
    if (p.contains("guest")) {
      if (!p["guest"].is_string())
        return rpc::InvalidParams("'guest' must be a string");
      VAP_ASSIGN_OR_RETURN(kernel, s.GuestKernelOf(p["guest"].get<std::string>()));
      hub = &kernel->uevents();
    }
    // Subscribed before the answer: nothing sent after it is missed.
    std::shared_ptr<UeventHub::Subscription> sub = hub->Subscribe();
    return rpc::Stream([sub, subsystem](rpc::StreamSink& sink) {
      Pump(*sub, subsystem, sink);
    });
  });
}

}  // namespace vap::daemon
