// The matrix filter and one store on a big host (docs/performance.md).
//
//   BM_Filter            the driver's matrix filter, word-wise
//   BM_Filter_Reference  the same filter one hash lookup per APQN, as the
//                        kernel walks its queue table
//   BM_AssignUnassignDomain  one assign_domain + unassign_domain round trip
//                        on an mdev among 255, through the driver
// Both filters run on the full configuration: 256 x 256, every queue bound
// to vfio_ap and passable. The program prints the ratio and exits 1 when
// BM_Filter is less than 300 times faster than the reference.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <string>

#include "ap/profile.h"
#include "base/check.h"
#include "base/clock.h"
#include "driver/filter.h"
#include "driver/filter_reference.h"
#include "driver/host_drivers.h"
#include "driver/vfio_ap.h"

namespace vap {
namespace {

ap::QciInfo FullHost() {
  ap::QciInfo info;
  info.apxa = true;
  info.na = info.nd = 255;
  info.apm = info.aqm = info.adm = ApMask::All();
  return info;
}

ApMatrix FullMatrix() {
  ApMatrix m;
  m.apm() = m.aqm() = m.adm() = ApMask::All();
  return m;
}

void BM_Filter(benchmark::State& state) {
  const ap::QciInfo info = FullHost();
  const ApMatrix matrix = FullMatrix();
  const driver::BlockedTable blocked{};  // every queue passable
  for (auto _ : state) {
    ApMatrix shadow = driver::EmptyShadow(info);
    const driver::MatrixFilterResult r =
        driver::FilterMatrix(matrix, info, blocked, &shadow);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(shadow);
  }
}
BENCHMARK(BM_Filter);

void BM_Filter_Reference(benchmark::State& state) {
  const ap::QciInfo info = FullHost();
  const ApMatrix matrix = FullMatrix();
  driver::ReferenceQueueTable qtable;
  for (unsigned qid = 0; qid < 65536; ++qid)
    qtable[static_cast<uint16_t>(qid)] = 0;
  for (auto _ : state) {
    ApMatrix shadow = driver::EmptyShadow(info);
    const ApMask filtered =
        driver::ReferenceFilterMatrix(matrix, info, qtable, &shadow);
    benchmark::DoNotOptimize(filtered);
    benchmark::DoNotOptimize(shadow);
  }
}
BENCHMARK(BM_Filter_Reference);

// 255 mdevs on the full host, mdev i holding adapter i and domains 0-15,
// every queue given to vfio_ap.
class FullHostWithMdevs {
 public:
  FullHostWithMdevs()
      : host_(clock_, *ap::BuiltinProfile("full")) {
    VAP_CHECK(host_.bus().WriteApmask("0x").ok());
    host_.bus().Scan();
    for (unsigned i = 0; i < 255; ++i) {
      const Uuid u =
          *Uuid::Parse(fmt::format("00000000-0000-0000-0000-{:012x}", i + 1));
      VAP_CHECK(vfio().CreateMdev(u).ok());
      VAP_CHECK(vfio().AssignAdapter(u, std::to_string(i)).ok());
      for (unsigned d = 0; d < 16; ++d)
        VAP_CHECK(vfio().AssignDomain(u, std::to_string(d)).ok());
      uuids_.push_back(u);
    }
  }
  driver::VfioAp& vfio() { return host_.vfio(); }
  const Uuid& uuid(size_t i) const { return uuids_[i]; }

 private:
  ManualClock clock_{/*auto_advance=*/true};
  driver::HostDrivers host_;
  std::vector<Uuid> uuids_;
};

void BM_AssignUnassignDomain(benchmark::State& state) {
  static FullHostWithMdevs* host = new FullHostWithMdevs();  // built once
  const Uuid& u = host->uuid(127);
  for (auto _ : state) {
    (void)host->vfio().AssignDomain(u, "16");
    (void)host->vfio().UnassignDomain(u, "16");
  }
}
BENCHMARK(BM_AssignUnassignDomain)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace vap

