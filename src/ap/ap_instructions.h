// The AP instructions an AP bus issues, as its machine answers them: the
// host's firmware (ap::Firmware), or what Linux inside a KVM guest meets
// (its APCB, SIE's interpretation of TAPQ, RAPQ and ZAPQ, KVM's intercept
// of AQIC; kvm::GuestMachine). One AP bus implementation (src/apbus) runs
// over either, as the kernel's ap_bus.c runs on an LPAR and in a guest
// (docs/architecture.md).
#ifndef VAP_AP_AP_INSTRUCTIONS_H_
#define VAP_AP_AP_INSTRUCTIONS_H_

#include <cstdint>
#include <optional>

#include "ap/qci.h"
#include "ap/queue_status.h"
#include "base/result.h"
#include "matrix/apqn.h"

namespace vap::ap {

// What TAPQ with the T bit returns in GR2 besides the status.
struct TapqInfo {
  uint32_t functions = 0;  // ap_functions bits
  uint8_t raw_hwtype = 0;  // the card's AP type
  uint8_t depth = 0;       // queue depth
  uint8_t nd = 0;          // number of domains - 1 (QCI's nd)
};

// TAPQ's GR2 with the T bit (struct ap_tapq_hwinfo in
// arch/s390/include/asm/ap.h): the facility word in the high 32 bits,
// then the AP type, the number of domains and the queue depth (QD, one
// less than `depth`).
constexpr uint64_t EncodeTapqGr2(const TapqInfo& info) {
  const uint64_t qd = info.depth > 0 ? info.depth - 1u : 0u;
  return (uint64_t{info.functions} << 32) | (uint64_t{info.raw_hwtype} << 24) |
         (uint64_t{info.nd} << 16) | (qd & 0xf);
}
constexpr TapqInfo DecodeTapqGr2(uint64_t gr2) {
  TapqInfo info;
  info.functions = static_cast<uint32_t>(gr2 >> 32);
  info.raw_hwtype = static_cast<uint8_t>(gr2 >> 24);
  info.nd = static_cast<uint8_t>(gr2 >> 16);
  info.depth = info.raw_hwtype == 0 ? 0 : static_cast<uint8_t>((gr2 & 0xf) + 1);
  return info;
}

struct TapqResult {
  QueueStatus status;
  TapqInfo info;  // valid when the status says the queue exists (RC != 1)
};

class ApInstructions {
 public:
  virtual ~ApInstructions() = default;
  // PQAP(QCI): none without the QCI facility (facility 12).
  virtual std::optional<QciInfo> QueryConfig() = 0;
  // PQAP(TAPQ), with the T bit where the machine has APFT (facility 15);
  // without it GR2 carries no information (all zero).
  virtual TapqResult TestQueue(Apqn apqn) = 0;
  // PQAP(RAPQ) and PQAP(ZAPQ).
  virtual QueueStatus ResetQueue(Apqn apqn) = 0;
  virtual QueueStatus ZeroizeQueue(Apqn apqn) = 0;
  // PQAP(AQIC) enabling interrupts on `isc` with the indicator at `nib`.
  virtual QueueStatus EnableInterrupts(Apqn apqn, uint8_t isc,
                                       uint64_t nib) = 0;
  // SCLP's AP configure and deconfigure (sclp_ap_configure() and
  // sclp_ap_deconfigure()): EOPNOTSUPP where SCLP has no AP
  // reconfiguration (a QEMU guest).
  virtual Status ConfigureAdapter(uint8_t apid, bool configured) = 0;
};

}  // namespace vap::ap

#endif  // VAP_AP_AP_INSTRUCTIONS_H_
