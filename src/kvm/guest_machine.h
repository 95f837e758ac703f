// GuestMachine: the AP instructions as Linux inside a KVM guest issues them
// (ap::ApInstructions), so that the AP bus code the host runs can run as
// the guest's own (docs/architecture.md, "The guest's AP bus").
//   - QCI is interpreted by SIE from the guest's CRYCB: the APCB's masks,
//     with flags from the host's QCI: apsc, qact, rc8a, na and nd copied,
//     apxa only for CRYCB format 2 (APCB1), apsb off (no Secure Execution)
//     and at least apsc, since a zero flag word makes the guest ignore its
//     masks (docs/fidelity.md).
//   - TAPQ (with the T bit when the CPU model has APFT), RAPQ and ZAPQ go
//     through Guest::Pqap: interpreted against the APCB, RC 0x01 outside.
//   - AQIC goes through KVM's intercept to vfio_ap's hook.
//   - SCLP has no AP reconfiguration in a QEMU guest: EOPNOTSUPP.
#ifndef VAP_KVM_GUEST_MACHINE_H_
#define VAP_KVM_GUEST_MACHINE_H_

#include <optional>

#include "ap/ap_instructions.h"
#include "ap/firmware.h"
#include "kvm/guest.h"

namespace vap::kvm {

class GuestMachine : public ap::ApInstructions {
 public:
  // `guest` and `host` must outlive this object.
  GuestMachine(Guest& guest, const ap::Firmware& host)
      : guest_(guest), host_(host) {}

  // ap_instructions_available(): the CPU model has `ap` (APIE).
  bool available() const { return guest_.options().apie; }
  // Facility 65 (`apqi`): AP queue interruption control.
  bool interrupts_available() const { return guest_.options().facility65; }

  std::optional<ap::QciInfo> QueryConfig() override;
  ap::TapqResult TestQueue(Apqn apqn) override;
  ap::QueueStatus ResetQueue(Apqn apqn) override;
  ap::QueueStatus ZeroizeQueue(Apqn apqn) override;
  ap::QueueStatus EnableInterrupts(Apqn apqn, uint8_t isc,
                                   uint64_t nib) override;
  Status ConfigureAdapter(uint8_t apid, bool configured) override;

 private:
  // The status word of a completed PQAP; RC 0x01 for an exception (the
  // guest kernel issues none it cannot: it checks its facilities first).
  static ap::QueueStatus StatusOf(const PqapResult& r);

  Guest& guest_;
  const ap::Firmware& host_;
};

}  // namespace vap::kvm

#endif  // VAP_KVM_GUEST_MACHINE_H_
