// ApMatrix: the kernel's struct ap_matrix (vfio_ap_private.h): adapters
// (APM), usage domains (AQM) and control domains (ADM), each with its maximum
// ID. An mdev's assignment, its shadow APCB and the host's QCI view are all
// ApMatrix values. The queues it grants are APM x AQM.
//
// Invariant: none enforced on the masks. The kernel lets an ap_config
// write park IDs above the maxima in the masks for a moment before its
// overflow check, so the type does not forbid it; the printers never show
// IDs above the maxima, and ExceedsMaxima() finds them.
// Thread safety: a value type; its owner synchronizes access.
#ifndef VAP_MATRIX_AP_MATRIX_H_
#define VAP_MATRIX_AP_MATRIX_H_

#include <cstdint>
#include <vector>

#include "matrix/ap_mask.h"
#include "matrix/apqn.h"

namespace vap {

class ApMatrix {
 public:
  // All maxima 255, all masks empty.
  ApMatrix() = default;
  ApMatrix(uint8_t apm_max, uint8_t aqm_max, uint8_t adm_max)
      : apm_max_(apm_max), aqm_max_(aqm_max), adm_max_(adm_max) {}
  // The initialisation rule of vfio_ap_matrix_init(): with AP extended
  // addressing (apxa) the maxima are QCI's na (adapters) and nd (domains),
  // taken literally even if zero; without it 63, 15 and 15.
  static ApMatrix ForQci(bool apxa, uint8_t na, uint8_t nd);

  uint8_t apm_max() const { return apm_max_; }
  uint8_t aqm_max() const { return aqm_max_; }
  uint8_t adm_max() const { return adm_max_; }

  const ApMask& apm() const { return apm_; }
  const ApMask& aqm() const { return aqm_; }
  const ApMask& adm() const { return adm_; }
  ApMask& apm() { return apm_; }
  ApMask& aqm() { return aqm_; }
  ApMask& adm() { return adm_; }

  // True if apqn's adapter is in APM and its domain in AQM.
  bool HasApqn(Apqn apqn) const {
    return apm_.Test(apqn.apid) && aqm_.Test(apqn.apqi);
  }
  // APM x AQM within the maxima, ascending by APID then APQI.
  std::vector<Apqn> Apqns() const;
  // True if a mask has an ID above its maximum (ap_config's ENODEV check).
  bool ExceedsMaxima() const;

  friend bool operator==(const ApMatrix& a, const ApMatrix& b) = default;

 private:
  uint8_t apm_max_ = kMaxApId;
  uint8_t aqm_max_ = kMaxApId;
  uint8_t adm_max_ = kMaxApId;
  ApMask apm_, aqm_, adm_;
};

}  // namespace vap

#endif  // VAP_MATRIX_AP_MATRIX_H_
