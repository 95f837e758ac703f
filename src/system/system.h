// System: one whole vap host in process — the AP firmware of a host
// profile, the AP bus with the zcrypt drivers and vfio_ap, the sysfs tree
// over them, and the guests (QEMU models) started on its mdevs. vapd
// serves it over FUSE and JSON-RPC; tests and embedders drive it directly.
//
// Thread safety: every method may be called from any thread. The guest
// registry's lock is a leaf, never held while a guest is started or
// stopped (docs/locking.md).
#ifndef VAP_SYSTEM_SYSTEM_H_
#define VAP_SYSTEM_SYSTEM_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ap/firmware.h"
#include "ap/profile.h"
#include "apbus/ap_bus.h"
#include "apbus/zcrypt.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mutex.h"
#include "base/result.h"
#include "driver/vfio_ap.h"
#include "guest/guest_kernel.h"
#include "kvm/cpu_model.h"
#include "kvm/crycb.h"
#include "kvm/guest.h"
#include "sysfs/host_tree.h"
#include "sysfs/tree.h"
#include "system/running_guest.h"
#include "vm/qemu.h"

namespace vap {

struct SystemOptions {
  // "builtin:NAME" or a JSON file (docs/host-profile.md).
  std::string host = "builtin:default";
  // When set, this host instead of `host` (a restored state's host).
  std::optional<ap::HostProfile> profile;
  // The host's clock; when null, the system keeps a RealClock running
  // at `time_scale`. Must outlive the system.
  const Clock* clock = nullptr;
  // Multiplies every firmware and driver delay (tests use small values).
  double time_scale = 1.0;
  // Scan the AP bus every config_time seconds, as the kernel does.
  bool periodic_scans = true;
  // Each guest vCPU's time outside SIE between two entries (0: 50 us).
  std::chrono::microseconds vcpu_pause{0};
  // Sees every log line from the first (Logger::SetSink).
  Logger::Sink log_sink;
  // Each guest runs a guest kernel with its own AP bus and /sys
  // (src/guest); off, guests are only their QEMU models.
  bool guest_kernels = true;
};

// What `guest.show` reports of one guest.
struct GuestQueue {
  Apqn apqn;
  bool interrupts = false;  // enabled on the queue (host firmware view)
};
struct GuestInfo {
  std::string name;
  std::string mdev;  // the realized device's UUID; empty if none
  int format = 2;    // CRYCB format
  ApMatrix apcb;     // the masks as the guest's CRYCB holds them
  int vcpus = 0;
  uint64_t cfg_chg_count = 0;
  uint64_t req_count = 0;
  uint64_t ap_rescans = 0;  // the guest kernel's AP bus rescans
  uint64_t publications = 0;
  uint64_t torn_reads = 0;         // must stay 0 (invariant I1)
  std::vector<GuestQueue> queues;  // the APQNs of the APCB, ascending
  kvm::CpuModel cpu;               // its AP features
};

class System {
 public:
  // EINVAL/ENOENT for a bad profile (the message names the problem).
  static Result<std::unique_ptr<System>> Create(const SystemOptions& options);
  // Stops every guest first, then the scan worker.
  ~System();
  System(const System&) = delete;
  System& operator=(const System&) = delete;

  // The profile the system started with; CurrentHost() is that profile
  // with the firmware's present configuration (cards, their `config`
  // state, usage and control domains).
  const ap::HostProfile& profile() const { return profile_; }
  ap::HostProfile CurrentHost() const;
  const Clock& clock() const { return clock_; }
  Logger& log() { return host_.drivers().log(); }
  ap::Firmware& firmware() { return host_.drivers().firmware(); }
  apbus::ApBus& bus() { return host_.drivers().bus(); }
  driver::VfioAp& vfio() { return host_.drivers().vfio(); }
  apbus::Zcrypt& zcrypt() { return host_.drivers().zcrypt(); }
  sysfs::Tree& tree() { return host_.tree(); }
  UeventHub& uevents() { return host_.uevents(); }
  // The changes begun so far to what durable state keeps of the host
  // beyond its mdevs (the firmware's configuration, the bus's masks,
  // attributes and bindings, zcrypt's online flags), or nullopt while one
  // is in flight (ChangeCount::Quiet). The mdevs' changes are told by
  // driver::MdevObserver.
  std::optional<uint64_t> QuietChanges() const;

