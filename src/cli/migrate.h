// vap guest migrate NAME --to SOCKET [--mdev UUID]: a running guest's live
// migration from the vapd `source` talks to into the vapd at SOCKET, run
// as libvirt runs QEMU's: the destination is started incoming first, the
// source's stream is carried to it piece by piece, the destination runs,
// and only then the source lets its guest go. Any failure leaves the
// guest running on the source and nothing on the destination.
#ifndef VAP_CLI_MIGRATE_H_
#define VAP_CLI_MIGRATE_H_

#include <string>

#include "rpc/client.h"

namespace vap::cli {

struct MigrateOptions {
  std::string name;
  std::string to;    // the destination vapd's socket
  std::string mdev;  // the destination's mdev; empty: the same UUID
  double timeout = 30;
  bool json = false;
};

// 0 after a migration; 1 (with the failing step's error on stderr) if
// it failed.
int RunMigrate(rpc::Client& source, const MigrateOptions& options);

}  // namespace vap::cli

#endif  // VAP_CLI_MIGRATE_H_
