// The vfio_ap driver (drivers/s390/crypto/vfio_ap_*.c): the matrix device
// (the kernel's ap_matrix_dev), its mediated devices and their adapter x
// domain matrices, the shadow APCB each guest is given, the queues bound
// to vfio_ap, and the AP bus driver callbacks (vfio_ap_drv.c,
// vfio_ap_ops.c).
//
// Lock order (docs/locking.md L1 and D1):
//   ap_attr_mutex (the bus's) -> guests_mu_ -> a guest's kvm->lock ->
//   mdevs_mu_; the helpers in update_locks.h take them in the kernel's
//   shapes (for an mdev, for a guest, by APQN, for a queue).
//
// Invariant (checked by CheckInvariants()):
//   - no APQN is in two mdevs' matrices;
//   - a queue is linked to an mdev iff it is bound to vfio_ap and its
//     APQN is in that mdev's matrix;
//   - blocked_ marks exactly the queues that are not linked or whose last
//     reset left a response code other than 0x00, 0x03, 0x04;
//   - an attached mdev's guest shows its shadow APCB (unless a device
//     request cleared it).
#ifndef VAP_DRIVER_VFIO_AP_H_
#define VAP_DRIVER_VFIO_AP_H_

#include <cerrno>
#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ap/qci.h"
#include "ap/queue_status.h"
#include "apbus/ap_bus.h"
#include "apbus/ap_driver.h"
#include "base/clock.h"
#include "base/event_fd.h"
#include "base/log.h"
#include "base/mutex.h"
#include "base/rate_limit.h"
#include "base/result.h"
#include "base/thread_annotations.h"
#include "driver/filter.h"
#include "driver/mdev_observer.h"
#include "driver/migration.h"
#include "driver/migration_blob.h"
#include "driver/vfio_device.h"
#include "kvm/guest.h"
#include "matrix/ap_matrix.h"
#include "matrix/mask_parse.h"
#include "matrix/uuid.h"

namespace vap::driver {

// VFIO_AP_ISC_INVALID: a queue's saved_isc when none is registered.
inline constexpr uint8_t kIscInvalid = 0xff;

// The most mdevs the type allows (available_instances at start).
inline constexpr unsigned kMaxMdevs = 65536;

// A snapshot of one mdev, for queries and tests.
struct MdevInfo {
  Uuid uuid;
  ApMatrix matrix;
  ApMatrix shadow_apcb;
  std::string guest;         // the attached guest's name; empty if none
  std::vector<Apqn> linked;  // queues in its queue table, ascending
  std::vector<uint8_t> linked_reset_rc;  // their last reset's response code
};

class VfioAp : public apbus::ApDriver {
 public:
  // Takes the host's QCI from `bus` (the kernel's matrix_dev->info). Register
  // it with the bus to have queues bound. All references must outlive it.
  VfioAp(apbus::ApBus& bus, Logger& log, const Clock& clock);
  ~VfioAp() override;
  VfioAp(const VfioAp&) = delete;
  VfioAp& operator=(const VfioAp&) = delete;

  // --- apbus::ApDriver (vfio_ap_events.cc).
  std::string_view name() const override { return "vfio_ap"; }
  bool is_default() const override { return false; }
  bool Matches(const apbus::ApDevice& dev) const override;
  Status Probe(const apbus::ApDevice& dev) override
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  void Remove(const apbus::ApDevice& dev) override
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  Status InUse(const ApMask& apm, const ApMask& aqm) override
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  void OnConfigChanged(const ap::QciInfo& cur, const ap::QciInfo& prev) override
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  void OnScanComplete(const ap::QciInfo& cur, const ap::QciInfo& prev) override
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);

