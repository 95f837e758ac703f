// FuseMount: serves a sysfs tree at a directory with libfuse3, so that
// bind-mounting the directory over /sys satisfies real tools
// (docs/sysfs-abi.md, "The tree under the mount").
//
// What the mount does, as sysfs does: modes enforced by the kernel
// (default_permissions), and by the tree for root (a write to a read-only
// attribute is EACCES even for root); every attribute has size 4096 and
// is read fresh (direct I/O; a read at offset 0, or anywhere but where
// the last read of that open file ended, calls show and skips to the
// offset; a read where the last one ended goes on in what that show
// returned, as seq_read_iter() does); reads and writes of one open file
// are serialized (kernfs_open_file's mutex); each write(2) is one
// store, its errno returned unchanged; O_TRUNC is ignored. The kernel
// caches names and attributes (an hour) and the mount invalidates them
// the moment the tree changes (a node removed, a device bound or unbound:
// sysfs::ChangeObserver), before the change's writer returns, so a
// removed mdev or a changed link is seen at once; an open or a readlink
// looks a computed entry up again. Values are never cached. Times are the
// node's creation; a directory's link count is 2 + its subdirectories.
// Creating files gives EACCES; mkdir, unlink, rmdir, rename and symlink
// give EPERM (kernfs).
//
// Thread safety: requests are served by libfuse's multi-threaded loop;
// the tree is thread safe. Unmount() may be called from any thread.
#ifndef VAP_FUSE_FUSE_MOUNT_H_
#define VAP_FUSE_FUSE_MOUNT_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "base/result.h"
#include "fuse/fuse_ops.h"
#include "sysfs/tree.h"

namespace vap::fuse {

struct MountOptions {
  std::string mountpoint;
  // allow_other: other users may look (root only; needs no fuse.conf).
  bool allow_other = false;
  // libfuse's request trace on stderr.
  bool debug = false;
  // How long an idle thread watches for the next request before it
  // blocks (SpinningReader); 0: never.
  std::chrono::microseconds spin = SpinningReader::kDefaultSpin;
};

class FuseMount {
 public:
  // How long Unmount() waits for the loop's threads.
  static constexpr std::chrono::milliseconds kLoopGrace{1500};

  // Mounts `tree` and starts serving it. EINVAL/ENOENT/ENOTDIR for a bad
  // mount point, EIO if libfuse refuses (its message is on stderr). A dead
  // vap mount left at the mount point by a vapd that died is detached
  // first (took_over_dead_mount()); another dead FUSE mount there gives
  // ENOTCONN with the command that detaches it.
  static Result<std::unique_ptr<FuseMount>> Mount(sysfs::Tree& tree,
                                                  const MountOptions& options);
  // Unmounts if still mounted.
  ~FuseMount();
  FuseMount(const FuseMount&) = delete;
  FuseMount& operator=(const FuseMount&) = delete;

  // Stops serving and unmounts, within about kLoopGrace whatever holds
  // the mount: as root, holders lose the connection (ENOTCONN). True if
  // the loop's threads ended; false if they were left to the process's
  // exit (no root and a holder, or a request that did not return).
  bool Unmount();
  const std::string& mountpoint() const { return mountpoint_; }
  // The requests answered so far, by kind.
  RequestCounts request_counts() const;
  bool took_over_dead_mount() const { return took_over_dead_mount_; }
  void TEST_SetInvalidation(bool on) { context_->TEST_SetInvalidation(on); }

 private:
  FuseMount(fuse_session* se, std::unique_ptr<OpsContext> context,
            std::string mountpoint);

  fuse_session* session_;
  // The operations' private data; outlives the loop (freed after it).
  std::unique_ptr<OpsContext> context_;
  const std::string mountpoint_;
  std::thread loop_;
  const std::shared_ptr<std::atomic<bool>> loop_done_ =
      std::make_shared<std::atomic<bool>>(false);
  bool mounted_ = true;
  bool took_over_dead_mount_ = false;
};

}  // namespace vap::fuse

#endif  // VAP_FUSE_FUSE_MOUNT_H_
