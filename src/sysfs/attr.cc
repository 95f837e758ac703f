#include "sysfs/attr.h"

#include <utility>

#include "base/check.h"

namespace vap::sysfs {

std::string_view StreqText(std::string_view buf) {
  buf = buf.substr(0, buf.find('\0'));
  return buf.ends_with('\n') ? buf.substr(0, buf.size() - 1) : buf;
}

DynamicEntry Attribute(uint32_t mode, ShowFn show, StoreFn store) {
  DynamicEntry e;
  e.type = NodeType::kAttribute;
  e.mode = mode;
  e.show = std::move(show);
  e.store = std::move(store);
  return e;
}

DynamicEntry Symlink(std::string target) {
  DynamicEntry e;
  e.type = NodeType::kSymlink;
  e.target = std::move(target);
  return e;
}

DynamicEntry ComputedDir(std::shared_ptr<const DynamicEntries> entries,
                         uint64_t key) {
  DynamicEntry e;
  e.type = NodeType::kDir;
  e.mode = 0755;
  e.entries = std::move(entries);
  e.key = key;
  return e;
}

void AddAttribute(Tree& tree, const NodeRef& dir, std::string_view name,
                  uint32_t mode, ShowFn show, StoreFn store) {
  Result<NodeRef> r = tree.AddAttribute(dir, name, mode, std::move(show),
                                        std::move(store));
  VAP_CHECK_MSG(r.ok(), r.status().ToString().c_str());
}

void AddDriversAutoprobe(Tree& tree, const NodeRef& bus_dir,
                         std::function<bool()> get,
                         std::function<void(bool)> set) {
  AddAttribute(
      tree, bus_dir, "drivers_autoprobe", kRw,
      [get] { return Text(get() ? "1\n" : "0\n"); },
      [set](std::string_view buf) {
        set(buf.empty() || buf[0] != '0');
        return Status::Ok();
      });
}

}  // namespace vap::sysfs
