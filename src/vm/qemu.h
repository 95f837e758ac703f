// Qemu: the user-space half of a guest (QEMU's vfio-ap device, hw/vfio/ap.c:
// vfio_ap_realize(), vfio_ap_unrealize(), vfio_ap_reset() and the IRQ
// notifier handlers). It owns the KVM guest and its vCPUs and, like QEMU's
// vfio-ap device, opens one vfio_ap mdev for it and registers both IRQ
// eventfds (realize); closes it (unrealize); resets it at system reset; and
// runs a main loop that handles the eventfds: a device request unplugs the
// device at once (the AP bridge's hot-unplug, no guest handshake), a config
// change queues an "AP configuration changed" event and a CRW for the guest.
// The guest's kernel drains them with CHSC SEI and counts one AP bus rescan
// per event.
//
// Lock order: bql_ (rank kQemu) is outermost; it is held across the
// calls into the driver, as QEMU holds its big lock around the VFIO
// ioctls (docs/locking.md Q1).
#ifndef VAP_VM_QEMU_H_
#define VAP_VM_QEMU_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <thread>

#include "base/event_fd.h"
#include "base/mutex.h"
#include "base/status.h"
#include "base/thread_annotations.h"
#include "driver/vfio_ap.h"
#include "kvm/guest.h"
#include "matrix/uuid.h"
#include "vm/css.h"
#include "vm/migration_stream.h"

namespace vap::vm {

// The guest kernel, as far as QEMU hands it events (src/guest implements
// it: the guest's AP bus). Called from QEMU's main loop with no QEMU lock
// held: the guest runs its handlers itself, not under the BQL.
class GuestOs {
 public:
  virtual ~GuestOs() = default;
  // An AP configuration-changed event (CHSC SEI NT0, rs 5, cc 3) reached
  // the AP bus's CHSC notifier (ap_bus_cfg_chg()): once per event.
  virtual void ApConfigChanged() = 0;
};

struct VmOptions {
  kvm::GuestOptions guest;
  int vcpus = 2;
  // QEMU's request handler unplugs the device; off, the device stays
  // until Unrealize() (the kernel then repeats the request every 10 s).
  bool unplug_on_request = true;
  // The guest kernel's CRW handler drains SEI as soon as a CRW is queued;
  // off, StoreCrw()/StoreEventInformation() are left to the caller.
  bool guest_handles_crws = true;
};

class Qemu {
 public:
  // Creates the guest and starts the main loop; `vfio` must outlive it.
  Qemu(driver::VfioAp& vfio, VmOptions options);
  // Stops the vCPUs, unrealizes the device and ends the main loop.
  ~Qemu();
  Qemu(const Qemu&) = delete;
  Qemu& operator=(const Qemu&) = delete;

  kvm::Guest& guest() { return *guest_; }
  const kvm::Guest& guest() const { return *guest_; }
  int vcpus() const { return options_.vcpus; }

  // `-device vfio-ap,sysfsdev=...`: opens the mdev (the driver's errno:
  // EINVAL, ENODEV, EBUSY, EPERM), then GET_INFO and SET_IRQS for both
  // IRQs. EBUSY if this VM already has its one vfio-ap device.
  Status Realize(const Uuid& uuid) VAP_EXCLUDES(bql_);
  // SET_IRQS fd -1 for both IRQs, then close (the driver's detach).
  void Unrealize() VAP_EXCLUDES(bql_);
  std::optional<Uuid> device() const VAP_EXCLUDES(bql_);
  // VFIO_DEVICE_RESET at system reset; QEMU only logs an error.
  Status SystemReset() VAP_EXCLUDES(bql_);

  // Starts the vCPUs (once) and stops them.
  void StartVcpus() VAP_EXCLUDES(bql_);
  void StopVcpus() VAP_EXCLUDES(bql_);

  // Cumulative signals of each IRQ eventfd (the kernel signals them in
  // vfio_ap_mdev_request() and signal_guest_ap_cfg_changed()).
  uint64_t req_count() const { return req_fd_->signals(); }
  uint64_t cfg_chg_count() const { return cfg_fd_->signals(); }
  // AP bus rescans the guest kernel made for NT0 rs 5 cc 3 events.
  uint64_t guest_ap_rescans() const VAP_EXCLUDES(bql_);
  // The guest kernel that handles the AP events from now on (null: none,
  // they are only counted). It must outlive its attachment.
  void AttachGuestOs(GuestOs* os) VAP_EXCLUDES(bql_, os_mu_);
  // Whether the guest kernel handles CRWs: paused, they stay queued (a
  // test looks between the host's change and the guest's rescan); resumed,
  // the queued ones are handled at once.
  void SetGuestHandlesCrws(bool on) VAP_EXCLUDES(bql_, os_mu_);
  ChannelSubsystem& css() { return css_; }

