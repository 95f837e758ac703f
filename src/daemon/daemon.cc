#include "daemon/daemon.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <memory>

#include "daemon/methods.h"
#include "daemon/signals.h"
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

struct Started {
  std::unique_ptr<System> system;
  std::unique_ptr<state::DurableState> state;
};

// The system, from --state FILE if given (created there the first time),
// else from --host. Says on stderr what went wrong.
Result<Started> Start(const DaemonOptions& options) {
  if (options.state.empty()) {
    Result<std::unique_ptr<System>> created = System::Create(options.system);
    if (!created.ok()) {
      fmt::print(stderr, "vapd: --host {}: {}\n", options.system.host,
                 created.status().message());
      return created.status();
    }
    return Started{std::move(*created), nullptr};
  }
  Result<state::DurableState::Opened> opened =
      state::DurableState::Open(options.system, options.state);
  if (!opened.ok()) {
    fmt::print(stderr, "vapd: --state {}: {}\n", options.state,
               opened.status().message());
    fmt::print(stderr, "vapd: the file is left as it is; move it away to "
                       "start afresh from --host\n");
    return opened.status();
  }
  fmt::print(stderr, "vapd: state {} {}\n", options.state,
             opened->restored
                 ? fmt::format("restored ({} mdevs)",
                               opened->system->vfio().Mdevs().size())
                 : "created from --host " + options.system.host);
  return Started{std::move(opened->system), std::move(opened->state)};
}

}  // namespace

int RunDaemon(const DaemonOptions& options) {
  ShutdownSignals signals;  // before any other thread starts
  Result<Started> started = Start(options);
  if (!started.ok()) return 1;
  System& system = *started->system;
  state::DurableState* const state = started->state.get();
  system.log().EchoToStderr(true, options.log_level);
  if (state) {
    system.tree().SetStoreObserver([state] { return state->Commit(); });
  }

  signals.Serving();  // from here on a signal shuts down cleanly
  std::unique_ptr<fuse::FuseMount> mount;
  if (!options.mount.empty()) {
    fuse::MountOptions m;
    m.mountpoint = options.mount;
    m.allow_other = geteuid() == 0;
    m.debug = options.fuse_debug;
    m.spin = std::chrono::microseconds(options.fuse_spin_us);
    Result<std::unique_ptr<fuse::FuseMount>> mounted =
        fuse::FuseMount::Mount(system.tree(), m);
    if (!mounted.ok()) {
      fmt::print(stderr, "vapd: --mount {}: {}\n", options.mount,
                 mounted.status().ToString());
      return 1;
    }
    mount = std::move(*mounted);
    if (mount->took_over_dead_mount()) {
      fmt::print(stderr, "vapd: --mount {}: detached the dead mount of a "
                         "vapd that did not exit cleanly\n", options.mount);
    }
  }
  // Each guest's own /sys, beside the host's.
  std::unique_ptr<GuestMounts> guest_mounts;
  if (mount) {
    fuse::MountOptions g;
    g.allow_other = geteuid() == 0;
    g.debug = options.fuse_debug;
    g.spin = std::chrono::microseconds(0);  // many mounts: no spinning readers
    guest_mounts = std::make_unique<GuestMounts>(system, options.mount + ".guests", g);
  }
  rpc::Dispatcher dispatcher;
  RegisterMethods(dispatcher, system,
                  SystemInfo{VAP_VERSION, options.mount, options.socket}, state,
                  [] { kill(getpid(), SIGTERM); }, guest_mounts.get());
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

  const int sig = signals.Wait();
  fmt::print(stderr, "vapd: {}, shutting down\n", strsignal(sig));
  // Bounded whatever holds the mount or waits: resets in progress give
  // up first (a store, close or removal waiting on one returns); then no
  // new requests; then the guests (their devices close); then the mount,
  // whose holders lose the connection; then the last commit.
  system.vfio().CancelWaits();
  (*server)->Stop();
  if (guest_mounts) guest_mounts->UnmountAll();  // before the guests' kernels go
  system.StopAllGuests();
  if (mount && !mount->Unmount()) {
    fmt::print(stderr, "vapd: --mount {}: a request did not return in "
                       "time; the mount ends with the process\n",
               options.mount);
  }
  if (state) {
    const Status saved = state->Commit();
    if (!saved.ok()) {
      fmt::print(stderr, "vapd: --state {}: {}\n", options.state,
                 saved.message());
      return 1;
    }
  }
  return 0;
}

}  // namespace vap::daemon
