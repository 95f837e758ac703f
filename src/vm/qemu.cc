#include "vm/qemu.h"

#include <cerrno>

namespace vap::vm {

namespace {

driver::VfioIrqSet TriggerEventfd(uint32_t index) {
  return driver::VfioIrqSet{
      24, driver::kVfioIrqSetDataEventfd | driver::kVfioIrqSetActionTrigger,
      index, 0, 1};
}

}  // namespace

Qemu::Qemu(driver::VfioAp& vfio, VmOptions options)
    : vfio_(vfio),
      options_(std::move(options)),
      guest_(std::make_unique<kvm::Guest>(options_.guest)) {
  main_loop_ = std::thread([this] { MainLoop(); });
}

Qemu::~Qemu() {
  StopVcpus();
  poller_->Close();
  main_loop_.join();
  Unrealize();
}

Status Qemu::Realize(const Uuid& uuid) {
  MutexLock bql(bql_);
  if (device_) return Status::Error(EBUSY, "the AP bus takes one device");
  VAP_RETURN_IF_ERROR(vfio_.Attach(uuid, guest_.get()));
  device_ = uuid;
  // vfio_ap_register_irq_notifier for both indexes; failures would only
  // be warnings in QEMU, and cannot happen with an open vfio_ap device.
  (void)vfio_.GetDeviceInfo(uuid, 16);
  (void)vfio_.SetIrqs(uuid, TriggerEventfd(driver::kVfioApReqIrqIndex), kReqFd,
                      req_fd_);
  (void)vfio_.SetIrqs(uuid, TriggerEventfd(driver::kVfioApCfgChgIrqIndex),
                      kCfgChgFd, cfg_fd_);
  return Status::Ok();
}

void Qemu::UnrealizeLocked() {
  if (!device_) return;
  const Uuid uuid = *device_;
  (void)vfio_.SetIrqs(uuid, TriggerEventfd(driver::kVfioApReqIrqIndex), -1,
                      nullptr);
  (void)vfio_.SetIrqs(uuid, TriggerEventfd(driver::kVfioApCfgChgIrqIndex), -1,
                      nullptr);
  vfio_.Detach(uuid);
  device_.reset();
}

void Qemu::Unrealize() {
  MutexLock bql(bql_);
  UnrealizeLocked();
}

std::optional<Uuid> Qemu::device() const {
  MutexLock bql(bql_);
  return device_;
}

Status Qemu::SystemReset() {
  MutexLock bql(bql_);
  if (!device_) return Status::Ok();
  return vfio_.ResetDevice(*device_);
}

void Qemu::StartVcpus() {
  MutexLock bql(bql_);
  if (vcpus_started_) return;
  vcpus_started_ = true;
  guest_->StartVcpus(options_.vcpus);
}

void Qemu::StopVcpus() {
  MutexLock bql(bql_);
  guest_->StopVcpus();
}

uint64_t Qemu::guest_ap_rescans() const {
  MutexLock bql(bql_);
  return guest_ap_rescans_;
}

void Qemu::GuestHandleCrwsLocked() {
  while (std::optional<Crw> crw = css_.StoreCrw()) {
    if (crw->rsc() != kCrwRscCss) continue;
    // chsc_process_crw: SEI until no more events are pending.
    for (;;) {
      const SeiResponse r = css_.StoreEventInformation();
      if (r.response_code != kChscResponseOk) break;
      if (r.rs() == kNt0RsAp && r.cc() == kNt0CcApConfigChanged)
        ++guest_ap_rescans_;
      if (!r.more_pending()) break;
    }
  }
}

void Qemu::MainLoop() {
  while (poller_->Wait()) {
    MutexLock bql(bql_);
    // vfio_ap_cfg_chg_notifier_handler.
    if (cfg_fd_->Read() > 0) {
      css_.ApConfigChanged();
      if (options_.guest_handles_crws) GuestHandleCrwsLocked();
    }
    // vfio_ap_req_notifier_handler: qdev_unplug, which the AP bridge
    // grants at once.
    if (req_fd_->Read() > 0 && options_.unplug_on_request) UnrealizeLocked();
  }
}

}  // namespace vap::vm
