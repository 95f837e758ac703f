// PQAP(AQIC) round trips from guests: enable interrupts on a queue (the
// intercept, the hook under its rw-semaphore, mdevs_lock, the NIB pinned,
// the ISC registered, the firmware's AQIC) and disable them again, from
// one guest and from two guests at once (each its own mdev and queue).
// Reported as round trips per second (items_per_second); no target.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <memory>

#include "kvm/pqap.h"
#include "system/system.h"

namespace vap {
namespace {

System& AqicHost() {
  static System* s = [] {
    SystemOptions o;
    o.time_scale = 0.001;
    o.periodic_scans = false;
    // The host's AQIC path alone: the guests' own kernels would issue
    // theirs meanwhile.
    o.guest_kernels = false;
    System* sys = System::Create(o).value().release();
    sysfs::Tree& t = sys->tree();
    (void)t.Write("bus/ap/apmask", "-4,-5");
    (void)t.Write("bus/ap/aqmask", "-0x47");
    const std::string m = "devices/vfio_ap/matrix/";
    for (int i = 0; i < 2; ++i) {
      const std::string u =
          fmt::format("00000000-0000-0000-0000-00000000aa0{}", i);
      (void)t.Write(m + "mdev_supported_types/vfio_ap-passthrough/create", u);
      (void)t.Write(m + u + "/assign_adapter", std::to_string(4 + i));
      (void)t.Write(m + u + "/assign_domain", "0x47");
      (void)sys->StartGuest(fmt::format("aqic{}", i), *Uuid::Parse(u), 1);
    }
    return sys;
  }();
  return *s;
}

void BM_AqicRoundTrip(benchmark::State& state) {
  System& s = AqicHost();
  const int g = state.thread_index();
  const std::string name = fmt::format("aqic{}", g);
  const uint64_t qid = Apqn(static_cast<uint8_t>(4 + g), 0x47).qid();
  kvm::PqapRegs enable, disable;
  enable.gr0 = disable.gr0 = uint64_t{kvm::kPqapAqic} << 24 | qid;
  enable.gr1 = kvm::kAqicIrBit | 3;
  enable.gr2 = 0x1000;
  for (auto _ : state) {
    Result<kvm::PqapResult> on = s.GuestPqap(name, enable);
    Result<kvm::PqapResult> off = s.GuestPqap(name, disable);
    if (!on.ok() || !off.ok() || on->cc != 0 || off->cc != 0) {
      state.SkipWithError("AQIC failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AqicRoundTrip)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace vap
