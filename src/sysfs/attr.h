// What the sysfs builders share: the attribute modes, computed attributes
// and symlinks, and stored attributes added in one call. Shows and stores
// answer Result/Status; errno leaves a Status only at the FUSE edge
// (src/fuse) and in the RPC server's answers (docs/architecture.md,
// "Errors").
#ifndef VAP_SYSFS_ATTR_H_
#define VAP_SYSFS_ATTR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sysfs/tree.h"

namespace vap::sysfs {

// The modes sysfs attributes have (__ATTR_RO, __ATTR_RW, __ATTR_WO in
// include/linux/sysfs.h).
inline constexpr uint32_t kRo = 0444;
inline constexpr uint32_t kRw = 0644;
inline constexpr uint32_t kWo = 0200;

// A show's text, as the callbacks below return it.
inline Result<std::string> Text(std::string text) { return text; }

// What sysfs_streq() (lib/string.c) compares of a store's buffer: up to
// the first NUL (kernfs terminates the copy there for the C parsers), less
// one trailing newline.
std::string_view StreqText(std::string_view buf);

// A computed attribute.
DynamicEntry Attribute(uint32_t mode, ShowFn show, StoreFn store = nullptr);
// A computed symlink.
DynamicEntry Symlink(std::string target);
// A computed directory (0755) whose entries `entries` gives for `key`.
DynamicEntry ComputedDir(std::shared_ptr<const DynamicEntries> entries,
                         uint64_t key);

// Adds a stored attribute to `dir`; aborts if the name is taken (a bug in
// the code that builds the tree).
void AddAttribute(Tree& tree, const NodeRef& dir, std::string_view name,
                  uint32_t mode, ShowFn show, StoreFn store = nullptr);

// A bus's `drivers_autoprobe` (drivers_autoprobe_show() and _store() in
// drivers/base/bus.c): `%d\n`; a write whose first byte is '0' turns it
// off, any other turns it on.
void AddDriversAutoprobe(Tree& tree, const NodeRef& bus_dir,
                         std::function<bool()> get, std::function<void(bool)> set);

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_ATTR_H_
