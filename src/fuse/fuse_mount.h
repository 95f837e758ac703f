// FuseMount: serves a sysfs tree at a directory with libfuse3, so that
// bind-mounting the directory over /sys satisfies real tools (DESIGN.md
// "Tree under the mount", docs/sysfs-abi.md).
//
// What the mount does, as sysfs does: modes enforced by the kernel
// (default_permissions), and by the tree for root (a write to a read-only
// attribute is EACCES even for root); every attribute has size 4096 and
// is read fresh (direct I/O; a read at offset 0 calls show, later offsets
// read what that show returned, as seq_file does); each write(2) is one
// store, its errno returned unchanged; O_TRUNC is ignored; entries and
// attributes are never cached by the kernel (timeouts 0), so a removed
// mdev or a changed link is seen at once. Creating files gives EACCES;
// mkdir, unlink, rmdir, rename and symlink give EPERM (kernfs).
//
// Thread safety: requests are served by libfuse's multi-threaded loop;
// the tree is thread safe. Unmount() may be called from any thread.
#ifndef VAP_FUSE_FUSE_MOUNT_H_
#define VAP_FUSE_FUSE_MOUNT_H_

#include <memory>
#include <string>
#include <thread>

#include "base/result.h"
#include "sysfs/tree.h"

struct fuse;

namespace vap::fuse {

struct MountOptions {
  std::string mountpoint;
  // allow_other: other users may look (root only; needs no fuse.conf).
  bool allow_other = false;
  // libfuse's request trace on stderr.
  bool debug = false;
};

class FuseMount {
 public:
  // Mounts `tree` and starts serving it. EINVAL/ENOENT/ENOTDIR for a bad
  // mount point, EIO if libfuse refuses (its message is on stderr).
  static Result<std::unique_ptr<FuseMount>> Mount(sysfs::Tree& tree,
                                                  const MountOptions& options);
  // Unmounts if still mounted.
  ~FuseMount();
  FuseMount(const FuseMount&) = delete;
  FuseMount& operator=(const FuseMount&) = delete;

  // Stops serving and unmounts; waits for the loop's threads.
  void Unmount();
  const std::string& mountpoint() const { return mountpoint_; }

 private:
  FuseMount(struct ::fuse* f, std::string mountpoint);

  struct ::fuse* fuse_;
  const std::string mountpoint_;
  std::thread loop_;
  bool mounted_ = true;
};

}  // namespace vap::fuse

#endif  // VAP_FUSE_FUSE_MOUNT_H_
