// uevent.monitor: the host's uevents streamed over the RPC connection
// (`vap monitor`; docs/rpc.md).
#ifndef VAP_DAEMON_MONITOR_H_
#define VAP_DAEMON_MONITOR_H_

#include "rpc/dispatcher.h"
#include "system/system.h"

namespace vap::daemon {

void RegisterMonitor(rpc::Dispatcher& d, System& system);

}  // namespace vap::daemon

#endif  // VAP_DAEMON_MONITOR_H_
