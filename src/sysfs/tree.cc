#include "sysfs/tree.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <map>
#include <utility>

#include "base/check.h"

namespace vap::sysfs {

// One directory, attribute or symlink; stored in the tree, or transient
// (made by a lookup from a directory's DynamicEntries, never stored).
//
// Lock rule (docs/locking.md S2): `children`, `removed` and `active` are
// guarded by the owning Tree's mu_. clang cannot name another object's
// lock in VAP_GUARDED_BY, so the rule is kept by construction: Node is
// private to this file and those fields are touched only by Tree methods
// holding mu_ (the ...Locked helpers and MutexLock scopes). The other
// fields are set before the node is published and never change.
struct Node {
  Node(NodeType type_in, std::string name_in, uint32_t mode_in)
      : type(type_in), name(std::move(name_in)), mode(mode_in),
        created_ns(NowNs()) {}

  static int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  const NodeType type;
  const std::string name;
  const uint32_t mode;
  const int64_t created_ns;
  uint64_t id = 0;             // set when stored (AddChildLocked)
  ShowFn show;                 // attributes
  StoreFn store;               // attributes
  std::string target;          // symlinks
  std::weak_ptr<Node> parent;  // empty for the root
  bool transient = false;      // computed by the parent's `dynamic`
  // A transient node's parent, kept alive: a computed directory exists
  // only as long as something below it is referenced.
  NodeRef owner;
  std::shared_ptr<const DynamicEntries> dynamic;  // directories
  uint64_t dynamic_key = 0;

  std::map<std::string, NodeRef, std::less<>> children;  // directories
  uint32_t subdirs = 0;        // directories among `children`
  bool removed = false;
  // Callbacks running on this node, and for a stored directory also those
  // on the transient entries below it.
  int active = 0;
};

namespace {

// The node a transient node's callbacks count on and whose removal ends
// it: the nearest stored node at or above it.
const Node* Anchor(const Node* node) {
  while (node->transient && node->owner != nullptr) node = node->owner.get();
  return node;
}

// Node numbers: 1 is the root's; never reused.
std::atomic<uint64_t> g_next_id{2};

// Callbacks this thread is running, innermost last. Removal never waits
// for these: a store may remove the directory it lives in.
thread_local std::vector<const Node*> t_running;

constexpr int kMaxSymlinkFollows = 40;  // the kernel's MAXSYMLINKS
constexpr uint32_t kReadBits = 0444;
constexpr uint32_t kWriteBits = 0222;

Status Error(int errno_value, std::string message) {
  return Status::Error(errno_value, std::move(message));
}

// Splits "a//b/c/" into {"a", "b", "c"}.
std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    const size_t slash = path.find('/', i);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > i) out.push_back(path.substr(i, end - i));
    i = end + 1;
  }
  return out;
}

bool ValidName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

// Counts a callback as running on `node` for its lifetime; the tree's lock
// is held only to count, never while the callback runs.
class Tree::ActiveRef {
 public:
  explicit ActiveRef(const Tree& tree) : tree_(tree) {}
  ~ActiveRef() {
    if (!counted_) return;
    t_running.pop_back();
    MutexLock lock(tree_.mu_);
    --counted_->active;
    --tree_.active_total_;
    if (counted_->removed) tree_.drained_.SignalAll();
  }
  ActiveRef(const ActiveRef&) = delete;
  ActiveRef& operator=(const ActiveRef&) = delete;

  // Counts a callback on `node` (on its Anchor() if transient). ENODEV if
  // the node is gone (kernfs_get_active failing).
  Status Acquire(const NodeRef& node) VAP_EXCLUDES(tree_.mu_) {
    MutexLock lock(tree_.mu_);
    NodeRef counted = node;
    while (counted->transient) counted = counted->owner;
    if (counted->removed || node->removed) {
      return Error(ENODEV, "node was removed");
    }
    ++counted->active;
    ++tree_.active_total_;
    t_running.push_back(counted.get());
    counted_ = std::move(counted);
    return Status::Ok();
  }

 private:
  const Tree& tree_;
  NodeRef counted_;
};

Tree::Tree() : root_(std::make_shared<Node>(NodeType::kDir, "", 0755)) {
  root_->id = 1;
}

Tree::~Tree() {
  MutexLock lock(mu_);
  VAP_CHECK_MSG(active_total_ == 0,
                "sysfs tree destroyed with callbacks running");
}

