// vap-host-footprint PROFILE: builds a host (sysfs::HostTree: firmware,
// AP bus with the zcrypt drivers and vfio_ap, sysfs tree), runs the first
// bus scan, and reports how
// long that took and how much resident memory it added. Exits 1 if the
// targets of issue 3 are missed (under 1 s and 64 MiB), so a regression
// is seen. Figures go to docs/performance.md.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "ap/profile.h"
#include "base/clock.h"
#include "sysfs/host_tree.h"

namespace {

// Resident set size in bytes, from /proc/self/statm.
long ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

int Run(const std::string& spec) {
  vap::Result<vap::ap::HostProfile> profile = vap::ap::LoadHostProfile(spec);
  if (!profile.ok()) {
    fmt::print(stderr, "vap-host-footprint: {}\n", profile.status().ToString());
    return 2;
  }
  const long rss_before = ResidentBytes();
  const auto start = std::chrono::steady_clock::now();
  vap::RealClock clock;
  vap::sysfs::HostTree host(clock, *profile);
  vap::sysfs::Tree& tree = host.tree();
  const auto built = std::chrono::steady_clock::now();
  // One read through the tree, as a client's first look would do.
  const vap::Result<std::string> bindings = tree.Read("bus/ap/bindings");
  const double seconds = std::chrono::duration<double>(built - start).count();
  const double mib = static_cast<double>(ResidentBytes() - rss_before) / (1 << 20);
  fmt::print("profile {}: {} queues, bindings {}", profile->name, host.drivers().bus().Queues().size(),
             bindings.ok() ? *bindings : "?\n");
  fmt::print("built and scanned in {:.3f} s (target < 1 s), resident memory +{:.1f} MiB "
             "(target < 64 MiB)\n",
             seconds, mib);
  return seconds < 1.0 && mib < 64.0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: vap-host-footprint PROFILE\n"
                 "  PROFILE: builtin:default, builtin:full, builtin:legacy or a JSON file\n");
    return 2;
  }
  return Run(argv[1]);
}
