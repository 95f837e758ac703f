// How long a guest's vCPUs stay blocked while a hot plug is published
// (block all, write the CRYCB, VSIE restart, unblock all), against an
// empty block/unblock round trip measured the same way: 4 vCPUs running.
// Counters p50_ns and p99_ns over every iteration; target (main.cc):
// p99 of the publication at most 2x the round trip's.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "kvm/guest.h"

namespace vap {
namespace {

constexpr int kVcpus = 4;

kvm::Guest& RunningGuest() {
  static kvm::Guest* guest = [] {
    kvm::GuestOptions o;
    o.name = "bench";
    auto* g = new kvm::Guest(o);
    g->StartVcpus(kVcpus);
    return g;
  }();
  return *guest;
}

void Percentiles(benchmark::State& state, std::vector<int64_t>& ns) {
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  state.counters["p50_ns"] = static_cast<double>(ns[ns.size() / 2]);
  state.counters["p99_ns"] = static_cast<double>(ns[ns.size() * 99 / 100]);
}

void BM_PublicationBlocked(benchmark::State& state) {
  kvm::Guest& g = RunningGuest();
  std::vector<int64_t> ns;
  ApMask apm = ApMask::Of({5}), aqm = ApMask::Of({0x47});
  for (auto _ : state) {
    apm = apm == ApMask::Of({5}) ? ApMask::Of({5, 6}) : ApMask::Of({5});
    {
      MutexLock lock(g.kvm_mu());
      g.SetMasksLocked(apm, aqm, ApMask());
    }
    ns.push_back(g.last_blocked().count());
  }
  Percentiles(state, ns);
}

void BM_BlockRoundTrip(benchmark::State& state) {
  kvm::Guest& g = RunningGuest();
  std::vector<int64_t> ns;
  for (auto _ : state) {
    MutexLock lock(g.kvm_mu());
    ns.push_back(g.BlockRoundTripLocked().count());
  }
  Percentiles(state, ns);
}

BENCHMARK(BM_PublicationBlocked)->Iterations(20000);
BENCHMARK(BM_BlockRoundTrip)->Iterations(20000);

}  // namespace
}  // namespace vap