Result<NodeRef> Tree::AddChildLocked(const NodeRef& parent, NodeRef child) {
  if (!ValidName(child->name)) {
    return Error(EINVAL, "bad sysfs name '" + child->name + "'");
  }
  if (parent->type != NodeType::kDir) {
    return Error(ENOTDIR, PathOfLocked(parent.get()) + " is not a directory");
  }
  if (parent->removed) return Error(ENOENT, "parent directory was removed");
  if (parent->transient) {
    return Error(EINVAL, PathOfLocked(parent.get()) + " is computed");
  }
  auto [it, inserted] = parent->children.try_emplace(child->name, child);
  if (!inserted) {
    return Error(EEXIST,
                 PathOfLocked(parent.get()) + "/" + child->name + " exists");
  }
  child->parent = parent;
  child->id = g_next_id.fetch_add(1, std::memory_order_relaxed);
  if (child->type == NodeType::kDir) ++parent->subdirs;
  return child;
}

Result<NodeRef> Tree::AddChild(const NodeRef& parent, NodeRef child) {
  MutexLock lock(mu_);
  return AddChildLocked(parent, std::move(child));
}

Result<NodeRef> Tree::MakeDir(const NodeRef& parent, std::string_view name,
                              uint32_t mode) {
  auto node = std::make_shared<Node>(NodeType::kDir, std::string(name), mode);
  Result<NodeRef> made = AddChild(parent, std::move(node));
  if (made.ok()) Changed(parent, name);  // its link count
  return made;
}

Result<NodeRef> Tree::MakeDynamicDir(
    const NodeRef& parent, std::string_view name,
    std::shared_ptr<const DynamicEntries> dynamic, uint64_t key) {
  auto node = std::make_shared<Node>(NodeType::kDir, std::string(name), 0755);
  node->dynamic = std::move(dynamic);
  node->dynamic_key = key;
  Result<NodeRef> made = AddChild(parent, std::move(node));
  if (made.ok()) Changed(parent, name);  // its link count
  return made;
}

Result<NodeRef> Tree::MakeDirs(std::string_view path) {
  MutexLock lock(mu_);
  NodeRef dir = root_;
  for (std::string_view name : Components(path)) {
    if (dir->type != NodeType::kDir) return Error(ENOTDIR, std::string(path));
    auto it = dir->children.find(name);
    if (it != dir->children.end()) {
      dir = it->second;
      continue;
    }
    VAP_ASSIGN_OR_RETURN(
        dir, AddChildLocked(dir, std::make_shared<Node>(
                                     NodeType::kDir, std::string(name), 0755)));
  }
  if (dir->type != NodeType::kDir) return Error(ENOTDIR, std::string(path));
  return dir;
}

Result<NodeRef> Tree::AddAttribute(const NodeRef& parent, std::string_view name,
                                   uint32_t mode, ShowFn show, StoreFn store) {
  auto node = std::make_shared<Node>(NodeType::kAttribute, std::string(name),
                                     mode & 0777);
  node->show = std::move(show);
  node->store = std::move(store);
  MutexLock lock(mu_);
  return AddChildLocked(parent, std::move(node));
}

Result<NodeRef> Tree::AddSymlink(const NodeRef& parent, std::string_view name,
                                 std::string_view target) {
  auto node =
      std::make_shared<Node>(NodeType::kSymlink, std::string(name), 0777);
  node->target = std::string(target);
  MutexLock lock(mu_);
  return AddChildLocked(parent, std::move(node));
}

void Tree::DetachSubtreeLocked(const NodeRef& node, std::vector<NodeRef>* out) {
  node->removed = true;
  out->push_back(node);
  for (auto& [name, child] : node->children) DetachSubtreeLocked(child, out);
}

bool Tree::DrainedLocked(const std::vector<NodeRef>& nodes) const {
  for (const NodeRef& node : nodes) {
    const auto own = std::count(t_running.begin(), t_running.end(), node.get());
    if (node->active > own) return false;
  }
  return true;
}

Status Tree::Remove(const NodeRef& node) {
  NodeRef parent;
  {
    MutexLock lock(mu_);
    if (node == root_) return Error(EINVAL, "cannot remove the root");
    if (node->removed) return Error(ENOENT, "already removed");
    std::vector<NodeRef> removed;
    DetachSubtreeLocked(node, &removed);
    parent = node->parent.lock();
    if (parent != nullptr) {
      parent->children.erase(node->name);
      if (node->type == NodeType::kDir) --parent->subdirs;
    }
    while (!DrainedLocked(removed)) drained_.Wait(mu_);
  }
  if (parent != nullptr) Changed(parent, node->name);
  return Status::Ok();
}

Status Tree::Remove(std::string_view path) {
  VAP_ASSIGN_OR_RETURN(NodeRef node, Lookup(path, /*follow_last=*/false));
  return Remove(node);
}

