#include "cli/sandbox.h"

#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include "base/fd.h"
#include "cli/exec.h"
#include "cli/sandbox_udev.h"
#include "cli/uevent_forwarder.h"
#include "cli/uevent_netns.h"

namespace vap::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kEtcMdevctl = "/etc/mdevctl.d";

int Fail(const std::string& what) {
  fmt::print(stderr, "vap sandbox: {}\n", what);
  return 1;
}

std::string Errno(const std::string& what) {
  return fmt::format("{}: {}", what, strerror(errno));
}

// The folders mdevctl 1.2.0 checks for at start (it refuses to run
// without them, naming a packaging error).
bool PrepareMdevctlDir(const std::string& dir, std::string* error) {
  std::error_code ec;
  for (const char* sub : {"scripts.d/callouts", "scripts.d/notifiers"}) {
    fs::create_directories(fs::path(dir) / sub, ec);
    if (ec) {
      *error = fmt::format("cannot create {}/{}: {}", dir, sub, ec.message());
      return false;
    }
  }
  return true;
}

// In the child, inside the new namespace. Without an /etc/mdevctl.d to
// mount over, /etc becomes an overlay whose upper layer is a tmpfs in
// the namespace, and mdevctl.d is made there.
bool MakeEtcMdevctl(const std::string& staging, std::string* error) {
  struct stat st;
  if (stat(kEtcMdevctl, &st) == 0 && S_ISDIR(st.st_mode)) return true;
  if (mount("vap-sandbox", staging.c_str(), "tmpfs", 0, "mode=0755") != 0) {
    *error = Errno("tmpfs on " + staging);
    return false;
  }
  const std::string upper = staging + "/upper", work = staging + "/work";
  if (mkdir(upper.c_str(), 0755) != 0 || mkdir(work.c_str(), 0755) != 0 ||
      mkdir((upper + "/mdevctl.d").c_str(), 0755) != 0) {
    *error = Errno("staging directories");
    return false;
  }
  const std::string opts =
      fmt::format("lowerdir=/etc,upperdir={},workdir={}", upper, work);
  if (mount("vap-sandbox", "/etc", "overlay", 0, opts.c_str()) != 0) {
    *error = Errno("overlay on /etc");
    return false;
  }
  return true;
}

// The command a SIGTERM or SIGHUP to the sandbox is passed on to.
volatile sig_atomic_t g_command = 0;

void PassOn(int sig) {
  if (g_command > 0) kill(static_cast<pid_t>(g_command), sig);
}