  // --- Guests. StartGuest returns once the device is open and both IRQs
  // are registered (QEMU's realize), with `vcpus` vCPUs running. EEXIST
  // for a name in use, EINVAL for a bad name or vCPU count, and the
  // driver's errno for the open (ENODEV, EBUSY, EPERM).
  Status StartGuest(std::string_view name, const Uuid& mdev, int vcpus,
                    const kvm::CpuModel& cpu = {})
      VAP_EXCLUDES(guests_mu_);
  // ENOENT for an unknown guest. Stops its vCPUs and closes its device.
  Status StopGuest(std::string_view name) VAP_EXCLUDES(guests_mu_);
  void StopAllGuests() VAP_EXCLUDES(guests_mu_);
  std::vector<std::string> GuestNames() const VAP_EXCLUDES(guests_mu_);
  Result<GuestInfo> ShowGuest(std::string_view name) const
      VAP_EXCLUDES(guests_mu_);
  // PQAP issued by one of the guest's vCPUs (in supervisor state).
  Result<kvm::PqapResult> GuestPqap(std::string_view name,
                                    const kvm::PqapRegs& regs)
      VAP_EXCLUDES(guests_mu_);
  // The guest's re-IPL: VFIO_DEVICE_RESET of its device (QEMU's system
  // reset), then its kernel boots again.
  Status GuestReset(std::string_view name) VAP_EXCLUDES(guests_mu_);
  // The guest's kernel: its AP bus and /sys. ENOENT for an unknown guest,
  // ENODEV without guest kernels.
  Result<std::shared_ptr<guest::GuestKernel>> GuestKernelOf(
      std::string_view name) const VAP_EXCLUDES(guests_mu_);
  // Pauses (false) or resumes the guest's handling of channel reports: the
  // host's AP changes then wait in QEMU until resumed. ENOENT.
  Status SetGuestEventHandling(std::string_view name, bool on)
      VAP_EXCLUDES(guests_mu_);

  // --- Live migration (system_migration.cc), as QEMU and libvirt run it
  // on each host; the stream between them is QEMU's (vm/migration_stream.h).
  // Source: the device must be migratable (ENOTTY, EOPNOTSUPP); the VM
  // stops; returns the stream's setup section. ENOENT for an unknown guest.
  Result<std::string> MigrateOutBegin(std::string_view name)
      VAP_EXCLUDES(guests_mu_);
  // The stream's next piece of at most `max` bytes ("" once all is sent).
  Result<std::string> MigrateOutRead(std::string_view name, size_t max)
      VAP_EXCLUDES(guests_mu_);
  // Succeeded: the guest is gone from this host. Failed: it runs again.
  Status MigrateOutEnd(std::string_view name, bool succeeded)
      VAP_EXCLUDES(guests_mu_);
  // Destination: a guest started with -incoming: its device open and
  // RESUMING, no vCPU running, no kernel yet. StartGuest's errno.
  Status MigrateInBegin(std::string_view name, const Uuid& mdev, int vcpus,
                        const kvm::CpuModel& cpu = {})
      VAP_EXCLUDES(guests_mu_);
  // Stream bytes; on any error the incoming guest is torn down (QEMU
  // exits), and the error returned.
  Status MigrateInWrite(std::string_view name, std::string_view bytes)
      VAP_EXCLUDES(guests_mu_);
  // The VM starts: RUNNING, its vCPUs, its kernel; on error torn down.
  Status MigrateInEnd(std::string_view name) VAP_EXCLUDES(guests_mu_);
  // The stream stopped before its end (the channel broke): a guest still
  // waiting for it is torn down, as its QEMU exits; one that runs is left
  // alone. ENOENT for an unknown guest.
  Status MigrateInAbort(std::string_view name) VAP_EXCLUDES(guests_mu_);

 private:
  System(const SystemOptions& options, ap::HostProfile profile);
  Status AddGuest(std::string_view name, const Uuid& mdev, int vcpus,
                  const kvm::CpuModel& cpu, bool incoming)
      VAP_EXCLUDES(guests_mu_);
  std::shared_ptr<RunningGuest> FindGuest(std::string_view name) const
      VAP_EXCLUDES(guests_mu_);

  const ap::HostProfile profile_;
  const std::chrono::microseconds vcpu_pause_;
  // The guests' kernels' options; none: no guest kernels.
  const std::optional<guest::GuestKernelOptions> guest_kernel_;
  const std::unique_ptr<const Clock> own_clock_;  // when none was given
  const Clock& clock_;
  sysfs::HostTree host_;

  // The guest registry; rank kLeaf. A name maps to null while its guest
  // is being started.
  mutable Mutex guests_mu_{LockRank::kLeaf, "system_guests"};
  std::map<std::string, std::shared_ptr<RunningGuest>, std::less<>> guests_
      VAP_GUARDED_BY(guests_mu_);
};

}  // namespace vap

#endif  // VAP_SYSTEM_SYSTEM_H_