  // --- The mdev type (the mdev core's drivers/vfio/mdev/mdev_sysfs.c, with
  // vfio_ap_mdev_probe() and vfio_ap_mdev_remove()).
  unsigned available_instances() const VAP_EXCLUDES(mdevs_mu_);
  // EEXIST if the UUID is taken (also while the removal of an mdev of that
  // UUID is still telling its observers), EUSERS if no instance is left.
  Status CreateMdev(const Uuid& uuid) VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  // Blocks while a guest holds the device, relaying device requests every
  // 10 s (model time); then resets the mdev's queues, forgets it and tells
  // the observers (OnMdevUnbound, then OnMdevRemoved). An mdev unbound
  // before goes at once (OnMdevRemoved only). ENODEV if there is no such
  // mdev or it is being removed or unbound.
  Status RemoveMdev(const Uuid& uuid) VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  // vfio_ap_mdev_remove() without the device's removal: the mdev core's
  // device stays, bound to no driver (the `unbind` store of
  // bus/mdev/drivers/vfio_ap_mdev). Blocks as RemoveMdev does, then resets
  // and unlinks the queues and forgets the matrix; the instance stays
  // taken and the UUID with it until RemoveMdev. Nothing binds it again:
  // the mdev bus matches no driver (mdev_match() in
  // drivers/vfio/mdev/mdev_driver.c). ENODEV as RemoveMdev.
  Status UnbindMdev(const Uuid& uuid) VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  // The bound mdevs, newest first, as the kernel's list.
  std::vector<Uuid> Mdevs() const VAP_EXCLUDES(mdevs_mu_);
  // The mdevs bound to no driver, and whether `uuid` is one.
  std::vector<Uuid> UnboundMdevs() const VAP_EXCLUDES(mdevs_mu_);
  bool IsUnbound(const Uuid& uuid) const VAP_EXCLUDES(mdevs_mu_);
  Result<MdevInfo> Mdev(const Uuid& uuid) const VAP_EXCLUDES(mdevs_mu_);

  // --- The mdev attributes (assign_adapter_store() and its siblings in
  // vfio_ap_ops.c), given the bytes written.
  // Each returns the kernel's errno; ENODEV too if the mdev is gone.
  Status AssignAdapter(const Uuid& uuid, std::string_view buf);
  Status UnassignAdapter(const Uuid& uuid, std::string_view buf);
  Status AssignDomain(const Uuid& uuid, std::string_view buf);
  Status UnassignDomain(const Uuid& uuid, std::string_view buf);
  Status AssignControlDomain(const Uuid& uuid, std::string_view buf);
  Status UnassignControlDomain(const Uuid& uuid, std::string_view buf);
  Status StoreApConfig(const Uuid& uuid, std::string_view buf);
  Result<std::string> ShowMatrix(const Uuid& uuid) const
      VAP_EXCLUDES(mdevs_mu_);
  Result<std::string> ShowGuestMatrix(const Uuid& uuid) const
      VAP_EXCLUDES(mdevs_mu_);
  Result<std::string> ShowControlDomains(const Uuid& uuid) const
      VAP_EXCLUDES(mdevs_mu_);
  Result<std::string> ShowApConfig(const Uuid& uuid) const
      VAP_EXCLUDES(mdevs_mu_);
  // A bound queue's `status` (status_show() in vfio_ap_ops.c); ENODEV if
  // not bound.
  Result<std::string> ShowQueueStatus(Apqn apqn) const VAP_EXCLUDES(mdevs_mu_);
  // The matrix device's `features`.
  // `migratable` since the 2026 migration series, on every host.
  static std::string Features() {
    return "guest_matrix hotplug ap_config migratable\n";
  }

  // --- The guest side, as far as the driver goes (open_device and
  // close_device: vfio_ap_mdev_set_kvm() and vfio_ap_mdev_unset_kvm()).
  // EINVAL without a guest (no KVM associated with the device); ENODEV for an
  // unknown mdev; EBUSY if the mdev is already open; EPERM if the guest
  // already has another mdev. A guest without crypto gets nothing attached.
  // ENODEV also once the mdev is being removed.
  Status Attach(const Uuid& uuid, kvm::Guest* guest)
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  void Detach(const Uuid& uuid) VAP_EXCLUDES(guests_mu_, mdevs_mu_);

  // --- VFIO ioctls (vfio_ap_vfio.cc; vfio_ap_mdev_ioctl()), all under
  // mdevs_lock. ENODEV for an unknown mdev.
  // VFIO_DEVICE_GET_INFO: EINVAL if argsz < 16.
  Result<VfioDeviceInfo> GetDeviceInfo(const Uuid& uuid, uint32_t argsz) const
      VAP_EXCLUDES(mdevs_mu_);
  // VFIO_DEVICE_GET_IRQ_INFO: EINVAL if argsz < 16 or index >= 2.
  Result<VfioIrqInfo> GetIrqInfo(const Uuid& uuid, const VfioIrqInfo& in) const
      VAP_EXCLUDES(mdevs_mu_);
  // VFIO_DEVICE_SET_IRQS with the fd that follows the header: -1 releases
  // the trigger, >= 0 installs `eventfd` (null: EBADF, no such eventfd),
  // < -1 EINVAL; the header is validated as the VFIO core does (EINVAL).
  Status SetIrqs(const Uuid& uuid, const VfioIrqSet& hdr, int32_t fd,
                 std::shared_ptr<EventFd> eventfd) VAP_EXCLUDES(mdevs_mu_);
  // VFIO_DEVICE_RESET: resets every linked queue; EIO if any failed.
  Status ResetDevice(const Uuid& uuid) VAP_EXCLUDES(mdevs_mu_);

