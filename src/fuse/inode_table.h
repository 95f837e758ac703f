// The nodes the kernel holds through the mount: FUSE's node ids, the
// kernel's lookup counts (LOOKUP adds one, FORGET takes n), and which
// names of which directory the kernel may have cached, so that a change
// in the tree is invalidated exactly (fuse_lowlevel_notify_inval_entry()
// for each cached name, docs/sysfs-abi.md "The tree under the mount").
//
// A stored node's id is its tree number (the root's is 1, FUSE_ROOT_ID);
// a computed entry (which the tree makes afresh at each lookup) gets a
// number of its own, the same for as long as the kernel holds its name.
//
// Thread safety: every method may be called from any thread; the lock is
// a leaf, never held while the kernel is told anything.
#ifndef VAP_FUSE_INODE_TABLE_H_
#define VAP_FUSE_INODE_TABLE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "sysfs/tree.h"

namespace vap::fuse {

class InodeTable {
 public:
  static constexpr uint64_t kRootId = 1;

  explicit InodeTable(sysfs::NodeRef root);

  // A LOOKUP of `name` in directory `parent` found `node` (tree number
  // `stored_id`, 0 if computed): its node id, its lookup count one more.
  uint64_t Remember(uint64_t parent, std::string_view name,
                    const sysfs::NodeRef& node, uint64_t stored_id)
      VAP_EXCLUDES(mu_);
  // The node with id `ino`; null if the kernel holds no such id.
  sysfs::NodeRef Get(uint64_t ino) const VAP_EXCLUDES(mu_);
  // Where `ino` was looked up: its directory's id and its name; false for
  // the root or an unknown id.
  bool NameOf(uint64_t ino, uint64_t* parent, std::string* name) const
      VAP_EXCLUDES(mu_);
  // FORGET: the kernel dropped `n` lookups of `ino`.
  void Forget(uint64_t ino, uint64_t n) VAP_EXCLUDES(mu_);
  // The names of directory `dir` the kernel holds: all of them, or only
  // `name` if given (and held).
  std::vector<std::string> HeldNames(uint64_t dir, std::string_view name) const
      VAP_EXCLUDES(mu_);
  size_t size() const VAP_EXCLUDES(mu_);

 private:
  struct Entry {
    sysfs::NodeRef node;
    uint64_t nlookup = 0;
    uint64_t parent = 0;
    std::string name;
  };

  // Rank kLeaf.
  mutable Mutex mu_{LockRank::kLeaf, "fuse_inodes"};
  std::unordered_map<uint64_t, Entry> entries_ VAP_GUARDED_BY(mu_);
  // (directory id, name) -> the id the kernel last got for it.
  std::map<std::pair<uint64_t, std::string>, uint64_t, std::less<>> by_name_
      VAP_GUARDED_BY(mu_);
  // Computed entries' ids: far above any tree number.
  uint64_t next_computed_ VAP_GUARDED_BY(mu_) = uint64_t{1} << 62;
};

}  // namespace vap::fuse

#endif  // VAP_FUSE_INODE_TABLE_H_
