// `vap monitor`: vapd's uevents as `udevadm monitor --kernel [--property]`
// prints the kernel's, streamed by the uevent.monitor method.
#ifndef VAP_CLI_MONITOR_H_
#define VAP_CLI_MONITOR_H_

#include <string>

#include "rpc/client.h"

namespace vap::cli {

struct MonitorOptions {
  bool property = false;  // each event's KEY=VALUE lines too
  std::string subsystem;  // only events of this subsystem; empty: all
};

// Prints events until vapd goes (exit 1) or the process is stopped;
// events lost because this reader was too slow are said on stderr.
int RunMonitor(rpc::Client& client, const MonitorOptions& options);

}  // namespace vap::cli

#endif  // VAP_CLI_MONITOR_H_
