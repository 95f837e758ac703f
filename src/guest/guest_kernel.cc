#include "guest/guest_kernel.h"

#include "apbus/zcrypt.h"
#include "base/check.h"
#include "sysfs/ap_bus_sysfs.h"

namespace vap::guest {

// What ap_module_init() and zcrypt_cex4_init() set up, in their order.
struct GuestKernel::ApStack {
  ApStack(kvm::GuestMachine& machine, ap::Firmware& host, Logger& log,
          const Clock& clock, apbus::HostIrq irq, sysfs::Tree& tree,
          sysfs::UeventSource& uevents)
      : bus(machine, host, log, clock, irq),
        zcrypt(bus),
        sysfs(tree, bus, zcrypt, uevents) {
    bus.AddObserver(uevents);
    for (apbus::ApDriver* drv : {&zcrypt.card_driver(), &zcrypt.queue_driver()}) {
      const Status registered = bus.RegisterDriver(*drv);
      VAP_CHECK_MSG(registered.ok(), registered.ToString().c_str());
    }
  }

  apbus::ApBus bus;
  apbus::Zcrypt zcrypt;
  sysfs::ApBusSysfs sysfs;
};

GuestKernel::GuestKernel(kvm::Guest& guest, ap::Firmware& host,
                         const Clock& clock, GuestKernelOptions options)
    : machine_(guest, host), log_(clock), uevent_source_(hub_, log_) {
  if (!machine_.available()) {
    log_.Log(LogLevel::kWarning,
             "ap: The hardware system does not support AP instructions");
    return;
  }
  // ap_irq_init(): the adapter interrupt on ISC 6, with facility 65
  // (which KVM offers only with a GISA).
  apbus::HostIrq irq;
  irq.available = options.useirq && machine_.interrupts_available() &&
                  guest.options().aiv;
  stack_ = std::make_unique<ApStack>(machine_, host, log_, clock, irq, tree_,
                                     uevent_source_);
  // ap_async_init(): the first scan, then the rescan timer and the queues'
  // poll timer.
  stack_->bus.Scan();
  stack_->bus.StartQueuePoller();
  if (options.periodic_scans) stack_->bus.StartScanWorker();
}

GuestKernel::~GuestKernel() { Halt(); }

void GuestKernel::Halt() {
  if (stack_ != nullptr) stack_->bus.StopWorkers();
}

apbus::ApBus* GuestKernel::bus() {
  return stack_ == nullptr ? nullptr : &stack_->bus;
}

void GuestKernel::ApConfigChanged() {
  if (stack_ != nullptr) (void)stack_->bus.ForceRescan();
}

}  // namespace vap::guest
