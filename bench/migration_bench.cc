// Live migration between two whole hosts in one process, as `vap guest
// migrate` runs it between two vapd (System's migrate-out and migrate-in
// steps, the stream carried in 256 KiB pieces): the guest's downtime, from
// the source's VM stop to the destination's RUNNING with its vCPUs
// (manual time), and the blob's size (counter blob_bytes: MIG_DATA_SIZE).
// The guest goes back and forth between the two hosts.
//  - BM_MigrationSmall: builtin:default, an mdev of 2 adapters x 3
//    domains and a control domain.
//  - BM_MigrationFull: builtin:full, an mdev of all 256 x 256 queues
//    (1,048,624 bytes of blob); no guest kernels (65,536 queue devices
//    each). Target (main.cc): downtime <= 250 ms.
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "matrix/mask_format.h"
#include "system/system.h"

namespace vap {
namespace {

const Uuid kMdev = *Uuid::Parse("62177883-f1bb-47f0-914d-32a22e3a8804");

std::unique_ptr<System> Host(const char* profile, bool guest_kernels) {
  SystemOptions o;
  o.host = profile;
  o.time_scale = 0.001;
  o.periodic_scans = false;
  o.guest_kernels = guest_kernels;
  std::unique_ptr<System> s = System::Create(o).value();
  (void)s->tree().Write("bus/ap/apmask", "0x");
  (void)s->tree().Write("bus/ap/aqmask", "0x");
  (void)s->tree().Write(
      "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create",
      kMdev.ToString());
  return s;
}

// The whole migration of guest "g"; the downtime, or a negative value if
// it failed.
double Migrate(System& src, System& dst) {
  if (!dst.MigrateInBegin("g", kMdev, 1).ok()) return -1;
  const auto stop = std::chrono::steady_clock::now();
  Result<std::string> setup = src.MigrateOutBegin("g");
  Status s = setup.status();
  if (s.ok()) s = dst.MigrateInWrite("g", *setup);
  while (s.ok()) {
    Result<std::string> piece = src.MigrateOutRead("g", 256 * 1024);
    if (!piece.ok()) s = piece.status();
    if (!s.ok() || piece->empty()) break;
    s = dst.MigrateInWrite("g", *piece);
  }
  if (s.ok()) s = dst.MigrateInEnd("g");
  const double downtime = std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - stop)
                              .count();
  (void)src.MigrateOutEnd("g", s.ok());
  return s.ok() ? downtime : -1;
}

void Run(benchmark::State& state, const char* profile, bool kernels,
         const std::string& ap_config) {
  std::unique_ptr<System> a = Host(profile, kernels), b = Host(profile, kernels);
  const std::string dir = "devices/vfio_ap/matrix/" + kMdev.ToString() + "/";
  if (!a->tree().Write(dir + "ap_config", ap_config).ok() ||
      !a->StartGuest("g", kMdev, 1).ok()) {
    state.SkipWithError("no guest on the source");
    return;
  }
  const Result<uint64_t> size = a->vfio().MigrationDataSize(kMdev);
  const uint64_t bytes = size.ok() ? *size : 0;
  const ApMatrix apcb = a->ShowGuest("g")->apcb;
  System* from = a.get();
  System* to = b.get();
  for (auto _ : state) {
    const double downtime = Migrate(*from, *to);
    if (downtime < 0) {
      state.SkipWithError("the migration failed");
      return;
    }
    state.SetIterationTime(downtime);
    std::swap(from, to);
  }
  // The guest took its whole APCB each time.
  if (Result<GuestInfo> g = from->ShowGuest("g"); !g.ok() || g->apcb != apcb) {
    state.SkipWithError("the guest's APCB changed on the way");
    return;
  }
  state.counters["blob_bytes"] = static_cast<double>(bytes);
}

void BM_MigrationSmall(benchmark::State& state) {
  Run(state, "builtin:default", true,
      FormatMaskHex(ApMask::Of({5, 6})) + "," +
          FormatMaskHex(ApMask::Of({4, 0x47, 0xab})) + "," +
          FormatMaskHex(ApMask::Of({0xab})));
}

void BM_MigrationFull(benchmark::State& state) {
  Run(state, "builtin:full", false,
      FormatMaskHex(ApMask::All()) + "," + FormatMaskHex(ApMask::All()) + "," +
          FormatMaskHex(ApMask::Of({0})));
}

BENCHMARK(BM_MigrationSmall)->Iterations(20)->UseManualTime();
BENCHMARK(BM_MigrationFull)->Iterations(4)->UseManualTime();

}  // namespace
}  // namespace vap
