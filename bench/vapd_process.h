// vapd as a separate process, as users run it: a fresh mount and socket
// in a temporary directory, stopped (SIGTERM) and removed with the object.
// For the benchmarks that go through the mount (vapd_bench.cc,
// uevent_bench.cc); they need root.
#ifndef VAP_BENCH_VAPD_PROCESS_H_
#define VAP_BENCH_VAPD_PROCESS_H_

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

using SteadyClock = std::chrono::steady_clock;

class Vapd {
 public:
  // vapd on `host` with a fresh mount, its delays scaled by `time_scale`;
  // null if it did not answer in 10 s.
  static std::unique_ptr<Vapd> Start(const std::string& host,
                                     const char* time_scale = "0.001") {
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
            "--time-scale", time_scale, "--log-level", "err",
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
  std::string dir() const { return dir_; }
  std::string mount() const { return dir_ + "/sys"; }
  std::string socket() const { return dir_ + "/vapd.sock"; }
  pid_t pid() const { return pid_; }
  double startup_seconds() const {
    return std::chrono::duration<double>(answered_ - started_).count();
  }
  // Resident memory now, and its peak, MiB.
  double rss_mib() const { return StatusMib("VmRSS"); }
  double peak_rss_mib() const { return StatusMib("VmHWM"); }
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
  // A "<field>: N kB" line of /proc/PID/status, in MiB; 0 if absent.
  double StatusMib(const std::string& field) const {
    FILE* f = std::fopen(("/proc/" + std::to_string(pid_) + "/status").c_str(), "r");
    if (f == nullptr) return 0;
    const std::string format = field + ": %ld kB";
    char line[256];
    long kib = 0;
    while (std::fgets(line, sizeof line, f) != nullptr) {
      if (std::sscanf(line, format.c_str(), &kib) == 1) break;
    }
    std::fclose(f);
    return static_cast<double>(kib) / 1024.0;
  }
  std::string dir_;
  pid_t pid_ = -1;
  SteadyClock::time_point started_, answered_;
};

}  // namespace vap

#endif  // VAP_BENCH_VAPD_PROCESS_H_
