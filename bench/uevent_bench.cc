// uevents as udev's clients get them: a `udevadm monitor --kernel` in
// `vap sandbox --uevents`, its output read here (issue 14):
//
//   BM_UeventLatency     builtin:default; one synthetic `change` written
//                        to card04's uevent file per iteration, timed from
//                        the write's return until the monitor printed it
//                        (manual time); counters p50_us and p99_us, and
//                        store_p50_us: the write itself, the reference
//   BM_UeventRebindFull  builtin:full; `echo 0 > apmask` moves all 65,536
//                        queues from cex4queue to vfio_ap: 131,074 events
//                        (an unbind and a bind each, APMASK, BINDINGS).
//                        The monitor prints properties; a `vap monitor`
//                        is stopped (SIGSTOP) all along. Counters: events
//                        received, lost (vapd's count minus those), gaps
//                        (in SEQNUM), events_per_s (from the store until
//                        the last arrived), store_s, stopped_lost (what the
//                        stopped subscriber lost), vapd's peak rss_mib
//
// Targets (main.cc): lost 0 and gaps 0; the rest is reported. They need
// root (the mount and the namespaces); otherwise they are skipped.
#include <benchmark/benchmark.h>
#include <poll.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "vapd_process.h"

namespace vap {
namespace {

using std::chrono::duration;

// A child process with its stdout (and stderr) in pipes or files.
class Child {
 public:
  // Runs ARGV; its stdout comes to out_fd() unless `out_file` names a file.
  static std::unique_ptr<Child> Spawn(const std::vector<std::string>& args,
                                      const std::string& err_file,
                                      const std::string& out_file = "") {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return nullptr;
    std::unique_ptr<Child> c(new Child());
    c->pid_ = fork();
    if (c->pid_ == 0) {
      const int out = out_file.empty()
                          ? fds[1]
                          : open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, 1);
      dup2(err, 2);
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    c->fd_ = fds[0];
    return c;
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGCONT);
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  pid_t pid() const { return pid_; }

  // The next line of its stdout, without the newline; false after
  // `timeout_ms` without one, or at its end.
  bool NextLine(std::string* line, int timeout_ms) {
    size_t nl;
    while ((nl = buffer_.find('\n', scanned_)) == std::string::npos) {
      scanned_ = buffer_.size();
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms) != 1) return false;
      char chunk[65536];
      const ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    line->assign(buffer_, start_, nl - start_);
    start_ = scanned_ = nl + 1;
    if (start_ > (1u << 20)) {
      buffer_.erase(0, start_);
      start_ = scanned_ = 0;
    }
    return true;
  }

