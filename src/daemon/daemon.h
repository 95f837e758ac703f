// vapd's body: parse the flags, build the System, mount it, wait for a
// signal, shut down cleanly (docs/architecture.md, "Interface contract":
// vapd).
#ifndef VAP_DAEMON_DAEMON_H_
#define VAP_DAEMON_DAEMON_H_

#include <optional>
#include <string>

#include "base/log.h"
#include "fuse/spinning_reader.h"
#include "system/system.h"

namespace vap::daemon {

struct DaemonOptions {
  SystemOptions system;
  std::string mount;   // empty: no FUSE mount
  std::string socket;  // the JSON-RPC socket (rpc::DefaultSocketPath())
  std::string state;   // --state FILE; empty: nothing is kept
  LogLevel log_level = LogLevel::kInfo;
  bool fuse_debug = false;
  // How long an idle FUSE thread watches for the next request, in
  // microseconds (fuse::SpinningReader); 0: never.
  unsigned fuse_spin_us =
      static_cast<unsigned>(fuse::SpinningReader::kDefaultSpin.count());
};

// "err", "warn", "notice", "info" or "debug".
std::optional<LogLevel> ParseLogLevel(const std::string& name);

// Runs vapd until SIGTERM, SIGINT or SIGHUP (signals.h); returns the exit code (0 after a
// clean shutdown, 1 if it could not start).
int RunDaemon(const DaemonOptions& options);

}  // namespace vap::daemon

#endif  // VAP_DAEMON_DAEMON_H_
