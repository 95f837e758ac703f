// vap_bench: every benchmark of bench/, then the targets of issue 7, each
// a ratio against a reference measured in the same run (or an absolute
// bound where the issue gives one). Prints the table docs/performance.md
// keeps, and exits 1 when a target is missed. A benchmark that did not
// run (filtered out, or skipped without root) is reported as such.
#include <benchmark/benchmark.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>
#include <fmt/format.h>

#include <functional>
#include <string>
#include <vector>

#include "recorder.h"

namespace vap::bench {
namespace {

struct Line {
  std::string what;
  std::string measured;  // empty: did not run
  std::string target;    // empty: reported only
  bool met = true;
  std::string rerun;     // the benchmarks to measure again if missed
  int attempt = 1;
};

std::string Fixed(double v, int digits) { return fmt::format("{:.{}f}", v, digits); }

std::vector<Line> Evaluate(const Recorder& r) {
  std::vector<Line> out;
  auto add = [&out](std::string what, bool ran, std::string measured,
                    std::string target, bool met, std::string rerun = "") {
    out.push_back({std::move(what), ran ? std::move(measured) : "",
                   std::move(target), !ran || met, std::move(rerun)});
  };
  const double filter = r.ns("BM_Filter"), ref = r.ns("BM_Filter_Reference");
  add("BM_Filter vs BM_Filter_Reference (256 x 256)", filter > 0 && ref > 0,
      fmt::format("{:.0f}x ({:.0f} ns vs {:.1f} us)", ref / filter, filter,
                  ref / 1000),
      ">= 300x", ref / filter >= 300);
  const double store = r.ns("BM_FuseStore"), read = r.ns("BM_FuseReadFeatures");
  add("store through the mount vs read of the mdev's matrix", store > 0 && read > 0,
      fmt::format("{}x ({:.1f} us vs {:.1f} us)", Fixed(store / read, 2),
                  store / 1000, read / 1000),
      "<= 1.5x", store / read <= 1.5, "BM_FuseStore|BM_FuseReadFeatures");
  const std::string pub = "BM_PublicationBlocked/iterations:20000";
  const double p99 = r.counter(pub, "p99_ns"), rt99 = r.counter(pub, "ref_p99_ns");
  add("vCPUs blocked in a publication vs empty block/unblock (4 vCPUs, "
      "measured in turn)",
      p99 > 0 && rt99 > 0,
      fmt::format("p99 {}x ({:.0f} vs {:.0f} ns; p50 {:.0f} vs {:.0f} ns)",
                  Fixed(p99 / rt99, 2), p99, rt99, r.counter(pub, "p50_ns"),
                  r.counter(pub, "ref_p50_ns")),
      "p99 <= 2x", p99 / rt99 <= 2, "BM_PublicationBlocked");
  for (int threads : {1, 2}) {
    const std::string name =
        fmt::format("BM_AqicRoundTrip/real_time/threads:{}", threads);
    const double rate = r.counter(name, "items_per_second");
    add(fmt::format("PQAP(AQIC) enable+disable round trips, {} guest{}",
                    threads, threads == 1 ? "" : "s"),
        rate > 0, fmt::format("{:.0f}/s", rate), "", true);
  }
  const double start = r.ns("BM_VapdStartupFull/iterations:3/manual_time");
  const double rss = r.counter("BM_VapdStartupFull/iterations:3/manual_time",
                               "rss_mib");
  add("vapd builtin:full: until the mount answers", start > 0,
      fmt::format("{:.3f} s", start / 1e9), "<= 1 s", start <= 1e9);
  add("vapd builtin:full: resident memory", start > 0,
      fmt::format("{:.1f} MiB", rss), "<= 64 MiB", rss <= 64);
  const double change = r.ns("BM_HostChange255Guests/iterations:10");
  const double bare = r.ns("BM_HostChangeNoMdevs/iterations:10");
  add("remove one adapter, 255 mdevs in 255 guests: all updated",
      change > 0 && bare > 0,
      fmt::format("{:.1f} ms ({:.1f} us per guest; {:.1f} ms without mdevs)",
                  change / 1e6, change / 1e3 / 255, bare / 1e6),
      "", true);
  const std::string hot = "BM_GuestSeesHotPlug/iterations:200/manual_time";
  add("host assign_domain store's return to the device in the guest's tree",
      r.counter(hot, "p99_ns") > 0,
      fmt::format("p50 {:.1f} us, p99 {:.1f} us", r.counter(hot, "p50_ns") / 1e3,
                  r.counter(hot, "p99_ns") / 1e3),
      "p99 <= 50 ms", r.counter(hot, "p99_ns") <= 50e6, "BM_GuestSeesHotPlug");
  const std::string buses = "BM_GuestBuses255/iterations:5/manual_time";
  add("255 guest buses on builtin:full: a host change reaching all of them",
      r.ns(buses) > 0,
      fmt::format("{:.1f} ms; {:.1f} KiB of heap per guest bus", r.ns(buses) / 1e6,
                  r.counter(buses, "guest_bus_bytes") / 1024),
      "<= 1 s; <= 64 KiB",
      r.ns(buses) <= 1e9 && r.counter(buses, "guest_bus_bytes") <= 64 * 1024,
      "BM_GuestBuses255");
  const double small = r.ns("BM_DurableStore/mdevs:10");
  const double large = r.ns("BM_DurableStore/mdevs:10000");
  add("durable store (journal append + fdatasync): 10,000 mdevs vs 10",
      small > 0 && large > 0,
      fmt::format("{}x ({:.0f} us vs {:.0f} us)", Fixed(large / small, 2),
                  large / 1000, small / 1000),
      "<= 2x", large / small <= 2, "BM_DurableStore");
  const double plain = r.ns("BM_UnchangedStore/durable:0");
  const double unchanged = r.ns("BM_UnchangedStore/durable:1");
  add("unchanged store on builtin:full: with its commit vs without",
      plain > 0 && unchanged > 0,
      fmt::format("{}x ({:.1f} us vs {:.1f} us)",
                  Fixed(unchanged / plain, 2), unchanged / 1000, plain / 1000),
      "<= 2x", unchanged / plain <= 2, "BM_UnchangedStore");
  const std::string restart = "BM_Restart65536/iterations:1/manual_time";
  const double restart_ns = r.ns(restart);
  add("restart (restore of the state) with 65,536 mdevs", restart_ns > 0,
      fmt::format("{:.2f} s", restart_ns / 1e9), "<= 10 s",
      restart_ns <= 10e9);
  const double check = r.counter(restart, "check_s");
  add("`vap check` (driver invariants) with 65,536 mdevs", restart_ns > 0,
      fmt::format("{:.3f} s", check), "<= 5 s", check <= 5);
  const double per_mdev = r.counter(restart, "rss_per_mdev_bytes");
  add("resident memory per mdev (65,536 mdevs)", restart_ns > 0,
      fmt::format("{:.0f} bytes", per_mdev), "<= 4096 bytes",
      per_mdev <= 4096);
  const double walk = r.ns("BM_WalkMount"), copy = r.ns("BM_WalkCopy");
  const double replay = r.ns("BM_WalkReplay");
  add("walk of builtin:default (list, lstat, read every readable attribute) "
      "through the mount vs through a FUSE server answering from memory",
      walk > 0 && replay > 0,
      fmt::format("{}x ({:.1f} ms vs {:.1f} ms)", Fixed(walk / replay, 2),
                  walk / 1e6, replay / 1e6),
      "<= 2x", walk / replay <= 2, "BM_WalkMount|BM_WalkReplay");
  add("the same walk through the mount vs over a copy on tmpfs",
      walk > 0 && copy > 0,
      fmt::format("{:.1f}x ({:.1f} ms vs {:.1f} ms; FUSE itself: {:.1f}x; "
                  "issue 15's aim: <= 4x)",
                  walk / copy, walk / 1e6, copy / 1e6, replay / copy),
      "", true);
  const double cat = r.ns("BM_CatMount"), cat_replay = r.ns("BM_CatReplay");
  const double cat_copy = r.ns("BM_CatCopy");
  add("cat of a queue's online through the mount vs through the FUSE server "
      "answering from memory",
      cat > 0 && cat_replay > 0,
      fmt::format("{}x ({:.1f} us vs {:.1f} us; a copy on tmpfs: {:.1f} us)",
                  Fixed(cat / cat_replay, 2), cat / 1e3, cat_replay / 1e3,
                  cat_copy / 1e3),
      "<= 2x", cat / cat_replay <= 2, "BM_CatMount|BM_CatReplay");
  const std::string queues = "BM_FullQueues/iterations:1/manual_time";
  const double queues_ns = r.ns(queues);
  add("builtin:full: online, request_count, ap_functions of 65,536 queues",
      queues_ns > 0,
      fmt::format("{:.2f} s ({:.1f}x the copy's {:.2f} s; issue 15's aim: "
                  "<= 10 s)",
                  queues_ns / 1e9, queues_ns / 1e9 / r.counter(queues, "copy_s"),
                  r.counter(queues, "copy_s")),
      "", true);
  const std::string lat = "BM_UeventLatency/iterations:2000/manual_time";
  const double p50 = r.counter(lat, "p50_us"), store_p50 = r.counter(lat, "store_p50_us");
  add("uevent latency, store's return to `udevadm monitor` in a sandbox",
      p50 > 0,
      fmt::format("p50 {:.0f} us, p99 {:.0f} us ({}x the store's own {:.0f} us)",
                  p50, r.counter(lat, "p99_us"), Fixed(p50 / store_p50, 2),
                  store_p50),
      "", true);
  const std::string full = "BM_UeventRebindFull/iterations:1/manual_time";
  const bool rebound = r.ns(full) > 0;
  const double lost = r.counter(full, "lost"), gaps = r.counter(full, "gaps");
  add("apmask store rebinding 65,536 queues: events to `udevadm monitor`",
      rebound,
      fmt::format("{:.0f} events, {:.0f} lost, {:.0f} SEQNUM gaps; {:.0f} "
                  "events/s; store {:.2f} s",
                  r.counter(full, "events"), lost, gaps,
                  r.counter(full, "events_per_s"), r.counter(full, "store_s")),
      "0 lost, 0 gaps", lost == 0 && gaps == 0, "BM_UeventRebindFull");
  add("vapd's peak memory then, with a stopped subscriber too", rebound,
      fmt::format("{:.1f} MiB; the stopped one lost {:.0f}",
                  r.counter(full, "rss_mib"), r.counter(full, "stopped_lost")),
      "", true);
  const std::string mig_small = "BM_MigrationSmall/iterations:20/manual_time";
  const std::string whole = "BM_MigrationFull/iterations:4/manual_time";
  add("live migration, 2 x 3 queues on builtin:default: the guest's downtime "
      "(source STOP to destination RUNNING)",
      r.ns(mig_small) > 0,
      fmt::format("{:.2f} ms; blob {:.0f} bytes", r.ns(mig_small) / 1e6,
                  r.counter(mig_small, "blob_bytes")),
      "blob 144 bytes (48 + 16 x 6)", r.counter(mig_small, "blob_bytes") == 144,
      "BM_MigrationSmall");
  add("live migration, 256 x 256 queues on builtin:full: the guest's downtime",
      r.ns(whole) > 0,
      fmt::format("{:.1f} ms; blob {:.0f} bytes", r.ns(whole) / 1e6,
                  r.counter(whole, "blob_bytes")),
      "<= 250 ms; blob 1,048,624 bytes",
      r.ns(whole) <= 250e6 && r.counter(whole, "blob_bytes") == 1048624,
      "BM_MigrationFull");
  return out;
}

}  // namespace
}  // namespace vap::bench