  // --- Live migration (vfio_ap_migration.cc; migration.h): the VFIO
  // device features of the 2026 series, all under mdevs_lock. ENODEV for
  // an unknown mdev; ENOTTY for all three on a host that is itself a
  // Secure Execution guest (no migration ops are installed there).
  // VFIO_DEVICE_FEATURE_MIGRATION: kVfioMigrationStopCopy.
  Result<uint32_t> MigrationFlags(const Uuid& uuid) const
      VAP_EXCLUDES(mdevs_mu_);
  // VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: 48 + 16 x the shadow's APQNs, now
  // (also while the device is not open).
  Result<uint64_t> MigrationDataSize(const Uuid& uuid) const
      VAP_EXCLUDES(mdevs_mu_);
  // VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE GET: RUNNING while not open.
  Result<MigState> MigrationState(const Uuid& uuid) const
      VAP_EXCLUDES(mdevs_mu_);
  // ... SET: walks the arcs one step at a time (every path passes STOP);
  // the file is the data fd of an arc into STOP_COPY or RESUMING (null for
  // any other). EINVAL for a state STOP_COPY-only migration lacks, and
  // for leaving RESUMING before a blob was applied; a failed arc leaves
  // the state at the last one reached. Not open: RUNNING succeeds,
  // anything else is ENODEV.
  Result<std::unique_ptr<MigrationFile>> SetMigrationState(const Uuid& uuid,
                                                           MigState target)
      VAP_EXCLUDES(mdevs_mu_);
  // ap_is_se_guest() of this host.
  void set_secure_execution_guest(bool on) VAP_EXCLUDES(mdevs_mu_);
  // Tests: runs holding no lock in every snapshot build (after the masks
  // were taken, before the TAPQs) and every resume validation (while the
  // session's write is in progress); null: none.
  void set_migration_hook(std::function<void()> hook) VAP_EXCLUDES(mdevs_mu_);

  // --- PQAP(AQIC) (vfio_ap_aqic.cc; the kernel's handle_pqap(),
  // vfio_ap_irq_enable() and vfio_ap_irq_disable()): the handler the mdev's
  // hook calls, with the guest's hook semaphore held for reading; it takes
  // mdevs_lock only. False: "not supported" (no GISA).
  bool HandleAqic(const Uuid& uuid, kvm::Guest& guest, kvm::PqapRegs* regs)
      VAP_EXCLUDES(mdevs_mu_);
  // The dma_unmap callback (vfio_ap_mdev_dma_unmap()): the user unmapped
  // guest memory [iova, iova + length); every queue of the mdev whose NIB
  // lies there gets the AQIC disable sequence. The guest is not told.
  void DmaUnmap(const Uuid& uuid, uint64_t iova, uint64_t length)
      VAP_EXCLUDES(mdevs_mu_);
  // Guest pages pinned for notification-indicator bytes, per page.
  std::map<uint64_t, int> PinnedPages(const Uuid& uuid) const
      VAP_EXCLUDES(mdevs_mu_);
  // A bound queue's recorded interrupt resources (saved_iova, saved_isc).
  std::optional<std::pair<uint64_t, uint8_t>> QueueIrq(Apqn apqn) const
      VAP_EXCLUDES(mdevs_mu_);

  // --- Queue reset (vfio_ap_mdev_reset_queue(), apq_reset_check()): the
  // longest vfio_ap waits for one reset to settle before giving up (the
  // kernel waits for ever).
  void set_reset_timeout(Nanos timeout) VAP_EXCLUDES(mdevs_mu_);
  // Shutdown: every reset verification in progress or to come gives up at
  // its next step (within 20 ms of model time), as if it had timed out,
  // so that no store, close or removal waits on a reset that never ends.
  // Not undone.
  void CancelWaits() { cancel_waits_.store(true); }

