// ChangeCount: lets a reader tell that a model's state has not changed
// since it last looked, without looking (durable state skips its capture
// of the bus-wide part when a store changed nothing).
//
// Every mutator opens a Scope before it changes anything and closes it
// when done (a change counted as started, then as finished). A reader
// takes Quiet() before it looks: a value when no change was in flight,
// equal to the last such value iff no change started since.
#ifndef VAP_BASE_CHANGE_COUNT_H_
#define VAP_BASE_CHANGE_COUNT_H_

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <optional>

namespace vap {

class ChangeCount {
 public:
  class Scope {
   public:
    explicit Scope(ChangeCount& count) : count_(count) {
      count_.started_.fetch_add(1);
    }
    ~Scope() { count_.finished_.fetch_add(1); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ChangeCount& count_;
  };

  // Over several models at once: the changes started in all of them,
  // when none of them has a change in flight; nullopt otherwise.
  static std::optional<uint64_t> Quiet(
      std::initializer_list<const ChangeCount*> counts) {
    // Finished first, then started: if the sums agree, no change was in
    // flight when `finished` was read and none started after.
    uint64_t finished = 0;
    for (const ChangeCount* c : counts) finished += c->finished_.load();
    uint64_t started = 0;
    for (const ChangeCount* c : counts) started += c->started_.load();
    if (started != finished) return std::nullopt;
    return started;
  }

 private:
  std::atomic<uint64_t> started_{0};
  std::atomic<uint64_t> finished_{0};
};

}  // namespace vap

#endif  // VAP_BASE_CHANGE_COUNT_H_
