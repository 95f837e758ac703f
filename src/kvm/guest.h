// A KVM guest as vfio_ap sees it (struct kvm_s390_crypto): kvm->lock, the
// CRYCB whose APCB holds the AP masks the guest's AP instructions are
// checked against, and vCPU threads that read it while in SIE.
//
// Publication (kvm_arch_crypto_set_masks() and _clear_masks() in
// arch/s390/kvm/kvm-s390.c) runs with kvm->lock held: block every vCPU
// (each leaves SIE and cannot re-enter), write the masks, request a VSIE
// restart, unblock. So no vCPU ever reads a half-written APCB (invariant
// I1, docs/architecture.md); the vCPUs check every read
// (VcpuObservations::torn), and a test-only switch that skips the
// blocking shows the check is not blind.
#ifndef VAP_KVM_GUEST_H_
#define VAP_KVM_GUEST_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ap/firmware.h"
#include "base/mutex.h"
#include "base/result.h"
#include "base/thread_annotations.h"
#include "kvm/crycb.h"
#include "kvm/gisa.h"
#include "kvm/pqap.h"
#include "kvm/vcpu.h"
#include "matrix/ap_mask.h"
#include "matrix/ap_matrix.h"

namespace vap::kvm {

// CRYCB formats (kvm_s390_set_crycb_format() in arch/s390/kvm/kvm-s390.c):
// 0 and 1 use APCB0 (64 adapters, 16 domains), 2 uses APCB1 (256 each).
enum class CrycbFormat : uint8_t { kFormat0 = 0, kFormat1 = 1, kFormat2 = 2 };

struct GuestOptions {
  std::string name;
  bool host_apxa = true;   // the host reports APXA
  bool facility76 = true;  // MSA extension 3 offered to the guest
  bool crypto = true;      // the VM has a CRYCB designation
  bool apie = true;        // ECA.APIE: AP instructions interpreted
  bool aiv = true;         // ECA.AIV: a GISA is in use
  bool facility12 = true;  // APQCI: PQAP(QCI)
  bool facility15 = true;  // APFT: TAPQ with the T bit
  bool facility65 = true;  // AP queue interruption control
  uint64_t memory_size = uint64_t{1} << 30;  // guest memory from address 0
  ap::Firmware* firmware = nullptr;          // the host's AP firmware
  // Each vCPU's time outside SIE between two entries (0: 50 us). Hosts
  // with hundreds of vCPUs on a small machine want more.
  std::chrono::microseconds vcpu_pause{0};
};

class Guest {
 public:
  explicit Guest(GuestOptions options);
  ~Guest();
  Guest(const Guest&) = delete;
  Guest& operator=(const Guest&) = delete;

  const std::string& name() const { return options_.name; }
  const GuestOptions& options() const { return options_; }
  bool crypto_enabled() const { return options_.crypto; }
  // KVM's choice at VM creation: 0 without facility 76, else 2 with host
  // APXA, else 1.
  CrycbFormat format() const { return format_; }

  // kvm->lock; rank kKvm, one per guest.
  Mutex& kvm_mu() VAP_RETURN_CAPABILITY(kvm_mu_) { return kvm_mu_; }

  // kvm_arch_crypto_set_masks: writes the masks into the APCB of the
  // guest's format, as the hardware reads them: APCB0 takes the first 8
  // bytes of the APM and 2 of the AQM and ADM, APCB1 all 32 of each.
  void SetMasksLocked(const ApMask& apm, const ApMask& aqm, const ApMask& adm)
      VAP_REQUIRES(kvm_mu_);
  // kvm_arch_crypto_clear_masks: zeroes APCB0 and APCB1.
  void ClearMasksLocked() VAP_REQUIRES(kvm_mu_);

  // The masks as the guest's AP instructions see them (APCB0 or APCB1 by
  // format), as an ApMatrix with the format's maxima.
  ApMatrix Apcb() const VAP_EXCLUDES(kvm_mu_);
  ApMatrix ApcbLocked() const VAP_REQUIRES(kvm_mu_);
  // The same without kvm->lock: exact while the caller holds a lock that
  // every publisher of this guest holds (vfio_ap's mdevs_lock, for the
  // driver's invariant checks, which must not take kvm->lock under it).
  ApMatrix PublishedApcb() const;
  // The 256-byte CRYCB.
  std::array<uint8_t, 256> CrycbBytes() const VAP_EXCLUDES(kvm_mu_);
  // How many times the masks were set or cleared.
  uint64_t publications() const VAP_EXCLUDES(kvm_mu_);
  // How long the vCPUs stayed blocked in the last publication, from the
  // first vCPU's block to the last one's unblock (benchmarks).
  std::chrono::nanoseconds last_blocked() const VAP_EXCLUDES(kvm_mu_);
  // Blocks every vCPU and unblocks them again, writing nothing; returns
  // how long they were blocked, measured as in a publication: the
  // reference for a publication's blocked time (bench/).
  std::chrono::nanoseconds BlockRoundTripLocked() VAP_REQUIRES(kvm_mu_);

