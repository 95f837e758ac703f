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
  const sigset_t signals = BlockShutdownSignals();
  Result<Started> started = Start(options);
  if (!started.ok()) return 1;
  System& system = *started->system;
  state::DurableState* const state = started->state.get();
  system.log().EchoToStderr(true, options.log_level);
  if (state) {
    system.tree().SetStoreObserver([state] { return state->Commit(); });
  }

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
                  SystemInfo{VAP_VERSION, options.mount, options.socket}, state,
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
