// Adapters from the library's Status/Result callbacks to the kernel's
// show/store contract (text or -errno; byte count or -errno). This and
// src/rpc are the only places errno leaves a Status (docs/architecture.md,
// "Errors").
#ifndef VAP_SYSFS_ATTR_H_
#define VAP_SYSFS_ATTR_H_

#include <cstdint>
#include <functional>
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

using TextFn = std::function<Result<std::string>()>;
using ApplyFn = std::function<Status(std::string_view buf)>;

// A show that returns `text()`'s string, or its errno.
ShowFn Show(TextFn text);
// A store that applies `apply` and consumes the whole buffer, or fails
// with its errno.
StoreFn Store(ApplyFn apply);

// A computed attribute.
DynamicEntry Attribute(uint32_t mode, TextFn text, ApplyFn apply = nullptr);
// A computed symlink.
DynamicEntry Symlink(std::string target);

// Adds a stored attribute to `dir`; aborts if the name is taken (a bug in
// the code that builds the tree).
void AddAttribute(Tree& tree, const NodeRef& dir, std::string_view name,
                  uint32_t mode, TextFn text, ApplyFn apply = nullptr);

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_ATTR_H_
