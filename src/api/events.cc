// vap::Host's event subscriptions (include/vap/host.h) over the host's
// UeventHub.
#include <memory>
#include <utility>

#include "api/host_impl.h"
#include "base/uevent.h"

namespace vap {

class EventSubscription::Impl {
 public:
  explicit Impl(std::unique_ptr<UeventHub::Subscription> subscription)
      : sub(std::move(subscription)) {}
  const std::unique_ptr<UeventHub::Subscription> sub;
};

EventSubscription::EventSubscription(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

EventSubscription::~EventSubscription() = default;

std::optional<KernelEvent> EventSubscription::Next(
    std::chrono::milliseconds timeout) {
  const std::optional<Uevent> e = impl_->sub->Next(timeout);
  if (!e) return std::nullopt;
  KernelEvent out;
  out.seqnum = e->seqnum();
  out.action = e->action();
  out.devpath = e->devpath();
  out.subsystem = e->subsystem();
  out.env = e->Env();
  return out;
}

uint64_t EventSubscription::dropped() const { return impl_->sub->dropped(); }

std::unique_ptr<EventSubscription> Host::SubscribeEvents() {
  return std::unique_ptr<EventSubscription>(new EventSubscription(
      std::make_unique<EventSubscription::Impl>(
          impl_->system->uevents().Subscribe())));
}

}  // namespace vap
