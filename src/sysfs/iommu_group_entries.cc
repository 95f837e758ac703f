#include "sysfs/iommu_group_entries.h"

#include <cerrno>

#include "sysfs/attr.h"

namespace vap::sysfs {

std::vector<DirEntry> IommuGroupEntries::List(uint64_t) const {
  return {{"name", NodeType::kAttribute},
          {"reserved_regions", NodeType::kAttribute},
          {"type", NodeType::kAttribute}};
}

std::optional<DynamicEntry> IommuGroupEntries::Find(uint64_t,
                                                    std::string_view name) const {
  if (name == "name") return Attribute(kRo, [] { return Text("vfio-noiommu\n"); });
  if (name == "reserved_regions") return Attribute(kRo, [] { return Text(""); });
  if (name == "type") {
    // iommu_group_store_type(): a group without a default domain.
    return Attribute(
        kRw, [] { return Text("unknown\n"); },
        [](std::string_view) -> Status {
          return Status::Error(EINVAL, "the group has no default domain");
        });
  }
  return std::nullopt;
}

}  // namespace vap::sysfs
