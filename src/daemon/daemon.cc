#include "daemon/daemon.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <memory>

#include "fuse/fuse_mount.h"

namespace vap::daemon {

std::optional<LogLevel> ParseLogLevel(const std::string& name) {
  for (LogLevel l : {LogLevel::kErr, LogLevel::kWarning, LogLevel::kNotice,
                     LogLevel::kInfo, LogLevel::kDebug}) {
    if (name == LogLevelName(l)) return l;
  }
  return std::nullopt;
}

namespace {

// Blocks the shutdown signals in this thread and every thread it starts
// after, so that only sigwait() sees them.
sigset_t BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

}  // namespace

int RunDaemon(const DaemonOptions& options) {
  const sigset_t signals = BlockShutdownSignals();
  Result<std::unique_ptr<System>> created = System::Create(options.system);
  if (!created.ok()) {
    fmt::print(stderr, "vapd: --host {}: {}\n", options.system.host,
               created.status().message());
    return 1;
  }
  System& system = **created;
  system.log().EchoToStderr(true, options.log_level);

  std::unique_ptr<fuse::FuseMount> mount;
  if (!options.mount.empty()) {
    fuse::MountOptions m;
    m.mountpoint = options.mount;
    m.allow_other = geteuid() == 0;
    m.debug = options.fuse_debug;
    Result<std::unique_ptr<fuse::FuseMount>> mounted =
        fuse::FuseMount::Mount(system.tree(), m);
    if (!mounted.ok()) {
      fmt::print(stderr, "vapd: --mount {}: {}\n", options.mount,
                 mounted.status().ToString());
      return 1;
    }
    mount = std::move(*mounted);
  }
  fmt::print(stderr, "vapd: host {} ({} adapters, {} queues){}\n",
             system.profile().name, system.profile().cards.size(),
             system.bus().Queues().size(),
             mount ? " mounted at " + options.mount : ", no mount");

  int sig = 0;
  sigwait(&signals, &sig);
  fmt::print(stderr, "vapd: {}, shutting down\n", strsignal(sig));
  // Guests first (their devices close, so nothing waits on them), then
  // the mount, then the rest.
  system.StopAllGuests();
  if (mount) mount->Unmount();
  return 0;
}

}  // namespace vap::daemon
