// The libfuse3 high-level operations that serve a sysfs::Tree (an
// OpsContext is the fuse private data). See fuse_mount.h for the
// semantics.
#ifndef VAP_FUSE_FUSE_OPS_H_
#define VAP_FUSE_FUSE_OPS_H_

#define FUSE_USE_VERSION 35
#include <fuse.h>

#include <unordered_set>

#include "base/mutex.h"
#include "sysfs/tree.h"

namespace vap::fuse {

struct Handle;  // an open attribute (fuse_ops.cc)

// What the operations serve: the tree, and every file open through the
// mount. A connection aborted at shutdown never sends the RELEASE of the
// files still open; destroying the context, once the loop has ended,
// frees them.
class OpsContext {
 public:
  explicit OpsContext(sysfs::Tree& tree) : tree_(tree) {}
  ~OpsContext() VAP_EXCLUDES(mu_);
  OpsContext(const OpsContext&) = delete;
  OpsContext& operator=(const OpsContext&) = delete;

  sysfs::Tree& tree() const { return tree_; }
  void Opened(Handle* h) VAP_EXCLUDES(mu_);
  void Released(Handle* h) VAP_EXCLUDES(mu_);

 private:
  sysfs::Tree& tree_;
  // Rank kLeaf: taken only by Open and Release, holding nothing else.
  Mutex mu_{LockRank::kLeaf, "fuse_open_files"};
  std::unordered_set<Handle*> open_ VAP_GUARDED_BY(mu_);
};

// The operations table; every entry is filled.
const fuse_operations& SysfsOperations();

}  // namespace vap::fuse

#endif  // VAP_FUSE_FUSE_OPS_H_
