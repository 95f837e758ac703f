// The guest interruption state area (GISA) as far as vfio_ap uses it:
// guest interruption subclasses (ISCs) registered for adapter interrupts,
// counted, whose first reference sets the ISC's alert-mask bit; and the
// interruption-pending mask (IPM) the machine sets when an adapter
// interrupt arrives for the guest.
//
// Shared (std::shared_ptr) between the guest and the AP firmware model,
// which delivers an interrupt after releasing its own lock: an interrupt
// in flight while its queue is disabled, or its guest goes, still lands
// here, never in freed memory.
//
// Thread safety: all methods may be called concurrently; one leaf lock.
#ifndef VAP_KVM_GISA_H_
#define VAP_KVM_GISA_H_

#include <array>
#include <cstdint>

#include "ap/firmware.h"
#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace vap::kvm {

class Gisa : public ap::InterruptSink {
 public:
  Gisa() = default;
  Gisa(const Gisa&) = delete;
  Gisa& operator=(const Gisa&) = delete;

  // Counts a reference to `isc` (0-7, checked by the caller).
  void RegisterIsc(uint8_t isc) VAP_EXCLUDES(mu_);
  void UnregisterIsc(uint8_t isc) VAP_EXCLUDES(mu_);
  int IscReferences(uint8_t isc) const VAP_EXCLUDES(mu_);
  // Bit 0x80 >> isc for every ISC with a reference.
  uint8_t AlertMask() const VAP_EXCLUDES(mu_);

  // ap::InterruptSink: the machine sets the NIB byte and makes `gisc`
  // pending in the IPM.
  void AdapterInterrupt(uint8_t gisc, uint64_t nib) override VAP_EXCLUDES(mu_);
  uint64_t AdapterInterrupts(uint8_t isc) const VAP_EXCLUDES(mu_);
  uint8_t PendingInterrupts() const VAP_EXCLUDES(mu_);
  uint8_t TakePendingInterrupts() VAP_EXCLUDES(mu_);

 private:
  mutable Mutex mu_{LockRank::kLeaf, "gisa"};
  std::array<int, 8> isc_refs_ VAP_GUARDED_BY(mu_){};
  std::array<uint64_t, 8> interrupts_ VAP_GUARDED_BY(mu_){};
  uint8_t ipm_ VAP_GUARDED_BY(mu_) = 0;
};

}  // namespace vap::kvm

#endif  // VAP_KVM_GISA_H_
