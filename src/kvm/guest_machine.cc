#include "kvm/guest_machine.h"

#include <algorithm>
#include <cerrno>

namespace vap::kvm {

std::optional<ap::QciInfo> GuestMachine::QueryConfig() {
  if (!guest_.options().apie || !guest_.options().facility12) return std::nullopt;
  const std::optional<ap::QciInfo> host = host_.Qci();
  const ApMatrix apcb = guest_.Apcb();
  ap::QciInfo qci;
  qci.apm = apcb.apm();
  qci.aqm = apcb.aqm();
  qci.adm = apcb.adm();
  qci.apxa = guest_.format() == CrycbFormat::kFormat2;
  if (host) {
    qci.qact = host->qact;
    qci.rc8a = host->rc8a;
    qci.na = qci.apxa ? host->na : std::min<uint8_t>(host->na, 63);
    qci.nd = qci.apxa ? host->nd : std::min<uint8_t>(host->nd, 15);
  }
  qci.apsc = true;  // the host's, and never a zero flag word
  return qci;
}

ap::QueueStatus GuestMachine::StatusOf(const PqapResult& r) {
  if (r.outcome != PqapOutcome::kCompleted)
    return ap::QueueStatus::Rc(ap::kRcQueueNotAvailable);
  return ap::QueueStatus::FromWord(static_cast<uint32_t>(r.regs.gr1));
}

ap::TapqResult GuestMachine::TestQueue(Apqn apqn) {
  PqapRegs regs = MakePqapRegs(PqapCall::kTapq, apqn);
  const bool t_bit = guest_.options().facility15;
  if (t_bit) regs.gr0 |= kPqapTBit;
  const PqapResult r = guest_.Pqap(/*problem_state=*/false, regs);
  ap::TapqResult out;
  out.status = StatusOf(r);
  if (t_bit && r.outcome == PqapOutcome::kCompleted)
    out.info = ap::DecodeTapqGr2(r.regs.gr2);
  return out;
}

ap::QueueStatus GuestMachine::ResetQueue(Apqn apqn) {
  PqapRegs regs;
  regs.gr0 = uint64_t{kPqapRapq} << 24 | apqn.qid();
  return StatusOf(guest_.Pqap(false, regs));
}

ap::QueueStatus GuestMachine::ZeroizeQueue(Apqn apqn) {
  return StatusOf(guest_.Pqap(false, MakePqapRegs(PqapCall::kZapq, apqn)));
}

ap::QueueStatus GuestMachine::EnableInterrupts(Apqn apqn, uint8_t isc,
                                               uint64_t nib) {
  return StatusOf(
      guest_.Pqap(false, MakePqapRegs(PqapCall::kAqicEnable, apqn, isc, nib)));
}

// sclp_ap_configure(): QEMU's SCLP read-info reports no AP
// reconfiguration facility (read_SCP_info() in hw/s390x/sclp.c).
Status GuestMachine::ConfigureAdapter(uint8_t, bool) {
  return Status::Error(EOPNOTSUPP, "SCLP has no AP reconfiguration facility");
}

}  // namespace vap::kvm
