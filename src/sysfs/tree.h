// The attribute tree that vap serves as /sys (docs/sysfs-abi.md, "The tree
// under the mount"): directories, attributes with show/store callbacks, and
// relative symlinks, with kernfs semantics. The FUSE front end and the RPC
// server both serve this tree; it knows nothing of either.
//
// kernfs rules reproduced (docs/sysfs-abi.md):
// - Opening an attribute for writing when its mode has no write bit gives
//   EACCES, even for root; likewise reading without a read bit. An
//   attribute whose mode allows an access but has no callback for it gives
//   EIO (the device-attribute default).
// - Every attribute reports size 4096. A show fills at most one page
//   (4095 bytes are kept, as the kernel keeps them). A write passes at
//   most 4096 bytes to the store; a zero-length write returns 0 without
//   calling it. Stores see the bytes as written (NUL bytes included; the
//   kernel parsers stop at the first NUL, and vap's do too).
// - Callbacks never run with the tree's lock held, so a store may take
//   driver locks and change the tree.
// - Removing a node waits until callbacks already running on it (or below
//   it) have returned ("drain"); new callbacks on it fail with ENODEV, new
//   lookups with ENOENT. A thread never waits for its own callbacks, so a
//   store may remove the directory it lives in (the mdev `remove` store;
//   who among concurrent writers removes is the store's business).
//
// Paths are relative to the tree's root ("bus/ap/apmask"); a leading '/',
// repeated '/', "." and ".." are accepted. Symlinks are followed in every
// component but the last for GetAttr and ReadLink, and in all for the rest.
//
// Thread safety: every method may be called from any thread. The tree's
// lock is a leaf (docs/locking.md): callbacks may take any lock.
// Lock order note (docs/locking.md S1): Remove() waits for callbacks, so it
// must not be called holding a lock that a callback of a removed node takes.
#ifndef VAP_SYSFS_TREE_H_
#define VAP_SYSFS_TREE_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/result.h"
#include "base/thread_annotations.h"

namespace vap::sysfs {

// The kernel's PAGE_SIZE: what an attribute reports as its size and the
// most a write hands to a store.
inline constexpr size_t kPageSize = 4096;

// An attribute's show: its text (the tree keeps the first 4095 bytes),
// or why there is none (the errno the read fails with, and the reason).
using ShowFn = std::function<Result<std::string>()>;
// An attribute's store, given 1..kPageSize bytes, which it consumes
// whole when it succeeds (as every sysfs store vap reproduces returns the
// count it was given); or why not: the errno and the kernel's reason.
// Must not throw.
using StoreFn = std::function<Status(std::string_view buf)>;

enum class NodeType : uint8_t { kDir, kAttribute, kSymlink };

struct Node;  // opaque; defined in tree.cc
// A reference to a node; stays valid after the node is removed (like an
// open file), though reads and writes through it then fail with ENODEV.
using NodeRef = std::shared_ptr<Node>;

class DynamicEntries;

// An attribute, symlink or directory that a directory computes when asked
// instead of storing it as a node (see DynamicEntries).
struct DynamicEntry {
  NodeType type = NodeType::kAttribute;
  uint32_t mode = 0444;                  // attributes
  ShowFn show;                           // attributes
  StoreFn store;                         // attributes
  std::string target;                    // symlinks
  // Directories: the provider of its entries, asked with `key`.
  std::shared_ptr<const DynamicEntries> entries;
  uint64_t key = 0;
};

struct DirEntry {
  std::string name;
  NodeType type;
  uint64_t id = 0;  // the stored node's number; 0 for a computed entry
};

// Supplies the computed entries of directories (the attributes of 65,536
// queue devices, the links of bus/ap/devices): one provider serves many
// directories, each identified by the key given to MakeDir. Stored nodes
// would cost about 200 bytes each; computed ones cost nothing until looked
// up, which is what keeps the `full` host small.
//
// Called without the tree's lock, from any thread; may take leaf locks of
// the model it describes. A stored child shadows a computed entry of the
// same name. A lookup yields a transient node: callbacks running on it
// count as running on the nearest stored directory above it, so removing
// that directory drains them. An entry that disappears while a handle to
// it is open is not drained: its callbacks must cope (return -ENODEV).
// A computed directory (the `power` group of 65,536 queues) has computed
// entries only; nothing is ever stored in it.
class DynamicEntries {
 public:
  virtual ~DynamicEntries() = default;
  // The entries that exist now in the directory with `key`.
  virtual std::vector<DirEntry> List(uint64_t key) const = 0;
  // Entry `name` of the directory with `key`, if it exists now.
  virtual std::optional<DynamicEntry> Find(uint64_t key,
                                           std::string_view name) const = 0;
  // How many of List(key)'s entries are directories, for the link count
  // (asked at every stat, so it must be cheap). A provider that computes
  // directories overrides it.
  virtual uint32_t Subdirs(uint64_t /*key*/) const { return 0; }
};

struct NodeStat {
  NodeType type;
  uint32_t mode;  // permission bits only (0755, 0644, 0200, 0777, ...)
  uint64_t size;  // 4096 for attributes, 0 for directories and symlinks
  // The node's number: 1 for the root, unique among the stored nodes for
  // the tree's life (never reused); 0 for a computed entry.
  uint64_t id = 0;
  // When the node was made (a computed entry: its directory), nanoseconds
  // since the epoch: kernfs's inode times.
  int64_t created_ns = 0;
  // 2 + subdirectories for a directory (kernfs), else 1.
  uint32_t nlink = 1;
};

// Told when names in a directory may have stopped meaning what they meant:
// a stored node removed or a directory added (`name` is its name: the
// directory's link count changed too), or a directory's computed entries
// changed (`name` empty: any of them). A front end that caches
// lookups (the FUSE mount) drops what it cached. Called on the changing
// thread, outside the tree's lock, after the change; must not call back
// into the tree's building methods.
class ChangeObserver {
 public:
  virtual ~ChangeObserver() = default;
  virtual void OnEntriesChanged(const NodeRef& dir, std::string_view name) = 0;
};

class Tree {
 public:
  Tree();
  ~Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  NodeRef root() const { return root_; }

