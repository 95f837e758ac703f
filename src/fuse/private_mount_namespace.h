// For the tests that mount the tree: a mount namespace of the process's
// own, whose mounts do not propagate to the host's. Call it before any
// thread starts (the namespace is the calling thread's; threads made
// later inherit it). False without root, or if either step fails.
#ifndef VAP_FUSE_PRIVATE_MOUNT_NAMESPACE_H_
#define VAP_FUSE_PRIVATE_MOUNT_NAMESPACE_H_

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

namespace vap::fuse {

inline bool EnterPrivateMountNamespace() {
  return geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
         mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

}  // namespace vap::fuse

#endif  // VAP_FUSE_PRIVATE_MOUNT_NAMESPACE_H_
