// DurableState: vapd's --state FILE (docs/state.md). It creates the
// system from the file (or, the first time, from the options and writes
// the file), and Commit() makes every change acknowledged so far durable
// before the caller acknowledges it: sysfs stores through the tree's
// store observer, RPCs that change the host after they ran.
//
// A commit costs what the change costs: the driver names each mdev that
// changed (it is a driver::MdevObserver), the bus-wide part (masks,
// bindings, offline devices, the host) is looked at again only if its
// change counts moved (System::QuietChanges) and then compared with what
// was last written, and only what differs is appended to FILE.journal and
// fdatasync'd. A commit with nothing new (a `uevent` write, a mask
// written with its value) looks at nothing and writes nothing. When the journal
// outgrows the snapshot, the next commit writes a new snapshot and starts
// a new journal (compaction).
//
// Commits are batched: while one thread writes, the others wait; the next
// writer's capture covers all of them (a journal's group commit).
#ifndef VAP_STATE_DURABLE_STATE_H_
#define VAP_STATE_DURABLE_STATE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "base/mutex.h"
#include "base/result.h"
#include "driver/mdev_observer.h"
#include "state/journal.h"
#include "system/system.h"

namespace vap::state {

class DurableState : private driver::MdevObserver {
 public:
  struct Opened;
  // EPERM for a path other users could tamper with (CheckStatePath),
  // EINVAL naming the problem for a corrupt, truncated or inconsistent
  // file or journal, the OS errno for one that cannot be read; nothing is
  // written then. `options.profile` is ignored; `options.host` is used
  // only when the file does not exist yet.
  static Result<Opened> Open(const SystemOptions& options,
                             const std::string& path);
  ~DurableState() override;
  DurableState(const DurableState&) = delete;
  DurableState& operator=(const DurableState&) = delete;

  // Returns once everything changed before this call is on disk (or with
  // the error that kept it off: EIO and the reason, also logged).
  Status Commit() VAP_EXCLUDES(mu_, dirty_mu_);
  const std::string& path() const { return path_; }
  // Appends and snapshots written so far.
  uint64_t writes() const VAP_EXCLUDES(mu_);
  uint64_t snapshots() const VAP_EXCLUDES(mu_);

 private:
  DurableState(System& system, std::string path);
  // One commit's work, by the thread that writes for the group.
  Status WriteChanges() VAP_EXCLUDES(mu_, dirty_mu_);
  // A new snapshot and an empty journal after it.
  Status Compact() VAP_EXCLUDES(mu_, dirty_mu_);
  std::set<Uuid> TakeDirty() VAP_EXCLUDES(dirty_mu_);
  // No mdev noted and the change counts as at the last capture.
  bool NothingNew() VAP_EXCLUDES(dirty_mu_);
  // The bus-wide part now: last_global_ again if `changes` (taken before)
  // says nothing changed since it was captured, else a new capture.
  SystemState GlobalNow(std::optional<uint64_t> changes);
  // driver::MdevObserver: every mdev created, changed or removed is
  // written by the next commit.
  void OnMdevCreated(const Uuid& uuid) override { MarkDirty(uuid); }
  void OnMdevChanged(const Uuid& uuid) override { MarkDirty(uuid); }
  void OnMdevUnbound(const Uuid& uuid) override { MarkDirty(uuid); }
  void OnMdevRemoved(const Uuid& uuid) override { MarkDirty(uuid); }
  void MarkDirty(const Uuid& uuid) VAP_EXCLUDES(dirty_mu_);

  System& system_;
  const std::string path_;
  // Owned by the thread that writes for the group (writing_): only it
  // touches these.
  std::unique_ptr<JournalFile> journal_;
  std::optional<SystemState> last_global_;  // what the files say
  // System::QuietChanges() when last_global_ was captured (nullopt: a
  // change was in flight; the next commit captures again).
  std::optional<uint64_t> global_changes_;
  uint64_t snapshot_bytes_ = 0;
  bool must_compact_ = false;

  // Group commit bookkeeping; rank kLeaf (never held over a capture).
  mutable Mutex mu_{LockRank::kLeaf, "state_commit"};
  CondVar cv_;
  uint64_t requested_ VAP_GUARDED_BY(mu_) = 0;
  uint64_t durable_ VAP_GUARDED_BY(mu_) = 0;
  uint64_t failed_ VAP_GUARDED_BY(mu_) = 0;
  Status last_error_ VAP_GUARDED_BY(mu_);
  bool writing_ VAP_GUARDED_BY(mu_) = false;
  uint64_t writes_ VAP_GUARDED_BY(mu_) = 0;
  uint64_t snapshots_ VAP_GUARDED_BY(mu_) = 0;

  // The mdevs changed since the last capture; rank kLeaf, taken by the
  // observer callbacks (under mdevs_lock, or no driver lock).
  Mutex dirty_mu_{LockRank::kLeaf, "state_dirty"};
  std::set<Uuid> dirty_ VAP_GUARDED_BY(dirty_mu_);
};

// Captures `system` and writes it to `path` as a snapshot (a copy: no
// journal, no commit bookkeeping; state.save with a path).
Status SaveState(System& system, const std::string& path);

// What FILE and its journal hold together; nullopt if FILE does not exist.
// Errors as Open's.
Result<std::optional<SystemState>> LoadState(const std::string& path);

struct DurableState::Opened {
  std::unique_ptr<System> system;
  std::unique_ptr<DurableState> state;
  bool restored = false;  // the file existed
};

}  // namespace vap::state

#endif  // VAP_STATE_DURABLE_STATE_H_
