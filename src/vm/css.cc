#include "vm/css.h"

namespace vap::vm {

void ChannelSubsystem::ApConfigChanged() {
  MutexLock lock(mu_);
  if (events_ < kMaxEvents) ++events_;
  // css_generate_css_crws(0): one CRW until the guest has drained SEI.
  if (!sei_pending_) {
    crws_.push_back(
        Crw{static_cast<uint16_t>(kCrwRscCss << 8 | kCrwErcEvent), 0});
  }
  sei_pending_ = true;
}

std::optional<Crw> ChannelSubsystem::StoreCrw() {
  MutexLock lock(mu_);
  if (crws_.empty()) return std::nullopt;
  const Crw crw = crws_.front();
  crws_.pop_front();
  return crw;
}

SeiResponse ChannelSubsystem::StoreEventInformation() {
  MutexLock lock(mu_);
  SeiResponse r;
  if (events_ == 0) {
    sei_pending_ = false;
    return r;  // 0x0005: no event
  }
  --events_;
  r.response_code = kChscResponseOk;
  r.nt0[1] = 12;  // length, big-endian u16 at 0
  r.nt0[3] = 1;   // code, big-endian u16 at 2
  r.nt0[7] = 0;   // nt
  r.nt0[10] = kNt0RsAp;
  r.nt0[11] = kNt0CcApConfigChanged;
  // The CHSC layer rewrites the flag: more events pending, or none left.
  if (events_ > 0) {
    r.nt0[8] = kSeiFlagMorePending;
  } else {
    sei_pending_ = false;
  }
  return r;
}

size_t ChannelSubsystem::pending_events() const {
  MutexLock lock(mu_);
  return events_;
}

bool ChannelSubsystem::sei_pending() const {
  MutexLock lock(mu_);
  return sei_pending_;
}

}  // namespace vap::vm
