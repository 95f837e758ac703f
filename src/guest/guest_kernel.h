// GuestKernel: Linux inside one KVM guest, as far as AP goes: its AP bus
// (vap's AP bus code, the host's, issuing its instructions to
// kvm::GuestMachine), zcrypt's cex4card and cex4queue, the uevents they
// send, and the guest's own /sys in the host's formats
// (docs/architecture.md, "The guest's AP bus"). What differs from the
// host's bus is what the guest's machine answers, and:
//   - all-ones apmask and aqmask and no vfio_ap driver, so every queue
//     binds to cex4queue;
//   - the adapter interrupt only with facility 65 and a GISA
//     (ap_irq_init());
//   - no SCLP AP reconfiguration: a card `config` change is EOPNOTSUPP;
//   - no bus at all without AP instructions (`ap` off in the CPU model):
//     ap_module_init() fails, and /sys has no bus/ap.
#ifndef VAP_GUEST_GUEST_KERNEL_H_
#define VAP_GUEST_GUEST_KERNEL_H_

#include <memory>

#include "ap/firmware.h"
#include "apbus/ap_bus.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/uevent.h"
#include "kvm/guest.h"
#include "kvm/guest_machine.h"
#include "sysfs/tree.h"
#include "sysfs/uevents.h"
#include "vm/qemu.h"

namespace vap::guest {

struct GuestKernelOptions {
  bool useirq = true;          // ap.useirq=
  bool periodic_scans = true;  // the rescan timer (config_time)
};

class GuestKernel : public vm::GuestOs {
 public:
  // Boots: ap_module_init() and the first scan, before it returns.
  // `guest`, `host` and `clock` must outlive it.
  GuestKernel(kvm::Guest& guest, ap::Firmware& host, const Clock& clock,
              GuestKernelOptions options = {});
  // Halt()s first.
  ~GuestKernel() override;
  GuestKernel(const GuestKernel&) = delete;
  GuestKernel& operator=(const GuestKernel&) = delete;

  // The guest stops: the bus's scan worker and queue poller end, so the
  // kernel issues no instruction of its own any more. Whoever still holds
  // it may look, but not once its guest (kvm::Guest) is gone.
  void Halt();

  // Null when ap_module_init() failed (no AP instructions).
  apbus::ApBus* bus();
  sysfs::Tree& tree() { return tree_; }
  UeventHub& uevents() { return hub_; }
  Logger& log() { return log_; }

  // vm::GuestOs: ap_bus_cfg_chg() -> ap_bus_force_rescan().
  void ApConfigChanged() override;

 private:
  struct ApStack;

  kvm::GuestMachine machine_;
  Logger log_;
  UeventHub hub_;
  sysfs::UeventSource uevent_source_;
  sysfs::Tree tree_;
  std::unique_ptr<ApStack> stack_;
};

}  // namespace vap::guest

#endif  // VAP_GUEST_GUEST_KERNEL_H_
