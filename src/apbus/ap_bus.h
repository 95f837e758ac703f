// The host's AP bus (drivers/s390/crypto/ap_bus.c, ap_card.c, ap_queue.c):
// the AP configuration as QCI reports it, card and queue devices,
// apmask/aqmask, driver binding, bus scans.
//
// Binding rules. A card binds to a driver whose id table matches it
// (cex4card). A queue binds to a matching driver only if its APQN's
// reservation agrees with the driver's default flag: APQNs in apmask x
// aqmask go to default drivers (cex4queue), the others to the rest
// (vfio_ap). With a driver_override [6.19] the name decides instead.
//
// Locks (docs/locking.md), outermost first:
//   scan_mu_  (kApScanBus, ap_scan_bus_mutex): serializes scans, binds,
//             unbinds, re-binding after mask changes and driver
//             (un)registration; held while drivers' Probe/Remove/
//             OnConfigChanged/OnScanComplete and observers run.
//   attr_mu_  (kApAttr, ap_attr_mutex): apmask and aqmask; held while
//             drivers' InUse runs. vfio_ap's assign stores take it too.
//   sm_mu_    (kApQueue, the kernel's aq->lock for every queue): the queue
//             state machines; held across their firmware calls.
//   devices_mu_ (kLeaf): the device records, read by everyone.
// No callback runs with a leaf lock held.
#ifndef VAP_APBUS_AP_BUS_H_
#define VAP_APBUS_AP_BUS_H_

#include <bitset>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ap/firmware.h"
#include "ap/qci.h"
#include "apbus/ap_device.h"
#include "apbus/ap_driver.h"
#include "apbus/queue_sm.h"
#include "base/change_count.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mutex.h"
#include "base/result.h"
#include "base/thread_annotations.h"
#include "matrix/ap_mask.h"

namespace vap::apbus {

struct Bindings {
  unsigned bound = 0;     // queue devices with a driver
  unsigned total = 0;     // queue devices
  bool complete = false;  // at least one scan done and bound == total
};

class ApBus {
 public:
  // The host's bus as ap_module_init leaves it: masks all ones, maxima
  // from QCI, no devices until the first Scan(); its AP instructions go to
  // `firmware`. `firmware`, `log` and `clock` must outlive the bus.
  ApBus(ap::Firmware& firmware, Logger& log, const Clock& clock);
  // A guest kernel's bus: its AP instructions go to `machine`, it has the
  // adapter interrupt `irq` (HostIrq::available false: none registered)
  // and its locks take the guest ranks (docs/locking.md); `firmware` is
  // the host's, whose cards `machine` reaches. All must outlive the bus.
  ApBus(ap::ApInstructions& machine, ap::Firmware& firmware, Logger& log,
        const Clock& clock, HostIrq irq);
  ~ApBus();
  ApBus(const ApBus&) = delete;
  ApBus& operator=(const ApBus&) = delete;

  // --- Drivers and observers. Observers are added before the first scan
  // and must outlive the bus.
  void AddObserver(BusObserver& observer) VAP_EXCLUDES(scan_mu_);
  // Registers `drv` and binds the unbound devices it takes
  // (driver_register). EEXIST if a driver of that name is registered.
  Status RegisterDriver(ApDriver& drv) VAP_EXCLUDES(scan_mu_, devices_mu_);
  std::vector<std::string> DriverNames() const VAP_EXCLUDES(devices_mu_);

