#include "fuse/fuse_ops.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>

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

// An open directory: its entries when opened, served by offset.
struct DirHandle {
  std::vector<sysfs::DirEntry> entries;  // ".", "..", then the tree's
};

uint64_t RequestCounts::total() const {
  uint64_t sum = 0;
  for (uint64_t v : n) sum += v;
  return sum;
}

OpsContext::OpsContext(sysfs::Tree& tree, std::chrono::microseconds spin)
    : tree_(tree), inodes_(tree.root()), reader_(spin) {}

OpsContext::~OpsContext() {
  MutexLock lock(mu_);
  for (Handle* h : open_) delete h;
  for (DirHandle* h : open_dirs_) delete h;
}

void OpsContext::OpenedDir(DirHandle* h) {
  MutexLock lock(mu_);
  open_dirs_.insert(h);
}

void OpsContext::ReleasedDir(DirHandle* h) {
  {
    MutexLock lock(mu_);
    open_dirs_.erase(h);
  }
  delete h;
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

void OpsContext::OnEntriesChanged(const sysfs::NodeRef& dir,
                                  std::string_view name) {
  fuse_session* se = session_.load();
  if (se == nullptr || !invalidate_.load()) return;
  const uint64_t dir_id = tree_.Stat(dir).id;
  // Its attributes (the link count) first: the kernel keeps them if no
  // cached name is invalidated below.
  if (!name.empty() && inodes_.Get(dir_id) != nullptr)
    (void)fuse_lowlevel_notify_inval_inode(se, dir_id, -1, 0);
  for (const std::string& n : inodes_.HeldNames(dir_id, name)) {
    // Synchronous: the kernel has dropped the name when this returns
    // (ENOENT if it had already let it go).
    (void)fuse_lowlevel_notify_inval_entry(se, dir_id, n.c_str(), n.size());
  }
}

RequestCounts OpsContext::counts() const {
  RequestCounts out;
  for (size_t i = 0; i < out.n.size(); ++i)
    out.n[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

namespace {

OpsContext& Ctx(fuse_req_t req) {
  return *static_cast<OpsContext*>(fuse_req_userdata(req));
}

Handle* HandleOf(const fuse_file_info* fi) {
  return reinterpret_cast<Handle*>(fi->fh);
}

void ReplyStatus(fuse_req_t req, const Status& s) {
  fuse_reply_err(req, s.ok() ? 0 : s.errno_value());
}

struct stat StatOf(const sysfs::NodeStat& s, uint64_t ino) {
  struct stat st {};
  st.st_ino = ino;
  switch (s.type) {
    case sysfs::NodeType::kDir:
      st.st_mode = S_IFDIR | s.mode;
      break;
    case sysfs::NodeType::kAttribute:
      st.st_mode = S_IFREG | s.mode;
      break;
    case sysfs::NodeType::kSymlink:
      st.st_mode = S_IFLNK | 0777;
      break;
  }
  st.st_nlink = s.nlink;
  st.st_size = static_cast<off_t>(s.size);
  st.st_blksize = 4096;
  const timespec t{static_cast<time_t>(s.created_ns / 1'000'000'000),
                   static_cast<long>(s.created_ns % 1'000'000'000)};
  st.st_atim = st.st_mtim = st.st_ctim = t;
  return st;
}

// The node of `ino` as it is now: a computed entry is looked up again in
// its directory (it may be gone, or a link may point elsewhere); a stored
// one that was removed is gone. ENOENT if gone.
Result<sysfs::NodeRef> Current(OpsContext& c, fuse_ino_t ino) {
  sysfs::NodeRef node = c.inodes().Get(ino);
  if (node == nullptr) return Status::Error(ENOENT, "unknown node");
  if (c.tree().Stat(node).id != 0) {
    if (c.tree().Removed(node)) return Status::Error(ENOENT, "removed");
    return node;
  }
  uint64_t parent;
  std::string name;
  if (!c.inodes().NameOf(ino, &parent, &name))
    return Status::Error(ENOENT, "unknown node");
  sysfs::NodeRef dir = c.inodes().Get(parent);
  if (dir == nullptr) return Status::Error(ENOENT, "unknown directory");
  return c.tree().LookupChild(dir, name);
}

// What LOOKUP (and READDIRPLUS) answers for `name` in directory `dir`
// (node id `parent`): the child as it is now, remembered for the kernel.
// The second look, after remembering, closes the race with a change the
// first look came before: a removal (or a computed entry's change) made
// before the second look is seen by it; one made after finds the name
// remembered and invalidates it, and the kernel applies that after this
// reply (it waits for the directory's inode lock, which the lookup holds).
// ENOENT if gone.
Result<fuse_entry_param> EntryOf(OpsContext& c, fuse_ino_t parent,
                                 const sysfs::NodeRef& dir,
                                 std::string_view name) {
  VAP_ASSIGN_OR_RETURN(sysfs::NodeRef child, c.tree().LookupChild(dir, name));
  const sysfs::NodeStat s = c.tree().Stat(child);
  fuse_entry_param e{};
  e.ino = c.inodes().Remember(parent, name, child, s.id);
  Result<sysfs::NodeRef> again = c.tree().LookupChild(dir, name);
  // A stored node is the same node; a computed one is made afresh.
  const bool same = again.ok() && (s.id != 0 ? *again == child
                                             : c.tree().Stat(*again).type == s.type);
  if (!same) {
    c.inodes().Forget(e.ino, 1);
    return Status::Error(ENOENT, "changed while looked up");
  }
  e.attr = StatOf(s, e.ino);
  e.attr_timeout = kCacheSeconds;
  e.entry_timeout = kCacheSeconds;
  return e;
}

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kLookup);
  sysfs::NodeRef dir = c.inodes().Get(parent);
  if (dir == nullptr) return (void)fuse_reply_err(req, ENOENT);
  Result<fuse_entry_param> e = EntryOf(c, parent, dir, name);
  if (!e.ok()) return ReplyStatus(req, e.status());
  if (fuse_reply_entry(req, &*e) != 0) c.inodes().Forget(e->ino, 1);
}

void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kForget);
  c.inodes().Forget(ino, nlookup);
  fuse_reply_none(req);
}

void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kForget);
  for (size_t i = 0; i < count; ++i)
    c.inodes().Forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* /*fi*/) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kGetattr);
  // An open file's node answers after its removal too (fstat).
  sysfs::NodeRef node = c.inodes().Get(ino);
  if (node == nullptr) return (void)fuse_reply_err(req, ENOENT);
  const struct stat st = StatOf(c.tree().Stat(node), ino);
  fuse_reply_attr(req, &st, kCacheSeconds);
}

