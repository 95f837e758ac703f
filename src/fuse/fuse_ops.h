// The libfuse3 low-level operations that serve a sysfs::Tree (an
// OpsContext is the session's user data). See fuse_mount.h for the
// semantics.
#ifndef VAP_FUSE_FUSE_OPS_H_
#define VAP_FUSE_FUSE_OPS_H_

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/mutex.h"
#include "fuse/inode_table.h"
#include "fuse/spinning_reader.h"
#include "sysfs/tree.h"

namespace vap::fuse {

struct Handle;     // an open attribute (fuse_ops.cc)
struct DirHandle;  // an open directory (fuse_ops.cc)

// The requests the mount answered, by kind (tests and benchmarks count
// what a `cat` costs).
enum class Request : uint8_t {
  kLookup, kForget, kGetattr, kSetattr, kReadlink, kOpen, kRead, kWrite,
  kRelease, kOpendir, kReaddir, kReaddirplus, kReleasedir, kOther, kCount
};
struct RequestCounts {
  std::array<uint64_t, static_cast<size_t>(Request::kCount)> n{};
  uint64_t operator[](Request r) const { return n[static_cast<size_t>(r)]; }
  uint64_t total() const;
};

// What the operations serve: the tree, the nodes the kernel holds, every
// file open through the mount (a connection aborted at shutdown never
// sends the RELEASE of the files still open; destroying the context, once
// the loop has ended, frees them). As the tree's change observer it tells
// the kernel which cached names stopped holding, before the change's
// writer returns.
class OpsContext : public sysfs::ChangeObserver {
 public:
  // `spin`: how long an idle thread watches for the next request
  // (SpinningReader).
  OpsContext(sysfs::Tree& tree, std::chrono::microseconds spin);
  ~OpsContext() override VAP_EXCLUDES(mu_);
  OpsContext(const OpsContext&) = delete;
  OpsContext& operator=(const OpsContext&) = delete;

  sysfs::Tree& tree() const { return tree_; }
  InodeTable& inodes() { return inodes_; }
  SpinningReader& reader() { return reader_; }
  void Opened(Handle* h) VAP_EXCLUDES(mu_);
  void Released(Handle* h) VAP_EXCLUDES(mu_);
  // The same for directories: what the kernel never released (a mount
  // that went with directories open) goes with the context.
  void OpenedDir(DirHandle* h) VAP_EXCLUDES(mu_);
  void ReleasedDir(DirHandle* h) VAP_EXCLUDES(mu_);

  // The session to notify; null before the mount and after the loop.
  void SetSession(fuse_session* se) { session_.store(se); }
  void OnEntriesChanged(const sysfs::NodeRef& dir,
                        std::string_view name) override;

  void Count(Request r) {
    counts_[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }
  RequestCounts counts() const;
  // Off: the kernel is told nothing (the stale-view test shows that its
  // checks then fail).
  void TEST_SetInvalidation(bool on) { invalidate_.store(on); }

 private:
  sysfs::Tree& tree_;
  InodeTable inodes_;
  SpinningReader reader_;
  std::atomic<fuse_session*> session_{nullptr};
  std::atomic<bool> invalidate_{true};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Request::kCount)>
      counts_{};
  // Rank kLeaf: taken only by open and release, holding nothing else.
  Mutex mu_{LockRank::kLeaf, "fuse_open_files"};
  std::unordered_set<Handle*> open_ VAP_GUARDED_BY(mu_);
  std::unordered_set<DirHandle*> open_dirs_ VAP_GUARDED_BY(mu_);
};

// The operations table.
const fuse_lowlevel_ops& SysfsOperations();
// How requests are read and replies written (fuse_session_custom_io()):
// reads through the context's SpinningReader.
const fuse_custom_io& SysfsIo();

// How long the kernel may keep a name and its attributes without asking
// again; the context invalidates them when they change.
inline constexpr double kCacheSeconds = 3600;

}  // namespace vap::fuse

#endif  // VAP_FUSE_FUSE_OPS_H_