  // Adds an observer of the mdevs' lifecycle and matrices
  // (mdev_observer.h), told in the order added. Observers are added
  // before any mdev changes and must outlive the driver.
  void AddMdevObserver(MdevObserver& observer) VAP_EXCLUDES(mdevs_mu_);
  // Takes an observer out before it goes (durable state closing before
  // its system); not while an mdev is being removed.
  void RemoveMdevObserver(MdevObserver& observer) VAP_EXCLUDES(mdevs_mu_);

  // Aborts with a message if an invariant (see the top) does not hold.
  void CheckInvariants() const VAP_EXCLUDES(guests_mu_, mdevs_mu_);

 private:
  friend class UpdateLocksBase;

  // The mdev driver's name, as dev_warn() prefixes mdev log lines.
  static constexpr const char* kMdevDriver = "vfio_ap_mdev";
  static Status NoMdev() { return Status::Error(ENODEV, "no such mdev"); }

  friend class MdevUpdateLocks;
  friend class GuestUpdateLocks;
  friend class ApqnUpdateLocks;
  friend class QueueUpdateLocks;

  struct MdevState;
  struct MigrationData;
  // vfio_ap_queue.
  struct Queue {
    explicit Queue(Apqn a) : apqn(a) {}
    const Apqn apqn;
    MdevState* mdev = nullptr;        // the mdev it is linked to
    uint64_t saved_iova = 0;          // pinned NIB
    uint8_t saved_isc = kIscInvalid;  // registered guest ISC
    ap::QueueStatus reset_status;     // of the last ZAPQ; zero at probe
  };
  // ap_matrix_mdev. Fields are guarded by mdevs_mu_; membership in
  // mdevs_, `matrix` and `guest` change only with guests_mu_ held as well,
  // so either lock is enough to read those three (docs/locking.md D2).
  // The mdev's PQAP hook object (&matrix_mdev->pqap_hook).
  class Hook : public kvm::PqapHook {
   public:
    Hook(VfioAp& d, const Uuid& u) : d_(d), uuid_(u) {}
    bool HandleAqic(kvm::Guest& guest, kvm::PqapRegs* regs) override {
      return d_.HandleAqic(uuid_, guest, regs);
    }

   private:
    VfioAp& d_;
    const Uuid uuid_;
  };
  struct MdevState {
    MdevState(VfioAp& d, const Uuid& u, const ApMatrix& init)
        : uuid(u), matrix(init), shadow_apcb(init), hook(d, u) {}
    const Uuid uuid;
    uint64_t seq = 0;  // creation order: mdevs_ holds the newest first
    ApMatrix matrix;
    ApMatrix shadow_apcb;
    kvm::Guest* guest = nullptr;
    std::map<uint16_t, Queue*> qtable;
    ApMask apm_add, aqm_add, adm_add;      // host additions pending hot plug
    unsigned requests = 0;                 // device requests relayed
    // The vfio core's registration references: opens in progress. Removal
    // marks the mdev `removing` (no new open starts) and waits until none
    // is left, so the hook an open installs never outlives the mdev.
    int opening = 0;
    bool removing = false;
    Hook hook;                             // installed in the guest at attach
    std::map<uint64_t, int> pins;          // pinned guest pages, counted
    std::shared_ptr<EventFd> req_trigger;  // IRQ index 0
    std::shared_ptr<EventFd> cfg_chg_trigger;  // IRQ index 1
    // The migration data, from open to close (vfio_ap_init_migration_data()
    // and vfio_ap_release_migration_data()).
    std::unique_ptr<MigrationData> mig;
    int mig_files = 0;  // open MigrationFiles: removal waits for them
  };
  // What a session keeps between its calls.
  struct MigrationData {
    explicit MigrationData(uint64_t g) : generation(g) {}
    const uint64_t generation;  // one per open
    MigState state = MigState::kRunning;
    uint64_t save_session = 0;    // the current files' sessions; 0: none
    uint64_t resume_session = 0;
    std::optional<std::string> snapshot;  // the save blob, from its first read
    std::string header;  // resume: the prefix gathered so far
    std::string blob;    // resume: sized once the prefix is complete
    bool writing = false;  // a write is being validated and applied
    bool applied = false;  // the blob was validated and overlaid
  };

