// vapd: the vap daemon. Serves an s390 host's AP and vfio_ap sysfs at
// --mount with FUSE (docs/architecture.md, "Interface contract").
#include <CLI/CLI.hpp>

#include "daemon/daemon.h"
#include "rpc/socket_path.h"

int main(int argc, char** argv) {
  vap::daemon::DaemonOptions options;
  std::string log_level = "info";
  CLI::App app{
      "vapd: the s390 vfio_ap pass-through system in user space.\n"
      "Models a host's AP firmware and AP bus, the vfio_ap driver and KVM\n"
      "guests, and serves the host's /sys (bus/ap, devices/ap,\n"
      "devices/vfio_ap, ...) at --mount. Runs in the foreground; SIGTERM,\n"
      "SIGINT or SIGHUP stops the guests, unmounts (processes still in the\n"
      "mount get ENOTCONN) and exits within about 2 s.",
      "vapd"};
  app.set_version_flag("--version", "vapd " VAP_VERSION);
  app.add_option("--mount", options.mount,
                 "Serve the sysfs tree at this directory (FUSE)")
      ->type_name("DIR");
  options.socket = vap::rpc::DefaultSocketPath();
  app.add_option("--socket", options.socket,
                 "JSON-RPC socket (mode 0600) for the vap command")
      ->type_name("PATH")
      ->capture_default_str();
  app.add_option("--host", options.system.host,
                 "Host profile: builtin:default, builtin:full, "
                 "builtin:legacy or a JSON file")
      ->type_name("PROFILE")
      ->capture_default_str();
  app.add_option("--state", options.state,
                 "Keep the host's state in FILE: restored at start (its "
                 "host wins over --host), every acknowledged change on "
                 "disk before it is acknowledged")
      ->type_name("FILE");
  app.add_option("--time-scale", options.system.time_scale,
                 "Multiply every firmware and driver delay by X")
      ->type_name("X")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--log-level", log_level,
                 "Kernel messages on stderr from this level up")
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"err", "warn", "notice", "info", "debug"}))
      ->capture_default_str();
  app.add_flag("--fuse-debug", options.fuse_debug,
               "Trace every FUSE request on stderr");
  app.add_option("--fuse-spin-us", options.fuse_spin_us,
                 "How long an idle FUSE thread watches for the next request "
                 "before it sleeps: faster reads on virtual machines whose "
                 "idle CPUs halt at once, at the cost of that CPU time; 0: "
                 "never")
      ->type_name("US")
      ->check(CLI::Range(0u, 10000u))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.log_level = *vap::daemon::ParseLogLevel(log_level);
  return vap::daemon::RunDaemon(options);
}