 private:
  Child() = default;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;
  size_t start_ = 0, scanned_ = 0;
};

// `vap sandbox --uevents -- udevadm monitor --kernel [--property]`, ready
// (its banner printed) when returned.
std::unique_ptr<Child> SandboxMonitor(const Vapd& v, bool property) {
  std::vector<std::string> args = {VAP_CLI_PATH, "--socket", v.socket(), "sandbox",
                                   "--mount", v.mount(), "--uevents", "--",
                                   "/usr/bin/udevadm", "monitor", "--kernel"};
  if (property) args.push_back("--property");
  std::unique_ptr<Child> c = Child::Spawn(args, v.dir() + "/sandbox.log");
  std::string line;
  while (c && c->NextLine(&line, 10000)) {
    if (line.rfind("KERNEL - ", 0) == 0) return c;
  }
  return nullptr;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void BM_UeventLatency(benchmark::State& state) {
  std::unique_ptr<Vapd> v = geteuid() == 0 ? Vapd::Start("builtin:default") : nullptr;
  std::unique_ptr<Child> mon = v ? SandboxMonitor(*v, false) : nullptr;
  if (!mon) {
    state.SkipWithError("needs root, a vapd mount and udevadm");
    return;
  }
  std::vector<double> latency, store;
  std::string line;
  for (auto _ : state) {
    const SteadyClock::time_point t0 = SteadyClock::now();
    if (!v->Store("devices/ap/card04/uevent", "change\n")) {
      state.SkipWithError("store failed");
      break;
    }
    const SteadyClock::time_point t1 = SteadyClock::now();
    bool seen = false;
    while (!seen && mon->NextLine(&line, 5000))
      seen = line.find("change   /devices/ap/card04 (ap)") != std::string::npos;
    if (!seen) {
      state.SkipWithError("the monitor did not print the event");
      break;
    }
    const double us = duration<double, std::micro>(SteadyClock::now() - t1).count();
    state.SetIterationTime(us / 1e6);
    latency.push_back(us);
    store.push_back(duration<double, std::micro>(t1 - t0).count());
  }
  state.counters["p50_us"] = Percentile(latency, 0.50);
  state.counters["p99_us"] = Percentile(latency, 0.99);
  state.counters["store_p50_us"] = Percentile(store, 0.50);
}
BENCHMARK(BM_UeventLatency)
    ->Unit(benchmark::kMicrosecond)
    ->UseManualTime()
    ->Iterations(2000);

// What a stopped `vap monitor` said it lost once let go ("N events lost").
double StoppedLoss(Child& stopped, const std::string& err_file) {
  kill(stopped.pid(), SIGCONT);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  FILE* f = std::fopen(err_file.c_str(), "r");
  if (f == nullptr) return -1;
  char line[256];
  double lost = 0;
  unsigned long long n = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "vap: monitor: %llu events lost", &n) == 1)
      lost += static_cast<double>(n);
  }
  std::fclose(f);
  return lost;
}

void BM_UeventRebindFull(benchmark::State& state) {
  constexpr uint64_t kExpected = 2 * 65536 + 2;
  std::unique_ptr<Vapd> v = geteuid() == 0 ? Vapd::Start("builtin:full") : nullptr;
  std::unique_ptr<Child> mon = v ? SandboxMonitor(*v, true) : nullptr;
  if (!mon) {
    state.SkipWithError("needs root, a vapd mount and udevadm");
    return;
  }
  const std::string stopped_err = v->dir() + "/stopped.err";
  std::unique_ptr<Child> stopped = Child::Spawn(
      {VAP_CLI_PATH, "--socket", v->socket(), "monitor", "--property"},
      stopped_err, "/dev/null");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(stopped->pid(), SIGSTOP);
  uint64_t events = 0, gaps = 0, last_seq = 0;
  double store_s = 0, total_s = 0;
  for (auto _ : state) {
    const SteadyClock::time_point t0 = SteadyClock::now();
    if (!v->Store("bus/ap/apmask", "0\n")) {
      state.SkipWithError("store failed");
      break;
    }
    store_s = duration<double>(SteadyClock::now() - t0).count();
    SteadyClock::time_point last = t0;
    std::string line;
    while (events < kExpected && mon->NextLine(&line, 10000)) {
      if (line.rfind("SEQNUM=", 0) != 0) continue;
      const uint64_t seq = std::stoull(line.substr(7));
      if (last_seq != 0 && seq != last_seq + 1) ++gaps;
      last_seq = seq;
      ++events;
      last = SteadyClock::now();
    }
    total_s = duration<double>(last - t0).count();
    state.SetIterationTime(total_s);
  }
  state.counters["events"] = static_cast<double>(events);
  state.counters["lost"] = static_cast<double>(kExpected - events);
  state.counters["gaps"] = static_cast<double>(gaps);
  state.counters["events_per_s"] = total_s > 0 ? static_cast<double>(events) / total_s : 0;
  state.counters["store_s"] = store_s;
  state.counters["rss_mib"] = v->peak_rss_mib();
  state.counters["stopped_lost"] = StoppedLoss(*stopped, stopped_err);
}
BENCHMARK(BM_UeventRebindFull)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(1);

}  // namespace
}  // namespace vap
