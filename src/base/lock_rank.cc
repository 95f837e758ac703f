#include "base/lock_rank.h"

#include <cstdio>
#include <cstdlib>

namespace vap {

const char* LockRankName(LockRank rank) {
  switch (rank) {
    case LockRank::kOpenFile:
      return "kOpenFile";
    case LockRank::kQemu:
      return "kQemu";
    case LockRank::kGuestApScanBus:
      return "kGuestApScanBus";
    case LockRank::kGuestApAttr:
      return "kGuestApAttr";
    case LockRank::kGuestApQueue:
      return "kGuestApQueue";
    case LockRank::kGuestApPoll:
      return "kGuestApPoll";
    case LockRank::kApScanBus:
      return "kApScanBus";
    case LockRank::kApAttr:
      return "kApAttr";
    case LockRank::kPqapHook:
      return "kPqapHook";
    case LockRank::kGuests:
      return "kGuests";
    case LockRank::kKvm:
      return "kKvm";
    case LockRank::kMdevs:
      return "kMdevs";
    case LockRank::kApQueue:
      return "kApQueue";
    case LockRank::kApPoll:
      return "kApPoll";
    case LockRank::kLeaf:
      return "kLeaf";
  }
  return "rank(?)";
}

namespace lock_rank_internal {
namespace {

struct Held {
  const void* lock;
  LockRank rank;
  const char* name;
  HoldMode mode;
};

// Deep enough for every path in docs/locking.md (at most 7 ranks) with
// margin.
constexpr int kMaxHeld = 16;

struct HeldStack {
  Held entries[kMaxHeld];
  int size = 0;
};

thread_local HeldStack held_stack;

[[noreturn]] void Die(const char* what, const Held& held, const char* name,
                      LockRank rank) {
  std::fprintf(stderr,
               "vap: lock order violation: %s '%s' (%s) while holding '%s' "
               "(%s)\n",
               what, name, LockRankName(rank), held.name,
               LockRankName(held.rank));
  std::abort();
}

void Push(const void* lock, LockRank rank, const char* name, HoldMode mode) {
  HeldStack& s = held_stack;
  if (s.size == kMaxHeld) {
    std::fprintf(stderr, "vap: more than %d locks held by one thread\n",
                 kMaxHeld);
    std::abort();
  }
  s.entries[s.size++] = Held{lock, rank, name, mode};
}

}  // namespace

void WillAcquire(const void* lock, LockRank rank, const char* name,
                 HoldMode mode) {
  const HeldStack& s = held_stack;
  for (int i = 0; i < s.size; ++i) {
    const Held& h = s.entries[i];
    if (h.lock == lock) Die("recursive acquire of", h, name, rank);
    if (h.rank >= rank) Die("acquiring", h, name, rank);
  }
  Push(lock, rank, name, mode);
}

void DidTryAcquire(const void* lock, LockRank rank, const char* name,
                   HoldMode mode) {
  Push(lock, rank, name, mode);
}

void DidRelease(const void* lock) {
  HeldStack& s = held_stack;
  for (int i = s.size - 1; i >= 0; --i) {
    if (s.entries[i].lock != lock) continue;
    for (int j = i; j + 1 < s.size; ++j) s.entries[j] = s.entries[j + 1];
    --s.size;
    return;
  }
  std::fprintf(stderr, "vap: releasing a lock this thread does not hold\n");
  std::abort();
}

bool IsHeld(const void* lock, const HoldMode* mode) {
  const HeldStack& s = held_stack;
  for (int i = 0; i < s.size; ++i) {
    if (s.entries[i].lock == lock &&
        (mode == nullptr || s.entries[i].mode == *mode)) {
      return true;
    }
  }
  return false;
}

int HeldCount() { return held_stack.size; }

}  // namespace lock_rank_internal
}  // namespace vap
