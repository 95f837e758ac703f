// Adapters from the library's Status/Result callbacks to the kernel's
// show/store contract (text or -errno; byte count or -errno). This and
// src/rpc are the only places errno leaves a Status (docs/architecture.md,
// "Errors").
#ifndef VAP_SYSFS_ATTR_H_
#define VAP_SYSFS_ATTR_H_

#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sysfs/tree.h"

namespace vap::sysfs {

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
