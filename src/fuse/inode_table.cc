#include "fuse/inode_table.h"

#include <limits>

namespace vap::fuse {

InodeTable::InodeTable(sysfs::NodeRef root) {
  MutexLock lock(mu_);
  // The kernel never forgets the root.
  entries_[kRootId] =
      Entry{std::move(root), std::numeric_limits<uint64_t>::max() / 2, 0, ""};
}

uint64_t InodeTable::Remember(uint64_t parent, std::string_view name,
                              const sysfs::NodeRef& node, uint64_t stored_id) {
  MutexLock lock(mu_);
  auto key = std::make_pair(parent, std::string(name));
  uint64_t ino = stored_id;
  if (ino == 0) {
    // A computed entry keeps the id the kernel holds for its name.
    auto held = by_name_.find(key);
    if (held != by_name_.end() && held->second >= (uint64_t{1} << 62))
      ino = held->second;
    else
      ino = next_computed_++;
  }
  Entry& e = entries_[ino];
  e.node = node;  // a computed entry's newest callbacks
  ++e.nlookup;
  e.parent = parent;
  e.name = key.second;
  by_name_[std::move(key)] = ino;
  return ino;
}

sysfs::NodeRef InodeTable::Get(uint64_t ino) const {
  MutexLock lock(mu_);
  auto it = entries_.find(ino);
  return it == entries_.end() ? nullptr : it->second.node;
}

bool InodeTable::NameOf(uint64_t ino, uint64_t* parent,
                        std::string* name) const {
  MutexLock lock(mu_);
  auto it = entries_.find(ino);
  if (it == entries_.end() || ino == kRootId) return false;
  *parent = it->second.parent;
  *name = it->second.name;
  return true;
}

void InodeTable::Forget(uint64_t ino, uint64_t n) {
  MutexLock lock(mu_);
  if (ino == kRootId) return;
  auto it = entries_.find(ino);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.nlookup = n >= e.nlookup ? 0 : e.nlookup - n;
  if (e.nlookup > 0) return;
  auto named = by_name_.find(std::make_pair(e.parent, e.name));
  if (named != by_name_.end() && named->second == ino) by_name_.erase(named);
  entries_.erase(it);
}

std::vector<std::string> InodeTable::HeldNames(uint64_t dir,
                                               std::string_view name) const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  if (!name.empty()) {
    if (by_name_.count(std::make_pair(dir, std::string(name))) != 0)
      out.emplace_back(name);
    return out;
  }
  for (auto it = by_name_.lower_bound(std::make_pair(dir, std::string()));
       it != by_name_.end() && it->first.first == dir; ++it) {
    out.push_back(it->first.second);
  }
  return out;
}

size_t InodeTable::size() const {
  MutexLock lock(mu_);
  return entries_.size();
}

}  // namespace vap::fuse
