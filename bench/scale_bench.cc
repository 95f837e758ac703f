// Durable state and checks at scale (docs/performance.md):
//
//   BM_DurableStore/mdevs:N  one store and its commit, as a write(2)
//                            through the mount does them (the store
//                            observer commits: a journal append and an
//                            fdatasync), with N mdevs defined (N = 10 and
//                            10,000); the store toggles a control domain
//                            of one mdev
//   BM_UnchangedStore/durable:D  a store that changes nothing (apmask
//                            written with its value) on builtin:full,
//                            with its commit (D = 1) or without durable
//                            state (D = 0): the commit looks at nothing
//   BM_Restart65536          DurableState::Open of a state holding 65,536
//                            mdevs, one APQN each, on builtin:full: what
//                            vapd does at start (manual time, once).
//                            Counters: check_s, the driver's invariant
//                            check (`vap check`) on the restored host;
//                            rss_per_mdev_bytes, resident memory per mdev
//
// Targets (main.cc): the store at 10,000 mdevs within 2x of the store at
// 10; an unchanged store's commit within 2x of no commit; restart <= 10 s;
// check <= 5 s; <= 4 KiB per mdev.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "matrix/mask_format.h"
#include "state/durable_state.h"
#include "system/system.h"

namespace vap {
namespace {

using SteadyClock = std::chrono::steady_clock;

const std::string kMatrix = "devices/vfio_ap/matrix/";
const std::string kCreate =
    kMatrix + "mdev_supported_types/vfio_ap-passthrough/create";

std::string MdevUuid(uint64_t i) {
  return fmt::format("00000000-0000-0000-0000-{:012x}", i + 1);
}

// A fresh directory, removed with the object.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/vap-scale.XXXXXX";
    path = mkdtemp(tmpl) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    if (!path.empty()) std::filesystem::remove_all(path);
  }
  std::string path;
};

// Resident memory of this process.
double RssBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

SystemOptions Options(const std::string& host) {
  SystemOptions o;
  o.host = host;
  o.time_scale = 0.001;
  o.periodic_scans = false;
  return o;
}

void BM_DurableStore(benchmark::State& state) {
  TempDir dir;
  Result<state::DurableState::Opened> o = state::DurableState::Open(
      Options("builtin:default"), dir.path + "/state.json");
  if (!o.ok()) {
    state.SkipWithError(o.status().ToString().c_str());
    return;
  }
  sysfs::Tree& t = o->system->tree();
  for (int64_t i = 0; i < state.range(0); ++i) (void)t.Write(kCreate, MdevUuid(static_cast<uint64_t>(i)));
  state::DurableState& durable = *o->state;
  (void)durable.Commit();
  t.SetStoreObserver([&durable] { return durable.Commit(); });
  const std::string dir0 = kMatrix + MdevUuid(0) + "/";
  bool assign = true;
  for (auto _ : state) {
    const Result<size_t> n = t.Write(
        dir0 + (assign ? "assign_control_domain" : "unassign_control_domain"),
        "0x47");
    if (!n.ok()) {
      state.SkipWithError(n.status().ToString().c_str());
      break;
    }
    assign = !assign;
  }
  t.SetStoreObserver(nullptr);
}
BENCHMARK(BM_DurableStore)->ArgName("mdevs")->Arg(10)->Arg(10000)
    ->Unit(benchmark::kMicrosecond);

void BM_UnchangedStore(benchmark::State& state) {
  TempDir dir;
  Result<state::DurableState::Opened> o = state::DurableState::Open(
      Options("builtin:full"), dir.path + "/state.json");
  if (!o.ok()) {
    state.SkipWithError(o.status().ToString().c_str());
    return;
  }
  sysfs::Tree& t = o->system->tree();
  state::DurableState& durable = *o->state;
  if (state.range(0) != 0)
    t.SetStoreObserver([&durable] { return durable.Commit(); });
  const std::string apmask = *t.Read("bus/ap/apmask");
  const uint64_t writes = durable.writes();
  for (auto _ : state) {
    const Result<size_t> n = t.Write("bus/ap/apmask", apmask);
    if (!n.ok()) {
      state.SkipWithError(n.status().ToString().c_str());
      break;
    }
  }
  if (durable.writes() != writes) state.SkipWithError("an unchanged store wrote");
  t.SetStoreObserver(nullptr);
}
BENCHMARK(BM_UnchangedStore)->ArgName("durable")->Arg(0)->Arg(1)
    ->Unit(benchmark::kMicrosecond);

// 65,536 mdevs on the full host, one APQN each; written to `path`.
Status MakeState(const std::string& path, double* rss_per_mdev) {
  VAP_ASSIGN_OR_RETURN(std::unique_ptr<System> s,
                       System::Create(Options("builtin:full")));
  sysfs::Tree& t = s->tree();
  VAP_RETURN_IF_ERROR(t.Write("bus/ap/apmask", "0x").status());
  VAP_RETURN_IF_ERROR(t.Write("bus/ap/aqmask", "0x").status());
  const double reserved = RssBytes();
  const std::string none = FormatMaskHex(ApMask());
  for (unsigned i = 0; i < 65536; ++i) {
    const std::string u = MdevUuid(i);
    VAP_RETURN_IF_ERROR(t.Write(kCreate, u).status());
    VAP_RETURN_IF_ERROR(
        t.Write(kMatrix + u + "/ap_config",
                FormatMaskHex(ApMask::Of({i / 256})) + "," +
                    FormatMaskHex(ApMask::Of({i % 256})) + "," + none)
            .status());
  }
  *rss_per_mdev = (RssBytes() - reserved) / 65536;
  return state::SaveState(*s, path);
}

void BM_Restart65536(benchmark::State& state) {
  TempDir dir;
  const std::string path = dir.path + "/state.json";
  double rss_per_mdev = 0;
  if (Status made = MakeState(path, &rss_per_mdev); !made.ok()) {
    state.SkipWithError(made.ToString().c_str());
    return;
  }
  double check_s = 0;
  for (auto _ : state) {
    const auto start = SteadyClock::now();
    Result<state::DurableState::Opened> o =
        state::DurableState::Open(Options("builtin:full"), path);
    const auto opened = SteadyClock::now();
    if (!o.ok() || o->system->vfio().Mdevs().size() != 65536) {
      state.SkipWithError(o.ok() ? "mdevs missing" : o.status().ToString().c_str());
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(opened - start).count());
    const auto check = SteadyClock::now();
    o->system->vfio().CheckInvariants();
    check_s = std::chrono::duration<double>(SteadyClock::now() - check).count();
  }
  state.counters["check_s"] = check_s;
  state.counters["rss_per_mdev_bytes"] = rss_per_mdev;
}
BENCHMARK(BM_Restart65536)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vap
