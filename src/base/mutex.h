// vap's locks: Mutex, RwSemaphore, CondVar and their scoped guards.
//
// Use only these (docs/locking.md L3): libstdc++'s std::mutex carries no
// capability attributes and std::lock_guard is invisible to clang's
// -Wthread-safety. Every lock has a LockRank and a name; in builds with
// VAP_LOCK_RANK_CHECKS an acquisition out of rank order aborts
// (docs/locking.md L1), and AssertHeld() checks that the calling thread
// really holds the lock.
//
//   class Driver {
//     // Serializes plugging into guests; rank kGuests (guests_lock).
//     Mutex guests_mu_{LockRank::kGuests, "guests_lock"};
//     Mutex mdevs_mu_ VAP_ACQUIRED_AFTER(guests_mu_){LockRank::kMdevs,
//                                                     "mdevs_lock"};
//     int count_ VAP_GUARDED_BY(mdevs_mu_);
//   };
#ifndef VAP_BASE_MUTEX_H_
#define VAP_BASE_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "base/lock_rank.h"
#include "base/thread_annotations.h"

namespace vap {

// An exclusive lock, like the kernel's struct mutex. Not recursive.
class VAP_CAPABILITY("mutex") Mutex {
 public:
  Mutex(LockRank rank, const char* name) : rank_(rank), name_(name) {}
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() VAP_ACQUIRE();
  void Unlock() VAP_RELEASE();
  [[nodiscard]] bool TryLock() VAP_TRY_ACQUIRE(true);

  // Tells the analysis the lock is held; with rank checks on, aborts if
  // the calling thread does not hold it (leveldb's AssertHeld).
  void AssertHeld() const VAP_ASSERT_CAPABILITY(this);

  LockRank rank() const { return rank_; }
  const char* name() const { return name_; }

 private:
  friend class CondVar;

  const LockRank rank_;
  const char* const name_;
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class VAP_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) VAP_ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() VAP_RELEASE() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// A reader/writer semaphore like the kernel's rw_semaphore: any number of
// readers or one writer; a waiting writer blocks new readers, so a steady
// stream of readers (vCPUs taking the PQAP hook) cannot starve a writer
// (attach/detach). Not recursive in either mode: a reader that takes the
// read side again while a writer waits deadlocks, as in the kernel, and
// the rank checker aborts on it.
class VAP_CAPABILITY("rw_semaphore") RwSemaphore {
 public:
  RwSemaphore(LockRank rank, const char* name) : rank_(rank), name_(name) {}
  RwSemaphore(const RwSemaphore&) = delete;
  RwSemaphore& operator=(const RwSemaphore&) = delete;

  void Lock() VAP_ACQUIRE();                 // down_write
  void Unlock() VAP_RELEASE();               // up_write
  void LockShared() VAP_ACQUIRE_SHARED();    // down_read
  void UnlockShared() VAP_RELEASE_SHARED();  // up_read

  void AssertHeld() const VAP_ASSERT_CAPABILITY(this);
  void AssertReaderHeld() const VAP_ASSERT_SHARED_CAPABILITY(this);

  LockRank rank() const { return rank_; }
  const char* name() const { return name_; }

  // Writers blocked in Lock(); lets tests order threads without sleeping.
  int TEST_writers_waiting();

 private:
  const LockRank rank_;
  const char* const name_;
  std::mutex mu_;
  std::condition_variable readers_cv_;
  std::condition_variable writers_cv_;
  int readers_ = 0;          // active readers
  int writers_waiting_ = 0;  // writers blocked in Lock()
  bool writer_ = false;      // a writer holds the semaphore
};

// Holds an RwSemaphore for reading for its scope.
class VAP_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(RwSemaphore& sem) VAP_ACQUIRE_SHARED(sem) : sem_(sem) {
    sem_.LockShared();
  }
  ~ReaderLock() VAP_RELEASE() { sem_.UnlockShared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  RwSemaphore& sem_;
};

// Holds an RwSemaphore for writing for its scope.
class VAP_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(RwSemaphore& sem) VAP_ACQUIRE(sem) : sem_(sem) {
    sem_.Lock();
  }
  ~WriterLock() VAP_RELEASE() { sem_.Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  RwSemaphore& sem_;
};

// A condition variable used with a Mutex. Waiting releases the mutex and
// takes it back before returning; spurious wake-ups happen, so callers
// wait in a loop on their predicate. Waiting does not change the rank
// bookkeeping: the thread still counts as holding the mutex.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(Mutex& mu) VAP_REQUIRES(mu);
  // Returns false if `timeout` (real time) passed without a signal.
  bool WaitFor(Mutex& mu, std::chrono::nanoseconds timeout) VAP_REQUIRES(mu);
  void Signal();
  void SignalAll();

 private:
  std::condition_variable cv_;
};

}  // namespace vap

#endif  // VAP_BASE_MUTEX_H_
