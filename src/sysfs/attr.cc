#include "sysfs/attr.h"

#include <utility>

#include "base/check.h"

namespace vap::sysfs {

ShowFn Show(TextFn text) {
  if (!text) return nullptr;
  return [text = std::move(text)](std::string* buf) -> ssize_t {
    Result<std::string> r = text();
    if (!r.ok()) return -r.status().errno_value();
    *buf = std::move(r).value();
    return static_cast<ssize_t>(buf->size());
  };
}

StoreFn Store(ApplyFn apply) {
  if (!apply) return nullptr;
  return [apply = std::move(apply)](std::string_view buf) -> ssize_t {
    const Status s = apply(buf);
    if (!s.ok()) return -s.errno_value();
    return static_cast<ssize_t>(buf.size());
  };
}

DynamicEntry Attribute(uint32_t mode, TextFn text, ApplyFn apply) {
  DynamicEntry e;
  e.type = NodeType::kAttribute;
  e.mode = mode;
  e.show = Show(std::move(text));
  e.store = Store(std::move(apply));
  return e;
}

DynamicEntry Symlink(std::string target) {
  DynamicEntry e;
  e.type = NodeType::kSymlink;
  e.target = std::move(target);
  return e;
}

void AddAttribute(Tree& tree, const NodeRef& dir, std::string_view name,
                  uint32_t mode, TextFn text, ApplyFn apply) {
  Result<NodeRef> r = tree.AddAttribute(dir, name, mode, Show(std::move(text)),
                                        Store(std::move(apply)));
  VAP_CHECK_MSG(r.ok(), r.status().ToString().c_str());
}

}  // namespace vap::sysfs