  // vfio_ap.cc
  // Makes `owner` (null: nobody) the owner of the APQNs apm x aqm.
  void OwnLocked(const ApMask& apm, const ApMask& aqm, MdevState* owner)
      VAP_REQUIRES(mdevs_mu_);
  // Tells the observers that the matrix of `uuid` changed.
  void MdevChangedLocked(const Uuid& uuid) VAP_REQUIRES(mdevs_mu_);
  MdevState* FindMdevLocked(const Uuid& uuid) const VAP_REQUIRES(mdevs_mu_);
  // Attach's steps once the open holds its reference on the mdev.
  Status AttachHook(const Uuid& uuid, kvm::Guest& guest, kvm::PqapHook* hook)
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  // Under guests_mu_ alone (docs/locking.md D2).
  MdevState* FindMdevForUpdate(const Uuid& uuid) const VAP_REQUIRES(guests_mu_);
  MdevState* MdevOfApqnForUpdate(Apqn apqn) const VAP_REQUIRES(guests_mu_);
  Queue* QueueForUpdate(Apqn apqn) const VAP_REQUIRES(guests_mu_);
  MdevState* MdevOfGuestForUpdate(const kvm::Guest& guest) const
      VAP_REQUIRES(guests_mu_);
  void LinkLocked(MdevState& m, Queue& q) VAP_REQUIRES(mdevs_mu_);
  void UnlinkLocked(Queue& q) VAP_REQUIRES(mdevs_mu_);
  void LinkAdapterLocked(MdevState& m, unsigned apid) VAP_REQUIRES(mdevs_mu_);
  void LinkDomainLocked(MdevState& m, unsigned apqi) VAP_REQUIRES(mdevs_mu_);
  void UpdatePassableLocked(const Queue& q) VAP_REQUIRES(mdevs_mu_);
  // update_guest_apcb: publishes the shadow if a guest is attached. The
  // caller holds that guest's kvm->lock (asserted).
  void UpdateGuestApcbLocked(MdevState& m) VAP_REQUIRES(guests_mu_, mdevs_mu_);
  // One filter-and-plug step: the matrix filter (and the control-domain
  // filter), a publication if the shadow changed, and the reset of the
  // adapters filtered out. The stores reset only when the shadow changed
  // (assign_adapter_store() and friends); the scan's hot plug resets
  // always (vfio_ap_mdev_hot_plug_cfg()).
  struct PlugStep {
    bool matrix = true;
    bool cdoms = false;
    bool reset_always = false;
  };
  void FilterAndPlugLocked(MdevState& m, PlugStep step)
      VAP_REQUIRES(guests_mu_, mdevs_mu_);
  std::vector<Queue*> QueuesOfApidsLocked(const MdevState& m,
                                          const ApMask& apids) const
      VAP_REQUIRES(mdevs_mu_);
  std::string StatusOfLocked(Apqn apqn) const VAP_REQUIRES(mdevs_mu_);
  MdevInfo InfoLocked(const MdevState& m) const VAP_REQUIRES(mdevs_mu_);
  void RequestLocked(MdevState& m) VAP_REQUIRES(guests_mu_, mdevs_mu_);
  void DetachLocked(MdevState& m) VAP_REQUIRES(guests_mu_, mdevs_mu_);

  // Whether a guest, an open in progress or a migration file holds the
  // mdev (removal waits until none does).
  static bool HeldLocked(const MdevState& m) {
    return m.guest != nullptr || m.opening != 0 || m.mig_files != 0;
  }