  // --- Scans (ap_scan_bus()). Synchronous, as a write to `scans` is.
  void Scan() VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  // ap_bus_force_rescan() as v6.10 and later have it (the AP bus's answer
  // to an AP configuration-change event): nothing before the first scan;
  // a scan now if none runs; else waits for the running scan to end and
  // does not scan again. Whether it scanned.
  bool ForceRescan() VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  // Periodic scans every config_time seconds (model time), and scans asked
  // for with RequestScan(), on a worker thread. Off until started.
  void StartScanWorker() VAP_EXCLUDES(worker_mu_);
  // Ends the scan worker (after a scan it is running) and the queue
  // poller for good; before the bus's observers go (sysfs::HostTree's
  // destructor).
  void StopWorkers() VAP_EXCLUDES(worker_mu_, poll_mu_);
  void RequestScan() VAP_EXCLUDES(worker_mu_);
  uint64_t scans() const VAP_EXCLUDES(devices_mu_);
  // BINDINGS=complete uevents sent so far (ap_bindings_complete_count,
  // /sys/bus/ap/bindings_complete_count).
  uint64_t bindings_complete_count() const VAP_EXCLUDES(devices_mu_);
  // ap_send_config_uevent() and ap_send_online_uevent() for the drivers
  // (zcrypt's `online`): a change uevent on `dev` (null: /devices/ap).
  void SendChangeEvent(const ApDevice* dev, std::vector<std::string> env)
      VAP_EXCLUDES(scan_mu_);
  // Counts the changes durable state keeps: devices added and removed,
  // bindings, driver_override, the masks (only when their value changes),
  // ap_domain and config_time.
  const ChangeCount& changes() const { return changes_; }

  // --- The queues' state machines (apbus/queue_sm.h; ap_queue.c). A step
  // that waits for the firmware is polled again after kQueuePollInterval
  // of model time, by the poller thread once started (the kernel's poll
  // timer and tasklet), else by PollQueues().
  static constexpr Nanos kQueuePollInterval = std::chrono::milliseconds(5);
  void StartQueuePoller() VAP_EXCLUDES(poll_mu_);
  // One pass of the tasklet (ap_tasklet_fn()): steps every bound queue
  // whose machine waits, until it waits again.
  void PollQueues() VAP_EXCLUDES(sm_mu_, devices_mu_, poll_mu_);
  // Whether a bound queue's machine waits for a poll (tests wait for
  // false before they compare what the state machines left).
  bool QueuesPolling() const VAP_EXCLUDES(sm_mu_);
  // A queue's `reset` store (reset_store()): RESET_START, and a step if
  // the machine runs. ENODEV for an unknown queue.
  Status ResetQueue(Apqn apqn) VAP_EXCLUDES(sm_mu_, devices_mu_, poll_mu_);

  // --- apmask / aqmask (apmask_store(), aqmask_store() and their shows).
  Mutex& attr_mu() VAP_RETURN_CAPABILITY(attr_mu_) { return attr_mu_; }
  // ap_scan_bus_mutex, for a consistent look at the bindings (durable
  // state); nothing binds or unbinds while it is held.
  Mutex& scan_mu() VAP_RETURN_CAPABILITY(scan_mu_) { return scan_mu_; }
  ApMask ApmaskLocked() const VAP_REQUIRES(attr_mu_) { return apmask_; }
  ApMask AqmaskLocked() const VAP_REQUIRES(attr_mu_) { return aqmask_; }
  ApMask apmask() const VAP_EXCLUDES(attr_mu_);
  ApMask aqmask() const VAP_EXCLUDES(attr_mu_);
  // The kernel's ap_apqn_in_matrix_owned_by_def_drv for one APQN: reserved
  // for the host's default drivers by the masks (or, with an override, by
  // being bound to a default driver).
  bool OwnedByDefaultDriverLocked(Apqn apqn) const VAP_REQUIRES(attr_mu_)
      VAP_EXCLUDES(devices_mu_);
  // Whether any APQN of apm x aqm is owned by a default driver (the
  // kernel's ap_apqn_in_matrix_owned_by_def_drv): word operations when no
  // driver_override is set.
  bool AnyOwnedByDefaultDriverLocked(const ApMask& apm, const ApMask& aqm) const
      VAP_REQUIRES(attr_mu_) VAP_EXCLUDES(devices_mu_);
  // The stores: parse (EINVAL), ask the drivers' InUse for newly reserved
  // APQNs (EBUSY), commit, then re-bind the queues whose reservation
  // changed. EINVAL while a driver_override is set [6.19].
  Status WriteApmask(std::string_view buf)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  Status WriteAqmask(std::string_view buf)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);