// chmod and chown: EPERM (vap's nodes keep their modes); truncation (what
// O_TRUNC becomes without atomic_o_trunc) and times: accepted, ignored.
void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* /*attr*/, int to_set,
             fuse_file_info* /*fi*/) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kSetattr);
  if ((to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) != 0)
    return (void)fuse_reply_err(req, EPERM);
  sysfs::NodeRef node = c.inodes().Get(ino);
  if (node == nullptr) return (void)fuse_reply_err(req, ENOENT);
  const struct stat st = StatOf(c.tree().Stat(node), ino);
  fuse_reply_attr(req, &st, kCacheSeconds);
}

void ReadLink(fuse_req_t req, fuse_ino_t ino) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kReadlink);
  Result<sysfs::NodeRef> node = Current(c, ino);
  if (!node.ok()) return ReplyStatus(req, node.status());
  Result<std::string> target = c.tree().ReadLink(*node);
  if (!target.ok()) return ReplyStatus(req, target.status());
  fuse_reply_readlink(req, target->c_str());
}

void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kOpendir);
  Result<sysfs::NodeRef> node = Current(c, ino);
  if (!node.ok()) return ReplyStatus(req, node.status());
  Result<std::vector<sysfs::DirEntry>> entries = c.tree().List(*node);
  if (!entries.ok()) return ReplyStatus(req, entries.status());
  auto h = std::make_unique<DirHandle>();
  h->entries.reserve(entries->size() + 2);
  h->entries.push_back({".", sysfs::NodeType::kDir, ino});
  uint64_t parent = InodeTable::kRootId;
  std::string unused;
  c.inodes().NameOf(ino, &parent, &unused);
  h->entries.push_back({"..", sysfs::NodeType::kDir, parent});
  for (sysfs::DirEntry& e : *entries) h->entries.push_back(std::move(e));
  fi->fh = reinterpret_cast<uint64_t>(h.get());
  // Counted before the reply: a RELEASEDIR may follow it at once.
  c.OpenedDir(h.get());
  if (fuse_reply_open(req, fi) == 0) {
    (void)h.release();
  } else {
    c.ReleasedDir(h.release());
  }
}