  // Starts `count` vCPU threads (once); they run until StopVcpus or the
  // end of the guest.
  void StartVcpus(int count) VAP_EXCLUDES(kvm_mu_);
  void StopVcpus() VAP_EXCLUDES(kvm_mu_);
  const VcpuObservations& observations() const { return observations_; }

  // --- PQAP (guest_pqap.cc; KVM's handle_pqap() in arch/s390/kvm/priv.c).
  // What happens when a vCPU issues PQAP with `regs`: TAPQ, RAPQ and ZAPQ are
  // interpreted by the machine against the APCB; AQIC is intercepted and goes
  // through KVM's checks to the hook, under the hook semaphore's read side.
  PqapResult Pqap(bool problem_state, PqapRegs regs)
      VAP_EXCLUDES(hook_sem_, kvm_mu_);
  // Installs (or with null, removes) the PQAP hook: the semaphore's write
  // side, holding nothing else (docs/locking.md D3). Returns the old one.
  PqapHook* SetPqapHook(PqapHook* hook) VAP_EXCLUDES(hook_sem_);
  PqapHook* pqap_hook() const VAP_EXCLUDES(hook_sem_);

  // --- GISA (guest_pqap.cc, kvm/gisa.h). RegisterIsc returns the host's
  // NISC; ENODEV without a GISA, ERANGE for an ISC above 7.
  Result<uint8_t> RegisterIsc(uint8_t isc);
  void UnregisterIsc(uint8_t isc) { gisa_->UnregisterIsc(isc); }
  int IscReferences(uint8_t isc) const { return gisa_->IscReferences(isc); }
  uint8_t AlertMask() const { return gisa_->AlertMask(); }
  // Adapter interrupts made pending for `isc` so far; the IPM (bit
  // 0x80 >> isc), and taking it as a vCPU accepting them.
  uint64_t AdapterInterrupts(uint8_t isc) const {
    return gisa_->AdapterInterrupts(isc);
  }
  uint8_t PendingInterrupts() const { return gisa_->PendingInterrupts(); }
  uint8_t TakePendingInterrupts() { return gisa_->TakePendingInterrupts(); }
  // Where the machine delivers this guest's adapter interrupts.
  std::shared_ptr<Gisa> gisa() const { return gisa_; }
  // A guest absolute address backed by guest memory (a KVM memslot).
  bool InMemory(uint64_t address) const {
    return address < options_.memory_size;
  }
  bool aiv() const { return options_.aiv; }

  // Test only: publish without blocking the vCPUs, writing slowly, so
  // that the torn-read check has something to catch.
  void TEST_PublishWithoutBlocking(bool on) VAP_EXCLUDES(kvm_mu_);

 private:
  // The publication protocol around writing `image`.
  void PublishLocked(const Crycb::Bytes& image) VAP_REQUIRES(kvm_mu_);

  const GuestOptions options_;
  const CrycbFormat format_;
  ApMatrix DecodeApcb() const;  // the CRYCB's words are atomics
  VcpuObservations observations_;
  // Read by vCPUs without a lock; written under kvm_mu_ (PublishLocked).
  Crycb crycb_;
  mutable Mutex kvm_mu_{LockRank::kKvm, "kvm->lock"};
  uint64_t publications_ VAP_GUARDED_BY(kvm_mu_) = 0;
  std::chrono::nanoseconds last_blocked_ VAP_GUARDED_BY(kvm_mu_){0};
  bool unblocked_publish_ VAP_GUARDED_BY(kvm_mu_) = false;
  std::vector<std::unique_ptr<Vcpu>> vcpus_ VAP_GUARDED_BY(kvm_mu_);

  // kvm->arch.crypto.pqap_hook_rwsem; rank kPqapHook, one per guest.
  mutable RwSemaphore hook_sem_{LockRank::kPqapHook, "pqap_hook_rwsem"};
  PqapHook* hook_ VAP_GUARDED_BY(hook_sem_) = nullptr;

  const std::shared_ptr<Gisa> gisa_ = std::make_shared<Gisa>();
};

}  // namespace vap::kvm

#endif  // VAP_KVM_GUEST_H_