  // --- Live migration (qemu_migration.cc; QEMU's hw/vfio/migration.c
  // with the vfio-ap device's migration blocker gone). Source side:
  // save_setup: the device must offer STOP_COPY (ENOTTY: "VFIO migration
  // is not supported in kernel"; EOPNOTSUPP without STOP_COPY); returns
  // the stream's setup section. EBUSY while a migration is in progress.
  Result<std::string> MigrationSaveSetup() VAP_EXCLUDES(bql_);
  // The VM stops: its vCPUs, then RUNNING -> STOP.
  Status MigrationVmStop() VAP_EXCLUDES(bql_);
  // complete_precopy: the first call enters STOP_COPY; the calls return
  // the stream's data records (each of up to the buffer size) and its end
  // marker, up to `max` bytes at a time, then "".
  Result<std::string> MigrationSaveNext(size_t max) VAP_EXCLUDES(bql_);
  // The end on the source: after success STOP_COPY -> STOP and the fd
  // closed; after a failure the fd closed, RUNNING and the vCPUs again.
  void MigrationSaveCleanup(bool succeeded) VAP_EXCLUDES(bql_);
  // Destination: load_setup: RUNNING -> RESUMING (through STOP).
  Status MigrationLoadSetup() VAP_EXCLUDES(bql_);
  // The incoming stream's next bytes; each data record is written to the
  // device whole (a write error fails the load).
  Status MigrationLoad(std::string_view bytes) VAP_EXCLUDES(bql_);
  // load_cleanup, then the VM starts: the fd closed, RUNNING (RESUMING ->
  // STOP -> RUNNING), the vCPUs. EINVAL if the stream did not end.
  Status MigrationLoadFinish() VAP_EXCLUDES(bql_);

 private:
  // vfio_migration_set_state(): on failure, the recover state; if that
  // fails too, VFIO_DEVICE_RESET (the device is then RUNNING).
  Status SetDeviceStateLocked(driver::MigState target, driver::MigState recover)
      VAP_REQUIRES(bql_);
  // Takes the data fd an arc handed out; EBADF ("data_fd out of sync")
  // if one is held already.
  Status TakeDataFdLocked(std::unique_ptr<driver::MigrationFile> file)
      VAP_REQUIRES(bql_);
  // The save's next record: a data record, the end marker, or "".
  Result<std::string> NextRecordLocked() VAP_REQUIRES(bql_);

  // The fd numbers the guest's eventfds have in the model.
  static constexpr int32_t kReqFd = 100;
  static constexpr int32_t kCfgChgFd = 101;

  void MainLoop() VAP_EXCLUDES(bql_);
  void UnrealizeLocked() VAP_REQUIRES(bql_);
  // VFIO_DEVICE_SET_IRQS of one trigger (fd -1: released) on the open
  // device; aborts if the driver refuses (it cannot while open).
  void RegisterIrq(const Uuid& uuid, uint32_t index, int32_t fd,
                   std::shared_ptr<EventFd> eventfd) VAP_REQUIRES(bql_);
  // The guest kernel's CRW machine-check handler: STCRW until none is
  // left; for a channel-subsystem CRW, SEI until no event is pending.
  // Returns the AP configuration-change events it took.
  int GuestHandleCrwsLocked() VAP_REQUIRES(bql_);
  // Hands `events` to the guest kernel, holding no QEMU lock.
  void DeliverApEvents(int events) VAP_EXCLUDES(bql_, os_mu_);

  driver::VfioAp& vfio_;
  const VmOptions options_;
  const std::unique_ptr<kvm::Guest> guest_;
  ChannelSubsystem css_;
  const std::shared_ptr<EventPoller> poller_ = std::make_shared<EventPoller>();
  const std::shared_ptr<EventFd> req_fd_ = std::make_shared<EventFd>(poller_);
  const std::shared_ptr<EventFd> cfg_fd_ = std::make_shared<EventFd>(poller_);

  // QEMU's big lock; rank kQemu, one per VM.
  mutable Mutex bql_{LockRank::kQemu, "qemu_bql"};
  std::optional<Uuid> device_ VAP_GUARDED_BY(bql_);
  bool vcpus_started_ VAP_GUARDED_BY(bql_) = false;
  uint64_t guest_ap_rescans_ VAP_GUARDED_BY(bql_) = 0;
  bool guest_handles_crws_ VAP_GUARDED_BY(bql_);
  // The guest kernel; held while it handles events, so that a detach
  // waits for that to end, and the handler takes the guest's AP bus locks
  // and the host's: rank kQemu, as bql_, which is never held with it.
  mutable Mutex os_mu_{LockRank::kQemu, "qemu_guest_os"};
  GuestOs* os_ VAP_GUARDED_BY(os_mu_) = nullptr;
  std::thread main_loop_;
  // The migration in progress: its data fd, QEMU's buffer size (from
  // MIG_DATA_SIZE, at most 1 MiB), how far the save got, and the loader.
  std::unique_ptr<driver::MigrationFile> mig_file_ VAP_GUARDED_BY(bql_);
  bool migrating_ VAP_GUARDED_BY(bql_) = false;
  size_t mig_buffer_ VAP_GUARDED_BY(bql_) = 0;
  bool save_done_ VAP_GUARDED_BY(bql_) = false;
  std::string save_pending_ VAP_GUARDED_BY(bql_);  // of the last record
  StreamLoader loader_ VAP_GUARDED_BY(bql_);
};

}  // namespace vap::vm

#endif  // VAP_VM_QEMU_H_