// What readdir gives as an entry's inode number (never 0: the C library
// skips those): a stored node's id; for a computed entry a number from its
// name, in a range of its own.
uint64_t DirentIno(fuse_ino_t dir, const sysfs::DirEntry& e) {
  if (e.id != 0) return e.id;
  const uint64_t h = std::hash<std::string>{}(e.name) ^ (dir * 0x9e3779b97f4a7c15u);
  return (uint64_t{1} << 61) | (h & ((uint64_t{1} << 61) - 1));
}

mode_t TypeBits(sysfs::NodeType t) {
  return t == sysfs::NodeType::kDir       ? S_IFDIR
         : t == sysfs::NodeType::kSymlink ? S_IFLNK
                                          : S_IFREG;
}

void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
             fuse_file_info* fi) {
  Ctx(req).Count(Request::kReaddir);
  const auto* h = reinterpret_cast<const DirHandle*>(fi->fh);
  std::string buf(size, '\0');
  size_t used = 0;
  for (size_t i = static_cast<size_t>(std::max<off_t>(off, 0));
       i < h->entries.size(); ++i) {
    const sysfs::DirEntry& e = h->entries[i];
    struct stat st {};
    st.st_ino = DirentIno(ino, e);
    st.st_mode = TypeBits(e.type);
    const size_t n = fuse_add_direntry(req, buf.data() + used, size - used,
                                       e.name.c_str(), &st,
                                       static_cast<off_t>(i + 1));
    if (n > size - used) break;
    used += n;
  }
  fuse_reply_buf(req, buf.data(), used);
}

// READDIRPLUS: each entry with its LOOKUP answer, so that a walk needs no
// LOOKUP of its own ("." and "..", and an entry gone since the OPENDIR,
// go without: node id 0 tells the kernel nothing). Every entry sent
// counts as a lookup, as LOOKUP's answer does.
void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                 fuse_file_info* fi) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kReaddirplus);
  const auto* h = reinterpret_cast<const DirHandle*>(fi->fh);
  const sysfs::NodeRef dir = c.inodes().Get(ino);
  std::string buf(size, '\0');
  size_t used = 0;
  std::vector<uint64_t> remembered;
  for (size_t i = static_cast<size_t>(std::max<off_t>(off, 0));
       i < h->entries.size(); ++i) {
    const sysfs::DirEntry& d = h->entries[i];
    if (fuse_add_direntry_plus(req, nullptr, 0, d.name.c_str(), nullptr, 0) >
        size - used)
      break;
    fuse_entry_param e{};
    Result<fuse_entry_param> found = Status::Error(ENOENT, "");
    if (i >= 2 && dir != nullptr) found = EntryOf(c, ino, dir, d.name);
    if (found.ok()) {
      e = *found;
      remembered.push_back(e.ino);
    } else {
      e.attr.st_ino = DirentIno(ino, d);
      e.attr.st_mode = TypeBits(d.type);
    }
    used += fuse_add_direntry_plus(req, buf.data() + used, size - used,
                                   d.name.c_str(), &e, static_cast<off_t>(i + 1));
  }
  if (fuse_reply_buf(req, buf.data(), used) != 0) {
    for (uint64_t r : remembered) c.inodes().Forget(r, 1);
  }
}

void ReleaseDir(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kReleasedir);
  c.ReleasedDir(reinterpret_cast<DirHandle*>(fi->fh));
  fuse_reply_err(req, 0);
}

void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kOpen);
  Result<sysfs::NodeRef> node = Current(c, ino);
  if (!node.ok()) return ReplyStatus(req, node.status());
  const int acc = fi->flags & O_ACCMODE;
  const Status ok = c.tree().CheckOpen(*node, acc == O_RDONLY || acc == O_RDWR,
                                       acc == O_WRONLY || acc == O_RDWR);
  if (!ok.ok()) return ReplyStatus(req, ok);
  auto* h = new Handle(std::move(*node));
  c.Opened(h);
  fi->fh = reinterpret_cast<uint64_t>(h);
  fi->direct_io = 1;  // every read reaches us: values are always fresh
  fi->keep_cache = 0;
  fi->nonseekable = 0;
  if (fuse_reply_open(req, fi) != 0) c.Released(h);
}

