#include "daemon/daemon.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <memory>

#include "daemon/methods.h"
#include "fuse/fuse_mount.h"
#include "rpc/dispatcher.h"
#include "rpc/server.h"

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
  rpc::Dispatcher dispatcher;
  RegisterMethods(dispatcher, system,
                  SystemInfo{VAP_VERSION, options.mount, options.socket},
                  [] { kill(getpid(), SIGTERM); });
  Result<std::unique_ptr<rpc::Server>> server =
      rpc::Server::Listen(options.socket, dispatcher);
  if (!server.ok()) {
    fmt::print(stderr, "vapd: --socket {}: {}\n", options.socket,
               server.status().ToString());
    return 1;
  }
  fmt::print(stderr, "vapd: host {} ({} adapters, {} queues){}, socket {}\n",
             system.profile().name, system.profile().cards.size(),
             system.bus().Queues().size(),
             mount ? " mounted at " + options.mount : ", no mount",
             options.socket);

  int sig = 0;
  sigwait(&signals, &sig);
  fmt::print(stderr, "vapd: {}, shutting down\n", strsignal(sig));
  // No new requests; then the guests (their devices close, so nothing
  // waits on them); then the mount; then the rest.
  (*server)->Stop();
  system.StopAllGuests();
  if (mount) mount->Unmount();
  return 0;
}

}  // namespace vap::daemon
