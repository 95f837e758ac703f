#include "driver/filter.h"

namespace vap::driver {

ApMatrix EmptyShadow(const ap::QciInfo& info) {
  return ApMatrix::ForQci(info.apxa, info.na, info.nd);
}

BlockedTable AllBlocked() {
  BlockedTable t;
  t.fill(ApMask::All());
  return t;
}

MatrixFilterResult FilterMatrix(const ApMatrix& matrix, const ap::QciInfo& info,
                                const BlockedTable& blocked, ApMatrix* shadow) {
  const ApMask prev_apm = shadow->apm();
  const ApMask prev_aqm = shadow->aqm();
  const ApMask adm = shadow->adm();
  *shadow = EmptyShadow(info);
  shadow->adm() = adm;
  const ApMask candidates = matrix.apm() & info.apm;
  const ApMask aqm = matrix.aqm() & info.aqm;
  // The adapters with an unpassable queue in some assigned, configured
  // domain: an adapter is dropped whole, since the architecture cannot
  // exclude one APQN. Branch-free over each non-empty word of the AQM.
  ApMask::Words dropped{};
  for (unsigned w = 0; w < 4; ++w) {
    const uint64_t domains = aqm.words()[w];
    if (domains == 0) continue;
    for (unsigned bit = 0; bit < 64; ++bit) {
      const uint64_t take = 0 - ((domains >> (63 - bit)) & 1);
      const ApMask::Words& b = blocked[w * 64 + bit].words();
      dropped[0] |= b[0] & take;
      dropped[1] |= b[1] & take;
      dropped[2] |= b[2] & take;
      dropped[3] |= b[3] & take;
    }
  }
  const ApMask drop(dropped);
  const ApMask apm = candidates.AndNot(drop);
  MatrixFilterResult result;
  result.filtered = candidates & drop & prev_apm;
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
