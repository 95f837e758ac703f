#include "fuse/fuse_mount.h"

#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "fuse/fuse_ops.h"

namespace vap::fuse {

Result<std::unique_ptr<FuseMount>> FuseMount::Mount(
    sysfs::Tree& tree, const MountOptions& options) {
  struct stat st {};
  if (options.mountpoint.empty())
    return Status::Error(EINVAL, "no mount point given");
  if (stat(options.mountpoint.c_str(), &st) != 0)
    return Status::Error(errno, "mount point " + options.mountpoint);
  if (!S_ISDIR(st.st_mode))
    return Status::Error(ENOTDIR, "mount point " + options.mountpoint);

  std::string opts = "fsname=vap,subtype=vap,default_permissions";
  if (options.allow_other) opts += ",allow_other";
  std::vector<std::string> argv_s = {"vapd", "-o", opts};
  if (options.debug) argv_s.push_back("-d");
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  struct ::fuse* f =
      fuse_new(&args, &SysfsOperations(), sizeof(fuse_operations), &tree);
  fuse_opt_free_args(&args);  // fuse_new may have copied them
  if (f == nullptr) return Status::Error(EIO, "fuse_new failed");
  if (fuse_mount(f, options.mountpoint.c_str()) != 0) {
    fuse_destroy(f);
    return Status::Error(EIO, "cannot mount at " + options.mountpoint);
  }
  return std::unique_ptr<FuseMount>(new FuseMount(f, options.mountpoint));
}

FuseMount::FuseMount(struct ::fuse* f, std::string mountpoint)
    : fuse_(f), mountpoint_(std::move(mountpoint)) {
  loop_ = std::thread([f] {
    fuse_loop_config config{};
    config.clone_fd = 0;
    config.max_idle_threads = 10;
    (void)fuse_loop_mt(f, &config);
  });
}

FuseMount::~FuseMount() { Unmount(); }

namespace {

// Detaches the mount: the kernel then ends the FUSE connection, and the
// loop's reads of /dev/fuse return ENODEV.
void DetachMount(const std::string& mountpoint) {
  if (geteuid() == 0) {
    if (umount2(mountpoint.c_str(), MNT_DETACH) == 0) return;
  }
  // As a user: fusermount3 -u -z, as libfuse itself would.
  const char* argv[] = {"fusermount3",      "-u",   "-z", "-q",
                        mountpoint.c_str(), nullptr};
  pid_t pid;
  if (posix_spawnp(&pid, "fusermount3", nullptr, nullptr,
                   const_cast<char* const*>(argv), environ) == 0) {
    int status;
    waitpid(pid, &status, 0);
  }
}

}  // namespace

void FuseMount::Unmount() {
  if (!mounted_) return;
  mounted_ = false;
  // The loop's threads sit in read() on /dev/fuse. Unmount first, so that
  // the kernel ends the connection and the reads return; only then does
  // fuse_unmount close the fd (closing it under a reader is a race).
  fuse_exit(fuse_);
  DetachMount(mountpoint_);
  loop_.join();
  fuse_unmount(fuse_);
  fuse_destroy(fuse_);
}

}  // namespace vap::fuse
