#include "kvm/gisa.h"

namespace vap::kvm {

void Gisa::RegisterIsc(uint8_t isc) {
  if (isc > 7) return;
  MutexLock lock(mu_);
  ++isc_refs_[isc];
}

void Gisa::UnregisterIsc(uint8_t isc) {
  if (isc > 7) return;
  MutexLock lock(mu_);
  if (isc_refs_[isc] > 0) --isc_refs_[isc];
}

int Gisa::IscReferences(uint8_t isc) const {
  MutexLock lock(mu_);
  return isc < 8 ? isc_refs_[isc] : 0;
}

uint8_t Gisa::AlertMask() const {
  MutexLock lock(mu_);
  uint8_t mask = 0;
  for (unsigned i = 0; i < 8; ++i) {
    if (isc_refs_[i] > 0) mask |= static_cast<uint8_t>(0x80u >> i);
  }
  return mask;
}

void Gisa::AdapterInterrupt(uint8_t gisc, uint64_t /*nib*/) {
  if (gisc > 7) return;
  MutexLock lock(mu_);
  ++interrupts_[gisc];
  ipm_ |= static_cast<uint8_t>(0x80u >> gisc);
}

uint64_t Gisa::AdapterInterrupts(uint8_t isc) const {
  MutexLock lock(mu_);
  return isc < 8 ? interrupts_[isc] : 0;
}

uint8_t Gisa::PendingInterrupts() const {
  MutexLock lock(mu_);
  return ipm_;
}

uint8_t Gisa::TakePendingInterrupts() {
  MutexLock lock(mu_);
  const uint8_t ipm = ipm_;
  ipm_ = 0;
  return ipm;
}

}  // namespace vap::kvm
