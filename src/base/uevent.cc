#include "base/uevent.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace vap {

// A subscriber's queue, guarded by the hub's lock (`mu` is the hub's).
struct UeventHub::Subscription::Queue {
  Queue(Mutex& hub_mu, size_t queue_bytes) : mu(hub_mu), capacity(queue_bytes) {}
  Mutex& mu;
  std::deque<Uevent> events VAP_GUARDED_BY(mu);
  size_t bytes VAP_GUARDED_BY(mu) = 0;  // what `events` takes, as Cost()
  const size_t capacity;
  uint64_t dropped VAP_GUARDED_BY(mu) = 0;
  bool closed VAP_GUARDED_BY(mu) = false;
  CondVar ready;
};

namespace {

// What an event takes in a queue: its message and the object around it.
size_t Cost(const std::string& message) { return message.size() + sizeof(Uevent); }

}  // namespace

struct UeventHub::Shared {
  // rank kLeaf: the counter and every subscriber's queue.
  Mutex mu{LockRank::kLeaf, "uevent_hub"};
  uint64_t seqnum VAP_GUARDED_BY(mu) = 0;
  std::vector<std::shared_ptr<Subscription::Queue>> queues VAP_GUARDED_BY(mu);
};

std::string Uevent::Get(std::string_view key) const {
  // Walks the message's KEY=VALUE entries in place (the monitor asks for
  // three per event).
  for (size_t pos = message_.find('\0'); pos != std::string::npos &&
                                         pos + 1 < message_.size();
       pos = message_.find('\0', pos + 1)) {
    const std::string_view kv(message_.data() + pos + 1,
                              message_.find('\0', pos + 1) - pos - 1);
    if (kv.size() > key.size() && kv[key.size()] == '=' && kv.starts_with(key))
      return std::string(kv.substr(key.size() + 1));
  }
  return "";
}

std::vector<std::string> Uevent::Env() const {
  std::vector<std::string> out;
  size_t pos = message_.find('\0');  // after "ACTION@DEVPATH"
  while (pos != std::string::npos && pos + 1 < message_.size()) {
    const size_t end = message_.find('\0', pos + 1);
    out.push_back(message_.substr(pos + 1, end - pos - 1));
    pos = end;
  }
  return out;
}

UeventHub::UeventHub() : shared_(std::make_shared<Shared>()) {}
UeventHub::~UeventHub() = default;

Status UeventHub::Send(std::string_view action, std::string_view devpath,
                       std::string_view subsystem,
                       const std::vector<std::string>& env) {
  std::vector<std::string> keys = {fmt::format("ACTION={}", action),
                                   fmt::format("DEVPATH={}", devpath),
                                   fmt::format("SUBSYSTEM={}", subsystem)};
  keys.insert(keys.end(), env.begin(), env.end());
  size_t bytes = 0;
  for (const std::string& k : keys) bytes += k.size() + 1;
  // add_uevent_var() for SEQNUM too: room for its key and ~20 digits.
  if (keys.size() + 1 > kUeventMaxKeys || bytes + 28 > kUeventBufferSize)
    return Status::Error(ENOMEM, "uevent over the kernel's limits");
  std::string message = fmt::format("{}@{}", action, devpath);
  message.push_back('\0');
  for (const std::string& k : keys) {
    message += k;
    message.push_back('\0');
  }
  MutexLock lock(shared_->mu);
  const uint64_t seqnum = ++shared_->seqnum;
  message += fmt::format("SEQNUM={}", seqnum);
  message.push_back('\0');
  for (const auto& q : shared_->queues) {
    q->mu.AssertHeld();  // the hub's lock, held above
    if (q->closed) continue;
    if (q->bytes + Cost(message) > q->capacity) {
      ++q->dropped;
      continue;
    }
    q->bytes += Cost(message);
    q->events.emplace_back(message, seqnum);
    q->ready.Signal();
  }
  return Status::Ok();
}

bool UeventHub::NumberIfUnheard() {
  MutexLock lock(shared_->mu);
  if (!shared_->queues.empty()) return false;
  ++shared_->seqnum;
  return true;
}

uint64_t UeventHub::seqnum() const {
  MutexLock lock(shared_->mu);
  return shared_->seqnum;
}

std::unique_ptr<UeventHub::Subscription> UeventHub::Subscribe(
    size_t queue_bytes) {
  auto queue = std::make_shared<Subscription::Queue>(shared_->mu, queue_bytes);
  {
    MutexLock lock(shared_->mu);
    shared_->queues.push_back(queue);
  }
  return std::unique_ptr<Subscription>(
      new Subscription(shared_, std::move(queue)));
}

UeventHub::Subscription::Subscription(std::shared_ptr<Shared> shared,
                                      std::shared_ptr<Queue> queue)
    : shared_(std::move(shared)), queue_(std::move(queue)) {}

UeventHub::Subscription::~Subscription() {
  MutexLock lock(shared_->mu);
  std::erase(shared_->queues, queue_);
}

std::optional<Uevent> UeventHub::Subscription::Next(
    std::chrono::nanoseconds timeout) {
  MutexLock lock(shared_->mu);
  Queue& q = *queue_;
  q.mu.AssertHeld();  // the same lock
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (q.events.empty() && !q.closed) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds(0)) return std::nullopt;
    (void)q.ready.WaitFor(shared_->mu, left);
  }
  if (q.events.empty()) return std::nullopt;
  Uevent e = std::move(q.events.front());
  q.events.pop_front();
  q.bytes -= Cost(e.netlink_message());
  return e;
}

uint64_t UeventHub::Subscription::dropped() const {
  MutexLock lock(shared_->mu);
  queue_->mu.AssertHeld();  // the same lock
  return queue_->dropped;
}

void UeventHub::Subscription::Close() {
  MutexLock lock(shared_->mu);
  queue_->mu.AssertHeld();  // the same lock
  queue_->closed = true;
  queue_->ready.SignalAll();
}

}  // namespace vap