  // --- Building. Errors: ENOENT (parent missing or removed), ENOTDIR,
  // EEXIST (name taken), EINVAL (empty or bad name, or a computed parent).
  Result<NodeRef> MakeDir(const NodeRef& parent, std::string_view name,
                          uint32_t mode = 0755) VAP_EXCLUDES(mu_);
  // A directory whose entries also come from `dynamic`, asked with `key`.
  Result<NodeRef> MakeDynamicDir(const NodeRef& parent, std::string_view name,
                                 std::shared_ptr<const DynamicEntries> dynamic,
                                 uint64_t key) VAP_EXCLUDES(mu_);
  // mkdir -p from the root; returns the last directory.
  Result<NodeRef> MakeDirs(std::string_view path) VAP_EXCLUDES(mu_);
  Result<NodeRef> AddAttribute(const NodeRef& parent, std::string_view name,
                               uint32_t mode, ShowFn show, StoreFn store)
      VAP_EXCLUDES(mu_);
  // `target` is relative to `parent`, as sysfs links are
  // ("../../../bus/ap").
  Result<NodeRef> AddSymlink(const NodeRef& parent, std::string_view name,
                             std::string_view target) VAP_EXCLUDES(mu_);

  // Removes `node` and everything below it, then waits for callbacks
  // running on them in other threads. ENOENT if already removed.
  Status Remove(const NodeRef& node) VAP_EXCLUDES(mu_);
  Status Remove(std::string_view path) VAP_EXCLUDES(mu_);

  // --- Lookup. ENOENT, ENOTDIR, ELOOP (more than 40 symlinks).
  Result<NodeRef> Lookup(std::string_view path, bool follow_last = true) const
      VAP_EXCLUDES(mu_);
  // lstat(): the last component is not followed.
  Result<NodeStat> GetAttr(std::string_view path) const VAP_EXCLUDES(mu_);
  // Entries sorted by name. ENOTDIR for a non-directory.
  Result<std::vector<DirEntry>> List(std::string_view path) const
      VAP_EXCLUDES(mu_);
  // EINVAL if the last component is not a symlink.
  Result<std::string> ReadLink(std::string_view path) const VAP_EXCLUDES(mu_);
  // "/devices/ap/card05" for a node in the tree; the removed node's last
  // path if removed.
  std::string PathOf(const NodeRef& node) const VAP_EXCLUDES(mu_);