  // vfio_ap_migration.cc
  friend class MigrationFile;
  Result<std::string> MigRead(MigrationFile& f, size_t len)
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  Result<size_t> MigWrite(MigrationFile& f, std::string_view data)
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  void MigFileClosed(const Uuid& uuid) VAP_EXCLUDES(mdevs_mu_);
  Result<std::unique_ptr<MigrationFile>> MigArcLocked(MdevState& m,
                                                      MigState next)
      VAP_REQUIRES(mdevs_mu_);
  // vfio_ap_release_migration_data() and the reset's part of it.
  void ResetMigrationLocked(MdevState& m) VAP_REQUIRES(mdevs_mu_);
  // The save blob of save session `session` (vfio_ap_get_config()):
  // masks under the lock, TAPQs without it. ENODEV if the device is
  // closed, EINVAL if the session ended meanwhile (STOP, a reset, or a
  // close and a new open): a blob built for an ended session is dropped,
  // never served to the next one.
  Status BuildSnapshot(const Uuid& uuid, uint64_t session)
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  // get_hardware_info_for_queue(): the queue's TAPQ GR2, or ENODEV/EIO
  // (logged).
  Result<uint64_t> HwInfoOf(const Uuid& uuid, Apqn apqn)
      VAP_EXCLUDES(mdevs_mu_);
  // Appends `data` to the session's blob (the header prefix first);
  // sets *complete when its last byte arrived.
  Status TakeResumeBytesLocked(MigrationData& mig, MigrationFile& f,
                               std::string_view data, bool* complete)
      VAP_REQUIRES(mdevs_mu_);
  // do_post_copy_validation() and do_post_copy_processing().
  Status ValidateResumeBlob(const Uuid& uuid, const MigBlob& blob)
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  Status ApplyResumeBlob(const Uuid& uuid, uint64_t generation,
                         uint64_t session, const MigBlob& blob)
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);

  // vfio_ap_assign.cc
  // vfio_ap_set_new_guest_config(), which the ap_config store and the
  // migration overlay share: validates, unplugs and resets what the mdev
  // loses, installs the masks, links and filters.
  Status SetNewGuestConfigLocked(MdevState& m, const ApConfigMasks& masks)
      VAP_REQUIRES(guests_mu_, mdevs_mu_, bus_.attr_mu());
  // apm/aqm/adm selects the mask the six stores work on.
  enum class Mask : uint8_t { kApm, kAqm, kAdm };
  Status Assign(Mask which, const Uuid& uuid, std::string_view buf)
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  Status Unassign(Mask which, const Uuid& uuid, std::string_view buf)
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);
  // vfio_ap_mdev_validate_masks: EADDRNOTAVAIL, then EADDRINUSE (logged).
  Status ValidateLocked(const MdevState& m) const
      VAP_REQUIRES(mdevs_mu_, bus_.attr_mu());
  // Unplugs `apids` x matrix.aqm and `apqis` x matrix.apm (hot unplug of
  // unassigned IDs); returns the queues that were in the shadow.
  std::vector<Queue*> UnplugLocked(MdevState& m, const ApMask& apids,
                                   const ApMask& apqis)
      VAP_REQUIRES(guests_mu_, mdevs_mu_);
  // Resets the queues UnplugLocked returned, then unlinks them from their
  // mdev, as the kernel's unassign and ap_config stores do.
  void ResetAndUnlinkLocked(const std::vector<Queue*>& unplugged)
      VAP_REQUIRES(guests_mu_, mdevs_mu_);

  // vfio_ap_aqic.cc
  ap::QueueStatus AqicEnableLocked(MdevState& m, Queue& q, uint8_t isc,
                                   uint64_t nib) VAP_REQUIRES(mdevs_mu_);
  ap::QueueStatus AqicDisableLocked(Queue& q) VAP_REQUIRES(mdevs_mu_);
  // Up to 5 TAPQs, 20 ms apart, until the queue's I bit is off.
  void WaitIrqOffLocked(const Queue& q) VAP_REQUIRES(mdevs_mu_);
  // Releases the queue's recorded ISC and NIB pin
  // (vfio_ap_free_aqic_resources()).
  void ReleaseIrqLocked(Queue& q) VAP_REQUIRES(mdevs_mu_);
  // For a queue leaving its mdev without a reset: disables its interrupts
  // (the AQIC disable sequence) if it has any, releasing the resources.
  // The kernel leaves them (docs/fidelity.md).
  void DropIrqLocked(Queue& q) VAP_REQUIRES(mdevs_mu_);
  static void Unpin(MdevState& m, uint64_t address);

  // vfio_ap_reset.cc
  // Resets `queues` (all ZAPQs first, then waits); EIO if any final
  // response code is not 0.
  Status ResetQueuesLocked(const std::vector<Queue*>& queues)
      VAP_REQUIRES(mdevs_mu_);
  // Runs the verification jobs of `pending` (the kernel's verify work)
  // until each has ended, one round every 20 ms of model time.
  void VerifyResetsLocked(std::vector<Queue*> pending) VAP_REQUIRES(mdevs_mu_);
  // One round of a queue's job, `elapsed` into the reset; false when the
  // job has ended.
  bool ResetStepLocked(Queue& q, Nanos elapsed) VAP_REQUIRES(mdevs_mu_);
  std::vector<Queue*> LinkedQueuesLocked(const MdevState& m) const
      VAP_REQUIRES(mdevs_mu_);
  // Removal's last step under the locks (vfio_ap_mdev_remove()): resets
  // and unlinks the mdev's queues and drops it from the lists.
  void ForgetMdevLocked(const Uuid& uuid) VAP_REQUIRES(guests_mu_, mdevs_mu_);
  // vfio_ap_mdev_remove() as RemoveMdev and UnbindMdev share it: marks the
  // mdev removing, waits for its guest to let go, then forgets it and
  // either keeps its UUID as unbound or retires it. Returns the observers
  // to tell (ENODEV as RemoveMdev).
  Result<std::vector<MdevObserver*>> ReleaseFromDriver(const Uuid& uuid,
                                                       bool keep_device)
      VAP_EXCLUDES(guests_mu_, mdevs_mu_);

  apbus::ApBus& bus_;
  Logger& log_;
  const Clock& clock_;

  // Plugging into guests and mdev list membership; rank kGuests
  // (matrix_dev->guests_lock).
  mutable Mutex guests_mu_{LockRank::kGuests, "guests_lock"};
  // Every mdev's and queue's fields; rank kMdevs (matrix_dev->mdevs_lock).
  mutable Mutex mdevs_mu_ VAP_ACQUIRED_AFTER(guests_mu_){LockRank::kMdevs,
                                                         "mdevs_lock"};
  // Signalled when an mdev is detached or an open of it ends (RemoveMdev
  // waits for both).
  CondVar detached_;
  ap::QciInfo info_ VAP_GUARDED_BY(mdevs_mu_);  // matrix_dev->info
  std::list<std::unique_ptr<MdevState>> mdevs_ VAP_GUARDED_BY(mdevs_mu_);
  // Indexes over mdevs_, so that nothing a store does costs in proportion
  // to the number of mdevs: each mdev by UUID, and the mdev whose matrix
  // holds each APQN (Apqn::qid()), which is a function because matrices
  // never share an APQN (ValidateLocked). Both change with guests_mu_
  // held as well, as membership and `matrix` do (D2).
  std::map<Uuid, MdevState*> by_uuid_ VAP_GUARDED_BY(mdevs_mu_);
  std::vector<MdevState*> owner_ VAP_GUARDED_BY(mdevs_mu_);
  uint64_t next_seq_ VAP_GUARDED_BY(mdevs_mu_) = 0;
  std::map<uint16_t, std::unique_ptr<Queue>> queues_ VAP_GUARDED_BY(mdevs_mu_);
  BlockedTable blocked_ VAP_GUARDED_BY(mdevs_mu_) = AllBlocked();
  unsigned available_instances_ VAP_GUARDED_BY(mdevs_mu_) = kMaxMdevs;
  Nanos reset_timeout_ VAP_GUARDED_BY(mdevs_mu_) = std::chrono::seconds(60);
  std::atomic<bool> cancel_waits_{false};
  std::vector<MdevObserver*> observers_ VAP_GUARDED_BY(mdevs_mu_);
  // UUIDs of mdevs removed whose observers are still being told: not
  // free for CreateMdev yet (the mdev core keeps a removed device on its
  // list until its release).
  std::set<Uuid> retiring_ VAP_GUARDED_BY(mdevs_mu_);
  // Mdevs whose device the mdev core keeps bound to no driver (UnbindMdev):
  // their UUIDs and instances stay taken.
  std::set<Uuid> unbound_ VAP_GUARDED_BY(mdevs_mu_);
  bool se_guest_ VAP_GUARDED_BY(mdevs_mu_) = false;
  uint64_t next_mig_generation_ VAP_GUARDED_BY(mdevs_mu_) = 0;
  uint64_t next_mig_session_ VAP_GUARDED_BY(mdevs_mu_) = 0;
  std::function<void()> migration_hook_ VAP_GUARDED_BY(mdevs_mu_);
  // The hwinfo lines are pr_err_ratelimited.
  RateLimit hwinfo_notices_ VAP_GUARDED_BY(mdevs_mu_);
  // "Waited N ms for reset" is printk_ratelimited in the kernel.
  RateLimit reset_notices_ VAP_GUARDED_BY(mdevs_mu_);
};

}  // namespace vap::driver

#endif  // VAP_DRIVER_VFIO_AP_H_