// A ratio near its target can miss on a noisy machine; a missed one is
// measured again (both sides), up to three attempts, and the best counts.
std::vector<vap::bench::Line> Measure(vap::bench::Recorder& recorder) {
  benchmark::RunSpecifiedBenchmarks(&recorder);
  std::vector<vap::bench::Line> best = vap::bench::Evaluate(recorder);
  for (int attempt = 2; attempt <= 3; ++attempt) {
    std::string again;
    for (const vap::bench::Line& l : best) {
      if (!l.met && !l.rerun.empty())
        again += (again.empty() ? "" : "|") + l.rerun;
    }
    if (again.empty()) break;
    fmt::print("\nmeasuring again ({}): {}\n", attempt, again);
    benchmark::RunSpecifiedBenchmarks(&recorder, again);
    std::vector<vap::bench::Line> now = vap::bench::Evaluate(recorder);
    for (size_t i = 0; i < best.size() && i < now.size(); ++i) {
      if (!best[i].met && !now[i].measured.empty()) {
        best[i] = now[i];
        best[i].attempt = attempt;
      }
    }
  }
  return best;
}

int main(int argc, char** argv) {
  // As root, the benchmarks' mounts (vapd's, ReplayFuse's) stay in a
  // mount namespace of their own; before any thread, so that every
  // thread and child is in it.
  if (geteuid() == 0 && unshare(CLONE_NEWNS) == 0)
    (void)mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  vap::bench::Recorder recorder;
  const std::vector<vap::bench::Line> lines = Measure(recorder);
  benchmark::Shutdown();
  bool all_met = true;
  fmt::print("\n| what | measured | target | |\n|---|---|---|---|\n");
  for (const vap::bench::Line& l : lines) {
    std::string verdict = l.measured.empty() ? "did not run"
                          : l.target.empty() ? "reported"
                          : l.met            ? "met"
                                             : "MISSED";
    if (l.attempt > 1) verdict += fmt::format(" (attempt {})", l.attempt);
    fmt::print("| {} | {} | {} | {} |\n", l.what,
               l.measured.empty() ? "-" : l.measured,
               l.target.empty() ? "-" : l.target, verdict);
    all_met = all_met && l.met;
  }
  return all_met ? 0 : 1;
}
