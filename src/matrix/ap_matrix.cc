#include "matrix/ap_matrix.h"

namespace vap {

ApMatrix ApMatrix::ForQci(bool apxa, uint8_t na, uint8_t nd) {
  if (apxa) return ApMatrix(na, nd, nd);
  return ApMatrix(63, 15, 15);
}

std::vector<Apqn> ApMatrix::Apqns() const {
  std::vector<Apqn> out;
  apm_.ForEach(
      [&](unsigned apid) {
        aqm_.ForEach(
            [&](unsigned apqi) {
              out.emplace_back(static_cast<uint8_t>(apid),
                               static_cast<uint8_t>(apqi));
            },
            aqm_max_);
      },
      apm_max_);
  return out;
}

bool ApMatrix::ExceedsMaxima() const {
  return apm_.LimitedTo(apm_max_) != apm_ || aqm_.LimitedTo(aqm_max_) != aqm_ ||
         adm_.LimitedTo(adm_max_) != adm_;
}

}  // namespace vap
