#include "daemon/guest_mounts.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <vector>

namespace vap::daemon {

GuestMounts::GuestMounts(System& system, std::string base,
                         fuse::MountOptions options)
    : system_(system), base_(std::move(base)), options_(std::move(options)) {}

GuestMounts::~GuestMounts() { UnmountAll(); }

Status GuestMounts::Mount(const std::string& name) {
  VAP_ASSIGN_OR_RETURN(std::shared_ptr<guest::GuestKernel> kernel,
                       system_.GuestKernelOf(name));
  if (mkdir(base_.c_str(), 0755) != 0 && errno != EEXIST)
    return Status::Error(errno, "cannot make " + base_);
  const std::string path = base_ + "/" + name;
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    return Status::Error(errno, "cannot make " + path);
  fuse::MountOptions o = options_;
  o.mountpoint = path;
  auto m = std::make_shared<Mounted>();
  m->kernel = std::move(kernel);
  VAP_ASSIGN_OR_RETURN(m->mount, fuse::FuseMount::Mount(m->kernel->tree(), o));
  MutexLock lock(mu_);
  mounted_[name] = std::move(m);
  return Status::Ok();
}

void GuestMounts::Unmount(const std::string& name) {
  std::shared_ptr<Mounted> m;
  {
    MutexLock lock(mu_);
    auto it = mounted_.find(name);
    if (it == mounted_.end()) return;
    m = std::move(it->second);
    mounted_.erase(it);
  }
  (void)m->mount->Unmount();
  m.reset();
  (void)rmdir((base_ + "/" + name).c_str());
}

void GuestMounts::UnmountAll() {
  std::vector<std::string> names;
  {
    MutexLock lock(mu_);
    for (const auto& [name, m] : mounted_) names.push_back(name);
  }
  for (const std::string& name : names) Unmount(name);
  (void)rmdir(base_.c_str());
}

std::optional<std::string> GuestMounts::PathOf(const std::string& name) const {
  MutexLock lock(mu_);
  if (mounted_.count(name) == 0) return std::nullopt;
  return base_ + "/" + name;
}

}  // namespace vap::daemon
