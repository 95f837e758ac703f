// vapd as users run it, a separate process with its FUSE mount:
//
//   BM_FuseStore         one store through the mount as `echo V > F` does
//                        it (open, write, close), alternately assigning
//                        and unassigning domain 0x47 on an mdev of 2
//                        adapters x 16 domains, on builtin:default
//   BM_FuseReadFeatures  one read through the same mount of an attribute
//                        of the same mdev (`matrix`: a computed entry whose
//                        show takes the driver's lock, as the store does;
//                        until 2026-12-01 the matrix device's constant
//                        `features`, which became pure FUSE once the mount
//                        cached names: docs/performance.md)
//   BM_VapdStartupFull   vapd on builtin:full: from exec until the mount
//                        answers (manual time); counter rss_mib then
//
// Targets (main.cc): store at most 1.5x the read; startup at most 1 s and
// 64 MiB. They need root (a FUSE mount); otherwise they are skipped.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "vapd_process.h"

namespace vap {
namespace {

constexpr const char* kMdev = "devices/vfio_ap/matrix/62177883-f1bb-47f0-914d-32a22e3a8804/";

// builtin:default with an mdev of adapters 4, 5 x domains 0-15; started
// once for both FUSE benchmarks.
// Stopped (SIGTERM, unmounted) when the program exits.
const Vapd* DefaultHost() {
  static const std::unique_ptr<Vapd> v = []() -> std::unique_ptr<Vapd> {
    if (geteuid() != 0) return nullptr;
    std::unique_ptr<Vapd> d = Vapd::Start("builtin:default");
    if (!d) return d;
    bool ok = d->Store("bus/ap/apmask", "-4,-5\n") &&
              d->Store("bus/ap/aqmask", "-0-15,-0x47\n") &&
              d->Store("devices/vfio_ap/matrix/mdev_supported_types/"
                       "vfio_ap-passthrough/create",
                       "62177883-f1bb-47f0-914d-32a22e3a8804") &&
              d->Store(std::string(kMdev) + "assign_adapter", "4\n") &&
              d->Store(std::string(kMdev) + "assign_adapter", "5\n");
    for (int dom = 0; dom < 16; ++dom)
      ok = ok && d->Store(std::string(kMdev) + "assign_domain",
                          std::to_string(dom) + "\n");
    if (!ok) d.reset();
    return d;
  }();
  return v.get();
}

void BM_FuseStore(benchmark::State& state) {
  const Vapd* v = DefaultHost();
  if (v == nullptr) {
    state.SkipWithError("needs root and a working vapd mount");
    return;
  }
  const std::string assign = std::string(kMdev) + "assign_domain";
  const std::string unassign = std::string(kMdev) + "unassign_domain";
  bool on = false;
  for (auto _ : state) {
    on = !on;
    if (!v->Store(on ? assign : unassign, "0x47\n")) {
      state.SkipWithError("store failed");
      break;
    }
  }
  if (on) (void)v->Store(unassign, "0x47\n");
}
BENCHMARK(BM_FuseStore)->Unit(benchmark::kMicrosecond);

void BM_FuseReadFeatures(benchmark::State& state) {
  const Vapd* v = DefaultHost();
  if (v == nullptr) {
    state.SkipWithError("needs root and a working vapd mount");
    return;
  }
  char buf[4096];
  for (auto _ : state) {
    if (!v->Read(std::string(kMdev) + "matrix", buf, sizeof buf)) {
      state.SkipWithError("read failed");
      break;
    }
  }
}
BENCHMARK(BM_FuseReadFeatures)->Unit(benchmark::kMicrosecond);

void BM_VapdStartupFull(benchmark::State& state) {
  if (geteuid() != 0) {
    state.SkipWithError("needs root for the mount");
    return;
  }
  double rss = 0;
  for (auto _ : state) {
    std::unique_ptr<Vapd> v = Vapd::Start("builtin:full");
    if (!v) {
      state.SkipWithError("vapd did not answer");
      break;
    }
    state.SetIterationTime(v->startup_seconds());
    rss = std::max(rss, v->rss_mib());
  }
  state.counters["rss_mib"] = rss;
}
BENCHMARK(BM_VapdStartupFull)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(3);

}  // namespace
}  // namespace vap