int WaitFor(pid_t pid) {
  // As system(3): the terminal's signals reach the command; the sandbox
  // waits for it and cleans up after it. A SIGTERM or SIGHUP sent to the
  // sandbox alone (kill, a supervisor) is passed on, so the command and
  // udevd end with it instead of being left behind.
  struct sigaction ignore {}, pass{}, old_int{}, old_quit{}, old_term{}, old_hup{};
  ignore.sa_handler = SIG_IGN;
  pass.sa_handler = PassOn;
  g_command = pid;
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  sigaction(SIGTERM, &pass, &old_term);
  sigaction(SIGHUP, &pass, &old_hup);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  g_command = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

[[noreturn]] void Die(const std::string& what) {
  fmt::print(stderr, "vap sandbox: {}\n", what);
  _exit(1);
}

// With --udev the sandbox's first process stays: it starts udevd, runs
// CMD, and stops udevd when CMD is done.
[[noreturn]] void Supervise(const SandboxOptions& o) {
  if (Status s = PrepareUdev(o.udev_rules); !s.ok()) Die(s.message());
  if (Status s = StartUdev(); !s.ok()) {
    StopUdev();
    Die(s.message());
  }
  const pid_t pid = fork();
  if (pid == 0) ExecOrExit127(o.command);
  const int rc = pid < 0 ? (fmt::print(stderr, "vap sandbox: fork: {}\n",
                                       strerror(errno)),
                            1)
                         : WaitFor(pid);
  StopUdev();
  _exit(rc);
}

[[noreturn]] void Child(const SandboxOptions& o, const std::string& mdevctl,
                        const std::string& staging, int netns) {
  std::string error;
  if (netns >= 0 && setns(netns, CLONE_NEWNET) != 0)
    Die(Errno("joining the sandbox's network namespace"));
  if (unshare(CLONE_NEWNS) != 0)
    Die(Errno("a private mount namespace needs root (CAP_SYS_ADMIN)"));
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    Die(Errno("making / private"));
  const std::string sys = fs::absolute(o.mount).string();
  if (mount(sys.c_str(), "/sys", nullptr, MS_BIND | MS_REC, nullptr) != 0)
    Die(Errno("bind " + sys + " over /sys"));
  if (!MakeEtcMdevctl(staging, &error)) Die(error);
  if (mount(mdevctl.c_str(), kEtcMdevctl, nullptr, MS_BIND, nullptr) != 0)
    Die(Errno(fmt::format("bind {} over {}", mdevctl, kEtcMdevctl)));
  // libudev (sd-device) reads a device only from a real sysfs: it checks
  // the file system's magic number, which a FUSE mount cannot give, and
  // skips the check with this set (systemd's docs/ENVIRONMENT.md).
  if (setenv("SYSTEMD_DEVICE_VERIFY_SYSFS", "0", /*overwrite=*/1) != 0)
    Die(Errno("setenv"));
  if (o.udev) Supervise(o);
  ExecOrExit127(o.command);
}

std::string MakeTempDir(const char* name) {
  const char* base = getenv("TMPDIR");
  std::string tmpl = fmt::format("{}/{}.XXXXXX", base && *base ? base : "/tmp",
                                 name);
  if (mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

// The sandbox's network namespace, and the forwarder subscribed to
// vapd's uevents that sends them there.
Result<Fd> StartUevents(const SandboxOptions& o,
                        std::unique_ptr<UeventForwarder>* forwarder) {
  VAP_ASSIGN_OR_RETURN(Fd netns, MakeUeventNetns());
  VAP_ASSIGN_OR_RETURN(UeventNetlink netlink, UeventNetlink::Open(netns));
  VAP_ASSIGN_OR_RETURN(*forwarder,
                       UeventForwarder::Subscribe(o.socket, std::move(netlink),
                                                  o.guest));
  return netns;
}

int RunIn(const SandboxOptions& o, const std::string& mdevctl,
          const std::string& staging) {
  std::unique_ptr<UeventForwarder> forwarder;
  Fd netns;
  if (o.uevents || o.udev) {
    Result<Fd> ns = StartUevents(o, &forwarder);
    if (!ns.ok()) return Fail("--uevents: " + ns.status().message());
    netns = std::move(*ns);
  }
  const pid_t pid = fork();
  if (pid == 0) Child(o, mdevctl, staging, netns.get());
  if (pid < 0) return Fail(Errno("fork"));
  if (forwarder) forwarder->Start();
  return WaitFor(pid);
}

}  // namespace

int RunSandbox(const SandboxOptions& o) {
  if (o.command.empty()) return Fail("no command (vap sandbox -- CMD...)");
  std::error_code ec;
  if (!fs::is_directory(o.mount, ec))
    return Fail(fmt::format("--mount {}: not a directory", o.mount));
  // A guest without AP instructions has no bus/ap: that is what it shows.
  if (o.guest.empty() && !fs::exists(fs::path(o.mount) / "bus/ap", ec)) {
    return Fail(fmt::format("--mount {}: no bus/ap there; is it vapd's mount?",
                            o.mount));
  }
  if (!o.udev_rules.empty() && !fs::is_directory(o.udev_rules, ec))
    return Fail(fmt::format("--udev-rules {}: not a directory", o.udev_rules));
  const bool fresh = o.mdevctl_dir.empty();
  const std::string mdevctl =
      fresh ? MakeTempDir("vap-mdevctl") : fs::absolute(o.mdevctl_dir).string();
  if (mdevctl.empty()) return Fail(Errno("cannot make a temporary directory"));
  const std::string staging = MakeTempDir("vap-sandbox");
  std::string error;
  int rc = 1;
  if (staging.empty()) {
    rc = Fail(Errno("cannot make a temporary directory"));
  } else if (!PrepareMdevctlDir(mdevctl, &error)) {
    rc = Fail(error);
  } else {
    rc = RunIn(o, mdevctl, staging);
  }
  if (!staging.empty()) fs::remove_all(staging, ec);
  if (fresh) fs::remove_all(mdevctl, ec);
  return rc;
}

}  // namespace vap::cli
