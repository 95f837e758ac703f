// vap sandbox: run a command in a private mount namespace in which a vapd
// mount is /sys and a private directory is /etc/mdevctl.d, so that real tools
// (mdevctl 1.2.0, lszcrypt, scripts) work unchanged against vap
// (docs/architecture.md, "Interface contract"; mdevctl 1.2.0 refuses to start
// unless /etc/mdevctl.d/scripts.d/{callouts,notifiers} exist). With
// --uevents the sandbox also has a network namespace of its own that
// receives vapd's uevents over netlink (cli/uevent_netns.h); with --udev,
// systemd-udevd runs in it (cli/sandbox_udev.h). The host's /sys, /etc,
// /run, /dev and network namespace are never touched: every mount lives
// and dies with the namespace.
#ifndef VAP_CLI_SANDBOX_H_
#define VAP_CLI_SANDBOX_H_

#include <string>
#include <vector>

namespace vap::cli {

struct SandboxOptions {
  std::string mount;        // becomes /sys; required
  std::string mdevctl_dir;  // becomes /etc/mdevctl.d; empty: a fresh one
  std::vector<std::string> command;  // argv; required
  bool uevents = false;     // a private network namespace with vapd's uevents
  bool udev = false;        // systemd-udevd inside; implies uevents
  std::string udev_rules;   // with udev: only these rules; empty: the host's
  std::string socket;       // vapd's, for uevents
  std::string guest;        // a guest's own tree instead of the host's

};

// Returns CMD's exit status (128 + N if killed by signal N), 127 if it
// could not be run, 1 if the sandbox could not be set up (needs root:
// CAP_SYS_ADMIN). Messages go to stderr prefixed "vap sandbox: ".
int RunSandbox(const SandboxOptions& options);

}  // namespace vap::cli

#endif  // VAP_CLI_SANDBOX_H_