  // --- The same by node, as a front end that keeps nodes walks the tree:
  // the child `name` of `dir` (not following it; "." and ".." are not
  // names): ENOENT, ENOTDIR.
  Result<NodeRef> LookupChild(const NodeRef& dir, std::string_view name) const
      VAP_EXCLUDES(mu_);
  NodeStat Stat(const NodeRef& node) const VAP_EXCLUDES(mu_);
  Result<std::vector<DirEntry>> List(const NodeRef& dir) const
      VAP_EXCLUDES(mu_);
  Result<std::string> ReadLink(const NodeRef& node) const VAP_EXCLUDES(mu_);
  // open(2)'s checks on `node`: EISDIR, EACCES by mode.
  Status CheckOpen(const NodeRef& node, bool read, bool write) const;
  // Whether `node` was removed (a computed entry: the nearest stored
  // directory above it).
  bool Removed(const NodeRef& node) const VAP_EXCLUDES(mu_);

  // --- Change notification. At most one observer; null: none.
  void SetChangeObserver(ChangeObserver* observer) VAP_EXCLUDES(mu_);
  // For the owners of computed entries: entry `name` of `dir` (a path
  // from the root), or with `name` empty any of its entries, may have
  // changed. Nothing if there is no such directory.
  void EntriesChanged(std::string_view dir, std::string_view name = "") const
      VAP_EXCLUDES(mu_);

  // --- Access. Open() does the checks of open(2): EISDIR for a directory
  // opened for writing, EACCES by mode. The node-based Read/Write do the
  // rest: ENODEV once removed, EIO without a callback, the callback's
  // Status unchanged (its errno and reason: the FUSE edge turns it into
  // -errno, the RPC server into an error answer).
  Result<NodeRef> Open(std::string_view path, bool read, bool write) const
      VAP_EXCLUDES(mu_);
  Result<std::string> Read(const NodeRef& node) const VAP_EXCLUDES(mu_);
  Result<size_t> Write(const NodeRef& node, std::string_view data) const
      VAP_EXCLUDES(mu_);
  // Open + Read / Open + Write, as `cat` and `echo >` do.
  Result<std::string> Read(std::string_view path) const VAP_EXCLUDES(mu_);
  Result<size_t> Write(std::string_view path, std::string_view data) const
      VAP_EXCLUDES(mu_);

  // Called after every store that succeeded, outside every tree lock and
  // after the node's callbacks have drained, before Write returns (vapd's
  // durable state: an acknowledged store is on disk). Its error makes the
  // write fail with that errno; the store's effect stays.
  using StoreObserver = std::function<Status()>;
  void SetStoreObserver(StoreObserver observer) VAP_EXCLUDES(mu_);

  // Callbacks running now, over the whole tree (tests).
  int TEST_active_callbacks() const VAP_EXCLUDES(mu_);

 private:
  class ActiveRef;

  Result<NodeRef> AddChildLocked(const NodeRef& parent, NodeRef child)
      VAP_REQUIRES(mu_);
  Result<NodeRef> AddChild(const NodeRef& parent, NodeRef child)
      VAP_EXCLUDES(mu_);
  // The child `name` of `dir`: stored, else computed; null if none.
  NodeRef Child(const NodeRef& dir, std::string_view name) const
      VAP_EXCLUDES(mu_);
  void DetachSubtreeLocked(const NodeRef& node, std::vector<NodeRef>* out)
      VAP_REQUIRES(mu_);
  bool DrainedLocked(const std::vector<NodeRef>& nodes) const VAP_REQUIRES(mu_);
  std::string PathOfLocked(const Node* node) const VAP_REQUIRES(mu_);
  void Changed(const NodeRef& dir, std::string_view name) const
      VAP_EXCLUDES(mu_);

  NodeRef root_;
  // Guards every node's links (parent, children), `removed` and `active`;
  // rank kLeaf. Never held while a callback runs.
  mutable Mutex mu_{LockRank::kLeaf, "sysfs_tree"};
  // Signalled when a callback on a removed node returns.
  mutable CondVar drained_;
  mutable int active_total_ VAP_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const StoreObserver> store_observer_ VAP_GUARDED_BY(mu_);
  ChangeObserver* change_observer_ VAP_GUARDED_BY(mu_) = nullptr;
};

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_TREE_H_
