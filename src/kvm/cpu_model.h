// The AP features of a guest's CPU model, as QEMU's `-cpu` option names
// them (target/s390x/cpu_features_def.h.inc): `ap` (AP instructions,
// interpreted: ECA.APIE), `apqci` (facility 12, PQAP(QCI)), `apft`
// (facility 15, TAPQ's T bit) and `apqi` (facility 65, AP queue
// interruption control). All on by default, as `-cpu host` gives them on a
// host that has them.
#ifndef VAP_KVM_CPU_MODEL_H_
#define VAP_KVM_CPU_MODEL_H_

#include <string>
#include <string_view>

#include "base/result.h"
#include "kvm/guest.h"

namespace vap::kvm {

struct CpuModel {
  bool ap = true;
  bool apqci = true;
  bool apft = true;
  bool apqi = true;
  friend bool operator==(const CpuModel&, const CpuModel&) = default;
};

// "ap=on,apqci=on,apft=off,apqi=on": comma-separated NAME=on|off of the
// four names, any subset, in any order (a later one wins); empty: all on.
// EINVAL naming the first bad item.
Result<CpuModel> ParseCpuModel(std::string_view text);
// "ap=on,apqci=on,apft=on,apqi=on".
std::string FormatCpuModel(const CpuModel& model);
// The guest options the model sets.
void ApplyCpuModel(const CpuModel& model, GuestOptions* options);

}  // namespace vap::kvm

#endif  // VAP_KVM_CPU_MODEL_H_
