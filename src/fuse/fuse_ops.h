// The libfuse3 high-level operations that serve a sysfs::Tree (the
// tree is the fuse private data). See fuse_mount.h for the semantics.
#ifndef VAP_FUSE_FUSE_OPS_H_
#define VAP_FUSE_FUSE_OPS_H_

#define FUSE_USE_VERSION 35
#include <fuse.h>

namespace vap::fuse {

// The operations table; every entry is filled.
const fuse_operations& SysfsOperations();

}  // namespace vap::fuse

#endif  // VAP_FUSE_FUSE_OPS_H_
