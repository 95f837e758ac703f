// The JSON-RPC methods of vapd's interface contract (docs/architecture.md)
// over a System. Their params and results are documented in docs/rpc.md.
#ifndef VAP_DAEMON_METHODS_H_
#define VAP_DAEMON_METHODS_H_

#include <functional>
#include <string>

#include "daemon/guest_mounts.h"
#include "rpc/dispatcher.h"
#include "state/durable_state.h"
#include "system/system.h"

namespace vap::daemon {

struct SystemInfo {
  std::string version;
  std::string mount;   // empty without a mount
  std::string socket;  // the RPC socket's path
};

// Registers every method; `stop` is what system.stop calls (it must only
// ask for a shutdown, not wait for it). With `state` (vapd --state), the
// methods that change the host commit it before they answer. With
// `mounts`, each guest's own /sys is mounted while it runs.
void RegisterMethods(rpc::Dispatcher& d, System& system, SystemInfo info,
                     state::DurableState* state, std::function<void()> stop,
                     GuestMounts* mounts = nullptr);

}  // namespace vap::daemon

#endif  // VAP_DAEMON_METHODS_H_
