// A host configuration change that removes one adapter, on the full host
// (256 x 256) with 255 mdevs, each holding adapters 0 and 1 and its own
// domain, each in a running guest: the time from the change until the
// bus scan has hot-unplugged adapter 0 from every guest (the call returns
// after the last publication). Reference: the same change on the same
// host without mdevs. Reported; no target.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "full_host.h"
#include "system/system.h"

namespace vap {
namespace {

constexpr int kMdevs = 255;

// The host's side of the change: the guests' own rescans (src/guest)
// come after the call returns and are not what is measured here.
std::unique_ptr<System> FullHost(int mdevs) {
  std::unique_ptr<System> s = bench::FullHostWithMdevs(mdevs, /*guest_kernels=*/false);
  bench::StartFullHostGuests(*s, mdevs);
  return s;
}

void RemoveAdapterZero(benchmark::State& state, System& s) {
  const ap::CardSpec card0 = s.profile().cards.front();
  for (auto _ : state) {
    if (!s.bus().RemoveAdapter(0).ok()) {
      state.SkipWithError("remove-adapter failed");
      break;
    }
    state.PauseTiming();
    (void)s.bus().AddAdapter(card0);
    state.ResumeTiming();
  }
}

// The hosts are built in the benchmark (once: fixed iterations) and gone
// after it, so their 510 threads do not disturb the other benchmarks.
void BM_HostChange255Guests(benchmark::State& state) {
  std::unique_ptr<System> s = FullHost(kMdevs);
  RemoveAdapterZero(state, *s);
  // Every guest lost adapter 0 when the call returned (checked on the
  // last one after one more change).
  (void)s->bus().RemoveAdapter(0);
  Result<GuestInfo> last = s->ShowGuest(fmt::format("g{}", kMdevs - 1));
  if (!last.ok() || last->apcb.apm().Test(0) || !last->apcb.apm().Test(1))
    state.SkipWithError("a guest was not updated");
  (void)s->bus().AddAdapter(s->profile().cards.front());
}

void BM_HostChangeNoMdevs(benchmark::State& state) {
  std::unique_ptr<System> s = FullHost(0);
  RemoveAdapterZero(state, *s);
}

BENCHMARK(BM_HostChange255Guests)->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK(BM_HostChangeNoMdevs)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace
}  // namespace vap
