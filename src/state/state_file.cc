#include "state/state_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "base/fd.h"

namespace vap::state {

namespace {

Status SysError(const std::string& what, const std::string& path) {
  const int e = errno;
  return Status::Error(e, fmt::format("{} {}: {}", what, path, strerror(e)));
}

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SysError("write", path);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string DirOf(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

bool TrustedOwner(uid_t uid) { return uid == 0 || uid == geteuid(); }

}  // namespace

Status CheckStatePath(const std::string& path) {
  const std::string dir = DirOf(path);
  struct stat d {};
  if (stat(dir.c_str(), &d) != 0) return SysError("directory", dir);
  if (!TrustedOwner(d.st_uid)) {
    return Status::Error(
        EPERM, fmt::format("directory {} belongs to uid {}: another user "
                           "could replace the state file",
                           dir, d.st_uid));
  }
  const bool others_write = (d.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  if (others_write && (d.st_mode & S_ISVTX) == 0) {
    return Status::Error(
        EPERM, fmt::format("directory {} is writable by other users (mode "
                           "{:o}) and not sticky: they could replace the "
                           "state file; use a directory only vapd's user "
                           "can write",
                           dir, d.st_mode & 07777));
  }
  struct stat f {};
  if (lstat(path.c_str(), &f) == 0 && !TrustedOwner(f.st_uid)) {
    return Status::Error(
        EPERM, fmt::format("{} belongs to uid {}, not to vapd's user",
                           path, f.st_uid));
  }
  return Status::Ok();
}

Result<std::optional<std::string>> ReadStateFile(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the
  // path itself is not a link another user could point elsewhere.
  Fd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    if (errno == ELOOP) {
      return Status::Error(ELOOP, path + " is a symbolic link; give the "
                                         "file's own path");
    }
    return SysError("cannot open", path);
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return SysError("cannot stat", path);
  if (!S_ISREG(st.st_mode))
    return Status::Error(EINVAL, path + " is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxStateFileSize) {
    return Status::Error(
        EFBIG, fmt::format("{} has {} bytes, more than a state file may have "
                           "({} MiB)",
                           path, st.st_size, kMaxStateFileSize >> 20));
  }
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SysError("cannot read", path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxStateFileSize)  // it grew while we read
      return Status::Error(EFBIG, path + " grew past the size limit");
  }
  return std::optional<std::string>(std::move(out));
}

Status WriteStateFile(const std::string& path, const std::string& contents) {
  // mkostemp: O_CREAT|O_EXCL with a random name, so nothing another user
  // placed there (a link, a file of theirs) is opened.
  std::string tmp = path + ".XXXXXX";
  {
    Fd fd(mkostemp(tmp.data(), O_CLOEXEC));
    if (fd.get() < 0) return SysError("cannot create", tmp);
    Status written = WriteAll(fd.get(), contents, tmp);
    if (written.ok() && fchmod(fd.get(), 0600) != 0)
      written = SysError("chmod", tmp);
    if (written.ok() && fsync(fd.get()) != 0) written = SysError("fsync", tmp);
    if (written.ok() && close(fd.Release()) != 0)
      written = SysError("close", tmp);
    if (!written.ok()) {
      unlink(tmp.c_str());
      return written;
    }
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = SysError("rename to", path);
    unlink(tmp.c_str());
    return s;
  }
  const std::string dir = DirOf(path);
  Fd d(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0) return SysError("cannot open directory", dir);
  if (fsync(d.get()) != 0) return SysError("fsync", dir);
  return Status::Ok();
}

}  // namespace vap::state
