// The JSON-RPC methods of live migration (docs/rpc.md "Migration"): the
// steps `vap guest migrate` takes on the source (guest.migrate.*) and the
// destination (guest.incoming.*), and the VFIO migration interface of an
// mdev itself (vfio.migration.*, vfio.reset), so that a client can play
// QEMU and send any bytes. Stream and data bytes travel as hex strings.
#ifndef VAP_DAEMON_MIGRATION_METHODS_H_
#define VAP_DAEMON_MIGRATION_METHODS_H_

#include "daemon/guest_mounts.h"
#include "rpc/dispatcher.h"
#include "system/system.h"

namespace vap::daemon {

// The largest piece of a stream or data fd one call moves: 256 KiB (as
// hex, half of an RPC line's limit).
inline constexpr size_t kMaxMigrationPiece = 256 * 1024;
// Data fds open at once through vfio.migration.set_state.
inline constexpr size_t kMaxMigrationFds = 64;

void RegisterMigration(rpc::Dispatcher& d, System& system, GuestMounts* mounts);

}  // namespace vap::daemon

#endif  // VAP_DAEMON_MIGRATION_METHODS_H_