NodeRef Tree::Child(const NodeRef& dir, std::string_view name) const {
  {
    MutexLock lock(mu_);
    if (Anchor(dir.get())->removed) return nullptr;
    auto it = dir->children.find(name);
    if (it != dir->children.end()) return it->second;
  }
  if (dir->dynamic == nullptr) return nullptr;
  // Outside the tree's lock: the provider may take the model's leaf locks.
  std::optional<DynamicEntry> entry =
      dir->dynamic->Find(dir->dynamic_key, name);
  if (!entry) return nullptr;
  auto node = std::make_shared<Node>(entry->type, std::string(name),
                                     entry->mode & 0777);
  node->show = std::move(entry->show);
  node->store = std::move(entry->store);
  node->target = std::move(entry->target);
  node->dynamic = std::move(entry->entries);
  node->dynamic_key = entry->key;
  node->parent = dir;
  node->owner = dir;
  node->transient = true;
  return node;
}

Result<NodeRef> Tree::Lookup(std::string_view path, bool follow_last) const {
  // Components still to walk, last first, so symlink targets can be
  // spliced in front. The tree's lock is taken per step, never across a
  // provider's Find.
  std::vector<std::string> todo;
  for (std::string_view c : Components(path)) todo.emplace(todo.begin(), c);
  NodeRef cur = root_;
  int follows = 0;
  while (!todo.empty()) {
    const std::string name = std::move(todo.back());
    todo.pop_back();
    if (cur->type != NodeType::kDir) {
      return Error(ENOTDIR, std::string(path) + ": not a directory");
    }
    if (name == ".") continue;
    if (name == "..") {
      if (NodeRef parent = cur->parent.lock()) cur = std::move(parent);
      continue;
    }
    NodeRef next = Child(cur, name);
    if (next == nullptr) {
      return Error(ENOENT, std::string(path) + ": no such file or directory");
    }
    if (next->type == NodeType::kSymlink && (!todo.empty() || follow_last)) {
      if (++follows > kMaxSymlinkFollows) {
        return Error(ELOOP, std::string(path) + ": too many symlinks");
      }
      const std::vector<std::string_view> target = Components(next->target);
      for (auto t = target.rbegin(); t != target.rend(); ++t) {
        todo.emplace_back(*t);
      }
      if (!next->target.empty() && next->target[0] == '/') cur = root_;
      continue;  // resolve the target relative to `cur`, the link's dir
    }
    cur = std::move(next);
  }
  return cur;
}

Result<NodeStat> Tree::GetAttr(std::string_view path) const {
  VAP_ASSIGN_OR_RETURN(NodeRef node, Lookup(path, /*follow_last=*/false));
  return Stat(node);
}

Result<std::vector<DirEntry>> Tree::List(std::string_view path) const {
  VAP_ASSIGN_OR_RETURN(NodeRef node, Lookup(path, /*follow_last=*/true));
  if (node->type != NodeType::kDir) {
    return Error(ENOTDIR, std::string(path) + ": not a directory");
  }
  return List(node);
}

Result<std::string> Tree::ReadLink(std::string_view path) const {
  VAP_ASSIGN_OR_RETURN(NodeRef node, Lookup(path, /*follow_last=*/false));
  if (node->type != NodeType::kSymlink) {
    return Error(EINVAL, std::string(path) + ": not a symlink");
  }
  return node->target;
}

std::string Tree::PathOfLocked(const Node* node) const {
  std::vector<std::string> names;
  NodeRef keep;  // keeps the current ancestor alive while we read it
  for (const Node* n = node; n != nullptr && n != root_.get(); n = keep.get()) {
    names.push_back(n->name);
    keep = n->parent.lock();
  }
  std::string out;
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    out += "/";
    out += *it;
  }
  return out.empty() ? "/" : out;
}

std::string Tree::PathOf(const NodeRef& node) const {
  MutexLock lock(mu_);
  return PathOfLocked(node.get());
}

Result<NodeRef> Tree::Open(std::string_view path, bool read, bool write) const {
  VAP_ASSIGN_OR_RETURN(NodeRef node, Lookup(path, /*follow_last=*/true));
  if (node->type == NodeType::kDir) {
    if (write) return Error(EISDIR, std::string(path) + ": is a directory");
    return node;
  }
  if ((read && (node->mode & kReadBits) == 0) ||
      (write && (node->mode & kWriteBits) == 0)) {
    return Error(EACCES, std::string(path) + ": permission denied");
  }
  return node;
}

Result<std::string> Tree::Read(const NodeRef& node) const {
  if (node->type == NodeType::kDir) return Error(EISDIR, "is a directory");
  ActiveRef active(*this);
  VAP_RETURN_IF_ERROR(active.Acquire(node));
  if (!node->show) return Error(EIO, "attribute has no show");
  VAP_ASSIGN_OR_RETURN(std::string buf, node->show());
  if (buf.size() >= kPageSize) buf.resize(kPageSize - 1);
  return buf;
}

