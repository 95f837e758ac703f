// builtin:full with N mdevs, mdev i holding adapters 0 and 1 and domain i
// (every queue free for vfio_ap), and their guests g0..gN-1: the host the
// 255-guest benchmarks share (host_change_bench.cc, guest_view_bench.cc).
#ifndef VAP_BENCH_FULL_HOST_H_
#define VAP_BENCH_FULL_HOST_H_

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>

#include "matrix/mask_format.h"
#include "system/system.h"

namespace vap::bench {

inline std::string FullHostMdev(int i) {
  return fmt::format("00000000-0000-0000-0000-{:012x}", i + 1);
}

// The host with its mdevs; no guest yet.
inline std::unique_ptr<System> FullHostWithMdevs(int mdevs, bool guest_kernels) {
  SystemOptions o;
  o.host = "builtin:full";
  o.time_scale = 0.001;
  o.periodic_scans = false;
  o.vcpu_pause = std::chrono::milliseconds(5);  // 255 vCPUs on 2 cores
  o.guest_kernels = guest_kernels;
  std::unique_ptr<System> s = System::Create(o).value();
  sysfs::Tree& t = s->tree();
  (void)t.Write("bus/ap/apmask", "0x");
  (void)t.Write("bus/ap/aqmask", "0x");
  const std::string m = "devices/vfio_ap/matrix/";
  for (int i = 0; i < mdevs; ++i) {
    const std::string u = FullHostMdev(i);
    (void)t.Write(m + "mdev_supported_types/vfio_ap-passthrough/create", u);
    (void)t.Write(m + u + "/ap_config",
                  FormatMaskHex(ApMask::Of({0, 1})) + "," +
                      FormatMaskHex(ApMask::Of({static_cast<unsigned>(i)})) +
                      "," + FormatMaskHex(ApMask()));
  }
  return s;
}

// Starts guest gI on mdev I for each of the first `guests` mdevs.
inline void StartFullHostGuests(System& s, int guests) {
  for (int i = 0; i < guests; ++i)
    (void)s.StartGuest(fmt::format("g{}", i), *Uuid::Parse(FullHostMdev(i)), 1);
}

}  // namespace vap::bench

#endif  // VAP_BENCH_FULL_HOST_H_
