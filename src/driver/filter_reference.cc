#include "driver/filter_reference.h"

namespace vap::driver {

ApMask ReferenceFilterMatrix(const ApMatrix& matrix, const ap::QciInfo& info,
                             const ReferenceQueueTable& qtable,
                             ApMatrix* shadow) {
  const ApMask prev_apm = shadow->apm();
  const ApMask adm = shadow->adm();
  *shadow = ApMatrix::ForQci(info.apxa, info.na, info.nd);
  shadow->adm() = adm;
  ApMask filtered;
  for (unsigned apid = 0; apid <= kMaxApId; ++apid) {
    if (!matrix.apm().Test(apid) || !info.apm.Test(apid)) continue;
    bool keep = true;
    for (unsigned apqi = 0; apqi <= kMaxApId && keep; ++apqi) {
      if (!matrix.aqm().Test(apqi) || !info.aqm.Test(apqi)) continue;
      auto it = qtable.find(static_cast<uint16_t>(apid << 8 | apqi));
      const bool passable =
          it != qtable.end() &&
          (it->second == 0x00 || it->second == 0x03 || it->second == 0x04);
      keep = passable;
    }
    if (keep) {
      shadow->apm().Set(apid);
    } else if (prev_apm.Test(apid)) {
      filtered.Set(apid);
    }
  }
  for (unsigned apqi = 0; apqi <= kMaxApId; ++apqi) {
    if (matrix.aqm().Test(apqi) && info.aqm.Test(apqi)) shadow->aqm().Set(apqi);
  }
  return filtered;
}

}  // namespace vap::driver
