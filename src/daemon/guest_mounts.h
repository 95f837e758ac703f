// GuestMounts: each running guest's own /sys (its guest kernel's tree,
// src/guest) served as a FUSE mount of its own, at DIR.guests/NAME beside
// vapd's --mount DIR. `guest.show` reports the path as "sysfs"; `vap
// sandbox --guest NAME` makes it /sys.
//
// A guest kernel's tree lives as long as the kernel, which lives no longer
// than the guest: a mount ends before its guest stops or reboots (the
// methods unmount first), and a reboot mounts the new kernel's tree.
#ifndef VAP_DAEMON_GUEST_MOUNTS_H_
#define VAP_DAEMON_GUEST_MOUNTS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/mutex.h"
#include "base/result.h"
#include "fuse/fuse_mount.h"
#include "system/system.h"

namespace vap::daemon {

class GuestMounts {
 public:
  // `base`: the directory the guests' mount points go in (made when
  // needed). `system` must outlive this object.
  GuestMounts(System& system, std::string base, fuse::MountOptions options);
  // Unmounts what is left.
  ~GuestMounts();
  GuestMounts(const GuestMounts&) = delete;
  GuestMounts& operator=(const GuestMounts&) = delete;

  // Mounts the tree of guest `name`'s kernel (the errno of the mount, or
  // ENODEV if the guest runs no kernel).
  Status Mount(const std::string& name) VAP_EXCLUDES(mu_);
  // Ends guest `name`'s mount, if any, and removes its mount point.
  void Unmount(const std::string& name) VAP_EXCLUDES(mu_);
  void UnmountAll() VAP_EXCLUDES(mu_);
  // Where guest `name`'s tree is mounted (base/NAME), if it is.
  std::optional<std::string> PathOf(const std::string& name) const
      VAP_EXCLUDES(mu_);

 private:
  struct Mounted {
    std::shared_ptr<guest::GuestKernel> kernel;  // owns the tree
    std::unique_ptr<fuse::FuseMount> mount;
  };

  System& system_;
  const std::string base_;
  const fuse::MountOptions options_;
  // The mounts by guest name; rank kLeaf, never held across a mount or an
  // unmount (they wait for FUSE requests, which may read the trees).
  mutable Mutex mu_{LockRank::kLeaf, "guest_mounts"};
  std::map<std::string, std::shared_ptr<Mounted>> mounted_ VAP_GUARDED_BY(mu_);
};

}  // namespace vap::daemon

#endif  // VAP_DAEMON_GUEST_MOUNTS_H_
