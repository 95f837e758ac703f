#include "cli/sandbox_udev.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "cli/exec.h"

namespace vap::cli {

namespace {

// udev v252 reads rules from these, the first name found winning.
constexpr const char* kRulesDirs[] = {"/etc/udev/rules.d", "/run/udev/rules.d",
                                      "/usr/local/lib/udev/rules.d",
                                      "/usr/lib/udev/rules.d",
                                      "/lib/udev/rules.d"};
// The coldplug waits for every event; a tree as big as builtin:full's
// takes minutes.
constexpr int kToolSeconds = 600;

Status SysError(const std::string& what) {
  const int e = errno;
  return Status::Error(e, fmt::format("{}: {}", what, strerror(e)));
}

bool IsDir(const char* path) {
  struct stat st {};
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// The nodes a process expects in any /dev.
Status MakeDev() {
  if (mount("vap-sandbox", "/dev", "tmpfs", MS_NOSUID, "mode=0755") != 0)
    return SysError("tmpfs on /dev");
  struct Node {
    const char* name;
    unsigned major, minor;
  };
  for (const Node& n : {Node{"null", 1, 3}, Node{"zero", 1, 5},
                        Node{"full", 1, 7}, Node{"random", 1, 8},
                        Node{"urandom", 1, 9}, Node{"tty", 5, 0}}) {
    const std::string path = fmt::format("/dev/{}", n.name);
    if (mknod(path.c_str(), S_IFCHR | 0666, makedev(n.major, n.minor)) != 0 ||
        chmod(path.c_str(), 0666) != 0)
      return SysError("mknod " + path);
  }
  const char* links[][2] = {{"/proc/self/fd", "/dev/fd"},
                            {"/proc/self/fd/0", "/dev/stdin"},
                            {"/proc/self/fd/1", "/dev/stdout"},
                            {"/proc/self/fd/2", "/dev/stderr"}};
  for (const auto& l : links) {
    if (symlink(l[0], l[1]) != 0) return SysError(fmt::format("symlink {}", l[1]));
  }
  if (mkdir("/dev/shm", 01777) != 0 || chmod("/dev/shm", 01777) != 0)
    return SysError("mkdir /dev/shm");
  return Status::Ok();
}

Status MakeRun() {
  if (mount("vap-sandbox", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
    return SysError("tmpfs on /run");
  if (mkdir("/run/lock", 01777) != 0 || chmod("/run/lock", 01777) != 0 ||
      mkdir("/run/udev", 0755) != 0 || mkdir("/run/udev/rules.d", 0755) != 0)
    return SysError("directories in /run");
  return Status::Ok();
}

// Only `dir`'s rules: every other rules directory is hidden under an
// empty tmpfs, and `dir` is bound over /etc/udev/rules.d.
Status UseOnlyRules(const std::string& dir) {
  for (const char* d : kRulesDirs) {
    if (std::strcmp(d, "/etc/udev/rules.d") == 0 || !IsDir(d)) continue;
    if (mount("vap-sandbox", d, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
      return SysError(fmt::format("tmpfs on {}", d));
  }
  if (!IsDir("/etc/udev/rules.d"))
    return Status::Error(ENOENT, "no /etc/udev/rules.d to put --udev-rules at");
  if (mount(dir.c_str(), "/etc/udev/rules.d", nullptr, MS_BIND, nullptr) != 0)
    return SysError(fmt::format("bind {} over /etc/udev/rules.d", dir));
  return Status::Ok();
}

// Runs ARGV, waiting at most kToolSeconds.
Status RunTool(const std::vector<std::string>& args) {
  const std::string line = fmt::format("{}", fmt::join(args, " "));
  const pid_t pid = fork();
  if (pid < 0) return SysError("fork");
  if (pid == 0) ExecOrExit127(args);
  timespec start{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
      return Status::Error(EIO, fmt::format("`{}` failed (status {})", line, status));
    }
    if (done < 0 && errno != EINTR) return SysError("waitpid");
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= kToolSeconds) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return Status::Error(ETIMEDOUT, fmt::format("`{}` did not finish in {} s",
                                                  line, kToolSeconds));
    }
    usleep(10000);
  }
}

}  // namespace

Status PrepareUdev(const std::string& rules_dir) {
  if (access(kSystemdUdevd, X_OK) != 0) {
    return Status::Error(ENOENT, fmt::format("{} not found: --udev needs the "
                                             "udev package",
                                             kSystemdUdevd));
  }
  VAP_RETURN_IF_ERROR(MakeRun());
  VAP_RETURN_IF_ERROR(MakeDev());
  if (!rules_dir.empty()) return UseOnlyRules(rules_dir);
  // Masked in /run, which comes before the rule's own directory.
  if (symlink("/dev/null", "/run/udev/rules.d/80-drivers.rules") != 0)
    return SysError("masking 80-drivers.rules");
  return Status::Ok();
}

Status StartUdev() {
  // --daemon returns once the control socket answers, so clients started
  // after it find udevd (libudev turns a "udev" monitor off otherwise).
  // Only its warnings, unless the user asked for more.
  const bool quiet = setenv("SYSTEMD_LOG_LEVEL", "warning", 0) == 0 &&
                     std::strcmp(getenv("SYSTEMD_LOG_LEVEL"), "warning") == 0;
  const Status started = RunTool({kSystemdUdevd, "--daemon"});
  if (quiet) unsetenv("SYSTEMD_LOG_LEVEL");
  VAP_RETURN_IF_ERROR(started);
  VAP_RETURN_IF_ERROR(RunTool(
      {"udevadm", "trigger", "--type=subsystems", "--action=add", "--settle"}));
  return RunTool(
      {"udevadm", "trigger", "--type=devices", "--action=add", "--settle"});
}

void StopUdev() {
  const Status s = RunTool({"udevadm", "control", "--exit"});
  if (!s.ok()) fmt::print(stderr, "vap sandbox: stopping udevd: {}\n", s.message());
}

}  // namespace vap::cli
