#include "vm/qemu.h"

#include <cerrno>
#include <utility>

#include "base/check.h"

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
      guest_(std::make_unique<kvm::Guest>(options_.guest)),
      guest_handles_crws_(options_.guest_handles_crws) {
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
  // vfio_ap_register_irq_notifier() for both indexes (hw/vfio/ap.c). QEMU
  // only warns when one fails; with the device open (the mdev cannot go
  // while attached) none can, so a failure here is a bug in vap.
  VAP_CHECK(vfio_.GetDeviceInfo(uuid, 16).ok());
  RegisterIrq(uuid, driver::kVfioApReqIrqIndex, kReqFd, req_fd_);
  RegisterIrq(uuid, driver::kVfioApCfgChgIrqIndex, kCfgChgFd, cfg_fd_);
  return Status::Ok();
}

void Qemu::UnrealizeLocked() {
  if (!device_) return;
  const Uuid uuid = *device_;
  RegisterIrq(uuid, driver::kVfioApReqIrqIndex, -1, nullptr);
  RegisterIrq(uuid, driver::kVfioApCfgChgIrqIndex, -1, nullptr);
  vfio_.Detach(uuid);
  device_.reset();
  mig_file_.reset();  // QEMU's fds close with it
  migrating_ = false;
}

void Qemu::RegisterIrq(const Uuid& uuid, uint32_t index, int32_t fd,
                       std::shared_ptr<EventFd> eventfd) {
  const Status set =
      vfio_.SetIrqs(uuid, TriggerEventfd(index), fd, std::move(eventfd));
  VAP_CHECK_MSG(set.ok(), set.ToString().c_str());
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

int Qemu::GuestHandleCrwsLocked() {
  int events = 0;
  while (std::optional<Crw> crw = css_.StoreCrw()) {
    if (crw->rsc() != kCrwRscCss) continue;
    // chsc_process_crw: SEI until no more events are pending.
    for (;;) {
      const SeiResponse r = css_.StoreEventInformation();
      if (r.response_code != kChscResponseOk) break;
      if (r.rs() == kNt0RsAp && r.cc() == kNt0CcApConfigChanged) {
        ++guest_ap_rescans_;
        ++events;
      }
      if (!r.more_pending()) break;
    }
  }
  return events;
}

void Qemu::DeliverApEvents(int events) {
  MutexLock lock(os_mu_);
  if (os_ == nullptr) return;
  for (int i = 0; i < events; ++i) os_->ApConfigChanged();
}

void Qemu::AttachGuestOs(GuestOs* os) {
  MutexLock lock(os_mu_);
  os_ = os;
}

void Qemu::SetGuestHandlesCrws(bool on) {
  int events = 0;
  {
    MutexLock bql(bql_);
    guest_handles_crws_ = on;
    if (on) events = GuestHandleCrwsLocked();
  }
  DeliverApEvents(events);
}

void Qemu::MainLoop() {
  while (poller_->Wait()) {
    int events = 0;
    {
      MutexLock bql(bql_);
      // vfio_ap_cfg_chg_notifier_handler.
      if (cfg_fd_->Read() > 0) {
        css_.ApConfigChanged();
        if (guest_handles_crws_) events = GuestHandleCrwsLocked();
      }
      // vfio_ap_req_notifier_handler: qdev_unplug, which the AP bridge
      // grants at once.
      if (req_fd_->Read() > 0 && options_.unplug_on_request) UnrealizeLocked();
    }
    // The guest's kmcheck thread runs the AP bus's handler, outside QEMU.
    DeliverApEvents(events);
  }
}

}  // namespace vap::vm
