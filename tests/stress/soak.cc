// vap_soak: the whole system under load, faults and guest churn, with the
// invariants of docs/architecture.md checked all along (issue 7, item 1).
//
// Threads: each guest's PQAP issuer (AQIC enable/disable, TAPQ, ZAPQ from
// a vCPU); a writer through the FUSE mount (when run as root, in a child
// process: assign and unassign, bind and unbind, apmask and aqmask) and
// one in process
// (ap_config, control domains, mdev create and remove, also while a guest
// holds it); a host thread (domains and adapters in and out of the
// configuration, adapters deconfigured, checkstops, resets that never
// end, busy firmware, adapter interrupts); a lifecycle thread (guests
// started and stopped); and a checker that runs the driver's invariants
// (no APQN in two mdevs, the shadow is the filter of the matrix, no host
// queue in a matrix, the lock ranks) every 20 ms. When a guest stops and
// at the end: no vCPU read a half-published APCB (I1), and with every
// guest gone no queue keeps interrupts or a pinned page (I6). Every guest
// runs its own kernel's AP bus. Every 2 s the checker makes a quiescent
// point: the threads that change the configuration (the writers, the host
// thread, the lifecycle thread, the FUSE writer's process) park at a gate,
// and each running guest's kernel must then come to have discovered
// exactly its APCB's queues on its own, through the configuration-change
// events and its periodic scans, no scan forced (I8); so it must at the
// end, before the guests stop.
//
// usage: vap_soak [--seconds N] [--seed S]   (scripts/soak --minutes N)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fuse/fuse_mount.h"
#include "fuse/private_mount_namespace.h"
#include "kvm/pqap.h"
#include "system/system.h"

namespace vap {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kGuests = 3;
constexpr const char* kHost = R"({
  "name": "soak",
  "adapters": [{"id": 0, "type": "CEX8C"}, {"id": 1, "type": "CEX8A"},
               {"id": 2, "type": "CEX8P"}, {"id": 3, "type": "CEX7C"}],
  "usage_domains": ["0-7"], "control_domains": ["0-7"]})";

std::string MdevName(size_t i) {
  return fmt::format("00000000-0000-0000-0000-0000000000a{}", i);
}
std::string GuestName(size_t i) { return fmt::format("soak{}", i); }

struct Counters {
  std::atomic<uint64_t> pqap{0}, enables{0}, stores{0},
      host_changes{0}, faults{0}, starts{0}, stops{0}, removals{0},
      checks{0}, torn{0}, violations{0}, guest_views{0}, quiescent{0},
      missed{0};
};

