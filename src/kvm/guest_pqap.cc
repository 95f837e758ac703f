// Guest: PQAP as the machine and KVM handle it (handle_pqap() in
// arch/s390/kvm/priv.c), and the GISA's ISC registrations
// (kvm_s390_gisc_register() in arch/s390/kvm/interrupt.c).
#include <cerrno>

#include "kvm/guest.h"

namespace vap::kvm {

namespace {

constexpr uint64_t kGr0MustBeZero = 0x007f0000;
constexpr uint64_t kGr0ApxaBits = 0x0000c0f0;  // APID >= 64 or APQI >= 16
constexpr uint64_t kNoHookStatus = uint64_t{0x00010000}
                                   << 32;  // RC 0x01, upper half

uint8_t FunctionCode(const PqapRegs& r) {
  return static_cast<uint8_t>(r.gr0 >> 24);
}

Apqn ApqnOf(const PqapRegs& r) {
  return Apqn::FromQid(static_cast<uint16_t>(r.gr0));
}

PqapResult Exception(PqapOutcome outcome, const PqapRegs& regs) {
  PqapResult r;
  r.outcome = outcome;
  r.regs = regs;
  return r;
}

}  // namespace

PqapResult Guest::Pqap(bool problem_state, PqapRegs regs) {
  const uint8_t fc = FunctionCode(regs);
  // Without APIE every AP instruction is intercepted and KVM does not
  // handle it: QEMU injects an operation exception.
  if (!options_.apie) return Exception(PqapOutcome::kOperation, regs);
  if (fc != kPqapAqic) {
    // Interpreted by the machine against the APCB (docs/fidelity.md, "The
    // machine's side").
    if (fc > kPqapZapq) return Exception(PqapOutcome::kOperation, regs);
    if (problem_state)
      return Exception(PqapOutcome::kPrivilegedOperation, regs);
    const Apqn apqn = ApqnOf(regs);
    ap::QueueStatus status = ap::QueueStatus::Rc(ap::kRcQueueNotAvailable);
    PqapResult r;
    r.regs = regs;
    if (Apcb().HasApqn(apqn) && options_.firmware != nullptr) {
      ap::Firmware& fw = *options_.firmware;
      if (fc == kPqapTapq) {
        const ap::TapqResult t = fw.Tapq(apqn);
        status = t.status;
        // With the T bit (APFT), GR2 gets the real queue's information.
        if ((regs.gr0 & kPqapTBit) != 0 && options_.facility15 &&
            status.response_code != ap::kRcQueueNotAvailable)
          r.regs.gr2 = ap::EncodeTapqGr2(t.info);
      } else {
        status = fc == kPqapRapq ? fw.Rapq(apqn) : fw.Zapq(apqn);
      }
    }
    r.regs.gr1 = status.Word();
    r.cc = status.response_code == ap::kRcNormal ? 0 : 3;
    return r;
  }
  // KVM's intercept handler, in its order (handle_pqap() in
  // arch/s390/kvm/priv.c).
  if (problem_state) return Exception(PqapOutcome::kPrivilegedOperation, regs);
  if ((regs.gr0 & kGr0MustBeZero) != 0)
    return Exception(PqapOutcome::kSpecification, regs);
  if (!options_.facility15 && (regs.gr0 & kPqapTBit) != 0) {
    return Exception(PqapOutcome::kSpecification, regs);
  }
  if (format_ != CrycbFormat::kFormat2 && (regs.gr0 & kGr0ApxaBits) != 0) {
    return Exception(PqapOutcome::kSpecification, regs);
  }
  if (!options_.facility65) return Exception(PqapOutcome::kSpecification, regs);
  ReaderLock hook(hook_sem_);
  if (hook_ == nullptr) {
    // No vfio-ap device: RC 0x01 stored in the upper half of GR1, the
    // guest's low half left as it was (the kernel's quirk, kept).
    PqapResult r;
    r.regs = regs;
    r.regs.gr1 = kNoHookStatus | (regs.gr1 & 0xffffffff);
    r.cc = 3;
    return r;
  }
  if (!hook_->HandleAqic(*this, &regs))
    return Exception(PqapOutcome::kOperation, regs);
  PqapResult r;
  r.regs = regs;
  r.cc = (regs.gr1 & 0x00ff0000) != 0 ? 3 : 0;
  return r;
}

PqapHook* Guest::SetPqapHook(PqapHook* hook) {
  WriterLock lock(hook_sem_);
  PqapHook* old = hook_;
  hook_ = hook;
  return old;
}

PqapHook* Guest::pqap_hook() const {
  ReaderLock lock(hook_sem_);
  return hook_;
}

Result<uint8_t> Guest::RegisterIsc(uint8_t isc) {
  if (!options_.aiv) return Status::Error(ENODEV, "no GISA");
  if (isc > 7) return Status::Error(ERANGE, "ISC above 7");
  gisa_->RegisterIsc(isc);
  // The host's nonspecific ISC of the GIB alert interrupt.
  return uint8_t{3};
}

}  // namespace vap::kvm
