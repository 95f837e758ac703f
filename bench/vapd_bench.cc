// vapd as users run it, a separate process with its FUSE mount:
//
//   BM_FuseStore         one store through the mount as `echo V > F` does
//                        it (open, write, close), alternately assigning
//                        and unassigning domain 0x47 on an mdev of 2
//                        adapters x 16 domains, on builtin:default
//   BM_FuseReadFeatures  one read of `features` through the same mount
//   BM_VapdStartupFull   vapd on builtin:full: from exec until the mount
//                        answers (manual time); counter rss_mib then
//
// Targets (main.cc): store at most 1.5x the read; startup at most 1 s and
// 64 MiB. They need root (a FUSE mount); otherwise they are skipped.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

namespace vap {
namespace {

using SteadyClock = std::chrono::steady_clock;

class Vapd {
 public:
  // vapd on `host` with a fresh mount; null if it did not answer in 10 s.
  static std::unique_ptr<Vapd> Start(const std::string& host) {
    char tmpl[] = "/tmp/vap-bench.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return nullptr;
    std::unique_ptr<Vapd> v(new Vapd(tmpl));
    mkdir(v->mount().c_str(), 0755);
    v->started_ = SteadyClock::now();
    v->pid_ = fork();
    if (v->pid_ == 0) {
      const int log = open((v->dir_ + "/vapd.log").c_str(),
                           O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (log >= 0) dup2(log, 2);
      execl(VAP_VAPD_PATH, "vapd", "--mount", v->mount().c_str(), "--socket",
            (v->dir_ + "/vapd.sock").c_str(), "--host", host.c_str(),
            "--time-scale", "0.001", "--log-level", "err",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    const std::string probe = v->mount() + "/bus/ap/apmask";
    struct stat st;
    while (stat(probe.c_str(), &st) != 0) {
      if (SteadyClock::now() - v->started_ > std::chrono::seconds(10) ||
          waitpid(v->pid_, nullptr, WNOHANG) != 0)
        return nullptr;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    v->answered_ = SteadyClock::now();
    return v;
  }
  ~Vapd() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string mount() const { return dir_ + "/sys"; }
  double startup_seconds() const {
    return std::chrono::duration<double>(answered_ - started_).count();
  }
  double rss_mib() const {
    FILE* f = std::fopen(("/proc/" + std::to_string(pid_) + "/status").c_str(), "r");
    if (f == nullptr) return 0;
    char line[256];
    long kib = 0;
    while (std::fgets(line, sizeof line, f) != nullptr) {
      if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    }
    std::fclose(f);
    return static_cast<double>(kib) / 1024.0;
  }
  // As `echo V > F`: true if the store succeeded.
  bool Store(const std::string& path, const std::string& value) const {
    const int fd = open((mount() + "/" + path).c_str(), O_WRONLY | O_TRUNC);
    if (fd < 0) return false;
    const bool ok = write(fd, value.data(), value.size()) ==
                    static_cast<ssize_t>(value.size());
    return close(fd) == 0 && ok;
  }
  bool Read(const std::string& path, char* buf, size_t size) const {
    const int fd = open((mount() + "/" + path).c_str(), O_RDONLY);
    if (fd < 0) return false;
    const bool ok = read(fd, buf, size) > 0;
    return close(fd) == 0 && ok;
  }

 private:
  explicit Vapd(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  pid_t pid_ = -1;
  SteadyClock::time_point started_, answered_;
};

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
    if (!v->Read("devices/vfio_ap/matrix/features", buf, sizeof buf)) {
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
