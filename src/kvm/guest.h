// A KVM guest as vfio_ap sees it: kvm->lock and the CRYCB whose APCB holds
// the AP masks the guest's AP instructions are checked against
// (spec/guest.md 1.4, 2). This is the part the driver needs; vCPUs, PQAP
// interception and the GISA come with the guest issue.
//
// Publication (kvm_arch_crypto_set_masks / clear_masks) happens only with
// kvm->lock held and writes the three masks as one step, so whoever reads
// the APCB under the same lock never sees a mix of old and new masks.
#ifndef VAP_KVM_GUEST_H_
#define VAP_KVM_GUEST_H_

#include <array>
#include <cstdint>
#include <string>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "matrix/ap_mask.h"
#include "matrix/ap_matrix.h"

namespace vap::kvm {

// CRYCB formats (spec/guest.md 2.2): 0 and 1 use APCB0 (64 adapters, 16
// domains), 2 uses APCB1 (256 each).
enum class CrycbFormat : uint8_t { kFormat0 = 0, kFormat1 = 1, kFormat2 = 2 };

struct GuestOptions {
  std::string name;
  bool host_apxa = true;   // the host reports APXA
  bool facility76 = true;  // MSA extension 3 offered to the guest
  bool crypto = true;      // the VM has a CRYCB designation
};

class Guest {
 public:
  explicit Guest(GuestOptions options);
  Guest(const Guest&) = delete;
  Guest& operator=(const Guest&) = delete;

  const std::string& name() const { return options_.name; }
  bool crypto_enabled() const { return options_.crypto; }
  // KVM's choice at VM creation: 0 without facility 76, else 2 with host
  // APXA, else 1.
  CrycbFormat format() const { return format_; }

  // kvm->lock; rank kKvm, one per guest.
  Mutex& kvm_mu() VAP_RETURN_CAPABILITY(kvm_mu_) { return kvm_mu_; }

  // kvm_arch_crypto_set_masks: writes the masks into the APCB of the
  // guest's format, as the hardware reads them (spec/guest.md 2.4).
  void SetMasksLocked(const ApMask& apm, const ApMask& aqm, const ApMask& adm)
      VAP_REQUIRES(kvm_mu_);
  // kvm_arch_crypto_clear_masks: zeroes APCB0 and APCB1.
  void ClearMasksLocked() VAP_REQUIRES(kvm_mu_);

  // The masks as the guest's AP instructions see them (APCB0 or APCB1 by
  // format), as an ApMatrix with the format's maxima.
  ApMatrix Apcb() const VAP_EXCLUDES(kvm_mu_);
  ApMatrix ApcbLocked() const VAP_REQUIRES(kvm_mu_);
  // The 256-byte CRYCB.
  std::array<uint8_t, 256> Crycb() const VAP_EXCLUDES(kvm_mu_);
  // How many times the masks were set or cleared.
  uint64_t publications() const VAP_EXCLUDES(kvm_mu_);

 private:
  const GuestOptions options_;
  const CrycbFormat format_;
  mutable Mutex kvm_mu_{LockRank::kKvm, "kvm->lock"};
  std::array<uint8_t, 256> crycb_ VAP_GUARDED_BY(kvm_mu_){};
  uint64_t publications_ VAP_GUARDED_BY(kvm_mu_) = 0;
};

}  // namespace vap::kvm

#endif  // VAP_KVM_GUEST_H_
