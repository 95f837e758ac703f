// The guest's own AP bus (src/guest, issue 17):
//  - BM_GuestSeesHotPlug: from a host `assign_domain` store's return to
//    the new queue's entry in the guest's tree (bus/ap/devices/05.0047,
//    what `ls /sys/bus/ap/devices` in the guest lists), on
//    builtin:default with an mdev of adapters 05, 06
//    and domains 0x04, 0xab (0x47 assigned and unassigned);
//    counters p50_ns and p99_ns. Target (main.cc): p99 <= 50 ms.
//  - BM_GuestBuses255: builtin:full with 255 guests, each with its own bus
//    over adapters 0 and 1 and a domain of its own: the time from a host
//    change (adapter 0 leaves the configuration) until every guest's bus
//    has lost card 0 (manual time), and the heap each guest kernel adds
//    (counter guest_bus_bytes: the same guests without kernels are the
//    reference; thread stacks are not counted). Targets (main.cc): the
//    change <= 1 s, the heap <= 64 KiB per guest bus.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <malloc.h>
#include <memory>
#include <thread>
#include <vector>

#include "full_host.h"
#include "matrix/mask_format.h"
#include "system/system.h"

namespace vap {
namespace {

using Steady = std::chrono::steady_clock;

// The heap in use (not the resident set: a second host reuses the pages
// the first one freed). Thread stacks are not in it.
double HeapBytes() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd);
}

// Polls `done` (up to 10 s); false if it never held.
template <typename F>
bool WaitFor(F done) {
  const auto end = Steady::now() + std::chrono::seconds(10);
  while (!done()) {
    if (Steady::now() > end) return false;
    std::this_thread::yield();
  }
  return true;
}

void BM_GuestSeesHotPlug(benchmark::State& state) {
  SystemOptions o;
  o.time_scale = 0.001;
  o.periodic_scans = false;
  std::unique_ptr<System> s = System::Create(o).value();
  sysfs::Tree& t = s->tree();
  const std::string u = "62177883-f1bb-47f0-914d-32a22e3a8804";
  const std::string dir = "devices/vfio_ap/matrix/" + u + "/";
  (void)t.Write("bus/ap/apmask", "-5,-6");
  (void)t.Write("bus/ap/aqmask", "-0x04,-0x47,-0xab");
  (void)t.Write("devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", u);
  (void)t.Write(dir + "ap_config", FormatMaskHex(ApMask::Of({5, 6})) + "," +
                                       FormatMaskHex(ApMask::Of({4, 0xab})) +
                                       "," + FormatMaskHex(ApMask::Of({4, 0x47, 0xab})));
  if (!s->StartGuest("g", *Uuid::Parse(u), 1).ok()) {
    state.SkipWithError("guest start failed");
    return;
  }
  std::shared_ptr<guest::GuestKernel> kernel = *s->GuestKernelOf("g");
  const sysfs::Tree& guest_tree = kernel->tree();
  const auto visible = [&guest_tree] {
    return guest_tree.Lookup("bus/ap/devices/05.0047", false).ok();
  };
  std::vector<int64_t> ns;
  for (auto _ : state) {
    (void)t.Write(dir + "assign_domain", "0x47");
    const auto returned = Steady::now();
    if (!WaitFor(visible)) {
      state.SkipWithError("the guest never saw 05.0047");
      break;
    }
    const auto seen = Steady::now();
    ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(seen - returned).count());
    state.SetIterationTime(std::chrono::duration<double>(seen - returned).count());
    (void)t.Write(dir + "unassign_domain", "0x47");
    if (!WaitFor([&] { return !visible(); })) {
      state.SkipWithError("05.0047 never left the guest");
      break;
    }
  }
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  state.counters["p50_ns"] = static_cast<double>(ns[ns.size() / 2]);
  state.counters["p99_ns"] = static_cast<double>(ns[ns.size() * 99 / 100]);
}

constexpr int kGuests = 255;

double StartGuests(System& s) {
  const double before = HeapBytes();
  bench::StartFullHostGuests(s, kGuests);
  return HeapBytes() - before;
}

void BM_GuestBuses255(benchmark::State& state) {
  double bare = 0;
  {
    std::unique_ptr<System> s = bench::FullHostWithMdevs(kGuests, false);
    bare = StartGuests(*s);
  }
  std::unique_ptr<System> s = bench::FullHostWithMdevs(kGuests, true);
  const double with_kernels = StartGuests(*s);
  // Guest kernels keep references while the host's change is timed.
  std::vector<std::shared_ptr<guest::GuestKernel>> keep;
  for (const std::string& name : s->GuestNames())
    keep.push_back(*s->GuestKernelOf(name));
  std::vector<apbus::ApBus*> buses;
  for (auto& k : keep) buses.push_back(k->bus());
  const ap::CardSpec card0 = s->profile().cards.front();
  const auto all = [&](bool has) {
    return std::all_of(buses.begin(), buses.end(), [has](apbus::ApBus* b) {
      return b->Card(0).has_value() == has;
    });
  };
  if (buses.size() != static_cast<size_t>(kGuests) || !WaitFor([&] { return all(true); })) {
    state.SkipWithError("not every guest found card 0");
    return;
  }
  for (auto _ : state) {
    const auto start = Steady::now();
    if (!s->bus().RemoveAdapter(0).ok() || !WaitFor([&] { return all(false); })) {
      state.SkipWithError("a guest kept card 0");
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(Steady::now() - start).count());
    (void)s->bus().AddAdapter(card0);
    if (!WaitFor([&] { return all(true); })) {
      state.SkipWithError("a guest did not get card 0 back");
      break;
    }
  }
  state.counters["guest_bus_bytes"] = (with_kernels - bare) / kGuests;
  keep.clear();
}

BENCHMARK(BM_GuestSeesHotPlug)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(200);
BENCHMARK(BM_GuestBuses255)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace vap
