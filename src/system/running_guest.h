// RunningGuest: one started guest, its QEMU model and, when enabled, the
// guest kernel behind it (src/guest): booted once the device is open and
// the vCPUs run, rebooted at a system reset, gone before the VM.
#ifndef VAP_SYSTEM_RUNNING_GUEST_H_
#define VAP_SYSTEM_RUNNING_GUEST_H_

#include <memory>
#include <optional>

#include "ap/firmware.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "driver/vfio_ap.h"
#include "guest/guest_kernel.h"
#include "matrix/uuid.h"
#include "vm/qemu.h"

namespace vap {

class RunningGuest {
 public:
  // The VM is made (its main loop runs); nothing is opened yet. All
  // references must outlive this object.
  // `kernel`: the guest kernel's options, none for no guest kernel.
  RunningGuest(driver::VfioAp& vfio, ap::Firmware& firmware,
               const Clock& clock, vm::VmOptions options,
               std::optional<guest::GuestKernelOptions> kernel);
  // The guest kernel first (detached from QEMU), then the VM.
  ~RunningGuest();
  RunningGuest(const RunningGuest&) = delete;
  RunningGuest& operator=(const RunningGuest&) = delete;

  // -device vfio-ap: opens `mdev`, starts the vCPUs, boots the kernel.
  Status Start(const Uuid& mdev) VAP_EXCLUDES(mu_);
  // -incoming: opens `mdev` only; the vCPUs start when the migration's
  // load ends (vm::Qemu::MigrationLoadFinish), then Resume() boots the
  // kernel.
  Status StartIncoming(const Uuid& mdev) VAP_EXCLUDES(mu_);
  void Resume() VAP_EXCLUDES(mu_);
  // From StartIncoming() until Resume(): the guest waits for the end of
  // the migration that brings it.
  bool incoming() const VAP_EXCLUDES(mu_);
  // A re-IPL: QEMU's system reset (VFIO_DEVICE_RESET), then a new guest
  // kernel that discovers its devices afresh.
  Status Reboot() VAP_EXCLUDES(mu_);
  // Stops the vCPUs and closes the device; the kernel goes first.
  void Stop() VAP_EXCLUDES(mu_);

  vm::Qemu& vm() { return *vm_; }
  const vm::Qemu& vm() const { return *vm_; }
  // The guest kernel now (null: none, or not booted); it stays valid while
  // held, though a reboot replaces it and halts the old one
  // (GuestKernel::Halt), and must not be looked at once the guest stopped.
  std::shared_ptr<guest::GuestKernel> kernel() const VAP_EXCLUDES(mu_);

 private:
  void Boot() VAP_EXCLUDES(mu_);
  void Shutdown() VAP_EXCLUDES(mu_);

  ap::Firmware& firmware_;
  const Clock& clock_;
  const std::optional<guest::GuestKernelOptions> kernel_options_;
  const std::unique_ptr<vm::Qemu> vm_;
  // Guards kernel_ and incoming_; rank kLeaf, never held while a kernel
  // boots or goes.
  mutable Mutex mu_{LockRank::kLeaf, "running_guest"};
  std::shared_ptr<guest::GuestKernel> kernel_ VAP_GUARDED_BY(mu_);
  bool incoming_ VAP_GUARDED_BY(mu_) = false;
};

}  // namespace vap

#endif  // VAP_SYSTEM_RUNNING_GUEST_H_