  // --- The driver directories and drivers_probe (driver core semantics).
  // ENODEV: no such device or driver, no match, refused by probe; EBUSY:
  // already bound; the driver's probe error otherwise.
  Status Bind(std::string_view driver, std::string_view device)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  // ENODEV unless `device` is bound to `driver`.
  Status Unbind(std::string_view driver, std::string_view device)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  // Binds `device` to the first driver that takes it, if it is unbound.
  // ENODEV if there is no such device.
  Status DriversProbe(std::string_view device)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  // [6.19] A queue's driver_override: "" clears it. EINVAL unless apmask
  // and aqmask are both all ones; ENODEV for an unknown queue. Does not
  // rebind.
  Status SetDriverOverride(Apqn apqn, std::string_view name)
      VAP_EXCLUDES(attr_mu_, devices_mu_);

  // --- Host configuration changes (host_config.cc): change the firmware's
  // configuration, then scan at once, as the kernel does on the CHSC
  // AP-configuration notification. The firmware's errors (EEXIST, ENOENT,
  // EINVAL) come back unchanged and nothing is scanned then.
  Status AddAdapter(const ap::CardSpec& card)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  Status RemoveAdapter(uint8_t apid)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  Status AddUsageDomain(uint8_t apqi)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  Status RemoveUsageDomain(uint8_t apqi)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  Status AddControlDomain(uint8_t domain)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  Status RemoveControlDomain(uint8_t domain)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);

  // --- Card `config` (SCLP configure/deconfigure): changes the firmware
  // and the card device at once; queues follow at the next scan, as in
  // the kernel. ENODEV for an unknown card.
  Status SetCardConfig(uint8_t apid, bool configured) VAP_EXCLUDES(devices_mu_);

  // --- Queries, as snapshots.
  std::vector<ApDevice> Cards() const VAP_EXCLUDES(devices_mu_);
  std::vector<ApDevice> Queues() const VAP_EXCLUDES(devices_mu_);
  std::vector<ApDevice> QueuesOfCard(uint8_t apid) const
      VAP_EXCLUDES(devices_mu_);
  std::optional<ApDevice> Card(uint8_t apid) const VAP_EXCLUDES(devices_mu_);
  std::optional<ApDevice> Queue(Apqn apqn) const VAP_EXCLUDES(devices_mu_);
  std::optional<ApDevice> Device(std::string_view name) const
      VAP_EXCLUDES(devices_mu_);
  // The queue devices bound to `driver`, and cards.
  std::vector<ApDevice> DevicesOf(std::string_view driver) const
      VAP_EXCLUDES(devices_mu_);
  Bindings bindings() const VAP_EXCLUDES(devices_mu_);
  // The bus's copy of QCI; none without the facility.
  std::optional<ap::QciInfo> qci() const VAP_EXCLUDES(devices_mu_);
  uint8_t max_adapter_id() const { return max_adapter_id_; }
  uint8_t max_domain_id() const { return max_domain_id_; }

  // --- Other bus attributes (the rest of ap_bus.c's bus attributes).
  int ap_domain() const VAP_EXCLUDES(devices_mu_);
  // ap_domain store: sscanf "%i"; 0..max and set in aqmask, else EINVAL.
  Status SetApDomain(std::string_view buf) VAP_EXCLUDES(attr_mu_, devices_mu_);
  int config_time() const VAP_EXCLUDES(worker_mu_);
  // 5..120 seconds ("%d"), else EINVAL; re-arms the periodic scan.
  Status SetConfigTime(std::string_view buf) VAP_EXCLUDES(worker_mu_);
  // drivers_autoprobe (drivers/base/bus.c): off, a device the scan finds
  // and a driver that registers are not matched with each other
  // (bus_probe_device(), bus_add_driver()); a bind, drivers_probe and the
  // re-binding after a mask store still probe (device_reprobe()).
  bool drivers_autoprobe() const VAP_EXCLUDES(devices_mu_);
  void SetDriversAutoprobe(bool on) VAP_EXCLUDES(devices_mu_);

  ap::Firmware& firmware() { return firmware_; }
  const ap::Firmware& firmware() const { return firmware_; }
  // Where the bus's AP instructions go (the attributes that issue one,
  // like a queue's `interrupt`, go there too).
  ap::ApInstructions& machine() { return machine_; }
  // Whether the bus registered its adapter interrupt (`ap_interrupts`).
  bool interrupts() const { return host_irq_.available; }
  Logger& log() { return log_; }

 private:
  struct QueueRec {
    ApDevice dev;
    ApDriver* driver = nullptr;
  };
  struct CardRec {
    ApDevice dev;
    ApDriver* driver = nullptr;
    std::map<uint8_t, QueueRec> queues;
  };

  Status ChangeHostAndScan(const std::function<Status()>& change)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);

  // ap_bus_scan.cc
  void ScanLocked() VAP_REQUIRES(scan_mu_) VAP_EXCLUDES(devices_mu_);
  void SelectDomainLocked() VAP_REQUIRES(scan_mu_) VAP_EXCLUDES(devices_mu_);
  void ScanAdapterLocked(uint8_t apid, const std::optional<ap::QciInfo>& qci)
      VAP_REQUIRES(scan_mu_) VAP_EXCLUDES(devices_mu_);
  void ScanDomainsLocked(uint8_t apid, const std::optional<ap::QciInfo>& qci)
      VAP_REQUIRES(scan_mu_) VAP_EXCLUDES(devices_mu_);
  // ap_send_config_uevent() on the card or, with `apqi`, the queue.
  void SendConfigLocked(uint8_t apid, std::optional<uint8_t> apqi, bool config)
      VAP_REQUIRES(scan_mu_) VAP_EXCLUDES(devices_mu_);
  std::optional<uint8_t> CompatibleType(
      uint8_t raw_hwtype, const std::optional<ap::QciInfo>& qci) const;

  // ap_bus_queue_sm.cc. The queue's machine as the records hold it, with
  // its device's config, chkstop and whether a driver has it.
  struct SmView {
    QueueSm sm;
    bool config = false;
    bool chkstop = false;
    bool bound = false;
  };
  std::optional<SmView> LoadSmLocked(Apqn apqn) const VAP_REQUIRES(sm_mu_)
      VAP_EXCLUDES(devices_mu_);
  void StoreSmLocked(Apqn apqn, const QueueSm& sm) VAP_REQUIRES(sm_mu_)
      VAP_EXCLUDES(devices_mu_);
  // Steps once (or, with `loop`, until it waits) and keeps a bound queue
  // that waits for a poll in sm_polls_.
  void StepQueueLocked(Apqn apqn, bool loop) VAP_REQUIRES(sm_mu_)
      VAP_EXCLUDES(devices_mu_, poll_mu_);
  // ap_queue_init_state() (`init`: OPERATING, RESET_START) or
  // reset_store() (RESET_START only), then one step; false if there is no
  // such queue.
  bool RestartQueueLocked(Apqn apqn, bool init) VAP_REQUIRES(sm_mu_)
      VAP_EXCLUDES(devices_mu_, poll_mu_);
  // ap_queue_init_state(): OPERATING, RESET_START, one step.
  void InitQueueState(Apqn apqn) VAP_EXCLUDES(sm_mu_, devices_mu_, poll_mu_);
  // A probe's ap_device_probe(): the queue joins the polled ones (the
  // kernel's ap_queues hash) if its machine has work left.
  void QueueBound(Apqn apqn) VAP_EXCLUDES(sm_mu_, devices_mu_, poll_mu_);
  // ap_queue_prepare_remove() before a driver's remove, ap_queue_remove()
  // after: SHUTDOWN, then ZAPQ and UNINITIATED, no longer polled.
  void QueueShutdown(Apqn apqn) VAP_EXCLUDES(sm_mu_, devices_mu_);
  void QueueRemoved(Apqn apqn) VAP_EXCLUDES(sm_mu_, devices_mu_);
  // ap_scan_domains() for a queue device that exists: checkstop, then
  // config, then the error state, each ending the queue's turn.
  void UpdateQueueLocked(const ApDevice& queue, bool decfg, bool chkstop)
      VAP_REQUIRES(scan_mu_) VAP_EXCLUDES(sm_mu_, devices_mu_, poll_mu_);
  void ArmPoll() VAP_EXCLUDES(poll_mu_);
  void PollerLoop() VAP_EXCLUDES(poll_mu_);

  // ap_bus_binding.cc
  void AddDeviceLocked(const ApDevice& dev) VAP_REQUIRES(scan_mu_)
      VAP_EXCLUDES(devices_mu_);
  void RemoveCardLocked(uint8_t apid) VAP_REQUIRES(scan_mu_)
      VAP_EXCLUDES(devices_mu_);
  void RemoveQueueLocked(Apqn apqn) VAP_REQUIRES(scan_mu_)
      VAP_EXCLUDES(devices_mu_);
  // Tries every registered driver in order (device_attach).
  void AttachLocked(const ApDevice& dev) VAP_REQUIRES(scan_mu_)
      VAP_EXCLUDES(devices_mu_);
  // ap_device_probe + the driver core's bind.
  Status ProbeLocked(const ApDevice& dev, ApDriver& drv) VAP_REQUIRES(scan_mu_)
      VAP_EXCLUDES(devices_mu_);
  void DetachLocked(const ApDevice& dev) VAP_REQUIRES(scan_mu_)
      VAP_EXCLUDES(devices_mu_);
  void ReviseBindingsLocked() VAP_REQUIRES(scan_mu_) VAP_EXCLUDES(devices_mu_);
  void ChangeEventLocked(const ApDevice* dev, const std::vector<std::string>& env)
      VAP_REQUIRES(scan_mu_);
  // ap_check_bindings_complete(): BINDINGS=complete once every queue is
  // bound, if a probe (or new adapters or domains) re-armed it since.
  void CheckBindingsCompleteLocked() VAP_REQUIRES(scan_mu_)
      VAP_EXCLUDES(devices_mu_);
  Status WriteMask(bool apmask, std::string_view buf)
      VAP_EXCLUDES(scan_mu_, attr_mu_, devices_mu_);
  ApDriver* FindDriverLocked(std::string_view name) const
      VAP_REQUIRES(devices_mu_);
  void SetDriverRecLocked(const ApDevice& dev, ApDriver* drv)
      VAP_REQUIRES(devices_mu_);
  std::optional<ApDevice> DeviceLocked(std::string_view name) const
      VAP_REQUIRES(devices_mu_);
  ApDevice SnapshotLocked(const ApDevice& dev, const ApDriver* drv) const
      VAP_REQUIRES(devices_mu_);
  Bindings BindingsLocked() const VAP_REQUIRES(devices_mu_);
  void WorkerLoop() VAP_EXCLUDES(worker_mu_);
  // Blocks until a scan is due; false once the bus is being destroyed.
  bool WaitForScanRequest() VAP_EXCLUDES(worker_mu_);

  ap::ApInstructions& machine_;
  ap::Firmware& firmware_;
  Logger& log_;
  const Clock& clock_;
  uint8_t max_adapter_id_ = 63;  // fixed at init, as in the kernel
  uint8_t max_domain_id_ = 15;

  // The ranks of the four ranked locks below: the host's, or a guest's.
  struct Ranks {
    LockRank scan, attr, queue, poll;
  };
  static constexpr Ranks kHostRanks{LockRank::kApScanBus, LockRank::kApAttr,
                                    LockRank::kApQueue, LockRank::kApPoll};
  static constexpr Ranks kGuestRanks{
      LockRank::kGuestApScanBus, LockRank::kGuestApAttr,
      LockRank::kGuestApQueue, LockRank::kGuestApPoll};
  ApBus(ap::ApInstructions& machine, ap::Firmware& firmware, Logger& log,
        const Clock& clock, HostIrq irq, const Ranks& ranks);

  // Serializes scans, (un)binding and driver (un)registration; rank
  // kApScanBus (ap_scan_bus_mutex). docs/locking.md.
  mutable Mutex scan_mu_;
  std::vector<BusObserver*> observers_ VAP_GUARDED_BY(scan_mu_);

  // apmask/aqmask; rank kApAttr (ap_attr_mutex).
  mutable Mutex attr_mu_ VAP_ACQUIRED_AFTER(scan_mu_);
  ApMask apmask_ VAP_GUARDED_BY(attr_mu_) = ApMask::All();
  ApMask aqmask_ VAP_GUARDED_BY(attr_mu_) = ApMask::All();

  // Device records and everything readers ask for; rank kLeaf.
  mutable Mutex devices_mu_{LockRank::kLeaf, "ap_devices"};
  std::map<uint8_t, CardRec> cards_ VAP_GUARDED_BY(devices_mu_);
  std::vector<ApDriver*> drivers_ VAP_GUARDED_BY(devices_mu_);
  std::optional<ap::QciInfo> qci_ VAP_GUARDED_BY(devices_mu_);
  uint64_t scans_ VAP_GUARDED_BY(devices_mu_) = 0;
  int ap_domain_ VAP_GUARDED_BY(devices_mu_) = -1;
  int overrides_ VAP_GUARDED_BY(devices_mu_) = 0;  // queues with an override
  // ap_apqn_bindings_complete not yet completed (re-armed by a probe).
  bool bindings_armed_ VAP_GUARDED_BY(devices_mu_) = true;
  uint64_t bindings_complete_count_ VAP_GUARDED_BY(devices_mu_) = 0;
  bool drivers_autoprobe_ VAP_GUARDED_BY(devices_mu_) = true;

  // The queue state machines; rank kApQueue (aq->lock).
  mutable Mutex sm_mu_ VAP_ACQUIRED_AFTER(attr_mu_);
  // Bound queues whose machine waits for a poll, by qid (a bit per
  // possible queue: 8 KiB, where a set of all 65,536 took 2.6 MiB).
  std::bitset<1 << 16> sm_polls_ VAP_GUARDED_BY(sm_mu_);
  const HostIrq host_irq_;

  // The queue poller (the kernel's poll timer and tasklet); rank kApPoll
  // (ap_poll_timer_lock): taken under sm_mu_ to arm the timer, held while
  // waiting on the clock (a manual clock takes a leaf lock then).
  mutable Mutex poll_mu_ VAP_ACQUIRED_AFTER(sm_mu_);
  CondVar poll_cv_;
  bool poll_stop_ VAP_GUARDED_BY(poll_mu_) = false;
  std::optional<Nanos> poll_due_ VAP_GUARDED_BY(poll_mu_);
  std::thread poller_;

  // The scan worker; rank kLeaf.
  mutable Mutex worker_mu_{LockRank::kLeaf, "ap_scan_worker"};
  CondVar worker_cv_;
  bool worker_stop_ VAP_GUARDED_BY(worker_mu_) = false;
  bool scan_requested_ VAP_GUARDED_BY(worker_mu_) = false;
  int config_time_ VAP_GUARDED_BY(worker_mu_) = 30;
  std::thread worker_;
  ChangeCount changes_;
};

}  // namespace vap::apbus

#endif  // VAP_APBUS_AP_BUS_H_
