// `vap sandbox --udev`: systemd-udevd inside the sandbox, as a booting s390
// host runs it: a private /run (its database, queue and control socket),
// a private /dev, the host's rules or only those of --udev-rules DIR, and
// the coldplug (`udevadm trigger --action=add` for subsystems, then
// devices, waiting for each event to be processed). Everything here runs
// in the sandbox's own mount and network namespaces, after /sys is vapd's
// mount; nothing touches the host's /run, /dev, /etc or udevd.
#ifndef VAP_CLI_SANDBOX_UDEV_H_
#define VAP_CLI_SANDBOX_UDEV_H_

#include <string>

#include "base/status.h"

namespace vap::cli {

// Where systemd-udevd is on Debian 12 (a link to udevadm).
inline constexpr const char* kSystemdUdevd = "/lib/systemd/systemd-udevd";

// Private /run and /dev, and the rules: `rules_dir` alone if not empty,
// else the host's with 80-drivers.rules masked (its `kmod load` of an
// event's MODALIAS would load modules into the host's kernel).
Status PrepareUdev(const std::string& rules_dir);

// Starts systemd-udevd and runs the coldplug; fails if either does not
// finish within a minute.
Status StartUdev();

// `udevadm control --exit`: udevd finishes its queue and exits.
void StopUdev();

}  // namespace vap::cli

#endif  // VAP_CLI_SANDBOX_UDEV_H_
