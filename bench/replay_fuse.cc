#include "replay_fuse.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>

namespace vap::bench {
namespace {

constexpr double kCacheSeconds = 3600;  // as the mount's

ReplayFuse& Self(fuse_req_t req) {
  return *static_cast<ReplayFuse*>(fuse_req_userdata(req));
}

struct stat StatOf(const ReplayFuse::Node& n, uint64_t ino) {
  struct stat st {};
  st.st_ino = ino;
  st.st_mode = n.mode;
  st.st_nlink = S_ISDIR(n.mode) ? 2 : 1;
  st.st_size = S_ISREG(n.mode) ? 4096 : 0;
  st.st_blksize = 4096;
  return st;
}

fuse_entry_param EntryOf(const ReplayFuse::Node& n, uint64_t ino) {
  fuse_entry_param e{};
  e.ino = ino;
  e.attr = StatOf(n, ino);
  e.attr_timeout = kCacheSeconds;
  e.entry_timeout = kCacheSeconds;
  return e;
}

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  const ReplayFuse::Node* dir = Self(req).Get(parent);
  auto it = dir == nullptr ? decltype(dir->children)::const_iterator{}
                           : dir->children.find(name);
  if (dir == nullptr || it == dir->children.end())
    return (void)fuse_reply_err(req, ENOENT);
  const fuse_entry_param e = EntryOf(*Self(req).Get(it->second), it->second);
  fuse_reply_entry(req, &e);
}

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  const ReplayFuse::Node* n = Self(req).Get(ino);
  if (n == nullptr) return (void)fuse_reply_err(req, ENOENT);
  const struct stat st = StatOf(*n, ino);
  fuse_reply_attr(req, &st, kCacheSeconds);
}

void ReadLink(fuse_req_t req, fuse_ino_t ino) {
  const ReplayFuse::Node* n = Self(req).Get(ino);
  if (n == nullptr || !S_ISLNK(n->mode)) return (void)fuse_reply_err(req, EINVAL);
  fuse_reply_readlink(req, n->data.c_str());
}

void OpenDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  fuse_reply_open(req, fi);
}

// "." and "..", then the children in name order; with `plus`, each with
// its lookup answer (as the mount's READDIRPLUS).
void List(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
  const ReplayFuse::Node* dir = Self(req).Get(ino);
  if (dir == nullptr) return (void)fuse_reply_err(req, ENOENT);
  std::vector<std::pair<std::string, uint64_t>> entries = {{".", ino},
                                                           {"..", dir->parent}};
  entries.insert(entries.end(), dir->children.begin(), dir->children.end());
  std::string buf(size, '\0');
  size_t used = 0;
  for (size_t i = static_cast<size_t>(std::max<off_t>(off, 0)); i < entries.size(); ++i) {
    const auto& [name, child] = entries[i];
    const fuse_entry_param e = EntryOf(*Self(req).Get(child), i < 2 ? 0 : child);
    const size_t n =
        plus ? fuse_add_direntry_plus(req, buf.data() + used, size - used,
                                      name.c_str(), &e, static_cast<off_t>(i + 1))
             : fuse_add_direntry(req, buf.data() + used, size - used,
                                 name.c_str(), &e.attr, static_cast<off_t>(i + 1));
    if (n > size - used) break;
    used += n;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  List(req, ino, size, off, false);
}
void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  List(req, ino, size, off, true);
}

void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  const ReplayFuse::Node* n = Self(req).Get(ino);
  if (n == nullptr) return (void)fuse_reply_err(req, ENOENT);
  if ((fi->flags & O_ACCMODE) != O_RDONLY) return (void)fuse_reply_err(req, EACCES);
  fi->direct_io = 1;
  fuse_reply_open(req, fi);
}

void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  const ReplayFuse::Node* n = Self(req).Get(ino);
  if (n == nullptr) return (void)fuse_reply_err(req, ENOENT);
  const size_t at = std::min(static_cast<size_t>(std::max<off_t>(off, 0)), n->data.size());
  fuse_reply_buf(req, n->data.data() + at, std::min(size, n->data.size() - at));
}

void Done(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }
void Forget(fuse_req_t req, fuse_ino_t, uint64_t) { fuse_reply_none(req); }

const fuse_lowlevel_ops& Operations() {
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.lookup = Lookup;
    o.forget = Forget;
    o.getattr = GetAttr;
    o.readlink = ReadLink;
    o.opendir = OpenDir;
    o.readdir = ReadDir;
    o.readdirplus = ReadDirPlus;
    o.releasedir = Done;
    o.open = Open;
    o.read = Read;
    o.release = Done;
    return o;
  }();
  return ops;
}

}  // namespace

uint64_t ReplayFuse::Load(const std::string& path, uint64_t parent) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return 0;
  nodes_.push_back(Node{st.st_mode, "", parent, {}});
  const uint64_t ino = nodes_.size();
  if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    const ssize_t n = readlink(path.c_str(), buf, sizeof buf);
    if (n > 0) nodes_[ino - 1].data.assign(buf, static_cast<size_t>(n));
  } else if (S_ISREG(st.st_mode)) {
    std::ifstream in(path, std::ios::binary);
    nodes_[ino - 1].data.assign(std::istreambuf_iterator<char>(in), {});
  } else if (S_ISDIR(st.st_mode)) {
    std::vector<std::string> names;
    if (DIR* d = opendir(path.c_str())) {
      while (dirent* e = readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
      }
      closedir(d);
    }
    for (const std::string& name : names) {
      const uint64_t child = Load(path + "/" + name, ino);
      if (child != 0) nodes_[ino - 1].children[name] = child;
    }
  }
  return ino;
}

std::unique_ptr<ReplayFuse> ReplayFuse::Start(const std::string& from) {
  std::unique_ptr<ReplayFuse> r(new ReplayFuse());
  if (r->Load(from, 1) != 1) return nullptr;
  char tmpl[] = "/tmp/vap-bench-replay.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return nullptr;
  r->mount_ = tmpl;
  const char* argv[] = {"vap-replay", "-o", "fsname=vapref,default_permissions"};
  fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
  r->session_ = fuse_session_new(&args, &Operations(), sizeof(fuse_lowlevel_ops), r.get());
  if (r->session_ == nullptr) return nullptr;
  if (fuse_session_mount(r->session_, r->mount_.c_str()) != 0 ||
      fuse_session_custom_io(r->session_, &fuse::SpinningIo<ReplayFuse>(),
                             fuse_session_fd(r->session_)) != 0) {
    fuse_session_destroy(r->session_);
    r->session_ = nullptr;
    return nullptr;
  }
  fuse_session* se = r->session_;
  r->loop_ = std::thread([se] {
    fuse_loop_config config{};  // as fuse::FuseMount's loop
    config.clone_fd = 0;
    config.max_idle_threads = 10;
    (void)fuse_session_loop_mt(se, &config);
  });
  return r;
}

ReplayFuse::~ReplayFuse() {
  if (session_ != nullptr) {
    fuse_session_exit(session_);
    // Detached, the connection ends and the loop's reads return ENODEV.
    umount2(mount_.c_str(), MNT_DETACH);
    loop_.join();
    fuse_session_unmount(session_);
    fuse_session_destroy(session_);
  }
  if (!mount_.empty()) rmdir(mount_.c_str());
}

}  // namespace vap::bench
