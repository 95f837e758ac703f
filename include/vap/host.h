// vap::Host: a whole s390 host in your process — its AP firmware, the AP
// bus with the zcrypt drivers and vfio_ap, the /sys tree a real host
// shows, and KVM guests (QEMU models) started on vfio_ap's mediated
// devices. It is what vapd serves over FUSE and JSON-RPC, without either.
//
//   #include <vap/vap.h>
//
//   vap::HostOptions options;
//   options.profile = "builtin:default";
//   vap::Result<std::unique_ptr<vap::Host>> made = vap::Host::Create(options);
//   if (!made.ok()) return fail(made.status());
//   vap::Host& host = **made;
//
//   // Through the tree, exactly as `echo` and `cat` would on a host:
//   vap::Status s = host.Write("bus/ap/apmask", "-5\n");
//   vap::Result<std::string> apmask = host.Read("bus/ap/apmask");
//
//   // Or with typed operations, which take the very same paths inside:
//   const std::string uuid = "62177883-f1bb-47f0-914d-32a22e3a8804";
//   s = host.CreateMdev(uuid);
//   s = host.AssignAdapter(uuid, 5);
//   s = host.AssignDomain(uuid, 0x47);
//   s = host.StartGuest("guest1", uuid, /*vcpus=*/2);
//   vap::Result<vap::MdevReport> mdev = host.Mdev(uuid);  // guest view too
//
// Errors. Every operation answers a Status (vap/status.h) or a Result
// (vap/result.h): the errno the kernel answers for the same request, with
// the kernel's reason as the message. Nothing throws, and a refused
// operation changes nothing.
//
// Threads. Every method may be called from any thread, concurrently;
// the host is locked as the kernel's vfio_ap is (docs/locking.md). A
// method blocks as long as the kernel would: RemoveMdev() waits while a
// guest holds the mdev (relaying device requests every 10 s of model
// time, as the vfio core does), a queue reset takes about 20 ms of model
// time. Destroying the host stops every guest first.
//
// Time. Firmware delays run on the host's clock: the wall clock scaled by
// `time_scale`, or with `virtual_time` a clock that moves only when
// everyone waits, straight to the next deadline (tests run resets and
// device-request periods without sleeping).
//
// Events. SubscribeEvents() hears the kernel's uevents from then on, as
// `udevadm monitor --kernel --property` shows them (docs/sysfs-abi.md,
// "uevents"): an mdev's add and bind, a queue's unbind and bind after a
// mask store, BINDINGS=complete after a scan, ...
//
//   auto events = host.SubscribeEvents();
//   host.CreateMdev(uuid);
//   while (auto e = events->Next(std::chrono::milliseconds(100)))
//     std::cout << e->action << " " << e->devpath << "\n";  // add, bind
#ifndef VAP_HOST_H_
#define VAP_HOST_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vap/result.h"
#include "vap/status.h"

namespace vap {

struct HostOptions {
  // The host: "builtin:default", "builtin:full" (256 adapters x 256
  // domains), "builtin:legacy", a JSON profile file's path, or the JSON
  // text itself (anything starting with '{'); docs/host-profile.md.
  std::string profile = "builtin:default";
  // Model time runs 1/time_scale as fast as the wall clock (0.01: a
  // 20 ms reset takes 0.2 ms). Must be positive. Ignored with
  // `virtual_time`.
  double time_scale = 1.0;
  // A clock that jumps to whoever waits next, instead of the wall clock.
  bool virtual_time = false;
  // Scan the AP bus every `config_time` seconds of model time, as the
  // kernel does; off, the bus is scanned at start and when asked
  // (writing `bus/ap/scans`, a host configuration change).
  bool periodic_scans = true;
  // Each guest runs its own kernel's AP bus (its queues reset and enable
  // interrupts, it rescans on configuration changes); off, a guest issues
  // only the PQAPs asked of it (Host::Pqap).
  bool guest_kernels = true;
  // Every kernel log line, as dmesg prints it without its timestamp
  // ("vfio_ap_mdev 6217...: Userspace may not assign queue ..."), with
  // its printk level (3 err .. 7 debug). Called on the thread that
  // logged, maybe with the driver's locks held: return soon, and never
  // call into the host from it.
  std::function<void(int level, std::string_view line)> log_sink;
};

// An adapter x domain pair: the APQN 05.0047 is {5, 0x47}.
struct QueueId {
  unsigned adapter = 0;
  unsigned domain = 0;
  friend bool operator==(const QueueId&, const QueueId&) = default;
};

// One mediated device: what is assigned to it, and what its guest sees
// (the shadow APCB, vfio_ap_mdev_filter_matrix()'s result).
struct MdevReport {
  std::string uuid;
  std::vector<unsigned> adapters;  // assigned, ascending
  std::vector<unsigned> domains;
  std::vector<unsigned> control_domains;
  std::vector<unsigned> guest_adapters;  // in the guest's view
  std::vector<unsigned> guest_domains;
  std::vector<unsigned> guest_control_domains;
  std::string guest;  // the guest using it; empty if none
};

// One running guest.
struct GuestReport {
  std::string name;
  std::string mdev;  // the vfio-ap device's UUID; empty once unplugged
  int vcpus = 0;
  // What the guest's CRYCB holds now, and its queues with whether
  // adapter interrupts are enabled on them.
  std::vector<unsigned> adapters;
  std::vector<unsigned> domains;
  std::vector<unsigned> control_domains;
  std::vector<QueueId> queues;
  std::vector<bool> interrupts;  // per entry of `queues`
  uint64_t config_changes = 0;   // config-change IRQs QEMU took
  uint64_t device_requests = 0;  // device requests QEMU took
  uint64_t ap_rescans = 0;       // the guest kernel's AP bus rescans
};

// PQAP as a guest's vCPU issues it (in supervisor state).
enum class PqapFunction : uint8_t { kTapq, kZapq, kAqicEnable, kAqicDisable };
struct PqapCall {
  PqapFunction function = PqapFunction::kTapq;
  QueueId queue;
  unsigned isc = 3;          // kAqicEnable: the interruption subclass, 0-7
  uint64_t nib = 0x1000;     // kAqicEnable: the notification byte's address
};
struct PqapReply {
  // "completed", "operation exception", "privileged-operation exception"
  // or "specification exception".
  std::string outcome;
  int cc = 0;                    // condition code, when completed
  unsigned response_code = 0;    // of the AP queue status word
  uint32_t status_word = 0;      // the AP queue status word (GR1's low half)
};

// One uevent, as the kernel sends it.
struct KernelEvent {
  uint64_t seqnum = 0;
  std::string action;     // "add", "bind", "change", ...
  std::string devpath;    // "/devices/ap/card05/05.0047"
  std::string subsystem;  // "ap", "matrix", "mdev", "bus", "drivers"
  std::vector<std::string> env;  // every KEY=VALUE in order, SEQNUM last
};

// The events sent after SubscribeEvents(), queued for the subscriber
// (up to 32 MiB: a subscriber that does not read loses the excess,
// counted, and never holds the host up). May outlive its host.
class EventSubscription {
 public:
  ~EventSubscription();
  EventSubscription(const EventSubscription&) = delete;
  EventSubscription& operator=(const EventSubscription&) = delete;

