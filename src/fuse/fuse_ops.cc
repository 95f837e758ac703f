#include "fuse/fuse_ops.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/mutex.h"
#include "sysfs/tree.h"

namespace vap::fuse {

// An open attribute, as kernfs_open_file: the node, and the seq_file
// buffer of the last show. libfuse's workers serve one open file from
// several threads at once (concurrent pread on one fd), so every read and
// write of the handle holds its mutex, as kernfs holds of->mutex.
struct Handle {
  explicit Handle(sysfs::NodeRef n) : node(std::move(n)) {}
  const sysfs::NodeRef node;
  // Rank kOpenFile: outside every lock a show or store takes.
  Mutex mu{LockRank::kOpenFile, "kernfs_open_file"};
  std::string page VAP_GUARDED_BY(mu);
  bool shown VAP_GUARDED_BY(mu) = false;
  // Where the last read ended: a read there continues in `page`, a read
  // anywhere else shows afresh and skips to its offset (seq_read_iter).
  size_t read_pos VAP_GUARDED_BY(mu) = 0;
};

OpsContext::~OpsContext() {
  MutexLock lock(mu_);
  for (Handle* h : open_) delete h;
}

void OpsContext::Opened(Handle* h) {
  MutexLock lock(mu_);
  open_.insert(h);
}

void OpsContext::Released(Handle* h) {
  {
    MutexLock lock(mu_);
    open_.erase(h);
  }
  delete h;
}

namespace {

OpsContext& TheContext() {
  return *static_cast<OpsContext*>(fuse_get_context()->private_data);
}

sysfs::Tree& TheTree() { return TheContext().tree(); }

Handle* HandleOf(const fuse_file_info* fi) {
  return reinterpret_cast<Handle*>(fi->fh);
}

int Errno(const Status& s) { return -s.errno_value(); }

void* Init(fuse_conn_info* /*conn*/, fuse_config* cfg) {
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  cfg->direct_io = 1;
  cfg->kernel_cache = 0;
  cfg->hard_remove = 1;
  cfg->use_ino = 0;
  return fuse_get_context()->private_data;
}

int GetAttr(const char* path, struct stat* st, fuse_file_info* /*fi*/) {
  Result<sysfs::NodeStat> s = TheTree().GetAttr(path);
  if (!s.ok()) return Errno(s.status());
  std::memset(st, 0, sizeof *st);
  switch (s->type) {
    case sysfs::NodeType::kDir:
      st->st_mode = S_IFDIR | s->mode;
      st->st_nlink = 2;
      break;
    case sysfs::NodeType::kAttribute:
      st->st_mode = S_IFREG | s->mode;
      st->st_nlink = 1;
      break;
    case sysfs::NodeType::kSymlink:
      st->st_mode = S_IFLNK | 0777;
      st->st_nlink = 1;
      break;
  }
  st->st_size = static_cast<off_t>(s->size);
  st->st_blksize = 4096;
  return 0;
}

int ReadLink(const char* path, char* buf, size_t size) {
  Result<std::string> target = TheTree().ReadLink(path);
  if (!target.ok()) return Errno(target.status());
  if (size == 0) return -EINVAL;
  const size_t n = std::min(size - 1, target->size());
  std::memcpy(buf, target->data(), n);
  buf[n] = '\0';
  return 0;
}

int ReadDir(const char* path, void* buf, fuse_fill_dir_t filler,
            off_t /*offset*/, fuse_file_info* /*fi*/,
            fuse_readdir_flags /*flags*/) {
  Result<std::vector<sysfs::DirEntry>> entries = TheTree().List(path);
  if (!entries.ok()) return Errno(entries.status());
  filler(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  filler(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  for (const sysfs::DirEntry& e : *entries) {
    struct stat st {};
    st.st_mode = e.type == sysfs::NodeType::kDir       ? S_IFDIR
                 : e.type == sysfs::NodeType::kSymlink ? S_IFLNK
                                                       : S_IFREG;
    if (filler(buf, e.name.c_str(), &st, 0,
               static_cast<fuse_fill_dir_flags>(0)) != 0) {
      break;
    }
  }
  return 0;
}

int Open(const char* path, fuse_file_info* fi) {
  const int acc = fi->flags & O_ACCMODE;
  const bool read = acc == O_RDONLY || acc == O_RDWR;
  const bool write = acc == O_WRONLY || acc == O_RDWR;
  Result<sysfs::NodeRef> node = TheTree().Open(path, read, write);
  if (!node.ok()) return Errno(node.status());
  auto* h = new Handle(std::move(*node));
  TheContext().Opened(h);
  fi->fh = reinterpret_cast<uint64_t>(h);
  fi->direct_io = 1;  // every read reaches us: values are always fresh
  fi->keep_cache = 0;
  fi->nonseekable = 0;
  return 0;
}

int Read(const char* /*path*/, char* buf, size_t size, off_t offset,
         fuse_file_info* fi) {
  Handle* h = HandleOf(fi);
  if (offset < 0) return -EINVAL;
  const auto off = static_cast<size_t>(offset);
  MutexLock lock(h->mu);
  if (off == 0 || !h->shown || off != h->read_pos) {
    Result<std::string> page = TheTree().Read(h->node);
    if (!page.ok()) return Errno(page.status());
    h->page = std::move(*page);
    h->shown = true;
  }
  const size_t n = off >= h->page.size()
                       ? 0
                       : std::min(size, h->page.size() - off);
  if (n > 0) std::memcpy(buf, h->page.data() + off, n);
  h->read_pos = off + n;
  return static_cast<int>(n);
}

int Write(const char* /*path*/, const char* buf, size_t size, off_t /*offset*/,
          fuse_file_info* fi) {
  Handle* h = HandleOf(fi);
  MutexLock lock(h->mu);  // kernfs_fop_write_iter holds of->mutex too
  Result<size_t> n = TheTree().Write(h->node, std::string_view(buf, size));
  if (!n.ok()) return Errno(n.status());
  return static_cast<int>(*n);
}

int Release(const char* /*path*/, fuse_file_info* fi) {
  TheContext().Released(HandleOf(fi));
  return 0;
}

// O_TRUNC and `: >` reach us as a truncate: sysfs ignores it.
int Truncate(const char* path, off_t /*size*/, fuse_file_info* /*fi*/) {
  return TheTree().GetAttr(path).ok() ? 0 : -ENOENT;
}

int Utimens(const char* path, const struct timespec* /*tv*/,
            fuse_file_info* /*fi*/) {
  return TheTree().GetAttr(path).ok() ? 0 : -ENOENT;
}

int Create(const char* /*path*/, mode_t /*mode*/, fuse_file_info* /*fi*/) {
  return -EACCES;  // kernfs directories have no create
}
int MkDir(const char* /*path*/, mode_t /*mode*/) { return -EPERM; }
int Unlink(const char* /*path*/) { return -EPERM; }
int RmDir(const char* /*path*/) { return -EPERM; }
int Symlink(const char* /*target*/, const char* /*path*/) { return -EPERM; }
int Rename(const char* /*from*/, const char* /*to*/, unsigned /*flags*/) {
  return -EPERM;
}
int Chmod(const char* /*path*/, mode_t /*mode*/, fuse_file_info* /*fi*/) {
  return -EPERM;
}
int Chown(const char* /*path*/, uid_t /*uid*/, gid_t /*gid*/,
          fuse_file_info* /*fi*/) {
  return -EPERM;
}

fuse_operations MakeOperations() {
  fuse_operations ops{};
  ops.init = Init;
  ops.getattr = GetAttr;
  ops.readlink = ReadLink;
  ops.readdir = ReadDir;
  ops.open = Open;
  ops.read = Read;
  ops.write = Write;
  ops.release = Release;
  ops.truncate = Truncate;
  ops.utimens = Utimens;
  ops.create = Create;
  ops.mkdir = MkDir;
  ops.unlink = Unlink;
  ops.rmdir = RmDir;
  ops.symlink = Symlink;
  ops.rename = Rename;
  ops.chmod = Chmod;
  ops.chown = Chown;
  return ops;
}

}  // namespace

const fuse_operations& SysfsOperations() {
  static const fuse_operations ops = MakeOperations();
  return ops;
}

}  // namespace vap::fuse
