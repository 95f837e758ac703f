// PQAP as a vCPU issues it: the registers (arch/s390/include/asm/ap.h),
// what KVM does with an intercepted PQAP (handle_pqap() in
// arch/s390/kvm/priv.c), and the hook vfio_ap installs to handle AQIC
// (handle_pqap() in drivers/s390/crypto/vfio_ap_ops.c).
#ifndef VAP_KVM_PQAP_H_
#define VAP_KVM_PQAP_H_

#include <cstdint>

#include "matrix/apqn.h"

namespace vap::kvm {

class Guest;

// PQAP function codes (GR0 bits 24-31).
inline constexpr uint8_t kPqapTapq = 0;
inline constexpr uint8_t kPqapRapq = 1;
inline constexpr uint8_t kPqapZapq = 2;
inline constexpr uint8_t kPqapAqic = 3;
inline constexpr uint64_t kPqapTBit = 0x00800000;  // TAPQ: test facilities
inline constexpr uint64_t kAqicIrBit = uint64_t{1} << 47;  // GR1: enable

struct PqapRegs {
  uint64_t gr0 = 0;
  uint64_t gr1 = 0;
  uint64_t gr2 = 0;
};

enum class PqapOutcome : uint8_t {
  kCompleted,            // GR1 holds the status; `cc` is the condition code
  kOperation,            // operation exception (0x01), injected via QEMU
  kPrivilegedOperation,  // program interruption 0x02
  kSpecification,        // program interruption 0x06
};

struct PqapResult {
  PqapOutcome outcome = PqapOutcome::kCompleted;
  uint8_t cc = 0;
  PqapRegs regs;  // the registers after the instruction
};

// "completed", "operation exception", "privileged-operation exception",
// "specification exception".
const char* PqapOutcomeName(PqapOutcome outcome);

// The registers of the PQAP calls users issue from a guest (`vap guest
// pqap`, the library's Host::Pqap): TAPQ without facilities, ZAPQ, and
// AQIC enabling interrupts (ISC `isc`, notification byte at `nib`) or
// disabling them.
enum class PqapCall : uint8_t { kTapq, kZapq, kAqicEnable, kAqicDisable };
PqapRegs MakePqapRegs(PqapCall call, Apqn apqn, uint8_t isc = 0,
                      uint64_t nib = 0);

// kvm->arch.crypto.pqap_hook: vfio_ap's AQIC handler for one mdev. Called
// with the guest's hook semaphore held for reading.
class PqapHook {
 public:
  virtual ~PqapHook() = default;
  // Handles AQIC: stores the status word in regs->gr1 (zero-extended) and
  // returns true, or returns false for "not supported" (no GISA), which
  // ends in an operation exception.
  virtual bool HandleAqic(Guest& guest, PqapRegs* regs) = 0;
};

}  // namespace vap::kvm

#endif  // VAP_KVM_PQAP_H_
