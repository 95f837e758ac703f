#include "state/state_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace vap::state {

namespace {

Status SysError(const std::string& what, const std::string& path) {
  const int e = errno;
  return Status::Error(e, fmt::format("{} {}: {}", what, path, strerror(e)));
}

// Closes on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

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

}  // namespace

Result<std::optional<std::string>> ReadStateFile(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return SysError("cannot open", path);
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SysError("cannot read", path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(out));
}

Status WriteStateFile(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  {
    Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0) return SysError("cannot create", tmp);
    VAP_RETURN_IF_ERROR(WriteAll(fd.get(), contents, tmp));
    if (fsync(fd.get()) != 0) return SysError("fsync", tmp);
    if (close(fd.Release()) != 0) return SysError("close", tmp);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) return SysError("rename to", path);
  const std::string dir = DirOf(path);
  Fd d(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0) return SysError("cannot open directory", dir);
  if (fsync(d.get()) != 0) return SysError("fsync", dir);
  return Status::Ok();
}

}  // namespace vap::state
