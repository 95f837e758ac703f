// DurableState: vapd's --state FILE (docs/state.md). It creates the
// system from the file (or, the first time, from the options and writes
// the file), and Commit() makes every change acknowledged so far durable
// before the caller acknowledges it: sysfs stores through the tree's
// store observer, RPCs that change the host after they ran.
//
// Commits are batched: while one thread captures and writes, the others
// wait; the next writer's capture covers all of them (one fsync for many
// stores, as a journal's group commit).
#ifndef VAP_STATE_DURABLE_STATE_H_
#define VAP_STATE_DURABLE_STATE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "base/mutex.h"
#include "base/result.h"
#include "system/system.h"

namespace vap::state {

class DurableState {
 public:
  struct Opened;
  // EINVAL naming the problem for a corrupt, truncated or inconsistent
  // file, the OS errno for one that cannot be read; the file is never
  // written then. `options.profile` is ignored; `options.host` is used
  // only when the file does not exist yet.
  static Result<Opened> Open(const SystemOptions& options,
                             const std::string& path);
  DurableState(const DurableState&) = delete;
  DurableState& operator=(const DurableState&) = delete;

  // Returns once a capture taken after this call began is on disk (or
  // with the error that kept it off: EIO and the reason).
  Status Commit() VAP_EXCLUDES(mu_);
  const std::string& path() const { return path_; }
  uint64_t writes() const VAP_EXCLUDES(mu_);

 private:
  DurableState(System& system, std::string path)
      : system_(system), path_(std::move(path)) {}
  Status WriteNow();

  System& system_;
  const std::string path_;
  // Group commit bookkeeping; rank kLeaf (never held over a capture).
  mutable Mutex mu_{LockRank::kLeaf, "state_commit"};
  CondVar cv_;
  uint64_t requested_ VAP_GUARDED_BY(mu_) = 0;
  uint64_t durable_ VAP_GUARDED_BY(mu_) = 0;
  uint64_t failed_ VAP_GUARDED_BY(mu_) = 0;
  Status last_error_ VAP_GUARDED_BY(mu_);
  bool writing_ VAP_GUARDED_BY(mu_) = false;
  uint64_t writes_ VAP_GUARDED_BY(mu_) = 0;
};

// Captures `system` and writes it to `path` as DurableState does (a copy:
// no commit bookkeeping; state.save with a path).
Status SaveState(System& system, const std::string& path);

struct DurableState::Opened {
  std::unique_ptr<System> system;
  std::unique_ptr<DurableState> state;
  bool restored = false;  // the file existed
};

}  // namespace vap::state

#endif  // VAP_STATE_DURABLE_STATE_H_