// Replies go out after the handle's lock is released: once the kernel has
// a reply, the file may be closed and its RELEASE (on another thread) free
// the handle.
void Read(fuse_req_t req, fuse_ino_t /*ino*/, size_t size, off_t offset,
          fuse_file_info* fi) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kRead);
  Handle* h = HandleOf(fi);
  if (offset < 0) return (void)fuse_reply_err(req, EINVAL);
  const auto off = static_cast<size_t>(offset);
  Status failed;
  std::string out;
  {
    MutexLock lock(h->mu);
    if (off == 0 || !h->shown || off != h->read_pos) {
      Result<std::string> page = c.tree().Read(h->node);
      if (page.ok()) {
        h->page = std::move(*page);
        h->shown = true;
      } else {
        failed = page.status();
      }
    }
    if (failed.ok()) {
      const size_t n =
          off >= h->page.size() ? 0 : std::min(size, h->page.size() - off);
      out.assign(h->page, std::min(off, h->page.size()), n);
      h->read_pos = off + n;
    }
  }
  if (!failed.ok()) return ReplyStatus(req, failed);
  fuse_reply_buf(req, out.data(), out.size());
}

void Write(fuse_req_t req, fuse_ino_t /*ino*/, const char* buf, size_t size,
           off_t /*off*/, fuse_file_info* fi) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kWrite);
  Handle* h = HandleOf(fi);
  Result<size_t> n = size_t{0};
  {
    MutexLock lock(h->mu);  // kernfs_fop_write_iter holds of->mutex too
    n = c.tree().Write(h->node, std::string_view(buf, size));
  }
  if (!n.ok()) return ReplyStatus(req, n.status());
  fuse_reply_write(req, *n);
}

void Release(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
  OpsContext& c = Ctx(req);
  c.Count(Request::kRelease);
  c.Released(HandleOf(fi));
  fuse_reply_err(req, 0);
}

// kernfs directories have no create; the rest is EPERM.
void Create(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) {
  Ctx(req).Count(Request::kOther);
  fuse_reply_err(req, EACCES);
}
void MkNod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) {
  Ctx(req).Count(Request::kOther);
  fuse_reply_err(req, EACCES);
}
void MkDir(fuse_req_t req, fuse_ino_t, const char*, mode_t) {
  Ctx(req).Count(Request::kOther);
  fuse_reply_err(req, EPERM);
}
void Unlink(fuse_req_t req, fuse_ino_t, const char*) {
  Ctx(req).Count(Request::kOther);
  fuse_reply_err(req, EPERM);
}
void SymLink(fuse_req_t req, const char*, fuse_ino_t, const char*) {
  Ctx(req).Count(Request::kOther);
  fuse_reply_err(req, EPERM);
}
void Rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*,
            unsigned int) {
  Ctx(req).Count(Request::kOther);
  fuse_reply_err(req, EPERM);
}
void Link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
  Ctx(req).Count(Request::kOther);
  fuse_reply_err(req, EPERM);
}

void Init(void* /*userdata*/, fuse_conn_info* conn) {
  // O_TRUNC comes with the open (ignored there) instead of as a
  // truncation of its own.
  if ((conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) != 0)
    conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
  // READDIRPLUS (libfuse asks for it, in the kernel's "auto" mode, since
  // readdirplus is set): listings carry their entries' lookups.
}

fuse_lowlevel_ops MakeOperations() {
  fuse_lowlevel_ops ops{};
  ops.init = Init;
  ops.lookup = Lookup;
  ops.forget = Forget;
  ops.forget_multi = ForgetMulti;
  ops.getattr = GetAttr;
  ops.setattr = SetAttr;
  ops.readlink = ReadLink;
  ops.opendir = OpenDir;
  ops.readdir = ReadDir;
  ops.readdirplus = ReadDirPlus;
  ops.releasedir = ReleaseDir;
  ops.open = Open;
  ops.read = Read;
  ops.write = Write;
  ops.release = Release;
  ops.create = Create;
  ops.mknod = MkNod;
  ops.mkdir = MkDir;
  ops.unlink = Unlink;
  ops.rmdir = Unlink;
  ops.symlink = SymLink;
  ops.rename = Rename;
  ops.link = Link;
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& SysfsOperations() {
  static const fuse_lowlevel_ops ops = MakeOperations();
  return ops;
}

const fuse_custom_io& SysfsIo() { return SpinningIo<OpsContext>(); }

}  // namespace vap::fuse
