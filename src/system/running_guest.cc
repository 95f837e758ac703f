#include "system/running_guest.h"

#include <utility>

namespace vap {

RunningGuest::RunningGuest(driver::VfioAp& vfio, ap::Firmware& firmware,
                           const Clock& clock, vm::VmOptions options,
                           std::optional<guest::GuestKernelOptions> kernel)
    : firmware_(firmware),
      clock_(clock),
      kernel_options_(kernel),
      vm_(std::make_unique<vm::Qemu>(vfio, std::move(options))) {}

RunningGuest::~RunningGuest() { Shutdown(); }

Status RunningGuest::Start(const Uuid& mdev) {
  VAP_RETURN_IF_ERROR(vm_->Realize(mdev));
  vm_->StartVcpus();
  Boot();
  return Status::Ok();
}

Status RunningGuest::StartIncoming(const Uuid& mdev) {
  VAP_RETURN_IF_ERROR(vm_->Realize(mdev));
  MutexLock lock(mu_);
  incoming_ = true;
  return Status::Ok();
}

void RunningGuest::Resume() {
  {
    MutexLock lock(mu_);
    incoming_ = false;
  }
  Boot();
}

bool RunningGuest::incoming() const {
  MutexLock lock(mu_);
  return incoming_;
}

Status RunningGuest::Reboot() {
  Shutdown();
  const Status reset = vm_->SystemReset();
  Boot();
  return reset;
}

void RunningGuest::Stop() {
  Shutdown();
  vm_->StopVcpus();
  vm_->Unrealize();
}

void RunningGuest::Boot() {
  if (!kernel_options_) return;
  auto kernel = std::make_shared<guest::GuestKernel>(vm_->guest(), firmware_,
                                                     clock_, *kernel_options_);
  vm_->AttachGuestOs(kernel.get());
  MutexLock lock(mu_);
  kernel_ = std::move(kernel);
}

void RunningGuest::Shutdown() {
  std::shared_ptr<guest::GuestKernel> old;
  {
    MutexLock lock(mu_);
    old = std::move(kernel_);
  }
  // Waits for an event being handled; then nothing reaches the kernel,
  // and it issues nothing itself, even if someone still holds it.
  vm_->AttachGuestOs(nullptr);
  if (old != nullptr) old->Halt();
}

std::shared_ptr<guest::GuestKernel> RunningGuest::kernel() const {
  MutexLock lock(mu_);
  return kernel_;
}

}  // namespace vap
