#include "driver/filter.h"

namespace vap::driver {

ApMatrix EmptyShadow(const ap::QciInfo& info) {
  return ApMatrix::ForQci(info.apxa, info.na, info.nd);
}

MatrixFilterResult FilterMatrix(const ApMatrix& matrix, const ap::QciInfo& info,
                                const PassableTable& passable,
                                ApMatrix* shadow) {
  const ApMask prev_apm = shadow->apm();
  const ApMask prev_aqm = shadow->aqm();
  const ApMask adm = shadow->adm();
  *shadow = EmptyShadow(info);
  shadow->adm() = adm;
  ApMask apm = matrix.apm() & info.apm;
  const ApMask aqm = matrix.aqm() & info.aqm;
  MatrixFilterResult result;
  apm.ForEach([&](unsigned apid) {
    // An assigned, configured domain without a passable queue drops the
    // whole adapter: the architecture cannot exclude one APQN.
    if (aqm.AndNot(passable[apid]).Any()) {
      apm.Clear(apid);
      if (prev_apm.Test(apid)) result.filtered.Set(apid);
    }
  });
  shadow->apm() = apm;
  shadow->aqm() = aqm;
  result.changed = apm != prev_apm || aqm != prev_aqm;
  return result;
}

bool FilterControlDomains(const ApMatrix& matrix, const ap::QciInfo& info,
                          ApMatrix* shadow) {
  const ApMask adm = matrix.adm() & info.adm;
  const bool changed = adm != shadow->adm();
  shadow->adm() = adm;
  return changed;
}

}  // namespace vap::driver