  // The next event, waiting up to `timeout` for one; nullopt if none came.
  std::optional<KernelEvent> Next(std::chrono::milliseconds timeout);
  // Events lost because this subscriber's queue was full.
  uint64_t dropped() const;

 private:
  friend class Host;
  class Impl;
  explicit EventSubscription(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Host {
 public:
  // EINVAL for a bad profile or time scale, ENOENT for an unknown builtin
  // or a missing file; the message names the problem.
  static Result<std::unique_ptr<Host>> Create(const HostOptions& options);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // --- The sysfs tree, as a process on the host sees /sys (paths are
  // relative to /sys: "bus/ap/apmask"). Reads give the attribute's text;
  // writes hand `value` to the attribute's store as write(2) would (add
  // the newline `echo` adds if you want it); List gives a directory's
  // entry names, sorted. The errors of open(2), read(2) and write(2) on
  // sysfs: ENOENT, EACCES by mode, EISDIR, and the store's own errno.
  Result<std::string> Read(std::string_view path) const;
  Status Write(std::string_view path, std::string_view value);
  Result<std::vector<std::string>> List(std::string_view path) const;
  Result<std::string> ReadLink(std::string_view path) const;

  // --- Mediated devices (vfio_ap's mdev type vfio_ap-passthrough). A UUID
  // is written as `uuidgen` prints it.
  Status CreateMdev(std::string_view uuid);
  // Waits while a guest uses it (see "Threads" above).
  Status RemoveMdev(std::string_view uuid);
  // Newest first, as the kernel lists them.
  std::vector<std::string> Mdevs() const;
  Result<MdevReport> Mdev(std::string_view uuid) const;
  // The six assignment stores: the kernel's checks in the kernel's
  // order (ENODEV above the maximum ID, EADDRNOTAVAIL for an APQN the
  // host's masks keep, EADDRINUSE for one another mdev has).
  Status AssignAdapter(std::string_view uuid, unsigned id);
  Status UnassignAdapter(std::string_view uuid, unsigned id);
  Status AssignDomain(std::string_view uuid, unsigned id);
  Status UnassignDomain(std::string_view uuid, unsigned id);
  Status AssignControlDomain(std::string_view uuid, unsigned id);
  Status UnassignControlDomain(std::string_view uuid, unsigned id);
  // The `ap_config` attribute: three hex masks, "apm,aqm,adm", read and
  // replaced at once.
  Result<std::string> ApConfig(std::string_view uuid) const;
  Status SetApConfig(std::string_view uuid, std::string_view config);

  // --- Guests: a QEMU with a vfio-ap device on an mdev and `vcpus`
  // vCPUs running. EEXIST for a name in use, EINVAL for a bad name
  // (1-64 of A-Z a-z 0-9 . _ -) or vCPU count (1-64), and the driver's
  // answer to the open (ENODEV, EBUSY, EPERM).
  Status StartGuest(std::string_view name, std::string_view mdev_uuid,
                    int vcpus);
  Status StopGuest(std::string_view name);
  std::vector<std::string> Guests() const;
  Result<GuestReport> Guest(std::string_view name) const;
  Result<PqapReply> Pqap(std::string_view guest, const PqapCall& call);
  // The guest's system reset (QEMU resets the vfio-ap device).
  Status ResetGuest(std::string_view guest);

  // --- Why a guest lacks AP resources (`vap explain`): every resource
  // assigned to the mdev but not in its guest's view, each with its
  // reason and what would bring it back, as text. ENODEV for no mdev.
  Result<std::string> Explain(std::string_view uuid) const;
  // The adapter x domain grid of `vap show`, without colours.
  Result<std::string> Grid() const;

  // --- The kernel's uevents from now on (see "Events" above).
  std::unique_ptr<EventSubscription> SubscribeEvents();

 private:
  class Impl;
  explicit Host(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vap

#endif  // VAP_HOST_H_
