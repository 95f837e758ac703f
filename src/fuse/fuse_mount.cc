#include "fuse/fuse_mount.h"

#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "fuse/fuse_ops.h"

namespace vap::fuse {

namespace {

// Detaches the mount. Nobody holds it: a plain unmount, the connection
// ends as usual. Someone does (a shell with its cwd inside, a process left
// by `vap sandbox`): MNT_FORCE makes the kernel abort the connection
// (fuse_umount_begin() in fs/fuse/inode.c), so the holders get ENOTCONN,
// and MNT_DETACH takes the mount away at once. Either way the loop's
// reads of /dev/fuse then return ENODEV. Without root: fusermount3 -u -z,
// which cannot abort; Unmount() then stops waiting after a grace period.
void DetachMount(const std::string& mountpoint) {
  if (geteuid() == 0) {
    if (umount2(mountpoint.c_str(), 0) == 0) return;
    if (umount2(mountpoint.c_str(), MNT_FORCE | MNT_DETACH) == 0) return;
  }
  const char* argv[] = {"fusermount3",      "-u",   "-z", "-q",
                        mountpoint.c_str(), nullptr};
  pid_t pid;
  if (posix_spawnp(&pid, "fusermount3", nullptr, nullptr,
                   const_cast<char* const*>(argv), environ) == 0) {
    int status;
    waitpid(pid, &status, 0);
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      out += static_cast<char>(
          std::strtol(field.substr(i + 1, 3).c_str(), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

// The absolute path of `dir` without stat()ing its last component (which
// fails with ENOTCONN on a dead FUSE mount).
std::string AbsolutePath(const std::string& dir) {
  std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();  // "a/b/" -> "a/b"
  const std::filesystem::path parent =
      p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
  char resolved[PATH_MAX];
  if (realpath(parent.c_str(), resolved) == nullptr) return p.string();
  return (std::filesystem::path(resolved) / p.filename()).string();
}

// The file system type mounted at `abs`, from /proc/self/mountinfo (the
// last mount there wins); empty if none.
std::string MountTypeAt(const std::string& abs) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line, type;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, root, point, field;
    f >> id >> parent >> devno >> root >> point;
    while (f >> field && field != "-") {
    }
    std::string fstype;
    f >> fstype;
    if (Unescape(point) == abs) type = fstype;
  }
  return type;
}

// A vapd that died (SIGKILL, a crash) leaves its mount behind, and every
// access to it fails with ENOTCONN. If the dead mount is vap's, detach it
// so this vapd can mount there; else say what to run.
Status TakeOverDeadMount(const std::string& mountpoint, bool* took_over) {
  const std::string abs = AbsolutePath(mountpoint);
  const std::string type = MountTypeAt(abs);
  if (type != "fuse.vap") {
    return Status::Error(
        ENOTCONN,
        "mount point " + mountpoint + ": a dead FUSE mount (" +
            (type.empty() ? std::string("unknown") : type) +
            ") is there; detach it with: umount -l " + abs);
  }
  DetachMount(abs);
  struct stat st {};
  if (stat(mountpoint.c_str(), &st) != 0) {
    return Status::Error(errno, "mount point " + mountpoint +
                                    ": the dead mount of a vapd is there and "
                                    "could not be detached; run: umount -l " +
                                    abs);
  }
  *took_over = true;
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<FuseMount>> FuseMount::Mount(
    sysfs::Tree& tree, const MountOptions& options) {
  struct stat st {};
  if (options.mountpoint.empty())
    return Status::Error(EINVAL, "no mount point given");
  bool took_over = false;
  // statfs(2) always asks the file system (stat(2) may be answered from
  // a dead mount's cached attributes): ENOTCONN says it is dead.
  struct statfs fs {};
  if (statfs(options.mountpoint.c_str(), &fs) != 0 && errno == ENOTCONN) {
    VAP_RETURN_IF_ERROR(TakeOverDeadMount(options.mountpoint, &took_over));
  }
  if (stat(options.mountpoint.c_str(), &st) != 0) {
    if (errno != ENOTCONN)
      return Status::Error(errno, "mount point " + options.mountpoint);
    VAP_RETURN_IF_ERROR(TakeOverDeadMount(options.mountpoint, &took_over));
    if (stat(options.mountpoint.c_str(), &st) != 0)
      return Status::Error(errno, "mount point " + options.mountpoint);
  }
  if (!S_ISDIR(st.st_mode))
    return Status::Error(ENOTDIR, "mount point " + options.mountpoint);

  std::string opts = "fsname=vap,subtype=vap,default_permissions";
  if (options.allow_other) opts += ",allow_other";
  std::vector<std::string> argv_s = {"vapd", "-o", opts};
  if (options.debug) argv_s.push_back("-d");
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  auto context = std::make_unique<OpsContext>(tree, options.spin);
  fuse_session* se = fuse_session_new(&args, &SysfsOperations(),
                                      sizeof(fuse_lowlevel_ops), context.get());
  fuse_opt_free_args(&args);  // fuse_session_new may have copied them
  if (se == nullptr) return Status::Error(EIO, "fuse_session_new failed");
  if (fuse_session_mount(se, options.mountpoint.c_str()) != 0) {
    fuse_session_destroy(se);
    return Status::Error(EIO, "cannot mount at " + options.mountpoint);
  }
  // The same descriptor, read through the context's SpinningReader.
  if (fuse_session_custom_io(se, &SysfsIo(), fuse_session_fd(se)) != 0) {
    fuse_session_unmount(se);
    fuse_session_destroy(se);
    return Status::Error(EIO, "fuse_session_custom_io failed");
  }
  context->SetSession(se);
  tree.SetChangeObserver(context.get());
  std::unique_ptr<FuseMount> mount(
      new FuseMount(se, std::move(context), options.mountpoint));
  mount->took_over_dead_mount_ = took_over;
  return mount;
}

FuseMount::FuseMount(fuse_session* se, std::unique_ptr<OpsContext> context,
                     std::string mountpoint)
    : session_(se), context_(std::move(context)),
      mountpoint_(std::move(mountpoint)) {
  // The flag is shared, not a member: a loop left running at Unmount()
  // outlives this object.
  loop_ = std::thread([done = loop_done_, se] {
    fuse_loop_config config{};
    config.clone_fd = 0;
    config.max_idle_threads = 10;
    (void)fuse_session_loop_mt(se, &config);
    done->store(true);
  });
}

FuseMount::~FuseMount() { Unmount(); }

RequestCounts FuseMount::request_counts() const {
  return context_ ? context_->counts() : RequestCounts{};
}

bool FuseMount::Unmount() {
  if (!mounted_) return true;
  mounted_ = false;
  // No more notifications: the tree forgets the mount first.
  context_->tree().SetChangeObserver(nullptr);
  context_->SetSession(nullptr);
  fuse_session_exit(session_);
  DetachMount(mountpoint_);
  // The loop ends once the connection has ended and every request in
  // progress has returned (a store may still be finishing).
  const auto deadline = std::chrono::steady_clock::now() + kLoopGrace;
  while (!loop_done_->load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!loop_done_->load()) {
    // A holder we could not abort (no root) or a request that does not
    // return: leave the loop to the process's exit, which ends the
    // connection. The session and the context stay allocated for the
    // loop's threads.
    loop_.detach();
    (void)context_.release();
    return false;
  }
  loop_.join();
  // Only now is no thread in read() on /dev/fuse: closing it under a
  // reader would be a race.
  fuse_session_unmount(session_);
  fuse_session_destroy(session_);
  context_.reset();  // files the aborted connection never released
  return true;
}

}  // namespace vap::fuse