// The gate of the quiescent points, in memory shared with the FUSE
// writer's process (mapped before the fork). Lock-free atomics only, so
// that both processes may use it.
class QuiesceGate {
 public:
  static QuiesceGate* Create() {
    void* p = mmap(nullptr, sizeof(QuiesceGate), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : new (p) QuiesceGate();
  }
  // A changing thread's loop: parks while the gate is closed, until it
  // opens or the thread's run is over; whether the run goes on (a thread
  // whose run ended changes nothing more).
  template <typename Running>
  bool Pass(const Running& running) {
    if (closed_.load()) {
      ++parked_;
      while (closed_.load() && running())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      --parked_;
    }
    return running();
  }
  // Closes the gate and waits (5 s at most) until `n` threads parked;
  // false, the gate open again, if they did not or the run ended first.
  template <typename Running>
  bool Close(int n, const Running& running) {
    closed_ = true;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (parked_.load() < n && running() && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (parked_.load() >= n) return true;
    Open();
    return false;
  }
  // Opens the gate and waits until every parked thread has left it, so
  // that the next Close() counts only threads that parked anew.
  void Open() {
    closed_ = false;
    while (parked_.load() > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

 private:
  static_assert(std::atomic<bool>::is_always_lock_free &&
                std::atomic<int>::is_always_lock_free);
  std::atomic<bool> closed_{false};
  std::atomic<int> parked_{0};
};

class Soak {
 public:
  // `changers`: the threads outside this class that park at `gate` (the
  // FUSE writer's process).
  Soak(System& s, unsigned seed, Clock::time_point end, QuiesceGate& gate,
       int changers)
      : s_(s), seed_(seed), end_(end), gate_(gate), changers_(changers) {}

  void Prepare() {
    Store("bus/ap/apmask", "-0-3");
    Store("bus/ap/aqmask", "-0-7");
    for (size_t i = 0; i < kGuests; ++i) {
      MakeMdev(i);
      (void)s_.StartGuest(GuestName(i), *Uuid::Parse(MdevName(i)), 2);
    }
  }

  void Run() {
    std::vector<std::thread> threads;
    for (size_t g = 0; g < kGuests; ++g)
      threads.emplace_back([this, g] { Pqap(g); });
    threads.emplace_back([this] { Writer(); });
    threads.emplace_back([this] { Host(); });
    threads.emplace_back([this] { Lifecycle(); });
    threads.emplace_back([this] { Checker(); });
    for (std::thread& t : threads) t.join();
  }

  // The load is over: I8 for the guests still running; then, with every
  // guest stopped, I1 for the last guests, I6 and the invariants.
  void Finish() {
    for (uint8_t apid = 0; apid < 4; ++apid) (void)s_.firmware().ClearFaults(apid, {});
    for (const std::string& name : s_.GuestNames()) CheckGuestView(name);
    if (c_.quiescent == 0) Violation("no quiescent point was reached");
    for (const std::string& name : s_.GuestNames()) StopGuest(name);
    s_.vfio().CheckInvariants();
    for (size_t i = 0; i < kGuests; ++i) {
      if (!s_.vfio().PinnedPages(*Uuid::Parse(MdevName(i))).empty())
        Violation(fmt::format("mdev {} keeps pinned pages", i));
    }
    for (const apbus::ApDevice& q : s_.bus().Queues()) {
      if (s_.firmware().GuestIrqEnabled(q.apqn()))
        Violation(fmt::format("{} keeps interrupts enabled", q.Name()));
    }
  }

  const Counters& counters() const { return c_; }

 private:
  // I8: at a quiescent point the guest's own kernel comes to have
  // discovered exactly the queues of its APCB, which is its mdev's shadow
  // (I2), by itself: the last change's event, or at worst its next
  // periodic scan (30 s of model time, 0.3 s here) when that event joined
  // a scan already running (ap_bus_force_rescan()).
  void CheckGuestView(const std::string& name) {
    std::vector<Apqn> seen, want;
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    do {
      Result<std::shared_ptr<guest::GuestKernel>> k = s_.GuestKernelOf(name);
      Result<GuestInfo> info = s_.ShowGuest(name);
      if (!k.ok() || (*k)->bus() == nullptr || !info.ok()) return;
      seen.clear();
      for (const apbus::ApDevice& q : (*k)->bus()->Queues()) seen.push_back(q.apqn());
      want = info->apcb.Apqns();
      if (seen == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } while (Clock::now() < deadline);
    ++c_.guest_views;
    if (seen != want) {
      Violation(fmt::format("guest {} found {} queues, its APCB has {}", name,
                            seen.size(), want.size()));
    }
  }
  // Parks the changing threads, checks I8 for every running guest and
  // lets them go on.
  void QuiescentPoint() {
    // The in-process writer, the host thread, the lifecycle thread.
    if (!gate_.Close(3 + changers_, [this] { return Running(); })) {
      if (Running()) ++c_.missed;
      return;
    }
    for (const std::string& name : s_.GuestNames()) CheckGuestView(name);
    ++c_.quiescent;
    gate_.Open();
  }
  bool Pass() { return gate_.Pass([this] { return Running(); }); }

  bool Running() const { return Clock::now() < end_; }
  void Violation(const std::string& what) {
    ++c_.violations;
    std::fprintf(stderr, "vap_soak: VIOLATION (seed %u): %s\n", seed_,
                 what.c_str());
  }
  bool Store(const std::string& path, const std::string& value) {
    ++c_.stores;
    return s_.tree().Write(path, value).ok();
  }
  void MakeMdev(size_t i) {
    const std::string m = "devices/vfio_ap/matrix/";
    Store(m + "mdev_supported_types/vfio_ap-passthrough/create", MdevName(i));
    Store(m + MdevName(i) + "/ap_config",
          fmt::format("0x{:02x}{:062x},0x{:02x}{:062x},0x{:064x}",
                      0x80u >> i, 0, 0xc0u >> (2 * i), 0, 0));
  }
  void StopGuest(const std::string& name) {
    Result<GuestInfo> g = s_.ShowGuest(name);
    if (g.ok() && g->torn_reads != 0) {
      c_.torn += g->torn_reads;
      Violation(fmt::format("{}: {} torn APCB reads", name, g->torn_reads));
    }
    if (s_.StopGuest(name).ok()) ++c_.stops;
  }

  void Pqap(size_t g) {
    std::mt19937 rng(seed_ * 100 + static_cast<unsigned>(g));
    while (Running()) {
      const auto apid = static_cast<uint8_t>(rng() % 8 == 0 ? rng() % 4 : g);
      const auto apqi = static_cast<uint8_t>(rng() % 8 == 0 ? rng() % 8 : 2 * g);
      const uint64_t qid = Apqn(apid, apqi).qid();
      kvm::PqapRegs r;
      switch (rng() % 4) {
        case 0:
          r.gr0 = uint64_t{kvm::kPqapAqic} << 24 | qid;
          r.gr1 = kvm::kAqicIrBit | 3;
          r.gr2 = 0x1000 + (rng() % 4) * 0x1000;
          break;
        case 1:
          r.gr0 = uint64_t{kvm::kPqapAqic} << 24 | qid;
          break;
        case 2:
          r.gr0 = uint64_t{kvm::kPqapZapq} << 24 | qid;
          break;
        default:
          r.gr0 = qid;
          break;
      }
      Result<kvm::PqapResult> res = s_.GuestPqap(GuestName(g), r);
      ++c_.pqap;
      if (res.ok() && (r.gr1 & kvm::kAqicIrBit) && res->cc == 0) ++c_.enables;
      if (!res.ok()) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  void Writer() {
    std::mt19937 rng(seed_ * 100 + 37);
    const std::string m = "devices/vfio_ap/matrix/";
    while (Pass()) {
      const size_t i = rng() % kGuests;
      switch (rng() % 6) {
        case 0:
          Store(m + MdevName(i) + "/assign_control_domain",
                std::to_string(rng() % 8));
          break;
        case 1:
          Store(m + MdevName(i) + "/unassign_control_domain",
                std::to_string(rng() % 8));
          break;
        case 2:  // remove, also while its guest holds it (QEMU unplugs)
          if (Store(m + MdevName(i) + "/remove", "1")) ++c_.removals;
          MakeMdev(i);
          break;
        default:
          MakeMdev(i);  // EEXIST, or back after a removal
          break;
      }
    }
  }

  void Host() {
    std::mt19937 rng(seed_ * 100 + 41);
    apbus::ApBus& bus = s_.bus();
    ap::Firmware& fw = s_.firmware();
    while (Pass()) {
      const auto apid = static_cast<uint8_t>(rng() % 4);
      const auto apqi = static_cast<uint8_t>(rng() % 8);
      switch (rng() % 10) {
        case 0: (void)bus.RemoveUsageDomain(apqi); ++c_.host_changes; break;
        case 1: (void)bus.AddUsageDomain(apqi); ++c_.host_changes; break;
        case 2: (void)bus.SetCardConfig(apid, rng() % 2 == 0); ++c_.host_changes; break;
        case 3:
          (void)fw.InjectFault({ap::FaultKind::kCheckstop, apid, std::nullopt, 1});
          ++c_.faults;
          break;
        case 4:
          (void)fw.InjectFault({ap::FaultKind::kDeconfigure, apid, apqi, 1});
          ++c_.faults;
          break;
        case 5:
          (void)fw.InjectFault({ap::FaultKind::kResetNeverEnds, apid, apqi, 1});
          ++c_.faults;
          break;
        case 6:
          (void)fw.InjectFault({ap::FaultKind::kBusy, apid, apqi, 3});
          ++c_.faults;
          break;
        case 7: (void)fw.ClearFaults(apid, std::nullopt); break;
        default: (void)fw.RaiseInterrupt(Apqn(apid, apqi)); break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void Lifecycle() {
    std::mt19937 rng(seed_ * 100 + 43);
    while (Pass()) {
      const size_t g = rng() % kGuests;
      StopGuest(GuestName(g));
      if (s_.StartGuest(GuestName(g), *Uuid::Parse(MdevName(g)),
                        1 + static_cast<int>(rng() % 3)).ok())
        ++c_.starts;
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 20));
    }
  }

  void Checker() {
    auto quiet = Clock::now() + std::chrono::seconds(2);
    while (Running()) {
      s_.vfio().CheckInvariants();  // aborts with the reason
      ++c_.checks;
      if (Clock::now() >= quiet) {
        QuiescentPoint();
        quiet = Clock::now() + std::chrono::seconds(2);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  System& s_;
  const unsigned seed_;
  const Clock::time_point end_;
  QuiesceGate& gate_;
  const int changers_;
  Counters c_;
};

// The writer through the mount runs in a child process, forked before any
// thread exists: a thread of the serving process must never wait in a
// FUSE request, or the process could not exit if it failed (the kernel
// would wait for it to answer itself).
class FuseWriter {
 public:
  explicit FuseWriter(QuiesceGate& gate) : gate_(gate) {
    if (pipe(go_) != 0 || pipe(done_) != 0) return;
    pid_ = fork();
    if (pid_ == 0) Child();
    // Each side keeps its own ends, so that the child sees the end of
    // `go_` when the parent never starts it.
    CloseFd(go_[0]);
    CloseFd(done_[1]);
  }
  bool forked() const { return pid_ > 0; }
  // Starts the writes into `mount` for `seconds`.
  void Start(const std::string& mount, unsigned seconds, unsigned seed) {
    const std::string msg = fmt::format("{} {} {}\n", seconds, seed, mount);
    (void)!write(go_[1], msg.data(), msg.size());
    CloseFd(go_[1]);
  }
  // The child's count of stores; 0 if it never ran.
  uint64_t Wait() {
    if (pid_ <= 0) return 0;
    CloseFd(go_[1]);
    uint64_t n = 0;
    if (read(done_[0], &n, sizeof n) != sizeof n) n = 0;
    waitpid(pid_, nullptr, 0);
    return n;
  }

 private:
  static void CloseFd(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  [[noreturn]] void Child() {
    CloseFd(go_[1]);
    CloseFd(done_[0]);
    char buf[4200] = {};
    const ssize_t len = read(go_[0], buf, sizeof buf - 1);
    unsigned seconds = 0, seed = 0;
    char mount[4096] = {};
    uint64_t n = 0;
    if (len > 0 && std::sscanf(buf, "%u %u %4095s", &seconds, &seed, mount) == 3)
      n = Loop(mount, seconds, seed);
    (void)!write(done_[1], &n, sizeof n);
    _exit(0);
  }
  uint64_t Loop(const std::string& mount, unsigned seconds, unsigned seed) {
    const auto end = Clock::now() + std::chrono::seconds(seconds);
    const auto running = [end] { return Clock::now() < end && getppid() != 1; };
    std::mt19937 rng(seed * 100 + 31);
    const std::string m = mount + "/devices/vfio_ap/matrix/";
    const std::string bus = mount + "/bus/ap/";
    uint64_t n = 0;
    while (gate_.Pass(running)) {
      const std::string mdev = MdevName(rng() % kGuests);
      const std::string id = std::to_string(rng() % 8);
      const std::string q = Apqn(static_cast<uint8_t>(rng() % 4),
                                 static_cast<uint8_t>(rng() % 8)).ToString();
      std::string path, value;
      switch (rng() % 8) {
        case 0: path = m + mdev + "/assign_domain"; value = id + "\n"; break;
        case 1: path = m + mdev + "/unassign_domain"; value = id + "\n"; break;
        case 2: path = m + mdev + "/assign_adapter"; value = std::to_string(rng() % 4); break;
        case 3: path = m + mdev + "/unassign_adapter"; value = std::to_string(rng() % 4); break;
        case 4: path = bus + "drivers/vfio_ap/unbind"; value = q; break;
        case 5: path = bus + "drivers/vfio_ap/bind"; value = q; break;
        case 6: path = bus + "aqmask"; value = (rng() % 2 ? "+" : "-") + id; break;
        default: path = bus + "apmask"; value = "-" + std::to_string(rng() % 4); break;
      }
      // As a shell's `echo V > F`.
      const int fd = open(path.c_str(), O_WRONLY | O_TRUNC);
      if (fd < 0) continue;
      ++n;
      (void)!write(fd, value.data(), value.size());
      close(fd);
    }
    return n;
  }

  QuiesceGate& gate_;
  int go_[2] = {-1, -1};
  int done_[2] = {-1, -1};
  pid_t pid_ = -1;
};

int Main(int argc, char** argv) {
  unsigned seconds = 10;
  unsigned seed = static_cast<unsigned>(std::random_device{}());
  CLI::App app{"vap_soak: the whole system under load, faults and churn, "
               "with the invariants checked all along.",
               "vap_soak"};
  app.add_option("--seconds", seconds, "How long")->capture_default_str();
  app.add_option("--seed", seed, "Random seed (printed; repeat a run with it)");
  CLI11_PARSE(app, argc, argv);
  std::printf("vap_soak: %u s, --seed %u\n", seconds, seed);
  std::fflush(stdout);
  // The mount lives in a mount namespace of the soak's own (entered
  // before any thread), so it never shows in the host's mount table.
  const bool use_fuse = geteuid() == 0 && access("/dev/fuse", R_OK | W_OK) == 0 &&
                        fuse::EnterPrivateMountNamespace();
  QuiesceGate* gate = QuiesceGate::Create();
  if (gate == nullptr) return 1;
  std::unique_ptr<FuseWriter> writer;
  if (use_fuse) writer = std::make_unique<FuseWriter>(*gate);  // before any thread

  SystemOptions o;
  o.profile = *ap::ParseHostProfile(kHost);
  o.time_scale = 0.01;
  Result<std::unique_ptr<System>> created = System::Create(o);
  if (!created.ok()) return 1;
  System& s = **created;
  std::string dir;
  std::unique_ptr<fuse::FuseMount> mount;
  if (use_fuse) {
    char tmpl[] = "/tmp/vap-soak.XXXXXX";
    if (mkdtemp(tmpl) != nullptr) {
      Result<std::unique_ptr<fuse::FuseMount>> m =
          fuse::FuseMount::Mount(s.tree(), {tmpl, false, false});
      if (m.ok()) {
        dir = tmpl;
        mount = std::move(*m);
      }
    }
  }
  if (!mount) std::printf("vap_soak: no FUSE mount (needs root): in-process stores only\n");

  Soak soak(s, seed, Clock::now() + std::chrono::seconds(seconds), *gate,
            mount && writer->forked() ? 1 : 0);
  soak.Prepare();
  if (mount && writer->forked()) writer->Start(dir, seconds, seed);
  soak.Run();
  const uint64_t fuse_stores = writer ? writer->Wait() : 0;
  soak.Finish();
  if (mount) mount->Unmount();
  if (!dir.empty()) std::filesystem::remove(dir);

  const Counters& c = soak.counters();
  std::printf(
      "vap_soak: %lu PQAP (%lu AQIC enables), %lu stores through FUSE, %lu "
      "in process, %lu host changes, %lu faults, %lu guest starts, %lu "
      "stops, %lu mdev removals, %lu invariant checks, %lu quiescent "
      "points (%lu missed), %lu guest views compared, %lu torn reads, %lu "
      "violations\n",
      c.pqap.load(), c.enables.load(), fuse_stores, c.stores.load(),
      c.host_changes.load(), c.faults.load(), c.starts.load(), c.stops.load(),
      c.removals.load(), c.checks.load(), c.quiescent.load(), c.missed.load(),
      c.guest_views.load(), c.torn.load(), c.violations.load());
  const bool exercised = c.pqap > 0 && c.stores > 0 && c.starts > 0 &&
                         c.checks > 0 && (!mount || fuse_stores > 0);
  if (!exercised) std::printf("vap_soak: FAIL: a thread did no work\n");
  return c.violations == 0 && exercised ? 0 : 1;
}

}  // namespace
}  // namespace vap

int main(int argc, char** argv) { return vap::Main(argc, argv); }