Result<size_t> Tree::Write(const NodeRef& node, std::string_view data) const {
  if (node->type == NodeType::kDir) return Error(EISDIR, "is a directory");
  if (data.empty()) return size_t{0};
  const std::string_view chunk = data.substr(0, kPageSize);
  {
    ActiveRef active(*this);
    VAP_RETURN_IF_ERROR(active.Acquire(node));
    if (!node->store) return Error(EIO, "attribute has no store");
    VAP_RETURN_IF_ERROR(node->store(chunk));
  }
  std::shared_ptr<const StoreObserver> observer;
  {
    MutexLock lock(mu_);
    observer = store_observer_;
  }
  if (observer && *observer) VAP_RETURN_IF_ERROR((*observer)());
  return chunk.size();
}

void Tree::SetStoreObserver(StoreObserver observer) {
  auto shared = std::make_shared<const StoreObserver>(std::move(observer));
  MutexLock lock(mu_);
  store_observer_ = std::move(shared);
}

Result<std::string> Tree::Read(std::string_view path) const {
  VAP_ASSIGN_OR_RETURN(NodeRef node,
                       Open(path, /*read=*/true, /*write=*/false));
  return Read(node);
}

Result<size_t> Tree::Write(std::string_view path, std::string_view data) const {
  VAP_ASSIGN_OR_RETURN(NodeRef node,
                       Open(path, /*read=*/false, /*write=*/true));
  return Write(node, data);
}

Result<NodeRef> Tree::LookupChild(const NodeRef& dir,
                                  std::string_view name) const {
  if (dir->type != NodeType::kDir) return Error(ENOTDIR, "not a directory");
  NodeRef child = ValidName(name) ? Child(dir, name) : nullptr;
  if (child == nullptr) return Error(ENOENT, "no such file or directory");
  return child;
}

NodeStat Tree::Stat(const NodeRef& node) const {
  NodeStat st{node->type, node->mode,
              node->type == NodeType::kAttribute ? kPageSize : 0};
  st.id = node->id;
  st.created_ns = Anchor(node.get())->created_ns;
  if (node->type == NodeType::kDir) {
    // Outside the tree's lock: the provider may take the model's locks.
    const uint32_t computed =
        node->dynamic ? node->dynamic->Subdirs(node->dynamic_key) : 0;
    MutexLock lock(mu_);
    st.nlink = 2 + node->subdirs + computed;
  }
  return st;
}

Result<std::vector<DirEntry>> Tree::List(const NodeRef& node) const {
  if (node->type != NodeType::kDir) return Error(ENOTDIR, "not a directory");
  std::map<std::string, DirEntry, std::less<>> entries;
  {
    MutexLock lock(mu_);
    if (node->removed) return Error(ENOENT, "directory was removed");
    for (const auto& [name, child] : node->children)
      entries.emplace(name, DirEntry{name, child->type, child->id});
  }
  if (node->dynamic != nullptr) {
    // emplace keeps a stored child over a computed entry of the same name.
    for (DirEntry& e : node->dynamic->List(node->dynamic_key)) {
      std::string name = e.name;
      entries.emplace(std::move(name), std::move(e));
    }
  }
  std::vector<DirEntry> out;
  out.reserve(entries.size());
  for (auto& [name, e] : entries) out.push_back(std::move(e));
  return out;
}

Result<std::string> Tree::ReadLink(const NodeRef& node) const {
  if (node->type != NodeType::kSymlink) return Error(EINVAL, "not a symlink");
  return node->target;
}

Status Tree::CheckOpen(const NodeRef& node, bool read, bool write) const {
  if (node->type == NodeType::kDir) {
    return write ? Error(EISDIR, "is a directory") : Status::Ok();
  }
  if ((read && (node->mode & kReadBits) == 0) ||
      (write && (node->mode & kWriteBits) == 0)) {
    return Error(EACCES, "permission denied");
  }
  return Status::Ok();
}

bool Tree::Removed(const NodeRef& node) const {
  MutexLock lock(mu_);
  return node->removed || Anchor(node.get())->removed;
}

void Tree::SetChangeObserver(ChangeObserver* observer) {
  MutexLock lock(mu_);
  change_observer_ = observer;
}

void Tree::EntriesChanged(std::string_view dir, std::string_view name) const {
  {
    MutexLock lock(mu_);
    if (change_observer_ == nullptr) return;  // nobody caches: no walk
  }
  Result<NodeRef> node = Lookup(dir, /*follow_last=*/false);
  if (node.ok() && (*node)->type == NodeType::kDir) Changed(*node, name);
}

void Tree::Changed(const NodeRef& dir, std::string_view name) const {
  ChangeObserver* observer;
  {
    MutexLock lock(mu_);
    observer = change_observer_;
  }
  if (observer != nullptr) observer->OnEntriesChanged(dir, name);
}

int Tree::TEST_active_callbacks() const {
  MutexLock lock(mu_);
  return active_total_;
}

}  // namespace vap::sysfs
